"""Checks for notebook 06: `authenticate_user`, `login_for_access_token`, `get_current_user`, `create_app`.

Each hidden test cell calls one check. The checks call `authenticate_user` directly. They grade
the other three through HTTP requests that Starlette's TestClient sends to an app built from the
learner's functions, and compare the responses with the reference app in solutions/reference_app.py.
A failed check raises AssertionError with a message that names the request, the expected and actual
response, and the likely mistake.
"""

import json
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import argon2
import httpx
import jwt
import reference_app as reference
import reference_tokens
from fastapi import FastAPI
from fastapi.exception_handlers import http_exception_handler
from pwdlib.exceptions import UnknownHashError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.exceptions import StarletteDeprecationWarning

from autograder import learner_calls
from autograder.expiry import EXP_TOLERANCE_SECONDS, diagnose_expiry, numeric_date
from autograder.learner_calls import GRADING_TIME_ZONES, LearnerCodeError, call_learner, local_time_zone

# Starlette 1.10 warns on the first import of its TestClient that it prefers httpx2; the pinned
# httpx 0.28.1 works. The notebook's setup cell hides the same warning.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="Using `httpx` with `starlette.testclient` is deprecated", category=StarletteDeprecationWarning
    )
    from fastapi.testclient import TestClient

UNKNOWN_USERNAME = "mallory"
ACTIVE_USERNAME = "alice"
DISABLED_USERNAME = "bob"
WRONG_PASSWORD = "wonderland!"
OTHER_KEY = "a-key-that-is-not-the-course-key-0123456789abcdef"
EXPIRED_DELTA = timedelta(minutes=-5)

CHALLENGE_HINT = (
    'Pass headers={"WWW-Authenticate": "Bearer"} to the HTTPException: a 401 response must name the '
    "authentication scheme the client should use."
)
BASE_CLASS_HINT = (
    "Catch jwt.InvalidTokenError, the base class of the errors jwt.decode raises for a bad token "
    "(a half-migrated `except JWTError` from python-jose catches none of them)."
)
ALGORITHMS_HINT = "Pass algorithms=[ALGORITHM] to jwt.decode, so a token cannot choose its own algorithm."
PLAIN_COMPARE_HINT = (
    "It compares the password with hashed_password as plain strings. "
    "Use password_hash.verify(password, user.hashed_password)."
)
DUMMY_HASH_HINT = (
    "Verify the password against DUMMY_HASH before you return None, so an unknown username takes as long "
    "as a wrong password and the response time does not reveal which usernames exist."
)


class AppRequestError(AssertionError):
    """Raised when the learner's app raised an exception instead of returning a response."""


class UsersTable(dict):
    """The reference users, shown in messages by the name the notebook gives them instead of every hash."""

    def __repr__(self) -> str:
        return "fake_users_db"


# ---------------------------------------------------------------------------
# Part A: authenticate_user, called directly with the reference users
# ---------------------------------------------------------------------------


def check_authenticate_user_right_password(authenticate_user: Callable) -> None:
    """Check that the right password returns the user."""
    password = reference.DEMO_PASSWORDS[ACTIVE_USERNAME]
    user = call_authenticate(authenticate_user, ACTIVE_USERNAME, password)
    call = describe_authenticate(ACTIVE_USERNAME, password)
    if not user:
        if call_authenticate(authenticate_user, ACTIVE_USERNAME, stored_hash(ACTIVE_USERNAME)):
            raise AssertionError(f"{call} rejected the right password, but accepted the stored hash. {PLAIN_COMPARE_HINT}")
        raise AssertionError(f"{call}: expected the user {ACTIVE_USERNAME!r}, got {user!r}.")
    assert read_username(user) == ACTIVE_USERNAME, (
        f"{call}: expected the user {ACTIVE_USERNAME!r} (a UserInDB), got {user!r}."
    )


def check_authenticate_user_wrong_password(authenticate_user: Callable) -> None:
    """Check that a wrong password, and the stored hash sent as a password, return None."""
    user = call_authenticate(authenticate_user, ACTIVE_USERNAME, WRONG_PASSWORD)
    call = describe_authenticate(ACTIVE_USERNAME, WRONG_PASSWORD)
    assert not user, f"{call}: expected None for a wrong password, got {user!r}."

    leaked_hash = stored_hash(ACTIVE_USERNAME)
    user = call_authenticate(authenticate_user, ACTIVE_USERNAME, leaked_hash)
    assert not user, (
        f"{describe_authenticate(ACTIVE_USERNAME, leaked_hash)}: sending the stored hash as the password "
        f"logged in. {PLAIN_COMPARE_HINT}"
    )


