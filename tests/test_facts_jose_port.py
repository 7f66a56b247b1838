"""Execute every fact that notebook 05 (from python-jose to PyJWT) and its quiz key state.

Each test runs one claim from solutions/05-python-jose-and-pyjwt or its entries in
solutions/quiz_key.toml on the pinned versions (PyJWT 2.15.1, python-jose 3.5.0, FastAPI 0.163.2,
Starlette 1.10, time-machine 3.6.0). The notebook's cells show most of these facts too, but a
learner can change a cell, so they are executed here as well.
"""

import importlib.metadata
import inspect
import json
import subprocess
import sys
import time
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import jose
import jose.constants
import jose.exceptions
import jose.jwe
import jwt
import jwt.exceptions
import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import OAuth2PasswordBearer
from jose import JWTError
from jose import jwt as jose_jwt

KEY = "67e403e7b939f1026d50e8d906764037770ffb78e0bdb0e1386867a892f552df"
ALGORITHM = "HS256"
LEEWAY_SECONDS = 10
# A future instant for the exp-second tests, as in quiz question 4.
EXP_SECOND = 1900000000


def encode(claims: dict, algorithm: str = ALGORITHM, key: str | bytes = KEY) -> str:
    return jwt.encode(dict(claims), key, algorithm=algorithm)


def in_seconds(seconds: int) -> int:
    return int(time.time()) + seconds


def recorded_warnings(action) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return caught


def public_key(encoding: serialization.Encoding) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return key.public_bytes(encoding, serialization.PublicFormat.SubjectPublicKeyInfo)


# ---------------------------------------------------------------------------
# Versions, distributions and the import names
# ---------------------------------------------------------------------------


def test_pinned_versions_installed():
    assert importlib.metadata.version("PyJWT") == jwt.__version__ == "2.15.1", f"PyJWT is {jwt.__version__}"
    assert importlib.metadata.version("python-jose") == jose.__version__ == "3.5.0", f"python-jose is {jose.__version__}"


def test_modules_come_from_their_distributions():
    distributions = importlib.metadata.packages_distributions()

    assert distributions["jwt"] == ["PyJWT"], f"the module jwt comes from {distributions['jwt']}"
    assert distributions["jose"] == ["python-jose"], f"the module jose comes from {distributions['jose']}"


def test_jwt_file_belongs_to_pyjwt():
    pyjwt_files = [str(path.locate()) for path in importlib.metadata.distribution("PyJWT").files]

    assert jwt.__file__ in pyjwt_files, f"{jwt.__file__} is not one of PyJWT's installed files"


def test_python_jose_installs_no_jwt_module():
    top_level = importlib.metadata.distribution("python-jose").read_text("top_level.txt").split()

    assert top_level == ["jose"], f"python-jose installs the top-level modules {top_level}"


def run_script(folder: Path, name: str) -> subprocess.CompletedProcess:
    """Write a three-line token script under `name` into `folder` and run it there."""
    folder.mkdir()
    (folder / name).write_text('import jwt\n\nprint(jwt.encode({"sub": "alice"}, "k" * 32))\n')
    return subprocess.run([sys.executable, name], cwd=folder, capture_output=True, text=True)


def test_local_jwt_py_shadows_library(tmp_path):
    shadowed = run_script(tmp_path / "shadowed", "jwt.py")

    assert shadowed.returncode != 0, f"jwt.py ran without error: {shadowed.stdout!r}"
    assert "partially initialized module 'jwt' has no attribute 'encode'" in shadowed.stderr, shadowed.stderr


def test_other_script_name_imports_library(tmp_path):
    working = run_script(tmp_path / "working", "make_token.py")

    assert working.returncode == 0, f"make_token.py failed: {working.stderr}"
    assert working.stdout.count(".") == 2, f"make_token.py printed {working.stdout!r}, not a token"


def python_versions(distribution: str) -> list[str]:
    prefix = "Programming Language :: Python :: 3."
    classifiers = importlib.metadata.metadata(distribution).get_all("Classifier")
    return [classifier.rsplit(" :: ", 1)[1] for classifier in classifiers if classifier.startswith(prefix)]


