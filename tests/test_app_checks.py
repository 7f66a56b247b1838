"""The grading checks of notebook 06: correct alternatives pass, and each typical mistake fails with its own message."""

import threading
import time
from datetime import datetime, timedelta
from typing import Annotated

import jwt
import nbformat
import pytest
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import OAuth2PasswordRequestForm
from jose import JWTError
from jose import jwt as jose_jwt

import reference_app as reference
import reference_tokens
from autograder import app_checks, learner_calls
from conftest import source_notebook

ASSIGNMENT = "06-login-with-fastapi"
KEY = reference_tokens.SECRET_KEY
CHALLENGE = {"WWW-Authenticate": "Bearer"}
password_hash = reference.password_hash
stop_loops = threading.Event()


def credentials_error(**overrides) -> HTTPException:
    arguments = {"status_code": 401, "detail": reference.CREDENTIALS_DETAIL, "headers": CHALLENGE, **overrides}
    return HTTPException(**arguments)


def login_error(**overrides) -> HTTPException:
    arguments = {"status_code": 401, "detail": reference.LOGIN_FAILED_DETAIL, "headers": CHALLENGE, **overrides}
    return HTTPException(**arguments)


# Learner versions of authenticate_user: each name is the mistake it makes.
def auth_plain_compare(db, username, password):
    user = reference.get_user(db, username)
    if user is None or user.hashed_password != password:
        return None
    return user


def auth_no_dummy_hash(db, username, password):
    user = reference.get_user(db, username)
    if user is None or not password_hash.verify(password, user.hashed_password):
        return None
    return user


def auth_swapped_verify(db, username, password):
    user = reference.get_user(db, username)
    if user is None:
        password_hash.verify(reference.DUMMY_HASH, password)
        return None
    return user if password_hash.verify(user.hashed_password, password) else None


def auth_verify_empty_hash(db, username, password):
    user = reference.get_user(db, username)
    stored = "" if user is None else user.hashed_password
    return user if password_hash.verify(password, stored) else None


def auth_no_none_check(db, username, password):
    user = reference.get_user(db, username)
    return user if password_hash.verify(password, user.hashed_password) else None


def auth_stub(db, username, password):
    raise NotImplementedError()


def auth_loops(db, username, password):
    while True:
        pass


# Correct alternatives: the tutorial's False, and hashing the password instead of verifying it.
def auth_returns_false(db, username, password):
    user = reference.get_user(db, username)
    if not user:
        password_hash.verify(password, reference.DUMMY_HASH)
        return False
    if not password_hash.verify(password, user.hashed_password):
        return False
    return user


def auth_hashes_unknown_password(db, username, password):
    user = reference.get_user(db, username)
    if user is None:
        password_hash.hash(password)
        return None
    return user if password_hash.verify(password, user.hashed_password) else None