def check_authenticate_user_unknown_user(authenticate_user: Callable) -> None:
    """Check that an unknown username returns None after one Argon2 verification, like a wrong password."""
    password = reference.DEMO_PASSWORDS[ACTIVE_USERNAME]
    call = describe_authenticate(UNKNOWN_USERNAME, password)
    with count_argon2_calls() as calls:
        user = call_authenticate(authenticate_user, UNKNOWN_USERNAME, password)
    assert not user, f"{call}: expected None for an unknown username, got {user!r}."
    assert calls["verify"] + calls["hash"] >= 1, (
        f"{call} returned without any Argon2 verification, so it returns much sooner than for a wrong "
        f"password. {DUMMY_HASH_HINT}"
    )


def call_authenticate(authenticate_user: Callable, username: str, password: str) -> object:
    """Call the learner's authenticate_user with the reference users, naming pwdlib's argument order on error."""
    try:
        return call_learner(authenticate_user, UsersTable(reference.fake_users_db), username, password)
    except LearnerCodeError as error:
        if isinstance(error.__cause__, UnknownHashError):
            raise LearnerCodeError(
                f"{error}. pwdlib's verify(password, hash) takes the plain password first and a stored hash "
                "second; for an unknown user, verify against DUMMY_HASH."
            ) from None
        if isinstance(error.__cause__, AttributeError) and "NoneType" in str(error.__cause__):
            raise LearnerCodeError(f"{error}. get_user returns None for an unknown username: test for None first.") from None
        raise


def describe_authenticate(username: str, password: str) -> str:
    return f"authenticate_user(fake_users_db, {username!r}, {password!r})"


def stored_hash(username: str) -> str:
    return reference.fake_users_db[username]["hashed_password"]


def read_username(user: object) -> object:
    """Return the username of a user model or dict, or None."""
    if isinstance(user, dict):
        return user.get("username")
    return getattr(user, "username", None)


@contextmanager
def count_argon2_calls() -> Iterator[Counter]:
    """Count Argon2 hash and verify calls in this process, whichever PasswordHash object makes them."""
    calls: Counter = Counter()
    original_verify = argon2.PasswordHasher.verify
    original_hash = argon2.PasswordHasher.hash

    def counted_verify(self, *args, **kwargs):
        calls["verify"] += 1
        return original_verify(self, *args, **kwargs)

    def counted_hash(self, *args, **kwargs):
        calls["hash"] += 1
        return original_hash(self, *args, **kwargs)

    with mock.patch.object(argon2.PasswordHasher, "verify", counted_verify):
        with mock.patch.object(argon2.PasswordHasher, "hash", counted_hash):
            yield calls


# ---------------------------------------------------------------------------
# Part B: login_for_access_token, registered as POST /token on a new app
# ---------------------------------------------------------------------------


def check_login_right_password(login_for_access_token: Callable) -> None:
    """Check that the right password gets a bearer token for the user that expires in 15 minutes, in non-UTC zones."""
    client = TestClient(build_login_app(login_for_access_token))
    lifetime = reference_tokens.ACCESS_TOKEN_EXPIRE.total_seconds()
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            sent = time.time()
            response = post_login(client, ACTIVE_USERNAME, reference.DEMO_PASSWORDS[ACTIVE_USERNAME])
            received = time.time()
            claims = assert_token_response(response, "POST /token as alice with the right password")
            request = f"POST /token as alice under a {zone_name} clock"
            seconds = numeric_date(claims.get("exp"))
            assert seconds is not None, f"{request}: expected a numeric exp claim in the token, got {claims.get('exp')!r}."
            # The token is created between sending and receiving, which takes an Argon2 verification,
            # and PyJWT truncates exp to whole seconds.
            earliest, latest = int(sent) + lifetime, received + lifetime
            if earliest - EXP_TOLERANCE_SECONDS <= seconds <= latest + EXP_TOLERANCE_SECONDS:
                continue
            # Creating the token is the endpoint's last step, so its time is closest to `received`.
            problem = diagnose_expiry(seconds, int(received) + lifetime, None)
            raise AssertionError(f"{request}: {problem} Call create_access_token({{'sub': user.username}}).")


