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
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wdtportal.admin_lookups import OfferedLookupsOnly, object_or_404
from wdtportal.lists.admin import ListAdmin

from . import numbers
from .models import StateChange
from .resending import resend_notes
from .results import Outcome, SendResult
from .states import DocumentState
from .totals import document_recount
from .unknown import ANY, in_unknown, unknown_counts

# Documents the resolve page lists after "select all N"; the others are counted.
RESOLVE_ROWS = 20


def grouped(n: int) -> str:
    return formats.number_format(n, force_grouping=True)


def badge(label: Any, kind: str) -> str:
    """A coloured label for a state or an outcome (`kind`: its value); colours are in static/wdtportal/admin.css
    (a class, not a style attribute: the Content-Security-Policy allows none)."""
    return format_html('<span class="wdt-badge state-bg-{}">{}</span>', kind, label)


def state_badge(state: str) -> str:
    return badge(DocumentState(state).label, state)


def local_time(value: Any) -> str:
    """A moment as the lists show it, in the active time zone: the date and the time may wrap onto two lines, each
    staying whole (2026-11-22 / 14:05), so that a time column stays narrow."""
    if value is None:
        return "-"
    moment = timezone.localtime(value)
    return format_html('<span class="nowrap">{}</span> <span class="nowrap">{}</span>',
                       formats.date_format(moment, "DATE_FORMAT"), formats.time_format(moment, "TIME_FORMAT"))


