"""Checks for notebook 03: `numeric_date` and `create_access_token` with `iat`, `exp`, a str `sub` and a `now` clock.

Each hidden test cell calls one check. A failed check raises AssertionError with a message that
names the input, the expected and actual result, and the likely mistake. Every check runs under
each of the grading time zones, so code that reads local time gives a wrong number there.
"""

import copy
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import jwt
import reference_claims as reference
from reference_tokens import ACCESS_TOKEN_EXPIRE, ALGORITHM, SECRET_KEY

from autograder.expiry import EXP_TOLERANCE_SECONDS, describe_delta, diagnose_expiry, format_duration
from autograder.learner_calls import (
    GRADING_TIME_ZONES,
    LearnerCodeError,
    call_learner,
    describe_call,
    local_time_zone,
    utc_offset_seconds,
)
from autograder.token_checks import BYTES_HINT, CLAIM_SETS, DECODE_HINT

UTC_MINUS_5 = timezone(timedelta(hours=-5))
UTC_PLUS_5_30 = timezone(timedelta(hours=5, minutes=30))
# 2025-01-15 12:00:00 UTC, NumericDate 1736942400. The other inputs name this instant with other offsets.
INSTANT = datetime(2025, 1, 15, 12, 0, tzinfo=timezone.utc)

UTC_MOMENTS = (
    INSTANT,
    INSTANT.replace(microsecond=750_000),
    datetime(1970, 1, 1, tzinfo=timezone.utc),
    datetime(2038, 1, 19, 3, 14, 8, tzinfo=timezone.utc),
)
OFFSET_MOMENTS = (
    INSTANT.astimezone(UTC_MINUS_5),
    INSTANT.replace(microsecond=999_999).astimezone(UTC_PLUS_5_30),
    datetime(2025, 7, 1, 23, 30, tzinfo=timezone(timedelta(hours=14))),
)
NAIVE_MOMENTS = (datetime(2025, 1, 15, 12, 0), datetime(2025, 7, 15, 23, 59, 59, 500_000))

# Claims from an injected clock are exact, but a float NumericDate may carry the clock's fraction of a second.
INJECTED_TOLERANCE_SECONDS = 1
INJECTED_DELTAS = (None, timedelta(minutes=30), timedelta(days=1))
REAL_CLOCK_DELTAS = (None, timedelta(minutes=30))
# Far more than a slow call takes, so two readings of a ticking clock always give different seconds.
CLOCK_STEP = timedelta(seconds=90)
NON_STRING_SUBJECTS = (42, None)
CLAIMS_WITHOUT_SUBJECT = {"scope": "items:read", "admin": False}
# The grader reads every claim itself, so PyJWT's own claim checks are off. The signature is still verified.
DECODE_OPTIONS = {"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_sub": False, "verify_jti": False}
NOW_PARAMETER_HINT = "Keep the parameter now: Callable[[], datetime] = utc_now from the exercise's signature."


class FixedClock:
    """A `now` function that always returns one aware datetime and counts how often it is called."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        return self.moment

    def __repr__(self) -> str:
        return f"<clock fixed at {self.moment.isoformat(sep=' ')}>"


class TickingClock(FixedClock):
    """A `now` function that moves on by `step` after every call, like a real clock but faster."""

    def __init__(self, moment: datetime, step: timedelta) -> None:
        super().__init__(moment)
        self.step = step

    def __call__(self) -> datetime:
        reading = self.moment + self.calls * self.step
        self.calls += 1
        return reading

    def __repr__(self) -> str:
        step = format_duration(self.step.total_seconds()).removeprefix("+ ")
        return f"<clock starting at {self.moment.isoformat(sep=' ')}, {step} later at each call>"


# ---------------------------------------------------------------------------
# Part A: numeric_date
# ---------------------------------------------------------------------------


def check_numeric_date_utc(numeric_date: Callable) -> None:
    """Check numeric_date on aware UTC datetimes, with and without a fraction of a second."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for moment in UTC_MOMENTS:
                assert_numeric_date(numeric_date, moment, zone_name)


def check_numeric_date_offsets(numeric_date: Callable) -> None:
    """Check numeric_date on aware datetimes whose UTC offset is not zero."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for moment in OFFSET_MOMENTS:
                assert_numeric_date(numeric_date, moment, zone_name)


def check_numeric_date_rejects_naive(numeric_date: Callable) -> None:
    """Check that numeric_date raises ValueError for a naive datetime."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for moment in NAIVE_MOMENTS:
                assert_rejects_naive(numeric_date, moment, zone_name)