def test_supported_python_versions_in_metadata():
    assert python_versions("PyJWT") == ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"], python_versions("PyJWT")
    assert python_versions("python-jose") == ["3.9", "3.10", "3.11", "3.12", "3.13"], python_versions("python-jose")


def test_starlette_testclient_import_warns_about_httpx2():
    command = [sys.executable, "-W", "always", "-c", "import fastapi.testclient"]
    result = subprocess.run(command, capture_output=True, text=True)

    assert importlib.metadata.version("starlette").startswith("1.10."), importlib.metadata.version("starlette")
    assert "Using `httpx` with `starlette.testclient` is deprecated; install `httpx2` instead" in result.stderr, result.stderr


# ---------------------------------------------------------------------------
# Creating tokens
# ---------------------------------------------------------------------------


def test_same_claims_give_same_token():
    claims = {"sub": "alice", "exp": datetime.now(timezone.utc) + timedelta(minutes=15)}

    pyjwt_token = jwt.encode(dict(claims), KEY, algorithm=ALGORITHM)
    jose_token = jose_jwt.encode(dict(claims), KEY, algorithm=ALGORITHM)
    assert pyjwt_token == jose_token, f"PyJWT gave {pyjwt_token!r}, python-jose gave {jose_token!r}"


def test_each_library_decodes_other_token():
    claims = {"sub": "alice", "exp": in_seconds(900)}

    from_jose = jwt.decode(jose_jwt.encode(dict(claims), KEY, algorithm=ALGORITHM), KEY, algorithms=[ALGORITHM])
    from_pyjwt = jose_jwt.decode(encode(claims), KEY, algorithms=[ALGORITHM])
    assert from_jose == from_pyjwt == claims, f"PyJWT read {from_jose}, python-jose read {from_pyjwt}"


def test_jose_encode_writes_exp_back():
    expires = datetime.now(timezone.utc) + timedelta(minutes=15)
    pyjwt_claims = {"sub": "alice", "exp": expires}
    jose_claims = {"sub": "alice", "exp": expires}

    jwt.encode(pyjwt_claims, KEY, algorithm=ALGORITHM)
    jose_jwt.encode(jose_claims, KEY, algorithm=ALGORITHM)
    assert pyjwt_claims["exp"] is expires, f"PyJWT changed exp to {pyjwt_claims['exp']!r}"
    assert isinstance(jose_claims["exp"], int), f"python-jose left exp as {jose_claims['exp']!r}"


# ---------------------------------------------------------------------------
# algorithms=
# ---------------------------------------------------------------------------


def test_decode_without_algorithms():
    token = encode({"sub": "alice"})

    assert jose_jwt.decode(token, KEY) == {"sub": "alice"}, "python-jose should decode without algorithms"
    with pytest.raises(jwt.DecodeError, match='pass in a value for the "algorithms" argument'):
        jwt.decode(token, KEY)


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_jose_without_algorithms_accepts_other_hmac(algorithm):
    token = encode({"sub": "alice"}, algorithm=algorithm)

    assert jose_jwt.get_unverified_header(token)["alg"] == algorithm
    assert jose_jwt.decode(token, KEY)["sub"] == "alice", f"python-jose without algorithms rejected {algorithm}"
    with pytest.raises(JWTError, match="alg value is not allowed"):
        jose_jwt.decode(token, KEY, algorithms=[ALGORITHM])
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, KEY, algorithms=[ALGORITHM])


# ---------------------------------------------------------------------------
# Exception classes
# ---------------------------------------------------------------------------


def test_expired_error_ancestry():
    pyjwt_names = [cls.__name__ for cls in jwt.ExpiredSignatureError.__mro__]
    jose_names = [cls.__name__ for cls in jose.exceptions.ExpiredSignatureError.__mro__]

    assert pyjwt_names == ["ExpiredSignatureError", "InvalidTokenError", "PyJWTError", "Exception", "BaseException", "object"]
    assert jose_names == ["ExpiredSignatureError", "JWTError", "JOSEError", "Exception", "BaseException", "object"]
    assert jose.ExpiredSignatureError is jose.exceptions.ExpiredSignatureError


