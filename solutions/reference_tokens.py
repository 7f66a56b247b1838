"""Reference implementation of the course's token code.

The autograder compares every learner function with the function of the same name here,
and the test suite checks these functions against RFC 7515 and an independent JOSE library.
"""

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import jwt
from jose import jwt as jose_jwt

# The course key is public on purpose: learners sign and verify with it in the notebooks.
# A real application loads its key from the environment and keeps it secret.
SECRET_KEY = "67e403e7b939f1026d50e8d906764037770ffb78e0bdb0e1386867a892f552df"
ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE = timedelta(minutes=15)


def base64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def base64url_decode(text: str) -> bytes:
    """Decode unpadded base64url text back to bytes."""
    padding = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + padding)


def sign_hs256(signing_input: bytes, key: bytes) -> str:
    """Return the base64url HMAC-SHA256 signature of the JWS signing input."""
    digest = hmac.new(key, signing_input, hashlib.sha256).digest()
    return base64url_encode(digest)


def encode_json_segment(value: dict) -> str:
    """Serialize a header or payload dict as compact JSON and base64url-encode it."""
    text = json.dumps(value, separators=(",", ":"))
    return base64url_encode(text.encode("utf-8"))


def build_token(header: dict, payload: dict, key: bytes) -> str:
    """Build an HS256 JWT by hand: header.payload.signature."""
    signing_input = encode_json_segment(header) + "." + encode_json_segment(payload)
    return signing_input + "." + sign_hs256(signing_input.encode("ascii"), key)


def expiry_time(expires_delta: timedelta | None = None) -> datetime:
    """Return the aware UTC datetime at which a token made now expires."""
    if expires_delta is None:
        expires_delta = ACCESS_TOKEN_EXPIRE
    return datetime.now(timezone.utc) + expires_delta


def build_claims(data: dict, expires_delta: timedelta | None = None) -> dict:
    """Return a copy of `data` with an `exp` claim added; `data` itself is left unchanged."""
    claims = data.copy()
    claims["exp"] = expiry_time(expires_delta)
    return claims


def create_access_token(data: dict, expires_delta: timedelta | None = None) -> str:
    """Create an HS256 access token with PyJWT that expires after `expires_delta`."""
    return jwt.encode(build_claims(data, expires_delta), SECRET_KEY, algorithm=ALGORITHM)


def create_access_token_jose(data: dict, expires_delta: timedelta | None = None) -> str:
    """Create the same access token with python-jose, for code that still uses it."""
    return jose_jwt.encode(build_claims(data, expires_delta), SECRET_KEY, algorithm=ALGORITHM)