def assert_numeric_date(numeric_date: Callable, moment: datetime, zone_name: str) -> None:
    call = f"{describe_moment_call(numeric_date, moment)} with the local time zone at {zone_name}"
    value = call_learner(numeric_date, moment)
    expected = reference.numeric_date(moment)

    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    assert is_number, f"{call}: expected the int {expected}, got {type(value).__name__} {value!r}."
    if isinstance(value, float) and int(value) == expected:
        raise AssertionError(
            f"{call}: expected the int {expected}, got the float {value!r}. A NumericDate may have a fraction, "
            "but numeric_date returns whole seconds, as PyJWT stores a datetime: int(moment.timestamp())."
        )
    if value != expected:
        difference = value - expected
        raise AssertionError(
            f"{call}: expected {expected}, got {value!r}, {describe_error_size(difference)}. "
            f"{explain_seconds_difference(difference, moment)}"
        )


def assert_rejects_naive(numeric_date: Callable, moment: datetime, zone_name: str) -> None:
    call = f"{describe_moment_call(numeric_date, moment)} with the local time zone at {zone_name}"
    try:
        value = call_learner(numeric_date, moment)
    except LearnerCodeError as error:
        cause = error.__cause__
        if isinstance(cause, ValueError):
            return
        if cause is None:
            raise
        raise AssertionError(
            f"{call} raised {type(cause).__name__}: {cause}. Expected ValueError: the argument has the right type, "
            "datetime, and a wrong value, a datetime without a UTC offset."
        ) from None
    raise AssertionError(
        f"{call}: expected ValueError, but it returned {value!r}{describe_naive_reading(value, moment)}. "
        "A naive datetime has no UTC offset, so it names no single instant. "
        "Raise ValueError when moment.utcoffset() is None."
    )


def describe_naive_reading(value: object, moment: datetime) -> str:
    """Say whether `value` read the naive `moment` as UTC or as local time, when it did either."""
    if value == int(moment.replace(tzinfo=timezone.utc).timestamp()):
        return ", reading the naive datetime as UTC"
    if value == int(moment.timestamp()):
        return ", reading the naive datetime as this machine's local time"
    return ""


def explain_seconds_difference(difference: float, moment: datetime) -> str:
    """Name the mistake that makes a NumericDate `difference` seconds off for `moment`, when it is a common one."""
    moment_offset = moment.utcoffset().total_seconds()
    if moment_offset and abs(difference - moment_offset) < 1:
        return (
            f"That is this datetime's own UTC offset ({format_duration(moment_offset)}): timetuple() and "
            "replace(tzinfo=None) keep the wall-clock time and drop the offset. "
            "Use moment.timestamp(), or calendar.timegm(moment.utctimetuple())."
        )
    local_offset = utc_offset_seconds()
    if abs(difference + local_offset) < 1:
        return (
            f"That is this machine's UTC offset ({format_duration(local_offset)}): time.mktime() and a naive "
            "datetime's timestamp() read the wall-clock time as local time. Call timestamp() on the aware datetime."
        )
    if 0 < difference <= 1 and moment.microsecond:
        return (
            f"The {moment.microsecond / 1_000_000:g} s fraction was rounded up. "
            "Drop it, as PyJWT does: int(moment.timestamp()), not round()."
        )
    return "Count the seconds from 1970-01-01 00:00 UTC to the instant the aware datetime names."


def describe_error_size(difference: float) -> str:
    """Return 'which is 5 h too early' or 'which is 1 s too late' for a difference in seconds."""
    size = format_duration(abs(difference)).removeprefix("+ ")
    return f"which is {size} too {'early' if difference < 0 else 'late'}"


def describe_moment_call(function: Callable, moment: datetime) -> str:
    return f"{getattr(function, '__name__', 'function')}({format_moment(moment)})"


def format_moment(moment: datetime) -> str:
    """Write a datetime as a learner writes it in code, such as datetime(2025, 1, 15, 7, 0, tzinfo=...)."""
    fields = [moment.year, moment.month, moment.day, moment.hour, moment.minute]
    if moment.second or moment.microsecond:
        fields.append(moment.second)
    if moment.microsecond:
        fields.append(moment.microsecond)
    text = ", ".join(str(field) for field in fields)
    offset = moment.utcoffset()
    if offset is None:
        return f"datetime({text})"
    if not offset:
        return f"datetime({text}, tzinfo=timezone.utc)"
    return f"datetime({text}, tzinfo=timezone({format_offset(offset)}))"


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else ""
    return f"timedelta(hours={sign}{hours}, minutes={sign}{rest})" if rest else f"timedelta(hours={sign}{hours})"


