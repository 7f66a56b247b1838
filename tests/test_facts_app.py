"""Execute the facts that notebook 06 (solutions/06-login-with-fastapi) and its quiz entries state.

Each test runs one claim on the pinned versions: FastAPI 0.163.2 with Starlette 1.10.0, uvicorn
0.54.0, python-multipart 0.0.34, pwdlib 0.4.2 with argon2-cffi, httpx 0.28.1, PyJWT 2.15.1 and
python-jose 3.5.0. Facts that a notebook cell shows are tested here too when a learner could edit
that cell.
"""

import asyncio
import errno
import inspect
import re
import socket
import subprocess
import sys
import threading
import warnings
from datetime import timedelta
from typing import Annotated

import jose
import jose.jwt
import jwt
import pytest
import uvicorn
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher
from pydantic import BaseModel
from starlette.exceptions import StarletteDeprecationWarning

import reference_tokens

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

KEY = reference_tokens.SECRET_KEY
ARGON2_HASH = re.compile(r"^\$argon2id\$v=19\$m=(?P<memory>\d+),t=(?P<time>\d+),p=(?P<lanes>\d+)\$(?P<salt>[^$]+)\$(?P<digest>[^$]+)$")
TOKEN_ERRORS = [
    jwt.ExpiredSignatureError,
    jwt.InvalidSignatureError,
    jwt.DecodeError,
    jwt.InvalidAlgorithmError,
    jwt.MissingRequiredClaimError,
    jwt.exceptions.InvalidSubjectError,
]
# The line in the notebook's setup cell, and the message Starlette 1.10 warns with.
WARNING_FILTER = (
    'warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated", '
    "category=StarletteDeprecationWarning)"
)
TESTCLIENT_WARNING = "Using `httpx` with `starlette.testclient` is deprecated; install `httpx2` instead."

password_hash = PasswordHash.recommended()


class User(BaseModel):
    username: str
    disabled: bool | None = None


class UserInDB(User):
    hashed_password: str


STORED_USER = UserInDB(username="alice", disabled=False, hashed_password="$argon2id$stored-hash")


# ---------------------------------------------------------------------------
# pwdlib and Argon2
# ---------------------------------------------------------------------------


def test_recommended_hasher_is_argon2id():
    hashed = password_hash.hash("wonderland")

    assert [type(hasher) for hasher in password_hash.hashers] == [Argon2Hasher], password_hash.hashers
    assert hashed.startswith("$argon2id$"), hashed


def test_hash_records_parameters_salt_digest():
    match = ARGON2_HASH.fullmatch(password_hash.hash("wonderland"))

    assert match is not None, "expected $argon2id$v=19$m=...,t=...,p=...$salt$digest"


def test_argon2_costs_memory_and_passes():
    """Slow on purpose: each hash and verification fills 64 MiB of memory three times."""
    match = ARGON2_HASH.fullmatch(password_hash.hash("wonderland"))

    assert (match["memory"], match["time"], match["lanes"]) == ("65536", "3", "4"), match.groupdict()


def test_same_password_hashes_differ():
    first, second = password_hash.hash("wonderland"), password_hash.hash("wonderland")

    assert first != second, "a new random salt should make the two hashes differ"
    assert password_hash.verify("wonderland", first), first
    assert password_hash.verify("wonderland", second), second


def test_verify_takes_password_first():
    hashed = password_hash.hash("wonderland")

    assert password_hash.verify("wonderland", hashed) is True
    assert password_hash.verify("Wonderland", hashed) is False
    with pytest.raises(UnknownHashError):
        password_hash.verify(hashed, "wonderland")


def test_string_compare_rejects_right_password():
    hashed = password_hash.hash("wonderland")

    assert ("wonderland" == hashed) is False, "comparing with the hash rejects the right password"
    assert (hashed == hashed) is True, "and accepts the hash itself as a password"


# ---------------------------------------------------------------------------
# FastAPI: routes, response models, errors, the form and the bearer scheme
# ---------------------------------------------------------------------------


def test_call_registers_like_decorator():
    def login() -> dict:
        return {"ok": True}

    decorated, called = FastAPI(), FastAPI()
    decorated.post("/token")(login)
    called.post("/token")(login)
    routes = [[(route.path, route.methods, route.endpoint) for route in app.routes if route.path == "/token"] for app in (decorated, called)]

    assert routes[0] == routes[1] == [("/token", {"POST"}, login)], routes