def test_exception_families_unrelated():
    assert not issubclass(jwt.InvalidTokenError, JWTError)
    assert not issubclass(JWTError, jwt.InvalidTokenError)


def pyjwt_exception_classes() -> list[type]:
    return [value for _, value in inspect.getmembers(jwt.exceptions, inspect.isclass) if issubclass(value, Exception)]


def test_jwterror_catches_nothing_pyjwt_raises():
    classes = pyjwt_exception_classes()
    assert jwt.ExpiredSignatureError in classes, classes
    assert jwt.PyJWTError in classes, classes

    for cls in classes:
        assert not issubclass(cls, JWTError), f"{cls.__name__} is a jose.JWTError"


def test_jose_errors_are_not_pyjwt_errors():
    jose_classes = [value for _, value in inspect.getmembers(jose.exceptions, inspect.isclass) if issubclass(value, Exception)]

    for cls in jose_classes:
        assert not issubclass(cls, jwt.PyJWTError), f"{cls.__name__} is a PyJWTError"


def test_except_jwterror_misses_pyjwt_expired():
    expired = encode({"sub": "alice", "exp": in_seconds(-60)})

    with pytest.raises(jwt.ExpiredSignatureError):
        try:
            jwt.decode(expired, KEY, algorithms=[ALGORITHM])
        except JWTError:
            pytest.fail("except JWTError caught PyJWT's ExpiredSignatureError")


@pytest.mark.parametrize(
    "error_class",
    [
        jwt.ExpiredSignatureError,
        jwt.DecodeError,
        jwt.InvalidSignatureError,
        jwt.InvalidAlgorithmError,
        jwt.MissingRequiredClaimError,
        jwt.ImmatureSignatureError,
    ],
    ids=lambda cls: cls.__name__,
)
def test_rejections_subclass_invalid_token_error(error_class):
    assert issubclass(error_class, jwt.InvalidTokenError), f"{error_class.__name__} is not an InvalidTokenError"


def test_invalid_signature_is_decode_error():
    assert issubclass(jwt.InvalidSignatureError, jwt.DecodeError)


@pytest.mark.parametrize("error_class", [jwt.ExpiredSignatureError, jwt.MissingRequiredClaimError, jwt.ImmatureSignatureError])
def test_decode_error_misses_claim_errors(error_class):
    assert not issubclass(error_class, jwt.DecodeError), f"except jwt.DecodeError would catch {error_class.__name__}"


# ---------------------------------------------------------------------------
# Leeway
# ---------------------------------------------------------------------------


def test_both_leeways_accept_three_seconds_late():
    token = encode({"sub": "alice", "exp": in_seconds(-3)})

    assert jose_jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"leeway": LEEWAY_SECONDS})["sub"] == "alice"
    assert jwt.decode(token, KEY, algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS)["sub"] == "alice"
    assert jwt.decode(token, KEY, algorithms=[ALGORITHM], leeway=timedelta(seconds=LEEWAY_SECONDS))["sub"] == "alice"


def test_pyjwt_ignores_leeway_option_silently():
    token = encode({"sub": "alice", "exp": in_seconds(-3)})

    def decode_with_option():
        with pytest.raises(jwt.ExpiredSignatureError):
            jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"leeway": LEEWAY_SECONDS})

    caught = recorded_warnings(decode_with_option)
    assert caught == [], f"PyJWT warned: {[str(warning.message) for warning in caught]}"


def test_jose_decode_has_no_leeway_argument():
    token = encode({"sub": "alice", "exp": in_seconds(-3)})

    with pytest.raises(TypeError, match="unexpected keyword argument 'leeway'"):
        jose_jwt.decode(token, KEY, algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS)


