"""Clients for WDT's two gateways, shaped like the vendor's SDKs: one generic `call`, signing in one place.

    QjbClient(base_url, sid, appkey, appsecret).call("purchase.PurchaseReturn.pending", ["CR1", "CR2"])
    EnterpriseClient(base_url, sid, appkey, appsecret).call("purchase_return_order_push.php",
                                                            purchase_return_info={...})

Retries happen only where they are safe: WDT's rate-limit refusals (not executed) and failures to connect
(never sent). Anything after the request may have reached WDT (read timeout, dropped connection, 5xx,
an answer that is not JSON, a redirect, which is never followed) is raised for the caller to hold as an
unknown outcome.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from . import signing
from .errors import (
    WdtApiError,
    WdtConfigurationError,
    WdtError,
    WdtProtocolError,
    WdtRateLimited,
    WdtRedirected,
    WdtTransportError,
    is_rate_limit_message,
)
from .timeouts import parse_timeout

Recorder = Callable[..., Any]
logger = logging.getLogger(__name__)


class Pacer(Protocol):
    """Keeps all callers of one gateway under WDT's limits (see wdtportal.wdt.pacing)."""

    def slot(self, gateway: str) -> AbstractContextManager[None]: ...

    def rate_limited(self, gateway: str) -> None: ...


class _NoPacing:
    @contextmanager
    def slot(self, gateway: str) -> Iterator[None]:
        yield

    def rate_limited(self, gateway: str) -> None:
        return None


