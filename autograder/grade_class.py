"""Grade a whole class with nbgrader's autograde, in parallel, resumably, with a class report.

    python -m autograder.grade_class 02-create-access-token [--course-root DIR] [--zip EXPORT.zip]
        [--workers N] [--db-url URL] [--student ID ...] [--force]

The course folder (default: this repository) has nbgrader's usual layout: the source notebooks
in solutions/, the learner copies in notebooks/ and the submissions in submitted/<student>/<assignment>/.
With --zip, the submissions first come out of the zip file that Canvas or Moodle exports.

Each submission is graded by nbgrader's own Autograde and GenerateFeedback applications, through
nbgrader's Python API, in a pool of worker processes (default: one per core). All workers write
into one gradebook: SQLite by default, or any SQLAlchemy URL nbgrader accepts (PostgreSQL too).

A finished submission gets a fingerprint file in its autograded folder. A rerun, after Ctrl-C or a
killed process, skips every submission whose files and source notebook still match the fingerprint,
and grades the rest; nbgrader replaces a regraded submission's grades, so none is lost or doubled.
--student regrades the named students even when nothing changed.

Outputs, under <course-root>/reports/: nbgrader's grades CSV (`nbgrader export`), a CSV for an LMS
gradebook import and an HTML class report. Each submission's nbgrader log is written to
<course-root>/logs/grading/<assignment>/<student>.log, and the run's log to
<course-root>/logs/grading/<assignment>.log.
"""

import argparse
import fcntl
import hashlib
import logging
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.quiz import EXPLANATIONS_VARIABLE

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_FILE = REPO_ROOT / "autograder" / "nbgrader_config.py"
FINGERPRINT_FILE = ".grading-fingerprint"
# SQLite makes a writer wait this many seconds for another worker's transaction before it fails.
SQLITE_BUSY_TIMEOUT_SECONDS = 120
PROGRESS_BAR_WIDTH = 30
# A terminal's progress line is redrawn this often, so the elapsed time moves between results.
PROGRESS_REFRESH_SECONDS = 1
EXIT_SOME_NOT_GRADED = 2
EXIT_INTERRUPTED = 130
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
# nbgrader's OverwriteCells logs this for each locked cell it restores; the course's subclass
# logs it only for cells the learner really changed.
CHANGED_CELL = re.compile(r"Attribute '\w+' for cell (?P<grade_id>\S+) has changed!")
# nbgrader's collect copies this file from the exchange, and release_feedback needs it.
EXCHANGE_SECRET_FILE = "submission_secret.txt"
# Grading workers set this environment variable to "1", and the kernels they start inherit it.
# check_notebook in autograder/self_check.py reads it to skip a self-check during grading.
GRADING_VARIABLE = "JWT_COURSE_GRADING"
# nbgrader 0.9.6 ends a failed conversion with a generic exception whose message ends in these words.
# The traceback that names the failure is in the log lines before it.
NBGRADER_SEE_ABOVE = "for details on the specific errors on the above failures"
EXCEPTION_LINE = re.compile(r"^\s*[\w.]*(?:Error|Exception): ")

log = logging.getLogger("grade_class")


@dataclass
class GradingJob:
    """The inputs a worker process needs to grade one submission."""

    course_root: Path
    assignment: str
    student: str
    db_url: str
    fingerprint: str
    run_log: Path


@dataclass
class GradingResult:
    """The outcome of grading one submission."""

    student: str
    graded: bool
    seconds: float
    score: float | None = None
    max_score: float | None = None
    error: str = ""
    log_path: Path | None = None
    changed_cells: list[str] = field(default_factory=list)


def default_db_url(course_root: Path) -> str:
    """Return the SQLite gradebook URL nbgrader uses for a course, with a long busy timeout."""
    return f"sqlite:///{course_root / 'gradebook.db'}?timeout={SQLITE_BUSY_TIMEOUT_SECONDS}"


def submission_folder(course_root: Path, assignment: str, student: str) -> Path:
    return course_root / "submitted" / student / assignment


def autograded_folder(course_root: Path, assignment: str, student: str) -> Path:
    return course_root / "autograded" / student / assignment


def log_folder(course_root: Path, assignment: str) -> Path:
    return course_root / "logs" / "grading" / assignment


def list_submitted_students(course_root: Path, assignment: str) -> list[str]:
    """Return every student with a submission folder for the assignment, sorted."""
    submitted = course_root / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(path.parent.name for path in submitted.glob(f"*/{assignment}") if path.is_dir())


