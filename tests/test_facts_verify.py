"""Execute every fact that notebook 04 and its quiz entries state, on the pinned versions.

The notebook is solutions/04-verifying-tokens, and its quiz entries are in solutions/quiz_key.toml.
Versions: PyJWT 2.15.1, python-jose 3.5.0, FastAPI 0.163.2, time-machine 3.6.0, Python 3.11.
The exp-second rule, decode without algorithms and the HS512 and alg 'none' headers are
executed in tests/test_course_facts.py for notebook 02 and not repeated here.
"""

import base64
import json
import time
import warnings
from typing import Annotated

import jose
import jose.jwt
import jwt
import pytest
import time_machine
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import OAuth2PasswordBearer
from fastapi.testclient import TestClient

import reference_verify
from reference_verify import AccessTokenError

KEY = reference_verify.SECRET_KEY
ALGORITHM = reference_verify.ALGORITHM
OTHER_KEY = "someone-elses-key-of-at-least-32-bytes"
# A fixed expiry in 2030 keeps tokens valid while the tests run. Tests that need the clock freeze it.
LATER = 1_900_000_000
TOKEN_ERRORS = [
    jwt.DecodeError,
    jwt.InvalidSignatureError,
    jwt.ExpiredSignatureError,
    jwt.ImmatureSignatureError,
    jwt.InvalidAlgorithmError,
    jwt.MissingRequiredClaimError,
    jwt.exceptions.InvalidSubjectError,
]


def sign(claims: dict, key: str | None = KEY, algorithm: str = ALGORITHM) -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def decode(token: str, **options) -> dict:
    return jwt.decode(token, KEY, algorithms=[ALGORITHM], **options)


def tampered_token(subject: str = "admin", exp: int = LATER) -> str:
    """Return a token signed for 'alice' whose payload has sub `subject`, with the original signature kept."""
    header_part, _, signature_part = sign({"sub": "alice", "exp": exp}).split(".")
    forged_payload = sign({"sub": subject, "exp": exp}, "any-key-will-do-for-the-payload-part").split(".")[1]
    return f"{header_part}.{forged_payload}.{signature_part}"


def unsigned_token() -> str:
    return sign({"sub": "admin", "exp": LATER}, None, algorithm="none")


def frozen_at(seconds: int) -> time_machine.travel:
    return time_machine.travel(seconds, tick=False)


# ---------------------------------------------------------------------------
# The exception tree
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("error_class", TOKEN_ERRORS, ids=lambda error_class: error_class.__name__)
def test_token_error_base_class(error_class):
    assert issubclass(error_class, jwt.InvalidTokenError), f"{error_class.__name__} is not an InvalidTokenError"


def test_invalid_signature_is_decode_error():
    assert jwt.InvalidSignatureError.__mro__[1] is jwt.DecodeError, "InvalidSignatureError should derive from DecodeError"


def test_invalid_key_error_is_not_token_error():
    assert issubclass(jwt.InvalidKeyError, jwt.PyJWTError), "InvalidKeyError should be a PyJWTError"
    assert not issubclass(jwt.InvalidKeyError, jwt.InvalidTokenError), "InvalidKeyError should not be an InvalidTokenError"


def test_invalid_subject_error_only_in_exceptions():
    assert not hasattr(jwt, "InvalidSubjectError"), "PyJWT 2.15 should not export InvalidSubjectError from jwt"
    assert issubclass(jwt.exceptions.InvalidSubjectError, jwt.InvalidTokenError)


def test_invalid_token_error_under_pyjwt_error():
    assert jwt.InvalidTokenError.__mro__[1] is jwt.PyJWTError, "InvalidTokenError should derive from PyJWTError"


# ---------------------------------------------------------------------------
# What jwt.decode checks, and in which order
# ---------------------------------------------------------------------------


def test_valid_token_decodes_to_claims():
    claims = decode(sign({"sub": "alice", "exp": LATER}))

    assert claims == {"sub": "alice", "exp": LATER}, f"decode returned {claims}"


def test_payload_readable_without_key():
    payload_part = sign({"sub": "alice", "exp": LATER}).split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))

    assert claims == {"sub": "alice", "exp": LATER}, f"base64url decoding alone gave {claims}"


def test_leeway_accepts_recently_expired():
    now = int(time.time())
    token = sign({"sub": "alice", "exp": now - 5})

    with frozen_at(now):
        with pytest.raises(jwt.ExpiredSignatureError):
            decode(token)
        assert decode(token, leeway=10)["sub"] == "alice", "leeway=10 should accept a token 5 s past exp"
        with pytest.raises(jwt.ExpiredSignatureError):
            decode(token, leeway=4)