def check_login_wrong_password(login_for_access_token: Callable) -> None:
    """Check that a wrong password gets 401 "Incorrect username or password" with WWW-Authenticate: Bearer."""
    client = TestClient(build_login_app(login_for_access_token))
    response = post_login(client, ACTIVE_USERNAME, WRONG_PASSWORD)
    assert_login_failure(response, "POST /token as alice with a wrong password")


def check_login_unknown_user(login_for_access_token: Callable) -> None:
    """Check that an unknown username gets exactly the response a wrong password gets."""
    client = TestClient(build_login_app(login_for_access_token))
    unknown = post_login(client, UNKNOWN_USERNAME, reference.DEMO_PASSWORDS[ACTIVE_USERNAME])
    wrong = post_login(client, ACTIVE_USERNAME, WRONG_PASSWORD)
    if (unknown.status_code, read_detail(unknown)) != (wrong.status_code, read_detail(wrong)):
        raise AssertionError(
            f"POST /token: the unknown username {UNKNOWN_USERNAME!r} got {describe_response(unknown)}, but alice "
            f"with a wrong password got {describe_response(wrong)}. Two different responses tell anyone which "
            f"usernames exist: respond to both with 401 {reference.LOGIN_FAILED_DETAIL!r}."
        )
    assert_login_failure(unknown, f"POST /token as the unknown user {UNKNOWN_USERNAME!r}")


def build_login_app(login_for_access_token: Callable) -> FastAPI:
    """Register the learner's endpoint as POST /token on a new app, as the tutorial does."""
    app = FastAPI()
    try:
        app.post("/token")(login_for_access_token)
    except Exception as error:
        raise LearnerCodeError(
            f"FastAPI could not register login_for_access_token as POST /token: {type(error).__name__}: {error}"
        ) from error
    return app


def post_login(client: TestClient, username: str, password: str) -> httpx.Response:
    """Send the login form, as a browser or an OAuth2 client sends it."""
    description = f"POST /token with the form username={username!r}, password={password!r}"
    return send(client, "POST", "/token", description, data={"username": username, "password": password})


def assert_token_response(response: httpx.Response, request: str) -> dict:
    """Check a successful login response and return the token's claims."""
    body = read_json(response)
    if response.status_code != 200:
        raise AssertionError(
            f"{request}: expected 200 with a token, got {describe_response(response)}. "
            "Check authenticate_user (Part A) and how the endpoint calls it."
        )
    assert isinstance(body, dict) and set(body) == {"access_token", "token_type"}, (
        f'{request}: expected {{"access_token": ..., "token_type": "bearer"}}, got {body!r}.'
    )
    assert str(body["token_type"]).lower() == "bearer", f'{request}: expected token_type "bearer", got {body["token_type"]!r}.'
    claims = decode_course_token(body["access_token"], request)
    assert claims.get("sub") == ACTIVE_USERNAME, (
        f"{request}: expected sub {ACTIVE_USERNAME!r} in the token, got {claims.get('sub')!r}. "
        "Put the username in the sub claim: create_access_token({'sub': user.username})."
    )
    return claims


def assert_login_failure(response: httpx.Response, request: str) -> None:
    if response.status_code == 400:
        raise AssertionError(
            f"{request}: expected 401, got {describe_response(response)}. A failed login is 401 Unauthorized; "
            "400 is the response for an inactive user."
        )
    if response.status_code == 200:
        raise AssertionError(f"{request}: expected 401, but the login succeeded with {read_json(response)!r}.")
    assert_error_response(response, request, 401, reference.LOGIN_FAILED_DETAIL, challenge=True)


def decode_course_token(token: object, request: str) -> dict:
    """Decode a token with the course key, without the exp check, so exp can be diagnosed."""
    assert isinstance(token, str), f"{request}: expected access_token as a str, got {type(token).__name__} {token!r}."
    try:
        return jwt.decode(
            token, reference_tokens.SECRET_KEY, algorithms=[reference_tokens.ALGORITHM], options={"verify_exp": False}
        )
    except jwt.InvalidTokenError as error:
        raise AssertionError(
            f"{request}: the access_token does not decode with the course key: {type(error).__name__}: {error}. "
            "Create it with create_access_token."
        ) from None