def test_return_type_is_response_model():
    app = FastAPI()

    @app.get("/with-hash")
    def read_with_hash() -> UserInDB:
        return STORED_USER

    @app.get("/public")
    def read_public() -> User:
        return STORED_USER

    @app.get("/no-type")
    def read_without_type():
        return STORED_USER

    @app.get("/validated")
    def read_validated():
        return User.model_validate(STORED_USER)

    client = TestClient(app)
    assert client.get("/public").json() == {"username": "alice", "disabled": False}
    for path in ("/with-hash", "/no-type", "/validated"):
        assert "hashed_password" in client.get(path).json(), f"{path} should send the hash"


def test_model_validate_keeps_subclass_object():
    validated = User.model_validate(STORED_USER)

    assert validated is STORED_USER, "Pydantic returns the UserInDB object unchanged"
    assert "hashed_password" in validated.model_dump()


def test_http_exception_becomes_error_response():
    app = FastAPI()

    @app.get("/reject")
    def reject() -> None:
        raise HTTPException(status_code=401, detail="Could not validate credentials", headers={"WWW-Authenticate": "Bearer"})

    response = TestClient(app).get("/reject")
    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Could not validate credentials"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def form_echo_app() -> FastAPI:
    app = FastAPI()

    @app.post("/token")
    def echo_form(form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict:
        return {"username": form_data.username, "password": form_data.password}

    return app


def test_form_fields_read_from_data():
    response = TestClient(form_echo_app()).post("/token", data={"username": "alice", "password": "wonderland"})

    assert response.status_code == 200, response.text
    assert response.json() == {"username": "alice", "password": "wonderland"}


@pytest.mark.parametrize(
    "request_arguments",
    [
        {"json": {"username": "alice", "password": "wonderland"}},
        {"params": {"username": "alice", "password": "wonderland"}},
        {"headers": {"Authorization": "Bearer alice:wonderland"}},
    ],
    ids=["json-body", "query-string", "bearer-header"],
)
def test_form_missing_gets_422(request_arguments):
    response = TestClient(form_echo_app()).post("/token", **request_arguments)

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "username"], ["body", "password"]]


def test_form_needs_python_multipart(monkeypatch):
    monkeypatch.setitem(sys.modules, "python_multipart", None)
    monkeypatch.setitem(sys.modules, "multipart", None)

    with pytest.raises(RuntimeError, match='Form data requires "python-multipart" to be installed'):
        form_echo_app()


def bearer_echo_app() -> FastAPI:
    app = FastAPI()
    scheme = OAuth2PasswordBearer(tokenUrl="token")

    @app.get("/echo-token")
    def echo_token(token: Annotated[str, Depends(scheme)]) -> dict:
        return {"token": token}

    return app


def test_bearer_scheme_reads_token():
    response = TestClient(bearer_echo_app()).get("/echo-token", headers={"Authorization": "Bearer abc.def.ghi"})

    assert response.json() == {"token": "abc.def.ghi"}


def test_bearer_scheme_401_without_header():
    response = TestClient(bearer_echo_app()).get("/echo-token")

    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_def_endpoint_runs_in_worker_thread():
    app = FastAPI()

    @app.get("/def")
    def in_def() -> dict:
        return {"thread": threading.current_thread().name}

    @app.get("/async")
    async def in_async() -> dict:
        return {"thread": threading.current_thread().name, "loop": asyncio.get_running_loop() is not None}

    client = TestClient(app)
    def_thread = client.get("/def").json()["thread"]
    async_response = client.get("/async").json()
    assert def_thread.startswith("AnyIO worker thread"), def_thread
    assert async_response["loop"] is True, async_response
    assert def_thread != async_response["thread"], "the async endpoint runs in the event loop's thread"


def test_argon2_blocks_event_loop():
    """While Argon2 runs in a coroutine, the event loop runs nothing else, but in a worker thread it does."""
    hashed = password_hash.hash("wonderland")

    async def count_ticks_during(work) -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before = ticks
        await work()
        during = ticks - before
        task.cancel()
        return during

    async def verify_on_loop() -> None:
        password_hash.verify("guess", hashed)

    async def verify_in_thread() -> None:
        await asyncio.to_thread(password_hash.verify, "guess", hashed)

    assert asyncio.run(count_ticks_during(verify_on_loop)) == 0
    assert asyncio.run(count_ticks_during(verify_in_thread)) > 0


