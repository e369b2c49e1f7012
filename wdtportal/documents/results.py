"""What one service call did to one document: the shared answer of every send, validate and resolve.

One word for one thing: 已完成 says only that WDT accepted a document. A validation that passed says 校验通过 (and
one that did not, 校验未通过), a created draft 已生成: the outcome (its colour, its count) is the same kind, the
word says what happened.
"""

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
    label: str = ""  # what happened, when it is not what the outcome's own word says (see the module docstring)

    @property
    def outcome_label(self) -> str:
        return self.label or str(Outcome(self.outcome).label)

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


def validated(document: Any, message: str) -> SendResult:
    """A validation that passed: the document is ready to be sent (not 已完成: nothing went to WDT)."""
    return SendResult(document, Outcome.DONE, str(message), str(_("校验通过")))


def invalid(document: Any, message: str) -> SendResult:
    """A validation that found errors (`message` lists them)."""
    return SendResult(document, Outcome.FAILED, str(message), str(_("校验未通过")))


def created(document: Any, message: str) -> SendResult:
    """Something made in the portal for this document (a settlement draft), nothing sent."""
    return SendResult(document, Outcome.DONE, str(message), str(_("已生成")))