def _never_reached(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the server: it failed while connecting."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(reason, NewConnectionError | NameResolutionError | ConnectTimeoutError)
    return False


def _failure_kind(exc: requests.RequestException) -> str:
    """What went wrong, by exception types only: the exceptions' texts quote the URL (salt, sign)."""
    if isinstance(exc, requests.ReadTimeout):
        return "read timeout"
    if isinstance(exc, requests.ConnectTimeout):
        return "connect timeout"
    inner = exc.args[0] if exc.args else None
    inner = getattr(inner, "reason", None) or inner  # urllib3's MaxRetryError wraps the actual failure
    return type(exc).__name__ + (f": {type(inner).__name__}" if isinstance(inner, BaseException) else "")


def _send(send: Callable[[], requests.Response]) -> requests.Response | WdtTransportError:
    """The response, or the WdtTransportError to raise (returned, so that it is raised free of the original)."""
    try:
        return send()
    except requests.RequestException as exc:
        reached = not _never_reached(exc)
        return WdtTransportError(
            f"no answer from WDT ({_failure_kind(exc)}); "
            + ("the request may have reached WDT" if reached else "the request was not sent"),
            may_have_reached=reached,
            timed_out=isinstance(exc, requests.Timeout),
        )


class _BaseClient:
    gateway: str = ""

    def __init__(
        self,
        base_url: str,
        sid: str,
        appkey: str,
        appsecret: str,
        *,
        timeout: str | float | tuple[float, float] = (5.0, 30.0),
        max_retries: int = 3,
        backoff: float = 0.5,
        recorder: Recorder | None = None,
        pacer: Pacer | None = None,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.sid = sid
        self.appkey = appkey
        self._appsecret = appsecret
        self.timeout = parse_timeout(timeout)
        self.max_retries = max_retries
        self.backoff = backoff
        self.recorder = recorder
        self.pacer = pacer or _NoPacing()
        self.session = session or self._new_session()

    def __repr__(self) -> str:  # never shows the secret
        return f"{type(self).__name__}(base_url={self.base_url!r}, sid={self.sid!r}, appkey={self.appkey!r})"

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = "wdtportal/1"
        return session

    def close(self) -> None:
        self.session.close()

    # --- one request, with retries where they are safe ---------------------------------------------
    def _call_with_retries(self, method: str, payload: Any, send: Callable[[], requests.Response],
                           parse: Callable[[requests.Response], Any]) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(method, payload, attempt, send, parse)
            except WdtRateLimited:
                self.pacer.rate_limited(self.gateway)
                if attempt > self.max_retries:
                    raise
            except WdtTransportError as exc:
                if exc.may_have_reached or attempt > self.max_retries:
                    raise
            # Exponential backoff with jitter, so that many workers do not retry in step.
            time.sleep(self.backoff * (2 ** (attempt - 1)) * (1 + random.random()))  # noqa: S311

    def _attempt(self, method: str, payload: Any, attempt: int, send: Callable[[], requests.Response],
                 parse: Callable[[requests.Response], Any]) -> Any:
        log: dict[str, Any] = {"request_payload": payload, "attempts": attempt}
        started = time.monotonic()
        try:
            with self.pacer.slot(self.gateway):
                response = _send(send)
            if isinstance(response, WdtTransportError):
                # Raised here, outside any handler: the exception of requests quotes the URL, whose query holds
                # the salt and the sign, so it must be neither the cause nor the context of ours.
                raise response
            log["http_status"] = response.status_code
            result = parse(response)
        except WdtError as exc:
            log.update(_log_fields_for_error(exc))
            if isinstance(exc, WdtApiError):
                # Keep the gateway's own answer (its shape differs per gateway), not a summary of it.
                log["answer"] = _json_or_none(response)
            raise
        else:
            log.update(outcome="ok", answer=_json_or_none(response))
            return result
        finally:
            log["duration_ms"] = int((time.monotonic() - started) * 1000)
            self._record(method, log)

    def _record(self, method: str, log: dict[str, Any]) -> None:
        if self.recorder is None:
            return
        try:
            self.recorder(gateway=self.gateway, method=method, **log)
        except Exception as exc:
            # The log must never replace WDT's answer (a settlement's JS number) nor break the retries. Only the
            # error's type is logged: its text may quote the payload.
            logger.warning("WDT call log: could not record a %s call to %s (%s)", self.gateway, method,
                           type(exc).__name__)

    @staticmethod
    def _json_answer(response: requests.Response) -> dict[str, Any]:
        if 300 <= response.status_code < 400:
            # Never followed: a redirect would re-send the signed request somewhere else. Its Location (and body)
            # may quote our query with the salt and sign, so only its scheme, host and path are kept.
            target = urlsplit(response.headers.get("Location", ""))
            where = urlunsplit((target.scheme, target.netloc, target.path, "", ""))
            raise WdtRedirected(
                f"WDT answered HTTP {response.status_code}, a redirect{f' to {where}' if where else ''}; "
                "it is not followed: check the gateway URL",
                http_status=response.status_code,
            )
        if response.status_code >= 500:
            raise WdtTransportError(
                f"WDT answered HTTP {response.status_code}; the request may have been executed",
                may_have_reached=True,
                http_status=response.status_code,
            )
        try:
            answer = json.loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise WdtProtocolError(
                f"WDT answered HTTP {response.status_code} with something that is not JSON",
                http_status=response.status_code,
                body=response.text[:2000],
            ) from exc
        if not isinstance(answer, dict):
            raise WdtProtocolError("WDT's answer is not a JSON object", http_status=response.status_code,
                                   body=response.text[:2000])
        return answer


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _log_fields_for_error(exc: WdtError) -> dict[str, Any]:
    if isinstance(exc, WdtRateLimited):
        return {"outcome": "rate_limited", "error_code": str(exc.code), "error_message": exc.message,
                "answer": {"code": exc.code, "message": exc.message}}
    if isinstance(exc, WdtApiError):
        return {"outcome": "refused", "error_code": str(exc.code), "error_message": exc.message,
                "answer": {"code": exc.code, "message": exc.message}}
    if isinstance(exc, WdtTransportError):
        return {"outcome": "unknown" if exc.may_have_reached else "no_answer", "error_message": exc.message}
    if isinstance(exc, WdtProtocolError):
        return {"outcome": "unknown" if exc.outcome_unknown else "no_answer", "error_message": exc.message,
                "answer_text": exc.body}
    return {"outcome": "unknown", "error_message": str(exc)}


def _refusal(code: int | str, message: str, http_status: int) -> WdtApiError:
    cls = WdtRateLimited if is_rate_limit_message(message) else WdtApiError
    return cls(code, message, http_status=http_status)


class QjbClient(_BaseClient):
    """Flagship (旗舰版) gateway: `POST {base}/openapi?...`, the positional arguments as a JSON array body."""

    gateway = "qjb"

    def __init__(self, base_url: str, sid: str, appkey: str, appsecret: str, **kwargs: Any):
        super().__init__(base_url, sid, appkey, appsecret, **kwargs)
        self._secret, self.salt = signing.split_appsecret(appsecret)

    def signed_query(self, method: str, body: str, *, now: float | None = None) -> dict[str, str]:
        query = {
            "sid": self.sid,
            "key": self.appkey,
            "salt": self.salt,
            "method": method,
            "v": "1.0",
            "timestamp": str(signing.qjb_timestamp(now)),
        }
        query["sign"] = signing.qjb_sign(query, body, self._secret)
        return query

    def call(self, method: str, *args: Any) -> Any:
        """Send `method` with `args` and return the answer's `data`."""
        body = signing.dumps(list(args))
        payload = json.loads(body)

        def send() -> requests.Response:
            # Signed per attempt: a retry after backoff needs a fresh timestamp.
            return self.session.post(
                f"{self.base_url}/openapi",
                params=self.signed_query(method, body),
                data=body.encode("utf-8"),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self.timeout,
                allow_redirects=False,
            )

        def parse(response: requests.Response) -> Any:
            answer = self._json_answer(response)
            status = answer.get("status")
            if status in (0, "0"):
                # Both methods the portal calls answer data on success (a settlement's number is in it): without
                # it the call may have been executed, but we cannot tell what came of it.
                if answer.get("data") is None:
                    raise WdtProtocolError("WDT's answer has status 0 but no data", http_status=response.status_code,
                                           body=response.text[:2000])
                return answer["data"]
            if status is None:
                raise WdtProtocolError("WDT's answer has no status", http_status=response.status_code,
                                       body=response.text[:2000])
            raise _refusal(status, str(answer.get("message", "")), response.status_code)

        return self._call_with_retries(method, payload, send, parse)


class EnterpriseClient(_BaseClient):
    """Enterprise (企业版) gateway: form-encoded `POST {base}/openapi2/{endpoint}`."""

    gateway = "enterprise"

    def signed_fields(self, fields: dict[str, Any], *, now: float | None = None) -> dict[str, str]:
        form = {k: signing.form_value(v) for k, v in fields.items()}
        form.update(sid=self.sid, appkey=self.appkey, timestamp=str(signing.enterprise_timestamp(now)))
        form["sign"] = signing.enterprise_sign(form, self._appsecret)
        return form

    def call(self, endpoint: str, **fields: Any) -> dict[str, Any]:
        """Send the business `fields` (see `signing.form_value`: dicts and lists JSON-encoded, Decimals written
        in full) and return the parsed answer."""
        payload = json.loads(signing.dumps(fields))

        def send() -> requests.Response:
            return self.session.post(
                f"{self.base_url}/openapi2/{endpoint}",
                data=self.signed_fields(fields),
                timeout=self.timeout,
                allow_redirects=False,
            )

        def parse(response: requests.Response) -> dict[str, Any]:
            answer = self._json_answer(response)
            code = answer.get("code")
            if code is None:
                raise WdtProtocolError("WDT's answer has no code", http_status=response.status_code,
                                       body=response.text[:2000])
            if str(code).strip() == "0":
                return answer
            raise _refusal(code, str(answer.get("message", "")), response.status_code)

        return self._call_with_retries(endpoint, payload, send, parse)


# --- factories -------------------------------------------------------------------------------------

def _required(name: str) -> str:
    from django.conf import settings

    value = getattr(settings, name, "")
    if not value:
        raise WdtConfigurationError(name)
    return value


def _base_url(name: str) -> str:
    from django.conf import settings

    url = getattr(settings, name, "")
    if not url and settings.WDT_SANDBOX:
        url = settings.WDT_SANDBOX_URL
    if not url:
        raise WdtConfigurationError(name, "is not set (and WDT_SANDBOX is off)")
    return url


def _common_options() -> dict[str, Any]:
    from django.conf import settings

    from .calllog import record_call
    from .pacing import get_pacer

    return {
        "timeout": settings.WDT_TIMEOUT,
        "max_retries": settings.WDT_MAX_RETRIES,
        "backoff": settings.WDT_RETRY_BACKOFF,
        "recorder": record_call,
        "pacer": get_pacer(),
    }


def qjb_client_from_settings(**overrides: Any) -> QjbClient:
    """The flagship client configured by WDT_QJB_* settings."""
    appsecret = _required("WDT_QJB_APPSECRET")
    if ":" not in appsecret:
        raise WdtConfigurationError("WDT_QJB_APPSECRET", "must be written as secret:salt")
    options = _common_options() | overrides
    return QjbClient(_base_url("WDT_QJB_URL"), _required("WDT_QJB_SID"), _required("WDT_QJB_APPKEY"),
                     appsecret, **options)


def enterprise_client_from_settings(**overrides: Any) -> EnterpriseClient:
    """The enterprise client configured by WDT_ENT_* settings."""
    options = _common_options() | overrides
    return EnterpriseClient(_base_url("WDT_ENT_URL"), _required("WDT_ENT_SID"), _required("WDT_ENT_APPKEY"),
                            _required("WDT_ENT_APPSECRET"), **options)
