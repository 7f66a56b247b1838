"""Execute every fact that the two course notebooks and the quiz key state.

Each test executes one claim from solutions/01-jwt-anatomy, solutions/02-create-access-token
or solutions/quiz_key.toml on the pinned versions (PyJWT 2.15.1, python-jose 3.5.0,
joserfc 1.8.0, FastAPI 0.163.2, time-machine 3.6.0, Python 3.11).
"""

import asyncio
import base64
import binascii
import calendar
import hashlib
import hmac
import importlib.metadata
import json
import os
import secrets
import sys
import time
import urllib.parse
import warnings
from datetime import datetime, timedelta, timezone

import jose
import jose.jwt
import joserfc.errors
import joserfc.jwt
import jwt
import jwt.algorithms
import jwt.warnings
import pytest
import time_machine
from fastapi import HTTPException
from fastapi.security import OAuth2PasswordBearer
from joserfc.jwk import OctKey
from starlette.requests import Request

# The public course key from both notebooks: 64 ASCII characters, so 64 bytes as an HMAC key.
COURSE_KEY = "67e403e7b939f1026d50e8d906764037770ffb78e0bdb0e1386867a892f552df"

# RFC 7515, Appendix A.1: the JWS header octets, both encoded parts, the JWK "k" value and the signature.
RFC_HEADER_OCTETS = b'{"typ":"JWT",\r\n "alg":"HS256"}'
RFC_HEADER = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
RFC_PAYLOAD = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
RFC_JWK_K = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
RFC_SIGNATURE = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CLAIMS = {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}

BASE64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# Fixed instants for frozen clocks: New York is UTC-5 on the first and UTC-4 on the second.
WINTER_INSTANT = datetime(2025, 1, 15, 12, 0, tzinfo=timezone.utc)
SUMMER_INSTANT = datetime(2025, 7, 15, 12, 0, tzinfo=timezone.utc)


