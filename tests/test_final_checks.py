"""Notebook 08's grading checks: correct alternatives pass, and each typical mistake fails with its own message."""

import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Annotated

import jwt
import pytest
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from jose import JWTError
from jose import jwt as jose_jwt

import reference_final
import reference_tokens
from autograder import final_checks, learner_calls

KEY = reference_tokens.SECRET_KEY
ALGORITHM = reference_tokens.ALGORITHM
DETAIL = "Could not validate credentials"
BEARER = {"WWW-Authenticate": "Bearer"}

# Looping learner functions wait on this event, so their threads end when the test does.
stop_loops = threading.Event()


class AccessTokenError(Exception):
    """The learner's own exception class, as the notebook's setup cell defines it."""


@pytest.fixture(autouse=True)
def short_time_limit(monkeypatch):
    monkeypatch.setattr(learner_calls, "CALL_TIME_LIMIT_SECONDS", 0.5)
    stop_loops.clear()
    yield
    stop_loops.set()


# ---------------------------------------------------------------------------
# Learner versions of decode_access_token: each name is the mistake it makes
# ---------------------------------------------------------------------------


def decode_correct(token: str) -> str:
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise AccessTokenError(str(error)) from error
    return claims["sub"]


def decode_with_leeway(token: str) -> str:
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], leeway=10, options={"require": ["exp", "sub"]})
    except jwt.PyJWTError as error:
        raise AccessTokenError("invalid token") from error
    return claims["sub"]


def decode_python_jose(token: str) -> str:
    try:
        claims = jose_jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require_exp": True, "require_sub": True})
    except JWTError as error:
        raise AccessTokenError(str(error)) from error
    return claims["sub"]


def decode_no_algorithms(token: str) -> str:
    try:
        claims = jwt.decode(token, KEY, options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError:
        raise AccessTokenError("invalid token")
    return claims["sub"]


def decode_catches_only_expired(token: str) -> str:
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM])
    except jwt.ExpiredSignatureError as error:
        raise AccessTokenError("token expired") from error
    return claims["sub"]


def decode_header_algorithm(token: str) -> str:
    algorithm = jwt.get_unverified_header(token)["alg"]
    try:
        claims = jwt.decode(token, KEY, algorithms=[algorithm], options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise AccessTokenError(str(error)) from error
    return claims["sub"]


def decode_without_verification(token: str) -> str:
    try:
        claims = jwt.decode(token, options={"verify_signature": False, "require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise AccessTokenError(str(error)) from error
    return claims["sub"]


def decode_returns_claims(token: str) -> dict:
    try:
        return jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise AccessTokenError(str(error)) from error


def decode_requires_nothing(token: str) -> str | None:
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM])
    except jwt.InvalidTokenError as error:
        raise AccessTokenError(str(error)) from error
    return claims.get("sub")


def decode_requires_only_exp(token: str) -> str:
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.InvalidTokenError as error:
        raise AccessTokenError(str(error)) from error
    return claims["sub"]


def decode_raises_value_error(token: str) -> str:
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise ValueError("invalid token") from error
    return claims["sub"]


def decode_stub(token: str) -> str:
    raise NotImplementedError()


def decode_loops(token: str) -> str:
    stop_loops.wait()
    return "alice"


DECODE_CHECKS = {
    "valid": lambda decode: final_checks.check_decode_valid_tokens(decode),
    "expired": lambda decode: final_checks.check_decode_expired_tokens(decode, AccessTokenError),
    "forged": lambda decode: final_checks.check_decode_forged_tokens(decode, AccessTokenError),
    "missing_claims": lambda decode: final_checks.check_decode_missing_claims(decode, AccessTokenError),
}


@pytest.mark.parametrize("decode", [decode_correct, decode_with_leeway, decode_python_jose], ids=lambda f: f.__name__)
@pytest.mark.parametrize("check", DECODE_CHECKS)
def test_decode_check_passes_correct(check, decode):
    DECODE_CHECKS[check](decode)


def test_decode_checks_pass_reference():
    decode = reference_final.decode_access_token
    final_checks.check_decode_valid_tokens(decode)
    final_checks.check_decode_expired_tokens(decode, reference_final.AccessTokenError)
    final_checks.check_decode_forged_tokens(decode, reference_final.AccessTokenError)
    final_checks.check_decode_missing_claims(decode, reference_final.AccessTokenError)


@pytest.mark.parametrize(
    ("decode", "failures"),
    [
        (decode_no_algorithms, {"valid": "PyJWT 2 requires algorithms=[ALGORITHM]"}),
        (
            decode_catches_only_expired,
            {"forged": "raised jwt.InvalidSignatureError", "missing_claims": "A token without exp never expires"},
        ),
        (decode_header_algorithm, {"forged": "never take the algorithm from the token's own header"}),
        (
            decode_without_verification,
            {"expired": "exp was not checked", "forged": "The signature was not checked", "missing_claims": "must be a string"},
        ),
        (decode_returns_claims, {"valid": "returned the claims dict"}),
        (decode_requires_nothing, {"missing_claims": "A token without exp never expires"}),
        (decode_requires_only_exp, {"missing_claims": "raised KeyError 'sub'"}),
        (
            decode_raises_value_error,
            {name: "raised ValueError: invalid token instead of AccessTokenError" for name in ("expired", "forged", "missing_claims")},
        ),
        (decode_stub, {name: "replace `raise NotImplementedError()`" for name in DECODE_CHECKS}),
        (decode_loops, {name: "did not return within 0.5 s" for name in DECODE_CHECKS}),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_decode_checks_name_mistake(decode, failures):
    for name, check in DECODE_CHECKS.items():
        if name not in failures:
            check(decode)
            continue
        with pytest.raises(AssertionError) as failure:
            check(decode)
        assert failures[name] in str(failure.value), f"{name}: {failure.value}"


def test_valid_token_failure_names_zone_and_claims():
    with pytest.raises(AssertionError) as failure:
        final_checks.check_decode_valid_tokens(decode_no_algorithms)
    message = str(failure.value)
    assert "under a UTC-5" in message, message
    assert "{'sub': 'alice'}" in message, message


# ---------------------------------------------------------------------------
# Learner versions of the app: get_current_username and the route
# ---------------------------------------------------------------------------


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


def build_app(dependency, decode=decode_correct) -> FastAPI:
    """Return an app whose GET /users/me uses `dependency(token, decode)` as the learner's get_current_username."""

    def get_current_username(token: Annotated[str, Depends(oauth2_scheme)]) -> str:
        return dependency(token, decode)

    app = FastAPI()

    @app.get("/users/me")
    def read_users_me(username: Annotated[str, Depends(get_current_username)]) -> dict[str, str]:
        return {"username": username}

    return app


def username_correct(token, decode):
    try:
        return decode(token)
    except AccessTokenError:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail=DETAIL, headers=BEARER) from None


def username_no_www_authenticate(token, decode):
    try:
        return decode(token)
    except AccessTokenError:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail=DETAIL) from None


def username_forbidden(token, decode):
    try:
        return decode(token)
    except AccessTokenError:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=DETAIL) from None


