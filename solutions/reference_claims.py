"""Reference implementation for notebook 03: NumericDates and an access token with iat, exp and a str sub.

The autograder compares the learner's `numeric_date` and `create_access_token` with these.
"""

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import jwt

from reference_tokens import ACCESS_TOKEN_EXPIRE, ALGORITHM, SECRET_KEY


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime: the default clock of create_access_token."""
    return datetime.now(timezone.utc)


def numeric_date(moment: datetime) -> int:
    """Return `moment` as a NumericDate (RFC 7519): whole seconds since 1970-01-01 UTC.

    The fraction of a second is dropped, as PyJWT does with a datetime. A naive datetime names no
    instant, so it raises ValueError.
    """
    if moment.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got the naive {moment!r}. Use datetime.now(timezone.utc).")
    return int(moment.timestamp())


def check_subject(data: dict) -> None:
    """Raise TypeError when `data` has a `sub` that is not a str. A missing `sub` is fine."""
    if "sub" in data and not isinstance(data["sub"], str):
        subject = data["sub"]
        raise TypeError(f"sub must be a str, got {type(subject).__name__} {subject!r}. Pass str(user.id).")


def create_access_token(
    data: dict,
    expires_delta: timedelta | None = None,
    now: Callable[[], datetime] = utc_now,
) -> str:
    """Create an HS256 access token with the claims in `data`, plus `iat` and `exp` from one reading of `now`."""
    if expires_delta is None:
        expires_delta = ACCESS_TOKEN_EXPIRE
    check_subject(data)
    issued_at = now()
    claims = data.copy()
    claims["iat"] = numeric_date(issued_at)
    claims["exp"] = numeric_date(issued_at + expires_delta)
    return jwt.encode(claims, SECRET_KEY, algorithm=ALGORITHM)
