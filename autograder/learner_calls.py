"""Run learner functions under the conditions the grader needs: a time limit and a non-UTC clock."""

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

CALL_TIME_LIMIT_SECONDS = 5

# POSIX TZ strings need no time zone database, so a machine without tzdata still grades in
# these zones. A naive local datetime is off by the zone's UTC offset, so each zone exposes it.
GRADING_TIME_ZONES = {
    "UTC-5 (like America/New_York in winter)": "EST+5",
    "UTC+5:30 (like Asia/Kolkata)": "IST-5:30",
}


class LearnerCodeError(AssertionError):
    """Raised when learner code raises, runs past the time limit, or is not a function.

    It subclasses AssertionError, so code that expects a failed check catches it with the others.
    """


@contextmanager
def local_time_zone(posix_tz: str) -> Iterator[None]:
    """Set the process time zone to `posix_tz` for the duration of the block."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = posix_tz
    time.tzset()
    try:
        if time.localtime().tm_gmtoff == 0:
            raise RuntimeError(f"TZ={posix_tz!r} did not change the local UTC offset. Grading needs a non-UTC zone.")
        yield
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()


def utc_offset_seconds() -> int:
    """Return the current local UTC offset in seconds (negative west of Greenwich)."""
    return time.localtime().tm_gmtoff


@contextmanager
def time_limit(seconds: float, description: str) -> Iterator[None]:
    """Raise LearnerCodeError if the block runs longer than `seconds`.

    SIGALRM only works in the main thread; elsewhere the block runs without a limit and
    nbgrader's per-cell timeout is the only guard.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise LearnerCodeError(
            f"{description} did not return within {seconds} s. Look for a loop that never ends."
        )

    previous_handler = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)


def call_learner(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a learner function under the time limit and turn any exception into a named failure."""
    call = describe_call(function, args, kwargs)
    if not callable(function):
        raise LearnerCodeError(f"expected a function, but found {type(function).__name__}: {function!r}")
    with time_limit(CALL_TIME_LIMIT_SECONDS, call):
        try:
            return function(*args, **kwargs)
        except NotImplementedError:
            raise LearnerCodeError(
                f"{call} raised NotImplementedError: replace `raise NotImplementedError()` with your code."
            ) from None
        except LearnerCodeError:
            raise
        except Exception as error:
            raise LearnerCodeError(f"{call} raised {type(error).__name__}: {error}") from error


def describe_call(function: Callable[..., Any], args: tuple, kwargs: dict) -> str:
    """Return `name(arg, key=value)` as the learner would have written the call."""
    name = getattr(function, "__name__", "function")
    parts = [format_argument(arg) for arg in args]
    parts += [f"{key}={format_argument(value)}" for key, value in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def format_argument(value: Any) -> str:
    """Return the repr of an argument, with timedeltas written as a learner writes them."""
    if not isinstance(value, timedelta):
        return repr(value)
    seconds = int(value.total_seconds())
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds and seconds % size == 0:
            return f"timedelta({unit}={seconds // size})"
    return f"timedelta(seconds={seconds})" if seconds else "timedelta(0)"
