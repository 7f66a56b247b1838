"""Checks for notebook 05: `create_access_token` and `decode_access_token` ported from python-jose to PyJWT.

Each hidden test cell calls one check. Part A's checks decode the learner's tokens with PyJWT and
with python-jose. Part B's checks run the learner's decode function on a table of tokens made by
both libraries and compare each outcome with the reference port in solutions/reference_jose_port.py.
A failed check raises AssertionError with a message that names the token, the expected and the
actual outcome, and the likely porting mistake.
"""

import base64
import copy
import functools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

import jose.jws
import jwt
import reference_jose_port as reference
from jose import jwt as jose_jwt

from autograder import token_checks
from autograder.learner_calls import GRADING_TIME_ZONES, LearnerCodeError, call_learner, local_time_zone

# Seconds from now for the tokens of the table. The margins keep every case clear of the leeway
# boundary, so an outcome never depends on which second the check runs in.
EXPIRED_LONG_AGO = -86400
EXPIRED_BEYOND_LEEWAY = -60
EXPIRED_PAST_LEEWAY = -30
EXPIRED_WITHIN_LEEWAY = -3
VALID_FOR = 900
IN_THE_FUTURE = 3600

LIBRARIES = {"PyJWT": jwt.encode, "python-jose": jose_jwt.encode}
OTHER_KEY = "another-key-that-is-32-bytes-long!"

STILL_JOSE_HINT = "Port it to PyJWT: python-jose's JWS functions should no longer be called."
NO_ALGORITHMS_HINT = (
    "PyJWT's decode needs algorithms=[ALGORITHM]: without it every token fails with DecodeError, "
    "where python-jose used to accept the token."
)
CATCHES_JOSE_HINT = (
    "jose.JWTError does not catch PyJWT's exceptions, and PyJWT's do not subclass it. "
    "Catch jwt.InvalidTokenError and raise AccessTokenError from it."
)
LEEWAY_HINT = (
    "PyJWT takes the leeway as a keyword argument, leeway=LEEWAY_SECONDS. "
    "options={'leeway': ...} is python-jose's spelling, and PyJWT ignores it without a warning."
)
REQUIRE_HINT = (
    "PyJWT checks exp only when the token has one, and options={'require_exp': True} is python-jose's spelling, "
    "which PyJWT ignores without a warning. Pass options={'require': ['exp', 'sub']}."
)
RETURNS_CLAIMS_HINT = "decode_access_token returns the subject only: return claims['sub'], not the whole claims dict."
HEADER_ALGORITHM_HINT = (
    "List the one algorithm you accept, algorithms=[ALGORITHM], and never take it from the token's header: "
    "python-jose without algorithms accepted any HMAC algorithm, PyJWT makes you choose."
)


@dataclass(frozen=True)
class TokenCase:
    """One token of the table, described as the learner would read it in a message."""

    description: str
    token: str
    # What a decode function that accepts this token, but should not, most likely got wrong.
    accepted_hint: str = ""


@dataclass(frozen=True)
class Outcome:
    """The result of one decode call: a returned `value`, the course error, or another error that escaped."""

    value: object = None
    error: BaseException | None = None
    rejected: bool = False

    def describe(self) -> str:
        if self.error is None:
            return f"returned {self.value!r}"
        if self.rejected:
            return f"raised AccessTokenError({self.error})"
        return f"let {type(self.error).__name__} escape ({self.error})"


# ---------------------------------------------------------------------------
# Part A: create_access_token
# ---------------------------------------------------------------------------


@contextmanager
def watch_python_jose() -> Iterator[dict[str, mock.MagicMock]]:
    """Record calls of python-jose's jws.sign and jws.verify, which its jwt.encode and jwt.decode go through."""
    with (
        mock.patch.object(jose.jws, "sign", wraps=jose.jws.sign) as sign,
        mock.patch.object(jose.jws, "verify", wraps=jose.jws.verify) as verify,
    ):
        yield {"jose.jws.sign": sign, "jose.jws.verify": verify}


def watch_learner(function: Callable, used: set[str]) -> Callable:
    """Wrap a learner function, under its own name, so that the python-jose functions it calls are added to `used`."""

    @functools.wraps(function)
    def watched(*args: object, **kwargs: object) -> object:
        with watch_python_jose() as spies:
            try:
                return function(*args, **kwargs)
            finally:
                used.update(name for name, spy in spies.items() if spy.called)

    return watched


