"""Execute every fact that notebook 07, its quiz entries and its grading messages state.

Each test runs one claim from solutions/07-production-hardening, the 07 entries of
solutions/quiz_key.toml or autograder/service_checks.py on the pinned versions (PyJWT 2.15.1,
pydantic-settings 2.16.3, FastAPI 0.163.2, uvicorn 0.54.0, httpx 0.28.1, Python 3.11).
The uvicorn tests start real servers on 127.0.0.1, on ports the operating system picks.
"""

import base64
import hashlib
import hmac
import itertools
import os
import secrets
import socket
import ssl
import string
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import Depends, FastAPI
from fastapi.security import OAuth2PasswordBearer
from fastapi.testclient import TestClient
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_KEY_BYTES = 32
GOOD_KEY = "fc3f61e86cc434bc715d7d3863fd55e76ac28dd02ee9b88c44f0a1f0a9ac726c"
SERVER_TIMEOUT_S = 20
# Fresh connections sent to a two-worker server before the test gives up on reaching the second worker.
MAX_WORKER_PROBES = 200

TINY_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/items")
def read_items() -> list:
    return []
"""

# The per-process fallback key from the notebook's worker example, served by uvicorn.
FALLBACK_KEY_APP = """
import os
import secrets

import jwt
from fastapi import FastAPI

SECRET_KEY = os.getenv("JWT_SECRET_KEY", secrets.token_hex(32))
app = FastAPI()


@app.get("/issue")
def issue() -> dict:
    return {"pid": os.getpid(), "token": jwt.encode({"sub": "alice"}, SECRET_KEY, algorithm="HS256")}


@app.get("/verify")
def verify(token: str) -> dict:
    try:
        jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    except jwt.InvalidSignatureError:
        return {"pid": os.getpid(), "accepted": False}
    return {"pid": os.getpid(), "accepted": True}