def hash_folder(digest: "hashlib._Hash", folder: Path) -> None:
    """Add every file's relative path and bytes under `folder` to `digest`, in a stable order."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and ".ipynb_checkpoints" not in path.parts:
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")


def compute_fingerprint(course_root: Path, assignment: str, student: str) -> str:
    """Return a digest of the submission's files and the assignment's source notebooks."""
    digest = hashlib.sha256()
    hash_folder(digest, submission_folder(course_root, assignment, student))
    digest.update(b"source\0")
    hash_folder(digest, course_root / "solutions" / assignment)
    return digest.hexdigest()


def is_up_to_date(course_root: Path, assignment: str, student: str, fingerprint: str) -> bool:
    """Tell whether this exact submission was already graded to the end."""
    marker = autograded_folder(course_root, assignment, student) / FINGERPRINT_FILE
    return marker.is_file() and marker.read_text().strip() == fingerprint


def load_course_config(course_root: Path, db_url: str):
    """Return the course's nbgrader configuration, pointed at `course_root` and `db_url`."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()
    config.CourseDirectory.root = str(course_root)
    config.CourseDirectory.db_url = db_url
    return config


def make_api(course_root: Path, db_url: str):
    """Return nbgrader's Python API for the course."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = load_course_config(course_root, db_url)
    return NbGraderAPI(CourseDirectory(config=config), config=config)


_worker_apis: dict[tuple[Path, str], object] = {}


# Open lock files stay referenced here, because closing one would release its lock.
_held_locks: list = []


def take_run_lock(lock_path: Path, shared: bool) -> None:
    """Hold the run lock until this process ends: exclusive for a new run, shared for its workers.

    A run takes the lock exclusively, so a second run on the same assignment waits, then shares it
    with its workers. Workers left over from a killed run keep their shared lock while they finish
    their submission, so a rerun started at once waits for them instead of grading it twice.
    """
    lock_file = lock_path.open("a")
    _held_locks.append(lock_file)
    if shared:
        fcntl.flock(lock_file, fcntl.LOCK_SH)
        return
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"Waiting for another grading run of this assignment, or its workers, to finish ({lock_path}).", file=sys.stderr)
        fcntl.flock(lock_file, fcntl.LOCK_EX)
    fcntl.flock(lock_file, fcntl.LOCK_SH)


def start_worker(stderr_path: Path, lock_path: Path) -> None:
    """Prepare a worker: leave Ctrl-C to the parent, share the run lock, mark the process and its
    kernels as grading (GRADING_VARIABLE), and send their stderr to a file.

    Every kernel that nbgrader starts prints ipykernel's warning about TCP without encryption to the
    stderr it inherits, which would bury the progress bar. The file keeps it and any crash message.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ[GRADING_VARIABLE] = "1"
    take_run_lock(lock_path, shared=True)
    stderr_file = stderr_path.open("a")
    os.dup2(stderr_file.fileno(), sys.stderr.fileno())


def attach_run_log(run_log: Path) -> None:
    """Send this worker's log lines to the run's log file, once."""
    if not any(getattr(handler, "baseFilename", None) == str(run_log) for handler in log.handlers):
        handler = logging.FileHandler(run_log)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        log.addHandler(handler)
        log.setLevel(logging.INFO)


def worker_api(course_root: Path, db_url: str):
    """Return this worker's API object, made once per course."""
    key = (course_root, db_url)
    if key not in _worker_apis:
        _worker_apis[key] = make_api(course_root, db_url)
    return _worker_apis[key]


def write_submission_log(path: Path, student: str, results: list[tuple[str, dict]]) -> None:
    """Write nbgrader's captured log and any traceback of each step for one submission."""
    lines = [f"# nbgrader log for {student}"]
    for step, result in results:
        lines.append(f"\n## {step}: {'succeeded' if result['success'] else 'failed'}")
        lines.append(result.get("log", "").rstrip())
        if result.get("error"):
            lines.append(result["error"].rstrip())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def summarize_error(result: dict) -> str:
    """Return the exception line that names the failure, from nbgrader's traceback or else its log.

    nbgrader's generic "see the above traceback" exception is skipped, so a notebook that is not
    JSON is reported as nbformat's NotJSONError. Without an exception line, the last line is used.
    """
    texts = (result.get("error", ""), result.get("log", ""))
    for text in texts:
        exceptions = [line.strip() for line in text.splitlines() if EXCEPTION_LINE.match(line) and NBGRADER_SEE_ABOVE not in line]
        if exceptions:
            return exceptions[-1]
    for text in texts:
        lines = [line for line in text.strip().splitlines() if line.strip()]
        if lines:
            return lines[-1].strip()
    return "nbgrader reported a failure without a message"