def username_detail_names_reason(token, decode):
    try:
        return decode(token)
    except AccessTokenError as error:
        raise HTTPException(status_code=401, detail=str(error), headers=BEARER) from None


def username_lets_error_escape(token, decode):
    return decode(token)


def username_stub(token, decode):
    raise NotImplementedError()


def username_loops(token, decode):
    stop_loops.wait()
    return "alice"


def build_async_app() -> FastAPI:
    async def get_current_username(token: Annotated[str, Depends(oauth2_scheme)]) -> str:
        return username_correct(token, decode_correct)

    app = FastAPI()

    @app.get("/users/me")
    async def read_users_me(username: Annotated[str, Depends(get_current_username)]):
        return {"username": username}

    return app


def build_query_token_app() -> FastAPI:
    app = FastAPI()

    @app.get("/users/me")
    def read_users_me(token: str) -> dict[str, str]:
        return {"username": username_correct(token, decode_correct)}

    return app


def build_post_route_app() -> FastAPI:
    app = FastAPI()

    @app.post("/users/me")
    def read_users_me(username: Annotated[str, Depends(lambda: "alice")]) -> dict[str, str]:
        return {"username": username}

    return app


# Learner versions of create_access_token for the own-tokens check.
def create_naive_now(data, expires_delta=None):
    delta = timedelta(minutes=15) if expires_delta is None else expires_delta
    return jwt.encode({**data, "exp": datetime.now() + delta}, KEY, algorithm=ALGORITHM)


def create_bytes(data, expires_delta=None):
    return reference_tokens.create_access_token(data, expires_delta).encode()


def create_other_key(data, expires_delta=None):
    delta = timedelta(minutes=15) if expires_delta is None else expires_delta
    return jwt.encode({**data, "exp": datetime.now(timezone.utc) + delta}, "another-key-of-32-bytes-or-more!!", algorithm=ALGORITHM)


APP_CHECKS = {
    "valid": lambda app: final_checks.check_users_me_valid_tokens(app),
    "missing_token": lambda app: final_checks.check_users_me_missing_token(app),
    "expired": lambda app: final_checks.check_users_me_expired_tokens(app),
    "forged": lambda app: final_checks.check_users_me_forged_tokens(app),
    "own_tokens": lambda app: final_checks.check_users_me_own_tokens(app, reference_tokens.create_access_token),
}


def assert_app_checks(app: FastAPI, failures: dict[str, str]) -> None:
    for name, check in APP_CHECKS.items():
        if name not in failures:
            check(app)
            continue
        with pytest.raises(AssertionError) as failure:
            check(app)
        assert failures[name] in str(failure.value), f"{name}: {failure.value}"