def base64url_unpadded(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def base64url_decode_part(part: str) -> bytes:
    """Decode one token part after restoring the '=' padding that a JWT leaves out."""
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def sign_hs256_by_hand(header_part: str, payload_part: str, key: bytes) -> str:
    """Return `header.payload.signature` with an HS256 signature over the two given parts."""
    signing_input = f"{header_part}.{payload_part}"
    digest = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{base64url_unpadded(digest)}"


def replace_character(part: str, index: int, character: str) -> str:
    return part[:index] + character + part[index + 1:]


def frozen_clock(instant: datetime) -> time_machine.travel:
    """Freeze the clock at `instant` without touching TZ.

    time-machine 3.6 sets TZ=UTC while it travels to a UTC-aware datetime, which would undo the
    zone a test sets, so the destination is given as seconds since the epoch instead.
    """
    return time_machine.travel(instant.timestamp(), tick=False)


@pytest.fixture
def local_zone():
    """Yield a function that switches this process's local time zone, and restore TZ afterwards."""
    original_tz = os.environ.get("TZ")

    def switch(zone_name: str) -> None:
        os.environ["TZ"] = zone_name
        time.tzset()
        # An unknown zone name leaves the process on UTC without an error.
        assert zone_name == "UTC" or time.timezone != 0, f"TZ={zone_name} had no effect: is tzdata installed?"

    try:
        yield switch
    finally:
        if original_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = original_tz
        time.tzset()


def captured_warnings(action) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return caught


def minutes_until_exp(claims: dict) -> float:
    return (claims["exp"] - time.time()) / 60


# ---------------------------------------------------------------------------
# 01-jwt-anatomy: the three parts, base64url and the HS256 signature
# ---------------------------------------------------------------------------


def test_token_is_three_dotted_parts():
    token = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256")
    parts = token.split(".")

    assert len(parts) == 3, f"expected header.payload.signature, got {len(parts)} parts in {token!r}"
    for part in parts:
        assert part, f"expected three non-empty parts in {token!r}"
        assert set(part) <= set(BASE64URL_ALPHABET), f"part {part!r} has characters outside base64url"


def test_header_names_hs256_and_jwt():
    token = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256")
    header = json.loads(base64url_decode_part(token.split(".")[0]))

    assert header == {"alg": "HS256", "typ": "JWT"}, f"unexpected PyJWT header {header}"


def test_payload_readable_without_key():
    token = jwt.encode({"sub": "alice", "role": "admin"}, COURSE_KEY, algorithm="HS256")
    payload = json.loads(base64url_decode_part(token.split(".")[1]))

    assert payload == {"sub": "alice", "role": "admin"}, f"base64url decoding alone gave {payload}"


def test_signature_is_hmac_of_signing_input():
    token = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256")
    header_part, payload_part, signature_part = token.split(".")
    signing_input = f"{header_part}.{payload_part}".encode("ascii")
    digest = hmac.new(COURSE_KEY.encode(), signing_input, hashlib.sha256).digest()

    assert base64url_unpadded(digest) == signature_part, "the signature is not HMAC-SHA256 over 'header.payload'"


def test_signature_is_digest_not_hexdigest():
    token = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256")
    header_part, payload_part, signature_part = token.split(".")
    mac = hmac.new(COURSE_KEY.encode(), f"{header_part}.{payload_part}".encode("ascii"), hashlib.sha256)

    assert len(signature_part) == 43, f"32 bytes give 43 unpadded base64url characters, got {len(signature_part)}"
    assert base64url_decode_part(signature_part) == mac.digest(), "the signature part is not the raw digest"
    assert base64url_unpadded(mac.hexdigest().encode()) != signature_part, "the signature part matched the hexdigest"


def test_hmac_sha256_sizes():
    mac = hmac.new(COURSE_KEY.encode(), b"header.payload", hashlib.sha256)

    assert len(mac.digest()) == 32, f"expected a 32-byte digest, got {len(mac.digest())}"
    assert len(mac.hexdigest()) == 64, f"expected 64 hex characters, got {len(mac.hexdigest())}"


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"a", b"YQ=="), (b"ab", b"YWI="), (b"abc", b"YWJj"), (b"abcd", b"YWJjZA==")],
)
def test_urlsafe_b64encode_pads_bytes(data, expected):
    encoded = base64.urlsafe_b64encode(data)

    assert isinstance(encoded, bytes), f"urlsafe_b64encode returned {type(encoded).__name__}, not bytes"
    assert encoded == expected, f"urlsafe_b64encode({data!r}): expected {expected!r}, got {encoded!r}"
    assert len(encoded) == 4 * -(-len(data) // 3), f"every 3 input bytes should give 4 characters, got {encoded!r}"


def test_base64_and_base64url_alphabets():
    standard = base64.b64encode(b"\xfb\xff\xfe")
    url_safe = base64.urlsafe_b64encode(b"\xfb\xff\xfe")

    assert standard == b"+//+", f"base64 of fb ff fe: expected b'+//+', got {standard!r}"
    assert url_safe == b"-__-", f"base64url of fb ff fe: expected b'-__-', got {url_safe!r}"


@pytest.mark.parametrize("data", [b"a", b"ab", b'{"sub":"bob"}'])
def test_unpadded_part_needs_padding(data):
    unpadded = base64url_unpadded(data)

    with pytest.raises(binascii.Error, match="padding"):
        base64.urlsafe_b64decode(unpadded)
    assert base64url_decode_part(unpadded) == data, f"restoring the padding did not decode {unpadded!r} to {data!r}"


def test_pyjwt_token_has_no_padding():
    # {"sub":"bob"} is 13 bytes, which standard base64 pads with two '=' characters.
    token = jwt.encode({"sub": "bob"}, COURSE_KEY, algorithm="HS256")

    assert len(json.dumps({"sub": "bob"}, separators=(",", ":"))) % 3 != 0, "the payload needs no padding"
    assert "=" not in token, f"expected no '=' padding in {token!r}"


def test_compact_json_separators():
    claims = {"sub": "alice", "scopes": ["read", "write"]}

    assert json.dumps(claims, separators=(",", ":")) == '{"sub":"alice","scopes":["read","write"]}'
    assert json.dumps(claims) == '{"sub": "alice", "scopes": ["read", "write"]}', "default json.dumps adds spaces"


def test_base64url_token_safe_in_url():
    token = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256")
    query = urllib.parse.parse_qs("token=" + token)

    assert urllib.parse.quote(token, safe="") == token, "percent-encoding changed a base64url token"
    assert query["token"] == [token], f"a query string gave back {query['token']}, not the token"
    for character in "+/=":
        assert urllib.parse.quote(character, safe="") != character, f"{character!r} should need escaping in a URL"


def test_plus_becomes_space_in_query():
    query = urllib.parse.parse_qs("token=ab+cd")

    assert query["token"] == ["ab cd"], f"a '+' in a query string should read as a space, got {query['token']}"


def test_pyjwt_rejects_standard_base64_alphabet():
    # {"n":"???>>>"} encodes to a standard base64 payload that contains '/' and '+'.
    header_part = base64.b64encode(b'{"alg":"HS256","typ":"JWT"}').decode()
    payload_part = base64.b64encode(b'{"n":"???>>>"}').decode()
    token = sign_hs256_by_hand(header_part, payload_part, COURSE_KEY.encode())

    assert "/" in payload_part, f"expected a '/' in {payload_part!r}"
    assert "+" in payload_part, f"expected a '+' in {payload_part!r}"
    with pytest.raises(jwt.DecodeError, match="Invalid payload padding"):
        jwt.decode(token, COURSE_KEY, algorithms=["HS256"])


def test_joserfc_rejects_padded_parts():
    header_part = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode()
    payload_part = base64.urlsafe_b64encode(b'{"sub":"bob"}').decode()
    token = sign_hs256_by_hand(header_part, payload_part, COURSE_KEY.encode())

    assert payload_part.endswith("=="), f"expected a padded payload part, got {payload_part!r}"
    with pytest.raises(joserfc.errors.DecodeError):
        joserfc.jwt.decode(token, OctKey.import_key(COURSE_KEY))


def test_rfc7515_header_encoding():
    assert base64url_unpadded(RFC_HEADER_OCTETS) == RFC_HEADER, "base64url of the RFC header octets differs"


def test_rfc7515_key_needs_padding():
    with pytest.raises(binascii.Error, match="padding"):
        base64.urlsafe_b64decode(RFC_JWK_K)
    key = base64.urlsafe_b64decode(RFC_JWK_K + "==")

    assert len(key) == 64, f"the RFC 7515 A.1 key should be 64 bytes, got {len(key)}"


def test_rfc7515_signature_by_hand():
    key = base64url_decode_part(RFC_JWK_K)
    token = sign_hs256_by_hand(RFC_HEADER, RFC_PAYLOAD, key)

    assert token.split(".")[2] == RFC_SIGNATURE, f"expected the RFC signature, got {token.split('.')[2]!r}"


def test_rfc7515_signature_by_pyjwt():
    key = base64url_decode_part(RFC_JWK_K)
    algorithm = jwt.algorithms.HMACAlgorithm(jwt.algorithms.HMACAlgorithm.SHA256)
    signature = algorithm.sign(f"{RFC_HEADER}.{RFC_PAYLOAD}".encode("ascii"), key)

    assert base64url_unpadded(signature) == RFC_SIGNATURE, "PyJWT's HS256 did not reproduce the RFC signature"


def test_rfc7515_payload_expired_in_2011():
    claims = json.loads(base64url_decode_part(RFC_PAYLOAD))
    expiry = datetime.fromtimestamp(claims["exp"], timezone.utc)

    assert claims == RFC_CLAIMS, f"unexpected RFC 7515 A.1 claims {claims}"
    assert expiry == datetime(2011, 3, 22, 18, 43, tzinfo=timezone.utc), f"exp is {expiry}"


def test_rfc7515_token_needs_verify_exp_off():
    key = base64url_decode_part(RFC_JWK_K)
    token = f"{RFC_HEADER}.{RFC_PAYLOAD}.{RFC_SIGNATURE}"

    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, key, algorithms=["HS256"])
    claims = jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == RFC_CLAIMS, f"PyJWT decoded the RFC token to {claims}"


