"""The grading checks of notebook 03: correct alternatives pass, and each typical mistake fails with its own message."""

import calendar
import math
import time
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from jose import jwt as jose_jwt

import reference_claims as reference
from autograder import claims_checks, learner_calls

KEY = reference.SECRET_KEY
DEFAULT = timedelta(minutes=15)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def lifetime(expires_delta):
    return DEFAULT if expires_delta is None else expires_delta


def reject_naive(moment):
    if moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}")


# Learner versions of numeric_date: correct alternatives first, then each named by its mistake.
def numeric_date_timegm(moment):
    reject_naive(moment)
    return calendar.timegm(moment.utctimetuple())


def numeric_date_floor(moment):
    reject_naive(moment)
    return math.floor(moment.timestamp())


def numeric_date_epoch_division(moment):
    reject_naive(moment)
    return (moment - UNIX_EPOCH) // timedelta(seconds=1)


def numeric_date_tzinfo_test(moment):
    if moment.tzinfo is None:
        raise ValueError("naive")
    return int(moment.timestamp())


def numeric_date_float(moment):
    reject_naive(moment)
    return moment.timestamp()


def numeric_date_rounds(moment):
    reject_naive(moment)
    return round(moment.timestamp())


def numeric_date_wall_clock(moment):
    reject_naive(moment)
    return calendar.timegm(moment.timetuple())


def numeric_date_mktime(moment):
    reject_naive(moment)
    return int(time.mktime(moment.utctimetuple()))


def numeric_date_accepts_naive(moment):
    return int(moment.timestamp())


def numeric_date_naive_as_utc(moment):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def numeric_date_type_error(moment):
    if moment.tzinfo is None:
        raise TypeError("naive datetime")
    return int(moment.timestamp())


def numeric_date_stub(moment):
    raise NotImplementedError()


# Learner versions of create_access_token.
def encode(claims):
    return jwt.encode(claims, KEY, algorithm="HS256")


def token_datetime_claims(data, expires_delta=None, now=reference.utc_now):
    reference.check_subject(data)
    issued_at = now()
    return encode({**data, "iat": issued_at, "exp": issued_at + lifetime(expires_delta)})


def token_float_claims(data, expires_delta=None, now=reference.utc_now):
    reference.check_subject(data)
    issued_at = now()
    return encode({**data, "iat": issued_at.timestamp(), "exp": (issued_at + lifetime(expires_delta)).timestamp()})


def token_python_jose(data, expires_delta=None, now=reference.utc_now):
    reference.check_subject(data)
    issued_at = now()
    claims = {**data, "iat": issued_at, "exp": issued_at + lifetime(expires_delta)}
    return jose_jwt.encode(claims, KEY, algorithm="HS256")


def token_ignores_clock(data, expires_delta=None, now=reference.utc_now):
    reference.check_subject(data)
    issued_at = reference.utc_now()
    return encode({**data, "iat": issued_at, "exp": issued_at + lifetime(expires_delta)})


def token_naive_now(data, expires_delta=None, now=reference.utc_now):
    reference.check_subject(data)
    issued_at = datetime.now()
    return encode({**data, "iat": issued_at, "exp": issued_at + lifetime(expires_delta)})


def token_reads_clock_twice(data, expires_delta=None, now=reference.utc_now):
    reference.check_subject(data)
    return encode({**data, "iat": now(), "exp": now() + lifetime(expires_delta)})


def token_wall_clock_iat(data, expires_delta=None, now=reference.utc_now):
    reference.check_subject(data)
    issued_at = now()
    iat = calendar.timegm(issued_at.timetuple())
    return encode({**data, "iat": iat, "exp": iat + int(lifetime(expires_delta).total_seconds())})


def token_accepts_integer_sub(data, expires_delta=None, now=reference.utc_now):
    issued_at = now()
    return encode({**data, "iat": issued_at, "exp": issued_at + lifetime(expires_delta)})


def token_converts_sub(data, expires_delta=None, now=reference.utc_now):
    claims = data.copy()
    if "sub" in claims:
        claims["sub"] = str(claims["sub"])
    issued_at = now()
    return encode({**claims, "iat": issued_at, "exp": issued_at + lifetime(expires_delta)})


def token_sub_value_error(data, expires_delta=None, now=reference.utc_now):
    if "sub" in data and not isinstance(data["sub"], str):
        raise ValueError(f"sub must be a str, got {data['sub']!r}")
    return token_datetime_claims(data, expires_delta, now)


def token_sub_error_without_value(data, expires_delta=None, now=reference.utc_now):
    if "sub" in data and not isinstance(data["sub"], str):
        raise TypeError("sub must be a string")
    return token_datetime_claims(data, expires_delta, now)


