"""Execute every fact that notebook 03 (time and registered claims) and its quiz key state.

Each test runs one claim from solutions/03-time-and-claims or its entries in solutions/quiz_key.toml
on the pinned versions (PyJWT 2.15.1, time-machine 3.6.0, Python 3.11). The notebook's cells show
most of these facts too, but a learner can edit those cells.
"""

import calendar
import math
import os
import re
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import jwt.exceptions
import pytest
import time_machine

import reference_claims as reference
from autograder.learner_calls import local_time_zone

KEY = reference.SECRET_KEY
# 2025-01-15 12:00:00 UTC and 12:15:00 UTC, the instants the notebook uses.
NOON = 1736942400
QUARTER_PAST = 1736943300
NOON_UTC = datetime(2025, 1, 15, 12, 0, tzinfo=timezone.utc)
NEW_YORK_WINTER = timezone(timedelta(hours=-5))
NO_CLAIM_CHECKS = {"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_sub": False, "verify_jti": False}


def encode(claims: dict) -> str:
    return jwt.encode(claims, KEY, algorithm="HS256")


def decode(token: str, **options: bool) -> dict:
    return jwt.decode(token, KEY, algorithms=["HS256"], options=options)


def frozen_at(seconds: float) -> time_machine.travel:
    """Freeze every clock at `seconds` since the epoch. Unlike a UTC datetime, a number leaves TZ as it is."""
    return time_machine.travel(seconds, tick=False)


# ---------------------------------------------------------------------------
# Syntax: the registered claims and what PyJWT 2.15's decode does with them
# ---------------------------------------------------------------------------


def test_notebook_instants_as_numeric_dates():
    assert NOON_UTC.timestamp() == NOON, f"2025-01-15 12:00 UTC is {NOON_UTC.timestamp()}"
    assert datetime.fromtimestamp(QUARTER_PAST, timezone.utc) == NOON_UTC + timedelta(minutes=15)


def test_encode_converts_only_time_claims():
    token = encode({"sub": "42", "iat": NOON_UTC, "nbf": NOON_UTC, "exp": NOON_UTC + timedelta(minutes=15)})
    claims = decode(token, verify_exp=False)

    assert claims == {"sub": "42", "iat": NOON, "nbf": NOON, "exp": QUARTER_PAST}, f"decoded {claims}"


def test_datetime_in_other_claim_not_converted():
    with pytest.raises(TypeError, match="not JSON serializable"):
        encode({"sub": "42", "expires": NOON_UTC})


@pytest.mark.parametrize(("seconds_after_exp", "accepted"), [(-1, True), (0, False)])
def test_exp_rejected_from_its_second(seconds_after_exp, accepted):
    token = encode({"exp": QUARTER_PAST})

    with frozen_at(QUARTER_PAST + seconds_after_exp):
        if accepted:
            assert decode(token)["exp"] == QUARTER_PAST
        else:
            with pytest.raises(jwt.ExpiredSignatureError):
                decode(token)


@pytest.mark.parametrize(("seconds_after_nbf", "accepted"), [(-1, False), (0, True)])
def test_nbf_rejected_before_its_second(seconds_after_nbf, accepted):
    token = encode({"nbf": NOON})

    with frozen_at(NOON + seconds_after_nbf):
        if accepted:
            assert decode(token)["nbf"] == NOON
        else:
            with pytest.raises(jwt.ImmatureSignatureError, match=r"not yet valid \(nbf\)"):
                decode(token)


def test_future_iat_rejected():
    token = encode({"iat": NOON + 1})

    with frozen_at(NOON):
        with pytest.raises(jwt.ImmatureSignatureError, match=r"not yet valid \(iat\)"):
            decode(token)


@pytest.mark.parametrize("subject", [42, None])
def test_encode_accepts_non_string_sub(subject):
    token = encode({"sub": subject})

    assert decode(token, verify_sub=False)["sub"] == subject, "encode changed the sub it was given"


