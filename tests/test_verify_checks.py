"""Notebook 04's grading checks: correct versions pass, and each typical mistake fails with its own message."""

import jwt
import pytest
from jose import jwt as jose_jwt

import reference_verify as reference
from autograder import learner_calls, verify_checks

KEY = reference.SECRET_KEY
ALGORITHM = reference.ALGORITHM
REQUIRED = {"require": ["exp", "sub"]}
AccessTokenError = reference.AccessTokenError


class NotebookAccessTokenError(Exception):
    """The AccessTokenError a notebook's setup cell defines: a class of its own, not the reference's."""


# Learner versions of decode_access_token. Each raises the notebook's class, as a learner's would.
def decode_correct(token):
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options=REQUIRED)
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_expired_message_first(token):
    try:
        claims = jwt.decode(token, KEY.encode(), algorithms=["HS256"], options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError:
        raise NotebookAccessTokenError("the token has expired") from None
    except jwt.PyJWTError as error:
        raise NotebookAccessTokenError(f"invalid token: {error}") from None
    return claims["sub"]


def decode_no_algorithms(token):
    try:
        claims = jwt.decode(token, KEY, options=REQUIRED)
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_header_algorithm(token):
    try:
        algorithm = jwt.get_unverified_header(token)["alg"]
        claims = jwt.decode(token, KEY, algorithms=[algorithm], options=REQUIRED)
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_two_algorithms(token):
    try:
        claims = jwt.decode(token, KEY, algorithms=["HS256", "HS384", "HS512"], options=REQUIRED)
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_verify_signature_off(token):
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"verify_signature": False, **REQUIRED})
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_exp_not_required(token):
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require": ["sub"]})
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_sub_not_required(token):
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_sub_with_get(token):
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require": ["exp"]})
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims.get("sub")


def decode_catches_only_expired(token):
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options=REQUIRED)
    except jwt.ExpiredSignatureError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_returns_claims(token):
    try:
        return jwt.decode(token, KEY, algorithms=[ALGORITHM], options=REQUIRED)
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error


def decode_catches_everything(token):
    try:
        return jwt.decode(token, KEY, algorithms=[ALGORITHM], options=REQUIRED)["sub"]
    except Exception as error:
        raise NotebookAccessTokenError(str(error)) from error


def decode_with_leeway(token):
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options=REQUIRED, leeway=30)
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_requires_iat(token):
    try:
        claims = jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "iat"]})
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_python_jose(token):
    # python-jose still accepts a token during its exp second.
    try:
        claims = jose_jwt.decode(token, KEY, algorithms=[ALGORITHM], options={"require_exp": True, "require_sub": True})
    except jose_jwt.JWTError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_always_rejects(token):
    raise NotebookAccessTokenError("no token is good enough")


def decode_stub(token):
    raise NotImplementedError()


def decode_loops(token):
    while True:
        pass


# Learner versions of bearer_token.
def bearer_correct(authorization):
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotebookAccessTokenError(f"not a Bearer header: {authorization!r}")
    return token.strip()