def token_requires_sub(data, expires_delta=None, now=reference.utc_now):
    if not isinstance(data["sub"], str):
        raise TypeError(f"sub must be a str, got {data['sub']!r}")
    return token_datetime_claims(data, expires_delta, now)


def token_mutates_data(data, expires_delta=None, now=reference.utc_now):
    reference.check_subject(data)
    issued_at = now()
    data["iat"] = issued_at
    data["exp"] = issued_at + lifetime(expires_delta)
    return encode(data)


def token_falsy_zero(data, expires_delta=None, now=reference.utc_now):
    reference.check_subject(data)
    issued_at = now()
    return encode({**data, "iat": issued_at, "exp": issued_at + (expires_delta or DEFAULT)})


def token_ignores_delta(data, expires_delta=None, now=reference.utc_now):
    reference.check_subject(data)
    issued_at = now()
    return encode({**data, "iat": issued_at, "exp": issued_at + DEFAULT})


def token_no_iat(data, expires_delta=None, now=reference.utc_now):
    reference.check_subject(data)
    return encode({**data, "exp": now() + lifetime(expires_delta)})


def token_without_now_parameter(data, expires_delta=None):
    return token_datetime_claims(data, expires_delta)


def token_stub(data, expires_delta=None, now=reference.utc_now):
    raise NotImplementedError()


def token_loops(data, expires_delta=None, now=reference.utc_now):
    while True:
        pass


NUMERIC_DATE_CHECKS = {
    "utc": claims_checks.check_numeric_date_utc,
    "offsets": claims_checks.check_numeric_date_offsets,
    "rejects_naive": claims_checks.check_numeric_date_rejects_naive,
}
TOKEN_CHECKS = {
    "injected_clock": claims_checks.check_token_injected_clock,
    "reads_clock_once": claims_checks.check_token_reads_clock_once,
    "real_clock": claims_checks.check_token_real_clock,
    "zero_delta": claims_checks.check_token_zero_delta,
    "subject": claims_checks.check_token_subject,
    "claims": claims_checks.check_token_claims,
}


@pytest.fixture(autouse=True)
def short_time_limit(monkeypatch):
    monkeypatch.setattr(learner_calls, "CALL_TIME_LIMIT_SECONDS", 0.5)


def assert_fails_exactly(checks, function, failures):
    """Run every check: those named in `failures` must fail with their phrase, the others must pass."""
    for name, check in checks.items():
        if name not in failures:
            check(function)
            continue
        with pytest.raises(AssertionError) as failure:
            check(function)
        assert failures[name] in str(failure.value), f"{check.__name__}: {failure.value}"


def fail_all(checks, phrase):
    return dict.fromkeys(checks, phrase)


@pytest.mark.parametrize(
    "numeric_date",
    [reference.numeric_date, numeric_date_timegm, numeric_date_floor, numeric_date_epoch_division, numeric_date_tzinfo_test],
    ids=lambda function: function.__name__,
)
@pytest.mark.parametrize("check", NUMERIC_DATE_CHECKS.values(), ids=NUMERIC_DATE_CHECKS.keys())
def test_numeric_date_check_passes_correct(check, numeric_date):
    check(numeric_date)