"""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(hide_input_in_errors=True)
    jwt_secret_key: SecretStr = Field(min_length=MIN_KEY_BYTES)


class LeakySettings(BaseSettings):
    jwt_secret_key: SecretStr = Field(min_length=MIN_KEY_BYTES)


def captured_warnings(action: Callable[[], object]) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return caught


def encode_quietly(claims: dict, key: str | None, algorithm: str = "HS256", headers: dict | None = None) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


# ---------------------------------------------------------------------------
# The key comes from the environment
# ---------------------------------------------------------------------------


def test_environ_item_raises_key_error(monkeypatch):
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)

    with pytest.raises(KeyError) as failure:
        os.environ["JWT_SECRET_KEY"]
    assert failure.value.args == ("JWT_SECRET_KEY",), f"KeyError carries only the name: {failure.value.args}"
    assert os.environ.get("JWT_SECRET_KEY") is None


@pytest.mark.parametrize("variable", ["JWT_SECRET_KEY", "jwt_secret_key", "Jwt_Secret_Key"])
def test_settings_field_reads_variable_in_any_case(monkeypatch, variable):
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    monkeypatch.setenv(variable, GOOD_KEY)

    assert Settings().jwt_secret_key.get_secret_value() == GOOD_KEY


def test_settings_without_variable_names_field(monkeypatch):
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)

    with pytest.raises(ValidationError) as failure:
        Settings()
    assert "jwt_secret_key" in str(failure.value), str(failure.value)
    assert "Field required" in str(failure.value), str(failure.value)
    assert isinstance(failure.value, ValueError), "pydantic's ValidationError is a ValueError"


def test_hidden_input_omits_short_key(monkeypatch):
    monkeypatch.setenv("JWT_SECRET_KEY", "hunter2")

    with pytest.raises(ValidationError) as failure:
        Settings()
    assert "too_short" in str(failure.value), str(failure.value)
    assert "hunter2" not in str(failure.value), str(failure.value)


def test_validation_error_shows_short_key(monkeypatch):
    monkeypatch.setenv("JWT_SECRET_KEY", "hunter2")

    with pytest.raises(ValidationError) as failure:
        LeakySettings()
    assert "input_value='hunter2'" in str(failure.value), "SecretStr does not hide the input in validation errors"


def test_secret_str_repr_shows_stars(monkeypatch):
    monkeypatch.setenv("JWT_SECRET_KEY", GOOD_KEY)
    settings = Settings()

    assert repr(settings) == "Settings(jwt_secret_key=SecretStr('**********'))", repr(settings)
    assert GOOD_KEY not in repr(settings)
    assert GOOD_KEY not in str(settings)
    assert settings.jwt_secret_key.get_secret_value() == GOOD_KEY


def test_token_hex_length():
    key = secrets.token_hex(32)

    assert len(key) == 64, key
    assert len(key.encode("utf-8")) == 64, "hex characters are ASCII, one byte each"
    assert len(bytes.fromhex(key)) == 32, "64 hex characters encode 32 random bytes"


def test_pyjwt_uses_utf8_of_hex_text_as_key():
    key = secrets.token_hex(32)
    token = jwt.encode({"sub": "alice"}, key, algorithm="HS256")
    signing_input, _, signature = token.rpartition(".")

    as_text = hmac.new(key.encode("utf-8"), signing_input.encode(), hashlib.sha256).digest()
    as_hex_bytes = hmac.new(bytes.fromhex(key), signing_input.encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=") == as_text
    assert as_text != as_hex_bytes, "PyJWT does not decode the hex"


def test_min_key_bytes_is_sha256_digest_size():
    assert hashlib.sha256().digest_size == MIN_KEY_BYTES


def test_short_key_warns_twice():
    decoded = {}

    def encode_and_decode():
        token = jwt.encode({"sub": "alice"}, "hunter2", algorithm="HS256")
        decoded.update(jwt.decode(token, "hunter2", algorithms=["HS256"]))

    caught = captured_warnings(encode_and_decode)
    assert [warning.category for warning in caught] == [jwt.InsecureKeyLengthWarning] * 2, caught
    assert "7 bytes long" in str(caught[0].message), caught[0].message
    assert "32 bytes" in str(caught[0].message), caught[0].message
    assert decoded == {"sub": "alice"}, "the token works despite the warning"


@pytest.mark.parametrize("key", [GOOD_KEY, GOOD_KEY[:MIN_KEY_BYTES]])
def test_long_key_no_warning(key):
    caught = captured_warnings(lambda: jwt.decode(jwt.encode({"sub": "a"}, key), key, algorithms=["HS256"]))

    assert caught == [], [str(warning.message) for warning in caught]


def test_fromisoformat_reads_offsets_and_z():
    instant = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

    for text in ("2026-12-01T09:00:00+00:00", "2026-12-01T14:30:00+05:30", "2026-12-01T09:00:00Z"):
        assert datetime.fromisoformat(text) == instant, text
    assert datetime.fromisoformat("2026-12-01T09:00:00").utcoffset() is None, "no offset gives a naive datetime"
    with pytest.raises(ValueError, match="Invalid isoformat string") as failure:
        datetime.fromisoformat("next tuesday")
    assert "JWT_ROTATED_AT" not in str(failure.value)


# ---------------------------------------------------------------------------
# A random key per process
# ---------------------------------------------------------------------------


def environment_without_key(**extra: str) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name != "JWT_SECRET_KEY"}
    return {**environment, **extra}


def run_python(code: str, environment: dict[str, str], *arguments: str) -> str:
    command = [sys.executable, "-c", code, *arguments]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=SERVER_TIMEOUT_S, check=True).stdout.strip()


PROCESS_KEY_CODE = """
import os, secrets, sys, jwt

SECRET_KEY = os.getenv("JWT_SECRET_KEY", secrets.token_hex(32))
if sys.argv[1] == "issue":
    print(jwt.encode({"sub": "alice"}, SECRET_KEY, algorithm="HS256"))
else:
    try:
        jwt.decode(sys.argv[2], SECRET_KEY, algorithms=["HS256"])
        print("accepted")
    except jwt.InvalidSignatureError:
        print("rejected")
"""


def test_fallback_key_differs_per_process():
    environment = environment_without_key()
    token = run_python(PROCESS_KEY_CODE, environment, "issue")

    assert run_python(PROCESS_KEY_CODE, environment, "verify", token) == "rejected"


def test_shared_environment_key_works_across_processes():
    environment = environment_without_key(JWT_SECRET_KEY=secrets.token_hex(32))
    token = run_python(PROCESS_KEY_CODE, environment, "issue")

    assert run_python(PROCESS_KEY_CODE, environment, "verify", token) == "accepted"


# ---------------------------------------------------------------------------
# uvicorn: workers and the access log
# ---------------------------------------------------------------------------


@contextmanager
def uvicorn_server(app_source: str, tmp_path: Path, *options: str, environment: dict | None = None) -> Iterator[tuple[str, list[str]]]:
    """Serve app_source with uvicorn on 127.0.0.1 and a free port, and yield the port and the log lines, filled in at exit."""
    (tmp_path / "served_app.py").write_text(app_source)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", "served_app:app", "--app-dir", str(tmp_path), "--fd", str(listener.fileno()), *options]
    server = subprocess.Popen(
        command, pass_fds=[listener.fileno()], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    listener.close()
    log_lines: list[str] = []
    try:
        yield port, log_lines
    finally:
        server.terminate()
        try:
            output, _ = server.communicate(timeout=SERVER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
        log_lines.extend(output.splitlines())


def request_lines(log_lines: list[str]) -> list[str]:
    return [line for line in log_lines if '"GET' in line]


def test_access_log_shows_query_string_not_header(tmp_path):
    token = jwt.encode({"sub": "alice"}, GOOD_KEY, algorithm="HS256")
    with uvicorn_server(TINY_APP, tmp_path) as (port, log_lines):
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=SERVER_TIMEOUT_S, trust_env=False) as client:
            assert client.get("/items", params={"token": token}).status_code == 200
            assert client.get("/items", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    lines = request_lines(log_lines)
    assert len(lines) == 2, log_lines
    assert f"GET /items?token={token} HTTP/1.1" in lines[0], lines[0]
    assert token not in lines[1], lines[1]
    assert "Bearer" not in lines[1], lines[1]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """Write a certificate and key for 127.0.0.1, valid for one day, and return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = folder / "cert.pem", folder / "key.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return certificate_path, key_path


