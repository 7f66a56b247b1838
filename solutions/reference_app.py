"""Reference implementation for notebook 06: a FastAPI app with a password login that issues JWTs.

The app has the shape of FastAPI's tutorial "OAuth2 with Password (and hashing), Bearer with JWT
tokens": `POST /token` takes a login form and returns a `Token`, and `GET /users/me/` returns the
logged-in user as the public `User` model. The autograder builds apps from learner functions with
`create_app` and compares their responses with this module's `app`.
"""

from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pwdlib import PasswordHash
from pydantic import BaseModel

from reference_tokens import ALGORITHM, SECRET_KEY, create_access_token

LOGIN_FAILED_DETAIL = "Incorrect username or password"
CREDENTIALS_DETAIL = "Could not validate credentials"
INACTIVE_USER_DETAIL = "Inactive user"
# A 401 response names the authentication scheme the client should use.
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}

# The notebook shows these passwords so that learners can log in as the demo users.
DEMO_PASSWORDS = {"alice": "wonderland", "bob": "builder"}
DEMO_PROFILES = {
    "alice": {"username": "alice", "full_name": "Alice Liddell", "email": "alice@example.com", "disabled": False},
    "bob": {"username": "bob", "full_name": "Bob Builder", "email": "bob@example.com", "disabled": True},
}
DUMMY_PASSWORD = "no user has this password"


class Token(BaseModel):
    access_token: str
    token_type: str


class User(BaseModel):
    username: str
    email: str | None = None
    full_name: str | None = None
    disabled: bool | None = None


class UserInDB(User):
    hashed_password: str


password_hash = PasswordHash.recommended()
# authenticate_user verifies against this hash when the username is unknown, so that a login
# with an unknown username takes as long as one with a wrong password.
DUMMY_HASH = password_hash.hash(DUMMY_PASSWORD)
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


def build_users_db() -> dict[str, dict]:
    """Return the demo users as stored records, each with an Argon2 hash of its password."""
    return {
        username: {**profile, "hashed_password": password_hash.hash(DEMO_PASSWORDS[username])}
        for username, profile in DEMO_PROFILES.items()
    }


# An in-memory stand-in for a users table.
fake_users_db = build_users_db()


def get_user(db: dict, username: str) -> UserInDB | None:
    """Return the user stored under `username`, or None."""
    record = db.get(username)
    return None if record is None else UserInDB(**record)


def authenticate_user(db: dict, username: str, password: str) -> UserInDB | None:
    """Return the user whose password matches, or None. An unknown username costs one verification too."""
    user = get_user(db, username)
    if user is None:
        password_hash.verify(password, DUMMY_HASH)
        return None
    if not password_hash.verify(password, user.hashed_password):
        return None
    return user


def login_for_access_token(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """Exchange a username and password for a bearer token, or raise 401."""
    user = authenticate_user(fake_users_db, form_data.username, form_data.password)
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED, detail=LOGIN_FAILED_DETAIL, headers=BEARER_CHALLENGE
        )
    return Token(access_token=create_access_token({"sub": user.username}), token_type="bearer")


def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> UserInDB:
    """Return the user named by a valid token's `sub` claim, or raise 401."""
    credentials_error = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=CREDENTIALS_DETAIL, headers=BEARER_CHALLENGE
    )
    try:
        claims = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
    except jwt.InvalidTokenError:
        raise credentials_error from None
    username = claims.get("sub")
    user = None if username is None else get_user(fake_users_db, username)
    if user is None:
        raise credentials_error
    return user


def get_current_active_user(current_user: Annotated[UserInDB, Depends(get_current_user)]) -> UserInDB:
    """Return the current user, or raise 400 when the account is disabled."""
    if current_user.disabled:
        raise HTTPException(status_code=status.HTTP_400_BAD_REQUEST, detail=INACTIVE_USER_DETAIL)
    return current_user


def read_users_me(current_user: Annotated[UserInDB, Depends(get_current_active_user)]) -> User:
    """Return the logged-in user. The return type `User` keeps hashed_password out of the response."""
    return current_user


def create_app() -> FastAPI:
    """Return a new app with the login route and the current-user route."""
    app = FastAPI()
    app.post("/token")(login_for_access_token)
    app.get("/users/me/")(read_users_me)
    return app


app = create_app()
