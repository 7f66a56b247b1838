"""Checks for notebook 07: keys read from the environment, and tokens that name their key with `kid`.

Each hidden test cell calls one check with one learner function. The checks pass a dict as
the environment and the reference's SigningKeys as the keys, compare the outcome with the
reference implementation (solutions/reference_service.py), and compare decoded claims and
headers, never token strings. A failed check raises AssertionError whose message names the
input, the expected and actual outcome, and the likely mistake.
"""

import contextlib
import copy
import io
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
import reference_service as reference
import reference_tokens
from reference_verify import AccessTokenError

from autograder.expiry import diagnose_expiry, numeric_date
from autograder.learner_calls import (
    GRADING_TIME_ZONES,
    LearnerCodeError,
    call_learner,
    format_argument,
    local_time_zone,
    utc_offset_seconds,
)

CURRENT_KID = "2026-12"
PREVIOUS_KID = "2026-11"
UNKNOWN_KID = "2026-10"
# Keys made once with secrets.token_hex(32) for grading only. Messages describe them and never
# print them, as a learner's messages should not.
CURRENT_KEY = "fc3f61e86cc434bc715d7d3863fd55e76ac28dd02ee9b88c44f0a1f0a9ac726c"
PREVIOUS_KEY = "c3ed79ca2427c3adc421094865abfb54b3467fb5fcc36e0627142f73d4368333"
OTHER_KEY = "0e400548409034ba15f8bc7f4ad260bfeeb284222760fbf78ff6eeeb34e0ee02"
# Exactly MIN_KEY_BYTES long, so it must be accepted.
SHORTEST_VALID_KEY = PREVIOUS_KEY[: reference.MIN_KEY_BYTES]
# Keys that must be rejected: a password-like word and one byte less than enough.
SHORT_KEYS = ("hunter2", OTHER_KEY[: reference.MIN_KEY_BYTES - 1])

# One instant, 09:00 UTC, written with three offsets and with Z. The previous key retires at 09:15 UTC.
ROTATION_INSTANT = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
ROTATION_TEXTS = ("2026-12-01T09:00:00+00:00", "2026-12-01T14:30:00+05:30", "2026-12-01T04:00:00-05:00", "2026-12-01T09:00:00Z")
NAIVE_ROTATION_TEXT = "2026-12-01T09:00:00"
# Seconds by which a retirement time may differ from the reference's. Both come from the same text.
RETIRE_AT_TOLERANCE_SECONDS = 1

CLAIM_SETS = (
    {"sub": "alice"},
    {"sub": "42", "scope": "items:read items:write", "admin": False},
    {"sub": "bob", "roles": ["reader", "editor"], "profile": {"name": "Bob", "city": "Zürich"}},
)
CUSTOM_DELTAS = (timedelta(minutes=30), timedelta(days=1), timedelta(seconds=1), timedelta(0))
# The lifetime of every token the checks build, unless a case sets another.
TOKEN_LIFETIME = timedelta(minutes=5)
# An active previous key retires this far in the future, and a retired one retired this long ago.
RETIREMENT_MARGIN = timedelta(minutes=10)

SHORT_KEY_HINT = (
    "HS256 needs a key of at least 32 bytes. PyJWT only warns (InsecureKeyLengthWarning) and signs anyway, "
    "so check len(key.encode()) against MIN_KEY_BYTES yourself."
)
MISSING_KEY_HINT = "A missing key must stop the service at start-up with a message that says which variable to set."
KEY_ERROR_HINT = (
    "environ[name] raises KeyError, whose message is only the name in quotes: "
    "check for the variable and raise ValueError with a message that names it."
)
LEAKED_KEY_HINT = "Start-up errors end up in logs: name the variable, never its value."
PRINTED_KEY_HINT = "Output ends up in logs: never print or log a key."
ISO_ERROR_HINT = "datetime.fromisoformat's own ValueError does not name the variable: catch it and raise one that does."
LIFETIME_HINT = (
    "Tokens signed just before the rotation stay valid for ACCESS_TOKEN_EXPIRE more, "
    "so the previous key retires at JWT_ROTATED_AT + ACCESS_TOKEN_EXPIRE."
)
PREVIOUS_KEY_HINT = (
    "A token signed with the previous key must verify until that key retires: pick the key by the token's kid. "
    "Verifying with the current key only logs every user out at each rotation."
)
UTC_CLOCK_HINT = "Compare retire_at with datetime.now(timezone.utc): a naive local time is off by the clock's UTC offset."
RETIRED_KEY_HINT = (
    "The previous key has retired: once datetime.now(timezone.utc) >= keys.retire_at[kid], "
    "raise AccessTokenError for tokens with that kid."
)
UNKNOWN_KID_HINT = (
    "Pick the key by the token's kid with keys.secret_keys.get(kid), and raise AccessTokenError when there is none. "
    "Never fall back to the current key: the header is written by whoever made the token."
)
SERVER_ERROR_HINT = (
    "An uncaught exception in a FastAPI dependency is a 500 Internal Server Error, not a 401: read the kid with "
    "header.get('kid'), look it up with keys.secret_keys.get(kid), and raise AccessTokenError when either is None."
)
# The message of the TypeError that jwt.decode raises for the key None, for example from keys.secret_keys.get(unknown_kid).
MISSING_KEY_MESSAGE = "Expected a string or bytes value"
HEADER_ALGORITHM_HINT = (
    "The accepted algorithms come from the server, algorithms=[ALGORITHM], never from the token's header: "
    "a list read from the header lets whoever made the token choose how it is checked."
)
CATCH_HINT = "Catch jwt.InvalidTokenError and raise AccessTokenError from it."
HEADER_READ_HINT = (
    "jwt.get_unverified_header raises DecodeError for text that is not a JWT: "
    "read the header inside the block that turns jwt.InvalidTokenError into AccessTokenError."
)
REQUIRE_HINT = "Require both claims: options={'require': ['exp', 'sub']}."
OWN_ERROR_CLASS_HINT = "That is another class with the same name: raise the AccessTokenError that the setup cell imports."