@pytest.mark.parametrize("subject", [42, None])
def test_non_string_sub_fails_decode(subject):
    token = encode({"sub": subject})

    with pytest.raises(jwt.exceptions.InvalidSubjectError, match="Subject must be a string"):
        decode(token)


def test_invalid_subject_error_base_class():
    assert issubclass(jwt.exceptions.InvalidSubjectError, jwt.InvalidTokenError)
    assert not hasattr(jwt, "InvalidSubjectError"), "PyJWT 2.15 exports InvalidSubjectError at the top level"


def test_str_user_id_decodes():
    user_id = 42

    assert decode(encode({"sub": str(user_id)})) == {"sub": "42"}


def test_non_string_jti_fails_decode():
    token = encode({"jti": 123})

    with pytest.raises(jwt.exceptions.InvalidJTIError, match="JWT ID must be a string"):
        decode(token)
    assert issubclass(jwt.exceptions.InvalidJTIError, jwt.InvalidTokenError)


# ---------------------------------------------------------------------------
# NumericDate, aware and naive datetimes
# ---------------------------------------------------------------------------


def test_exp_fraction_number_and_datetime():
    precise = NOON_UTC.replace(microsecond=750_000)
    from_number = decode(encode({"exp": precise.timestamp()}), verify_exp=False)["exp"]
    from_datetime = decode(encode({"exp": precise}), verify_exp=False)["exp"]

    assert from_number == NOON + 0.75, f"a float exp came back as {from_number!r}"
    assert from_datetime == NOON, f"a datetime exp with .75 s came back as {from_datetime!r}"


def test_offset_datetime_names_same_instant():
    same_instant = datetime(2025, 1, 15, 7, 0, tzinfo=NEW_YORK_WINTER)

    assert same_instant == NOON_UTC
    assert int(same_instant.timestamp()) == NOON
    assert decode(encode({"exp": same_instant}), verify_exp=False)["exp"] == NOON


def test_naive_datetime_has_no_offset():
    naive = datetime(2025, 1, 15, 12, 0)

    assert naive.utcoffset() is None
    assert NOON_UTC.utcoffset() == timedelta(0)


def test_naive_timestamp_local_pyjwt_utc():
    naive = datetime(2025, 1, 15, 12, 0)
    with local_time_zone("EST+5"):
        local_reading = naive.timestamp()
        pyjwt_reading = decode(encode({"exp": naive}), verify_exp=False)["exp"]

    assert local_reading == NOON + 5 * 3600, f"timestamp() read the naive datetime as {local_reading}"
    assert pyjwt_reading == NOON, f"PyJWT read the naive datetime as {pyjwt_reading}"


@pytest.mark.parametrize("frozen", [NOON, datetime(2025, 7, 15, 12, 0, tzinfo=timezone.utc).timestamp()], ids=["winter", "summer"])
def test_posix_est5_offset(frozen):
    with local_time_zone("EST+5"), frozen_at(frozen):
        offset = time.localtime().tm_gmtoff
        zone_name = time.strftime("%Z")

    assert offset == -5 * 3600, f"EST+5 gave UTC offset {offset} s"
    assert zone_name == "EST", f"EST+5 gave the zone name {zone_name!r}"


def test_naive_now_born_expired_west():
    with local_time_zone("EST+5"):
        token = encode({"sub": "42", "exp": datetime.now() + timedelta(minutes=30)})
        with pytest.raises(jwt.ExpiredSignatureError):
            decode(token)


def test_naive_iat_not_yet_valid_east():
    with local_time_zone("IST-5:30"):
        token = encode({"sub": "42", "iat": datetime.now(), "exp": datetime.now() + timedelta(minutes=30)})
        with pytest.raises(jwt.ImmatureSignatureError, match=r"The token is not yet valid \(iat\)"):
            decode(token)


def test_naive_now_right_in_utc():
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "UTC0"
    time.tzset()
    try:
        token = encode({"sub": "42", "iat": datetime.now(), "exp": datetime.now() + timedelta(minutes=30)})
        claims = decode(token)
    finally:
        if previous is None:
            os.environ.pop("TZ")
        else:
            os.environ["TZ"] = previous
        time.tzset()

    assert abs(claims["exp"] - time.time() - 1800) < 2, "on a UTC machine the naive token should look right"


