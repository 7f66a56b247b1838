"""Checks for notebook 04: `decode_access_token` and `bearer_token`, each compared with the reference.

Each hidden test cell calls one check with the learner's function and the notebook's
AccessTokenError class. The checks build valid and invalid tokens with the reference tools,
give each to the learner's function and to the reference, and expect the same outcome: the
same subject, or AccessTokenError from both. A failed check raises AssertionError whose
message names the input, the expected and actual outcome, and the likely mistake.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from unittest import mock

import jwt
import reference_tokens
import reference_verify as reference

from autograder.learner_calls import GRADING_TIME_ZONES, LearnerCodeError, call_learner, local_time_zone

KEY = reference_tokens.SECRET_KEY
# At least 32 bytes, so PyJWT signs with it without an InsecureKeyLengthWarning.
OTHER_KEY = "not-the-course-key-but-as-long-as-a-real-one-0123456789"
# The message of the TypeError that jwt.decode raises when the server's key is None, for example from an unset
# environment variable.
MISSING_KEY_MESSAGE = "Expected a string or bytes value"

NO_ALGORITHMS_HINT = (
    "jwt.decode raises DecodeError for every token when it gets no algorithms list. Pass algorithms=[ALGORITHM]."
)
EXTRA_CLAIM_HINT = "The course requires exp and sub only: options={'require': ['exp', 'sub']}."
VALID_TOKEN_HINT = "This token is valid: signed with SECRET_KEY and HS256, exp in the future, sub a string."
RETURNS_CLAIMS_HINT = "That is the whole claims dict: return only the subject, claims['sub']."
CATCH_BASE_HINT = (
    "Every invalid token must raise AccessTokenError. Catch jwt.InvalidTokenError, the base class of all "
    "PyJWT token errors: catching only ExpiredSignatureError lets the others escape, and an API then responds "
    "with 500 instead of 401."
)
EXPIRED_HINT = (
    "A token whose exp has passed must be rejected: do not turn off verify_exp or verify_signature in options."
)
EXP_SECOND_HINT = (
    "PyJWT rejects a token from its exp second on, and the course passes no leeway: the same server creates "
    "and verifies its tokens with one clock."
)
VERIFY_OFF_HINT = (
    "The signature was not checked: options={'verify_signature': False} turns off the signature check, "
    "and the exp check with it. Remove it."
)
HEADER_ALGORITHM_HINT = (
    "The accepted algorithms come from the server, algorithms=[ALGORITHM], never from the token's header: "
    "a list read from the header lets whoever made the token choose how it is checked."
)
EXP_REQUIRED_HINT = (
    "PyJWT accepts a token without exp, which never expires, unless exp is required: "
    "pass options={'require': ['exp', 'sub']}."
)
SUB_REQUIRED_HINT = (
    "A token without sub names no user. Require it, options={'require': ['exp', 'sub']}, "
    "so that PyJWT raises MissingRequiredClaimError."
)
CLAIM_CHECKS_HINT = (
    "PyJWT rejects this token unless its claim checks are off: remove options such as "
    "{'verify_signature': False}, which turns them all off."
)
CATCH_ALL_HINT = (
    "`except Exception` makes a bug or a broken server configuration look like an invalid token: "
    "every client gets 401, and the error never reaches the logs. Catch jwt.InvalidTokenError only."
)
NOT_CALLED_HINT = "decode_access_token returned without calling jwt.decode: verify the token with jwt.decode."

CASE_HINT = "The scheme is case-insensitive: 'bearer' and 'BEARER' are Bearer too. Compare scheme.lower() with 'bearer'."
STRIP_HINT = (
    "str.strip('Bearer ') removes any of the characters B, e, a, r and space from both ends, not the word, "
    "and every token PyJWT makes starts with 'e'. Split the scheme off instead."
)
SPACES_HINT = "Several spaces may separate the scheme and the token: strip them from the token."
WHOLE_HEADER_HINT = "That is the whole header value: return only the token after the scheme."
OTHER_SCHEME_HINT = "Only the Bearer scheme carries an access token: raise AccessTokenError for any other value."
EMPTY_TOKEN_HINT = "A header without a token after the scheme must raise AccessTokenError, not return a blank token."
HEADER_ESCAPE_HINT = "Raise AccessTokenError for every header value that does not carry a Bearer token."


@dataclass(frozen=True)
class TokenCase:
    """A token for decode_access_token, how messages name it, and the hint shown when it is accepted."""

    description: str
    token: str
    hint: str = ""


# ---------------------------------------------------------------------------
# Tokens, built with the reference tools
# ---------------------------------------------------------------------------


def now_seconds() -> int:
    return int(datetime.now(timezone.utc).timestamp())


def sign(claims: dict, key: str | None = KEY, algorithm: str = reference_tokens.ALGORITHM) -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def sign_raw_payload(payload: bytes) -> str:
    """Return an HS256 token, signed with the course key, whose payload part encodes `payload` as is."""
    header_part = reference_tokens.encode_json_segment({"alg": "HS256", "typ": "JWT"})
    signing_input = f"{header_part}.{reference_tokens.base64url_encode(payload)}"
    return f"{signing_input}.{reference_tokens.sign_hs256(signing_input.encode('ascii'), KEY.encode())}"


def change_subject(token: str, subject: str) -> str:
    """Return `token` with its payload's sub replaced and the original signature kept."""
    header_part, _, signature_part = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged_payload = reference_tokens.encode_json_segment({**claims, "sub": subject})
    return f"{header_part}.{forged_payload}.{signature_part}"