def test_key_order_changes_string_not_claims():
    first = jwt.encode({"sub": "alice", "admin": False}, COURSE_KEY, algorithm="HS256")
    second = jwt.encode({"admin": False, "sub": "alice"}, COURSE_KEY, algorithm="HS256")

    assert first != second, "two key orders gave the same token string"
    first_claims = jwt.decode(first, COURSE_KEY, algorithms=["HS256"])
    second_claims = jwt.decode(second, COURSE_KEY, algorithms=["HS256"])
    assert first_claims == second_claims, f"decoded claims differ: {first_claims} and {second_claims}"


def test_json_spacing_changes_string_not_claims():
    claims = {"sub": "alice", "admin": False}
    header_part = base64url_unpadded(b'{"alg":"HS256","typ":"JWT"}')
    compact_json = json.dumps(claims, separators=(",", ":")).encode()
    spaced_json = json.dumps(claims, indent=2).encode()
    compact = sign_hs256_by_hand(header_part, base64url_unpadded(compact_json), COURSE_KEY.encode())
    spaced = sign_hs256_by_hand(header_part, base64url_unpadded(spaced_json), COURSE_KEY.encode())

    assert compact != spaced, "two JSON spellings gave the same token string"
    assert jwt.decode(compact, COURSE_KEY, algorithms=["HS256"]) == claims, "the compact token did not decode"
    assert jwt.decode(spaced, COURSE_KEY, algorithms=["HS256"]) == claims, "the spaced token did not decode"