def test_aware_now_right_in_every_zone():
    for posix_tz in ("EST+5", "IST-5:30"):
        with local_time_zone(posix_tz):
            claims = decode(encode({"sub": "42", "iat": reference.utc_now(), "exp": reference.utc_now() + timedelta(minutes=30)}))

        assert abs(claims["exp"] - time.time() - 1800) < 2, f"TZ={posix_tz}: exp is {claims['exp'] - time.time()} s away"


def test_timetuple_drops_offset():
    same_instant = datetime(2025, 1, 15, 7, 0, tzinfo=NEW_YORK_WINTER)

    assert calendar.timegm(same_instant.timetuple()) == NOON - 5 * 3600, "timetuple() kept the offset"
    assert calendar.timegm(same_instant.utctimetuple()) == NOON
    assert calendar.timegm(NOON_UTC.timetuple()) == NOON, "timetuple() is right for a UTC datetime"


def test_timedelta_zero_false_not_none():
    assert bool(timedelta(0)) is False
    assert timedelta(0) is not None


# ---------------------------------------------------------------------------
# jti and reading the clock
# ---------------------------------------------------------------------------


def test_uuid4_hex_has_122_random_bits():
    value = uuid.uuid4()

    assert re.fullmatch(r"[0-9a-f]{32}", value.hex), value.hex
    assert value.version == 4, "the version takes 4 of the 128 bits"
    assert value.variant == uuid.RFC_4122, "the variant takes 2 more, leaving 122 random bits"


def test_token_urlsafe_16_is_22_characters():
    value = secrets.token_urlsafe(16)

    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", value), value
    assert len(jwt.utils.base64url_decode(value)) == 16, "token_urlsafe(16) should carry 16 random bytes"


def test_timestamp_jti_shared_within_second():
    with time_machine.travel(NOON + 0.1, tick=False) as traveller:
        first = str(int(time.time()))
        traveller.shift(0.8)
        second = str(int(time.time()))

    assert first == second, "two tokens made in the same second got different timestamp ids"


def test_two_clock_readings_can_differ_by_second():
    with time_machine.travel(NOON + 0.9995, tick=True):
        first = reference.numeric_date(reference.utc_now())
        time.sleep(0.01)
        second = reference.numeric_date(reference.utc_now())

    assert second == first + 1, f"readings {first} and {second} should straddle a second"


def test_1000_random_ids_collide_within_dozens():
    # The birthday bound: the chance that 40 draws from 1000 values are all different.
    all_different = math.prod((1000 - drawn) / 1000 for drawn in range(40))

    assert all_different < 0.5, f"40 ids from 1000 values are all different with probability {all_different:.2f}"


# ---------------------------------------------------------------------------
# Controlling the clock: an injected now and time-machine
# ---------------------------------------------------------------------------


def test_travel_to_seconds_freezes_every_clock():
    with frozen_at(NOON):
        assert time.time() == NOON
        assert datetime.now(timezone.utc) == NOON_UTC
        assert reference.utc_now() == NOON_UTC

    assert time.time() > NOON + 365 * 86400, "time-machine should restore the real clock after the block"


def test_travel_shift_expires_token():
    with frozen_at(NOON) as traveller:
        token = encode({"sub": "42", "exp": reference.utc_now() + timedelta(minutes=15)})
        assert decode(token)["exp"] == QUARTER_PAST
        traveller.shift(timedelta(minutes=15))
        with pytest.raises(jwt.ExpiredSignatureError):
            decode(token)


