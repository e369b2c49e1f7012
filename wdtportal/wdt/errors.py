"""Typed errors of the WDT client.

`WdtApiError` and its subclass `WdtRateLimited` mean the gateway answered and said no; `WdtTransportError`
means there was no answer, and says whether the request may have reached WDT; `WdtProtocolError` means
an answer came that is not the documented JSON.
"""

# The vendor's rate-limiter messages (flagship status 100): the request was refused, not executed.
RATE_LIMIT_MESSAGES = (
    "超过每分钟最大调用频率限制，请稍后重试",
    "超过每分钟最大并发次数限制，请稍后重试",
)
# Their common start: also taken for the rate limiter when worded otherwise (punctuation, a number, no suffix).
RATE_LIMIT_PREFIX = "超过每分钟最大"


def is_rate_limit_message(message: str) -> bool:
    """Whether a refusal's message is the rate limiter's (refused, not executed: safe to retry)."""
    message = message.strip()
    return message in RATE_LIMIT_MESSAGES or message.startswith(RATE_LIMIT_PREFIX)


class WdtError(Exception):
    """Base of every error the client raises."""

    #: True when WDT may have executed the request although we did not get a clear answer.
    outcome_unknown = False


class WdtApiError(WdtError):
    """The gateway answered and refused the request. `message` is WDT's own text, kept verbatim."""

    def __init__(self, code: int | str, message: str, *, http_status: int | None = None):
        self.code = code
        self.message = message
        self.http_status = http_status
        super().__init__(f"WDT refused the request ({code}): {message}")


class WdtRateLimited(WdtApiError):
    """WDT's rate limiter refused the request; it was not executed, so it is safe to retry later."""


class WdtTransportError(WdtError):
    """No answer. `may_have_reached` tells whether WDT may have received (and executed) the request; `timed_out`:
    the client gave up waiting (rather than the connection breaking)."""

    def __init__(self, message: str, *, may_have_reached: bool, http_status: int | None = None,
                 timed_out: bool = False):
        self.message = message
        self.may_have_reached = may_have_reached
        self.http_status = http_status
        self.timed_out = timed_out
        super().__init__(message)

    @property
    def outcome_unknown(self) -> bool:  # type: ignore[override]
        return self.may_have_reached


class WdtProtocolError(WdtError):
    """An answer that is not the documented JSON (an HTML error page, a proxy's text...)."""

    outcome_unknown = True

    def __init__(self, message: str, *, http_status: int | None = None, body: str = ""):
        self.message = message
        self.http_status = http_status
        self.body = body
        super().__init__(message)


class WdtRedirected(WdtProtocolError):
    """WDT's address answered with a redirect, which the client never follows: the request was not executed
    (a gateway URL to correct, e.g. http:// where the server wants https://)."""

    outcome_unknown = False


class WdtConfigurationError(WdtError):
    """A gateway setting is missing or malformed; `setting` names it."""

    def __init__(self, setting: str, problem: str = "is not set"):
        self.setting = setting
        super().__init__(f"{setting} {problem}")
