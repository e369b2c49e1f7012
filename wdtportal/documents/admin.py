"""The admin of any document: the base class every document admin extends, with state badges, the state-history
inline, line inlines editable only while their document is, the per-document action report, the "what will be sent"
page, the resolve page of an unknown outcome, read-only documents once WDT has them (also against a forged or late
POST), the 403 for a person who posts an action they may not run, and the hooks through which another app adds an
action or a field to a document's admin without that admin importing it."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from wdtportal.lists.admin import ListAdmin

from .models import StateChange
from .results import Outcome, SendResult
from .states import STATE_COLOURS, DocumentState
from .totals import document_recount

OUTCOME_COLOURS = {
    Outcome.DONE: STATE_COLOURS[DocumentState.DONE],
    Outcome.FAILED: STATE_COLOURS[DocumentState.FAILED],
    Outcome.UNKNOWN: STATE_COLOURS[DocumentState.UNKNOWN],
    Outcome.SKIPPED: STATE_COLOURS[DocumentState.DRAFT],
}


def badge(label: Any, colour: str) -> str:
    return format_html(
        '<span class="wdt-badge" style="background:{};color:#fff;padding:1px 8px;border-radius:10px;'
        'white-space:nowrap">{}</span>', colour, label)


def state_badge(state: str) -> str:
    return badge(DocumentState(state).label, STATE_COLOURS[state])


class StateHistoryInline(GenericTabularInline):
    """The document's history of states on its own page (read-only)."""

    model = StateChange
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ("at", "field_label", "from_state", "to_state", "user", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("状态变更")
    verbose_name_plural = _("状态历史")
    classes = ["collapse"]

    @admin.display(description=_("状态项"))
    def field_label(self, obj: StateChange) -> str:
        field = obj.content_type.model_class()._meta.get_field(obj.field)
        return str(field.verbose_name)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever may see the document may see its history.
        return True


class DocumentLineInline(admin.TabularInline):
    """Lines can be edited only while their document can."""

    extra = 0

    def _editable(self, obj: Any) -> bool:
        return obj is None or obj.is_editable

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class DocumentForm(forms.ModelForm):
    """The change form of a document. Saving is refused, with the reason on the page, when the document is no
    longer editable as it is now in the database: a job may have queued or sent it after the page was opened,
    and a forged POST must not change what WDT has. The row stays locked (the admin's change view is one
    transaction) until the edit is saved, so the state cannot change between this check and the save."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is not None:
            fresh = type(self.instance)._default_manager.select_for_update().filter(pk=self.instance.pk).first()
            if fresh is None:
                raise forms.ValidationError(_("此单据已被删除，修改没有保存。"))
            if not fresh.is_editable:
                raise forms.ValidationError(
                    _("此单据的状态已是“%(state)s”，旺店通已有或可能已有它，不能再修改。本次修改没有保存。")
                    % {"state": fresh.editing_state_label})
        return cleaned


class DocumentAdmin(ListAdmin):
    """Base of both document admins. Subclasses set `guarded_actions` and implement `payloads(obj)`.

    A list built for a million documents (wdtportal/lists/admin.py): newest first by id (the index every page of
    the unfiltered list is a range of), each sortable column and each filter served by an index of the model's
    Meta (list_indexes)."""

    #: action name → the `has_<name>_permission` it needs; posting it without that permission is a 403.
    guarded_actions: dict[str, str] = {}
    send_perm = ""
    resolve_perm = ""
    list_per_page = 50
    ordering = ("-pk",)
    form = DocumentForm
    #: The `ImportBatch.kind`s the list's import-batch filter offers.
    import_batch_kinds: tuple[str, ...] = ()

    # --- what other apps add (a document app may be imported by another, never the reverse) ------------
    @classmethod
    def add_action(cls, name: str, action: Callable[..., Any], *, needs: str = "") -> None:
        """Add `action` (an `@admin.action` function) to this admin's actions under `name`; `needs`: the
        `has_<needs>_permission` method (set on the class as well, e.g. by `add_permission`) posting it requires."""
        setattr(cls, name, action)
        cls.actions = [*cls.actions, name] if name not in cls.actions else cls.actions
        if needs:
            cls.guarded_actions = {**cls.guarded_actions, name: needs}

    @classmethod
    def add_permission(cls, needs: str, perm: str) -> None:
        """Define `has_<needs>_permission(request)` as "the user has `perm`" (for an added action)."""
        setattr(cls, f"has_{needs}_permission", lambda self, request: request.user.has_perm(perm))

    @classmethod
    def add_field(cls, name: str, display: Callable[[Any, Any], Any], *, in_list: bool = False,
                  fieldset: int | None = None) -> None:
        """Show `display(admin, obj)` (an `@admin.display` function) as the read-only field `name`: on the change
        page, in fieldset number `fieldset`, and as the list's last column when `in_list`."""
        setattr(cls, name, display)
        cls.readonly_fields = (*cls.readonly_fields, name)
        if in_list:
            cls.list_display = (*cls.list_display, name)
        if fieldset is not None:
            title, options = cls.fieldsets[fieldset]
            cls.fieldsets = (*cls.fieldsets[:fieldset],
                             (title, {**options, "fields": (*options["fields"], name)}),
                             *cls.fieldsets[fieldset + 1:])

    # --- permissions -------------------------------------------------------------------------------
    def has_send_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(self.send_perm)

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(self.resolve_perm)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.is_editable:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict:
        # Bulk delete would bypass the per-document rule that what WDT has cannot be deleted.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.method == "POST":
            for name in request.POST.getlist("action"):
                needs = self.guarded_actions.get(name)
                if needs and not getattr(self, f"has_{needs}_permission")(request):
                    raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not obj.is_editable:
            # WDT has (or may have) it: what is in the portal must stay what was sent.
            fields += [f.name for f in self.model._meta.fields if f.editable and f.name not in fields]
        return fields

    # --- saving --------------------------------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """A new document is saved whole; an edit writes only the fields of the form. The states, WDT's
        messages and numbers, who sent it and when belong to the services: the copy loaded with the page may be
        older than them and must never overwrite them."""
        if not change:
            obj.created_by = request.user
            obj.save()
            return
        columns = {f.name for f in obj._meta.concrete_fields if not f.primary_key}
        obj.save(update_fields=[*(name for name in form.fields if name in columns), "updated_at"])

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The lines were just saved (added, changed, deleted) in the change view's transaction: the document's
        totals follow them in the same transaction."""
        super().save_related(request, form, formsets, change)
        document_recount(form.instance)

    # --- the per-document report of an action ------------------------------------------------------
    def report(self, request: HttpRequest, title: str, answers: list[SendResult]) -> TemplateResponse:
        counts = Counter(a.outcome for a in answers)
        rows = [
            {"document": a.document, "outcome": badge(a.outcome_label, OUTCOME_COLOURS[a.outcome]),
             "message": a.message,
             "url": reverse(f"admin:{a.document._meta.app_label}_{a.document._meta.model_name}_change",
                            args=[a.document.pk])}
            for a in answers
        ]
        summary = [badge(f"{Outcome(o).label} {counts[o]}", OUTCOME_COLOURS[o]) for o in Outcome if counts[o]]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title,
                   "rows": rows, "summary": summary, "total": len(answers)}
        return TemplateResponse(request, "admin/wdt/action_report.html", context)

    # --- extra pages: what will be sent, resolve an unknown -----------------------------------------
    def get_urls(self) -> list:
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path("<path:object_id>/payload/", self.admin_site.admin_view(self.payload_view),
                 name="{}_{}_payload".format(*info)),
            path("<path:object_id>/resolve/", self.admin_site.admin_view(self.resolve_view),
                 name="{}_{}_resolve".format(*info)),
            *super().get_urls(),
        ]

    def payloads(self, obj: Any) -> list[tuple[str, str, Any]]:
        """(what, gateway method, exact payload) for each call this document can make."""
        raise NotImplementedError

    def payload_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = get_object_or_404(self.model, pk=object_id)
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        sections = [{"title": title, "method": method,
                     "json": json.dumps(payload, ensure_ascii=False, indent=2)}
                    for title, method, payload in self.payloads(obj)]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": obj,
                   "title": _("将发送到旺店通的内容：%(doc)s") % {"doc": obj}, "sections": sections}
        return TemplateResponse(request, "admin/wdt/payload.html", context)

    def resolve_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_resolve_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(self.model, pk=object_id)
        return self.resolve_confirmation(request, self.model.objects.filter(pk=obj.pk))

    def resolve_confirmation(self, request: HttpRequest, queryset: Any) -> TemplateResponse:
        """The page a supervisor sees before resolving: what a duplicate would cost, then the two choices."""
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _("处理结果未知的单据"),
            "documents": [{"doc": d, "state": self.state_summary(d)} for d in queryset],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist"),
            **self.resolve_context(queryset),
        }
        return TemplateResponse(request, "admin/wdt/resolve_unknown.html", context)

    def resolve_context(self, queryset: Any) -> dict[str, Any]:
        raise NotImplementedError

    def state_summary(self, obj: Any) -> str:
        raise NotImplementedError

    # --- small pieces of the change page -------------------------------------------------------------
    @admin.display(description=_("导入批次"))
    def import_batch_link(self, obj: Any) -> str:
        """The batch that brought the document in, linked to the list of every document it brought."""
        if obj is None or obj.import_batch_id is None:
            return "-"
        info = obj._meta.app_label, obj._meta.model_name
        url = reverse("admin:{}_{}_changelist".format(*info)) + f"?import_batch__id__exact={obj.import_batch_id}"
        return format_html('<a href="{}">#{} {}</a>', url, obj.import_batch_id, obj.import_batch)

    def links(self, obj: Any, extra: list[tuple[str, str]] | None = None,
              can_resolve: Callable[[Any], bool] | None = None) -> str:
        if obj is None or obj.pk is None:
            return "-"
        info = obj._meta.app_label, obj._meta.model_name
        items = [(reverse("admin:{}_{}_payload".format(*info), args=[obj.pk]), _("查看将发送的内容")),
                 (reverse("admin:wdt_wdtcall_changelist") + f"?q={obj}", _("接口调用记录")),
                 *(extra or [])]
        if can_resolve is not None and can_resolve(obj):
            items.append((reverse("admin:{}_{}_resolve".format(*info), args=[obj.pk]), _("处理结果未知")))
        return format_html(" | ".join(['<a href="{}">{}</a>'] * len(items)),
                           *[part for item in items for part in item])