def test_travel_to_utc_datetime_sets_tz_utc():
    with local_time_zone("EST+5"):
        with time_machine.travel(NOON_UTC, tick=False):
            tz_inside = os.environ.get("TZ")
            offset_inside = time.localtime().tm_gmtoff
        tz_after = os.environ.get("TZ")

    assert tz_inside == "UTC", f"TZ inside the travel block was {tz_inside!r}"
    assert offset_inside == 0, f"the local UTC offset inside was {offset_inside}"
    assert tz_after == "EST+5", f"time-machine did not restore TZ: {tz_after!r}"


def test_travel_to_seconds_keeps_tz():
    with local_time_zone("EST+5"):
        with frozen_at(NOON):
            tz_inside = os.environ.get("TZ")

    assert tz_inside == "EST+5", f"TZ inside the travel block was {tz_inside!r}"


def naive_quarter_past_exp() -> int:
    token = encode({"exp": datetime.now() + timedelta(minutes=15)})
    return decode(token, verify_exp=False)["exp"]


def test_utc_travel_hides_naive_bug():
    with local_time_zone("EST+5"), time_machine.travel(NOON_UTC, tick=False):
        exp = naive_quarter_past_exp()

    assert exp == QUARTER_PAST, "the quiz's test should pass although the code uses naive now()"


def test_seconds_travel_shows_naive_bug():
    with local_time_zone("EST+5"), frozen_at(NOON):
        exp = naive_quarter_past_exp()

    assert exp == QUARTER_PAST - 5 * 3600, f"exp should be 5 h early, got {exp - QUARTER_PAST} s"


def test_time_machine_accepts_aware_datetime():
    with time_machine.travel(datetime(2025, 1, 15, 7, 0, tzinfo=NEW_YORK_WINTER), tick=False):
        assert time.time() == NOON


def test_reference_reads_injected_clock_once():
    readings = []

    def counting_clock() -> datetime:
        readings.append(NOON_UTC + timedelta(minutes=len(readings)))
        return readings[-1]

    claims = decode(reference.create_access_token({"sub": "42"}, now=counting_clock), verify_exp=False)
    assert len(readings) == 1, f"the reference called now() {len(readings)} times"
    assert (claims["iat"], claims["exp"]) == (NOON, QUARTER_PAST), claims


# ---------------------------------------------------------------------------
# Quiz answers
# ---------------------------------------------------------------------------


def test_user_object_sub_fails_encode():
    class User:
        id = 42

    with pytest.raises(TypeError, match="not JSON serializable"):
        encode({"sub": User()})


def test_payload_readable_without_key():
    token = encode({"sub": "42", "hashed_password": "$argon2id$v=19$example"})
    claims = jwt.decode(token, options={"verify_signature": False})

    assert claims["hashed_password"] == "$argon2id$v=19$example", "the payload should be readable without the key"


@pytest.mark.parametrize("exp", ["2025-01-15T12:15:00.5Z", "1736943300.5"])
def test_string_exp_fails_decode(exp):
    token = encode({"exp": exp})

    with pytest.raises(jwt.DecodeError, match=r"Expiration Time claim \(exp\) must be an integer"):
        decode(token)


def test_fractional_exp_decodes():
    with frozen_at(QUARTER_PAST - 60):
        claims = decode(encode({"exp": QUARTER_PAST + 0.5}))

    assert claims["exp"] == QUARTER_PAST + 0.5
    assert datetime.fromtimestamp(claims["exp"], timezone.utc) == NOON_UTC + timedelta(minutes=15, milliseconds=500)


def test_millisecond_exp_read_as_seconds():
    milliseconds = QUARTER_PAST * 1000
    claims = decode(encode({"exp": milliseconds}))
    years_ahead = (claims["exp"] - time.time()) / (365.25 * 86400)

    assert claims["exp"] == milliseconds, "PyJWT changed a millisecond exp"
    assert 10_000 < years_ahead < 100_000, f"a millisecond exp lies {years_ahead:.0f} years ahead"


def test_no_claims_are_required_by_default():
    assert decode(encode({"purpose": "demo"}), **NO_CLAIM_CHECKS) == {"purpose": "demo"}
    assert decode(encode({"purpose": "demo"})) == {"purpose": "demo"}, "PyJWT required a claim by default"
