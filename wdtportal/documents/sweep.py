"""Finding documents stuck in sending: the process that sent them died between its two transactions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from . import results
from .models import StateChange
from .registry import state_columns
from .results import SendResult
from .states import DocumentState
from .transitions import move

S = DocumentState


def _stuck(model: type[models.Model], field: str, cutoff: Any) -> list[int]:
    since = (StateChange.objects
             .filter(content_type=ContentType.objects.get_for_model(model), object_id=OuterRef("pk"), field=field,
                     to_state=S.SENDING)
             .order_by("-at", "-id").values("at")[:1])
    return list(model.objects.filter(**{field: S.SENDING}).annotate(sending_since=Subquery(since))
                .filter(Q(sending_since__lt=cutoff) | Q(sending_since__isnull=True))
                .values_list("pk", flat=True))


def documents_sweep_sending(*, user: Any = None, timeout_seconds: int | None = None) -> list[SendResult]:
    """Move every document (of every registered kind) that has been sending longer than the timeout to unknown."""
    seconds = settings.WDT_SENDING_TIMEOUT if timeout_seconds is None else timeout_seconds
    cutoff = timezone.now() - timedelta(seconds=seconds)
    reason = _("发送中超过%(s)s秒没有结果（发送进程可能已中断），结果未知；请在旺店通核对后由主管处理") % {"s": seconds}
    answers = []
    for column in state_columns():
        model, field = column.model, column.field
        for pk in _stuck(model, field, cutoff):
            with transaction.atomic():
                document = model.objects.select_for_update().get(pk=pk)
                if getattr(document, field) != S.SENDING:
                    continue  # its answer arrived meanwhile
                document.last_message = reason
                document.save(update_fields=["last_message"])
                move(document, field, S.UNKNOWN, user=user, reason=reason)
            answers.append(results.unknown(document, reason))
    return answers