def assert_python_jose_unused(used: set[str], call: str) -> None:
    assert not used, f"{call} still calls python-jose ({', '.join(sorted(used))}). {STILL_JOSE_HINT}"


def record_tokens(create_access_token: Callable) -> tuple[Callable, list[object]]:
    """Wrap the learner's function so that every token it returns is kept, under the learner's function name."""
    tokens = []

    @functools.wraps(create_access_token)
    def recording(*args: object, **kwargs: object) -> object:
        token = create_access_token(*args, **kwargs)
        tokens.append(token)
        return token

    return recording, tokens


def check_port_signs_with_pyjwt(create_access_token: Callable) -> None:
    """Check that the ported function signs with PyJWT: a str, HS256, the course key, sub kept, no python-jose."""
    data = token_checks.CLAIM_SETS[0]
    used: set[str] = set()
    claims = token_checks.create_and_decode(watch_learner(create_access_token, used), copy.deepcopy(data), None)
    assert_python_jose_unused(used, f"create_access_token({data!r})")
    assert claims.get("sub") == data["sub"], (
        f"create_access_token({data!r}): expected sub {data['sub']!r} in the token, got {claims.get('sub')!r}."
    )


def check_port_decodes_with_both(create_access_token: Callable) -> None:
    """Check that python-jose reads the same claims from the token as PyJWT, in non-UTC zones."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for data in token_checks.CLAIM_SETS:
                assert_decodes_with_both(create_access_token, data, zone_name)


def assert_decodes_with_both(create_access_token: Callable, data: dict, zone_name: str) -> None:
    # exp is not verified here: check_port_expiry diagnoses a wrong exp, so one mistake costs one check.
    call = f"create_access_token({data!r}) under a {zone_name} clock"
    recording, tokens = record_tokens(create_access_token)
    pyjwt_claims = token_checks.create_and_decode(recording, copy.deepcopy(data), None)
    try:
        jose_claims = jose_jwt.decode(
            tokens[0], reference.SECRET_KEY, algorithms=[reference.ALGORITHM], options={"verify_exp": False}
        )
    except jose.JOSEError as error:
        raise AssertionError(f"{call}: python-jose cannot decode the token ({type(error).__name__}: {error})") from None
    assert jose_claims == pyjwt_claims, (
        f"{call}: python-jose read the claims {jose_claims!r}, PyJWT read {pyjwt_claims!r}. "
        "Both libraries should read the same claims from one token."
    )


def check_port_expiry(create_access_token: Callable) -> None:
    """Check that exp is now + 15 minutes by default and now + expires_delta otherwise, in non-UTC zones."""
    token_checks.check_token_default_expiry(create_access_token)
    token_checks.check_token_custom_expiry(create_access_token)


def check_port_leaves_data(create_access_token: Callable) -> None:
    """Check that every claim of data reaches the token and that the caller's dict is left unchanged."""
    token_checks.check_token_claims(create_access_token)


# ---------------------------------------------------------------------------
# Part B: decode_access_token
# ---------------------------------------------------------------------------


def sign(library: str, claims: dict, algorithm: str = reference.ALGORITHM, key: str = reference.SECRET_KEY) -> str:
    """Return a token for `claims` made by PyJWT or python-jose, each given a copy because python-jose changes its input."""
    return LIBRARIES[library](dict(claims), key, algorithm=algorithm)


def claims_expiring(seconds_from_now: int, **claims: object) -> dict:
    return {"sub": "alice", **claims, "exp": int(time.time()) + seconds_from_now}


def describe_expiry(seconds_from_now: int) -> str:
    if seconds_from_now >= 0:
        return f"expires in {seconds_from_now} s"
    return f"expired {-seconds_from_now} s ago"


# Each builder yields its cases one by one, so every token is made just before it is decoded.
def valid_cases() -> Iterator[TokenCase]:
    yield TokenCase("a valid PyJWT token for 'alice'", sign("PyJWT", claims_expiring(VALID_FOR)))
    yield TokenCase(
        "a valid python-jose token for 'bob' with a scope claim",
        sign("python-jose", claims_expiring(VALID_FOR, sub="bob", scope="items:read")),
    )
    yield TokenCase(
        "a valid PyJWT token for 'zoë' with nested claims",
        sign("PyJWT", claims_expiring(VALID_FOR, sub="zoë", profile={"roles": ["reader"]})),
    )