def read_score(db_url: str, assignment: str, student: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        return submission.score, submission.max_score


def grade_submission(job: GradingJob) -> GradingResult:
    """Autograde one submission and write its feedback; runs in a worker process."""
    started = time.monotonic()
    attach_run_log(job.run_log)
    log.info("started %s in worker %d", job.student, os.getpid())
    log_path = log_folder(job.course_root, job.assignment) / f"{job.student}.log"
    api = worker_api(job.course_root, job.db_url)
    steps = [("autograde", api.autograde(job.assignment, job.student, force=True, create=True))]
    if steps[-1][1]["success"]:
        steps.append(("generate_feedback", api.generate_feedback(job.assignment, job.student, force=True)))
    write_submission_log(log_path, job.student, steps)

    failed = [result for _, result in steps if not result["success"]]
    if failed:
        return GradingResult(job.student, False, time.monotonic() - started, error=summarize_error(failed[0]), log_path=log_path)
    score, max_score = read_score(job.db_url, job.assignment, job.student)
    changed_cells = sorted(set(CHANGED_CELL.findall(steps[0][1].get("log", ""))))
    # The fingerprint is written last: a submission interrupted before this line is graded again.
    marker = autograded_folder(job.course_root, job.assignment, job.student) / FINGERPRINT_FILE
    marker.write_text(job.fingerprint + "\n")
    return GradingResult(
        job.student, True, time.monotonic() - started, score, max_score, log_path=log_path, changed_cells=changed_cells
    )


def ensure_assignment_in_gradebook(course_root: Path, assignment: str, db_url: str) -> None:
    """Run generate_assignment when the gradebook does not know the assignment yet.

    Autograde restores locked cells and hidden tests from the gradebook, so it needs the
    assignment's source cells there. generate_assignment stores them, and it also rewrites the
    identical learner copies in notebooks/.
    """
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gradebook:
        try:
            notebooks = gradebook.find_assignment(assignment).notebooks
        except MissingEntry:
            notebooks = []
    if notebooks:
        return
    if not (course_root / "solutions" / assignment).is_dir():
        raise SystemExit(f"error: no source notebooks for {assignment!r} in {course_root / 'solutions'}")
    log.info("storing %s in the gradebook with nbgrader generate_assignment", assignment)
    result = make_api(course_root, db_url).generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise SystemExit(f"error: nbgrader generate_assignment {assignment} failed:\n{result.get('error') or result.get('log')}")


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def format_duration(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}:{seconds:02d}"


class ProgressBar:
    """A one-line progress display with counts and an ETA; one line per update when not a terminal."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total = total
        self.done = 0
        self.failed = 0
        self.started = time.monotonic()
        self.stream = stream
        self.interactive = stream.isatty()

    def render(self) -> str:
        elapsed = time.monotonic() - self.started
        filled = PROGRESS_BAR_WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (PROGRESS_BAR_WIDTH - filled)
        eta = format_duration(elapsed / self.done * (self.total - self.done)) if self.done else "?"
        return (
            f"[{bar}] {self.done}/{self.total} done: {self.done - self.failed} graded, {self.failed} not graded, "
            f"{format_duration(elapsed)} elapsed, ETA {eta}"
        )

    def update(self, result: GradingResult, message: str) -> None:
        self.done += 1
        self.failed += not result.graded
        if self.interactive:
            self.stream.write(f"\r\033[K{message}\n{self.render()}")
        else:
            self.stream.write(f"{message}\n{self.render()}\n")
        self.stream.flush()

    def refresh(self) -> None:
        if self.interactive:
            self.stream.write(f"\r\033[K{self.render()}")
            self.stream.flush()

    def start(self) -> None:
        self.stream.write(self.render() + ("" if self.interactive else "\n"))
        self.stream.flush()

    def finish(self) -> None:
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()


def describe_result(result: GradingResult) -> str:
    if result.graded:
        message = f"graded {result.student}: {result.score:g} / {result.max_score:g} in {result.seconds:.1f} s"
        if result.changed_cells:
            message += f"; edited locked cells restored before grading: {', '.join(result.changed_cells)}"
        return message
    return f"NOT GRADED {result.student}: {result.error} (log: {result.log_path})"


def run_pool(jobs: list[GradingJob], workers: int, stderr_path: Path, lock_path: Path) -> list[GradingResult]:
    """Grade the jobs in a pool of worker processes, showing progress; Ctrl-C stops the pool."""
    results = []
    progress = ProgressBar(len(jobs))
    progress.start()
    # spawn gives every worker a fresh interpreter, so no gradebook connection crosses a fork.
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(workers, initializer=start_worker, initargs=(stderr_path, lock_path))
    try:
        pending = pool.imap_unordered(grade_submission, jobs)
        while len(results) < len(jobs):
            try:
                result = pending.next(timeout=PROGRESS_REFRESH_SECONDS)
            except multiprocessing.TimeoutError:
                progress.refresh()
                continue
            message = describe_result(result)
            (log.info if result.graded else log.error)(message)
            progress.update(result, message)
            results.append(result)
        pool.close()
    except KeyboardInterrupt:
        pool.terminate()
        progress.finish()
        graded = sum(result.graded for result in results)
        log.warning("interrupted after %d of %d submissions", graded, len(jobs))
        print(
            f"\nInterrupted: {graded} of {len(jobs)} submissions graded and kept. "
            "Run the same command again to grade the rest.",
            file=sys.stderr,
        )
        raise
    finally:
        pool.join()
    progress.finish()
    return results


def export_grades_csv(course_root: Path, db_url: str, path: Path) -> None:
    """Write the grades CSV with nbgrader's own `nbgrader export` command."""
    command = [
        sys.executable, "-m", "nbgrader", "export", f"--to={path}",
        f"--CourseDirectory.root={course_root}", f"--CourseDirectory.db_url={db_url}",
    ]
    # The working directory is the repository root, where nbgrader finds nbgrader_config.py.
    completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"nbgrader export failed with exit code {completed.returncode}:\n{completed.stderr[-2000:]}")