# ---------------------------------------------------------------------------
# Part C: get_current_user, in place of the reference's dependency
# ---------------------------------------------------------------------------


def check_current_user_valid_token(get_current_user: Callable) -> None:
    """Check that a valid token gets the user's profile, and a disabled user's token gets 400 from the next dependency."""
    app, raised = build_current_user_app(get_current_user)
    client = TestClient(app)
    token = reference_tokens.create_access_token({"sub": ACTIVE_USERNAME})
    assert_profile_response(client, token, raised)

    token = reference_tokens.create_access_token({"sub": DISABLED_USERNAME})
    request = "GET /users/me/ with a valid token for the disabled user bob"
    response = send(client, "GET", "/users/me/", request, headers=bearer(token))
    if response.status_code == 401:
        raise AssertionError(
            f"{request}: expected 400 {reference.INACTIVE_USER_DETAIL!r} from get_current_active_user, got "
            f"{describe_response(response)}. get_current_user should return a disabled user, because the token "
            "is valid, and get_current_active_user responds with 400 for it."
        )
    assert_error_response(response, request, 400, reference.INACTIVE_USER_DETAIL, challenge=False)


def check_current_user_expired_token(get_current_user: Callable) -> None:
    """Check that an expired token gets 401, not 500 and not the profile."""
    app, _ = build_current_user_app(get_current_user)
    token = reference_tokens.create_access_token({"sub": ACTIVE_USERNAME}, EXPIRED_DELTA)
    assert_rejected_token(TestClient(app), token, "an expired token (exp 5 minutes ago)")


def check_current_user_bad_signature(get_current_user: Callable) -> None:
    """Check that tampered, wrongly signed, other-algorithm and malformed tokens get 401."""
    app, _ = build_current_user_app(get_current_user)
    client = TestClient(app)
    for description, token in bad_signature_tokens().items():
        assert_rejected_token(client, token, description)


def check_current_user_missing_sub(get_current_user: Callable) -> None:
    """Check that a token without sub, or with a sub that is not a string, gets 401."""
    app, _ = build_current_user_app(get_current_user)
    client = TestClient(app)
    tokens = {
        "a valid token without a sub claim": reference_tokens.create_access_token({"name": ACTIVE_USERNAME}),
        "a valid token whose sub is the number 42": reference_tokens.create_access_token({"sub": 42}),
    }
    for description, token in tokens.items():
        assert_rejected_token(client, token, description)


def check_current_user_unknown_user(get_current_user: Callable) -> None:
    """Check that a valid token for a username that is not in the database gets 401."""
    app, _ = build_current_user_app(get_current_user)
    token = reference_tokens.create_access_token({"sub": UNKNOWN_USERNAME})
    assert_rejected_token(TestClient(app), token, f"a valid token for the unknown user {UNKNOWN_USERNAME!r}")


def build_current_user_app(get_current_user: Callable) -> tuple[FastAPI, list]:
    """Return the reference app with the learner's get_current_user in place of the reference's.

    The list collects every HTTPException the app raises, so a check can read what caused a 401.
    """
    app = reference.create_app()
    app.dependency_overrides[reference.get_current_user] = get_current_user
    return app, record_http_exceptions(app)


def record_http_exceptions(app: FastAPI) -> list:
    raised = []

    async def record(request, error):
        raised.append(error)
        return await http_exception_handler(request, error)

    app.add_exception_handler(StarletteHTTPException, record)
    return raised


def bad_signature_tokens() -> dict[str, str]:
    """Return tokens for alice that the course key and HS256 must reject, by description."""
    claims = reference_tokens.build_claims({"sub": ACTIVE_USERNAME})
    valid = reference_tokens.create_access_token({"sub": DISABLED_USERNAME})
    header_part, _, signature = valid.split(".")
    forged_payload = reference_tokens.encode_json_segment({"sub": ACTIVE_USERNAME, "exp": int(claims["exp"].timestamp())})
    return {
        "a token whose payload was changed from bob to alice after signing": f"{header_part}.{forged_payload}.{signature}",
        "a token signed with another key": jwt.encode(claims, OTHER_KEY, algorithm="HS256"),
        "a token signed with the course key but HS512": jwt.encode(claims, reference_tokens.SECRET_KEY, algorithm="HS512"),
        'an unsigned token (alg "none")': jwt.encode(claims, None, algorithm="none"),
        "the string 'not-a-jwt'": "not-a-jwt",
    }