@pytest.mark.parametrize(
    ("numeric_date", "failures"),
    [
        (numeric_date_float, {"utc": "got the float", "offsets": "got the float"}),
        (numeric_date_rounds, {"utc": "was rounded up", "offsets": "was rounded up"}),
        (numeric_date_wall_clock, {"offsets": "timetuple() and replace(tzinfo=None) keep the wall-clock time"}),
        (numeric_date_mktime, {"utc": "time.mktime()", "offsets": "time.mktime()"}),
        (numeric_date_accepts_naive, {"rejects_naive": "reading the naive datetime as this machine's local time"}),
        (numeric_date_naive_as_utc, {"rejects_naive": "reading the naive datetime as UTC"}),
        (numeric_date_type_error, {"rejects_naive": "raised TypeError: naive datetime. Expected ValueError"}),
        (numeric_date_stub, fail_all(NUMERIC_DATE_CHECKS, "replace `raise NotImplementedError()`")),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_numeric_date_checks_name_mistake(numeric_date, failures):
    assert_fails_exactly(NUMERIC_DATE_CHECKS, numeric_date, failures)


def test_wall_clock_message_names_offset():
    with pytest.raises(AssertionError) as failure:
        claims_checks.check_numeric_date_offsets(numeric_date_wall_clock)
    message = str(failure.value)
    assert "(datetime(2025, 1, 15, 7, 0, tzinfo=timezone(timedelta(hours=-5))))" in message, message
    assert "expected 1736942400, got 1736924400, which is 5 h too early" in message, message


@pytest.mark.parametrize(
    "create",
    [reference.create_access_token, token_datetime_claims, token_float_claims, token_python_jose],
    ids=lambda function: function.__name__,
)
@pytest.mark.parametrize("check", TOKEN_CHECKS.values(), ids=TOKEN_CHECKS.keys())
def test_token_check_passes_correct(check, create):
    check(create)


NEVER_CALLED = "the function never called now()"
NAIVE_NOW = "which is what a naive datetime.now() does"
FALSY_ZERO = "Test `expires_delta is None` instead"
DELTA_IGNORED = "expires_delta seems to be ignored"
NO_IAT = "the token has no iat claim"
NO_NOW_PARAMETER = "Keep the parameter now"


@pytest.mark.parametrize(
    ("create", "failures"),
    [
        (token_ignores_clock, {"injected_clock": NEVER_CALLED}),
        (token_naive_now, {"injected_clock": NEVER_CALLED, "real_clock": NAIVE_NOW}),
        (token_reads_clock_twice, {"reads_clock_once": "now() was called 2 times"}),
        (token_wall_clock_iat, {"injected_clock": "That is this datetime's own UTC offset (- 5 h)"}),
        (token_accepts_integer_sub, {"subject": "every decode raises InvalidSubjectError"}),
        (token_converts_sub, {"subject": "The function converted the value silently"}),
        (token_sub_value_error, {"subject": "raised ValueError: sub must be a str, got 42. Expected TypeError"}),
        (token_sub_error_without_value, {"subject": "The message should name the value, 42"}),
        (token_requires_sub, {"claims": "raised KeyError: 'sub'"}),
        (token_mutates_data, {"claims": "create_access_token changed its input"}),
        (token_falsy_zero, {"zero_delta": FALSY_ZERO}),
        (token_ignores_delta, {"injected_clock": DELTA_IGNORED, "real_clock": DELTA_IGNORED, "zero_delta": FALSY_ZERO}),
        (token_no_iat, {"injected_clock": NO_IAT, "real_clock": NO_IAT, "zero_delta": NO_IAT}),
        (
            token_without_now_parameter,
            {"injected_clock": NO_NOW_PARAMETER, "reads_clock_once": NO_NOW_PARAMETER, "zero_delta": NO_NOW_PARAMETER},
        ),
        (token_stub, fail_all(TOKEN_CHECKS, "replace `raise NotImplementedError()`")),
        (token_loops, fail_all(TOKEN_CHECKS, "did not return within 0.5 s")),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_token_checks_name_mistake(create, failures):
    assert_fails_exactly(TOKEN_CHECKS, create, failures)


def test_ignored_clock_message_shows_both_times():
    with pytest.raises(AssertionError) as failure:
        claims_checks.check_token_injected_clock(token_ignores_clock)
    message = str(failure.value)
    assert "now=<clock fixed at 2025-01-15 12:00:00+00:00>" in message, message
    assert "instead of 1736942400 (2025-01-15 12:00:00 UTC)" in message, message


def test_reads_twice_message_shows_gap():
    with pytest.raises(AssertionError) as failure:
        claims_checks.check_token_reads_clock_once(token_reads_clock_twice)
    assert "exp is iat + 16 min 30 s" in str(failure.value), str(failure.value)


def test_ticking_clock_moves_per_call():
    clock = claims_checks.TickingClock(claims_checks.INSTANT, timedelta(seconds=90))

    readings = [clock(), clock(), clock()]
    assert readings[1] - readings[0] == timedelta(seconds=90), readings
    assert readings[2] - readings[0] == timedelta(seconds=180), readings
    assert clock.calls == 3, clock.calls


def test_checks_restore_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        with pytest.raises(AssertionError, match="naive datetime.now"):
            claims_checks.check_token_real_clock(token_naive_now)
        assert time.localtime().tm_gmtoff == 0, "the check must restore the caller's time zone"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 1, 15, 12, 0), "datetime(2025, 1, 15, 12, 0)"),
        (datetime(2025, 1, 15, 12, 0, 5, tzinfo=timezone.utc), "datetime(2025, 1, 15, 12, 0, 5, tzinfo=timezone.utc)"),
        (
            datetime(2025, 1, 15, 17, 30, 0, 999_999, tzinfo=claims_checks.UTC_PLUS_5_30),
            "datetime(2025, 1, 15, 17, 30, 0, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30)))",
        ),
    ],
)
def test_format_moment_reads_as_code(moment, expected):
    assert claims_checks.format_moment(moment) == expected
