"""The reference implementation: RFC 7515 vector, independent verification, exact expiry."""

import copy
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import jwt
import pytest
import time_machine
from joserfc import jwt as joserfc_jwt
from jose import jwt as jose_jwt
from joserfc.jwk import OctKey

import reference_tokens as reference

RFC_HEADER_OCTETS = b'{"typ":"JWT",\r\n "alg":"HS256"}'
RFC_PAYLOAD_OCTETS = b'{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}'
RFC_HEADER = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
RFC_PAYLOAD = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
RFC_KEY_JWK_K = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
RFC_SIGNATURE = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

CREATORS = [reference.create_access_token, reference.create_access_token_jose]
# Winter and summer instants in zones west and east of UTC, and UTC itself.
FROZEN_CLOCKS = [
    datetime(2026, 1, 15, 9, 30, tzinfo=ZoneInfo("America/New_York")),
    datetime(2026, 7, 15, 9, 30, tzinfo=ZoneInfo("America/New_York")),
    datetime(2026, 1, 15, 9, 30, tzinfo=ZoneInfo("Asia/Kolkata")),
    datetime(2026, 1, 15, 9, 30, tzinfo=ZoneInfo("UTC")),
]


def decode(token: str) -> dict:
    return jwt.decode(token, reference.SECRET_KEY, algorithms=[reference.ALGORITHM])


def test_rfc_header_and_payload_encoding():
    assert reference.base64url_encode(RFC_HEADER_OCTETS) == RFC_HEADER
    assert reference.base64url_encode(RFC_PAYLOAD_OCTETS) == RFC_PAYLOAD
    assert reference.base64url_decode(RFC_PAYLOAD) == RFC_PAYLOAD_OCTETS


def test_rfc_signature_reproduced():
    key = reference.base64url_decode(RFC_KEY_JWK_K)
    assert len(key) == 64, "the RFC 7515 A.1 key is 64 bytes"
    signature = reference.sign_hs256(f"{RFC_HEADER}.{RFC_PAYLOAD}".encode("ascii"), key)
    assert signature == RFC_SIGNATURE


def test_rfc_token_verifies_in_pyjwt():
    key = reference.base64url_decode(RFC_KEY_JWK_K)
    token = f"{RFC_HEADER}.{RFC_PAYLOAD}.{RFC_SIGNATURE}"
    claims = jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}


@pytest.mark.parametrize("create", CREATORS, ids=["pyjwt", "python-jose"])
def test_token_verifies_in_joserfc(create):
    token = create({"sub": "alice", "roles": ["reader"]})
    decoded = joserfc_jwt.decode(token, OctKey.import_key(reference.SECRET_KEY), algorithms=["HS256"])
    assert decoded.header["alg"] == "HS256"
    assert decoded.claims["sub"] == "alice"
    assert decoded.claims["roles"] == ["reader"]


def test_hand_built_token_verifies_in_joserfc():
    token = reference.build_token({"alg": "HS256", "typ": "JWT"}, {"sub": "bob", "n": 1}, reference.SECRET_KEY.encode())
    decoded = joserfc_jwt.decode(token, OctKey.import_key(reference.SECRET_KEY), algorithms=["HS256"])
    assert decoded.claims == {"sub": "bob", "n": 1}


@pytest.mark.parametrize("create", CREATORS, ids=["pyjwt", "python-jose"])
@pytest.mark.parametrize("clock", FROZEN_CLOCKS, ids=lambda clock: f"{clock.tzinfo}-{clock.month}")
@pytest.mark.parametrize(
    ("expires_delta", "lifetime"),
    [(None, 900), (timedelta(minutes=30), 1800), (timedelta(0), 0), (timedelta(days=1), 86400)],
    ids=["default", "30-minutes", "zero", "one-day"],
)
def test_exp_exact_under_frozen_clock(create, clock, expires_delta, lifetime):
    with time_machine.travel(clock, tick=False):
        token = create({"sub": "alice"}, expires_delta)
        claims = jwt.decode(token, reference.SECRET_KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["exp"] == int(clock.timestamp()) + lifetime, f"exp {claims['exp']} under {clock.tzinfo}"


@pytest.mark.parametrize("create", CREATORS, ids=["pyjwt", "python-jose"])
def test_input_dict_unchanged(create):
    data = {"sub": "alice", "profile": {"name": "Alice"}, "scopes": ["a"]}
    before = copy.deepcopy(data)
    create(data, timedelta(minutes=5))
    assert data == before, "create_access_token must not add exp to the caller's dict"


@pytest.mark.parametrize("create", CREATORS, ids=["pyjwt", "python-jose"])
def test_returns_str_with_hs256_header(create):
    token = create({"sub": "alice"})
    assert isinstance(token, str)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert decode(token)["sub"] == "alice"


def test_both_libraries_sign_identically():
    claims = reference.build_claims({"sub": "alice"}, timedelta(minutes=5))
    pyjwt_token = jwt.encode(dict(claims), reference.SECRET_KEY, algorithm="HS256")
    jose_token = jose_jwt.encode(dict(claims), reference.SECRET_KEY, algorithm="HS256")
    assert pyjwt_token == jose_token


def test_expiry_time_is_aware_utc():
    value = reference.expiry_time()
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)
    assert abs((value - datetime.now(timezone.utc)).total_seconds() - 900) < 2


def test_secret_key_long_enough():
    assert len(reference.SECRET_KEY.encode()) >= 32, "HS256 keys shorter than 32 bytes trigger InsecureKeyLengthWarning"
