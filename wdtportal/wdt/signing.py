"""Signing and timestamps for both WDT gateways, exactly as `shared/wdt-api/README.md` describes them.

Pure functions, no Django: the client signs with them and the sandbox verifies with them.
"""

import hashlib
import json
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

# 2012-01-01 00:00:00 Beijing time, the flagship gateway's epoch.
QJB_EPOCH = 1325347200


def qjb_timestamp(now: float | None = None) -> int:
    """Seconds since the flagship epoch."""
    return int(time.time() if now is None else now) - QJB_EPOCH


def enterprise_timestamp(now: float | None = None) -> int:
    """Unix seconds."""
    return int(time.time() if now is None else now)


def split_appsecret(appsecret: str) -> tuple[str, str]:
    """Split a flagship `secret:salt` at the first colon."""
    secret, sep, salt = appsecret.partition(":")
    if not sep:
        raise ValueError("flagship appsecret must be written as secret:salt")
    return secret, salt


def qjb_sign(query: Mapping[str, Any], body: str, secret: str) -> str:
    """md5(secret + k1 + v1 + ... + secret) over the query (without `sign`) plus `body`, keys sorted."""
    fields = {k: str(v) for k, v in query.items() if k != "sign"}
    fields["body"] = body
    text = secret + "".join(k + fields[k] for k in sorted(fields)) + secret
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - the vendor's algorithm


def enterprise_sign(fields: Mapping[str, Any], appsecret: str) -> str:
    """`LL-key:VVVV-value` joined by `;` for the sorted fields (without `sign`), then the appsecret; md5.

    Lengths count characters (code points), not bytes.
    """
    parts = []
    for key in sorted(k for k in fields if k != "sign"):
        value = str(fields[key])
        parts.append(f"{len(key):02d}-{key}:{len(value):04d}-{value}")
    text = ";".join(parts) + appsecret
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - the vendor's algorithm


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal):
        # Decimals travel as strings, never floats; normalise away exponent notation.
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("floats are never sent to WDT; use Decimal")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)


def dumps(value: Any) -> str:
    """Compact JSON with Chinese kept as is: the exact string that is signed and sent. Floats are refused."""
    _refuse_floats(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def form_value(value: Any) -> str:
    """A form field's value as sent and signed (enterprise gateway): a string as it is, a Decimal written out in
    full (100, never 1E+2), anything else as compact JSON (objects, lists, numbers, true/false). Floats are refused."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    return dumps(value)
