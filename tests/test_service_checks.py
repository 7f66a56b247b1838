"""Notebook 07's checks: the reference and correct alternatives pass, and each typical mistake fails with its own message."""

import os
import time
from datetime import datetime, timedelta, timezone

import jwt
import nbformat
import pytest
from jose import jwt as jose_jwt

import reference_service as reference
import reference_tokens
from autograder import learner_calls, service_checks
from conftest import source_notebook

ASSIGNMENT = "07-production-hardening"
ALGORITHM = reference.ALGORITHM
MIN_KEY_BYTES = reference.MIN_KEY_BYTES


@pytest.fixture(autouse=True)
def short_time_limit(monkeypatch):
    monkeypatch.setattr(learner_calls, "CALL_TIME_LIMIT_SECONDS", 0.5)


def checks_for(prefix: str) -> list:
    return [getattr(service_checks, name) for name in dir(service_checks) if name.startswith(f"check_{prefix}")]


READ_CHECKS = checks_for("read_secret_key")
LOAD_CHECKS = checks_for("load_signing_keys")
CREATE_CHECKS = checks_for("create_access_token")
DECODE_CHECKS = checks_for("decode_access_token")


def assert_fails_exactly(function, checks, failing: list[str], message: str) -> None:
    """Run every check: those named in `failing` must fail with `message`, the others must pass."""
    names = [check.__name__ for check in checks]
    unknown = [name for name in failing if f"check_{name}" not in names and name not in names]
    assert not unknown, f"no such checks: {unknown}"
    for check in checks:
        short_name = check.__name__.removeprefix("check_")
        if short_name not in failing:
            check(function)
            continue
        with pytest.raises(AssertionError) as failure:
            check(function)
        assert message in str(failure.value), f"{check.__name__}: {failure.value}"


# ---------------------------------------------------------------------------
# Learner versions of read_secret_key: each name is the mistake it makes.
# ---------------------------------------------------------------------------


def read_key_one_condition(environ, name):
    key = environ.get(name) or ""
    if len(key.encode()) < MIN_KEY_BYTES:
        raise ValueError(f"Set {name} to a random key of at least {MIN_KEY_BYTES} bytes.")
    return key


def read_key_item_access(environ, name):
    key = environ[name]
    if len(key.encode()) < MIN_KEY_BYTES:
        raise ValueError(f"{name} is too short")
    return key


def read_key_no_length_check(environ, name):
    key = environ.get(name)
    if not key:
        raise ValueError(f"{name} is not set")
    return key


def read_key_leaks_key(environ, name):
    key = environ.get(name)
    if not key:
        raise ValueError(f"{name} is not set")
    if len(key.encode()) < MIN_KEY_BYTES:
        raise ValueError(f"{name}={key!r} is too short")
    return key


def read_key_prints_key(environ, name):
    key = read_key_one_condition(environ, name)
    print(f"loaded {name}={key}")
    return key


def read_key_off_by_one(environ, name):
    key = environ.get(name) or ""
    if len(key.encode()) <= MIN_KEY_BYTES:
        raise ValueError(f"{name} is too short")
    return key


def read_key_unnamed_error(environ, name):
    key = environ.get(name) or ""
    if len(key.encode()) < MIN_KEY_BYTES:
        raise ValueError("the secret key is missing or too short")
    return key


def read_key_returns_none(environ, name):
    key = environ.get(name)
    if key is not None and len(key.encode()) < MIN_KEY_BYTES:
        raise ValueError(f"{name} is too short")
    return key


def read_key_fixed_name(environ, name):
    return read_key_one_condition(environ, "JWT_SECRET_KEY")


@pytest.mark.parametrize("read_secret_key", [reference.read_secret_key, read_key_one_condition])
@pytest.mark.parametrize("check", READ_CHECKS)
def test_read_checks_pass_correct(check, read_secret_key):
    check(read_secret_key)


