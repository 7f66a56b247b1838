"""Reference implementation for notebook 08: the whole pattern, from token to protected route.

Tokens are made by reference_tokens.create_access_token and checked by
reference_verify.decode_access_token. This module adds the FastAPI dependency that turns a
bearer token into a username, and an app with one protected route, GET /users/me.
"""

from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer

from reference_tokens import create_access_token
from reference_verify import AccessTokenError, decode_access_token

__all__ = [
    "CREDENTIALS_DETAIL", "USERS_ME_PATH", "AccessTokenError", "app", "create_access_token",
    "decode_access_token", "get_current_username", "oauth2_scheme", "read_users_me",
]

# One detail for every rejected token, so a response does not say why a token failed.
CREDENTIALS_DETAIL = "Could not validate credentials"
# HTTP requires a 401 response to name the authentication scheme it expects (RFC 9110, section 15.5.2).
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
USERS_ME_PATH = "/users/me"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


def get_current_username(token: Annotated[str, Depends(oauth2_scheme)]) -> str:
    """Return the subject of a valid bearer token, or raise a 401 HTTPException for any other token."""
    try:
        return decode_access_token(token)
    except AccessTokenError as error:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=CREDENTIALS_DETAIL, headers=BEARER_CHALLENGE) from error


app = FastAPI()


@app.get(USERS_ME_PATH)
def read_users_me(username: Annotated[str, Depends(get_current_username)]) -> dict[str, str]:
    """Return the caller's username, which only a valid token can supply."""
    return {"username": username}