def valid_cases() -> list[TokenCase]:
    now = now_seconds()
    return [
        TokenCase("a valid token for 'alice'", reference_tokens.create_access_token({"sub": "alice"})),
        TokenCase(
            "a valid token for '42' with scope and admin claims",
            reference_tokens.create_access_token({"sub": "42", "scope": "items:read", "admin": False}, timedelta(minutes=5)),
        ),
        TokenCase("a valid token for 'Zoë' made by python-jose", reference_tokens.create_access_token_jose({"sub": "Zoë"})),
        TokenCase(
            "a valid token for 'ada@example.test' with iat and nbf a minute ago and a float exp",
            sign({"sub": "ada@example.test", "iat": now - 60, "nbf": now - 60, "exp": now + 600.5}),
        ),
    ]


def expired_cases() -> list[TokenCase]:
    return [
        TokenCase(
            "a token for 'alice' that expired an hour ago",
            reference_tokens.create_access_token({"sub": "alice"}, timedelta(hours=-1)),
            EXPIRED_HINT,
        ),
        TokenCase(
            "a token for 'alice' whose exp is this second (expires_delta=timedelta(0))",
            reference_tokens.create_access_token({"sub": "alice"}, timedelta(0)),
            EXP_SECOND_HINT,
        ),
    ]


def forged_cases() -> list[TokenCase]:
    alice_token = reference_tokens.create_access_token({"sub": "alice"})
    header_part, payload_part, _ = alice_token.split(".")
    return [
        TokenCase(
            "a token for 'alice' whose payload was changed to sub 'admin' after signing",
            change_subject(alice_token, "admin"),
            VERIFY_OFF_HINT,
        ),
        TokenCase("a token for 'alice' signed with another key", sign({"sub": "alice", "exp": now_seconds() + 900}, OTHER_KEY), VERIFY_OFF_HINT),
        TokenCase("a token for 'alice' with an empty signature part", f"{header_part}.{payload_part}.", VERIFY_OFF_HINT),
    ]


def algorithm_cases() -> list[TokenCase]:
    claims = {"sub": "admin", "exp": now_seconds() + 900}
    return [
        TokenCase("a token signed with the course key and HS512", sign(claims, algorithm="HS512"), HEADER_ALGORITHM_HINT),
        TokenCase("a token signed with the course key and HS384", sign(claims, algorithm="HS384"), HEADER_ALGORITHM_HINT),
        TokenCase("an unsigned token with alg 'none'", sign(claims, None, algorithm="none"), VERIFY_OFF_HINT),
    ]


def malformed_cases() -> list[TokenCase]:
    header_part, payload_part, _ = reference_tokens.create_access_token({"sub": "alice"}).split(".")
    return [
        TokenCase("the empty string ''", ""),
        TokenCase("the text 'not-a-token'", "not-a-token"),
        TokenCase("the text 'a.b.c'", "a.b.c"),
        TokenCase("a token for 'alice' without its signature part (two parts)", f"{header_part}.{payload_part}"),
        TokenCase("a signed token whose payload is not JSON", sign_raw_payload(b"alice")),
        TokenCase("a signed token whose payload is a JSON list", sign_raw_payload(b'["alice"]')),
    ]