@pytest.mark.parametrize(
    ("read_secret_key", "failing", "message"),
    [
        (read_key_item_access, ["read_secret_key_missing"], "environ[name] raises KeyError"),
        (read_key_no_length_check, ["read_secret_key_short"], "It accepted a 7-byte key"),
        (read_key_leaks_key, ["read_secret_key_short"], "the ValueError message contains the key itself"),
        (read_key_prints_key, ["read_secret_key_valid"], "the key appeared in the output"),
        (read_key_off_by_one, ["read_secret_key_valid"], "32 bytes is enough"),
        (read_key_unnamed_error, ["read_secret_key_missing", "read_secret_key_short"], "The message must name JWT_SECRET_KEY"),
        (read_key_returns_none, ["read_secret_key_missing"], "got the return value None"),
        (read_key_fixed_name, ["read_secret_key_valid", "read_secret_key_missing", "read_secret_key_short"], "JWT_PREVIOUS_SECRET_KEY"),
    ],
    ids=lambda value: getattr(value, "__name__", "") if callable(value) else "",
)
def test_read_checks_name_mistake(read_secret_key, failing, message):
    assert_fails_exactly(read_secret_key, READ_CHECKS, failing, message)


def test_fixed_name_reported_as_another_variable():
    with pytest.raises(AssertionError, match="returned the value of another variable"):
        service_checks.check_read_secret_key_valid(read_key_fixed_name)


# ---------------------------------------------------------------------------
# Learner versions of load_signing_keys.
# ---------------------------------------------------------------------------


def load_keys_local_offset(environ):
    """Correct: keeps the offset of JWT_ROTATED_AT instead of converting to UTC, and checks each group inline."""
    kid = environ.get("JWT_KID")
    if not kid:
        raise ValueError("JWT_KID is missing")
    secret_keys = {kid: reference.read_secret_key(environ, "JWT_SECRET_KEY")}
    retire_at = {}
    if environ.get("JWT_PREVIOUS_KID"):
        secret_keys[environ["JWT_PREVIOUS_KID"]] = reference.read_secret_key(environ, "JWT_PREVIOUS_SECRET_KEY")
        try:
            rotated_at = datetime.fromisoformat(environ.get("JWT_ROTATED_AT", ""))
        except ValueError:
            raise ValueError("JWT_ROTATED_AT must be an ISO 8601 time with a UTC offset") from None
        if rotated_at.tzinfo is None:
            raise ValueError("JWT_ROTATED_AT must be an ISO 8601 time with a UTC offset")
        retire_at[environ["JWT_PREVIOUS_KID"]] = rotated_at + timedelta(minutes=15)
    return reference.SigningKeys(kid, secret_keys, retire_at)


def load_keys_with(read_secret_key=reference.read_secret_key, make_retire_at=None):
    """Return a load_signing_keys that reads keys with `read_secret_key` and computes retire_at with `make_retire_at(text)`."""

    def load_signing_keys(environ):
        kid = reference.read_variable(environ, "JWT_KID")
        secret_keys = {kid: read_secret_key(environ, "JWT_SECRET_KEY")}
        retire_at = {}
        previous_kid = environ.get("JWT_PREVIOUS_KID")
        if previous_kid:
            secret_keys[previous_kid] = read_secret_key(environ, "JWT_PREVIOUS_SECRET_KEY")
            if make_retire_at is None:
                retire_at[previous_kid] = reference.read_rotation_time(environ) + reference.ACCESS_TOKEN_EXPIRE
            else:
                retire_at[previous_kid] = make_retire_at(reference.read_variable(environ, "JWT_ROTATED_AT"))
        return reference.SigningKeys(kid, secret_keys, retire_at)

    return load_signing_keys


def retire_at_with_unnamed_iso_error(text):
    rotated_at = datetime.fromisoformat(text)
    if rotated_at.tzinfo is None:
        raise ValueError("JWT_ROTATED_AT has no UTC offset")
    return rotated_at + reference.ACCESS_TOKEN_EXPIRE


load_keys_no_lifetime = load_keys_with(make_retire_at=lambda text: reference.read_rotation_time({"JWT_ROTATED_AT": text}))
load_keys_drops_offset = load_keys_with(
    make_retire_at=lambda text: datetime.fromisoformat(text).replace(tzinfo=timezone.utc) + reference.ACCESS_TOKEN_EXPIRE
)
load_keys_accepts_naive = load_keys_with(
    make_retire_at=lambda text: datetime.fromisoformat(text).astimezone() + reference.ACCESS_TOKEN_EXPIRE
)
load_keys_naive_retire_at = load_keys_with(
    make_retire_at=lambda text: reference.read_rotation_time({"JWT_ROTATED_AT": text}).replace(tzinfo=None)
    + reference.ACCESS_TOKEN_EXPIRE
)
load_keys_uncaught_iso_error = load_keys_with(make_retire_at=retire_at_with_unnamed_iso_error)
load_keys_short_keys = load_keys_with(read_secret_key=read_key_no_length_check)
load_keys_leaking_key = load_keys_with(read_secret_key=read_key_leaks_key)