@dataclass(frozen=True)
class Outcome:
    """The return value or the exception of one learner call, and the output it printed."""

    value: object = None
    error: BaseException | None = None
    output: str = ""


@dataclass(frozen=True)
class TokenCase:
    """A token for decode_access_token, how messages name it, and the hint shown when it is accepted."""

    description: str
    token: str
    hint: str = ""


def call_and_capture(function: Callable, *args: object) -> Outcome:
    """Call a learner function and capture its stdout and stderr. A stub or a time-out fails the check at once."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        try:
            value = call_learner(function, *args)
        except LearnerCodeError as failure:
            if failure.__cause__ is None:
                raise
            return Outcome(error=failure.__cause__, output=buffer.getvalue())
    return Outcome(value=value, output=buffer.getvalue())


def grading_clocks() -> Iterator[str]:
    """Switch to each grading time zone in turn and yield its name."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            yield zone_name


def error_name(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


# ---------------------------------------------------------------------------
# Part A: read_secret_key
# ---------------------------------------------------------------------------


def check_read_secret_key_valid(read_secret_key: Callable) -> None:
    """Check that a key of 32 bytes or more comes back unchanged from the variable named, and is not printed."""
    environ = {"PATH": "/usr/bin", "JWT_SECRET_KEY": CURRENT_KEY, "JWT_PREVIOUS_SECRET_KEY": SHORTEST_VALID_KEY}
    for name, key in (("JWT_SECRET_KEY", CURRENT_KEY), ("JWT_PREVIOUS_SECRET_KEY", SHORTEST_VALID_KEY)):
        call = f"read_secret_key(environ, {name!r}) where {name} is a {len(key)}-byte key"
        outcome = call_and_capture(read_secret_key, environ, name)
        if outcome.error is not None:
            hint = "32 bytes is enough: reject only keys shorter than MIN_KEY_BYTES." if len(key) == reference.MIN_KEY_BYTES else ""
            raise AssertionError(f"{call}: expected the key, got {error_name(outcome.error)}. {hint}".rstrip())
        assert key not in outcome.output, f"{call}: the key appeared in the output. {PRINTED_KEY_HINT}"
        assert_returned_key(call, outcome.value, key, environ)


def assert_returned_key(call: str, value: object, key: str, environ: dict[str, str]) -> None:
    if isinstance(value, bytes):
        raise AssertionError(f"{call}: expected the key as a str, got bytes. Return environ[name] as it is.")
    if value != key and value in environ.values():
        raise AssertionError(f"{call}: returned the value of another variable. Read environ[name], not a fixed name.")
    assert value == key, f"{call}: expected the key unchanged, got {describe_value(value)}."


def describe_value(value: object) -> str:
    """Describe a returned value without printing a key: its type and, for text, its length."""
    if isinstance(value, str | bytes):
        return f"a {type(value).__name__} of {len(value)} characters"
    return repr(value)


def check_read_secret_key_missing(read_secret_key: Callable) -> None:
    """Check that a missing or empty variable raises ValueError naming it."""
    cases = (
        ("an empty environ", {}, "JWT_SECRET_KEY"),
        ("an environ with only JWT_PREVIOUS_SECRET_KEY", {"PATH": "/usr/bin", "JWT_PREVIOUS_SECRET_KEY": CURRENT_KEY}, "JWT_SECRET_KEY"),
        ("an environ where JWT_SECRET_KEY is ''", {"JWT_SECRET_KEY": ""}, "JWT_SECRET_KEY"),
        ("an empty environ", {}, "JWT_PREVIOUS_SECRET_KEY"),
    )
    for description, environ, name in cases:
        call = f"read_secret_key(<{description}>, {name!r})"
        outcome = call_and_capture(read_secret_key, environ, name)
        assert_value_error(call, outcome, name, hint=MISSING_KEY_HINT)


def check_read_secret_key_short(read_secret_key: Callable) -> None:
    """Check that a key shorter than 32 bytes raises ValueError naming the variable, with no trace of the key."""
    for name in ("JWT_SECRET_KEY", "JWT_PREVIOUS_SECRET_KEY"):
        for key in SHORT_KEYS:
            call = f"read_secret_key(environ, {name!r}) where {name} is a {len(key)}-byte key"
            outcome = call_and_capture(read_secret_key, {name: key, "JWT_KID": CURRENT_KID}, name)
            assert_value_error(call, outcome, name, hint=f"It accepted a {len(key)}-byte key. {SHORT_KEY_HINT}", key=key)


def assert_value_error(call: str, outcome: Outcome, name: str, hint: str, key: str | None = None) -> None:
    """Fail unless the call raised ValueError naming `name`, and showed `key` neither in the message nor output."""
    expected = f"expected ValueError naming {name}"
    if outcome.error is None:
        raise AssertionError(f"{call}: {expected}, got the return value {describe_value(outcome.value)}. {hint}")
    if isinstance(outcome.error, KeyError):
        raise AssertionError(f"{call}: {expected}, got KeyError: {outcome.error}. {KEY_ERROR_HINT}")
    if not isinstance(outcome.error, ValueError):
        raise AssertionError(f"{call}: {expected}, got {error_name(outcome.error)}.")
    message = str(outcome.error)
    if key is not None:
        assert key not in message, f"{call}: the ValueError message contains the key itself. {LEAKED_KEY_HINT}"
        assert key not in outcome.output, f"{call}: the key appeared in the output. {PRINTED_KEY_HINT}"
    unnamed = f"{call}: {expected}, got ValueError: {message}. The message must name {name}, so that whoever starts the service knows which variable to set."
    if "isoformat" in message.lower():
        unnamed = f"{unnamed} {ISO_ERROR_HINT}"
    assert name.lower() in message.lower(), unnamed


# ---------------------------------------------------------------------------
# Part B: load_signing_keys
# ---------------------------------------------------------------------------


def current_environ(kid: str = CURRENT_KID, key: str = CURRENT_KEY) -> dict[str, str]:
    return {"PATH": "/usr/bin", "JWT_KID": kid, "JWT_SECRET_KEY": key}


def rotated_environ(rotated_at: str | None = ROTATION_TEXTS[0], previous_key: str | None = PREVIOUS_KEY) -> dict[str, str]:
    """Return an environ after a rotation, without the variables given as None."""
    environ = {**current_environ(), "JWT_PREVIOUS_KID": PREVIOUS_KID}
    if previous_key is not None:
        environ["JWT_PREVIOUS_SECRET_KEY"] = previous_key
    if rotated_at is not None:
        environ["JWT_ROTATED_AT"] = rotated_at
    return environ


def read_keys(call: str, outcome: Outcome) -> tuple[str, dict, dict]:
    """Return the current kid, secret keys and retirement times of a returned SigningKeys, or fail."""
    if outcome.error is not None:
        raise AssertionError(f"{call}: expected SigningKeys, got {error_name(outcome.error)}.")
    for key in (CURRENT_KEY, PREVIOUS_KEY):
        assert key not in outcome.output, f"{call}: a key appeared in the output. {PRINTED_KEY_HINT}"
    fields = [getattr(outcome.value, name, None) for name in ("current_kid", "secret_keys", "retire_at")]
    assert isinstance(fields[1], dict) and isinstance(fields[2], dict), (
        f"{call}: expected SigningKeys(current_kid, secret_keys, retire_at) with two dicts, got {type(outcome.value).__name__}."
    )
    return fields[0], fields[1], fields[2]


def check_load_signing_keys_current(load_signing_keys: Callable) -> None:
    """Check that JWT_KID and JWT_SECRET_KEY become the current key, which never retires."""
    for kid, key in ((CURRENT_KID, CURRENT_KEY), ("2027-01", OTHER_KEY)):
        call = f"load_signing_keys(<an environ with JWT_KID={kid!r} and a 64-byte JWT_SECRET_KEY>)"
        current_kid, secret_keys, retire_at = read_keys(call, call_and_capture(load_signing_keys, current_environ(kid, key)))
        assert current_kid == kid, f"{call}: expected current_kid {kid!r}, got {current_kid!r}."
        assert list(secret_keys) == [kid], f"{call}: expected secret_keys to have the one kid {kid!r}, got the kids {list(secret_keys)}."
        assert secret_keys[kid] == key, f"{call}: secret_keys[{kid!r}] is not the value of JWT_SECRET_KEY."
        assert retire_at == {}, (
            f"{call}: expected retire_at == {{}}, got the kids {list(retire_at)}. "
            "The current key never retires, and there is no previous key."
        )


def check_load_signing_keys_previous(load_signing_keys: Callable) -> None:
    """Check that the previous key verifies until JWT_ROTATED_AT + ACCESS_TOKEN_EXPIRE, under non-UTC clocks."""
    expected = reference.read_rotation_time({"JWT_ROTATED_AT": ROTATION_TEXTS[0]}) + reference.ACCESS_TOKEN_EXPIRE
    for zone_name in grading_clocks():
        for text in ROTATION_TEXTS:
            call = f"load_signing_keys(<an environ after a rotation, JWT_ROTATED_AT={text!r}>) under a {zone_name} clock"
            current_kid, secret_keys, retire_at = read_keys(call, call_and_capture(load_signing_keys, rotated_environ(text)))
            assert current_kid == CURRENT_KID, (
                f"{call}: expected current_kid {CURRENT_KID!r}, got {current_kid!r}. JWT_KID names the key that signs."
            )
            assert secret_keys == {CURRENT_KID: CURRENT_KEY, PREVIOUS_KID: PREVIOUS_KEY}, (
                f"{call}: expected secret_keys with the kids {[CURRENT_KID, PREVIOUS_KID]}, each with the key of its "
                f"variable, got the kids {list(secret_keys)}."
            )
            assert list(retire_at) == [PREVIOUS_KID], (
                f"{call}: expected retire_at to have the one kid {PREVIOUS_KID!r}, got the kids {list(retire_at)}."
            )
            problem = diagnose_retire_at(retire_at[PREVIOUS_KID], expected, text)
            assert problem is None, f"{call}: {problem}"


def diagnose_retire_at(value: object, expected: datetime, text: str) -> str | None:
    """Return None when `value` is the expected aware retirement time, else what went wrong and why."""
    summary = f"expected retire_at[{PREVIOUS_KID!r}] == {expected.isoformat()}, got {value!r}."
    if not isinstance(value, datetime):
        return f"{summary} Store an aware datetime."
    if value.utcoffset() is None:
        return f"{summary} That is a naive datetime: keep the UTC offset that JWT_ROTATED_AT carries."
    difference = value.timestamp() - expected.timestamp()
    if abs(difference) <= RETIRE_AT_TOLERANCE_SECONDS:
        return None
    lifetime = reference.ACCESS_TOKEN_EXPIRE.total_seconds()
    if abs(difference + lifetime) <= RETIRE_AT_TOLERANCE_SECONDS:
        return f"{summary} That is the rotation time itself. {LIFETIME_HINT}"
    offset = datetime.fromisoformat(text).utcoffset().total_seconds()
    if offset and abs(difference - offset) <= RETIRE_AT_TOLERANCE_SECONDS:
        return f"{summary} The UTC offset in {text!r} was dropped: keep the aware datetime that datetime.fromisoformat returns."
    if abs(difference + utc_offset_seconds()) <= RETIRE_AT_TOLERANCE_SECONDS:
        return f"{summary} That is off by this clock's UTC offset: the time was read as local time."
    return f"{summary} {LIFETIME_HINT}"


def check_load_signing_keys_rejects(load_signing_keys: Callable) -> None:
    """Check that missing, short or unreadable settings raise ValueError naming the variable, never showing a key."""
    cases = (
        ("an environ without JWT_KID", {"JWT_SECRET_KEY": CURRENT_KEY}, "JWT_KID", None),
        ("an environ without JWT_SECRET_KEY", {"JWT_KID": CURRENT_KID}, "JWT_SECRET_KEY", None),
        ("an environ whose JWT_SECRET_KEY is 7 bytes long", current_environ(key=SHORT_KEYS[0]), "JWT_SECRET_KEY", SHORT_KEYS[0]),
        ("an environ with JWT_PREVIOUS_KID but no JWT_PREVIOUS_SECRET_KEY", rotated_environ(previous_key=None), "JWT_PREVIOUS_SECRET_KEY", None),
        (
            "an environ whose JWT_PREVIOUS_SECRET_KEY is 31 bytes long",
            rotated_environ(previous_key=SHORT_KEYS[1]),
            "JWT_PREVIOUS_SECRET_KEY",
            SHORT_KEYS[1],
        ),
        ("an environ with a previous key but no JWT_ROTATED_AT", rotated_environ(rotated_at=None), "JWT_ROTATED_AT", None),
        (f"an environ whose JWT_ROTATED_AT is {NAIVE_ROTATION_TEXT!r}, without a UTC offset", rotated_environ(NAIVE_ROTATION_TEXT), "JWT_ROTATED_AT", None),
        ("an environ whose JWT_ROTATED_AT is 'next tuesday'", rotated_environ("next tuesday"), "JWT_ROTATED_AT", None),
    )
    for description, environ, name, key in cases:
        call = f"load_signing_keys(<{description}>)"
        outcome = call_and_capture(load_signing_keys, environ)
        assert_value_error(call, outcome, name, hint=rejection_hint(name, key), key=key)


def rejection_hint(name: str, key: str | None) -> str:
    if key is not None:
        return f"It accepted a {len(key)}-byte key. {SHORT_KEY_HINT}"
    if name == "JWT_ROTATED_AT":
        return (
            "A previous key needs JWT_ROTATED_AT in ISO 8601 with a UTC offset, such as 2026-12-01T09:00:00+00:00: "
            "without the offset nobody knows when the key retires."
        )
    return MISSING_KEY_HINT


# ---------------------------------------------------------------------------
# Part C: create_access_token
# ---------------------------------------------------------------------------


def signing_keys(previous_retires_in: timedelta | None = RETIREMENT_MARGIN) -> reference.SigningKeys:
    """Return grading keys: the current key and, unless None, a previous key that retires after the given time."""
    secret_keys = {CURRENT_KID: CURRENT_KEY}
    retire_at = {}
    if previous_retires_in is not None:
        # The previous key comes first, so a function that signs with the first key in the dict is caught.
        secret_keys = {PREVIOUS_KID: PREVIOUS_KEY, **secret_keys}
        retire_at[PREVIOUS_KID] = datetime.now(timezone.utc) + previous_retires_in
    return reference.SigningKeys(CURRENT_KID, secret_keys, retire_at)


def describe_keys(keys: reference.SigningKeys) -> str:
    kids = ", ".join(repr(kid) for kid in keys.secret_keys)
    return f"<keys with current_kid {keys.current_kid!r} and the kids {kids}>"


def check_create_access_token_kid(create_access_token: Callable) -> None:
    """Check that the token names the current key in its kid header, is signed with it, and keeps every claim."""
    other_keys = reference.SigningKeys("2027-01", {"2027-01": OTHER_KEY})
    for keys in (signing_keys(), other_keys):
        for data in CLAIM_SETS:
            argument = copy.deepcopy(data)
            call = f"create_access_token({data!r}, {describe_keys(keys)})"
            claims = create_and_decode(create_access_token, call, (argument, keys))
            assert argument == data, (
                f"{call} changed its input: before the call it was {data!r}, after it {argument!r}. "
                "Copy data first (to_encode = data.copy()) and add exp to the copy."
            )
            for name, value in data.items():
                assert claims.get(name) == value, f"{call}: expected claim {name!r} = {value!r}, got {claims.get(name)!r}."


def check_create_access_token_expiry(create_access_token: Callable) -> None:
    """Check that exp is now + 15 minutes by default and now + expires_delta otherwise, under non-UTC clocks."""
    keys = signing_keys()
    for zone_name in grading_clocks():
        for delta in (None, *CUSTOM_DELTAS):
            args = ({"sub": "alice"}, keys) if delta is None else ({"sub": "alice"}, keys, delta)
            delta_argument = "" if delta is None else f", {format_argument(delta)}"
            call = f"create_access_token({{'sub': 'alice'}}, {describe_keys(keys)}{delta_argument}) under a {zone_name} clock"
            claims = create_and_decode(create_access_token, call, args)
            assert_expiry(call, claims, reference_tokens.expiry_time(delta).timestamp(), delta)


def assert_expiry(call: str, claims: dict, expected: float, delta: timedelta | None) -> None:
    assert "exp" in claims, f"{call}: the token has no exp claim, so it never expires. Add exp to the claims."
    seconds = numeric_date(claims["exp"])
    assert seconds is not None, f"{call}: expected exp as a number of seconds (NumericDate), got {claims['exp']!r}."
    problem = diagnose_expiry(seconds, expected, delta)
    assert problem is None, f"{call}: {problem}"


def create_and_decode(create_access_token: Callable, call: str, args: tuple) -> dict:
    """Call the learner's function, check the kid, alg and signature of its token, and return the claims."""
    keys = args[1]
    token = call_learner(create_access_token, *args)
    assert isinstance(token, str), f"{call}: expected a str token, got {type(token).__name__}."
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise AssertionError(f"{call}: returned text that is not a JWT ({error}).") from None
    assert "kid" in header, (
        f"{call}: the token's header has no kid, got the header {header}. "
        "Pass headers={'kid': keys.current_kid} to jwt.encode."
    )
    assert header["kid"] == keys.current_kid, (
        f"{call}: expected header kid {keys.current_kid!r}, got {header['kid']!r}. New tokens name the current key."
    )
    assert header.get("alg") == reference.ALGORITHM, (
        f"{call}: expected header alg {reference.ALGORITHM!r}, got {header.get('alg')!r}. Pass algorithm=ALGORITHM to encode."
    )
    try:
        return decode_without_exp_check(token, keys.secret_keys[keys.current_kid])
    except jwt.InvalidSignatureError:
        raise AssertionError(f"{call}: {explain_signing_key(token, keys)}") from None
    except jwt.InvalidTokenError as error:
        raise AssertionError(f"{call}: the token does not decode: {error_name(error)}.") from None


def decode_without_exp_check(token: str, secret_key: str) -> dict:
    """Decode with the given key, without the exp check, so exp can be diagnosed."""
    return jwt.decode(token, secret_key, algorithms=[reference.ALGORITHM], options={"verify_exp": False})


def explain_signing_key(token: str, keys: reference.SigningKeys) -> str:
    """Name the key that signed a token whose signature the current key does not verify."""
    expected = f"the signature does not verify with the current key, keys.secret_keys[{keys.current_kid!r}]."
    candidates = {f"the key of kid {kid!r}": key for kid, key in keys.secret_keys.items() if kid != keys.current_kid}
    candidates["the course SECRET_KEY"] = reference_tokens.SECRET_KEY
    for name, key in candidates.items():
        try:
            decode_without_exp_check(token, key)
        except jwt.InvalidTokenError:
            continue
        return f"{expected[0].upper()}{expected[1:]} It was signed with {name}. Sign with keys.secret_keys[keys.current_kid]."
    return f"{expected[0].upper()}{expected[1:]} Sign with keys.secret_keys[keys.current_kid]."


# ---------------------------------------------------------------------------
# Part D: decode_access_token
# ---------------------------------------------------------------------------


def sign(claims: dict, key: str | None, kid: str | None, algorithm: str = reference.ALGORITHM) -> str:
    """Return a token with `kid` in its header (none when kid is None), signed with `key`."""
    headers = None if kid is None else {"kid": kid}
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def claims_for(subject: str, lifetime: timedelta = TOKEN_LIFETIME) -> dict:
    return {"sub": subject, "exp": datetime.now(timezone.utc) + lifetime}


def current_key_token(subject: str = "alice") -> str:
    return sign(claims_for(subject), CURRENT_KEY, CURRENT_KID)


def previous_key_token(subject: str = "alice") -> str:
    return sign(claims_for(subject), PREVIOUS_KEY, PREVIOUS_KID)


def check_decode_access_token_current_key(decode_access_token: Callable) -> None:
    """Check that tokens signed with the current key give their subject, under non-UTC clocks."""
    for zone_name in grading_clocks():
        keys = signing_keys()
        cases = (
            ("a token for 'alice' with the current kid", current_key_token("alice"), "alice"),
            (
                "a token for '42' with scope and admin claims, made by the reference create_access_token",
                reference.create_access_token({"sub": "42", "scope": "items:read", "admin": False}, keys),
                "42",
            ),
        )
        for description, token, subject in cases:
            call = f"decode_access_token(<{description}>, {describe_keys(keys)}) under a {zone_name} clock"
            assert_accepted(call, call_and_capture(decode_access_token, token, keys), subject, hint="")


def check_decode_access_token_invalid(decode_access_token: Callable) -> None:
    """Check that expired, forged, malformed and incomplete tokens raise AccessTokenError."""
    now = datetime.now(timezone.utc)
    cases = (
        TokenCase("a token with the current kid that expired a minute ago", sign(claims_for("alice", timedelta(minutes=-1)), CURRENT_KEY, CURRENT_KID), "Keep the exp check on."),
        TokenCase("a token with the current kid signed with another key", sign(claims_for("alice"), OTHER_KEY, CURRENT_KID), "Keep the signature check on."),
        TokenCase("a token with the current kid and no exp", sign({"sub": "alice"}, CURRENT_KEY, CURRENT_KID), f"A token without exp never expires. {REQUIRE_HINT}"),
        TokenCase("a token with the current kid and no sub", sign({"exp": now + TOKEN_LIFETIME}, CURRENT_KEY, CURRENT_KID), REQUIRE_HINT),
        TokenCase("the text 'not-a-token'", "not-a-token"),
        TokenCase("the whole header value 'Bearer <a valid token>'", f"Bearer {current_key_token()}"),
    )
    assert_rejections(decode_access_token, lambda: cases, signing_keys)


def check_decode_access_token_previous_key(decode_access_token: Callable) -> None:
    """Check that a token signed with the previous key is accepted until the key retires, under non-UTC clocks."""
    results = []
    for zone_name in grading_clocks():
        keys = signing_keys(RETIREMENT_MARGIN)
        call = (
            f"decode_access_token(<a token for 'alice' signed with the previous key, kid {PREVIOUS_KID!r}>, "
            f"<keys whose previous key retires in 10 minutes>) under a {zone_name} clock"
        )
        results.append((call, call_and_capture(decode_access_token, previous_key_token(), keys)))
    failures = [(call, outcome) for call, outcome in results if outcome.error is not None or outcome.value != "alice"]
    if not failures:
        return
    # A failure under one clock only comes from the clock, not from the choice of key.
    hint = PREVIOUS_KEY_HINT if len(failures) == len(results) else f"It passed under the other clock. {UTC_CLOCK_HINT}"
    call, outcome = failures[0]
    assert_accepted(call, outcome, "alice", hint)


def check_decode_access_token_retired_key(decode_access_token: Callable) -> None:
    """Check that a token signed with a retired key raises AccessTokenError, under non-UTC clocks."""
    acceptances = []
    for zone_name in grading_clocks():
        assert_valid_token_accepted(decode_access_token, zone_name)
        keys = signing_keys(-RETIREMENT_MARGIN)
        call = (
            f"decode_access_token(<a token for 'alice' signed with the previous key, kid {PREVIOUS_KID!r}>, "
            f"<keys whose previous key retired 10 minutes ago>) under a {zone_name} clock"
        )
        outcome = call_and_capture(decode_access_token, previous_key_token(), keys)
        if outcome.error is None:
            acceptances.append(f"{call}: expected AccessTokenError, got the return value {outcome.value!r}.")
        else:
            assert_rejected(call, outcome, TokenCase("a token signed with a retired key", ""))
    if 0 < len(acceptances) < len(GRADING_TIME_ZONES):
        raise AssertionError(f"{acceptances[0]} It was rejected under the other clock. {UTC_CLOCK_HINT}")
    if acceptances:
        raise AssertionError(f"{acceptances[0]} {RETIRED_KEY_HINT}")


def check_decode_access_token_unknown_kid(decode_access_token: Callable) -> None:
    """Check that a token whose kid is missing or names no key raises AccessTokenError, not KeyError."""

    def cases() -> tuple[TokenCase, ...]:
        return (
            TokenCase(f"a token with the unknown kid {UNKNOWN_KID!r}, signed with the current key", sign(claims_for("alice"), CURRENT_KEY, UNKNOWN_KID), UNKNOWN_KID_HINT),
            TokenCase(f"a token with the unknown kid {UNKNOWN_KID!r}, signed with another key", sign(claims_for("alice"), OTHER_KEY, UNKNOWN_KID), UNKNOWN_KID_HINT),
            TokenCase("a token without kid, signed with the current key", sign(claims_for("alice"), CURRENT_KEY, None), UNKNOWN_KID_HINT),
        )

    assert_rejections(decode_access_token, cases, signing_keys)
    # After the previous key was removed from the environment, its kid is unknown too.
    removed = TokenCase(
        f"a token signed with the previous key, kid {PREVIOUS_KID!r}, after that key was removed",
        previous_key_token(),
        UNKNOWN_KID_HINT,
    )
    assert_rejections(decode_access_token, lambda: (removed,), lambda: signing_keys(None))


def check_decode_access_token_algorithms(decode_access_token: Callable) -> None:
    """Check that HS512, HS384 and alg 'none' tokens with the current kid raise AccessTokenError."""

    def cases() -> tuple[TokenCase, ...]:
        claims = claims_for("admin")
        return (
            TokenCase("a token with the current kid, signed with the current key and HS512", sign(claims, CURRENT_KEY, CURRENT_KID, "HS512"), HEADER_ALGORITHM_HINT),
            TokenCase("a token with the current kid, signed with the current key and HS384", sign(claims, CURRENT_KEY, CURRENT_KID, "HS384"), HEADER_ALGORITHM_HINT),
            TokenCase("an unsigned token with the current kid and alg 'none'", sign(claims, None, CURRENT_KID, "none"), HEADER_ALGORITHM_HINT),
        )

    assert_rejections(decode_access_token, cases, signing_keys)


def assert_valid_token_accepted(decode_access_token: Callable, zone_name: str) -> None:
    """Fail when a valid token is rejected too: rejecting invalid tokens counts only if valid ones pass."""
    keys = signing_keys()
    call = f"decode_access_token(<a token for 'alice' with the current kid>, {describe_keys(keys)}) under a {zone_name} clock"
    hint = "A function that rejects valid tokens too earns nothing for rejecting invalid ones."
    assert_accepted(call, call_and_capture(decode_access_token, current_key_token(), keys), "alice", hint)


def assert_rejections(
    decode_access_token: Callable,
    make_cases: Callable[[], tuple[TokenCase, ...]],
    make_keys: Callable[[], reference.SigningKeys],
) -> None:
    """Check under each grading clock that a valid token passes and every case raises AccessTokenError."""
    for zone_name in grading_clocks():
        assert_valid_token_accepted(decode_access_token, zone_name)
        keys = make_keys()
        for case in make_cases():
            assert_reference_rejects(case, keys)
            call = f"decode_access_token(<{case.description}>, {describe_keys(keys)}) under a {zone_name} clock"
            assert_rejected(call, call_and_capture(decode_access_token, case.token, keys), case)


def assert_reference_rejects(case: TokenCase, keys: reference.SigningKeys) -> None:
    """Guard the checks themselves: every case must be one that the reference rejects."""
    try:
        reference.decode_access_token(case.token, keys)
    except AccessTokenError:
        return
    raise RuntimeError(f"grading error: the reference accepts {case.description}")


def assert_accepted(call: str, outcome: Outcome, subject: str, hint: str) -> None:
    """Fail unless the call returned `subject`. The hint explains an AccessTokenError."""
    if outcome.error is not None:
        if not isinstance(outcome.error, AccessTokenError):
            hint = explain_escape(outcome.error)
        raise AssertionError(f"{call}: expected {subject!r}, got {describe_error(outcome.error)}. {hint}".rstrip())
    if isinstance(outcome.value, dict):
        raise AssertionError(f"{call}: expected {subject!r}, got a dict. Return only the subject, claims['sub'].")
    assert outcome.value == subject, f"{call}: expected {subject!r}, got {outcome.value!r}."


def assert_rejected(call: str, outcome: Outcome, case: TokenCase) -> None:
    if outcome.error is None:
        raise AssertionError(f"{call}: expected AccessTokenError, got the return value {outcome.value!r}. {case.hint}".rstrip())
    if isinstance(outcome.error, AccessTokenError):
        return
    raise AssertionError(f"{call}: expected AccessTokenError, got {describe_error(outcome.error)}. {explain_escape(outcome.error)}")


def describe_error(error: BaseException) -> str:
    if isinstance(error, AccessTokenError):
        return f"AccessTokenError: {error}"
    return error_name(error)


def explain_escape(error: BaseException) -> str:
    """Name the mistake that lets an exception other than AccessTokenError out of decode_access_token."""
    if type(error).__name__ == "AccessTokenError":
        return OWN_ERROR_CLASS_HINT
    if isinstance(error, KeyError) and error.args and error.args[0] in reference.REQUIRED_CLAIMS:
        return f"A token without {error.args[0]} is an invalid token, not a server error. {REQUIRE_HINT}"
    if isinstance(error, KeyError):
        return SERVER_ERROR_HINT
    if isinstance(error, jwt.InvalidKeyError):
        # PyJWT only tries an alg 'none' token with a key when "none" is among the algorithms.
        return HEADER_ALGORITHM_HINT
    if isinstance(error, TypeError) and "offset-naive and offset-aware" in str(error):
        return UTC_CLOCK_HINT
    if isinstance(error, TypeError) and MISSING_KEY_MESSAGE in str(error):
        return f"jwt.decode got None as the key. {SERVER_ERROR_HINT}"
    if isinstance(error, jwt.InvalidTokenError) and raised_in(error, "get_unverified_header"):
        return HEADER_READ_HINT
    if isinstance(error, jwt.InvalidTokenError):
        return CATCH_HINT
    return f"{SERVER_ERROR_HINT} {CATCH_HINT}"


def raised_in(error: BaseException, function_name: str) -> bool:
    """Return whether `function_name` is on the traceback of `error`."""
    frames = traceback.extract_tb(error.__traceback__)
    return any(frame.name == function_name for frame in frames)
