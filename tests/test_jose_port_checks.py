"""Notebook 05's checks: correct ports pass, and each typical porting mistake fails with its own message."""

from datetime import datetime, timedelta, timezone

import jwt
import pytest
from jose import JWTError
from jose import jwt as jose_jwt

import reference_jose_port as reference
from autograder import jose_port_checks as checks
from autograder import learner_calls

KEY = reference.SECRET_KEY
ALGORITHM = reference.ALGORITHM
LEEWAY = reference.LEEWAY_SECONDS
DEFAULT = timedelta(minutes=15)


class NotebookAccessTokenError(Exception):
    """The course error as a learner's notebook defines it: a class of its own, not the reference's."""


def lifetime(expires_delta):
    return DEFAULT if expires_delta is None else expires_delta


# Learner ports of create_access_token: each name is the mistake it makes.
def create_mutates_data(data, expires_delta=None):
    data["exp"] = datetime.now(timezone.utc) + lifetime(expires_delta)
    return jwt.encode(data, KEY, algorithm=ALGORITHM)


def create_naive_now(data, expires_delta=None):
    return jwt.encode({**data, "exp": datetime.now() + lifetime(expires_delta)}, KEY, algorithm=ALGORITHM)


def create_jose_without_copy(data, expires_delta=None):
    data.update({"exp": datetime.now(timezone.utc) + lifetime(expires_delta)})
    return jose_jwt.encode(data, KEY, algorithm=ALGORITHM)


def create_stub(data, expires_delta=None):
    raise NotImplementedError()


# A correct alternative: a number of seconds in exp and claims merged into a new dict.
def create_numeric_exp(data, expires_delta=None):
    expires_at = datetime.now(timezone.utc).timestamp() + lifetime(expires_delta).total_seconds()
    return jwt.encode({**data, "exp": int(expires_at)}, KEY, algorithm=ALGORITHM)


# Learner ports of decode_access_token. Each raises the notebook's own error class.
def pyjwt_decode(token, **arguments):
    return jwt.decode(token, KEY, **arguments)