def test_tampered_payload_fails_signature():
    with pytest.raises(jwt.InvalidSignatureError, match="Signature verification failed"):
        decode(tampered_token())


def test_other_key_fails_signature():
    with pytest.raises(jwt.InvalidSignatureError):
        decode(sign({"sub": "alice", "exp": LATER}, OTHER_KEY))


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_course_key_other_algorithm_rejected(algorithm):
    token = sign({"sub": "alice", "exp": LATER}, algorithm=algorithm)

    assert jwt.get_unverified_header(token)["alg"] == algorithm, "the header should name the algorithm used"
    with pytest.raises(jwt.InvalidAlgorithmError):
        decode(token)


def test_algorithm_checked_before_signature():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        token = sign({"sub": "alice", "exp": LATER}, OTHER_KEY, algorithm="HS512")

    with pytest.raises(jwt.InvalidAlgorithmError):
        decode(token)


def test_signature_checked_before_claims():
    with pytest.raises(jwt.InvalidSignatureError):
        decode(tampered_token(exp=int(time.time()) - 3600))


def test_unsigned_token_has_empty_signature():
    token = unsigned_token()

    assert token.endswith("."), f"an alg 'none' token should end with an empty signature part: {token!r}"
    assert jwt.get_unverified_header(token)["alg"] == "none"


def test_none_in_algorithms_still_rejected():
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(unsigned_token(), None, algorithms=["none"])


@pytest.mark.parametrize("algorithms", [["none"], ["HS256", "none"]])
def test_none_with_key_raises_invalid_key(algorithms):
    with pytest.raises(jwt.InvalidKeyError, match='When alg = "none", key value must be None'):
        jwt.decode(unsigned_token(), KEY, algorithms=algorithms)


def test_verify_signature_off_accepts_unsigned():
    claims = jwt.decode(unsigned_token(), options={"verify_signature": False})

    assert claims == {"sub": "admin", "exp": LATER}, f"verification off decoded {claims}"


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "alice", "exp": 1_000_000_000},
        {"sub": "alice", "nbf": LATER, "exp": LATER + 900},
        {"sub": 42, "exp": LATER},
    ],
    ids=["expired", "future-nbf", "numeric-sub"],
)
def test_verify_signature_off_skips_claim_checks(claims):
    token = sign(claims)

    with pytest.raises(jwt.InvalidTokenError):
        decode(token)
    assert jwt.decode(token, options={"verify_signature": False}) == claims, "verification off should accept it"


@pytest.mark.parametrize(("token", "message"), [("not-a-token", "Not enough segments"), ("a.b.c", "Invalid header padding")])
def test_not_a_jwt_raises_decode_error(token, message):
    with pytest.raises(jwt.DecodeError, match=message):
        decode(token)


def test_whole_bearer_value_raises_decode_error():
    authorization = "Bearer " + sign({"sub": "alice", "exp": LATER})

    with pytest.raises(jwt.DecodeError, match="Invalid header padding"):
        decode(authorization)


def test_missing_exp_passes_by_default():
    token = sign({"sub": "alice"})

    assert decode(token) == {"sub": "alice"}, "a token without exp should decode by default"
    with pytest.raises(jwt.MissingRequiredClaimError, match='missing the "exp" claim'):
        decode(token, options={"require": ["exp", "sub"]})


def test_missing_sub_fails_require():
    with pytest.raises(jwt.MissingRequiredClaimError, match='missing the "sub" claim'):
        decode(sign({"exp": LATER}), options={"require": ["exp", "sub"]})


@pytest.mark.parametrize(("claim", "message"), [("nbf", r"not yet valid \(nbf\)"), ("iat", r"not yet valid \(iat\)")])
def test_future_nbf_or_iat_immature(claim, message):
    now = int(time.time())
    token = sign({"sub": "alice", claim: now + 3600, "exp": now + 7200})

    with pytest.raises(jwt.ImmatureSignatureError, match=message):
        decode(token)


def test_numeric_sub_encodes_but_fails():
    token = sign({"sub": 42, "exp": LATER})

    with pytest.raises(jwt.exceptions.InvalidSubjectError, match="Subject must be a string"):
        decode(token)


def test_missing_key_raises_type_error():
    token = sign({"sub": "alice", "exp": LATER})

    with pytest.raises(TypeError, match="Expected a string or bytes value") as raised:
        jwt.decode(token, None, algorithms=[ALGORITHM])
    assert not isinstance(raised.value, jwt.InvalidTokenError), "a missing key should not be a token error"


# ---------------------------------------------------------------------------
# The Authorization header
# ---------------------------------------------------------------------------


