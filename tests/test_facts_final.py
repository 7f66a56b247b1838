"""Execute every fact that notebook 08, its quiz key entries and its grading messages state.

Facts that tests/test_course_facts.py already executes (decode without algorithms, naive
datetimes read as UTC, timedelta(0) is false, claim order changes the token string, the
32-byte key warning, utcnow's deprecation, a payload readable without the key) are not
repeated here. Pinned versions: PyJWT 2.15.1, python-jose 3.5.0, FastAPI 0.163.2,
Starlette 1.10.0, httpx 0.28.1, uvicorn 0.54.0, pwdlib 0.4.2.
"""

import base64
import itertools
import json
import logging
import os
import socket
import string
import subprocess
import sys
import threading
import time
import warnings
from datetime import datetime, timedelta, timezone
from typing import Annotated

import httpx
import jose
import jose.exceptions
import jwt
import jwt.exceptions
import pytest
import time_machine
import uvicorn
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import OAuth2PasswordBearer
from pwdlib import PasswordHash

import reference_final
import reference_tokens
from autograder.learner_calls import local_time_zone

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

KEY = reference_tokens.SECRET_KEY
ALGORITHM = "HS256"
REQUIRED = {"require": ["exp", "sub"]}
WINTER_INSTANT = datetime(2025, 1, 15, 12, 0, tzinfo=timezone.utc)
NEW_YORK_WINTER = "EST+5"  # a POSIX TZ string: UTC-5 without a time zone database


def later(minutes: int = 15) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def echo_app() -> FastAPI:
    """Return the Examples section's app: GET /echo returns the bearer token it received."""
    app = FastAPI()
    scheme = OAuth2PasswordBearer(tokenUrl="token")

    @app.get("/echo")
    def echo(token: Annotated[str, Depends(scheme)]) -> dict[str, str]:
        return {"token": token}

    return app


# ---------------------------------------------------------------------------
# The setup cell: TestClient and httpx
# ---------------------------------------------------------------------------


def test_testclient_import_warns_about_httpx2():
    # A new interpreter, because this one has imported fastapi.testclient already.
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", "import fastapi.testclient"], capture_output=True, text=True, check=True
    )

    assert "StarletteDeprecationWarning" in result.stderr, result.stderr
    assert "install `httpx2` instead" in result.stderr, result.stderr


def test_testclient_works_with_pinned_httpx():
    response = TestClient(echo_app()).get("/echo", headers=bearer("abc.def.ghi"))

    assert httpx.__version__ == "0.28.1", f"httpx is {httpx.__version__}"
    assert response.status_code == 200, response.text
    assert response.json() == {"token": "abc.def.ghi"}, response.text


# ---------------------------------------------------------------------------
# Verifying: one base class, required claims, a string sub
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error_class",
    [
        jwt.ExpiredSignatureError,
        jwt.InvalidSignatureError,
        jwt.InvalidAlgorithmError,
        jwt.DecodeError,
        jwt.MissingRequiredClaimError,
        jwt.exceptions.InvalidSubjectError,
    ],
)
def test_token_errors_derive_from_invalid_token_error(error_class):
    assert issubclass(error_class, jwt.InvalidTokenError), f"{error_class.__name__} is not an InvalidTokenError"


@pytest.mark.parametrize(("claims", "missing"), [({"sub": "alice"}, "exp"), ({"exp": 2_000_000_000}, "sub")])
def test_require_rejects_missing_claim(claims, missing):
    token = jwt.encode(claims, KEY, algorithm=ALGORITHM)

    assert jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"verify_exp": False}) == claims, "decodes without require"
    with pytest.raises(jwt.MissingRequiredClaimError, match=f'"{missing}"'):
        jwt.decode(token, KEY, algorithms=[ALGORITHM], options=REQUIRED)


def test_token_without_exp_never_expires():
    token = jwt.encode({"sub": "alice"}, KEY, algorithm=ALGORITHM)

    with time_machine.travel(datetime(2100, 1, 1, tzinfo=timezone.utc).timestamp(), tick=False):
        assert jwt.decode(token, KEY, algorithms=[ALGORITHM]) == {"sub": "alice"}, "a token without exp was rejected in 2100"


def test_int_sub_encodes_but_never_decodes():
    token = jwt.encode({"sub": 42, "exp": later()}, KEY, algorithm=ALGORITHM)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))

    assert payload["sub"] == 42, f"PyJWT should encode the int unchanged, got {payload['sub']!r}"
    with pytest.raises(jwt.exceptions.InvalidSubjectError, match="Subject must be a string"):
        jwt.decode(token, KEY, algorithms=[ALGORITHM])
    assert not hasattr(jwt, "InvalidSubjectError"), "PyJWT 2.15 exports InvalidSubjectError only from jwt.exceptions"