def test_https_access_log_still_shows_query_string(tmp_path):
    certificate_path, key_path = self_signed_certificate(tmp_path)
    token = jwt.encode({"sub": "alice"}, GOOD_KEY, algorithm="HS256")
    tls = ssl.create_default_context(cafile=str(certificate_path))
    tls.check_hostname = False
    with uvicorn_server(TINY_APP, tmp_path, "--ssl-certfile", str(certificate_path), "--ssl-keyfile", str(key_path)) as (port, log_lines):
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=tls, timeout=SERVER_TIMEOUT_S, trust_env=False) as client:
            assert client.get("/items", params={"token": token}).status_code == 200

    lines = request_lines(log_lines)
    assert len(lines) == 1, log_lines
    assert f"GET /items?token={token}" in lines[0], lines[0]


def test_fallback_key_differs_per_uvicorn_worker(tmp_path):
    environment = environment_without_key()
    with uvicorn_server(FALLBACK_KEY_APP, tmp_path, "--workers", "2", environment=environment) as (port, _):
        base_url = f"http://127.0.0.1:{port}"
        # A new client per request opens a new connection, which either worker may accept.
        with httpx.Client(base_url=base_url, timeout=SERVER_TIMEOUT_S, trust_env=False) as client:
            issued = client.get("/issue").json()
        verdicts = {}
        for _ in range(MAX_WORKER_PROBES):
            with httpx.Client(base_url=base_url, timeout=SERVER_TIMEOUT_S, trust_env=False) as client:
                answer = client.get("/verify", params={"token": issued["token"]}).json()
            verdicts[answer["pid"]] = answer["accepted"]
            if len(verdicts) == 2:
                break

    assert len(verdicts) == 2, f"all {MAX_WORKER_PROBES} requests reached one worker: {verdicts}"
    assert verdicts[issued["pid"]] is True, "the issuing worker accepts its own token"
    other_pid = next(pid for pid in verdicts if pid != issued["pid"])
    assert verdicts[other_pid] is False, "the other worker has its own key and rejects the token"


# ---------------------------------------------------------------------------
# Brute force
# ---------------------------------------------------------------------------


def test_four_lowercase_letters_make_456976_keys():
    assert len(string.ascii_lowercase) ** 4 == 456_976


def test_search_finds_four_letter_key():
    token = encode_quietly({"sub": "alice", "admin": False}, "hush")
    signing_input, _, signature_part = token.rpartition(".")
    target = base64.urlsafe_b64decode(signature_part + "=")

    found = None
    for letters in itertools.product(string.ascii_lowercase, repeat=4):
        candidate = "".join(letters)
        if hmac.new(candidate.encode(), signing_input.encode(), hashlib.sha256).digest() == target:
            found = candidate
            break
    assert found == "hush"
    forged = encode_quietly({"sub": "alice", "admin": True}, found)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        assert jwt.decode(forged, "hush", algorithms=["HS256"])["admin"] is True


# ---------------------------------------------------------------------------
# Key rotation with kid
# ---------------------------------------------------------------------------


def test_kid_header_round_trip():
    token = jwt.encode({"sub": "alice"}, GOOD_KEY, algorithm="HS256", headers={"kid": "2026-11"})

    assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": "2026-11", "typ": "JWT"}


def test_pyjwt_knows_kid_and_jti():
    with pytest.raises(jwt.InvalidTokenError, match="Key ID header parameter must be a string"):
        jwt.encode({"sub": "alice"}, GOOD_KEY, algorithm="HS256", headers={"kid": 11})
    token = jwt.encode({"sub": "alice", "jti": 7}, GOOD_KEY, algorithm="HS256")
    with pytest.raises(jwt.exceptions.InvalidJTIError, match="JWT ID must be a string"):
        jwt.decode(token, GOOD_KEY, algorithms=["HS256"])


