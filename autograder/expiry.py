"""Diagnose an `exp` value: compare it with the reference and name the likely mistake."""

import time
from datetime import datetime, timedelta, timezone

from reference_tokens import ACCESS_TOKEN_EXPIRE

from autograder.learner_calls import format_argument, utc_offset_seconds

# Seconds by which a learner's exp may differ from the reference's. Both are computed within
# milliseconds of each other, and PyJWT truncates a datetime to whole seconds.
EXP_TOLERANCE_SECONDS = 2


def format_duration(seconds: float) -> str:
    """Format a signed number of seconds as '+ 4 h 30 min' or '- 15 min' for messages."""
    rest = round(abs(seconds))
    sign = "-" if seconds < 0 and rest else "+"
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs or not parts:
        parts.append(f"{secs} s")
    return f"{sign} {' '.join(parts)}"


def describe_delta(expires_delta: timedelta | None) -> str:
    """Format the expires_delta argument as a learner would read it in a message."""
    return f"expires_delta={format_argument(expires_delta)}"


def diagnose_expiry(actual: float, expected: float, expires_delta: timedelta | None) -> str | None:
    """Return None when `actual` matches `expected` (POSIX seconds), else what went wrong and why."""
    difference = actual - expected
    if abs(difference) <= EXP_TOLERANCE_SECONDS:
        return None

    now = time.time()
    # Both lifetimes derive from the intended delta, so the message reads "+ 15 min", not the
    # "+ 14 min 59 s" that the milliseconds since the call would give.
    expected_lifetime = (ACCESS_TOKEN_EXPIRE if expires_delta is None else expires_delta).total_seconds()
    summary = (
        f"with {describe_delta(expires_delta)} the expiry should be now {format_duration(expected_lifetime)}, "
        f"but it is now {format_duration(expected_lifetime + difference)}."
    )
    offset = utc_offset_seconds()
    if abs(difference - offset) <= EXP_TOLERANCE_SECONDS:
        return (
            f"{summary} That is off by exactly this clock's UTC offset ({format_duration(offset)}), "
            "which is what a naive datetime.now() does: PyJWT reads a naive datetime as UTC. "
            "Use datetime.now(timezone.utc)."
        )
    default_expiry = now + ACCESS_TOKEN_EXPIRE.total_seconds()
    if expires_delta == timedelta(0) and abs(actual - default_expiry) <= EXP_TOLERANCE_SECONDS:
        return (
            f"{summary} timedelta(0) was treated as 'no delta': `if expires_delta:` and "
            "`expires_delta or ...` are false for timedelta(0). Test `expires_delta is None` instead."
        )
    if expires_delta is not None and abs(actual - default_expiry) <= EXP_TOLERANCE_SECONDS:
        return f"{summary} The default was used, so expires_delta seems to be ignored."
    if expires_delta is None:
        return f"{summary} The course has one default lifetime: 15 minutes when expires_delta is None."
    return f"{summary} Add expires_delta to the current UTC time, nothing else."


def naive_datetime_message(value: datetime, expected: float) -> str:
    """Explain why a naive datetime is wrong, naming utcnow() or now() when it matches one."""
    as_utc = value.replace(tzinfo=timezone.utc).timestamp()
    offset = utc_offset_seconds()
    if abs(as_utc - expected) <= EXP_TOLERANCE_SECONDS:
        return (
            f"got the naive datetime {value!r}, which has the right UTC wall time but no tzinfo. "
            "datetime.utcnow() does this and is deprecated since Python 3.12. Use datetime.now(timezone.utc)."
        )
    if abs(as_utc - expected - offset) <= EXP_TOLERANCE_SECONDS:
        return (
            f"got the naive datetime {value!r}, which is local time: on this clock (UTC offset {format_duration(offset)}) "
            "it is off by that offset once a library reads it as UTC. Use datetime.now(timezone.utc)."
        )
    return f"got the naive datetime {value!r}. Return an aware datetime: datetime.now(timezone.utc) + the delta."


def numeric_date(value: object) -> float | None:
    """Return `value` as POSIX seconds if it is a valid NumericDate (RFC 7519), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