# ---------------------------------------------------------------------------
# PyJWT and python-jose errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("error_class", TOKEN_ERRORS, ids=lambda error_class: error_class.__name__)
def test_token_errors_are_invalid_token_errors(error_class):
    assert issubclass(error_class, jwt.InvalidTokenError)
    assert not issubclass(error_class, jose.JWTError), "python-jose's JWTError catches none of PyJWT's errors"


def test_only_some_errors_are_decode_errors():
    decode_errors = {error_class.__name__ for error_class in TOKEN_ERRORS if issubclass(error_class, jwt.DecodeError)}

    assert decode_errors == {"DecodeError", "InvalidSignatureError"}, decode_errors


def test_expired_token_raises_expired_signature():
    expired = reference_tokens.create_access_token({"sub": "alice"}, timedelta(minutes=-1))

    with pytest.raises(jwt.ExpiredSignatureError, match="Signature has expired"):
        jwt.decode(expired, KEY, algorithms=["HS256"])


def test_decode_without_algorithms_refused():
    token = reference_tokens.create_access_token({"sub": "alice"})

    with pytest.raises(jwt.DecodeError, match='pass in a value for the "algorithms" argument'):
        jwt.decode(token, KEY)


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_jose_without_algorithms_accepts_any(algorithm):
    token = jwt.encode({"sub": "alice"}, KEY, algorithm=algorithm)

    assert jose.jwt.decode(token, KEY) == {"sub": "alice"}
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, KEY, algorithms=["HS256"])


def test_require_sub_raises_invalid_token():
    token = reference_tokens.create_access_token({"name": "alice"})

    assert "sub" not in jwt.decode(token, KEY, algorithms=["HS256"]), "without require, decode passes"
    with pytest.raises(jwt.MissingRequiredClaimError):
        jwt.decode(token, KEY, algorithms=["HS256"], options={"require": ["sub"]})


def test_subscript_missing_sub_raises_key_error():
    claims = jwt.decode(reference_tokens.create_access_token({"name": "alice"}), KEY, algorithms=["HS256"])

    assert claims.get("sub") is None
    with pytest.raises(KeyError):
        claims["sub"]


# ---------------------------------------------------------------------------
# Starlette's TestClient warning and uvicorn
# ---------------------------------------------------------------------------


def import_testclient_warnings(setup: str) -> list[str]:
    """Import TestClient in a new interpreter after `setup`; return the warning messages it showed."""
    code = (
        "import warnings\n"
        "from starlette.exceptions import StarletteDeprecationWarning\n"
        f"{setup}\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    from fastapi.testclient import TestClient\n"
        "print('\\n'.join(f'{w.category.__name__}: {w.message}' for w in caught))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return [line for line in result.stdout.splitlines() if line]


def test_testclient_import_warns_about_httpx2():
    assert import_testclient_warnings("") == [f"StarletteDeprecationWarning: {TESTCLIENT_WARNING}"]
    assert issubclass(StarletteDeprecationWarning, UserWarning), "a UserWarning is shown by default"


def test_setup_filter_hides_only_that_warning():
    assert import_testclient_warnings(WARNING_FILTER) == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(WARNING_FILTER, {"warnings": warnings, "StarletteDeprecationWarning": StarletteDeprecationWarning})
        warnings.warn("Another Starlette deprecation", StarletteDeprecationWarning)
    assert [str(warning.message) for warning in caught] == ["Another Starlette deprecation"]


def test_port_zero_picks_free_port():
    with socket.socket() as first:
        first.bind(("127.0.0.1", 0))
        host, port = first.getsockname()
        assert (host, port > 0) == ("127.0.0.1", True)
        with socket.socket() as second:
            first.listen()
            with pytest.raises(OSError) as failure:
                second.bind(("127.0.0.1", port))
    assert failure.value.errno == errno.EADDRINUSE, "a fixed port that is taken cannot be bound again"


def test_uvicorn_polls_should_exit_every_tenth():
    source = inspect.getsource(uvicorn.Server.main_loop)

    assert "await asyncio.sleep(0.1)" in source, source
    assert "should_exit" in source


def test_uvicorn_skips_signal_handlers_off_main_thread():
    source = inspect.getsource(uvicorn.Server.capture_signals)

    assert "threading.current_thread() is not threading.main_thread()" in source, source

