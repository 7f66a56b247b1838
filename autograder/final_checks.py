"""Checks for notebook 08: create_access_token, decode_access_token and an app with GET /users/me.

Token checks decode the learner's tokens and compare the claims with reference_tokens. Decode
checks give the learner's decode_access_token the same tokens as reference_verify. App checks
send the same HTTP requests to the learner's app and to reference_final.app through Starlette's
TestClient and compare status, body and WWW-Authenticate header. Everything that touches the
clock runs under each of GRADING_TIME_ZONES.
"""

import base64
import json
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
import reference_final
import reference_tokens
import reference_verify

from autograder import learner_calls, token_checks
from autograder.expiry import diagnose_expiry, numeric_date
from autograder.learner_calls import GRADING_TIME_ZONES, LearnerCodeError, call_learner, local_time_zone

with warnings.catch_warnings():
    # Starlette 1.10 warns on this import that TestClient with httpx is deprecated in favour of
    # httpx2. The pinned httpx 0.28.1 works, and the warning would only clutter the feedback.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

USERS_ME_PATH = reference_final.USERS_ME_PATH
CREDENTIALS_DETAIL = reference_final.CREDENTIALS_DETAIL
# 32 bytes or more, so PyJWT signs with it without an InsecureKeyLengthWarning.
OTHER_KEY = "another-key-that-is-also-32-bytes-or-longer"
# Valid tokens for the decode and app checks: claims and expires_delta.
VALID_TOKEN_CASES = (
    ({"sub": "alice"}, None),
    ({"sub": "bob@example.test", "scope": "items:read"}, timedelta(days=1)),
    ({"sub": "zoë", "roles": ["reader"]}, timedelta(seconds=30)),
)
# Lifetimes of the expired tokens, far enough in the past that a leeway of a few seconds still rejects them.
EXPIRED_DELTAS = (timedelta(minutes=-5), timedelta(days=-1))
OWN_TOKEN_DELTAS = (None, timedelta(minutes=30))

REQUIRE_HINT = "Require both claims: jwt.decode(..., options={'require': ['exp', 'sub']})."
ALGORITHM_HINT = "Decode with algorithms=[ALGORITHM], and never take the algorithm from the token's own header."
SIGNATURE_HINT = "The signature was not checked: decode with SECRET_KEY and leave verify_signature on."
EXPIRED_HINT = "exp was not checked: leave verify_exp on, and keep any leeway to a few seconds."
CATCH_HINT = (
    "Catch jwt.InvalidTokenError, the base class of every PyJWT token error, and raise AccessTokenError from it. "
    "An error that escapes becomes a 500 Internal Server Error in the app, not a 401."
)
NO_ALGORITHMS_HINT = "PyJWT 2 requires algorithms=[ALGORITHM] in jwt.decode, and without it every token fails."
WWW_AUTHENTICATE_HINT = (
    "HTTP requires every 401 response to name its scheme (RFC 9110, section 15.5.2), and OAuth2PasswordBearer's "
    "own 401 sends `WWW-Authenticate: Bearer`: pass headers={'WWW-Authenticate': 'Bearer'} to HTTPException."
)


@dataclass(frozen=True)
class BadToken:
    """A token that decode_access_token must reject, and the hint shown when learner code accepts it."""

    description: str
    token: str
    hint: str


@dataclass(frozen=True)
class Reply:
    """The parts of an HTTP response that the app checks compare."""

    status_code: int
    body: Any
    www_authenticate: str | None

    def describe(self) -> str:
        return f"{self.status_code} {json.dumps(self.body) if not isinstance(self.body, str) else repr(self.body)}"


# ---------------------------------------------------------------------------
# Part A: create_access_token
# ---------------------------------------------------------------------------


def check_create_access_token_expiry(create_access_token: Callable) -> None:
    """Check exp for the default, custom and zero deltas under non-UTC clocks."""
    token_checks.check_token_default_expiry(create_access_token)
    token_checks.check_token_custom_expiry(create_access_token)