def claim_cases() -> list[TokenCase]:
    now = now_seconds()
    expiry = datetime.now(timezone.utc) + timedelta(minutes=15)
    return [
        TokenCase("a signed token for 'alice' without exp", sign({"sub": "alice"}), EXP_REQUIRED_HINT),
        TokenCase(
            "a signed token with exp but without sub",
            reference_tokens.create_access_token({"scope": "items:read"}),
            SUB_REQUIRED_HINT,
        ),
        TokenCase(
            "a signed token whose sub is the number 42",
            reference_tokens.create_access_token({"sub": 42}),
            CLAIM_CHECKS_HINT,
        ),
        TokenCase(
            "a signed token for 'alice' whose exp is a string",
            sign({"sub": "alice", "exp": str(expiry)}),
            CLAIM_CHECKS_HINT,
        ),
        TokenCase(
            "a signed token for 'alice' whose nbf is an hour from now",
            sign({"sub": "alice", "nbf": now + 3600, "exp": now + 7200}),
            CLAIM_CHECKS_HINT,
        ),
    ]


# ---------------------------------------------------------------------------
# Part A: decode_access_token
# ---------------------------------------------------------------------------


def check_decode_valid_tokens(decode_access_token: Callable, access_token_error: type[Exception]) -> None:
    """Check that valid tokens give their subject as a str, under non-UTC clocks."""
    assert_cases(decode_access_token, access_token_error, valid_cases)


def check_decode_expired_tokens(decode_access_token: Callable, access_token_error: type[Exception]) -> None:
    """Check that tokens from their exp second on raise AccessTokenError, under non-UTC clocks."""
    assert_valid_token_accepted(decode_access_token, access_token_error)
    assert_cases(decode_access_token, access_token_error, expired_cases)


def check_decode_forged_tokens(decode_access_token: Callable, access_token_error: type[Exception]) -> None:
    """Check that changed payloads, other keys and empty signatures raise AccessTokenError."""
    assert_valid_token_accepted(decode_access_token, access_token_error)
    assert_cases(decode_access_token, access_token_error, forged_cases)


def check_decode_other_algorithms(decode_access_token: Callable, access_token_error: type[Exception]) -> None:
    """Check that HS512, HS384 and alg 'none' tokens raise AccessTokenError."""
    assert_valid_token_accepted(decode_access_token, access_token_error)
    assert_cases(decode_access_token, access_token_error, algorithm_cases)


def check_decode_malformed_tokens(decode_access_token: Callable, access_token_error: type[Exception]) -> None:
    """Check that text that is not a well-formed JWT raises AccessTokenError."""
    assert_valid_token_accepted(decode_access_token, access_token_error)
    assert_cases(decode_access_token, access_token_error, malformed_cases)


def check_decode_required_claims(decode_access_token: Callable, access_token_error: type[Exception]) -> None:
    """Check that a missing exp or sub, a non-string sub, a string exp and a future nbf raise AccessTokenError."""
    assert_valid_token_accepted(decode_access_token, access_token_error)
    assert_cases(decode_access_token, access_token_error, claim_cases)


def assert_valid_token_accepted(decode_access_token: Callable, access_token_error: type[Exception]) -> None:
    """Fail when a valid token raises too: rejecting invalid tokens counts only if valid ones pass.

    The value returned is checked by check_decode_valid_tokens, not here.
    """
    call = "decode_access_token given a valid token for 'alice'"
    value, error = call_and_capture(decode_access_token, reference_tokens.create_access_token({"sub": "alice"}))
    if error is not None:
        name = "AccessTokenError" if isinstance(error, access_token_error) else type(error).__name__
        raise AssertionError(
            f"{call}: expected no error, got {name}: {sentence(error)} A function that rejects valid tokens too "
            f"earns nothing for rejecting invalid ones. {explain_rejection(error)}"
        )


def check_decode_lets_other_errors_through(decode_access_token: Callable, access_token_error: type[Exception]) -> None:
    """Check that an error that is not about the token reaches the caller instead of becoming AccessTokenError.

    NOTE: jwt.decode is replaced for the call, so a learner function that imported decode
    under another name before the check runs is reported as not calling jwt.decode.
    """
    token = reference_tokens.create_access_token({"sub": "alice"})
    server_error = TypeError(MISSING_KEY_MESSAGE)
    call = (
        f"decode_access_token given a valid token for 'alice', while jwt.decode raises TypeError({MISSING_KEY_MESSAGE!r}), "
        "as it does when the server's key is None"
    )
    with mock.patch.object(jwt, "decode", side_effect=server_error):
        value, error = call_and_capture(decode_access_token, token)
    expected = "expected that TypeError to reach the caller"
    if error is None:
        raise AssertionError(f"{call}: {expected}, got the return value {value!r}. {NOT_CALLED_HINT}")
    if isinstance(error, access_token_error):
        raise AssertionError(f"{call}: {expected}, got AccessTokenError: {sentence(error)} {CATCH_ALL_HINT}")
    assert server_error in exception_chain(error), f"{call}: {expected}, got {type(error).__name__}: {sentence(error)}"