def write_reports(course_root: Path, assignment: str, db_url: str) -> dict[str, Path]:
    """Write nbgrader's grades CSV, the LMS CSV and the HTML class report; return their paths."""
    from autograder.class_report import read_class_results, write_class_report, write_lms_csv

    reports = course_root / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    paths = {
        "nbgrader grades CSV": reports / "grades.csv",
        "LMS import CSV": reports / f"{assignment}-lms.csv",
        "class report": reports / f"{assignment}-report.html",
    }
    export_grades_csv(course_root, db_url, paths["nbgrader grades CSV"])
    results = read_class_results(course_root, assignment, db_url)
    write_lms_csv(results, paths["LMS import CSV"])
    write_class_report(results, paths["class report"])
    return paths


def plan_jobs(
    course_root: Path, assignment: str, db_url: str, students: list[str], force: bool, run_log: Path
) -> tuple[list[GradingJob], list[str]]:
    """Return the submissions to grade and the students skipped because nothing changed."""
    jobs, unchanged = [], []
    for student in students:
        fingerprint = compute_fingerprint(course_root, assignment, student)
        if not force and is_up_to_date(course_root, assignment, student, fingerprint):
            unchanged.append(student)
        else:
            jobs.append(GradingJob(course_root, assignment, student, db_url, fingerprint, run_log))
    return jobs, unchanged


def select_students(course_root: Path, assignment: str, requested: list[str] | None) -> list[str]:
    """Return the students to consider: all submitted ones, or the requested ones that submitted."""
    submitted = list_submitted_students(course_root, assignment)
    if not requested:
        return submitted
    missing = [student for student in requested if student not in submitted]
    if missing:
        folder = course_root / "submitted"
        raise SystemExit(f"error: no submission of {assignment} in {folder} for {', '.join(missing)}")
    return requested


def take_in_zip(zip_path: Path, course_root: Path, assignment: str) -> None:
    """Place the notebooks of an LMS export into submitted/ and print what was not used, and why."""
    from autograder.lms_zip import IntakeError, collect_lms_zip

    try:
        report = collect_lms_zip(zip_path, course_root, assignment)
    except IntakeError as error:
        raise SystemExit(f"error: {error}") from error
    for line in report.lines():
        print(line)


def configure_logging(course_root: Path, assignment: str) -> Path:
    """Send this run's log lines to <course>/logs/grading/<assignment>.log."""
    path = log_folder(course_root, assignment).with_suffix(".log")
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