def test_int_sub_gets_401_from_reference_app():
    token = jwt.encode({"sub": 42, "exp": later()}, KEY, algorithm=ALGORITHM)
    response = TestClient(reference_final.app).get("/users/me", headers=bearer(token))

    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Could not validate credentials"}, response.text


def bad_tokens() -> dict[str, str]:
    """Return the Examples section's bad tokens by name."""
    guessed_key = "a-guessed-key-that-is-32-bytes-long"
    earlier = datetime.now(timezone.utc) - timedelta(minutes=1)
    return {
        "expired": jwt.encode({"sub": "alice", "exp": earlier}, KEY, algorithm=ALGORITHM),
        "other key": jwt.encode({"sub": "alice", "exp": later()}, guessed_key, algorithm=ALGORITHM),
        "HS512": jwt.encode({"sub": "alice", "exp": later()}, KEY, algorithm="HS512"),
        "no sub": jwt.encode({"exp": later()}, KEY, algorithm=ALGORITHM),
        "sub 42": jwt.encode({"sub": 42, "exp": later()}, KEY, algorithm=ALGORITHM),
        "not a JWT": "not-a-token",
    }


@pytest.mark.parametrize(
    ("name", "error_class"),
    [
        ("expired", jwt.ExpiredSignatureError),
        ("other key", jwt.InvalidSignatureError),
        ("HS512", jwt.InvalidAlgorithmError),
        ("no sub", jwt.MissingRequiredClaimError),
        ("sub 42", jwt.exceptions.InvalidSubjectError),
        ("not a JWT", jwt.DecodeError),
    ],
)
def test_each_bad_token_has_its_error(name, error_class):
    with pytest.raises(error_class):
        jwt.decode(bad_tokens()[name], KEY, algorithms=[ALGORITHM], options=REQUIRED)


def test_header_algorithm_accepts_hs512_token():
    # Quiz question 3, option c: the token chooses the algorithm that checks it.
    token = jwt.encode({"sub": "alice", "exp": later()}, KEY, algorithm="HS512")

    claims = jwt.decode(token, KEY, algorithms=[jwt.get_unverified_header(token)["alg"]])
    assert claims["sub"] == "alice", f"the header's algorithm decoded {claims}"
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, KEY, algorithms=[ALGORITHM])


def test_verify_signature_false_checks_neither_signature_nor_exp():
    token = jwt.encode({"sub": "admin", "exp": datetime.now(timezone.utc) - timedelta(days=1)}, "a-guessed-key-that-is-32-bytes-long")

    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "admin", f"verify_signature=False decoded {claims}"


# ---------------------------------------------------------------------------
# Catching the right exception
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error_class", [jwt.ExpiredSignatureError, jwt.InvalidSignatureError, jwt.DecodeError, jwt.InvalidTokenError]
)
def test_jose_jwt_error_catches_no_pyjwt_error(error_class):
    assert not issubclass(error_class, jose.JWTError), f"{error_class.__name__} is a jose.JWTError"
    assert not issubclass(jose.JWTError, jwt.PyJWTError), "jose.JWTError is a PyJWT error"


def build_half_migrated_app() -> FastAPI:
    """Return an app that decodes with PyJWT but still catches python-jose's JWTError."""
    scheme = OAuth2PasswordBearer(tokenUrl="token")

    def get_current_username(token: Annotated[str, Depends(scheme)]) -> str:
        try:
            return jwt.decode(token, KEY, algorithms=[ALGORITHM])["sub"]
        except jose.JWTError:
            raise HTTPException(401, "Could not validate credentials", {"WWW-Authenticate": "Bearer"}) from None

    app = FastAPI()

    @app.get("/users/me")
    def read_users_me(username: Annotated[str, Depends(get_current_username)]) -> dict[str, str]:
        return {"username": username}

    return app


def test_half_migrated_app_expired_token_500():
    expired = jwt.encode({"sub": "alice", "exp": datetime.now(timezone.utc) - timedelta(minutes=5)}, KEY, algorithm=ALGORITHM)
    client = TestClient(build_half_migrated_app(), raise_server_exceptions=False)

    assert client.get("/users/me", headers=bearer(expired)).status_code == 500, "expected 500 for an expired token"
    assert client.get("/users/me", headers=bearer(jwt.encode({"sub": "alice"}, KEY))).status_code == 200


def test_catching_exception_turns_bug_into_401():
    # Quiz question 4, option c: a NameError in your own code looks like a bad token.
    def decode_with_bug(token: str) -> str:
        try:
            claims = jwt.decode(token, KEY, algorithms=[ALGORITHM])
            return claims[subject_claim]  # noqa: F821 (the bug this test needs)
        except Exception as error:
            raise reference_final.AccessTokenError(str(error)) from error

    with pytest.raises(reference_final.AccessTokenError, match="subject_claim"):
        decode_with_bug(jwt.encode({"sub": "alice", "exp": later()}, KEY, algorithm=ALGORITHM))