def bearer_split_whitespace(authorization):
    parts = authorization.split(maxsplit=1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise NotebookAccessTokenError(f"not a Bearer header: {authorization!r}")
    return parts[1].strip()


def bearer_replace(authorization):
    return authorization.replace("Bearer ", "")


def bearer_split_index(authorization):
    return authorization.split(" ")[1]


def bearer_strip_characters(authorization):
    if not authorization.lower().startswith("bearer "):
        raise NotebookAccessTokenError("not a Bearer header")
    return authorization.strip("Bearer ")


def bearer_case_sensitive(authorization):
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise NotebookAccessTokenError("not a Bearer header")
    return token.strip()


def bearer_keeps_spaces(authorization):
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotebookAccessTokenError("not a Bearer header")
    return token


def bearer_accepts_empty(authorization):
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        raise NotebookAccessTokenError("not a Bearer header")
    return token.strip()


def bearer_always_rejects(authorization):
    raise NotebookAccessTokenError("no header is good enough")


DECODE_CHECKS = [
    verify_checks.check_decode_valid_tokens,
    verify_checks.check_decode_expired_tokens,
    verify_checks.check_decode_forged_tokens,
    verify_checks.check_decode_other_algorithms,
    verify_checks.check_decode_malformed_tokens,
    verify_checks.check_decode_required_claims,
    verify_checks.check_decode_lets_other_errors_through,
]
BEARER_CHECKS = [
    verify_checks.check_bearer_token_valid_headers,
    verify_checks.check_bearer_token_other_schemes,
    verify_checks.check_bearer_token_missing_token,
]


def check_name(check) -> str:
    return check.__name__.removeprefix("check_decode_").removeprefix("check_bearer_token_")


@pytest.fixture(autouse=True)
def short_time_limit(monkeypatch):
    monkeypatch.setattr(learner_calls, "CALL_TIME_LIMIT_SECONDS", 0.5)


@pytest.mark.parametrize("check", DECODE_CHECKS, ids=check_name)
def test_decode_check_passes_reference(check):
    check(reference.decode_access_token, reference.AccessTokenError)


@pytest.mark.parametrize("decode", [decode_correct, decode_expired_message_first], ids=lambda function: function.__name__)
@pytest.mark.parametrize("check", DECODE_CHECKS, ids=check_name)
def test_decode_check_passes_correct(check, decode):
    check(decode, NotebookAccessTokenError)


def test_decode_checks_expect_notebook_error_class():
    # The reference raises its own AccessTokenError, which is not the notebook's class.
    with pytest.raises(AssertionError, match="expected AccessTokenError, got AccessTokenError"):
        verify_checks.check_decode_expired_tokens(reference.decode_access_token, NotebookAccessTokenError)


@pytest.mark.parametrize(
    ("decode", "failing_checks", "message"),
    [
        (decode_no_algorithms, ["valid_tokens", "expired_tokens", "forged_tokens", "other_algorithms", "malformed_tokens", "required_claims"], "Pass algorithms=[ALGORITHM]"),
        (decode_header_algorithm, ["other_algorithms"], "never from the token's header"),
        (decode_two_algorithms, ["other_algorithms"], "never from the token's header"),
        (decode_verify_signature_off, ["expired_tokens", "forged_tokens", "other_algorithms", "required_claims"], "verify_signature"),
        (decode_exp_not_required, ["required_claims"], "PyJWT accepts a token without exp"),
        (decode_sub_not_required, ["required_claims"], "A token without sub names no user"),
        (decode_sub_with_get, ["required_claims"], "A token without sub names no user"),
        (decode_catches_only_expired, ["forged_tokens", "other_algorithms", "malformed_tokens", "required_claims"], "Catch jwt.InvalidTokenError"),
        (decode_returns_claims, ["valid_tokens"], "return only the subject"),
        (decode_catches_everything, ["lets_other_errors_through"], "`except Exception`"),
        (decode_with_leeway, ["expired_tokens"], "from its exp second on"),
        (decode_requires_iat, ["valid_tokens", "expired_tokens", "forged_tokens", "other_algorithms", "malformed_tokens", "required_claims"], "exp and sub only"),
        (decode_python_jose, ["expired_tokens", "lets_other_errors_through"], None),
        (decode_always_rejects, ["valid_tokens", "expired_tokens", "forged_tokens", "other_algorithms", "malformed_tokens", "required_claims", "lets_other_errors_through"], None),
        (decode_stub, [check_name(check) for check in DECODE_CHECKS], "replace `raise NotImplementedError()`"),
        (decode_loops, [check_name(check) for check in DECODE_CHECKS], "did not return within 0.5 s"),
    ],
    ids=lambda value: getattr(value, "__name__", "") if callable(value) else "",
)
def test_decode_checks_name_mistake(decode, failing_checks, message):
    for check in DECODE_CHECKS:
        if check_name(check) not in failing_checks:
            check(decode, NotebookAccessTokenError)
            continue
        with pytest.raises(AssertionError) as failure:
            check(decode, NotebookAccessTokenError)
        if message is not None:
            assert message in str(failure.value), f"{check.__name__}: {failure.value}"


@pytest.mark.parametrize(
    ("decode", "check", "message"),
    [
        (decode_verify_signature_off, verify_checks.check_decode_forged_tokens, "payload was changed to sub 'admin'"),
        (decode_verify_signature_off, verify_checks.check_decode_other_algorithms, "The signature was not checked"),
        (decode_header_algorithm, verify_checks.check_decode_other_algorithms, "signed with the course key and HS512"),
        (decode_catches_only_expired, verify_checks.check_decode_forged_tokens, "got InvalidSignatureError"),
        (decode_catches_only_expired, verify_checks.check_decode_malformed_tokens, "got DecodeError"),
        (decode_catches_only_expired, verify_checks.check_decode_other_algorithms, "got InvalidAlgorithmError"),
        (decode_sub_not_required, verify_checks.check_decode_required_claims, "got KeyError"),
        (decode_sub_with_get, verify_checks.check_decode_required_claims, "got the return value None"),
        (decode_with_leeway, verify_checks.check_decode_expired_tokens, "whose exp is this second"),
        (decode_python_jose, verify_checks.check_decode_expired_tokens, "whose exp is this second"),
        (decode_python_jose, verify_checks.check_decode_lets_other_errors_through, "returned without calling jwt.decode"),
        (decode_always_rejects, verify_checks.check_decode_forged_tokens, "rejects valid tokens too"),
        (decode_always_rejects, verify_checks.check_decode_lets_other_errors_through, "`except Exception`"),
        (decode_returns_claims, verify_checks.check_decode_valid_tokens, "got the dict {'sub': 'alice'"),
    ],
    ids=lambda value: getattr(value, "__name__", "") if callable(value) else "",
)
def test_decode_message_names_input(decode, check, message):
    with pytest.raises(AssertionError) as failure:
        check(decode, NotebookAccessTokenError)
    assert message in str(failure.value)


def test_decode_header_algorithm_none_token():
    # The alg 'none' token alone: PyJWT raises InvalidKeyError when "none" is an accepted algorithm and a key is given.
    token = jwt.encode({"sub": "admin", "exp": 2_000_000_000}, None, algorithm="none")
    value, error = verify_checks.call_and_capture(decode_header_algorithm, token)

    assert isinstance(error, jwt.InvalidKeyError), f"expected InvalidKeyError, got {value!r} {error!r}"
    case = verify_checks.TokenCase("an unsigned token with alg 'none'", token, verify_checks.VERIFY_OFF_HINT)
    assert verify_checks.explain_escape(case, error) == verify_checks.HEADER_ALGORITHM_HINT


def test_decode_checks_restore_jwt_decode():
    original = jwt.decode
    with pytest.raises(AssertionError):
        verify_checks.check_decode_lets_other_errors_through(decode_catches_everything, NotebookAccessTokenError)

    assert jwt.decode is original, "the check must put jwt.decode back"


@pytest.mark.parametrize("check", BEARER_CHECKS, ids=check_name)
@pytest.mark.parametrize("bearer", [bearer_correct, bearer_split_whitespace], ids=lambda function: function.__name__)
def test_bearer_check_passes_correct(check, bearer):
    check(bearer, NotebookAccessTokenError)


@pytest.mark.parametrize("check", BEARER_CHECKS, ids=check_name)
def test_bearer_check_passes_reference(check):
    check(reference.bearer_token, reference.AccessTokenError)


@pytest.mark.parametrize(
    ("bearer", "failing_checks", "message"),
    [
        (bearer_replace, ["valid_headers", "other_schemes", "missing_token"], "The scheme is case-insensitive"),
        (bearer_split_index, ["valid_headers", "other_schemes", "missing_token"], "Several spaces may separate"),
        (bearer_strip_characters, ["valid_headers", "missing_token"], "removes any of the characters B, e, a, r"),
        (bearer_case_sensitive, ["valid_headers"], "The scheme is case-insensitive"),
        (bearer_keeps_spaces, ["valid_headers", "missing_token"], "Several spaces may separate"),
        (bearer_accepts_empty, ["missing_token"], "must raise AccessTokenError, not return a blank token"),
        (bearer_always_rejects, ["valid_headers", "other_schemes", "missing_token"], None),
    ],
    ids=lambda value: getattr(value, "__name__", "") if callable(value) else "",
)
def test_bearer_checks_name_mistake(bearer, failing_checks, message):
    for check in BEARER_CHECKS:
        if check_name(check) not in failing_checks:
            check(bearer, NotebookAccessTokenError)
            continue
        with pytest.raises(AssertionError) as failure:
            check(bearer, NotebookAccessTokenError)
        if message is not None and check_name(check) == failing_checks[0]:
            assert message in str(failure.value), f"{check.__name__}: {failure.value}"


@pytest.mark.parametrize(
    ("bearer", "check", "message"),
    [
        (bearer_replace, verify_checks.check_bearer_token_other_schemes, "Only the Bearer scheme carries an access token"),
        (bearer_split_index, verify_checks.check_bearer_token_missing_token, "got IndexError"),
        (bearer_always_rejects, verify_checks.check_bearer_token_missing_token, "rejects valid headers too"),
    ],
    ids=lambda value: getattr(value, "__name__", "") if callable(value) else "",
)
def test_bearer_message_names_mistake(bearer, check, message):
    with pytest.raises(AssertionError) as failure:
        check(bearer, NotebookAccessTokenError)
    assert message in str(failure.value)