def check_create_access_token_claims(create_access_token: Callable) -> None:
    """Check the type, algorithm and signature, that every claim survives, and that data is unchanged."""
    token_checks.check_token_signature(create_access_token)
    token_checks.check_token_claims(create_access_token)


# ---------------------------------------------------------------------------
# Part A: decode_access_token
# ---------------------------------------------------------------------------


def check_decode_valid_tokens(decode_access_token: Callable) -> None:
    """Check that valid tokens give the same subject as the reference, under non-UTC clocks."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for data, delta in VALID_TOKEN_CASES:
                token = reference_tokens.create_access_token(data, delta)
                call = f"decode_access_token(<a valid token with the claims {data!r}>) under a {zone_name} clock"
                assert_decodes_like_reference(decode_access_token, token, call)


def check_decode_expired_tokens(decode_access_token: Callable, error_class: type) -> None:
    """Check that expired tokens raise `error_class`, under non-UTC clocks."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for bad in expired_tokens():
                assert_rejected(decode_access_token, error_class, bad, zone_name)


def check_decode_forged_tokens(decode_access_token: Callable, error_class: type) -> None:
    """Check that tokens with a wrong key, a changed payload, another algorithm or no JWT form raise `error_class`."""
    zone_name, posix_tz = next(iter(GRADING_TIME_ZONES.items()))
    with local_time_zone(posix_tz):
        for bad in forged_tokens():
            assert_rejected(decode_access_token, error_class, bad, zone_name)


def check_decode_missing_claims(decode_access_token: Callable, error_class: type) -> None:
    """Check that correctly signed tokens without exp, without sub or with a non-string sub raise `error_class`."""
    zone_name, posix_tz = next(iter(GRADING_TIME_ZONES.items()))
    with local_time_zone(posix_tz):
        for bad in missing_claim_tokens():
            assert_rejected(decode_access_token, error_class, bad, zone_name)


def assert_decodes_like_reference(decode_access_token: Callable, token: str, call: str) -> None:
    expected = reference_verify.decode_access_token(token)
    try:
        value = call_learner(decode_access_token, token)
    except LearnerCodeError as error:
        # call_learner chains the learner's exception. Without one (a stub or a time-out), its message names the failure.
        if error.__cause__ is None:
            raise
        raise AssertionError(rejected_valid_message(call, error.__cause__)) from None
    if isinstance(value, dict):
        raise AssertionError(f"{call} returned the claims dict {value!r}. Return only the subject, claims['sub'].")
    assert value == expected, f"{call}: expected the subject {expected!r}, got {value!r}."


def rejected_valid_message(call: str, error: BaseException) -> str:
    """Explain why a valid token raised, naming the missing algorithms= when that was the cause."""
    message = f"{call} raised {type(error).__name__}: {error}, but the token is valid."
    chain = list(exception_chain(error))
    if any("algorithms" in str(link) for link in chain):
        return f"{message} {NO_ALGORITHMS_HINT}"
    if any(isinstance(link, jwt.ExpiredSignatureError) for link in chain):
        return f"{message} It expires in the future: compare times in UTC, or let jwt.decode check exp."
    return f"{message} A valid token must return its sub claim."


def assert_rejected(decode_access_token: Callable, error_class: type, bad: BadToken, zone_name: str) -> None:
    call = f"decode_access_token(<{bad.description}>) under a {zone_name} clock"
    try:
        value = call_learner(decode_access_token, bad.token)
    except LearnerCodeError as error:
        cause = error.__cause__
        if cause is None:
            raise
        if isinstance(cause, error_class):
            return
        raise AssertionError(escaped_error_message(call, cause, bad)) from None
    raise AssertionError(f"{call} returned {value!r}, but it must raise AccessTokenError. {bad.hint}")


