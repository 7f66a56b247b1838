"""Checks for notebook 01: base64url encoding, the HS256 signature and a hand-built token."""

import base64
import hashlib
import hmac
from collections.abc import Callable

import jwt
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

# Inputs chosen so that every padding length occurs and standard base64 would emit '+' and '/'.
ENCODE_INPUTS = (b"", b"a", b"ab", b"abc", b"\xfb\xff\xfe", b"\x03\xe0\xff?", '{"alg":"HS256"}'.encode())
SIGN_CASES = (
    (RFC_SIGNING_INPUT, RFC_KEY),
    (b"header.payload", reference.SECRET_KEY.encode()),
    (b"", b"k" * 32),
)
TOKEN_CASES = (
    ({"alg": "HS256", "typ": "JWT"}, {"sub": "alice"}, reference.SECRET_KEY.encode()),
    ({"alg": "HS256", "typ": "JWT"}, {"sub": "42", "exp": 1300819380, "name": "Zoë"}, RFC_KEY),
)


def check_base64url_encode(base64url_encode: Callable) -> None:
    """Check base64url_encode against the reference on inputs of every padding length."""
    for data in ENCODE_INPUTS:
        expected = reference.base64url_encode(data)
        value = call_learner(base64url_encode, data)
        call = f"base64url_encode({data!r})"
        assert not isinstance(value, bytes), f"{call}: expected a str, got bytes {value!r}. Add .decode('ascii')."
        assert isinstance(value, str), f"{call}: expected a str, got {type(value).__name__} {value!r}."
        assert "=" not in value, f"{call}: expected {expected!r}, got {value!r}. base64url drops the '=' padding."
        assert "+" not in value and "/" not in value, (
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


def check_build_token(build_token: Callable) -> None:
    """Check that a hand-built token has the given header and payload and a valid HS256 signature."""
    for header, payload, key in TOKEN_CASES:
        token = call_learner(build_token, header, payload, key)
        call = f"build_token({header!r}, {payload!r}, key)"
        assert isinstance(token, str), f"{call}: expected a str, got {type(token).__name__} {token!r}."
        segments = token.split(".")
        assert len(segments) == 3, f"{call}: expected three segments joined by '.', got {len(segments)} in {token!r}."
        signing_input = f"{segments[0]}.{segments[1]}".encode("ascii")
        assert segments[2] == reference.sign_hs256(signing_input, key), (
            f"{call}: the signature does not match HMAC-SHA256 of '<header>.<payload>' with the key given. "
            "Sign the first two segments joined by '.', as ASCII bytes."
        )
        assert "=" not in token, f"{call}: {token!r} contains '=' padding, which JWTs leave out."
        assert jwt.get_unverified_header(token) == header, (
            f"{call}: the header decodes to {jwt.get_unverified_header(token)!r}, expected {header!r}."
        )
        decoded = jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
        assert decoded == payload, f"{call}: the payload decodes to {decoded!r}, expected {payload!r}."


def shorten(data: bytes) -> str:
    """Return a repr of `data` short enough for a one-line message."""
    text = repr(data)
    return text if len(text) <= 30 else text[:27] + "...'"
