"""The `WDT_TIMEOUT` setting read as (connect, read) seconds, for the client and the pacer's slot leases."""


def parse_timeout(value: str | float | tuple[float, float]) -> tuple[float, float]:
    """`"5,30"` → (connect 5 s, read 30 s); a single number is used for both."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, int | float):
        return float(value), float(value)
    parts = [float(p) for p in str(value).split(",") if p.strip()]
    if len(parts) == 1:
        return parts[0], parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise ValueError("WDT_TIMEOUT must be one number or 'connect,read'")