def report_submissions_outside_exchange(course_root: Path, assignment: str, students: list[str]) -> None:
    """Say which submissions nbgrader's release_feedback cannot return, and what to do instead.

    nbgrader 0.9.6's release_feedback needs the timestamp.txt and submission_secret.txt that
    `nbgrader collect` brings from the exchange, and stops for the whole class at the first
    submission without them, such as one taken from an LMS zip or placed by hand.
    """
    outside = [
        student for student in students
        if not (submission_folder(course_root, assignment, student) / EXCHANGE_SECRET_FILE).exists()
    ]
    if not outside:
        return
    print(
        f"\n{count(len(outside), 'submission')} did not come through nbgrader's exchange, so "
        "`nbgrader release_feedback` cannot return their feedback (it stops at the first one). "
        f"Send each learner feedback/<student>/{assignment}/*.html through your LMS instead, and run "
        "release_feedback with --student for the others.",
        file=sys.stderr,
    )
    log.info("submissions without the exchange's %s: %s", EXCHANGE_SECRET_FILE, ", ".join(outside))


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", help="assignment to grade, e.g. 02-create-access-token")
    parser.add_argument("--course-root", type=Path, default=REPO_ROOT, help="nbgrader course folder (default: this repository)")
    parser.add_argument("--zip", type=Path, help="zip file of submissions exported by Canvas or Moodle, taken in first")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)), help="worker processes (default: one per core)")
    parser.add_argument("--db-url", help="gradebook URL, e.g. postgresql+psycopg://user@host/db (default: SQLite gradebook.db in the course folder)")
    parser.add_argument("--student", action="append", help="grade only this student, even if already graded (repeatable)")
    parser.add_argument("--force", action="store_true", help="regrade every submission, even unchanged ones")
    parser.add_argument("--no-reports", action="store_true", help="skip the CSV files and the class report")
    arguments = parser.parse_args(argv)
    if arguments.workers < 1:
        parser.error(f"--workers must be 1 or more, got {arguments.workers}")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    # nbgrader's Gradebook runs `alembic` from PATH when it creates a gradebook, here and in the
    # workers, so the interpreter's folder goes first even when the environment is not activated.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # Grading kernels inherit the environment, and with this variable set the quiz checks would put
    # the key's hints and explanations into the feedback that learners get before the deadline.
    os.environ.pop(EXPLANATIONS_VARIABLE, None)
    course_root = arguments.course_root.resolve()
    assignment = arguments.assignment
    db_url = arguments.db_url or default_db_url(course_root)
    run_log = configure_logging(course_root, assignment)

    lock_path = log_folder(course_root, assignment).with_suffix(".lock")
    take_run_lock(lock_path, shared=False)
    if arguments.zip:
        take_in_zip(arguments.zip.resolve(), course_root, assignment)
    students = select_students(course_root, assignment, arguments.student)
    if not students:
        print(f"No submissions of {assignment} in {course_root / 'submitted'}.", file=sys.stderr)
        return EXIT_SOME_NOT_GRADED
    ensure_assignment_in_gradebook(course_root, assignment, db_url)

    force = arguments.force or bool(arguments.student)
    jobs, unchanged = plan_jobs(course_root, assignment, db_url, students, force, run_log)
    workers = min(arguments.workers, max(len(jobs), 1))
    print(
        f"{assignment}: {count(len(students), 'submission')}, {len(unchanged)} already graded and unchanged, "
        f"{len(jobs)} to grade with {count(workers, 'worker')}.",
        file=sys.stderr,
    )
    log.info("run started: %d to grade, %d unchanged, %d workers, gradebook %s", len(jobs), len(unchanged), workers, db_url)
    try:
        stderr_path = log_folder(course_root, assignment).with_name(f"{assignment}-workers-stderr.log")
        stderr_path.parent.mkdir(parents=True, exist_ok=True)
        results = run_pool(jobs, workers, stderr_path, lock_path) if jobs else []
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED

    not_graded = [result for result in results if not result.graded]
    report_submissions_outside_exchange(course_root, assignment, students)
    edited = [result for result in results if result.changed_cells]
    if edited:
        print(f"\n{count(len(edited), 'submission')} had edited locked cells, restored before grading:", file=sys.stderr)
        for result in sorted(edited, key=lambda result: result.student):
            print(f"  {result.student}: {', '.join(result.changed_cells)}", file=sys.stderr)
    if not arguments.no_reports:
        for name, path in write_reports(course_root, assignment, db_url).items():
            print(f"{name}: {path}")
    print(f"run log: {run_log}")
    if not_graded:
        print(f"\n{count(len(not_graded), 'submission')} not graded. The log of each gives the error:", file=sys.stderr)
        for result in sorted(not_graded, key=lambda result: result.student):
            print(f"  {result.student}: {result.error}\n    {result.log_path}", file=sys.stderr)
        return EXIT_SOME_NOT_GRADED
    return 0


if __name__ == "__main__":
    sys.exit(main())
