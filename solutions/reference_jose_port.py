"""Reference implementation for notebook 05: a python-jose token module and its port to PyJWT.

The `_jose` functions are the legacy module that the notebook shows. `create_access_token` and
`decode_access_token` are the port that the autograder compares learner code with.
"""

import jwt
from jose import JWTError
from jose import jwt as jose_jwt

from reference_tokens import ALGORITHM, SECRET_KEY, create_access_token, create_access_token_jose
from reference_verify import REQUIRED_CLAIMS, AccessTokenError

# Seconds of clock difference between servers that both modules forgive on exp, nbf and iat.
LEEWAY_SECONDS = 10

__all__ = [
    "ALGORITHM",
    "LEEWAY_SECONDS",
    "SECRET_KEY",
    "AccessTokenError",
    "create_access_token",
    "create_access_token_jose",
    "decode_access_token",
    "decode_access_token_jose",
]


def decode_access_token_jose(token: str) -> str:
    """Return the subject of a valid course token with python-jose, or raise AccessTokenError.

    NOTE: like much legacy code, it passes no `algorithms`, so python-jose 3.5.0 also accepts
    HS384 and HS512 tokens signed with the course key. The PyJWT port below rejects them.
    """
    try:
        claims = jose_jwt.decode(
            token, SECRET_KEY, options={"leeway": LEEWAY_SECONDS, "require_exp": True, "require_sub": True}
        )
    except JWTError as error:
        raise AccessTokenError(f"{type(error).__name__}: {error}") from error
    return claims["sub"]


def decode_access_token(token: str) -> str:
    """Return the subject of a valid course token with PyJWT, or raise AccessTokenError."""
    try:
        claims = jwt.decode(
            token,
            SECRET_KEY,
            algorithms=[ALGORITHM],
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError as error:
        raise AccessTokenError(f"{type(error).__name__}: {error}") from error
    return claims["sub"]
