"""The clerk's guide (docs/用户指南.md, in Chinese) in the portal, under 帮助 in every page's header: the deployment
has no GitHub, so the portal renders the Markdown itself (Python-Markdown, the reference implementation) for whoever
is logged in, with its screenshots (docs/guide/*.png, taken by the browser story in tests/e2e)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import markdown
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

GUIDE = Path(settings.BASE_DIR, "docs", "用户指南.md")
IMAGES = Path(settings.BASE_DIR, "docs", "guide")
IMAGE_NAME = re.compile(r"[\w-]+\.png")


@lru_cache(maxsize=4)
def _rendered(modified: float) -> str:
    return markdown.markdown(GUIDE.read_text(encoding="utf-8"), extensions=["tables", "toc"], output_format="html")


def guide_html() -> SafeString:
    """The guide as HTML (rendered again only when the file changed). Our own file, not a user's: safe."""
    return mark_safe(_rendered(GUIDE.stat().st_mtime))  # noqa: S308 - the repository's own document


def help_view(request: HttpRequest, *, site: object) -> HttpResponse:
    context = {**site.each_context(request), "title": _("帮助：用户指南"), "guide": guide_html()}
    return TemplateResponse(request, "admin/help.html", context)


def guide_image(request: HttpRequest, name: str) -> FileResponse:
    """A screenshot of the guide (its Markdown links them as guide/<name>.png, beside the page)."""
    path = IMAGES / name
    if not IMAGE_NAME.fullmatch(name) or not path.is_file():
        raise Http404
    return FileResponse(path.open("rb"), content_type="image/png")
