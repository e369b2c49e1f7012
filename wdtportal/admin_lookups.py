"""What a URL may look up in the portal's admin: only the filters a list offers, and objects by a well-formed id.

Django's admin lets a list's query string filter on any of the model's own fields with any lookup
(`?remark__regex=^(a+)+$` ran for seconds; `?remark__regex=(.*` raised a database error, a 500). `OfferedLookupsOnly`
narrows that to the parameters of the list's own filters (`list_filter`, `date_hierarchy`) and the few that the
portal's own links add (`extra_filter_parameters`, e.g. the dashboard's link to the documents WDT refused with one
message). Anything else is refused by Django as a DisallowedModelAdminLookup: a 400 page, the query never built.
Facet counts (`?_facets=1`, a COUNT per filter choice over the whole table) are switched off for the same reason.

`object_or_404` is for the admin's extra pages (`<id>/payload/`, a job's progress...): a malformed id is a 404, as
a missing one is, never a ValueError from the database layer.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.filters import EmptyFieldListFilter, ListFilter
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.db import models
from django.http import Http404, HttpRequest


def offered_parameters(model_admin: admin.ModelAdmin, request: HttpRequest | None) -> set[str]:
    """The query-string parameters the list's filters read, as Django's filter classes name them."""
    names = set(getattr(model_admin, "extra_filter_parameters", ()))
    if model_admin.date_hierarchy:
        names |= {f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")}
    for item in model_admin.get_list_filter(request):
        if isinstance(item, type) and issubclass(item, ListFilter):
            # A SimpleListFilter (or a custom ListFilter) reads its parameter_name.
            names.add(getattr(item, "parameter_name", ""))
            continue
        path, filter_class = item if isinstance(item, (list, tuple)) else (item, None)
        field = get_fields_from_path(model_admin.model, path)[-1]
        if filter_class is not None and issubclass(filter_class, EmptyFieldListFilter):
            names.add(f"{path}__isempty")
            continue
        names.add(f"{path}__isnull")
        if field.is_relation:
            names.add(f"{path}__{field.target_field.name}__exact")  # RelatedFieldListFilter
        elif isinstance(field, models.DateField):
            names |= {f"{path}__gte", f"{path}__lt"}  # DateFieldListFilter
        else:
            names |= {path, f"{path}__exact"}  # choices and booleans (__exact), any other value (the bare path)
    names.discard("")
    return names


class OfferedLookupsOnly(admin.ModelAdmin):
    """Put in front of a ModelAdmin's bases: its list accepts only the filters it shows."""

    #: Query-string parameters the portal's own links use besides the list's filters (exact matches only).
    extra_filter_parameters: tuple[str, ...] = ()
    show_facets = admin.ShowFacets.NEVER

    def lookup_allowed(self, lookup: str, value: Any, request: HttpRequest | None = None) -> bool:
        return lookup in offered_parameters(self, request)


def object_or_404(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> Any:
    """The object of an admin URL's id, through the admin's queryset; 404 when the id is missing or malformed."""
    obj = model_admin.get_object(request, unquote(object_id))
    if obj is None:
        raise Http404
    return obj