@pytest.mark.parametrize("check", APP_CHECKS)
def test_app_check_passes_reference(check):
    APP_CHECKS[check](reference_final.app)


@pytest.mark.parametrize(
    "build",
    [lambda: build_app(username_correct), lambda: build_app(username_correct, decode_python_jose), build_async_app],
    ids=["sync", "python-jose", "async"],
)
@pytest.mark.parametrize("check", APP_CHECKS)
def test_app_check_passes_correct(check, build):
    APP_CHECKS[check](build())


@pytest.mark.parametrize(
    ("build", "failures"),
    [
        (
            lambda: build_app(username_no_www_authenticate),
            {name: "has no WWW-Authenticate header, expected WWW-Authenticate: Bearer" for name in ("expired", "forged")},
        ),
        (lambda: build_app(username_forbidden), {name: "A missing or rejected token is 401 Unauthorized" for name in ("expired", "forged")}),
        (lambda: build_app(username_detail_names_reason), {name: "Give every rejected token the same detail" for name in ("expired", "forged")}),
        (
            lambda: build_app(username_lets_error_escape),
            {name: "get_current_username must catch AccessTokenError" for name in ("expired", "forged")},
        ),
        (
            lambda: build_app(username_correct, decode_catches_only_expired),
            {"forged": "decode_access_token let a PyJWT error escape"},
        ),
        (
            lambda: build_app(username_correct, decode_no_algorithms),
            {"valid": "expected 200", "own_tokens": "The token itself is right"},
        ),
        (
            build_query_token_app,
            {
                "valid": "FastAPI responded with 422",
                "missing_token": "FastAPI responded with 422",
                "expired": "FastAPI responded with 422",
                "forged": "FastAPI responded with 422",
                "own_tokens": "expected 200",
            },
        ),
        (FastAPI, {name: "The app has no route GET /users/me" for name in APP_CHECKS}),
        (build_post_route_app, {name: "must accept GET" for name in APP_CHECKS}),
        (lambda: build_app(username_stub), {name: "replace `raise NotImplementedError()`" for name in ("valid", "expired", "forged", "own_tokens")}),
        (lambda: build_app(username_loops), {name: "did not return within 0.5 s" for name in ("valid", "expired", "forged", "own_tokens")}),
    ],
    ids=[
        "no-www-authenticate", "403", "detail-says-why", "error-escapes", "decode-catches-only-expired",
        "decode-no-algorithms", "token-in-query", "no-route", "post-route", "stub", "loops",
    ],
)
def test_app_checks_name_mistake(build, failures):
    assert_app_checks(build(), failures)


@pytest.mark.parametrize(
    ("create", "message"),
    [
        (create_naive_now, "which is what a naive datetime.now() does"),
        (create_bytes, "not a str token"),
        (create_other_key, "does not verify with the course key"),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_own_tokens_check_names_mistake(create, message):
    with pytest.raises(AssertionError) as failure:
        final_checks.check_users_me_own_tokens(reference_final.app, create)
    assert message in str(failure.value), str(failure.value)


def build_header_or_query_app() -> FastAPI:
    """Return an app that also accepts the token as ?token=..., as some old tutorials do."""
    optional_scheme = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)

    def get_current_username(header_token: Annotated[str | None, Depends(optional_scheme)], token: str | None = None) -> str:
        if header_token is None and token is None:
            raise HTTPException(status_code=401, detail="Not authenticated", headers=BEARER)
        return username_correct(header_token or token, decode_correct)

    app = FastAPI()

    @app.get("/users/me")
    def read_users_me(username: Annotated[str, Depends(get_current_username)]) -> dict[str, str]:
        return {"username": username}

    return app


def test_token_in_query_string_names_logs():
    assert_app_checks(build_header_or_query_app(), {"missing_token": "a URL ends up in the server's access log"})


# ---------------------------------------------------------------------------
# Part A's token checks delegate to notebook 02's checks
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "create"),
    [
        (final_checks.check_create_access_token_expiry, create_naive_now),
        (final_checks.check_create_access_token_claims, create_bytes),
    ],
)
def test_token_checks_fail_typical_mistakes(check, create):
    with pytest.raises(AssertionError):
        check(create)


def test_token_checks_pass_reference():
    final_checks.check_create_access_token_expiry(reference_final.create_access_token)
    final_checks.check_create_access_token_claims(reference_final.create_access_token)


def test_checks_restore_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        final_checks.check_users_me_expired_tokens(reference_final.app)
        assert time.localtime().tm_gmtoff == 0, "the check must restore the caller's time zone"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_import_hides_starlette_httpx_warning():
    # A new interpreter, because this one has imported fastapi.testclient already.
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", "import autograder.final_checks"], capture_output=True, text=True, check=True
    )
    assert "httpx2" not in result.stderr, result.stderr