def test_middle_character_change_breaks_signature():
    token = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256")
    header_part, payload_part, signature_part = token.split(".")
    middle = len(payload_part) // 2
    swapped = "A" if payload_part[middle] != "A" else "B"
    forged = ".".join([header_part, replace_character(payload_part, middle, swapped), signature_part])

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, COURSE_KEY, algorithms=["HS256"])


def test_changed_header_breaks_signature():
    token = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256")
    _, payload_part, signature_part = token.split(".")
    other_header = base64url_unpadded(b'{"alg":"HS256","typ":"JWT","kid":"other"}')

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{other_header}.{payload_part}.{signature_part}", COURSE_KEY, algorithms=["HS256"])


def flip_unused_bit(part: str) -> str:
    """Change the last character of `part` in a bit that base64 decoding discards."""
    last_index = BASE64URL_ALPHABET.index(part[-1])
    return replace_character(part, len(part) - 1, BASE64URL_ALPHABET[last_index ^ 1])


def tokens_with_changed_last_character() -> dict[str, tuple[str, str, str]]:
    """Map part name to (original part, changed part, token with the change) for a fresh token."""
    # {"sub":"bob"} is 13 bytes, so its payload part ends in a character with 4 unused bits,
    # and every 32-byte signature part ends in one with 2 unused bits.
    token = jwt.encode({"sub": "bob"}, COURSE_KEY, algorithm="HS256")
    header_part, payload_part, signature_part = token.split(".")
    changed_payload = flip_unused_bit(payload_part)
    changed_signature = flip_unused_bit(signature_part)
    return {
        "payload": (payload_part, changed_payload, f"{header_part}.{changed_payload}.{signature_part}"),
        "signature": (signature_part, changed_signature, f"{header_part}.{payload_part}.{changed_signature}"),
    }


@pytest.mark.parametrize("part_name", ["payload", "signature"])
def test_last_character_unused_bits(part_name):
    original, changed, _ = tokens_with_changed_last_character()[part_name]

    assert changed != original, "the changed part equals the original"
    assert base64url_decode_part(changed) == base64url_decode_part(original), (
        f"Python's base64 decoded the changed {part_name} part to different bytes"
    )


@pytest.mark.parametrize(("part_name", "message"), [("payload", "Invalid payload padding"), ("signature", "Invalid crypto padding")])
def test_pyjwt_rejects_changed_last_character(part_name, message):
    _, _, token = tokens_with_changed_last_character()[part_name]

    with pytest.raises(jwt.DecodeError, match=message):
        jwt.decode(token, COURSE_KEY, algorithms=["HS256"])


def test_hs256_key_signs_and_verifies():
    # A second service that only verifies tokens has the same key, so it can also mint one.
    minted_by_verifier = jwt.encode({"sub": "mallory", "admin": True}, COURSE_KEY.encode(), algorithm="HS256")

    claims = jwt.decode(minted_by_verifier, COURSE_KEY, algorithms=["HS256"])
    assert claims == {"sub": "mallory", "admin": True}, f"a token signed with the shared key decoded to {claims}"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(minted_by_verifier, secrets.token_hex(32), algorithms=["HS256"])


# ---------------------------------------------------------------------------
# 02-create-access-token: jwt.encode and jwt.decode
# ---------------------------------------------------------------------------