def load_keys_previous_becomes_current(environ):
    keys = reference.load_signing_keys(environ)
    current_kid = environ.get("JWT_PREVIOUS_KID") or keys.current_kid
    return reference.SigningKeys(current_kid, keys.secret_keys, keys.retire_at)


def load_keys_current_retires(environ):
    keys = reference.load_signing_keys(environ)
    retire_at = {keys.current_kid: datetime(2099, 1, 1, tzinfo=timezone.utc), **keys.retire_at}
    return reference.SigningKeys(keys.current_kid, keys.secret_keys, retire_at)


def load_keys_as_dict(environ):
    keys = reference.load_signing_keys(environ)
    return {"current_kid": keys.current_kid, "secret_keys": keys.secret_keys, "retire_at": keys.retire_at}


@pytest.mark.parametrize("load_signing_keys", [reference.load_signing_keys, load_keys_local_offset])
@pytest.mark.parametrize("check", LOAD_CHECKS)
def test_load_checks_pass_correct(check, load_signing_keys):
    check(load_signing_keys)


@pytest.mark.parametrize(
    ("load_signing_keys", "failing", "message"),
    [
        (load_keys_no_lifetime, ["load_signing_keys_previous"], "That is the rotation time itself"),
        (load_keys_drops_offset, ["load_signing_keys_previous", "load_signing_keys_rejects"], "JWT_ROTATED_AT"),
        (load_keys_accepts_naive, ["load_signing_keys_rejects"], "without the offset nobody knows when the key retires"),
        (load_keys_naive_retire_at, ["load_signing_keys_previous"], "That is a naive datetime"),
        (load_keys_uncaught_iso_error, ["load_signing_keys_rejects"], "datetime.fromisoformat's own ValueError"),
        (load_keys_previous_becomes_current, ["load_signing_keys_previous"], "JWT_KID names the key that signs"),
        (load_keys_current_retires, ["load_signing_keys_current", "load_signing_keys_previous"], "retire_at"),
        (load_keys_short_keys, ["load_signing_keys_rejects"], "It accepted a 7-byte key"),
        (load_keys_leaking_key, ["load_signing_keys_rejects"], "the ValueError message contains the key itself"),
        (load_keys_as_dict, ["load_signing_keys_current", "load_signing_keys_previous"], "expected SigningKeys(current_kid, secret_keys, retire_at)"),
    ],
    ids=lambda value: getattr(value, "__name__", "") if callable(value) else "",
)
def test_load_checks_name_mistake(load_signing_keys, failing, message):
    assert_fails_exactly(load_signing_keys, LOAD_CHECKS, failing, message)


def test_dropped_offset_named():
    with pytest.raises(AssertionError, match="was dropped"):
        service_checks.check_load_signing_keys_previous(load_keys_drops_offset)


def test_current_key_retiring_named():
    with pytest.raises(AssertionError, match="The current key never retires"):
        service_checks.check_load_signing_keys_current(load_keys_current_retires)


# ---------------------------------------------------------------------------
# Learner versions of create_access_token.
# ---------------------------------------------------------------------------


def lifetime(expires_delta):
    return reference.ACCESS_TOKEN_EXPIRE if expires_delta is None else expires_delta


def claims_with_exp(data, expires_delta):
    return {**data, "exp": datetime.now(timezone.utc) + lifetime(expires_delta)}


def create_with_python_jose(data, keys, expires_delta=None):
    claims = {**data, "exp": int(time.time() + lifetime(expires_delta).total_seconds())}
    key = keys.secret_keys[keys.current_kid]
    return jose_jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": keys.current_kid})


def create_without_kid(data, keys, expires_delta=None):
    return jwt.encode(claims_with_exp(data, expires_delta), keys.secret_keys[keys.current_kid], algorithm=ALGORITHM)


def create_with_first_key(data, keys, expires_delta=None):
    key = next(iter(keys.secret_keys.values()))
    return jwt.encode(claims_with_exp(data, expires_delta), key, algorithm=ALGORITHM, headers={"kid": keys.current_kid})


