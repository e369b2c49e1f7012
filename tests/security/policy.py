"""What every response must carry (the Content-Security-Policy) and what no page of ours may contain (inline
script or style, event-handler attributes, javascript: links), checked on the HTML as served."""

import re
from typing import Any

# <script> without src that is not a data block (type="application/json" is data, never executed).
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_PARTS = {
    "inline script": INLINE_SCRIPT,
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle=", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+=", re.I),
    "javascript: URL": re.compile(r"""(?:href|src|action)=["']?\s*javascript:""", re.I),
}


def directives(response: Any) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def assert_strict_policy(response: Any, where: str = "") -> None:
    policy = directives(response)
    where = where or getattr(response, "url", "") or "the response"
    assert policy, f"no Content-Security-Policy on {where} ({response.status_code})"
    assert policy.get("default-src") == ["'self'"], where
    assert policy.get("script-src") == ["'self'"], where
    assert policy.get("style-src") == ["'self'"], where
    assert policy.get("frame-ancestors") == ["'none'"], where
    assert policy.get("form-action") == ["'self'"], where
    assert policy.get("object-src") == ["'none'"], where
    assert not any("unsafe" in value for values in policy.values() for value in values), where


def inline_code(html: str) -> dict[str, list[str]]:
    """What a strict policy would block in this HTML, by kind (empty: nothing)."""
    found = {}
    for kind, pattern in INLINE_PARTS.items():
        hits = [match.group(0)[:120] for match in pattern.finditer(html)]
        if hits:
            found[kind] = hits
    return found
