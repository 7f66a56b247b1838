"""The grading checks: correct alternatives pass, and each typical mistake fails with its own message."""

import base64
import hashlib
import hmac
import json
import os
import time
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from jose import jwt as jose_jwt

import reference_tokens as reference
from autograder import anatomy_checks, learner_calls, token_checks

KEY = reference.SECRET_KEY
DEFAULT = timedelta(minutes=15)


def lifetime(expires_delta):
    return DEFAULT if expires_delta is None else expires_delta


# Learner versions of expiry_time: each name is the mistake it makes.
def expiry_naive_now(expires_delta=None):
    return datetime.now() + lifetime(expires_delta)


def expiry_utcnow(expires_delta=None):
    return datetime.utcnow() + lifetime(expires_delta)


def expiry_falsy_zero(expires_delta=None):
    return datetime.now(timezone.utc) + (expires_delta or DEFAULT)


def expiry_ignores_delta(expires_delta=None):
    return datetime.now(timezone.utc) + DEFAULT


def expiry_returns_timestamp(expires_delta=None):
    return time.time() + lifetime(expires_delta).total_seconds()


def expiry_aware_local(expires_delta=None):
    return datetime.now().astimezone() + lifetime(expires_delta)


# Learner versions of create_access_token.
def encode(claims, algorithm="HS256", key=KEY):
    return jwt.encode(claims, key, algorithm=algorithm)


def token_naive_now(data, expires_delta=None):
    return encode({**data, "exp": datetime.now() + lifetime(expires_delta)})


def token_mutates_data(data, expires_delta=None):
    data["exp"] = datetime.now(timezone.utc) + lifetime(expires_delta)
    return encode(data)


def token_exp_string(data, expires_delta=None):
    return encode({**data, "exp": (datetime.now(timezone.utc) + lifetime(expires_delta)).isoformat()})


def token_falsy_zero(data, expires_delta=None):
    return encode({**data, "exp": datetime.now(timezone.utc) + (expires_delta or DEFAULT)})


def token_ignores_delta(data, expires_delta=None):
    return encode({**data, "exp": datetime.now(timezone.utc) + DEFAULT})


def token_default_thirty(data, expires_delta=None):
    delta = timedelta(minutes=30) if expires_delta is None else expires_delta
    return encode({**data, "exp": datetime.now(timezone.utc) + delta})


def token_hs512(data, expires_delta=None):
    return encode({**data, "exp": datetime.now(timezone.utc) + lifetime(expires_delta)}, algorithm="HS512")


def token_other_key(data, expires_delta=None):
    return encode({**data, "exp": datetime.now(timezone.utc) + lifetime(expires_delta)}, key="another-key-of-32-bytes-or-more!!")


def token_bytes(data, expires_delta=None):
    return reference.create_access_token(data, expires_delta).encode()


def token_pyjwt1_decode(data, expires_delta=None):
    return reference.create_access_token(data, expires_delta).decode("utf-8")


def token_no_exp(data, expires_delta=None):
    return encode(dict(data))


def token_drops_claims(data, expires_delta=None):
    return encode({"sub": data["sub"], "exp": datetime.now(timezone.utc) + lifetime(expires_delta)})


def token_stub(data, expires_delta=None):
    raise NotImplementedError()


def token_loops(data, expires_delta=None):
    while True:
        pass


# Correct alternatives.
def token_python_jose(data, expires_delta=None):
    return jose_jwt.encode({**data, "exp": datetime.now(timezone.utc) + lifetime(expires_delta)}, KEY, algorithm="HS256")


def token_float_exp_with_iat(data, expires_delta=None):
    now = time.time()
    return encode({**data, "iat": int(now), "exp": now + lifetime(expires_delta).total_seconds()})


EXPIRY_CHECKS = [
    token_checks.check_expiry_time_default,
    token_checks.check_expiry_time_custom_delta,
    token_checks.check_expiry_time_zero_delta,
]
TOKEN_CHECKS = [
    token_checks.check_token_signature,
    token_checks.check_token_default_expiry,
    token_checks.check_token_custom_expiry,
    token_checks.check_token_claims,
]