def assert_cases(decode_access_token: Callable, access_token_error: type[Exception], make_cases: Callable[[], list[TokenCase]]) -> None:
    """Compare the learner's outcome with the reference's on every case, under each grading clock."""
    for zone_name, posix_tz in GRADING_TIME_ZONES.items():
        with local_time_zone(posix_tz):
            for case in make_cases():
                call = f"decode_access_token given {case.description}, under a {zone_name} clock"
                assert_same_outcome(call, case, decode_access_token, access_token_error)


def assert_same_outcome(call: str, case: TokenCase, decode_access_token: Callable, access_token_error: type[Exception]) -> None:
    expected = reference_subject(case.token)
    value, error = call_and_capture(decode_access_token, case.token)
    if expected is None:
        assert_rejected(call, case, value, error, access_token_error, decode_access_token)
    else:
        assert_accepted(call, expected, value, error, access_token_error)


def reference_subject(token: str) -> str | None:
    """Return the reference's subject for `token`, or None when the reference rejects it."""
    try:
        return reference.decode_access_token(token)
    except reference.AccessTokenError:
        return None


def call_and_capture(function: Callable, argument: str) -> tuple[object, BaseException | None]:
    """Call a learner function and return (value, None), or (None, the exception it raised).

    A stub, a time-out or a value that is not a function fails the check at once.
    """
    try:
        return call_learner(function, argument), None
    except LearnerCodeError as failure:
        if failure.__cause__ is None:
            raise
        return None, failure.__cause__


def exception_chain(error: BaseException) -> list[BaseException]:
    """Return `error` and every exception it was raised from or while handling."""
    chain = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


def assert_accepted(call: str, expected: str, value: object, error: BaseException | None, access_token_error: type[Exception]) -> None:
    if error is not None:
        name = "AccessTokenError" if isinstance(error, access_token_error) else type(error).__name__
        raise AssertionError(f"{call}: expected {expected!r}, got {name}: {sentence(error)} {explain_rejection(error)}")
    if isinstance(value, dict):
        raise AssertionError(f"{call}: expected {expected!r}, got the dict {value!r}. {RETURNS_CLAIMS_HINT}")
    assert value == expected and isinstance(value, str), f"{call}: expected {expected!r}, got {value!r}."


def explain_rejection(error: BaseException) -> str:
    """Name the mistake that makes a valid token fail."""
    for link in exception_chain(error):
        if isinstance(link, jwt.DecodeError) and '"algorithms" argument' in str(link):
            return NO_ALGORITHMS_HINT
        if isinstance(link, jwt.MissingRequiredClaimError):
            return EXTRA_CLAIM_HINT
    return VALID_TOKEN_HINT


def assert_rejected(
    call: str,
    case: TokenCase,
    value: object,
    error: BaseException | None,
    access_token_error: type[Exception],
    decode_access_token: Callable,
) -> None:
    if error is None:
        raise AssertionError(
            f"{call}: expected AccessTokenError, got the return value {value!r}. {explain_acceptance(case, decode_access_token)}"
        )
    if isinstance(error, access_token_error):
        return
    raise AssertionError(f"{call}: expected AccessTokenError, got {type(error).__name__}: {sentence(error)} {explain_escape(case, error)}")


def explain_acceptance(case: TokenCase, decode_access_token: Callable) -> str:
    """Name the mistake that lets an invalid token through.

    A token with another algorithm passes when the algorithms list comes from its header, and
    also when signature checks are off. So the learner's function then gets a forged HS256
    token too, and if it accepts that one as well, the signature check is off.
    """
    if case.hint != HEADER_ALGORITHM_HINT:
        return case.hint
    forged = change_subject(reference_tokens.create_access_token({"sub": "alice"}), "admin")
    value, error = call_and_capture(decode_access_token, forged)
    return VERIFY_OFF_HINT if error is None else HEADER_ALGORITHM_HINT


def explain_escape(case: TokenCase, error: BaseException) -> str:
    """Name the mistake that lets an exception other than AccessTokenError out."""
    if isinstance(error, jwt.InvalidKeyError) and "none" in case.description:
        # PyJWT only tries to verify an alg 'none' token when "none" is in the algorithms list.
        return HEADER_ALGORITHM_HINT
    if isinstance(error, jwt.InvalidTokenError):
        return CATCH_BASE_HINT
    if isinstance(error, KeyError) and case.hint == SUB_REQUIRED_HINT:
        return SUB_REQUIRED_HINT
    return "Raise AccessTokenError for every token that must not be accepted."