# ---------------------------------------------------------------------------
# FastAPI: the bearer scheme, HTTPException, escaped errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "path"),
    [({}, "/echo"), ({}, "/echo?token=abc.def.ghi"), ({"Authorization": "abc.def.ghi"}, "/echo"), ({"Authorization": "Basic YWxpY2U6c2VjcmV0"}, "/echo")],
    ids=["no-header", "query-string", "no-scheme", "basic"],
)
def test_bearer_scheme_401_without_header(headers, path):
    response = TestClient(echo_app()).get(path, headers=headers)

    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Not authenticated"}, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer", response.headers


def test_http_exception_headers_reach_response():
    app = FastAPI()

    @app.get("/deny")
    def deny() -> None:
        raise HTTPException(401, "Could not validate credentials", {"WWW-Authenticate": "Bearer"})

    response = TestClient(app).get("/deny")
    assert (response.status_code, response.json()) == (401, {"detail": "Could not validate credentials"}), response.text
    assert response.headers["WWW-Authenticate"] == "Bearer", response.headers


def test_escaped_error_is_500_and_testclient_raises_it():
    app = FastAPI()

    @app.get("/crash")
    def crash() -> None:
        jwt.decode("not-a-token", KEY, algorithms=[ALGORITHM])

    assert TestClient(app, raise_server_exceptions=False).get("/crash").status_code == 500
    with pytest.raises(jwt.DecodeError):
        TestClient(app).get("/crash")


def test_missing_route_parameter_is_422():
    app = FastAPI()

    @app.get("/users/me")
    def read_users_me(token: str) -> dict[str, str]:
        return {"token": token}

    response = TestClient(app).get("/users/me", headers=bearer("abc.def.ghi"))
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "token"], response.text


def test_dependency_result_reaches_route():
    app = FastAPI()

    def get_name() -> str:
        return "from the dependency"

    @app.get("/")
    def route(name: Annotated[str, Depends(get_name)]) -> dict[str, str]:
        return {"name": name}

    assert TestClient(app).get("/").json() == {"name": "from the dependency"}


# ---------------------------------------------------------------------------
# The clock: naive time in New York, a zero delta, tokens that change with time
# ---------------------------------------------------------------------------


def test_naive_now_token_rejected_in_new_york():
    # Quiz question 8: 15 minutes of naive New York time, read as UTC, lie 4 h 45 min in the past.
    with local_time_zone(NEW_YORK_WINTER), time_machine.travel(WINTER_INSTANT.timestamp(), tick=False):
        token = jwt.encode({"sub": "alice", "exp": datetime.now() + timedelta(minutes=15)}, KEY, algorithm=ALGORITHM)
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"verify_exp": False})
        response = TestClient(reference_final.app).get("/users/me", headers=bearer(token))

        assert claims["exp"] - time.time() == -(4 * 3600 + 45 * 60), f"exp is {claims['exp'] - time.time()} s from now"
        assert response.status_code == 401, response.text


def test_naive_now_token_accepted_in_utc(monkeypatch):
    # The same line passes on a machine that runs in UTC, such as most CI servers.
    monkeypatch.setenv("TZ", "UTC0")
    time.tzset()
    try:
        with time_machine.travel(WINTER_INSTANT.timestamp(), tick=False):
            token = jwt.encode({"sub": "alice", "exp": datetime.now() + timedelta(minutes=15)}, KEY, algorithm=ALGORITHM)
            response = TestClient(reference_final.app).get("/users/me", headers=bearer(token))
    finally:
        monkeypatch.undo()
        time.tzset()

    assert response.status_code == 200, response.text


def test_or_default_turns_zero_delta_into_default():
    # Quiz question 5: `expires_delta or ACCESS_TOKEN_EXPIRE` with timedelta(0).
    def create_with_or(data: dict, expires_delta: timedelta | None = None) -> str:
        expires_delta = expires_delta or timedelta(minutes=15)
        return jwt.encode({**data, "exp": datetime.now(timezone.utc) + expires_delta}, KEY, algorithm=ALGORITHM)

    with time_machine.travel(WINTER_INSTANT.timestamp(), tick=False):
        claims = jwt.decode(create_with_or({"sub": "alice"}, timedelta(0)), KEY, algorithms=[ALGORITHM])

        assert claims["exp"] - time.time() == 15 * 60, f"exp is {claims['exp'] - time.time()} s from now"


def test_token_string_changes_with_clock():
    first = reference_tokens.create_access_token({"sub": "alice"})
    with time_machine.travel(time.time() + 1, tick=False):
        second = reference_tokens.create_access_token({"sub": "alice"})

    assert first != second, "two tokens a second apart are the same string"
    assert jwt.decode(first, KEY, algorithms=[ALGORITHM])["sub"] == jwt.decode(second, KEY, algorithms=[ALGORITHM])["sub"]


