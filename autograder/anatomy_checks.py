"""Checks for notebook 01: base64url encoding, the HS256 signature and a hand-built token."""

import base64
import hashlib
import hmac
import json
from collections.abc import Callable

import reference_tokens as reference

from autograder.learner_calls import call_learner

# RFC 7515 Appendix A.1: the JWS signing input and the HMAC key, with the signature they give.
RFC_SIGNING_INPUT = (
    b"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    b".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
)
RFC_KEY = reference.base64url_decode(
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
)
RFC_SIGNATURE = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

# ASCII inputs of every length modulo 3, so that standard base64 would pad them with one or two '='.
PADDING_INPUTS = (b"", b"a", b"ab", b"abc", b"abcd", '{"alg":"HS256"}'.encode())
# Inputs whose lengths are multiples of 3 (no padding) and that standard base64 writes with '+' and '/'.
ALPHABET_INPUTS = (b"\xfb\xff\xfe", b"\xfb\xef\xbe\xff\xff\xff", b"\x03\xe0\xff")
SIGN_CASES = (
    (RFC_SIGNING_INPUT, RFC_KEY),
    (b"header.payload", reference.SECRET_KEY.encode()),
    (b"", b"k" * 32),
)
TOKEN_CASES = (
    ({"alg": "HS256", "typ": "JWT"}, {"sub": "alice"}, reference.SECRET_KEY.encode()),
    ({"alg": "HS256", "typ": "JWT"}, {"sub": "42", "exp": 1300819380, "name": "Zoë"}, RFC_KEY),
)


def check_base64url_encode_padding(base64url_encode: Callable) -> None:
    """Check base64url_encode against the reference on inputs of every padding length."""
    assert_base64url_encode(base64url_encode, PADDING_INPUTS)


def check_base64url_encode_alphabet(base64url_encode: Callable) -> None:
    """Check base64url_encode against the reference on bytes that need '-' and '_'."""
    assert_base64url_encode(base64url_encode, ALPHABET_INPUTS)


def assert_base64url_encode(base64url_encode: Callable, inputs: tuple[bytes, ...]) -> None:
    for data in inputs:
        expected = reference.base64url_encode(data)
        value = call_learner(base64url_encode, data)
        call = f"base64url_encode({data!r})"
        assert not isinstance(value, bytes), f"{call}: expected a str, got bytes {value!r}. Add .decode('ascii')."
        assert isinstance(value, str), f"{call}: expected a str, got {type(value).__name__} {value!r}."
        assert "=" not in value, f"{call}: expected {expected!r}, got {value!r}. base64url drops the '=' padding."
        for character in "+/":
            assert character not in value, (
                f"{call}: expected {expected!r}, got {value!r}. "
                "That is the standard base64 alphabet: base64url uses '-' and '_' in place of '+' and '/'."
            )
        assert value == expected, f"{call}: expected {expected!r}, got {value!r}."


def check_sign_hs256(sign_hs256: Callable) -> None:
    """Check sign_hs256 on the RFC 7515 vector and other inputs, naming the usual mix-ups."""
    for signing_input, key in SIGN_CASES:
        expected = reference.sign_hs256(signing_input, key)
        value = call_learner(sign_hs256, signing_input, key)
        call = f"sign_hs256({shorten(signing_input)}, {shorten(key)})"
        assert isinstance(value, str), f"{call}: expected a str, got {type(value).__name__} {value!r}."
        assert value == expected, f"{call}: expected {expected!r}, got {value!r}. {explain_signature(value, signing_input, key)}"


def explain_signature(value: str, signing_input: bytes, key: bytes) -> str:
    """Name the mistake that produces `value`, when it is one of the common ones."""
    digest = hmac.new(key, signing_input, hashlib.sha256).digest()
    if value == digest.hex():
        return "That is the hex digest: base64url-encode the raw .digest() bytes instead."
    if value == base64.urlsafe_b64encode(digest).decode():
        return "The '=' padding must be removed."
    if value == base64.b64encode(digest).decode().rstrip("="):
        return "That is standard base64: use the base64url alphabet ('-' and '_')."
    if value == reference.sign_hs256(key, signing_input):
        return "The key and the message are swapped: hmac.new(key, message, hashlib.sha256)."
    if len(value) != len(reference.sign_hs256(signing_input, key)):
        return "The length differs from an HMAC-SHA256 signature (32 bytes, 43 characters): check the hash function."
    return "Sign exactly the bytes given, with the key given, using HMAC-SHA256."


def check_build_token_signature(build_token: Callable) -> None:
    """Check that the third part is the HS256 signature of the first two, so PyJWT verifies it."""
    for header, payload, key in TOKEN_CASES:
        call, parts = call_build_token(build_token, header, payload, key)
        signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
        assert parts[2] == reference.sign_hs256(signing_input, key), (
            f"{call}: the signature does not match HMAC-SHA256 of '<header part>.<payload part>' with the key given. "
            "Sign the first two parts joined by '.', as ASCII bytes, not the JSON."
        )


def check_build_token_parts(build_token: Callable) -> None:
    """Check that the header and payload parts are unpadded base64url of the dicts given."""
    for header, payload, key in TOKEN_CASES:
        call, parts = call_build_token(build_token, header, payload, key)
        for name, part, expected in (("header", parts[0], header), ("payload", parts[1], payload)):
            assert "=" not in part, f"{call}: the {name} part {part!r} contains '=' padding, which JWTs leave out."
            decoded = decode_json_part(part)
            assert decoded == expected, f"{call}: the {name} part decodes to {decoded!r}, expected {expected!r}."


def call_build_token(build_token: Callable, header: dict, payload: dict, key: bytes) -> tuple[str, list[str]]:
    """Call the learner's build_token and return the call's description and the token's three parts."""
    token = call_learner(build_token, header, payload, key)
    call = f"build_token({header!r}, {payload!r}, key)"
    assert isinstance(token, str), f"{call}: expected a str, got {type(token).__name__} {token!r}."
    parts = token.split(".")
    assert len(parts) == 3, f"{call}: expected three parts joined by '.', got {len(parts)} in {token!r}."
    return call, parts


def decode_json_part(part: str) -> object:
    """Decode a base64url JSON part, or return a description of why it does not decode."""
    try:
        return json.loads(reference.base64url_decode(part.rstrip("=")))
    except (ValueError, UnicodeDecodeError) as error:
        return f"<not base64url JSON: {error}>"


def shorten(data: bytes) -> str:
    """Return a repr of `data` short enough for a one-line message."""
    text = repr(data)
    return text if len(text) <= 30 else text[:27] + "...'"