def assert_rejected_token(client: TestClient, token: str, description: str) -> None:
    request = f"GET /users/me/ with {description}"
    response = send(client, "GET", "/users/me/", request, headers=bearer(token))
    if response.status_code == 200:
        hint = ALGORITHMS_HINT if "HS512" in description else "Do not turn off any of jwt.decode's checks."
        raise AssertionError(f"{request}: expected 401, but the token was accepted: {read_json(response)!r}. {hint}")
    assert_error_response(response, request, 401, reference.CREDENTIALS_DETAIL, challenge=True)


def assert_profile_response(client: TestClient, token: str, raised: list) -> None:
    """Check that GET /users/me/ with alice's valid token returns the reference profile."""
    request = "GET /users/me/ with a valid token for alice"
    response = send(client, "GET", "/users/me/", request, headers=bearer(token))
    if response.status_code == 401:
        raise AssertionError(f"{request}: expected 200, got {describe_response(response)}. {explain_rejection(raised)}")
    body = read_json(response)
    if isinstance(body, dict) and "hashed_password" in body:
        raise AssertionError(
            f"{request}: the response contains hashed_password. Declare the route's return type as User "
            "(`-> User`): FastAPI uses it as the response model and leaves out every other field."
        )
    expected = read_json(send(TestClient(reference.app), "GET", "/users/me/", request, headers=bearer(token)))
    assert response.status_code == 200, f"{request}: expected 200 {expected!r}, got {describe_response(response)}."
    assert body == expected, f"{request}: expected the profile {expected!r}, got {body!r}."


def explain_rejection(raised: list) -> str:
    """Name what made the app respond with 401 to a valid token, from the exception the 401 was raised during."""
    cause = raised[-1].__context__ if raised else None
    if isinstance(cause, jwt.DecodeError) and "algorithms" in str(cause):
        return f"jwt.decode raised DecodeError: {cause} {ALGORITHMS_HINT}"
    if isinstance(cause, jwt.InvalidSignatureError):
        return "jwt.decode raised InvalidSignatureError: decode with SECRET_KEY, the key the token was signed with."
    if cause is not None:
        return f"The 401 was raised while handling {type(cause).__name__}: {cause}."
    return "A valid token for an existing user must be accepted."


# ---------------------------------------------------------------------------
# Part D: create_app, the whole app
# ---------------------------------------------------------------------------


def check_create_app_login_route(create_app: Callable) -> None:
    """Check that the app's POST /token logs alice in with a bearer token."""
    client = TestClient(build_learner_app(create_app)[0])
    response = post_login(client, ACTIVE_USERNAME, reference.DEMO_PASSWORDS[ACTIVE_USERNAME])
    if response.status_code in (404, 405):
        raise AssertionError(
            f"POST /token as alice: got {describe_response(response)}. Register login_for_access_token with app.post(\"/token\")."
        )
    assert_token_response(response, "POST /token as alice with the right password")


def check_create_app_profile(create_app: Callable) -> None:
    """Check that the app's GET /users/me/ returns alice's public profile, without hashed_password."""
    app, raised = build_learner_app(create_app)
    token = reference_tokens.create_access_token({"sub": ACTIVE_USERNAME})
    assert_profile_response(TestClient(app), token, raised)