class DecimalsShown:
    """Decimal fields shown as every page shows them (wdtportal/documents/numbers.py): inputs hold 12.00 or 2
    rather than 12.0000, and a read-only page shows each decimal field through `<name>_shown`, made here for
    every decimal field of the model (Django's own display would give all four decimals)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decimal_fields = {f.name for f in self.model._meta.concrete_fields if isinstance(f, models.DecimalField)}
        for field in self.model._meta.concrete_fields:
            if field.name in self.decimal_fields:
                setattr(self, f"{field.name}_shown", self._display(field))

    @staticmethod
    def _display(field: models.Field) -> Callable[[Any], str | None]:
        @admin.display(description=field.verbose_name)
        def shown(obj: Any) -> str | None:
            value = getattr(obj, field.name)
            return None if value is None else numbers.shown(value, field.name)
        return shown

    def formfield_for_dbfield(self, db_field: models.Field, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, models.DecimalField):
            kwargs["widget"] = numbers.DecimalInput(kind=numbers.kind_of(db_field.name))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def shown_names(self, names: Any) -> Any:
        """`names` (a fieldset's fields, flat or in rows) with each decimal field replaced by its display."""
        if isinstance(names, list | tuple):
            return type(names)(self.shown_names(name) for name in names)
        return f"{names}_shown" if names in self.decimal_fields else names


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


class DocumentLineInline(DecimalsShown, admin.TabularInline):
    """Lines can be edited only while their document can; then they are shown read-only."""

    extra = 0

    def _editable(self, obj: Any) -> bool:
        return obj is None or obj.is_editable

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        return fields if self._editable(obj) else self.shown_names(list(fields))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if not self._editable(obj):
            fields += [f"{name}_shown" for name in self.decimal_fields]
        return fields

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


class DocumentAdmin(DecimalsShown, OfferedLookupsOnly, ListAdmin):
    """Base of both document admins. Subclasses set `guarded_actions` and implement `payloads(obj)`.

    A list built for a million documents (wdtportal/lists/admin.py): newest first by id (the index every page of
    the unfiltered list is a range of), each sortable column and each filter served by an index of the model's
    Meta (list_indexes); it accepts only the filters it offers (wdtportal/admin_lookups.py).

    The columns every document list shares (`quantity_shown`, `amount_shown`, `created_shown`, `sent_shown`,
    `message_shown`) are here; static/wdtportal/admin.css sizes them so that a list fits 1366×768 with the
    sidebar open.
    """

    extra_filter_parameters = ("last_message",)  # the dashboard links the documents refused with one message
    #: action name → the `has_<name>_permission` it needs; posting it without that permission is a 403.
    guarded_actions: dict[str, str] = {}
    #: Actions that, after "select all N", only record the list's query string (a send job, the export form): run
    #: before the list page is built (its counts, filters and rows), so that their cost does not depend on the list.
    selection_actions: frozenset[str] = frozenset()
    send_perm = ""
    resolve_perm = ""
    #: The state fields whose send may end in unknown, for a supervisor to resolve.
    unknown_fields: tuple[str, ...] = ()
    list_per_page = 50
    ordering = ("-pk",)
    form = DocumentForm
    change_list_template = "admin/documents/change_list.html"
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
            if self._records_selection(request):
                # Django's own action handling (form, permissions, message), on the unread queryset.
                response = self.response_action(request, queryset=self.get_queryset(request))
                if response is not None:
                    return response
        if self.send_perm and not self.has_send_permission(request):
            # The clerk's send action is not missing: it is the 财务主管's. Say so where she looks for it.
            extra_context = {**(extra_context or {}), "handover_note": _(
                "发送到旺店通由财务主管操作：请先选中单据执行“校验”，校验通过（已校验）的单据会出现在财务主管的工作台上，"
                "由财务主管发送。")}
        return super().changelist_view(request, extra_context)

    def _records_selection(self, request: HttpRequest) -> bool:
        """A `selection_actions` action posted with "select all N" (Django's select_across)."""
        if "index" not in request.POST or request.POST.get("select_across") != "1":
            return False
        names = request.POST.getlist("action")
        try:
            return names[int(request.POST["index"])] in self.selection_actions
        except (ValueError, IndexError):
            return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not obj.is_editable:
            # WDT has (or may have) it: what is in the portal must stay what was sent.
            fields += [f.name for f in self.model._meta.fields if f.editable and f.name not in fields]
            fields += [f"{name}_shown" for name in self.decimal_fields]
        return fields

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.is_editable:
            return fieldsets
        return [(title, {**options, "fields": self.shown_names(tuple(options["fields"]))})
                for title, options in fieldsets]

    def render_change_form(self, request: HttpRequest, context: dict, add: bool = False, change: bool = False,
                           form_url: str = "", obj: Any = None) -> HttpResponse:
        if obj is not None and not obj.is_editable:
            # Read-only: nothing to save, so no save buttons (a late or forged POST is still refused by the form).
            context.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False,
                           show_delete=False)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- columns of the lists ---------------------------------------------------------------------------
    @admin.display(description=pgettext_lazy("列表的短列名", "数量"), ordering="total_quantity")
    def quantity_shown(self, obj: Any) -> str | None:
        return numbers.quantity(obj.total_quantity) if obj.total_quantity is not None else None

    @admin.display(description=_("金额"), ordering="total_amount")
    def amount_shown(self, obj: Any) -> str | None:
        return numbers.money(obj.total_amount) if obj.total_amount is not None else None

    @admin.display(description=_("创建时间"), ordering="created_at")
    def created_shown(self, obj: Any) -> str:
        return local_time(obj.created_at)

    @admin.display(description=_("发送时间"), ordering="sent_at")
    def sent_shown(self, obj: Any) -> str:
        return local_time(obj.sent_at)

    @admin.display(description=_("旺店通消息"))
    def message_shown(self, obj: Any) -> str:
        """WDT's last message, wrapping in its column; a long one cut short, whole on hover and on the page."""
        short = Truncator(obj.last_message).chars(60)
        if short == obj.last_message:
            return obj.last_message
        return format_html('<span title="{}">{}</span>', obj.last_message, short)

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
        counts = Counter((a.outcome, a.outcome_label) for a in answers)
        rows = [
            {"document": a.document, "outcome": badge(a.outcome_label, a.outcome),
             "message": a.message,
             "url": reverse(f"admin:{a.document._meta.app_label}_{a.document._meta.model_name}_change",
                            args=[a.document.pk])}
            for a in answers
        ]
        summary = [badge(f"{label} {count}", outcome)
                   for outcome in Outcome for (o, label), count in counts.items() if o == outcome]
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
        obj = object_or_404(self, request, object_id)
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
        obj = object_or_404(self, request, object_id)
        return self.resolve_confirmation(request, self.model.objects.filter(pk=obj.pk))

    def resolve_confirmation(self, request: HttpRequest, queryset: Any, *, across: bool = False) -> TemplateResponse:
        """The page a supervisor sees before resolving: what a duplicate would cost, how many documents are in
        unknown, then the two choices.

        Ticked rows (`queryset`: at most a page) are listed and posted back by id. After "select all N" (`across`,
        `queryset`: the list's filtered queryset, unread) the page costs the same for 3 documents or 100,000: one
        count, the first RESOLVE_ROWS documents in unknown, and a form that posts back the list's query string and
        `select_across` rather than N ids (Django refuses a POST of more than 1,000 fields)."""
        counts = unknown_counts(queryset, self.unknown_fields)
        rows = list(queryset.filter(in_unknown(self.unknown_fields))[:RESOLVE_ROWS] if across else queryset)
        query = f"?{request.GET.urlencode()}" if across and request.GET else ""
        changelist_url = reverse(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist")
        more = counts[ANY] - len(rows) if across else 0
        # When the workers will send a row again by themselves: the supervisor may simply wait (one query a field).
        notes = {field: resend_notes(self.model, field, [d.pk for d in rows]) for field in self.unknown_fields}
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _("处理结果未知的单据"),
            "documents": [{"doc": d, "state": self.state_summary(d), "resend": self._resend_note(d, notes)}
                          for d in rows],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "form_url": changelist_url + query, "select_across": across,
            "unknown_count": counts[ANY],
            "unknown_text": _("所选单据中有 %(n)s 张结果未知。") % {"n": grouped(counts[ANY])} if counts[ANY]
            else _("所选单据中没有结果未知的单据，无需处理。"),
            "more_text": _("…及其他 %(n)s 张") % {"n": grouped(more)} if more > 0 else "",
            "across_note": _("确认后在后台处理所选范围内届时仍为“结果未知”的单据，并转到任务的实时进度页面。"),
            **self.resolve_context(queryset),
        }
        return TemplateResponse(request, "admin/wdt/resolve_unknown.html", context)

    def _resend_note(self, document: Any, notes: dict[str, dict[Any, str]]) -> str:
        return " ".join(notes[field][document.pk] for field in self.unknown_fields
                        if getattr(document, field) == DocumentState.UNKNOWN and document.pk in notes[field])

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