def create_with_course_key(data, keys, expires_delta=None):
    claims = claims_with_exp(data, expires_delta)
    return jwt.encode(claims, reference_tokens.SECRET_KEY, algorithm=ALGORITHM, headers={"kid": keys.current_kid})


def create_with_fixed_kid(data, keys, expires_delta=None):
    return jwt.encode(claims_with_exp(data, expires_delta), keys.secret_keys[keys.current_kid], algorithm=ALGORITHM, headers={"kid": "2026-12"})


def create_with_naive_now(data, keys, expires_delta=None):
    claims = {**data, "exp": datetime.now() + lifetime(expires_delta)}
    return jwt.encode(claims, keys.secret_keys[keys.current_kid], algorithm=ALGORITHM, headers={"kid": keys.current_kid})


def create_mutating_data(data, keys, expires_delta=None):
    data["exp"] = datetime.now(timezone.utc) + lifetime(expires_delta)
    return jwt.encode(data, keys.secret_keys[keys.current_kid], algorithm=ALGORITHM, headers={"kid": keys.current_kid})


@pytest.mark.parametrize("create_access_token", [reference.create_access_token, create_with_python_jose])
@pytest.mark.parametrize("check", CREATE_CHECKS)
def test_create_checks_pass_correct(check, create_access_token):
    check(create_access_token)


@pytest.mark.parametrize(
    ("create_access_token", "failing", "message"),
    [
        (create_without_kid, ["create_access_token_kid", "create_access_token_expiry"], "the token's header has no kid"),
        (create_with_first_key, ["create_access_token_kid", "create_access_token_expiry"], "It was signed with the key of kid '2026-11'"),
        (create_with_course_key, ["create_access_token_kid", "create_access_token_expiry"], "It was signed with the course SECRET_KEY"),
        (create_with_fixed_kid, ["create_access_token_kid"], "expected header kid '2027-01', got '2026-12'"),
        (create_with_naive_now, ["create_access_token_expiry"], "which is what a naive datetime.now() does"),
        (create_mutating_data, ["create_access_token_kid"], "changed its input"),
    ],
    ids=lambda value: getattr(value, "__name__", "") if callable(value) else "",
)
def test_create_checks_name_mistake(create_access_token, failing, message):
    assert_fails_exactly(create_access_token, CREATE_CHECKS, failing, message)


# ---------------------------------------------------------------------------
# Learner versions of decode_access_token.
# ---------------------------------------------------------------------------


def decode_with_key(token, key):
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError as error:
        raise reference.AccessTokenError(str(error)) from error
    return claims["sub"]


def read_kid(token):
    try:
        return jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError as error:
        raise reference.AccessTokenError(str(error)) from error