# ---------------------------------------------------------------------------
# Part B: create_access_token with an injected clock
# ---------------------------------------------------------------------------


def check_token_injected_clock(create_access_token: Callable) -> None:
    """Check that iat and exp come from the `now` clock it is given, for clocks with several UTC offsets."""
    moments = (INSTANT, INSTANT.astimezone(UTC_MINUS_5), INSTANT.replace(microsecond=250_000).astimezone(UTC_PLUS_5_30))
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for moment in moments:
                for delta in INJECTED_DELTAS:
                    assert_injected_claims(create_access_token, FixedClock(moment), delta, zone_name)


def check_token_reads_clock_once(create_access_token: Callable) -> None:
    """Check that `now` is called at most once per token, with a clock that moves on between calls."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for delta in (None, timedelta(minutes=30)):
                clock = TickingClock(INSTANT, CLOCK_STEP)
                claims = create_and_decode(create_access_token, {"sub": "alice"}, delta, now=clock)
                if clock.calls <= 1:
                    continue
                call = describe_token_call(create_access_token, {"sub": "alice"}, delta, clock)
                raise AssertionError(
                    f"{call} with the local time zone at {zone_name}: now() was called {clock.calls} times, "
                    f"so iat and exp come from different moments ({describe_claim_gap(claims)}). "
                    "Call now() once, keep the moment in a variable, and derive both claims from it."
                )


def check_token_real_clock(create_access_token: Callable) -> None:
    """Check iat and exp with the default clock, under real clocks in non-UTC time zones."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for delta in REAL_CLOCK_DELTAS:
                assert_real_clock_claims(create_access_token, delta, zone_name)


def check_token_zero_delta(create_access_token: Callable) -> None:
    """Check that expires_delta=timedelta(0) gives exp == iat, not the default lifetime."""
    zone_name, posix_tz = next(iter(GRADING_TIME_ZONES.items()))
    with local_time_zone(posix_tz):
        clock = FixedClock(INSTANT)
        claims = create_and_decode(create_access_token, {"sub": "alice"}, timedelta(0), now=clock)
        call = describe_token_call(create_access_token, {"sub": "alice"}, timedelta(0), clock)
        iat = read_numeric_claim(claims, "iat", call)
        exp = read_numeric_claim(claims, "exp", call)
        problem = diagnose_lifetime(exp - iat, timedelta(0))
        assert problem is None, f"{call}: {problem}"


def check_token_subject(create_access_token: Callable) -> None:
    """Check that a str sub is kept and that a sub of another type raises TypeError naming the value."""
    for posix_tz in GRADING_TIME_ZONES.values():
        with local_time_zone(posix_tz):
            for subject in ("alice", "42"):
                claims = create_and_decode(create_access_token, {"sub": subject}, None)
                assert claims.get("sub") == subject, (
                    f"create_access_token({{'sub': {subject!r}}}): expected sub {subject!r} in the token, "
                    f"got {claims.get('sub')!r}."
                )
            for subject in NON_STRING_SUBJECTS:
                assert_rejects_subject(create_access_token, subject)


def check_token_claims(create_access_token: Callable) -> None:
    """Check that every claim in data reaches the token, with or without sub, and that data is left unchanged."""
    for posix_tz in GRADING_TIME_ZONES.values():
        with local_time_zone(posix_tz):
            for data in (*CLAIM_SETS, CLAIMS_WITHOUT_SUBJECT):
                assert_claims_copied(create_access_token, data)