def expired_cases() -> Iterator[TokenCase]:
    hint = "PyJWT checks exp by default: look for options={'verify_exp': False}, or a leeway larger than LEEWAY_SECONDS."
    for library in LIBRARIES:
        for offset in (EXPIRED_BEYOND_LEEWAY, EXPIRED_LONG_AGO):
            yield TokenCase(f"a {library} token that {describe_expiry(offset)}", sign(library, claims_expiring(offset)), hint)


def tampered_cases() -> Iterator[TokenCase]:
    hint = "Look for options={'verify_signature': False} or a key other than SECRET_KEY."
    changed = change_subject(sign("PyJWT", claims_expiring(VALID_FOR)))
    yield TokenCase("a PyJWT token whose payload was changed from 'alice' to 'admin'", changed, hint)
    other_key = sign("python-jose", claims_expiring(VALID_FOR), key=OTHER_KEY)
    yield TokenCase("a python-jose token signed with another key", other_key, hint)
    unsigned = sign("PyJWT", claims_expiring(VALID_FOR)).rsplit(".", 1)[0] + "."
    yield TokenCase("a PyJWT token without its signature", unsigned, hint)
    yield TokenCase("the text 'not-a-token'", "not-a-token", hint)


def algorithm_cases() -> Iterator[TokenCase]:
    for library in LIBRARIES:
        for algorithm in ("HS512", "HS384"):
            token = sign(library, claims_expiring(VALID_FOR), algorithm=algorithm)
            yield TokenCase(f"a {library} token signed with {algorithm} and the course key", token, HEADER_ALGORITHM_HINT)
    unsigned = jwt.encode(claims_expiring(VALID_FOR), None, algorithm="none")
    yield TokenCase("a PyJWT token with alg 'none' and no signature", unsigned, HEADER_ALGORITHM_HINT)


def leeway_cases() -> Iterator[TokenCase]:
    past_hint = f"The leeway is LEEWAY_SECONDS = {reference.LEEWAY_SECONDS} s: pass leeway=LEEWAY_SECONDS, not a larger value."
    for library in LIBRARIES:
        yield TokenCase(
            f"a {library} token that {describe_expiry(EXPIRED_WITHIN_LEEWAY)}",
            sign(library, claims_expiring(EXPIRED_WITHIN_LEEWAY)),
        )
        yield TokenCase(
            f"a {library} token that {describe_expiry(EXPIRED_PAST_LEEWAY)}",
            sign(library, claims_expiring(EXPIRED_PAST_LEEWAY)),
            past_hint,
        )


def claim_cases() -> Iterator[TokenCase]:
    future_hint = (
        "PyJWT rejects a token issued or valid only in the future, where python-jose let a future iat pass. "
        "Keep those checks on."
    )
    yield TokenCase("a PyJWT token without exp", sign("PyJWT", {"sub": "alice"}), REQUIRE_HINT)
    yield TokenCase("a python-jose token without exp", sign("python-jose", {"sub": "alice"}), REQUIRE_HINT)
    no_sub = {"scope": "items:read", "exp": int(time.time()) + VALID_FOR}
    yield TokenCase("a PyJWT token without sub", sign("PyJWT", no_sub), "Require sub too: options={'require': ['exp', 'sub']}.")
    future = int(time.time()) + IN_THE_FUTURE
    future_iat = sign("PyJWT", claims_expiring(2 * IN_THE_FUTURE, iat=future))
    yield TokenCase("a PyJWT token whose iat is 1 h in the future", future_iat, future_hint)
    future_nbf = sign("python-jose", claims_expiring(2 * IN_THE_FUTURE, nbf=future))
    yield TokenCase("a python-jose token whose nbf is 1 h in the future", future_nbf, future_hint)


def change_subject(token: str) -> str:
    """Replace the payload with one whose sub is 'admin', keeping the original header and signature."""
    header_part, payload_part, signature_part = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    claims["sub"] = "admin"
    new_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header_part}.{new_payload}.{signature_part}"


def run_decode(decode: Callable, token: str, error_class: type) -> Outcome:
    """Call the learner's decode function once and sort the result into returned, rejected or escaped."""
    try:
        return Outcome(value=call_learner(decode, token))
    except LearnerCodeError as failure:
        cause = failure.__cause__
        if cause is None:
            # A time limit, a NotImplementedError stub or a name that is not a function.
            raise
        return Outcome(error=cause, rejected=isinstance(cause, error_class))


def reference_outcome(token: str) -> Outcome:
    try:
        return Outcome(value=reference.decode_access_token(token))
    except reference.AccessTokenError as error:
        return Outcome(error=error, rejected=True)