# Learner versions of login_for_access_token.
def login_reveals_unknown_user(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> reference.Token:
    if reference.get_user(reference.fake_users_db, form_data.username) is None:
        raise login_error(detail="Unknown user")
    user = reference.authenticate_user(reference.fake_users_db, form_data.username, form_data.password)
    if user is None:
        raise login_error(detail="Incorrect password")
    return reference.Token(access_token=reference_tokens.create_access_token({"sub": user.username}), token_type="bearer")


def login_no_challenge(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> reference.Token:
    user = reference.authenticate_user(reference.fake_users_db, form_data.username, form_data.password)
    if user is None:
        raise login_error(headers=None)
    return reference.Token(access_token=reference_tokens.create_access_token({"sub": user.username}), token_type="bearer")


def login_status_400(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> reference.Token:
    user = reference.authenticate_user(reference.fake_users_db, form_data.username, form_data.password)
    if user is None:
        raise HTTPException(status_code=400, detail=reference.LOGIN_FAILED_DETAIL)
    return reference.Token(access_token=reference_tokens.create_access_token({"sub": user.username}), token_type="bearer")


def login_thirty_minutes(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> reference.Token:
    user = reference.authenticate_user(reference.fake_users_db, form_data.username, form_data.password)
    if user is None:
        raise login_error()
    token = reference_tokens.create_access_token({"sub": user.username}, timedelta(minutes=30))
    return reference.Token(access_token=token, token_type="bearer")


def login_naive_now(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> reference.Token:
    user = reference.authenticate_user(reference.fake_users_db, form_data.username, form_data.password)
    if user is None:
        raise login_error()
    claims = {"sub": user.username, "exp": datetime.now() + timedelta(minutes=15)}
    return reference.Token(access_token=jwt.encode(claims, KEY, algorithm="HS256"), token_type="bearer")


def login_email_subject(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> reference.Token:
    user = reference.authenticate_user(reference.fake_users_db, form_data.username, form_data.password)
    if user is None:
        raise login_error()
    return reference.Token(access_token=reference_tokens.create_access_token({"sub": user.email}), token_type="bearer")


def login_loops(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> reference.Token:
    while not stop_loops.wait(0.01):
        pass
    raise login_error()


# A correct alternative: an async endpoint that returns a dict.
async def login_async_dict(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> reference.Token:
    user = reference.authenticate_user(reference.fake_users_db, form_data.username, form_data.password)
    if not user:
        raise login_error()
    return {"access_token": reference_tokens.create_access_token({"sub": user.username}), "token_type": "bearer"}


# Learner versions of get_current_user.
def current_user_from(claims_reader):
    """Return a get_current_user that decodes with `claims_reader(token)` and does the rest as the reference does."""

    def get_current_user(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
        try:
            claims = claims_reader(token)
        except jwt.InvalidTokenError:
            raise credentials_error() from None
        user = reference.get_user(reference.fake_users_db, claims.get("sub") or "")
        if user is None:
            raise credentials_error()
        return user

    return get_current_user


cu_no_algorithms = current_user_from(lambda token: jwt.decode(token, KEY))
cu_verify_exp_off = current_user_from(lambda token: jwt.decode(token, KEY, algorithms=["HS256"], options={"verify_exp": False}))
cu_no_signature_check = current_user_from(lambda token: jwt.decode(token, options={"verify_signature": False}))


def cu_catches_decode_error(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
    try:
        claims = jwt.decode(token, KEY, algorithms=["HS256"])
    except jwt.DecodeError:
        raise credentials_error() from None
    user = reference.get_user(reference.fake_users_db, claims.get("sub", ""))
    if user is None:
        raise credentials_error()
    return user


def cu_half_migrated(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
    try:
        claims = jwt.decode(token, KEY, algorithms=["HS256"])
    except JWTError:
        raise credentials_error() from None
    user = reference.get_user(reference.fake_users_db, claims.get("sub", ""))
    if user is None:
        raise credentials_error()
    return user


def cu_jose_no_algorithms(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
    try:
        claims = jose_jwt.decode(token, KEY)
    except JWTError:
        raise credentials_error() from None
    user = reference.get_user(reference.fake_users_db, claims.get("sub", ""))
    if user is None:
        raise credentials_error()
    return user


def cu_no_challenge(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
    try:
        claims = jwt.decode(token, KEY, algorithms=["HS256"])
        user = reference.get_user(reference.fake_users_db, claims["sub"])
    except (jwt.InvalidTokenError, KeyError):
        raise credentials_error(headers=None) from None
    if user is None:
        raise credentials_error(headers=None)
    return user


def cu_status_403(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
    try:
        claims = jwt.decode(token, KEY, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        raise credentials_error(status_code=403) from None
    user = reference.get_user(reference.fake_users_db, claims.get("sub", ""))
    if user is None:
        raise credentials_error(status_code=403)
    return user


def cu_subscript_sub(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
    try:
        claims = jwt.decode(token, KEY, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        raise credentials_error() from None
    user = reference.get_user(reference.fake_users_db, claims["sub"])
    if user is None:
        raise credentials_error()
    return user


def cu_no_user_check(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
    try:
        claims = jwt.decode(token, KEY, algorithms=["HS256"])
    except jwt.InvalidTokenError:
        raise credentials_error() from None
    if claims.get("sub") is None:
        raise credentials_error()
    return reference.get_user(reference.fake_users_db, claims["sub"])


def cu_rejects_disabled(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
    user = reference.get_current_user(token)
    if user.disabled:
        raise credentials_error()
    return user


def cu_stub(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
    raise NotImplementedError()


# Correct alternatives: async, python-jose with algorithms, the public User model.
async def cu_async(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
    return reference.get_current_user(token)


def cu_jose_with_algorithms(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.UserInDB:
    try:
        username = jose_jwt.decode(token, KEY, algorithms=["HS256"]).get("sub")
    except JWTError:
        raise credentials_error() from None
    user = reference.get_user(reference.fake_users_db, username) if isinstance(username, str) else None
    if user is None:
        raise credentials_error()
    return user


def cu_public_model(token: Annotated[str, Depends(reference.oauth2_scheme)]) -> reference.User:
    return reference.User(**reference.get_current_user(token).model_dump(exclude={"hashed_password"}))


# Learner versions of create_app.
def app_with_profile_route(read_users_me) -> FastAPI:
    app = FastAPI()
    app.post("/token")(reference.login_for_access_token)
    app.get("/users/me/")(read_users_me)
    return app


def me_in_db(current_user: Annotated[reference.UserInDB, Depends(reference.get_current_active_user)]) -> reference.UserInDB:
    return current_user


def me_model_validate(current_user: Annotated[reference.UserInDB, Depends(reference.get_current_active_user)]):
    return reference.User.model_validate(current_user)


def me_unprotected() -> reference.User:
    return reference.get_user(reference.fake_users_db, "alice")


def me_current_user(current_user: Annotated[reference.UserInDB, Depends(reference.get_current_user)]) -> reference.User:
    return current_user


def app_leaks_hash():
    return app_with_profile_route(me_in_db)


def app_model_validate_leak():
    return app_with_profile_route(me_model_validate)


def app_unprotected():
    return app_with_profile_route(me_unprotected)


def app_skips_active_check():
    return app_with_profile_route(me_current_user)


def app_login_with_get():
    app = FastAPI()
    app.get("/token")(reference.login_for_access_token)
    app.get("/users/me/")(reference.read_users_me)
    return app


def app_returns_none():
    app = FastAPI()
    app.post("/token")(reference.login_for_access_token)


# A correct alternative: response_model in the decorator instead of a return annotation.
def app_response_model_argument():
    app = FastAPI()
    app.post("/token", response_model=reference.Token)(reference.login_for_access_token)
    app.get("/users/me/", response_model=reference.User)(me_model_validate)
    return app


AUTHENTICATE_CHECKS = [
    app_checks.check_authenticate_user_right_password,
    app_checks.check_authenticate_user_wrong_password,
    app_checks.check_authenticate_user_unknown_user,
]
LOGIN_CHECKS = [
    app_checks.check_login_right_password,
    app_checks.check_login_wrong_password,
    app_checks.check_login_unknown_user,
]
CURRENT_USER_CHECKS = [
    app_checks.check_current_user_valid_token,
    app_checks.check_current_user_expired_token,
    app_checks.check_current_user_bad_signature,
    app_checks.check_current_user_missing_sub,
    app_checks.check_current_user_unknown_user,
]
CREATE_APP_CHECKS = [
    app_checks.check_create_app_login_route,
    app_checks.check_create_app_profile,
    app_checks.check_create_app_protection,
]


# Long enough for a few Argon2 verifications on a busy machine, short enough for the looping mistakes.
TEST_TIME_LIMIT_SECONDS = 3


@pytest.fixture(autouse=True)
def short_time_limit(monkeypatch):
    monkeypatch.setattr(learner_calls, "CALL_TIME_LIMIT_SECONDS", TEST_TIME_LIMIT_SECONDS)


@pytest.fixture(scope="module", autouse=True)
def end_learner_loops():
    stop_loops.clear()
    yield
    stop_loops.set()


def check_name(check, prefix: str) -> str:
    return check.__name__.removeprefix(prefix)


def assert_fails_exactly(function, checks, prefix, failures):
    """Run every check of a part: each check named in `failures` must fail with its message, the others must pass."""
    unknown = set(failures) - {check_name(check, prefix) for check in checks}
    assert not unknown, f"no such checks: {unknown}"
    for check in checks:
        message = failures.get(check_name(check, prefix))
        if message is None:
            check(function)
            continue
        with pytest.raises(AssertionError) as failure:
            check(function)
        assert message in str(failure.value), f"{check.__name__}: {failure.value}"


def all_failing(names, message):
    return dict.fromkeys(names, message)


@pytest.mark.parametrize("authenticate_user", [reference.authenticate_user, auth_returns_false, auth_hashes_unknown_password])
@pytest.mark.parametrize("check", AUTHENTICATE_CHECKS)
def test_authenticate_check_passes_correct(check, authenticate_user):
    check(authenticate_user)


NAMED_BY_FUNCTION = {"ids": lambda value: getattr(value, "__name__", "") if callable(value) else ""}
ALL_AUTHENTICATE = ["right_password", "wrong_password", "unknown_user"]
ALL_LOGIN = ["right_password", "wrong_password", "unknown_user"]
ALL_CURRENT_USER = ["valid_token", "expired_token", "bad_signature", "missing_sub", "unknown_user"]
REJECTED_TOKENS = ["expired_token", "bad_signature", "missing_sub", "unknown_user"]


@pytest.mark.parametrize(
    ("authenticate_user", "failures"),
    [
        (auth_plain_compare, {
            "right_password": "as plain strings",
            "wrong_password": "as plain strings",
            "unknown_user": "Verify the password against DUMMY_HASH",
        }),
        (auth_no_dummy_hash, {"unknown_user": "Verify the password against DUMMY_HASH"}),
        (auth_swapped_verify, all_failing(ALL_AUTHENTICATE, "takes the plain password first")),
        (auth_verify_empty_hash, {"unknown_user": "verify against DUMMY_HASH"}),
        (auth_no_none_check, {"unknown_user": "test for None first"}),
        (auth_stub, all_failing(ALL_AUTHENTICATE, "replace `raise NotImplementedError()`")),
        (auth_loops, all_failing(ALL_AUTHENTICATE, "did not return within 3 s")),
    ],
    **NAMED_BY_FUNCTION,
)
def test_authenticate_checks_name_mistake(authenticate_user, failures):
    assert_fails_exactly(authenticate_user, AUTHENTICATE_CHECKS, "check_authenticate_user_", failures)


@pytest.mark.parametrize("login", [reference.login_for_access_token, login_async_dict])
@pytest.mark.parametrize("check", LOGIN_CHECKS)
def test_login_check_passes_correct(check, login):
    check(login)


@pytest.mark.parametrize(
    ("login", "failures"),
    [
        (login_reveals_unknown_user, {
            "wrong_password": "expected the detail 'Incorrect username or password', got 'Incorrect password'",
            "unknown_user": "which usernames exist",
        }),
        (login_no_challenge, all_failing(["wrong_password", "unknown_user"], "has no WWW-Authenticate header")),
        (login_status_400, all_failing(["wrong_password", "unknown_user"], "A failed login is 401 Unauthorized")),
        (login_thirty_minutes, {"right_password": "The course has one default lifetime: 15 minutes"}),
        (login_naive_now, {"right_password": "which is what a naive datetime.now() does"}),
        (login_email_subject, {"right_password": "Put the username in the sub claim"}),
        (login_loops, all_failing(ALL_LOGIN, "did not return within 3 s")),
    ],
    **NAMED_BY_FUNCTION,
)
def test_login_checks_name_mistake(login, failures):
    assert_fails_exactly(login, LOGIN_CHECKS, "check_login_", failures)


@pytest.mark.parametrize("get_current_user", [reference.get_current_user, cu_async, cu_jose_with_algorithms, cu_public_model])
@pytest.mark.parametrize("check", CURRENT_USER_CHECKS)
def test_current_user_check_passes_correct(check, get_current_user):
    check(get_current_user)


@pytest.mark.parametrize(
    ("get_current_user", "failures"),
    [
        (cu_no_algorithms, {"valid_token": 'pass in a value for the "algorithms" argument'}),
        (cu_jose_no_algorithms, {"bad_signature": "Pass algorithms=[ALGORITHM] to jwt.decode"}),
        (cu_verify_exp_off, {"expired_token": "but the token was accepted"}),
        (cu_no_signature_check, all_failing(["expired_token", "bad_signature"], "Do not turn off any of jwt.decode's checks")),
        (cu_catches_decode_error, all_failing(["expired_token", "bad_signature", "missing_sub"], "Catch jwt.InvalidTokenError")),
        (cu_half_migrated, all_failing(["expired_token", "bad_signature", "missing_sub"], "a half-migrated `except JWTError`")),
        (cu_no_challenge, all_failing(REJECTED_TOKENS, "has no WWW-Authenticate header")),
        (cu_status_403, all_failing(REJECTED_TOKENS, "expected 401 'Could not validate credentials', got 403")),
        (cu_subscript_sub, {"missing_sub": 'Read the subject with claims.get("sub")'}),
        (cu_no_user_check, {"unknown_user": "raise the 401 for it"}),
        (cu_rejects_disabled, {"valid_token": "get_current_user should return a disabled user"}),
        (cu_stub, all_failing(ALL_CURRENT_USER, "Replace `raise NotImplementedError()`")),
    ],
    **NAMED_BY_FUNCTION,
)
def test_current_user_checks_name_mistake(get_current_user, failures):
    assert_fails_exactly(get_current_user, CURRENT_USER_CHECKS, "check_current_user_", failures)


@pytest.mark.parametrize("create_app", [reference.create_app, app_response_model_argument])
@pytest.mark.parametrize("check", CREATE_APP_CHECKS)
def test_create_app_check_passes_correct(check, create_app):
    check(create_app)


@pytest.mark.parametrize(
    ("create_app", "failures"),
    [
        (app_leaks_hash, {"profile": "the response contains hashed_password"}),
        (app_model_validate_leak, {"profile": "the response contains hashed_password"}),
        (app_unprotected, {"protection": "The route must depend on get_current_active_user"}),
        (app_skips_active_check, {"protection": "Depend on get_current_active_user, not get_current_user"}),
        (app_login_with_get, {"login_route": 'Register login_for_access_token with app.post("/token")'}),
        (app_returns_none, all_failing(["login_route", "profile", "protection"], "expected a FastAPI app, got NoneType")),
    ],
    **NAMED_BY_FUNCTION,
)
def test_create_app_checks_name_mistake(create_app, failures):
    assert_fails_exactly(create_app, CREATE_APP_CHECKS, "check_create_app_", failures)


def test_login_check_restores_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        with pytest.raises(AssertionError, match="naive datetime.now"):
            app_checks.check_login_right_password(login_naive_now)
        assert time.localtime().tm_gmtoff == 0, "the check must restore the caller's time zone"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_argon2_counter_sees_each_call():
    with app_checks.count_argon2_calls() as calls:
        password_hash.verify("wrong", reference.DUMMY_HASH)
        password_hash.hash("any password")
    assert calls == {"verify": 1, "hash": 1}, f"expected one verify and one hash, counted {dict(calls)}"


def test_notebook_users_match_reference():
    """The notebook's given users must log in with the passwords that the checks send."""
    notebook = nbformat.read(source_notebook(ASSIGNMENT), as_version=4)
    given_cell = next(cell for cell in notebook.cells if cell.id == "given")
    setup_cell = next(cell for cell in notebook.cells if cell.id == "setup")
    namespace: dict = {}
    exec(compile(setup_cell.source, "setup", "exec"), namespace)
    exec(compile(given_cell.source, "given", "exec"), namespace)
    users = namespace["fake_users_db"]
    assert set(users) == set(reference.DEMO_PROFILES), f"notebook users {sorted(users)}"
    for username, record in users.items():
        profile = {name: value for name, value in record.items() if name != "hashed_password"}
        assert profile == reference.DEMO_PROFILES[username], f"{username}: notebook profile {profile}"
        assert password_hash.verify(reference.DEMO_PASSWORDS[username], record["hashed_password"]), (
            f"{username}: the notebook's hash does not verify the password {reference.DEMO_PASSWORDS[username]!r}"
        )