def test_leeway_without_algorithms_raises_decode_error():
    token = encode({"sub": "alice", "exp": in_seconds(-3)})

    with pytest.raises(jwt.DecodeError, match='"algorithms"'):
        jwt.decode(token, KEY, leeway=LEEWAY_SECONDS)


def test_verify_exp_off_accepts_day_old_token():
    token = encode({"sub": "alice", "exp": in_seconds(-86400)})

    claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"verify_exp": False})
    assert claims["sub"] == "alice", f"verify_exp=False decoded {claims}"


# ---------------------------------------------------------------------------
# The exp second, iat and nbf in the future, required claims
# ---------------------------------------------------------------------------


def decode_both_at(token: str, moment: float) -> tuple[str, str]:
    """Return each library's outcome for `token` on a clock frozen at `moment` (POSIX seconds)."""
    results = []
    with time_machine.travel(moment, tick=False):
        for decode, error_class in ((jwt.decode, jwt.ExpiredSignatureError), (jose_jwt.decode, jose.exceptions.ExpiredSignatureError)):
            try:
                decode(token, KEY, algorithms=[ALGORITHM])
                results.append("accepted")
            except error_class:
                results.append("expired")
    return results[0], results[1]


def test_exp_second_pyjwt_rejects_jose_accepts():
    token = encode({"sub": "alice", "exp": EXP_SECOND})

    assert decode_both_at(token, EXP_SECOND - 0.5) == ("accepted", "accepted")
    assert decode_both_at(token, EXP_SECOND) == ("expired", "accepted")
    assert decode_both_at(token, EXP_SECOND + 0.5) == ("expired", "accepted")
    assert decode_both_at(token, EXP_SECOND + 1) == ("expired", "expired")


def test_future_iat_rejected_by_pyjwt_only():
    issued = in_seconds(3600)
    token = encode({"sub": "alice", "iat": issued, "exp": issued + 900})

    with pytest.raises(jwt.ImmatureSignatureError, match="iat"):
        jwt.decode(token, KEY, algorithms=[ALGORITHM])
    assert jose_jwt.decode(token, KEY, algorithms=[ALGORITHM])["sub"] == "alice", "python-jose rejected a future iat"


def test_future_nbf_rejected_by_both():
    token = encode({"sub": "alice", "nbf": in_seconds(3600), "exp": in_seconds(7200)})

    with pytest.raises(jwt.ImmatureSignatureError):
        jwt.decode(token, KEY, algorithms=[ALGORITHM])
    with pytest.raises(jose.exceptions.JWTClaimsError):
        jose_jwt.decode(token, KEY, algorithms=[ALGORITHM])


def test_missing_exp_accepted_by_default():
    token = encode({"sub": "alice"})

    assert jwt.decode(token, KEY, algorithms=[ALGORITHM]) == {"sub": "alice"}
    assert jose_jwt.decode(token, KEY, algorithms=[ALGORITHM]) == {"sub": "alice"}


def test_require_options_each_library():
    token = encode({"sub": "alice"})

    with pytest.raises(JWTError, match='missing required key "exp"'):
        jose_jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require_exp": True})
    with pytest.raises(jwt.MissingRequiredClaimError, match='"exp"'):
        jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require": ["exp"]})