def decode_correct(token):
    try:
        claims = pyjwt_decode(token, algorithms=[ALGORITHM], leeway=LEEWAY, options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_catches_jose_error(token):
    try:
        claims = pyjwt_decode(token, algorithms=[ALGORITHM], leeway=LEEWAY, options={"require": ["exp", "sub"]})
    except JWTError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_without_algorithms(token):
    try:
        claims = pyjwt_decode(token, leeway=LEEWAY, options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError:
        raise NotebookAccessTokenError("invalid token")
    return claims["sub"]


def decode_leeway_in_options(token):
    try:
        claims = pyjwt_decode(token, algorithms=[ALGORITHM], options={"leeway": LEEWAY, "require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_returns_claims(token):
    try:
        return pyjwt_decode(token, algorithms=[ALGORITHM], leeway=LEEWAY, options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error


def decode_require_exp_jose_way(token):
    try:
        claims = pyjwt_decode(token, algorithms=[ALGORITHM], leeway=LEEWAY, options={"require_exp": True, "require_sub": True})
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_header_algorithm(token):
    try:
        algorithm = jwt.get_unverified_header(token)["alg"]
        claims = pyjwt_decode(token, algorithms=[algorithm], leeway=LEEWAY, options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_large_leeway(token):
    try:
        claims = pyjwt_decode(token, algorithms=[ALGORITHM], leeway=timedelta(minutes=LEEWAY), options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error
    return claims["sub"]


def decode_other_error_class(token):
    try:
        claims = pyjwt_decode(token, algorithms=[ALGORITHM], leeway=LEEWAY, options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise ValueError(str(error)) from error
    return claims["sub"]


def decode_still_jose(token):
    try:
        return reference.decode_access_token_jose(token)
    except reference.AccessTokenError as error:
        raise NotebookAccessTokenError(str(error)) from error


def decode_stub(token):
    raise NotImplementedError()


def decode_loops(token):
    while True:
        pass


PART_A_CHECKS = [
    checks.check_port_signs_with_pyjwt,
    checks.check_port_decodes_with_both,
    checks.check_port_expiry,
    checks.check_port_leaves_data,
]
PART_B_CHECKS = [
    checks.check_decode_valid_tokens,
    checks.check_decode_expired_tokens,
    checks.check_decode_tampered_tokens,
    checks.check_decode_algorithms,
    checks.check_decode_leeway,
    checks.check_decode_required_claims,
]


@pytest.fixture(autouse=True)
def short_time_limit(monkeypatch):
    monkeypatch.setattr(learner_calls, "CALL_TIME_LIMIT_SECONDS", 0.5)


def short_name(check) -> str:
    return check.__name__.removeprefix("check_port_").removeprefix("check_decode_")


def check_id(value) -> str:
    return short_name(value) if callable(value) else ""


@pytest.mark.parametrize("create", [reference.create_access_token, create_numeric_exp], ids=lambda f: f.__name__)
@pytest.mark.parametrize("check", PART_A_CHECKS, ids=short_name)
def test_port_check_passes_correct(check, create):
    check(create)


@pytest.mark.parametrize(
    ("decode", "error_class"),
    [(reference.decode_access_token, reference.AccessTokenError), (decode_correct, NotebookAccessTokenError)],
    ids=["reference", "notebook-error-class"],
)
@pytest.mark.parametrize("check", PART_B_CHECKS, ids=short_name)
def test_decode_check_passes_correct(check, decode, error_class):
    check(decode, error_class)


@pytest.mark.parametrize(
    ("create", "failing_checks", "message"),
    [
        (reference.create_access_token_jose, ["signs_with_pyjwt"], "still calls python-jose (jose.jws.sign)"),
        (create_mutates_data, ["leaves_data"], "create_access_token changed its input"),
        (create_naive_now, ["expiry"], "which is what a naive datetime.now() does"),
        (create_stub, ["signs_with_pyjwt", "decodes_with_both", "expiry", "leaves_data"], "replace `raise NotImplementedError()`"),
    ],
    ids=lambda value: getattr(value, "__name__", "") if callable(value) else "",
)
def test_port_checks_name_mistake(create, failing_checks, message):
    for check in PART_A_CHECKS:
        if short_name(check) not in failing_checks:
            check(create)
            continue
        with pytest.raises(AssertionError) as failure:
            check(create)
        assert message in str(failure.value), f"{check.__name__}: {failure.value}"


def test_jose_without_copy_names_both_mistakes():
    with pytest.raises(AssertionError, match="still calls python-jose"):
        checks.check_port_signs_with_pyjwt(create_jose_without_copy)
    with pytest.raises(AssertionError, match="create_access_token changed its input"):
        checks.check_port_leaves_data(create_jose_without_copy)


@pytest.mark.parametrize(
    ("decode", "failing_checks", "message"),
    [
        (decode_catches_jose_error, ["expired_tokens", "tampered_tokens", "algorithms", "leeway", "required_claims"], "jose.JWTError does not catch PyJWT's exceptions"),
        (decode_without_algorithms, ["valid_tokens", "leeway"], "PyJWT's decode needs algorithms=[ALGORITHM]"),
        (decode_leeway_in_options, ["leeway"], "options={'leeway': ...} is python-jose's spelling"),
        (decode_returns_claims, ["valid_tokens", "leeway"], "return claims['sub'], not the whole claims dict"),
        (decode_require_exp_jose_way, ["required_claims"], "options={'require_exp': True} is python-jose's spelling"),
        (decode_header_algorithm, ["algorithms"], "never take it from the token's header"),
        (decode_large_leeway, ["expired_tokens", "leeway"], "leeway"),
        (decode_other_error_class, ["expired_tokens", "tampered_tokens", "algorithms", "leeway", "required_claims"], "Raise AccessTokenError for every token you reject"),
        (decode_still_jose, ["valid_tokens", "algorithms", "required_claims"], "python-jose"),
        (decode_stub, [short_name(check) for check in PART_B_CHECKS], "replace `raise NotImplementedError()`"),
        (decode_loops, [short_name(check) for check in PART_B_CHECKS], "did not return within 0.5 s"),
    ],
    ids=lambda value: getattr(value, "__name__", "") if callable(value) else "",
)
def test_decode_checks_name_mistake(decode, failing_checks, message):
    for check in PART_B_CHECKS:
        if short_name(check) not in failing_checks:
            check(decode, NotebookAccessTokenError)
            continue
        with pytest.raises(AssertionError) as failure:
            check(decode, NotebookAccessTokenError)
        assert message in str(failure.value), f"{check.__name__}: {failure.value}"


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (checks.check_decode_valid_tokens, "still calls python-jose (jose.jws.verify)"),
        (checks.check_decode_algorithms, "a PyJWT token signed with HS512 and the course key"),
        (checks.check_decode_required_claims, "iat is 1 h in the future"),
    ],
    ids=check_id,
)
def test_still_jose_decode_messages(check, message):
    with pytest.raises(AssertionError) as failure:
        check(decode_still_jose, NotebookAccessTokenError)
    assert message in str(failure.value)


@pytest.mark.parametrize(
    ("check", "message"),
    [
        (checks.check_decode_expired_tokens, "expired 60 s ago"),
        (checks.check_decode_leeway, "pass leeway=LEEWAY_SECONDS, not a larger value"),
    ],
    ids=check_id,
)
def test_large_leeway_messages(check, message):
    with pytest.raises(AssertionError) as failure:
        check(decode_large_leeway, NotebookAccessTokenError)
    assert message in str(failure.value)


def test_port_and_jose_module_differences():
    # The python-jose module passes no algorithms and lets a future iat pass, so only the port rejects those tokens.
    differences = {}
    for build in (checks.valid_cases, checks.expired_cases, checks.tampered_cases, checks.leeway_cases, checks.claim_cases, checks.algorithm_cases):
        for case in build():
            if "alg 'none'" in case.description:
                continue
            outcomes = []
            for decode in (reference.decode_access_token_jose, reference.decode_access_token):
                try:
                    outcomes.append(decode(case.token))
                except reference.AccessTokenError:
                    outcomes.append("rejected")
            if outcomes[0] != outcomes[1]:
                differences[case.description] = outcomes
    assert set(differences) == {
        "a PyJWT token signed with HS512 and the course key",
        "a PyJWT token signed with HS384 and the course key",
        "a python-jose token signed with HS512 and the course key",
        "a python-jose token signed with HS384 and the course key",
        "a PyJWT token whose iat is 1 h in the future",
    }, differences
    assert all(outcome == ["alice", "rejected"] for outcome in differences.values()), differences


def test_reference_port_table_outcomes():
    accepted = {case.description for build in (checks.valid_cases, checks.leeway_cases) for case in build() if reference_accepts(case.token)}
    assert accepted == {
        "a valid PyJWT token for 'alice'",
        "a valid python-jose token for 'bob' with a scope claim",
        "a valid PyJWT token for 'zoë' with nested claims",
        "a PyJWT token that expired 3 s ago",
        "a python-jose token that expired 3 s ago",
    }
    for build in (checks.expired_cases, checks.tampered_cases, checks.algorithm_cases, checks.claim_cases):
        for case in build():
            assert not reference_accepts(case.token), f"the reference accepted {case.description}"


def reference_accepts(token: str) -> bool:
    try:
        reference.decode_access_token(token)
    except reference.AccessTokenError:
        return False
    return True


def test_python_jose_spy_restores_functions():
    import jose.jws

    sign, verify = jose.jws.sign, jose.jws.verify
    with checks.watch_python_jose() as spies:
        jose_jwt.decode(jose_jwt.encode({"sub": "alice"}, KEY), KEY, algorithms=[ALGORITHM])
    assert all(spy.called for spy in spies.values()), "the spies did not see python-jose's encode and decode"
    assert (jose.jws.sign, jose.jws.verify) == (sign, verify), "python-jose's functions were not restored"