def check_create_app_protection(create_app: Callable) -> None:
    """Check that GET /users/me/ needs a token and responds with 400 for a disabled user."""
    app, raised = build_learner_app(create_app)
    client = TestClient(app)
    request = "GET /users/me/ without an Authorization header"
    response = send(client, "GET", "/users/me/", request)
    if response.status_code == 200:
        raise AssertionError(
            f"{request}: expected 401, but got the profile {read_json(response)!r}. "
            "The route must depend on get_current_active_user."
        )
    assert_error_response(response, request, 401, "Not authenticated", challenge=True)

    token = reference_tokens.create_access_token({"sub": DISABLED_USERNAME})
    request = "GET /users/me/ with a valid token for the disabled user bob"
    response = send(client, "GET", "/users/me/", request, headers=bearer(token))
    if response.status_code == 200:
        raise AssertionError(
            f"{request}: expected 400 {reference.INACTIVE_USER_DETAIL!r}, but got the profile. "
            "Depend on get_current_active_user, not get_current_user."
        )
    if response.status_code == 401:
        raise AssertionError(
            f"{request}: expected 400 {reference.INACTIVE_USER_DETAIL!r}, got {describe_response(response)}. "
            f"{explain_rejection(raised)}"
        )
    assert_error_response(response, request, 400, reference.INACTIVE_USER_DETAIL, challenge=False)


def build_learner_app(create_app: Callable) -> tuple[FastAPI, list]:
    app = call_learner(create_app)
    assert isinstance(app, FastAPI), f"create_app(): expected a FastAPI app, got {type(app).__name__} {app!r}."
    return app, record_http_exceptions(app)


# ---------------------------------------------------------------------------
# Requests and responses
# ---------------------------------------------------------------------------


def send(client: TestClient, method: str, url: str, description: str, **kwargs) -> httpx.Response:
    """Send one request under the learner time limit; an exception the app raised becomes a named failure.

    The request runs in a daemon thread because a learner endpoint runs in another thread of the
    TestClient, where no signal can stop it. NOTE: a request that never returns is abandoned, and its
    thread keeps running until the kernel exits.
    """
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["response"] = client.request(method, url, **kwargs)
        except BaseException as error:
            outcome["error"] = error

    limit = learner_calls.CALL_TIME_LIMIT_SECONDS
    worker = threading.Thread(target=run, name=f"grading request: {description}", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        raise LearnerCodeError(f"{description} did not return within {limit} s. Look for a loop that never ends.")
    if "error" in outcome:
        raise AppRequestError(describe_app_error(description, outcome["error"])) from outcome["error"]
    return outcome["response"]


def describe_app_error(description: str, error: BaseException) -> str:
    """Explain an exception that escaped from the app: the client would have got 500 Internal Server Error."""
    raised = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    summary = f"{description}: the app raised {raised}, so the client gets 500 Internal Server Error"
    if isinstance(error, NotImplementedError):
        return f"{summary}. Replace `raise NotImplementedError()` with your code."
    if isinstance(error, jwt.InvalidTokenError):
        return f"{summary} instead of 401. {BASE_CLASS_HINT}"
    if isinstance(error, KeyError):
        return f"{summary} instead of 401. Read the subject with claims.get(\"sub\") and raise the 401 when it is None."
    if isinstance(error, AttributeError) and "NoneType" in str(error):
        return f"{summary} instead of 401. get_user returns None for an unknown username: raise the 401 for it."
    if isinstance(error, UnknownHashError):
        return f"{summary}. pwdlib's verify(password, hash) takes the plain password first and a stored hash second."
    return f"{summary}."


def assert_error_response(response: httpx.Response, request: str, status_code: int, detail: str, *, challenge: bool) -> None:
    """Check the status, the detail and, for a 401, the WWW-Authenticate header of an error response."""
    assert response.status_code == status_code, (
        f"{request}: expected {status_code} {detail!r}, got {describe_response(response)}."
    )
    actual_detail = read_detail(response)
    assert actual_detail == detail, f"{request}: expected the detail {detail!r}, got {actual_detail!r}."
    if not challenge:
        return
    header = response.headers.get("WWW-Authenticate")
    assert header is not None, f"{request}: the {status_code} response has no WWW-Authenticate header. {CHALLENGE_HINT}"
    assert header.split(" ")[0].lower() == "bearer", (
        f"{request}: expected the header WWW-Authenticate: Bearer, got WWW-Authenticate: {header}."
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def read_json(response: httpx.Response) -> object:
    try:
        return response.json()
    except json.JSONDecodeError:
        return response.text


def read_detail(response: httpx.Response) -> object:
    body = read_json(response)
    return body.get("detail") if isinstance(body, dict) else body


def describe_response(response: httpx.Response) -> str:
    return f"{response.status_code} {read_json(response)!r}"