def decode_with_posix_time(token, keys):
    """Correct: compares POSIX seconds and reads the kid inside one try block."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = keys.secret_keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise reference.AccessTokenError("unknown key")
        retire_at = keys.retire_at.get(kid)
        if retire_at is not None and time.time() >= retire_at.timestamp():
            raise reference.AccessTokenError("retired key")
        return jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})["sub"]
    except jwt.InvalidTokenError as error:
        raise reference.AccessTokenError(str(error)) from error


def decode_with_current_key_only(token, keys):
    return decode_with_key(token, keys.secret_keys[keys.current_kid])


def decode_with_item_access(token, keys):
    try:
        kid = jwt.get_unverified_header(token)["kid"]
    except jwt.InvalidTokenError as error:
        raise reference.AccessTokenError(str(error)) from error
    if kid in keys.retire_at and datetime.now(timezone.utc) >= keys.retire_at[kid]:
        raise reference.AccessTokenError("retired")
    return decode_with_key(token, keys.secret_keys[kid])


def decode_ignoring_retirement(token, keys):
    kid = read_kid(token)
    key = keys.secret_keys.get(kid)
    if key is None:
        raise reference.AccessTokenError("unknown kid")
    return decode_with_key(token, key)


def decode_with_naive_clock(token, keys):
    kid = read_kid(token)
    key = keys.secret_keys.get(kid)
    if key is None:
        raise reference.AccessTokenError("unknown kid")
    retire_at = keys.retire_at.get(kid)
    if retire_at is not None and datetime.now() >= retire_at.replace(tzinfo=None):
        raise reference.AccessTokenError("retired")
    return decode_with_key(token, key)


def decode_comparing_naive_with_aware(token, keys):
    kid = read_kid(token)
    key = keys.secret_keys.get(kid)
    if key is None:
        raise reference.AccessTokenError("unknown kid")
    if kid in keys.retire_at and datetime.now() >= keys.retire_at[kid]:
        raise reference.AccessTokenError("retired")
    return decode_with_key(token, key)


def decode_with_header_algorithm(token, keys):
    key = reference.select_verification_key(token, keys)
    try:
        header = jwt.get_unverified_header(token)
        return jwt.decode(token, key, algorithms=[header["alg"]], options={"require": ["exp", "sub"]})["sub"]
    except jwt.InvalidTokenError as error:
        raise reference.AccessTokenError(str(error)) from error


def decode_falling_back_to_current(token, keys):
    kid = read_kid(token)
    if kid in keys.retire_at and datetime.now(timezone.utc) >= keys.retire_at[kid]:
        raise reference.AccessTokenError("retired")
    return decode_with_key(token, keys.secret_keys.get(kid, keys.secret_keys[keys.current_kid]))


def decode_reading_header_outside_try(token, keys):
    kid = jwt.get_unverified_header(token).get("kid")
    if kid not in keys.secret_keys:
        raise reference.AccessTokenError("unknown kid")
    return reference.decode_access_token(token, keys)


def decode_without_required_claims(token, keys):
    key = reference.select_verification_key(token, keys)
    try:
        return jwt.decode(token, key, algorithms=[ALGORITHM])["sub"]
    except jwt.InvalidTokenError as error:
        raise reference.AccessTokenError(str(error)) from error


def decode_without_required_sub(token, keys):
    key = reference.select_verification_key(token, keys)
    try:
        return jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["exp"]})["sub"]
    except jwt.InvalidTokenError as error:
        raise reference.AccessTokenError(str(error)) from error


class AccessTokenError(Exception):
    """A learner's own class with the course's name."""


def decode_with_own_error_class(token, keys):
    try:
        return reference.decode_access_token(token, keys)
    except reference.AccessTokenError as error:
        raise AccessTokenError(str(error)) from None


def decode_returning_claims(token, keys):
    reference.decode_access_token(token, keys)
    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize("decode_access_token", [reference.decode_access_token, decode_with_posix_time])
@pytest.mark.parametrize("check", DECODE_CHECKS)
def test_decode_checks_pass_correct(check, decode_access_token):
    check(decode_access_token)


@pytest.mark.parametrize(
    ("decode_access_token", "failing", "message"),
    [
        (decode_with_current_key_only, ["decode_access_token_previous_key", "decode_access_token_unknown_kid"], "by the token's kid"),
        (decode_with_item_access, ["decode_access_token_unknown_kid"], "500 Internal Server Error"),
        (decode_ignoring_retirement, ["decode_access_token_retired_key"], "The previous key has retired"),
        (decode_with_naive_clock, ["decode_access_token_previous_key", "decode_access_token_retired_key"], "under the other clock"),
        (decode_comparing_naive_with_aware, ["decode_access_token_previous_key", "decode_access_token_retired_key"], "Compare retire_at with datetime.now(timezone.utc)"),
        (decode_with_header_algorithm, ["decode_access_token_algorithms"], "never from the token's header"),
        (decode_falling_back_to_current, ["decode_access_token_unknown_kid"], "Never fall back to the current key"),
        (decode_reading_header_outside_try, ["decode_access_token_invalid"], "read the header inside the block"),
        (decode_without_required_sub, ["decode_access_token_invalid"], "A token without sub is an invalid token, not a server error"),
        (decode_without_required_claims, ["decode_access_token_invalid"], "options={'require': ['exp', 'sub']}"),
        (
            decode_with_own_error_class,
            ["decode_access_token_invalid", "decode_access_token_retired_key", "decode_access_token_unknown_kid", "decode_access_token_algorithms"],
            "raise the AccessTokenError that the setup cell imports",
        ),
        (
            decode_returning_claims,
            ["decode_access_token_current_key", "decode_access_token_previous_key", "decode_access_token_invalid", "decode_access_token_retired_key", "decode_access_token_unknown_kid", "decode_access_token_algorithms"],
            "Return only the subject",
        ),
    ],
    ids=lambda value: getattr(value, "__name__", "") if callable(value) else "",
)
def test_decode_checks_name_mistake(decode_access_token, failing, message):
    assert_fails_exactly(decode_access_token, DECODE_CHECKS, failing, message)


def test_clock_failure_not_blamed_on_key_choice():
    with pytest.raises(AssertionError) as failure:
        service_checks.check_decode_access_token_previous_key(decode_with_naive_clock)
    assert "It passed under the other clock" in str(failure.value)
    assert service_checks.PREVIOUS_KEY_HINT not in str(failure.value)


def test_current_key_only_named_in_previous_check():
    with pytest.raises(AssertionError, match="Verifying with the current key only logs every user out"):
        service_checks.check_decode_access_token_previous_key(decode_with_current_key_only)


# ---------------------------------------------------------------------------
# The checks themselves.
# ---------------------------------------------------------------------------


def stub(*args):
    raise NotImplementedError()


def loops(*args):
    while True:
        pass


@pytest.mark.parametrize("check", READ_CHECKS + LOAD_CHECKS + CREATE_CHECKS + DECODE_CHECKS, ids=lambda check: check.__name__)
def test_stub_fails_every_check(check):
    with pytest.raises(AssertionError, match=r"replace `raise NotImplementedError\(\)`"):
        check(stub)


@pytest.mark.parametrize("check", [READ_CHECKS[0], LOAD_CHECKS[0], CREATE_CHECKS[0], DECODE_CHECKS[0]], ids=lambda check: check.__name__)
def test_endless_loop_fails_with_time_limit(check):
    with pytest.raises(AssertionError, match="did not return within 0.5 s"):
        check(loops)


def test_checks_restore_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        with pytest.raises(AssertionError):
            service_checks.check_decode_access_token_retired_key(decode_with_naive_clock)
        assert time.localtime().tm_gmtoff == 0, "the check must restore the caller's time zone"
        assert os.environ["TZ"] == "UTC"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_messages_never_contain_grading_keys():
    mistakes = [
        (service_checks.check_read_secret_key_short, read_key_no_length_check),
        (service_checks.check_load_signing_keys_rejects, load_keys_short_keys),
        (service_checks.check_create_access_token_kid, create_with_first_key),
        (service_checks.check_decode_access_token_unknown_kid, decode_with_item_access),
    ]
    for check, function in mistakes:
        with pytest.raises(AssertionError) as failure:
            check(function)
        for key in (service_checks.CURRENT_KEY, service_checks.PREVIOUS_KEY, service_checks.OTHER_KEY, *service_checks.SHORT_KEYS):
            assert key not in str(failure.value), f"{check.__name__} printed a key: {failure.value}"


def test_rotation_texts_are_one_instant():
    for text in service_checks.ROTATION_TEXTS:
        assert datetime.fromisoformat(text) == service_checks.ROTATION_INSTANT, text


def test_grading_keys_long_enough():
    for key in (service_checks.CURRENT_KEY, service_checks.PREVIOUS_KEY, service_checks.OTHER_KEY):
        assert len(key.encode()) >= MIN_KEY_BYTES
    assert len(service_checks.SHORTEST_VALID_KEY.encode()) == MIN_KEY_BYTES
    assert all(len(key.encode()) < MIN_KEY_BYTES for key in service_checks.SHORT_KEYS)


def test_notebook_signing_keys_match_reference():
    """The setup cell defines SigningKeys for learners, and the checks pass the reference's, so the fields must agree."""
    notebook = nbformat.read(source_notebook(ASSIGNMENT), as_version=4)
    setup = next(cell for cell in notebook.cells if cell.id == "setup")
    namespace = {}
    exec(setup.source, namespace)
    notebook_fields = [(field.name, field.repr) for field in namespace["SigningKeys"].__dataclass_fields__.values()]
    reference_fields = [(field.name, field.repr) for field in reference.SigningKeys.__dataclass_fields__.values()]
    assert notebook_fields == reference_fields
    assert namespace["AccessTokenError"] is reference.AccessTokenError
    assert namespace["MIN_KEY_BYTES"] == MIN_KEY_BYTES
    assert namespace["ACCESS_TOKEN_EXPIRE"] == reference.ACCESS_TOKEN_EXPIRE