def test_encode_returns_str():
    token = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256")

    assert isinstance(token, str), f"PyJWT 2 should return str, got {type(token).__name__}"
    with pytest.raises(AttributeError, match="decode"):
        token.decode("utf-8")


def test_encode_accepts_str_and_bytes_key():
    from_str = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256")
    from_bytes = jwt.encode({"sub": "alice"}, COURSE_KEY.encode(), algorithm="HS256")

    assert from_str == from_bytes, "a str key and its UTF-8 bytes gave different tokens"


def test_decode_returns_claims_dict():
    token = jwt.encode({"sub": "alice", "scope": "items:read"}, COURSE_KEY, algorithm="HS256")
    claims = jwt.decode(token, COURSE_KEY, algorithms=["HS256"])

    assert isinstance(claims, dict), f"decode returned {type(claims).__name__}, not dict"
    assert claims == {"sub": "alice", "scope": "items:read"}, f"decode returned {claims}"


def test_decode_without_algorithms_raises():
    token = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256")

    with pytest.raises(jwt.DecodeError, match="algorithms"):
        jwt.decode(token, COURSE_KEY)


def test_encode_defaults_to_hs256():
    default_token = jwt.encode({"sub": "alice"}, COURSE_KEY)
    header = jwt.get_unverified_header(default_token)

    assert header["alg"] == "HS256", f"encode without algorithm wrote alg {header['alg']!r}"
    assert default_token == jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256"), "default differs from HS256"


@pytest.mark.parametrize("header_alg", ["HS512", "none"])
def test_header_cannot_choose_algorithm(header_alg):
    if header_alg == "none":
        header_part = base64url_unpadded(b'{"alg":"none","typ":"JWT"}')
        payload_part = base64url_unpadded(b'{"sub":"alice"}')
        token = f"{header_part}.{payload_part}."
    else:
        token = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm=header_alg)

    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, COURSE_KEY, algorithms=["HS256"])


def test_aware_exp_becomes_numericdate():
    with frozen_clock(WINTER_INSTANT):
        expires = datetime.now(timezone.utc) + timedelta(minutes=30)
        token = jwt.encode({"sub": "alice", "exp": expires}, COURSE_KEY)
        claims = jwt.decode(token, COURSE_KEY, algorithms=["HS256"])

        assert isinstance(claims["exp"], int), f"exp should be an int NumericDate, got {claims['exp']!r}"
        assert claims["exp"] == int(WINTER_INSTANT.timestamp()) + 1800, f"exp is {claims['exp']}"
        assert claims["exp"] - time.time() == 1800, f"exp is {claims['exp'] - time.time()} s from now"


@pytest.mark.parametrize("library", ["pyjwt", "python-jose"])
@pytest.mark.parametrize("exp_kind", ["float", "int"])
def test_numeric_exp_round_trips(library, exp_kind):
    exp = time.time() + 1800 if exp_kind == "float" else int(time.time()) + 1800
    if library == "pyjwt":
        claims = jwt.decode(jwt.encode({"sub": "alice", "exp": exp}, COURSE_KEY), COURSE_KEY, algorithms=["HS256"])
    else:
        token = jose.jwt.encode({"sub": "alice", "exp": exp}, COURSE_KEY)
        claims = jose.jwt.decode(token, COURSE_KEY, algorithms=["HS256"])

    assert claims["exp"] == exp, f"{library}: exp {exp!r} came back as {claims['exp']!r}"
    assert 1790 < claims["exp"] - time.time() <= 1800, f"{library}: exp is not about 30 minutes from now"


@pytest.mark.parametrize(("seconds_after_exp", "accepted"), [(-1, True), (0, False), (1, False)])
def test_exp_rejected_from_its_second(seconds_after_exp, accepted):
    exp = int(WINTER_INSTANT.timestamp())
    token = jwt.encode({"sub": "alice", "exp": exp}, COURSE_KEY)

    with frozen_clock(WINTER_INSTANT + timedelta(seconds=seconds_after_exp)):
        if accepted:
            claims = jwt.decode(token, COURSE_KEY, algorithms=["HS256"])
            assert claims["exp"] == exp, f"decoded exp {claims['exp']} differs from {exp}"
        else:
            with pytest.raises(jwt.ExpiredSignatureError):
                jwt.decode(token, COURSE_KEY, algorithms=["HS256"])


