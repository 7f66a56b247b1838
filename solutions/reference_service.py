"""Reference implementation for notebook 07: a token service whose keys come from the environment.

The current key signs every new token and names itself in the token's `kid` header. After a
rotation the previous key still verifies the tokens it signed, for one access-token lifetime
after the rotation, and is then retired.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import jwt

from reference_tokens import ACCESS_TOKEN_EXPIRE, ALGORITHM, build_claims
from reference_verify import REQUIRED_CLAIMS, AccessTokenError

# HS256 is HMAC-SHA256, so a key shorter than the 32-byte digest is weaker than the algorithm
# (RFC 7518 section 3.2). PyJWT 2.15 warns with InsecureKeyLengthWarning below that length.
MIN_KEY_BYTES = 32

CURRENT_KID_VARIABLE = "JWT_KID"
CURRENT_KEY_VARIABLE = "JWT_SECRET_KEY"
PREVIOUS_KID_VARIABLE = "JWT_PREVIOUS_KID"
PREVIOUS_KEY_VARIABLE = "JWT_PREVIOUS_SECRET_KEY"
ROTATED_AT_VARIABLE = "JWT_ROTATED_AT"


@dataclass(frozen=True)
class SigningKeys:
    """HMAC keys by key id (kid): the current key signs, every key verifies until it retires."""

    current_kid: str
    secret_keys: dict[str, str] = field(repr=False)
    # Aware datetimes by kid. A kid with no entry never retires.
    retire_at: dict[str, datetime] = field(default_factory=dict)


def read_variable(environ: Mapping[str, str], name: str) -> str:
    """Return environ[name], or raise ValueError naming the variable when it is missing or empty."""
    value = environ.get(name, "")
    if not value:
        raise ValueError(f"{name} is not set. Set it in the environment before the service starts.")
    return value


def read_secret_key(environ: Mapping[str, str], name: str) -> str:
    """Return the secret key in environ[name], or raise ValueError that names the variable, never the key."""
    key = environ.get(name, "")
    if not key:
        raise ValueError(f"{name} is not set. Generate a key with secrets.token_hex(32) and set {name} to it.")
    if len(key.encode("utf-8")) < MIN_KEY_BYTES:
        raise ValueError(
            f"{name} is shorter than {MIN_KEY_BYTES} bytes. Generate a key with secrets.token_hex(32) and set {name} to it."
        )
    return key


def read_rotation_time(environ: Mapping[str, str]) -> datetime:
    """Return JWT_ROTATED_AT, which must be ISO 8601 with a UTC offset, as an aware UTC datetime."""
    text = read_variable(environ, ROTATED_AT_VARIABLE)
    try:
        rotated_at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{ROTATED_AT_VARIABLE} is not an ISO 8601 time: {text!r}.") from None
    if rotated_at.utcoffset() is None:
        raise ValueError(
            f"{ROTATED_AT_VARIABLE} has no UTC offset: {text!r}. Write it like 2026-12-01T09:00:00+00:00."
        )
    return rotated_at.astimezone(timezone.utc)


def load_signing_keys(environ: Mapping[str, str]) -> SigningKeys:
    """Read the current key and, after a rotation, the previous key and its retirement time."""
    current_kid = read_variable(environ, CURRENT_KID_VARIABLE)
    secret_keys = {current_kid: read_secret_key(environ, CURRENT_KEY_VARIABLE)}
    retire_at = {}
    previous_kid = environ.get(PREVIOUS_KID_VARIABLE)
    if previous_kid:
        secret_keys[previous_kid] = read_secret_key(environ, PREVIOUS_KEY_VARIABLE)
        # The last token the previous key signed was issued at the rotation and expires one lifetime later.
        retire_at[previous_kid] = read_rotation_time(environ) + ACCESS_TOKEN_EXPIRE
    return SigningKeys(current_kid, secret_keys, retire_at)


def create_access_token(data: dict, keys: SigningKeys, expires_delta: timedelta | None = None) -> str:
    """Create an access token signed with the current key, which the `kid` header names."""
    secret_key = keys.secret_keys[keys.current_kid]
    headers = {"kid": keys.current_kid}
    return jwt.encode(build_claims(data, expires_delta), secret_key, algorithm=ALGORITHM, headers=headers)


def select_verification_key(token: str, keys: SigningKeys) -> str:
    """Return the secret key that the token's `kid` names, or raise AccessTokenError.

    The kid is only a dict key: it never becomes a path, a query or an algorithm.
    """
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError as error:
        raise AccessTokenError(f"{type(error).__name__}: {error}") from error
    if kid is None:
        raise AccessTokenError("The token has no kid header.")
    secret_key = keys.secret_keys.get(kid)
    if secret_key is None:
        raise AccessTokenError(f"Unknown kid {kid!r}.")
    retire_at = keys.retire_at.get(kid)
    if retire_at is not None and datetime.now(timezone.utc) >= retire_at:
        raise AccessTokenError(f"The key {kid!r} retired at {retire_at.isoformat()}.")
    return secret_key


def decode_access_token(token: str, keys: SigningKeys) -> str:
    """Return the subject of a valid token signed with a key that has not retired, or raise AccessTokenError."""
    secret_key = select_verification_key(token, keys)
    try:
        claims = jwt.decode(token, secret_key, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS})
    except jwt.InvalidTokenError as error:
        raise AccessTokenError(f"{type(error).__name__}: {error}") from error
    return claims["sub"]