def escaped_error_message(call: str, error: BaseException, bad: BadToken) -> str:
    """Explain an exception other than AccessTokenError that decode_access_token let out."""
    name = type(error).__name__
    if isinstance(error, jwt.InvalidTokenError):
        return f"{call} raised jwt.{name} ({error}) instead of AccessTokenError. {CATCH_HINT}"
    if isinstance(error, jwt.PyJWTError):
        return f"{call} raised jwt.{name} ({error}) instead of AccessTokenError. {bad.hint}"
    if isinstance(error, KeyError):
        return f"{call} raised KeyError {error} instead of AccessTokenError. {REQUIRE_HINT}"
    return f"{call} raised {name}: {error} instead of AccessTokenError."


def exception_chain(error: BaseException | None) -> Iterator[BaseException]:
    """Yield an exception and the exceptions it was raised from or during, at most 10."""
    for _ in range(10):
        if error is None:
            return
        yield error
        error = error.__cause__ or error.__context__


# ---------------------------------------------------------------------------
# Tokens: built at call time, because their exp depends on the clock
# ---------------------------------------------------------------------------


def expired_tokens() -> list[BadToken]:
    return [
        BadToken(
            f"a token that expired {format_ago(delta)} ago",
            reference_tokens.create_access_token({"sub": "alice"}, delta),
            EXPIRED_HINT,
        )
        for delta in EXPIRED_DELTAS
    ]


def forged_tokens() -> list[BadToken]:
    claims = {"sub": "alice", "exp": reference_tokens.expiry_time()}
    valid = reference_tokens.create_access_token({"sub": "alice"})
    header_part, _, signature_part = valid.split(".")
    admin_payload = encode_segment({"sub": "admin", "exp": int(claims["exp"].timestamp())})
    unsigned_header = encode_segment({"alg": "none", "typ": "JWT"})
    return [
        BadToken("a token signed with another key", jwt.encode(claims, OTHER_KEY, algorithm="HS256"), SIGNATURE_HINT),
        BadToken(
            "a token whose payload was changed to sub 'admin' after signing",
            f"{header_part}.{admin_payload}.{signature_part}",
            SIGNATURE_HINT,
        ),
        BadToken("an unsigned token with the header alg 'none'", f"{unsigned_header}.{admin_payload}.", ALGORITHM_HINT),
        BadToken(
            "a token signed with SECRET_KEY but with HS512",
            jwt.encode(claims, reference_tokens.SECRET_KEY, algorithm="HS512"),
            ALGORITHM_HINT,
        ),
        BadToken("the text 'not-a-token'", "not-a-token", "Let jwt.decode parse the token; do not accept it yourself."),
    ]


def missing_claim_tokens() -> list[BadToken]:
    exp = reference_tokens.expiry_time()
    return [
        BadToken("a token without exp", sign({"sub": "alice"}), f"A token without exp never expires. {REQUIRE_HINT}"),
        BadToken("a token without sub", sign({"exp": exp}), f"There is no username to return. {REQUIRE_HINT}"),
        BadToken(
            "a token whose sub is the int 42",
            sign({"sub": 42, "exp": exp}),
            "sub must be a string, and PyJWT's jwt.decode raises InvalidSubjectError for any other type.",
        ),
    ]


def sign(claims: dict) -> str:
    return jwt.encode(claims, reference_tokens.SECRET_KEY, algorithm=reference_tokens.ALGORITHM)


