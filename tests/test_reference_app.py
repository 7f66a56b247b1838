"""The reference app of notebook 06, served by a real uvicorn on 127.0.0.1 and called over HTTP with httpx.

The server runs in a thread of the test process on a port the operating system picks, so parallel
test runs never collide, and it is stopped when the module's tests end.
"""

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import jwt
import pytest
import uvicorn

import reference_app as reference
import reference_tokens
from autograder.app_checks import count_argon2_calls
from autograder.learner_calls import GRADING_TIME_ZONES, local_time_zone

SERVER_START_TIMEOUT_S = 10
SERVER_STOP_TIMEOUT_S = 10
EXP_TOLERANCE_S = 1
BEARER = "Bearer"


@pytest.fixture(scope="module")
def server_thread() -> Iterator[tuple[str, threading.Thread]]:
    """Serve the reference app with uvicorn on a free port of 127.0.0.1; yield its URL and thread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(reference.app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name="reference uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped before it started"
            assert time.monotonic() < deadline, f"uvicorn did not start within {SERVER_START_TIMEOUT_S} s"
            time.sleep(0.01)
        host, port = listener.getsockname()
        yield f"http://{host}:{port}", thread
    finally:
        server.should_exit = True
        thread.join(SERVER_STOP_TIMEOUT_S)
        listener.close()
    assert not thread.is_alive(), f"uvicorn did not stop within {SERVER_STOP_TIMEOUT_S} s"


@pytest.fixture
def http(server_thread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_thread[0], timeout=10) as client:
        yield client


def login(http: httpx.Client, username: str, password: str) -> httpx.Response:
    return http.post("/token", data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_challenge(response: httpx.Response, detail: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == BEARER


def test_server_listens_on_loopback(server_thread):
    url, thread = server_thread

    assert url.startswith("http://127.0.0.1:"), url
    assert thread.is_alive()


def test_login_returns_bearer_token(http):
    response = login(http, "alice", reference.DEMO_PASSWORDS["alice"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type"}, body
    assert body["token_type"] == "bearer"
    claims = jwt.decode(body["access_token"], reference_tokens.SECRET_KEY, algorithms=[reference_tokens.ALGORITHM])
    assert claims["sub"] == "alice", claims


@pytest.mark.parametrize("zone", GRADING_TIME_ZONES.values())
def test_login_token_lives_15_minutes(http, zone):
    with local_time_zone(zone):
        sent = time.time()
        token = login(http, "alice", reference.DEMO_PASSWORDS["alice"]).json()["access_token"]
        received = time.time()
    exp = jwt.decode(token, reference_tokens.SECRET_KEY, algorithms=[reference_tokens.ALGORITHM])["exp"]

    # The server creates the token between sending and receiving; PyJWT truncates exp to whole seconds.
    lifetime = timedelta(minutes=15).total_seconds()
    assert exp >= int(sent) + lifetime - EXP_TOLERANCE_S, f"TZ={zone}: exp is {exp - sent:.0f} s after the request"
    assert exp <= received + lifetime + EXP_TOLERANCE_S, f"TZ={zone}: exp is {exp - received:.0f} s after the response"


def test_login_wrong_password_401(http):
    assert_challenge(login(http, "alice", "guess"), reference.LOGIN_FAILED_DETAIL)


def test_login_unknown_user_same_response(http):
    unknown = login(http, "mallory", "guess")
    wrong = login(http, "alice", "guess")

    assert_challenge(unknown, reference.LOGIN_FAILED_DETAIL)
    assert (unknown.status_code, unknown.json(), unknown.headers["WWW-Authenticate"]) == (
        wrong.status_code,
        wrong.json(),
        wrong.headers["WWW-Authenticate"],
    )


def test_login_unknown_user_verifies_dummy_hash(http):
    with count_argon2_calls() as calls:
        login(http, "mallory", "guess")

    assert calls == {"verify": 1}, f"expected one Argon2 verification, counted {dict(calls)}"


def test_login_json_body_422(http):
    response = http.post("/token", json={"username": "alice", "password": reference.DEMO_PASSWORDS["alice"]})

    assert response.status_code == 422, response.text


def test_users_me_returns_public_profile(http):
    token = login(http, "alice", reference.DEMO_PASSWORDS["alice"]).json()["access_token"]
    response = http.get("/users/me/", headers=bearer(token))

    assert response.status_code == 200, response.text
    assert response.json() == reference.DEMO_PROFILES["alice"], "the profile, without hashed_password"


def test_users_me_without_token_401(http):
    assert_challenge(http.get("/users/me/"), "Not authenticated")


@pytest.mark.parametrize(
    "token",
    [
        reference_tokens.create_access_token({"sub": "alice"}, timedelta(minutes=-1)),
        jwt.encode({"sub": "alice"}, "a-key-that-is-not-the-course-key-0123456789", algorithm="HS256"),
        jwt.encode({"sub": "alice"}, reference_tokens.SECRET_KEY, algorithm="HS512"),
        reference_tokens.create_access_token({"name": "alice"}),
        reference_tokens.create_access_token({"sub": "mallory"}),
        "not-a-jwt",
    ],
    ids=["expired", "other-key", "hs512", "no-sub", "unknown-user", "malformed"],
)
def test_users_me_rejects_token_401(http, token):
    assert_challenge(http.get("/users/me/", headers=bearer(token)), reference.CREDENTIALS_DETAIL)


def test_users_me_disabled_user_400(http):
    token = login(http, "bob", reference.DEMO_PASSWORDS["bob"]).json()["access_token"]
    response = http.get("/users/me/", headers=bearer(token))

    assert response.status_code == 400, response.text
    assert response.json() == {"detail": reference.INACTIVE_USER_DETAIL}


def test_openapi_declares_password_flow(http):
    schema = http.get("/openapi.json").json()

    scheme = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme == {"type": "oauth2", "flows": {"password": {"scopes": {}, "tokenUrl": "token"}}}, scheme
    assert set(schema["paths"]) == {"/token", "/users/me/"}, schema["paths"].keys()
    assert schema["paths"]["/users/me/"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