@pytest.fixture(autouse=True)
def short_time_limit(monkeypatch):
    monkeypatch.setattr(learner_calls, "CALL_TIME_LIMIT_SECONDS", 0.5)


@pytest.mark.parametrize("expiry_time", [reference.expiry_time, expiry_aware_local])
@pytest.mark.parametrize("check", EXPIRY_CHECKS)
def test_expiry_check_passes_correct(check, expiry_time):
    check(expiry_time)


@pytest.mark.parametrize(
    ("expiry_time", "failing_check", "message"),
    [
        (expiry_naive_now, token_checks.check_expiry_time_default, "which is local time"),
        (expiry_utcnow, token_checks.check_expiry_time_default, "datetime.utcnow() does this"),
        (expiry_falsy_zero, token_checks.check_expiry_time_zero_delta, "Test `expires_delta is None` instead"),
        (expiry_ignores_delta, token_checks.check_expiry_time_custom_delta, "expires_delta seems to be ignored"),
        (expiry_returns_timestamp, token_checks.check_expiry_time_default, "expected a datetime, got float"),
    ],
    ids=lambda value: getattr(value, "__name__", "")[:40],
)
def test_expiry_check_names_mistake(expiry_time, failing_check, message):
    with pytest.raises(AssertionError) as failure:
        failing_check(expiry_time)
    assert message in str(failure.value)


@pytest.mark.parametrize(
    "create",
    [reference.create_access_token, reference.create_access_token_jose, token_python_jose, token_float_exp_with_iat],
)
@pytest.mark.parametrize("check", TOKEN_CHECKS)
def test_token_check_passes_correct(check, create):
    check(create)


@pytest.mark.parametrize(
    ("create", "failing_checks", "message"),
    [
        (token_naive_now, ["default_expiry", "custom_expiry"], "which is what a naive datetime.now() does"),
        (token_mutates_data, ["claims"], "create_access_token changed its input"),
        (token_exp_string, ["default_expiry", "custom_expiry"], "exp is the string"),
        (token_falsy_zero, ["custom_expiry"], "timedelta(0) was treated as 'no delta'"),
        (token_ignores_delta, ["custom_expiry"], "expires_delta seems to be ignored"),
        (token_default_thirty, ["default_expiry"], "15 minutes when expires_delta is None"),
        (token_hs512, ["signature", "default_expiry", "custom_expiry", "claims"], "expected header alg 'HS256', got 'HS512'"),
        (token_other_key, ["signature", "default_expiry", "custom_expiry", "claims"], "does not verify with the course SECRET_KEY"),
        (token_bytes, ["signature", "default_expiry", "custom_expiry", "claims"], "PyJWT 1.x returned bytes"),
        (token_pyjwt1_decode, ["signature", "default_expiry", "custom_expiry", "claims"], "remove the .decode('utf-8')"),
        (token_no_exp, ["default_expiry", "custom_expiry"], "has no exp claim"),
        (token_drops_claims, ["claims"], "is missing from the token"),
        (token_stub, ["signature", "default_expiry", "custom_expiry", "claims"], "replace `raise NotImplementedError()`"),
        (token_loops, ["signature", "default_expiry", "custom_expiry", "claims"], "did not return within 0.5 s"),
    ],
    ids=lambda value: getattr(value, "__name__", "") if callable(value) else "",
)
def test_token_checks_name_mistake(create, failing_checks, message):
    for check in TOKEN_CHECKS:
        name = check.__name__.removeprefix("check_token_")
        if name not in failing_checks:
            check(create)
            continue
        with pytest.raises(AssertionError) as failure:
            check(create)
        assert message in str(failure.value), f"{check.__name__}: {failure.value}"


def test_checks_switch_zone_from_utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        with pytest.raises(AssertionError, match="naive datetime.now"):
            token_checks.check_token_default_expiry(token_naive_now)
        assert time.localtime().tm_gmtoff == 0, "the check must restore the caller's time zone"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_grading_zones_are_not_utc():
    for posix_tz in learner_calls.GRADING_TIME_ZONES.values():
        with learner_calls.local_time_zone(posix_tz):
            assert time.localtime().tm_gmtoff != 0, posix_tz


