"""Checks for `expiry_time` and `create_access_token`, each compared with the reference.

Each hidden test cell calls one check. A failed check raises AssertionError with a message
that names the input, the expected and actual result, and the likely mistake.
"""

import copy
from collections.abc import Callable
from datetime import datetime, timedelta

import jwt
import reference_tokens as reference

from autograder.expiry import diagnose_expiry, naive_datetime_message, numeric_date
from autograder.learner_calls import (
    GRADING_TIME_ZONES,
    LearnerCodeError,
    call_learner,
    describe_call,
    local_time_zone,
)

CUSTOM_DELTAS = (timedelta(minutes=30), timedelta(days=1), timedelta(seconds=1))
CLAIM_SETS = (
    {"sub": "alice"},
    {"sub": "42", "scope": "items:read items:write", "admin": False},
    {"sub": "bob", "roles": ["reader", "editor"], "profile": {"name": "Bob", "city": "Zürich"}},
)
BYTES_HINT = (
    "PyJWT 1.x returned bytes; PyJWT 2 returns str, so return what jwt.encode returns without .encode() or .decode()."
)
DECODE_HINT = "PyJWT 2 already returns str: remove the .decode('utf-8') copied from PyJWT 1.x code."


def check_expiry_time_default(expiry_time: Callable) -> None:
    """Check that expiry_time() is an aware datetime 15 minutes from now, in non-UTC zones."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            assert_expiry_time(expiry_time, None, zone_name)


def check_expiry_time_custom_delta(expiry_time: Callable) -> None:
    """Check that expiry_time(delta) adds the delta it is given, in non-UTC zones."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for delta in CUSTOM_DELTAS:
                assert_expiry_time(expiry_time, delta, zone_name)


def check_expiry_time_zero_delta(expiry_time: Callable) -> None:
    """Check that expiry_time(timedelta(0)) means 'expires now', not the default."""
    zone_name, posix_tz = next(iter(GRADING_TIME_ZONES.items()))
    with local_time_zone(posix_tz):
        assert_expiry_time(expiry_time, timedelta(0), zone_name)


def assert_expiry_time(expiry_time: Callable, delta: timedelta | None, zone_name: str) -> None:
    args = () if delta is None else (delta,)
    value = call_learner(expiry_time, *args)
    expected = reference.expiry_time(delta).timestamp()
    call = f"{describe_call(expiry_time, args, {})} under a {zone_name} clock"

    assert isinstance(value, datetime), f"{call}: expected a datetime, got {type(value).__name__} {value!r}."
    if value.tzinfo is None or value.utcoffset() is None:
        raise AssertionError(f"{call}: {naive_datetime_message(value, expected)}")
    problem = diagnose_expiry(value.timestamp(), expected, delta)
    assert problem is None, f"{call}: {problem}"


def check_token_signature(create_access_token: Callable) -> None:
    """Check that the token is a str, signed with HS256 and the course key, and keeps `sub`."""
    for data in CLAIM_SETS[:1]:
        claims = create_and_decode(create_access_token, copy.deepcopy(data), None)
        assert claims.get("sub") == data["sub"], (
            f"create_access_token({data!r}): expected sub {data['sub']!r} in the token, got {claims.get('sub')!r}."
        )


def check_token_default_expiry(create_access_token: Callable) -> None:
    """Check that exp is now + 15 minutes when expires_delta is None, in non-UTC zones."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            assert_token_expiry(create_access_token, {"sub": "alice"}, None, zone_name)


def check_token_custom_expiry(create_access_token: Callable) -> None:
    """Check that exp is now + expires_delta for custom and zero deltas, in non-UTC zones."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for delta in (*CUSTOM_DELTAS, timedelta(0)):
                assert_token_expiry(create_access_token, {"sub": "alice"}, delta, zone_name)


def check_token_claims(create_access_token: Callable) -> None:
    """Check that every input claim survives and that the input dict is left unchanged."""
    for data in CLAIM_SETS:
        argument = copy.deepcopy(data)
        claims = create_and_decode(create_access_token, argument, timedelta(minutes=5))
        assert argument == data, (
            f"create_access_token changed its input: before the call it was {data!r}, after it {argument!r}. "
            "Copy data first (to_encode = data.copy()) and add exp to the copy."
        )
        expected = decode_reference(reference.create_access_token(data, timedelta(minutes=5)))
        for name, value in expected.items():
            if name == "exp":
                continue
            assert name in claims, f"create_access_token({data!r}): the claim {name!r} is missing from the token."
            assert claims[name] == value, (
                f"create_access_token({data!r}): expected claim {name!r} = {value!r}, got {claims[name]!r}."
            )


def assert_token_expiry(create_access_token: Callable, data: dict, delta: timedelta | None, zone_name: str) -> None:
    claims = create_and_decode(create_access_token, copy.deepcopy(data), delta)
    expected = decode_reference(reference.create_access_token(data, delta))["exp"]
    args = (data,) if delta is None else (data, delta)
    call = f"{describe_call(create_access_token, args, {})} under a {zone_name} clock"

    assert "exp" in claims, f"{call}: the token has no exp claim, so it never expires. Add exp to the claims."
    exp = claims["exp"]
    if isinstance(exp, str):
        raise AssertionError(
            f"{call}: exp is the string {exp!r}. jwt.encode accepts it, but every decode that checks exp fails with "
            "'Expiration Time claim (exp) must be an integer'. Put the datetime itself in the claims, not str() of it."
        )
    seconds = numeric_date(exp)
    assert seconds is not None, f"{call}: expected exp as a number of seconds (NumericDate), got {exp!r}."
    problem = diagnose_expiry(seconds, expected, delta)
    assert problem is None, f"{call}: {problem}"


def create_and_decode(create_access_token: Callable, data: dict, delta: timedelta | None) -> dict:
    """Call the learner's function, check the token's type, algorithm and signature, return its claims.

    The learner's function may change `data`; callers that reuse it pass a copy.
    """
    args = (data,) if delta is None else (data, delta)
    call = describe_call(create_access_token, args, {})
    try:
        token = call_learner(create_access_token, *args)
    except LearnerCodeError as error:
        if isinstance(error.__cause__, AttributeError) and "decode" in str(error.__cause__):
            raise LearnerCodeError(f"{error}. {DECODE_HINT}") from None
        raise

    if isinstance(token, bytes):
        raise AssertionError(f"{call}: expected a str, got bytes {token[:20]!r}... {BYTES_HINT}")
    assert isinstance(token, str), f"{call}: expected a str token, got {type(token).__name__} {token!r}."
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as error:
        raise AssertionError(f"{call}: returned {token[:40]!r}, which is not a JWT ({error}).") from None
    assert header.get("alg") == reference.ALGORITHM, (
        f"{call}: expected header alg {reference.ALGORITHM!r}, got {header.get('alg')!r}. Pass algorithm=ALGORITHM to encode."
    )
    try:
        return decode_reference(token)
    except jwt.InvalidSignatureError:
        raise AssertionError(
            f"{call}: the signature does not verify with the course SECRET_KEY. Sign with SECRET_KEY, not another key."
        ) from None
    except jwt.InvalidTokenError as error:
        raise AssertionError(f"{call}: the token does not decode: {type(error).__name__}: {error}.") from None


def decode_reference(token: str) -> dict:
    """Decode a token with the course key, without the exp check, so exp can be diagnosed."""
    return jwt.decode(token, reference.SECRET_KEY, algorithms=[reference.ALGORITHM], options={"verify_exp": False})