# ---------------------------------------------------------------------------
# Part B: bearer_token
# ---------------------------------------------------------------------------


def valid_headers() -> list[tuple[str, str]]:
    """Return (Authorization header value, token in it) pairs that must give the token."""
    token = reference_tokens.create_access_token({"sub": "alice"})
    return [
        (f"Bearer {token}", token),
        (f"bearer {token}", token),
        (f"BEARER {token}", token),
        (f"Bearer   {token}", token),
        ("Bearer opaque-token-123", "opaque-token-123"),
    ]


def other_scheme_headers() -> list[str]:
    token = reference_tokens.create_access_token({"sub": "alice"})
    return ["Basic YWxpY2U6c2VjcmV0", f"Token {token}", token, f"Bearer{token}"]


MISSING_TOKEN_HEADERS = ("", "Bearer", "Bearer ", "bearer    ")


def check_bearer_token_valid_headers(bearer_token: Callable, access_token_error: type[Exception]) -> None:
    """Check that the token comes back from 'Bearer <token>' in any letter case and with several spaces."""
    for header, token in valid_headers():
        call = f"bearer_token({shorten(header)!r})"
        value, error = call_and_capture(bearer_token, header)
        if error is not None:
            name = "AccessTokenError" if isinstance(error, access_token_error) else type(error).__name__
            hint = CASE_HINT if not header.startswith("Bearer ") else "This header is valid."
            raise AssertionError(f"{call}: expected {shorten(token)!r}, got {name}: {sentence(error)} {hint}")
        assert value == token, f"{call}: expected {shorten(token)!r}, got {shorten(value)!r}. {explain_wrong_token(header, value)}"


def explain_wrong_token(header: str, value: object) -> str:
    """Name the mistake that returns something other than the token."""
    if value == header:
        return CASE_HINT if not header.startswith("Bearer ") else WHOLE_HEADER_HINT
    if value in (header.strip("Bearer "), header.lstrip("Bearer ")):
        return STRIP_HINT
    if value == "" or (isinstance(value, str) and value.strip() != value):
        return SPACES_HINT
    return "Return the text after the scheme and the spaces that follow it."


def check_bearer_token_other_schemes(bearer_token: Callable, access_token_error: type[Exception]) -> None:
    """Check that another scheme, a token without a scheme, or no space after Bearer raises AccessTokenError."""
    assert_valid_header_accepted(bearer_token, access_token_error)
    assert_headers_rejected(bearer_token, access_token_error, other_scheme_headers(), OTHER_SCHEME_HINT)


def check_bearer_token_missing_token(bearer_token: Callable, access_token_error: type[Exception]) -> None:
    """Check that an empty header value, or 'Bearer' without a token, raises AccessTokenError."""
    assert_valid_header_accepted(bearer_token, access_token_error)
    assert_headers_rejected(bearer_token, access_token_error, list(MISSING_TOKEN_HEADERS), EMPTY_TOKEN_HINT)


def assert_valid_header_accepted(bearer_token: Callable, access_token_error: type[Exception]) -> None:
    """Fail when a valid header raises too: rejecting invalid headers counts only if valid ones pass."""
    header = "Bearer opaque-token-123"
    value, error = call_and_capture(bearer_token, header)
    if error is not None:
        name = "AccessTokenError" if isinstance(error, access_token_error) else type(error).__name__
        raise AssertionError(
            f"bearer_token({header!r}): expected 'opaque-token-123', got {name}: {sentence(error)} A function that rejects "
            "valid headers too earns nothing for rejecting invalid ones."
        )


def assert_headers_rejected(bearer_token: Callable, access_token_error: type[Exception], headers: list[str], hint: str) -> None:
    for header in headers:
        call = f"bearer_token({shorten(header)!r})"
        value, error = call_and_capture(bearer_token, header)
        if error is None:
            raise AssertionError(f"{call}: expected AccessTokenError, got the return value {shorten(value)!r}. {hint}")
        if not isinstance(error, access_token_error):
            raise AssertionError(f"{call}: expected AccessTokenError, got {type(error).__name__}: {sentence(error)} {HEADER_ESCAPE_HINT}")


def sentence(error: BaseException) -> str:
    """Return an exception's message ending in exactly one period, to be followed by a hint."""
    return str(error).rstrip(".") + "."


def shorten(value: object, length: int = 30) -> object:
    """Cut a long str to its first `length` characters for messages. Other values pass unchanged."""
    if isinstance(value, str) and len(value) > length:
        return value[:length] + "..."
    return value