def encode_segment(value: dict) -> str:
    text = json.dumps(value, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(text).rstrip(b"=").decode("ascii")


def format_ago(delta: timedelta) -> str:
    minutes = int(-delta.total_seconds()) // 60
    return f"{minutes // 1440} day" if minutes >= 1440 else f"{minutes} minutes"


# ---------------------------------------------------------------------------
# Part B: the app, through HTTP
# ---------------------------------------------------------------------------


def check_users_me_valid_tokens(app: Any) -> None:
    """Check that GET /users/me returns the reference's response for valid tokens, under non-UTC clocks."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for data, delta in VALID_TOKEN_CASES:
                token = reference_tokens.create_access_token(data, delta)
                assert_same_reply(app, bearer(token), f"a valid token with the claims {data!r}", zone_name)


def check_users_me_missing_token(app: Any) -> None:
    """Check the 401 for requests without a bearer token: no header, another scheme, a token in the URL."""
    zone_name, posix_tz = next(iter(GRADING_TIME_ZONES.items()))
    token = reference_tokens.create_access_token({"sub": "alice"})
    url_hint = "Read the token from the Authorization header only: a URL ends up in the server's access log."
    cases = (
        ("no Authorization header", {}, "", ""),
        ("the header 'Authorization: Basic ...'", {"Authorization": "Basic YWxpY2U6c2VjcmV0"}, "", ""),
        ("a valid token in the header without 'Bearer '", {"Authorization": token}, "", ""),
        ("a valid token in the query string only", {}, f"?token={token}", url_hint),
    )
    with local_time_zone(posix_tz):
        for description, headers, query, hint in cases:
            assert_same_reply(app, headers, description, zone_name, query=query, token_hint=hint)


def check_users_me_expired_tokens(app: Any) -> None:
    """Check the 401, its detail and its WWW-Authenticate header for expired tokens, under non-UTC clocks."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for bad in expired_tokens():
                assert_same_reply(app, bearer(bad.token), bad.description, zone_name, token_hint=bad.hint)


def check_users_me_forged_tokens(app: Any) -> None:
    """Check the 401, its detail and its WWW-Authenticate header for forged tokens and missing claims."""
    zone_name, posix_tz = next(iter(GRADING_TIME_ZONES.items()))
    with local_time_zone(posix_tz):
        for bad in forged_tokens() + missing_claim_tokens():
            assert_same_reply(app, bearer(bad.token), bad.description, zone_name, token_hint=bad.hint)


def check_users_me_own_tokens(app: Any, create_access_token: Callable) -> None:
    """Check that the app accepts tokens from the learner's own create_access_token, under non-UTC clocks."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for delta in OWN_TOKEN_DELTAS:
                assert_accepts_own_token(app, create_access_token, delta, zone_name)


def assert_accepts_own_token(app: Any, create_access_token: Callable, delta: timedelta | None, zone_name: str) -> None:
    args = ({"sub": "alice"},) if delta is None else ({"sub": "alice"}, delta)
    call = learner_calls.describe_call(create_access_token, args, {})
    token = call_learner(create_access_token, *args)
    assert isinstance(token, str), f"{call} returned {type(token).__name__} {token!r}, not a str token."

    request = f"GET {USERS_ME_PATH} with the token from {call}, under a {zone_name} clock"
    reply = send_users_me(app, bearer(token), request)
    expected = send_users_me(reference_final.app, bearer(reference_tokens.create_access_token(*args)), request)
    if reply.status_code != expected.status_code:
        hint = status_hint(reply, expected) or diagnose_own_token(token, delta)
        raise AssertionError(f"{request}: expected {expected.describe()}, got {reply.describe()}. {hint}")
    assert reply.body == expected.body, f"{request}: expected {expected.describe()}, got {reply.describe()}."


def diagnose_own_token(token: str, delta: timedelta | None) -> str:
    """Say whether the learner's token itself is wrong, or the app rejects a good token."""
    try:
        claims = jwt.decode(
            token, reference_tokens.SECRET_KEY, algorithms=[reference_tokens.ALGORITHM], options={"verify_exp": False}
        )
    except jwt.InvalidTokenError as error:
        return f"The token does not verify with the course key and HS256 ({type(error).__name__}: {error})."
    seconds = numeric_date(claims.get("exp"))
    if seconds is None:
        return f"The token's exp is {claims.get('exp')!r}, not a number of seconds, so every decode rejects it."
    problem = diagnose_expiry(seconds, reference_tokens.expiry_time(delta).timestamp(), delta)
    if problem is not None:
        return f"The token's exp is wrong: {problem}"
    return "The token itself is right, so look at decode_access_token and get_current_username."


def assert_same_reply(
    app: Any, headers: dict, description: str, zone_name: str, query: str = "", token_hint: str = ""
) -> None:
    """Send the same request to the learner's app and the reference app, and compare the replies."""
    request = f"GET {USERS_ME_PATH}{shorten(query)} with {description}, under a {zone_name} clock"
    reply = send_users_me(app, headers, request, query)
    expected = send_users_me(reference_final.app, headers, request, query)
    if reply.status_code != expected.status_code:
        hint = status_hint(reply, expected) or token_hint
        raise AssertionError(f"{request}: expected {expected.describe()}, got {reply.describe()}. {hint}".rstrip())
    if expected.status_code == 401 and reply.www_authenticate != expected.www_authenticate:
        found = "no WWW-Authenticate header" if reply.www_authenticate is None else f"WWW-Authenticate: {reply.www_authenticate}"
        raise AssertionError(
            f"{request}: the 401 response has {found}, expected WWW-Authenticate: {expected.www_authenticate}. "
            f"{WWW_AUTHENTICATE_HINT}"
        )
    if reply.body != expected.body:
        hint = (
            f"Give every rejected token the same detail, {CREDENTIALS_DETAIL!r}, whatever the reason."
            if expected.body == {"detail": CREDENTIALS_DETAIL}
            else ""
        )
        raise AssertionError(f"{request}: expected {expected.describe()}, got {reply.describe()}. {hint}".rstrip())


def status_hint(reply: Reply, expected: Reply) -> str:
    """Name the likely mistake behind an unexpected status code, or return '' to use the token's hint."""
    if reply.status_code == 404:
        return f"The app has no route GET {USERS_ME_PATH}: add one with @app.get({USERS_ME_PATH!r})."
    if reply.status_code == 405:
        return f"The route {USERS_ME_PATH} must accept GET: use @app.get, not @app.post."
    if reply.status_code == 422:
        return (
            "FastAPI responded with 422 because the route expects a parameter the request lacks: get the token with "
            "Depends(oauth2_scheme) in get_current_username, and the username with Depends(get_current_username)."
        )
    if expected.status_code == 401 and reply.status_code in (400, 403):
        return (
            f"A missing or rejected token is 401 Unauthorized, not {reply.status_code}, "
            "as OAuth2PasswordBearer responds when the header is missing."
        )
    return ""


def send_users_me(app: Any, headers: dict, request: str, query: str = "") -> Reply:
    """Send GET /users/me to `app` in a worker thread, and stop waiting after the time limit.

    NOTE: a route that never returns keeps its worker thread running until the kernel exits, because
    Python cannot stop a thread. The SIGALRM limit of call_learner cannot be used here: it would
    interrupt the main thread while TestClient waits for the app, and TestClient's cleanup then
    waits for the looping thread forever.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["response"] = TestClient(app).get(USERS_ME_PATH + query, headers=headers)
        except BaseException as error:  # noqa: BLE001 (every exception is reported to the learner below)
            outcome["error"] = error

    limit = learner_calls.CALL_TIME_LIMIT_SECONDS
    worker = threading.Thread(target=run, name="users-me-request", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():
        raise LearnerCodeError(f"{request} did not return within {limit} s. Look for a loop that never ends.")
    if "error" in outcome:
        raise AssertionError(app_error_message(request, outcome["error"])) from None
    response = outcome["response"]
    is_json = response.headers.get("content-type", "").startswith("application/json")
    return Reply(response.status_code, response.json() if is_json else response.text, response.headers.get("www-authenticate"))


def app_error_message(request: str, error: BaseException) -> str:
    """Explain an exception that escaped the app, which a server turns into a 500 response."""
    name = type(error).__name__
    if isinstance(error, NotImplementedError):
        return f"{request} raised NotImplementedError: replace `raise NotImplementedError()` with your code."
    where = f"{request} raised {name} ({error}) inside the app, so a server responds with 500 Internal Server Error."
    if name == "AccessTokenError":
        return (
            f"{where} get_current_username must catch AccessTokenError and raise "
            f"HTTPException(status_code=401, detail={CREDENTIALS_DETAIL!r}, headers={{'WWW-Authenticate': 'Bearer'}})."
        )
    if isinstance(error, jwt.PyJWTError):
        return f"{where} decode_access_token let a PyJWT error escape. {CATCH_HINT}"
    return where


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def shorten(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
