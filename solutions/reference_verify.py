"""Reference implementation for notebook 04: read the token from a request and verify it.

The autograder compares the learner's `decode_access_token` and `bearer_token` with these
functions on the same inputs. Notebook 08 builds on `AccessTokenError` and
`decode_access_token` with exactly these names and this behaviour.
"""

import jwt

from reference_tokens import ALGORITHM, SECRET_KEY

# PyJWT accepts a token without exp or sub unless they are required.
REQUIRED_CLAIMS = ["exp", "sub"]
# HTTP compares authentication scheme names case-insensitively, so this is compared in lower case.
BEARER_SCHEME = "bearer"


class AccessTokenError(Exception):
    """Raised for every token that must not be accepted. Its message gives the reason.

    An API responds to it with 401 Unauthorized. Errors that are not about the token, such as a
    missing key or a bug, are never turned into it.
    """


def decode_access_token(token: str) -> str:
    """Verify a course access token and return its subject, the `sub` claim.

    The token must be signed with SECRET_KEY and HS256 and carry `exp` and a string `sub`.
    It is expired from its `exp` second on, with no leeway. Every PyJWT token error
    (jwt.InvalidTokenError) becomes AccessTokenError; other exceptions propagate unchanged.
    """
    try:
        claims = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS})
    except jwt.InvalidTokenError as error:
        raise AccessTokenError(f"{type(error).__name__}: {error}") from error
    return claims["sub"]


def bearer_token(authorization: str) -> str:
    """Extract the token from an `Authorization: Bearer <token>` header value.

    The scheme matches in any letter case, and the spaces after it are skipped. Another
    scheme, a value without a scheme, or an empty token raises AccessTokenError.
    """
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != BEARER_SCHEME:
        raise AccessTokenError(f"expected the Bearer scheme, got {scheme!r}")
    token = token.strip()
    if not token:
        raise AccessTokenError("the Authorization header has no token after Bearer")
    return token