def test_naive_exp_read_as_utc(local_zone):
    local_zone("Asia/Kolkata")
    naive = datetime(2025, 1, 15, 12, 0)

    token = jwt.encode({"exp": naive}, COURSE_KEY)
    claims = jwt.decode(token, COURSE_KEY, algorithms=["HS256"], options={"verify_exp": False})
    assert claims["exp"] == calendar.timegm(naive.timetuple()), "PyJWT did not read the naive datetime as UTC"


@pytest.mark.parametrize(
    ("zone_name", "instant", "expected_minutes"),
    [
        ("America/New_York", WINTER_INSTANT, -270),
        ("America/New_York", SUMMER_INSTANT, -210),
        ("Asia/Kolkata", WINTER_INSTANT, 30 + 330),
        ("Asia/Kolkata", SUMMER_INSTANT, 30 + 330),
        ("UTC", WINTER_INSTANT, 30),
    ],
)
def test_naive_now_off_by_utc_offset(local_zone, zone_name, instant, expected_minutes):
    local_zone(zone_name)
    with frozen_clock(instant):
        naive_expires = datetime.now() + timedelta(minutes=30)
        token = jwt.encode({"exp": naive_expires}, COURSE_KEY)
        claims = jwt.decode(token, COURSE_KEY, algorithms=["HS256"], options={"verify_exp": False})

        assert naive_expires.tzinfo is None, "datetime.now() should be naive"
        assert minutes_until_exp(claims) == expected_minutes, (
            f"TZ={zone_name}: expected exp {expected_minutes} minutes from now, got {minutes_until_exp(claims)}"
        )


@pytest.mark.parametrize("instant", [WINTER_INSTANT, SUMMER_INSTANT], ids=["winter", "summer"])
def test_naive_now_born_expired_in_new_york(local_zone, instant):
    local_zone("America/New_York")
    with frozen_clock(instant):
        token = jwt.encode({"exp": datetime.now() + timedelta(minutes=30)}, COURSE_KEY)

        with pytest.raises(jwt.ExpiredSignatureError):
            jwt.decode(token, COURSE_KEY, algorithms=["HS256"])


@pytest.mark.parametrize("zone_name", ["America/New_York", "Asia/Kolkata", "UTC"])
@pytest.mark.parametrize("instant", [WINTER_INSTANT, SUMMER_INSTANT], ids=["winter", "summer"])
def test_aware_now_right_in_every_zone(local_zone, zone_name, instant):
    local_zone(zone_name)
    with frozen_clock(instant):
        token = jwt.encode({"exp": datetime.now(timezone.utc) + timedelta(minutes=30)}, COURSE_KEY)
        claims = jwt.decode(token, COURSE_KEY, algorithms=["HS256"])

        assert minutes_until_exp(claims) == 30, f"TZ={zone_name}: exp is {minutes_until_exp(claims)} minutes away"


def test_utcnow_is_naive():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        now = datetime.utcnow()

    assert now.tzinfo is None, f"utcnow() returned tzinfo {now.tzinfo!r}"


@pytest.mark.skipif(sys.version_info < (3, 12), reason="datetime.utcnow() is deprecated from Python 3.12")
def test_utcnow_deprecated_from_312():
    categories = [warning.category for warning in captured_warnings(datetime.utcnow)]

    assert DeprecationWarning in categories, f"utcnow() emitted {categories} on {sys.version_info[:2]}"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="datetime.utcnow() is deprecated from Python 3.12")
def test_utcnow_not_deprecated_before_312():
    categories = [warning.category for warning in captured_warnings(datetime.utcnow)]

    assert DeprecationWarning not in categories, f"utcnow() emitted {categories} on {sys.version_info[:2]}"


@pytest.mark.parametrize("instant", [WINTER_INSTANT, SUMMER_INSTANT], ids=["winter", "summer"])
def test_utcnow_gives_right_exp(local_zone, instant):
    local_zone("America/New_York")
    with frozen_clock(instant), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        token = jwt.encode({"exp": datetime.utcnow() + timedelta(minutes=30)}, COURSE_KEY)
        claims = jwt.decode(token, COURSE_KEY, algorithms=["HS256"])

        assert minutes_until_exp(claims) == 30, f"utcnow() exp is {minutes_until_exp(claims)} minutes away"