def test_pyjwt_ignores_require_exp_silently():
    token = encode({"sub": "alice"})
    decoded = []

    caught = recorded_warnings(lambda: decoded.append(jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require_exp": True})))
    assert decoded == [{"sub": "alice"}], f"PyJWT with require_exp decoded {decoded}"
    assert caught == [], f"PyJWT warned: {[str(warning.message) for warning in caught]}"


# ---------------------------------------------------------------------------
# The half-migrated FastAPI app
# ---------------------------------------------------------------------------


def make_app(token_errors: type[Exception]) -> FastAPI:
    app = FastAPI()
    oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

    def current_username(token: Annotated[str, Depends(oauth2_scheme)]) -> str:
        try:
            claims = jwt.decode(token, KEY, algorithms=[ALGORITHM])
        except token_errors:
            raise HTTPException(status_code=401, detail="Could not validate credentials", headers={"WWW-Authenticate": "Bearer"})
        return claims["sub"]

    @app.get("/users/me")
    def read_me(username: Annotated[str, Depends(current_username)]) -> dict[str, str]:
        return {"username": username}

    return app


def get_me(app: FastAPI, token: str):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
        from fastapi.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
    return client.get("/users/me", headers={"Authorization": f"Bearer {token}"})


def test_half_migrated_app_answers_500():
    app = make_app(JWTError)

    valid = get_me(app, encode({"sub": "alice", "exp": in_seconds(900)}))
    responses = []
    caught = recorded_warnings(lambda: responses.append(get_me(app, encode({"sub": "alice", "exp": in_seconds(-60)}))))
    expired = responses[0]
    assert (valid.status_code, valid.json()) == (200, {"username": "alice"}), valid.text
    assert (expired.status_code, expired.text) == (500, "Internal Server Error"), expired.text
    assert not [warning for warning in caught if "JWTError" in str(warning.message)], "a warning mentioned JWTError"


def test_migrated_app_answers_401():
    response = get_me(make_app(jwt.InvalidTokenError), encode({"sub": "alice", "exp": in_seconds(-60)}))

    assert response.status_code == 401, response.text
    assert response.json() == {"detail": "Could not validate credentials"}, response.text
    assert response.headers["www-authenticate"] == "Bearer", response.headers


# ---------------------------------------------------------------------------
# Keys and fixed vulnerabilities: what the pinned versions do today
# ---------------------------------------------------------------------------


def test_pem_key_rejected_as_hmac_secret():
    pem = public_key(serialization.Encoding.PEM)

    with pytest.raises(jwt.InvalidKeyError, match="asymmetric key"):
        jwt.encode({"sub": "alice"}, pem, algorithm=ALGORITHM)
    with pytest.raises(jose.JOSEError, match="asymmetric key"):
        jose_jwt.encode({"sub": "alice"}, pem, algorithm=ALGORITHM)


def test_der_public_key_as_hmac_secret():
    der = public_key(serialization.Encoding.DER)

    with pytest.raises(jwt.InvalidKeyError, match="asymmetric key"):
        jwt.encode({"sub": "alice"}, der, algorithm=ALGORITHM)
    assert jose_jwt.encode({"sub": "alice"}, der, algorithm=ALGORITHM).count(".") == 2, "python-jose refused the DER key"


def test_pyjwt_rejects_jwk_json_as_hmac_secret():
    jwk_text = json.dumps({"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"})

    with pytest.raises(jwt.InvalidKeyError, match="looks like a JWK"):
        jwt.encode({"sub": "alice"}, jwk_text, algorithm=ALGORITHM)


def test_pyjwt_issuer_needs_exact_match():
    token = encode({"sub": "alice", "iss": "acme"})

    with pytest.raises(jwt.InvalidIssuerError):
        jwt.decode(token, KEY, algorithms=[ALGORITHM], issuer="acme.example")
    assert jwt.decode(token, KEY, algorithms=[ALGORITHM], issuer="acme")["iss"] == "acme"


def test_jose_limits_jwe_to_250_kib():
    assert jose.constants.JWE_SIZE_LIMIT == 250 * 1024, jose.constants.JWE_SIZE_LIMIT

    with pytest.raises(jose.exceptions.JWEError, match="exceeds"):
        jose.jwe.decrypt("a" * (250 * 1024 + 1), b"k" * 32)


def test_other_jwt_and_jose_distributions_absent():
    # NOTE: the notebook's statement that PyPI's distributions named jwt and jose are other projects
    # is not executed here, because installing them would change the course environment. This test
    # only checks that neither is installed, so `import jwt` and `import jose` resolve as taught.
    for name in ("jwt", "jose"):
        with pytest.raises(importlib.metadata.PackageNotFoundError):
            importlib.metadata.distribution(name)
    assert Path(jwt.__file__).parent.name == "jwt"