# ---------------------------------------------------------------------------
# Revocation and keys
# ---------------------------------------------------------------------------


def test_copied_token_valid_after_logout_until_denylisted():
    # Quiz question 6: nothing in the token changes when its owner logs out.
    token = jwt.encode({"sub": "alice", "jti": "a1b2", "exp": later()}, KEY, algorithm=ALGORITHM)
    denylist: set[str] = set()

    def is_accepted(candidate: str) -> bool:
        claims = jwt.decode(candidate, KEY, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "jti"]})
        return claims["jti"] not in denylist

    assert is_accepted(token), "the copied token should still pass after logout"
    denylist.add("a1b2")
    assert not is_accepted(token), "a denylisted jti should be rejected"


WORKER_SCRIPT = """
import secrets, sys, jwt
SECRET_KEY = secrets.token_hex(32)  # made at import, as in quiz question 7, option a
if sys.argv[1] == "sign":
    print(jwt.encode({"sub": "alice"}, SECRET_KEY, algorithm="HS256"))
else:
    try:
        jwt.decode(sys.argv[2], SECRET_KEY, algorithms=["HS256"])
        print("accepted")
    except jwt.InvalidTokenError as error:
        print(type(error).__name__)
"""


def test_per_process_random_key_breaks_other_workers():
    token = subprocess.run([sys.executable, "-c", WORKER_SCRIPT, "sign"], capture_output=True, text=True, check=True).stdout.strip()
    verdict = subprocess.run([sys.executable, "-c", WORKER_SCRIPT, "verify", token], capture_output=True, text=True, check=True)

    assert verdict.stdout.strip() == "InvalidSignatureError", verdict.stdout + verdict.stderr


def test_short_key_warned_and_brute_forced():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jwt.encode({"sub": "alice"}, "secret", algorithm=ALGORITHM)
    assert jwt.InsecureKeyLengthWarning in [warning.category for warning in caught], "no warning for the key 'secret'"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        token = jwt.encode({"sub": "admin"}, "key", algorithm=ALGORITHM)
        found = None
        started = time.perf_counter()
        for letters in itertools.product(string.ascii_lowercase, repeat=3):
            candidate = "".join(letters)
            try:
                jwt.decode(token, candidate, algorithms=[ALGORITHM])
            except jwt.InvalidSignatureError:
                continue
            found = candidate
            break
    assert found == "key", f"brute force found {found!r}"
    assert time.perf_counter() - started < 30, "trying every 3-letter key took more than 30 s"


def test_environment_default_hides_missing_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)

    assert os.environ.get("SECRET_KEY", "dev-secret") == "dev-secret", "the fallback should be used silently"
    with pytest.raises(KeyError):
        os.environ["SECRET_KEY"]


# ---------------------------------------------------------------------------
# Access logs and the sample program's login
# ---------------------------------------------------------------------------


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_query_string_token_in_access_log_bearer_not():
    handler = RecordingHandler()
    access_logger = logging.getLogger("uvicorn.access")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(echo_app(), log_config=None, access_log=True, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    access_logger.addHandler(handler)
    access_logger.setLevel(logging.INFO)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            client.get("/echo?token=query.token.value")
            client.get("/echo", headers=bearer("header.token.value"))
    finally:
        server.should_exit = True
        thread.join(10)
        access_logger.removeHandler(handler)
        listener.close()

    log = "\n".join(handler.messages)
    assert "query.token.value" in log, f"the query string token is not in the access log: {log!r}"
    assert "header.token.value" not in log, f"the bearer token is in the access log: {log!r}"


def test_recommended_password_hash_is_argon2():
    assert PasswordHash.recommended().hash("correct horse").startswith("$argon2id$"), "pwdlib's recommended hash is not Argon2id"


def test_dummy_hash_equalizes_login_time():
    password_hash = PasswordHash.recommended()
    known_hash = password_hash.hash("correct horse")
    dummy_hash = password_hash.hash("no user has this password")

    def fastest(action) -> float:
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            action()
            timings.append(time.perf_counter() - started)
        return min(timings)

    wrong_password = fastest(lambda: password_hash.verify("wrong", known_hash))
    unknown_user = fastest(lambda: password_hash.verify("wrong", dummy_hash))
    skipped_check = fastest(lambda: {"ada": known_hash}.get("bob"))

    assert wrong_password > 0.005, f"an Argon2 check took only {wrong_password * 1000:.2f} ms"
    assert 0.5 < unknown_user / wrong_password < 2, f"dummy {unknown_user:.4f} s vs known {wrong_password:.4f} s"
    assert skipped_check * 100 < wrong_password, "skipping the hash check should be far faster than doing it"