def test_time_zone_without_offset_rejected():
    with pytest.raises(RuntimeError, match="did not change the local UTC offset"):
        with learner_calls.local_time_zone("UTC0"):
            pass
    assert os.environ.get("TZ") != "UTC0", "the previous TZ must be restored after the error"


# Notebook 01: hand-made encoding and signing.
def encode_padded(data):
    return base64.urlsafe_b64encode(data).decode()


def encode_standard_alphabet(data):
    return base64.b64encode(data).decode().rstrip("=")


def encode_returns_bytes(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def sign_hex(signing_input, key):
    return hmac.new(key, signing_input, hashlib.sha256).hexdigest()


def sign_swapped(signing_input, key):
    return reference.base64url_encode(hmac.new(signing_input, key, hashlib.sha256).digest())


def sign_sha512(signing_input, key):
    return reference.base64url_encode(hmac.new(key, signing_input, hashlib.sha512).digest())


def sign_padded(signing_input, key):
    return base64.urlsafe_b64encode(hmac.new(key, signing_input, hashlib.sha256).digest()).decode()


def build_signs_payload_only(header, payload, key):
    header_part = reference.encode_json_segment(header)
    payload_part = reference.encode_json_segment(payload)
    return f"{header_part}.{payload_part}.{reference.sign_hs256(json.dumps(payload).encode(), key)}"


def build_padded_parts(header, payload, key):
    header_part = base64.urlsafe_b64encode(json.dumps(header).encode()).decode()
    payload_part = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    signing_input = f"{header_part}.{payload_part}"
    return f"{signing_input}.{reference.sign_hs256(signing_input.encode(), key)}"


def build_pretty_json(header, payload, key):
    header_part = reference.base64url_encode(json.dumps(header, indent=2, sort_keys=True).encode())
    payload_part = reference.base64url_encode(json.dumps(payload, ensure_ascii=False).encode())
    signing_input = f"{header_part}.{payload_part}"
    return f"{signing_input}.{reference.sign_hs256(signing_input.encode(), key)}"


def test_anatomy_checks_pass_reference():
    anatomy_checks.check_base64url_encode_padding(reference.base64url_encode)
    anatomy_checks.check_base64url_encode_alphabet(reference.base64url_encode)
    anatomy_checks.check_sign_hs256(reference.sign_hs256)
    anatomy_checks.check_build_token_signature(reference.build_token)
    anatomy_checks.check_build_token_parts(reference.build_token)


def test_build_token_checks_accept_other_json_spelling():
    anatomy_checks.check_build_token_signature(build_pretty_json)
    anatomy_checks.check_build_token_parts(build_pretty_json)


@pytest.mark.parametrize(
    ("check", "function", "message"),
    [
        (anatomy_checks.check_base64url_encode_padding, encode_padded, "base64url drops the '=' padding"),
        (anatomy_checks.check_base64url_encode_alphabet, encode_standard_alphabet, "base64url uses '-' and '_'"),
        (anatomy_checks.check_base64url_encode_padding, encode_returns_bytes, "Add .decode('ascii')"),
        (anatomy_checks.check_sign_hs256, sign_hex, "That is the hex digest"),
        (anatomy_checks.check_sign_hs256, sign_swapped, "The key and the message are swapped"),
        (anatomy_checks.check_sign_hs256, sign_sha512, "check the hash function"),
        (anatomy_checks.check_sign_hs256, sign_padded, "The '=' padding must be removed"),
        (anatomy_checks.check_build_token_signature, build_signs_payload_only, "not the JSON"),
        (anatomy_checks.check_build_token_parts, build_padded_parts, "contains '=' padding"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_anatomy_check_names_mistake(check, function, message):
    with pytest.raises(AssertionError) as failure:
        check(function)
    assert message in str(failure.value)