def test_old_token_fails_with_new_key():
    old_token = jwt.encode({"sub": "alice"}, secrets.token_hex(32), algorithm="HS256", headers={"kid": "2026-11"})

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(old_token, secrets.token_hex(32), algorithms=["HS256"])


def test_header_algorithm_lets_token_choose():
    token = jwt.encode({"sub": "admin"}, GOOD_KEY, algorithm="HS512", headers={"kid": "2026-12"})
    header = jwt.get_unverified_header(token)

    assert jwt.decode(token, GOOD_KEY, algorithms=[header["alg"]])["sub"] == "admin"
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, GOOD_KEY, algorithms=["HS256"])


def test_none_token_with_key_raises_invalid_key_error():
    token = jwt.encode({"sub": "admin"}, None, algorithm="none", headers={"kid": "2026-12"})

    with pytest.raises(jwt.InvalidKeyError):
        jwt.decode(token, GOOD_KEY, algorithms=["none"])
    assert not issubclass(jwt.InvalidKeyError, jwt.InvalidTokenError)
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, GOOD_KEY, algorithms=["HS256"])


def test_none_as_key_raises_type_error():
    token = jwt.encode({"sub": "alice"}, GOOD_KEY, algorithm="HS256")

    with pytest.raises(TypeError, match="Expected a string or bytes value"):
        jwt.decode(token, None, algorithms=["HS256"])


def test_unverified_header_of_garbage_raises_decode_error():
    with pytest.raises(jwt.DecodeError):
        jwt.get_unverified_header("not-a-token")


def test_key_error_in_dependency_is_500():
    keys = {"2026-12": GOOD_KEY}
    app = FastAPI()

    def current_key(kid: str) -> str:
        return keys[kid]

    @app.get("/items")
    def read_items(key: Annotated[str, Depends(current_key)]) -> list:
        return []

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/items", params={"kid": "2026-12"}).status_code == 200
    assert client.get("/items", params={"kid": "../../etc/passwd"}).status_code == 500


def test_oauth2_password_bearer_reads_header_only():
    app = FastAPI()
    oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

    @app.get("/items")
    def read_items(token: Annotated[str, Depends(oauth2_scheme)]) -> dict:
        return {"token": token}

    client = TestClient(app)
    in_query = client.get("/items", params={"token": "abc"})
    assert in_query.status_code == 401, in_query.text
    assert client.get("/items", headers={"Authorization": "Bearer abc"}).json() == {"token": "abc"}


# ---------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------


def test_naive_and_aware_comparison_raises_type_error():
    with pytest.raises(TypeError, match="can't compare offset-naive and offset-aware datetimes"):
        datetime.now() >= datetime.now(timezone.utc)


def test_naive_now_is_off_by_utc_offset(monkeypatch):
    monkeypatch.setenv("TZ", "EST+5")
    time.tzset()
    try:
        wall_utc = datetime.now(timezone.utc).replace(tzinfo=None)
        difference = wall_utc - datetime.now()
        assert abs(difference - timedelta(hours=5)) < timedelta(seconds=2), difference
    finally:
        monkeypatch.undo()
        time.tzset()


# ---------------------------------------------------------------------------
# Sample program: refresh tokens and revocation
# ---------------------------------------------------------------------------


def test_access_token_works_after_refresh_token_revoked():
    now = datetime.now(timezone.utc)
    refresh_token = jwt.encode({"sub": "alice", "type": "refresh", "jti": secrets.token_hex(16), "exp": now + timedelta(days=7)}, GOOD_KEY)
    access_token = jwt.encode({"sub": "alice", "type": "access", "jti": secrets.token_hex(16), "exp": now + timedelta(minutes=15)}, GOOD_KEY)
    revoked_jtis = {jwt.decode(refresh_token, GOOD_KEY, algorithms=["HS256"])["jti"]}

    claims = jwt.decode(access_token, GOOD_KEY, algorithms=["HS256"])
    assert claims["jti"] not in revoked_jtis, "revoking the refresh token's jti leaves the access token's jti alone"
    assert claims["exp"] - time.time() > 14 * 60, "the access token stays valid until its own exp"


def test_custom_rejections_are_invalid_token_errors():
    with pytest.raises(jwt.InvalidTokenError):
        raise jwt.InvalidTokenError("expected type 'access', got 'refresh'")
    assert issubclass(jwt.InvalidSignatureError, jwt.InvalidTokenError)
    assert issubclass(jwt.MissingRequiredClaimError, jwt.InvalidTokenError)