def error_chain(error: BaseException | None) -> list[BaseException]:
    """Return the error and every error it was raised from or while handling, innermost last."""
    chain = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def find_in_chain(error: BaseException | None, error_type: type, text: str = "") -> BaseException | None:
    return next((item for item in error_chain(error) if isinstance(item, error_type) and text in str(item)), None)


def diagnose_error(case: TokenCase, actual: Outcome, expected: Outcome) -> str:
    """Name the porting mistake behind an error that the reference did not raise, or that escaped."""
    if find_in_chain(actual.error, jwt.DecodeError, '"algorithms"'):
        return NO_ALGORITHMS_HINT
    if not expected.rejected and find_in_chain(actual.error, jwt.ExpiredSignatureError):
        return LEEWAY_HINT
    if isinstance(actual.error, TypeError) and "leeway" in str(actual.error):
        return "python-jose's decode has no leeway keyword. " + LEEWAY_HINT
    if isinstance(actual.error, KeyError) and "sub" in str(actual.error):
        return "A token without sub must raise AccessTokenError, not KeyError: pass options={'require': ['exp', 'sub']}."
    if not actual.rejected and isinstance(actual.error, jwt.InvalidTokenError):
        return CATCHES_JOSE_HINT
    if not actual.rejected and isinstance(actual.error, jwt.PyJWTError) and case.accepted_hint:
        return case.accepted_hint
    if not actual.rejected:
        return "Raise AccessTokenError for every token you reject, and let no other error escape."
    return "That token is valid: compare your jwt.decode arguments with the python-jose module's."


def diagnose_value(case: TokenCase, actual: Outcome, expected: Outcome) -> str:
    """Name the mistake behind a returned value that differs from the reference's outcome."""
    if isinstance(actual.value, dict):
        return RETURNS_CLAIMS_HINT
    if expected.rejected:
        return case.accepted_hint or "That token must raise AccessTokenError."
    return "Return the token's sub claim as a str."


def assert_outcome(decode: Callable, case: TokenCase, error_class: type, zone_name: str) -> None:
    """Compare the learner's outcome for one token with the reference port's outcome."""
    expected = reference_outcome(case.token)
    actual = run_decode(decode, case.token, error_class)
    if expected.rejected and actual.rejected:
        return
    if not expected.rejected and actual.error is None and actual.value == expected.value:
        return

    expected_text = "AccessTokenError" if expected.rejected else repr(expected.value)
    hint = diagnose_value(case, actual, expected) if actual.error is None else diagnose_error(case, actual, expected)
    raise AssertionError(
        f"decode_access_token({case.description}) under a {zone_name} clock: expected {expected_text}, "
        f"but it {actual.describe()}. {hint}"
    )


def check_table(decode: Callable, error_class: type, build_cases: Callable[[], Iterator[TokenCase]]) -> None:
    """Build the cases anew under each grading time zone and compare every outcome with the reference."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for case in build_cases():
                assert_outcome(decode, case, error_class, zone_name)


def check_decode_valid_tokens(decode_access_token: Callable, error_class: type) -> None:
    """Check that valid tokens from both libraries give their sub, decoded with PyJWT, not python-jose."""
    used: set[str] = set()
    check_table(watch_learner(decode_access_token, used), error_class, valid_cases)
    assert_python_jose_unused(used, "decode_access_token(a valid token)")


def check_decode_expired_tokens(decode_access_token: Callable, error_class: type) -> None:
    """Check that tokens from both libraries that expired beyond the leeway raise AccessTokenError."""
    check_table(decode_access_token, error_class, expired_cases)


def check_decode_tampered_tokens(decode_access_token: Callable, error_class: type) -> None:
    """Check that changed, wrongly signed, unsigned and malformed tokens raise AccessTokenError."""
    check_table(decode_access_token, error_class, tampered_cases)


def check_decode_algorithms(decode_access_token: Callable, error_class: type) -> None:
    """Check that HS384, HS512 and alg 'none' tokens raise AccessTokenError, whichever library made them."""
    check_table(decode_access_token, error_class, algorithm_cases)


def check_decode_leeway(decode_access_token: Callable, error_class: type) -> None:
    """Check that exp gets LEEWAY_SECONDS of leeway: 3 s after exp accepted, 30 s after exp rejected."""
    check_table(decode_access_token, error_class, leeway_cases)


def check_decode_required_claims(decode_access_token: Callable, error_class: type) -> None:
    """Check that tokens without exp or sub, or issued or valid only in the future, raise AccessTokenError."""
    check_table(decode_access_token, error_class, claim_cases)