def str_exp_token() -> str:
    """Encode a token whose exp is str(aware datetime), the wrong answer c of quiz question 5."""
    return jwt.encode({"sub": "alice", "exp": str(datetime.now(timezone.utc) + timedelta(minutes=30))}, COURSE_KEY)


def test_str_exp_encodes():
    token = str_exp_token()
    payload = json.loads(base64url_decode_part(token.split(".")[1]))

    assert isinstance(payload["exp"], str), f"expected the str exp in the payload, got {payload['exp']!r}"


def test_str_exp_fails_default_decode():
    with pytest.raises(jwt.DecodeError, match=r"Expiration Time claim \(exp\) must be an integer"):
        jwt.decode(str_exp_token(), COURSE_KEY, algorithms=["HS256"])


def test_verify_exp_off_skips_expiry():
    with frozen_clock(WINTER_INSTANT):
        expired = jwt.encode({"sub": "alice", "exp": datetime.now(timezone.utc) - timedelta(hours=1)}, COURSE_KEY)

        with pytest.raises(jwt.ExpiredSignatureError):
            jwt.decode(expired, COURSE_KEY, algorithms=["HS256"])
        claims = jwt.decode(expired, COURSE_KEY, algorithms=["HS256"], options={"verify_exp": False})
        assert claims["sub"] == "alice", f"verify_exp=False decoded {claims}"


def test_timedelta_zero_is_false():
    default = timedelta(minutes=15)
    zero = timedelta(0)

    assert bool(zero) is False, "bool(timedelta(0)) should be False"
    assert (zero or default) == default, "'timedelta(0) or default' should pick the default"
    assert zero is not None, "an 'is None' test keeps timedelta(0) apart from a missing delta"


def test_zero_delta_expires_now():
    with frozen_clock(WINTER_INSTANT):
        token = jwt.encode({"sub": "alice", "exp": datetime.now(timezone.utc) + timedelta(0)}, COURSE_KEY)

        with pytest.raises(jwt.ExpiredSignatureError):
            jwt.decode(token, COURSE_KEY, algorithms=["HS256"])


def test_dict_copy_leaves_original():
    original = {"sub": "alice"}
    copied = original.copy()
    copied["exp"] = datetime.now(timezone.utc)

    assert original == {"sub": "alice"}, f"adding exp to the copy changed the original to {original}"


def test_confirmation_link_token():
    with frozen_clock(WINTER_INSTANT):
        claims = {"sub": "ada@example.test", "exp": datetime.now(timezone.utc) + timedelta(days=1)}
        token = jwt.encode(claims, COURSE_KEY, algorithm="HS256")
        link = "https://example.test/confirm?" + urllib.parse.urlencode({"token": token})
        received = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"][0]
        confirmed = jwt.decode(received, COURSE_KEY, algorithms=["HS256"])

        assert received == token, f"the link carried {received!r}, not the token"
        assert confirmed["sub"] == "ada@example.test", f"the link token decoded to {confirmed}"
        assert round(minutes_until_exp(confirmed) / 60) == 24, "the confirmation token should live about 24 hours"


def test_pyjwt_leaves_payload_dict():
    expires = datetime(2030, 1, 1, tzinfo=timezone.utc)
    claims = {"sub": "alice", "exp": expires}
    jwt.encode(claims, COURSE_KEY, algorithm="HS256")

    assert claims == {"sub": "alice", "exp": expires}, f"PyJWT changed the dict it was given to {claims}"


def test_jose_writes_exp_back():
    expires = datetime(2030, 1, 1, tzinfo=timezone.utc)
    claims = {"sub": "alice", "exp": expires}
    jose.jwt.encode(claims, COURSE_KEY, algorithm="HS256")

    assert claims["exp"] == calendar.timegm(expires.utctimetuple()), f"python-jose left exp as {claims['exp']!r}"