def assert_injected_claims(create_access_token: Callable, clock: FixedClock, delta: timedelta | None, zone_name: str) -> None:
    data = {"sub": "alice"}
    claims = create_and_decode(create_access_token, dict(data), delta, now=clock)
    call = f"{describe_token_call(create_access_token, data, delta, clock)} with the local time zone at {zone_name}"
    expected_iat = reference.numeric_date(clock.moment)

    iat = read_numeric_claim(claims, "iat", call)
    if clock.calls == 0:
        raise AssertionError(
            f"{call}: the function never called now(), so the token has iat {iat} "
            f"({describe_numeric_date(iat)}) instead of {expected_iat} ({describe_numeric_date(expected_iat)}). "
            "Read the time from the now parameter, not from utc_now(), datetime.now() or time.time(): "
            "a test passes its own clock there."
        )
    if abs(iat - expected_iat) >= INJECTED_TOLERANCE_SECONDS:
        difference = iat - expected_iat
        raise AssertionError(
            f"{call}: expected iat {expected_iat}, got {iat!r}, {describe_error_size(difference)}. "
            f"{explain_seconds_difference(difference, clock.moment)}"
        )
    exp = read_numeric_claim(claims, "exp", call)
    problem = diagnose_lifetime(exp - expected_iat, delta)
    assert problem is None, f"{call}: {problem}"


def assert_real_clock_claims(create_access_token: Callable, delta: timedelta | None, zone_name: str) -> None:
    data = {"sub": "alice"}
    before = time.time()
    claims = create_and_decode(create_access_token, dict(data), delta)
    expected_exp = reference.numeric_date(reference.utc_now() + (ACCESS_TOKEN_EXPIRE if delta is None else delta))
    call = f"{describe_token_call(create_access_token, data, delta, None)} under a {zone_name} clock"

    exp = read_numeric_claim(claims, "exp", call)
    problem = diagnose_expiry(exp, expected_exp, delta)
    assert problem is None, f"{call}: {problem}"
    iat = read_numeric_claim(claims, "iat", call)
    difference = iat - before
    if abs(difference) <= EXP_TOLERANCE_SECONDS:
        return
    offset = utc_offset_seconds()
    summary = f"{call}: iat should be the current time, but it is now {format_duration(difference)}."
    if abs(difference - offset) <= EXP_TOLERANCE_SECONDS:
        raise AssertionError(
            f"{summary} That is off by exactly this clock's UTC offset ({format_duration(offset)}), which is what a "
            "naive datetime.now() does: PyJWT reads a naive datetime as UTC. Use the aware time that now() returns."
        )
    raise AssertionError(f"{summary} Set iat to the moment that now() returned.")


def assert_rejects_subject(create_access_token: Callable, subject: object) -> None:
    data = {"sub": subject, "scope": "items:read"}
    call = describe_call(create_access_token, (data,), {})
    try:
        token = call_learner(create_access_token, copy.deepcopy(data))
    except LearnerCodeError as error:
        cause = error.__cause__
        if cause is None:
            raise
        if not isinstance(cause, TypeError):
            raise AssertionError(
                f"{call} raised {type(cause).__name__}: {cause}. Expected TypeError, because the value has the wrong type."
            ) from None
        assert str(subject) in str(cause), (
            f"{call} raised TypeError({str(cause)!r}). The message should name the value, {subject!r}, so the caller "
            "sees what they passed, for example f'sub must be a str, got {sub!r}'."
        )
        return

    claims = decode_token(token, call)
    if claims.get("sub") == str(subject):
        raise AssertionError(
            f"{call}: expected TypeError, but the token has sub {claims['sub']!r}. The function converted the value "
            "silently. This exercise expects TypeError, because a silent str() also turns a forgotten None "
            "into the user 'None'. The caller converts: str(user.id)."
        )
    raise AssertionError(
        f"{call}: expected TypeError, but the token has sub {claims.get('sub')!r}. jwt.encode accepts a sub that "
        "is not a str, and then every decode raises InvalidSubjectError ('Subject must be a string'), "
        "so the user is locked out. Raise TypeError when sub is not a str."
    )


def assert_claims_copied(create_access_token: Callable, data: dict) -> None:
    argument = copy.deepcopy(data)
    delta = timedelta(minutes=5)
    claims = create_and_decode(create_access_token, argument, delta)
    assert argument == data, (
        f"create_access_token changed its input: before the call it was {data!r}, after it {argument!r}. "
        "Copy data first (to_encode = data.copy()) and add iat and exp to the copy."
    )
    expected = decode_token(reference.create_access_token(data, delta), "the reference create_access_token")
    for name, value in expected.items():
        if name in ("iat", "exp"):
            continue
        assert name in claims, f"create_access_token({data!r}): the claim {name!r} is missing from the token."
        assert claims[name] == value, f"create_access_token({data!r}): expected claim {name!r} = {value!r}, got {claims[name]!r}."