def test_partition_splits_at_first_space():
    scheme, _, rest = "bearer   abc.def.ghi".partition(" ")

    assert (scheme, rest) == ("bearer", "  abc.def.ghi"), f"partition gave {scheme!r} and {rest!r}"
    assert scheme.lower() == "bearer", f"{scheme!r} in lower case should be 'bearer'"
    assert rest.strip() == "abc.def.ghi", f"strip() left {rest.strip()!r}"


def test_strip_removes_characters_not_word():
    token = sign({"sub": "alice", "exp": LATER})

    assert token.startswith("eyJ"), f"a PyJWT token starts with the base64url of '{{\"': {token[:5]!r}"
    assert f"Bearer {token}".strip("Bearer ") == token[1:], "strip('Bearer ') should also remove the token's first 'e'"


def oauth2_app(decode_subject) -> FastAPI:
    """Return an app whose GET /users/me returns the subject that `decode_subject` finds in the token."""
    app = FastAPI()
    scheme = OAuth2PasswordBearer(tokenUrl="token")

    @app.get("/users/me")
    def read_me(token: Annotated[str, Depends(scheme)]) -> dict:
        return {"sub": decode_subject(token)}

    return app


def decode_or_401(token: str) -> str:
    try:
        return reference_verify.decode_access_token(token)
    except AccessTokenError:
        raise HTTPException(status_code=401, detail="Could not validate credentials", headers={"WWW-Authenticate": "Bearer"})


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_fastapi_scheme_case_insensitive(scheme):
    token = sign({"sub": "alice", "exp": LATER})
    client = TestClient(oauth2_app(decode_or_401))

    response = client.get("/users/me", headers={"Authorization": f"{scheme}   {token}"})
    assert response.status_code == 200, response.text
    assert response.json() == {"sub": "alice"}, response.text


def test_fastapi_other_scheme_401_bearer_challenge():
    client = TestClient(oauth2_app(decode_or_401))

    response = client.get("/users/me", headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer", response.headers


def test_fastapi_invalid_token_401():
    client = TestClient(oauth2_app(decode_or_401))

    response = client.get("/users/me", headers={"Authorization": f"Bearer {tampered_token()}"})
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer", response.headers


def decode_catching_only_expired(token: str) -> str:
    """The function of quiz question 5."""
    try:
        return jwt.decode(token, KEY, algorithms=[ALGORITHM])["sub"]
    except jwt.ExpiredSignatureError:
        raise AccessTokenError("the token has expired")


def test_escaped_token_error_is_500():
    client = TestClient(oauth2_app(decode_catching_only_expired), raise_server_exceptions=False)

    response = client.get("/users/me", headers={"Authorization": f"Bearer {tampered_token()}"})
    assert response.status_code == 500, response.text


# ---------------------------------------------------------------------------
# The quiz and python-jose
# ---------------------------------------------------------------------------


def test_quiz5_accepts_token_without_exp():
    assert decode_catching_only_expired(sign({"sub": "alice"})) == "alice", "a token without exp should pass"


@pytest.mark.parametrize(
    ("token", "error_class"),
    [(tampered_token(), jwt.InvalidSignatureError), (sign({"sub": "alice", "exp": LATER}, algorithm="HS512"), jwt.InvalidAlgorithmError)],
    ids=["tampered", "hs512"],
)
def test_quiz5_lets_other_errors_escape(token, error_class):
    with pytest.raises(error_class):
        decode_catching_only_expired(token)


def test_header_algorithm_accepts_hs512():
    # Answer a of quiz question 4: the algorithms list read from the token's header.
    token = sign({"sub": "admin", "exp": LATER}, algorithm="HS512")
    claims = jwt.decode(token, KEY, algorithms=[jwt.get_unverified_header(token)["alg"]])

    assert claims["sub"] == "admin", f"the header-chosen algorithm decoded {claims}"


def test_verify_signature_off_accepts_forged():
    # Answer b of quiz question 4.
    claims = jwt.decode(tampered_token(), KEY, algorithms=[ALGORITHM], options={"verify_signature": False})

    assert claims["sub"] == "admin", f"verification off decoded {claims}"


def test_jose_accepts_exp_second():
    exp = int(time.time()) + 60
    token = sign({"sub": "alice", "exp": exp})

    with frozen_at(exp):
        assert jose.jwt.decode(token, KEY, algorithms=[ALGORITHM])["sub"] == "alice", "python-jose rejected its exp second"
        with pytest.raises(jwt.ExpiredSignatureError):
            decode(token)


def test_jose_errors_unrelated_to_pyjwt():
    assert not issubclass(jose.JWTError, jwt.InvalidTokenError), "jose.JWTError should not be a PyJWT error"
    assert not issubclass(jose.exceptions.ExpiredSignatureError, jwt.InvalidTokenError)
    assert not issubclass(jwt.ExpiredSignatureError, jose.JWTError), "PyJWT errors should not be jose.JWTError"