def test_jose_encode_defaults_to_hs256():
    token = jose.jwt.encode({"sub": "alice"}, COURSE_KEY)

    assert jose.jwt.get_unverified_header(token)["alg"] == "HS256", "python-jose's default algorithm is not HS256"


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "alice"},
        {"sub": "alice", "admin": False, "scopes": ["read", "write"]},
        {"sub": "alice", "exp": datetime(2030, 1, 1, tzinfo=timezone.utc)},
    ],
    ids=["sub", "nested", "datetime-exp"],
)
def test_pyjwt_and_jose_tokens_identical(claims):
    pyjwt_token = jwt.encode(dict(claims), COURSE_KEY, algorithm="HS256")
    jose_token = jose.jwt.encode(dict(claims), COURSE_KEY, algorithm="HS256")

    assert pyjwt_token == jose_token, f"PyJWT gave {pyjwt_token!r}, python-jose gave {jose_token!r}"


def test_insecure_key_length_warning_exported():
    assert jwt.InsecureKeyLengthWarning is jwt.warnings.InsecureKeyLengthWarning, "two different warning classes"


@pytest.mark.parametrize(
    ("key", "warns"),
    [
        ("short-key", True),
        ("k" * 31, True),
        ("k" * 32, False),
        (COURSE_KEY, False),
        (secrets.token_hex(32), False),
        (bytes.fromhex(secrets.token_hex(32)), False),
    ],
    ids=["short-key", "31-bytes", "32-bytes", "course-key", "token_hex-str", "token_hex-bytes"],
)
def test_pyjwt_key_length_warning(key, warns):
    caught = captured_warnings(lambda: jwt.encode({"sub": "alice"}, key, algorithm="HS256"))
    categories = [warning.category for warning in caught]

    if warns:
        assert jwt.warnings.InsecureKeyLengthWarning in categories, f"no warning for a {len(key)}-byte key"
    else:
        assert jwt.warnings.InsecureKeyLengthWarning not in categories, f"warned for a {len(key)}-byte key"


def test_jose_silent_for_short_key():
    caught = captured_warnings(lambda: jose.jwt.encode({"sub": "alice"}, "short-key", algorithm="HS256"))

    assert caught == [], f"python-jose warned: {[str(warning.message) for warning in caught]}"


# ---------------------------------------------------------------------------
# Import names and the Authorization header
# ---------------------------------------------------------------------------


def installed_files(distribution_name: str) -> set[str]:
    return {str(path) for path in importlib.metadata.distribution(distribution_name).files}


@pytest.mark.parametrize("statement", ["import pyjwt", "from PyJWT import encode"])
def test_distribution_name_not_importable(statement):
    with pytest.raises(ModuleNotFoundError):
        exec(statement, {})


def test_pyjwt_installs_module_jwt():
    namespace = {}
    exec("import jwt", namespace)

    assert "jwt/__init__.py" in installed_files("PyJWT"), "the PyJWT distribution does not install module jwt"
    assert callable(namespace["jwt"].encode), "import jwt gave no jwt.encode"
    assert importlib.metadata.version("PyJWT") == jwt.__version__ == "2.15.1", f"PyJWT is {jwt.__version__}"


def test_jose_jwt_is_another_library():
    namespace = {}
    exec("from jose import jwt", namespace)

    assert "jose/jwt.py" in installed_files("python-jose"), "the python-jose distribution does not install jose.jwt"
    assert namespace["jwt"] is jose.jwt, "from jose import jwt should give jose.jwt"
    assert namespace["jwt"] is not jwt, "python-jose's jwt module should differ from PyJWT's"
    assert importlib.metadata.version("python-jose") == "3.5.0", "python-jose is not the pinned 3.5.0"


def request_with_headers(headers: list[tuple[bytes, bytes]]) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/users/me", "headers": headers})


def test_bearer_header_carries_token():
    token = jwt.encode({"sub": "alice"}, COURSE_KEY, algorithm="HS256")
    scheme = OAuth2PasswordBearer(tokenUrl="token")

    received = asyncio.run(scheme(request_with_headers([(b"authorization", f"Bearer {token}".encode())])))
    assert received == token, f"OAuth2PasswordBearer read {received!r} from the Authorization header"


def test_missing_bearer_header_is_401():
    scheme = OAuth2PasswordBearer(tokenUrl="token")

    with pytest.raises(HTTPException) as raised:
        asyncio.run(scheme(request_with_headers([])))
    assert raised.value.status_code == 401, f"expected 401, got {raised.value.status_code}"