def diagnose_lifetime(seconds: float, delta: timedelta | None) -> str | None:
    """Return None when exp - iat is the lifetime that `delta` sets, else what went wrong and why."""
    expected = (ACCESS_TOKEN_EXPIRE if delta is None else delta).total_seconds()
    if abs(seconds - expected) < INJECTED_TOLERANCE_SECONDS:
        return None
    summary = (
        f"with {describe_delta(delta)} exp should be iat {format_duration(expected)}, "
        f"but it is iat {format_duration(seconds)}."
    )
    default = ACCESS_TOKEN_EXPIRE.total_seconds()
    if delta == timedelta(0) and abs(seconds - default) < INJECTED_TOLERANCE_SECONDS:
        return (
            f"{summary} timedelta(0) was treated as 'no delta': `if expires_delta:` and "
            "`expires_delta or ...` are false for timedelta(0). Test `expires_delta is None` instead."
        )
    if delta is not None and abs(seconds - default) < INJECTED_TOLERANCE_SECONDS:
        return f"{summary} The default was used, so expires_delta seems to be ignored."
    if delta is None:
        return f"{summary} The course has one default lifetime: 15 minutes when expires_delta is None."
    return f"{summary} exp is the moment that now() returned plus expires_delta."


def describe_claim_gap(claims: dict) -> str:
    iat, exp = claims.get("iat"), claims.get("exp")
    if not all(isinstance(value, (int, float)) for value in (iat, exp)):
        return f"iat {iat!r}, exp {exp!r}"
    return f"exp is iat {format_duration(exp - iat)}"


def describe_numeric_date(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def read_numeric_claim(claims: dict, name: str, call: str) -> float:
    """Return claim `name` as seconds, or fail with a message when it is missing or not a NumericDate."""
    assert name in claims, f"{call}: the token has no {name} claim. Add {name} to the claims before encoding."
    value = claims[name]
    if isinstance(value, str):
        raise AssertionError(
            f"{call}: {name} is the string {value!r}. Every decode that checks {name} rejects a string: "
            "put the aware datetime or its NumericDate in the claims, not str() of it."
        )
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    assert is_number, f"{call}: expected {name} as a number of seconds (NumericDate), got {value!r}."
    return value


def describe_token_call(create_access_token: Callable, data: dict, delta: timedelta | None, clock: FixedClock | None) -> str:
    args = (data,) if delta is None else (data, delta)
    kwargs = {} if clock is None else {"now": clock}
    return describe_call(create_access_token, args, kwargs)


def create_and_decode(
    create_access_token: Callable,
    data: dict,
    delta: timedelta | None,
    now: FixedClock | None = None,
) -> dict:
    """Call the learner's function, check the token's type, algorithm and signature, and return its claims."""
    args = (data,) if delta is None else (data, delta)
    kwargs = {} if now is None else {"now": now}
    call = describe_call(create_access_token, args, kwargs)
    try:
        token = call_learner(create_access_token, *args, **kwargs)
    except LearnerCodeError as error:
        cause = error.__cause__
        if isinstance(cause, AttributeError) and "decode" in str(cause):
            raise LearnerCodeError(f"{error}. {DECODE_HINT}") from None
        if isinstance(cause, TypeError) and "'now'" in str(cause):
            raise LearnerCodeError(f"{error}. {NOW_PARAMETER_HINT}") from None
        raise
    return decode_token(token, call)


def decode_token(token: object, call: str) -> dict:
    """Check a token's type, algorithm and signature, and return its claims without checking any claim."""
    if isinstance(token, bytes):
        raise AssertionError(f"{call}: expected a str, got bytes {token[:20]!r}... {BYTES_HINT}")
    assert isinstance(token, str), f"{call}: expected a str token, got {type(token).__name__} {token!r}."
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as error:
        raise AssertionError(f"{call}: returned {token[:40]!r}, which is not a JWT ({error}).") from None
    assert header.get("alg") == ALGORITHM, (
        f"{call}: expected header alg {ALGORITHM!r}, got {header.get('alg')!r}. Pass algorithm=ALGORITHM to encode."
    )
    try:
        return jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM], options=DECODE_OPTIONS)
    except jwt.InvalidSignatureError:
        raise AssertionError(
            f"{call}: the signature does not verify with the course SECRET_KEY. Sign with SECRET_KEY, not another key."
        ) from None
    except jwt.InvalidTokenError as error:
        raise AssertionError(f"{call}: the token does not decode: {type(error).__name__}: {error}.") from None
