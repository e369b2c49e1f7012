"""What one service call did to one document: the shared answer of every send, validate and resolve."""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    DONE = "done", _("已完成")
    FAILED = "failed", _("被拒绝")
    UNKNOWN = "unknown", _("结果未知")
    SKIPPED = "skipped", _("已跳过")


@dataclass(frozen=True)
class SendResult:
    """`document` is the model instance; `message` says why (WDT's own text for a refusal)."""

    document: Any
    outcome: str
    message: str = ""

    @property
    def outcome_label(self) -> str:
        return str(Outcome(self.outcome).label)

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.DONE


def done(document: Any, message: str = "") -> SendResult:
    return SendResult(document, Outcome.DONE, str(message))


def failed(document: Any, message: str) -> SendResult:
    return SendResult(document, Outcome.FAILED, str(message))


def unknown(document: Any, message: str) -> SendResult:
    return SendResult(document, Outcome.UNKNOWN, str(message))


def skipped(document: Any, message: str) -> SendResult:
    return SendResult(document, Outcome.SKIPPED, str(message))
