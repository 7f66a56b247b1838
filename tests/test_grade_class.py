"""The instructor's grading command, `python -m autograder.grade_class`, run as a subprocess.

Every test builds a course in a temporary folder from solutions/ and the sample students of
notebook 02 in autograder/sample_submissions/, as autograder/round_trip.py does. The command then
grades it with real nbgrader, real kernels and a real gradebook: SQLite, or PostgreSQL from the
fixture in tests/postgres_server.py. The sample whose code never returns is left out because it
alone costs about 50 s.
"""

import fcntl
import hashlib
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder import round_trip

ASSIGNMENT = "02-create-access-token"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
COURSE_ID = "jwt-fastapi"
# Four different scores (12, 0, 7 and 5 of 12), so a score given to the wrong student shows.
CLASS_STUDENTS = ("reference-solution", "blank", "naive-local-time", "syntax-error")
WORKERS = "2"
COMMAND_TIMEOUT_SECONDS = 300
# A worker of a killed command still finishes its current submission, which took up to about 20 s on a busy
# 2-core machine.
WORKER_EXIT_TIMEOUT_SECONDS = 120
VENV_BIN = str(Path(sys.executable).parent)

# Long enough for the command to start and reach the lock, which takes about a second.
LOCK_WAIT_SECONDS = 5
RESULT_LINE = re.compile(r"^graded (?P<student>\S+): (?P<score>[\d.]+) / (?P<max_score>[\d.]+) in ", re.MULTILINE)
NOT_GRADED_LINE = re.compile(r"^NOT GRADED (?P<student>\S+): (?P<message>.*)$", re.MULTILINE)
PLAN_LINE = re.compile(r"(?P<unchanged>\d+) already graded and unchanged, (?P<to_grade>\d+) to grade")
PROGRESS_LINE = re.compile(r"^\[[#.]+\] (?P<done>\d+)/(?P<total>\d+) done", re.MULTILINE)


# Building courses


def expected_scores() -> dict[str, float]:
    return {student: float(sample["expected_score"]) for student, sample in round_trip.load_samples(ASSIGNMENT).items()}


def build_course(course_root: Path, students: tuple[str, ...]) -> Path:
    """Create a course with the source and learner notebooks and the named sample students' submissions.

    The gradebook is left out, because the command runs generate_assignment itself when the
    gradebook lacks the assignment.
    """
    shutil.copytree(round_trip.SOURCE_ROOT / ASSIGNMENT, course_root / "solutions" / ASSIGNMENT)
    shutil.copytree(round_trip.REPO_ROOT / "notebooks" / ASSIGNMENT, course_root / "notebooks" / ASSIGNMENT)
    samples = round_trip.load_samples(ASSIGNMENT)
    round_trip.submit_samples(course_root, ASSIGNMENT, {student: samples[student] for student in students})
    return course_root


def sqlite_url(course_root: Path) -> str:
    return f"sqlite:///{course_root / 'gradebook.db'}"


def submitted_notebook(course_root: Path, student: str) -> Path:
    return course_root / "submitted" / student / ASSIGNMENT / NOTEBOOK


def autograded_notebook(course_root: Path, student: str) -> Path:
    return course_root / "autograded" / student / ASSIGNMENT / NOTEBOOK


def fingerprinted_students(course_root: Path) -> set[str]:
    """Return the students whose autograded folder has the command's fingerprint file."""
    return {path.parts[-3] for path in (course_root / "autograded").glob(f"*/{ASSIGNMENT}/.grading-fingerprint")}


# Running the command


def command_environment() -> dict[str, str]:
    """Return the environment of an instructor who runs .venv/bin/python without activating the environment.

    The virtual environment's bin folder is taken off PATH, so the command must find nbgrader's
    `alembic` by itself when it creates a new gradebook.
    """
    environment = dict(os.environ)
    folders = environment.get("PATH", "").split(os.pathsep)
    environment["PATH"] = os.pathsep.join(folder for folder in folders if folder != VENV_BIN)
    # Kernels import the reference modules from solutions/, where a __pycache__ folder would show up as an assignment.
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


def grade_class_command(course_root: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "autograder.grade_class", ASSIGNMENT, f"--course-root={course_root}", *arguments]


def run_grade_class(course_root: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run the command to the end from the course folder and capture stdout and stderr."""
    return subprocess.run(
        grade_class_command(course_root, *arguments),
        cwd=course_root,
        env=command_environment(),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )


def describe_run(completed: subprocess.CompletedProcess) -> str:
    """Return the exit code and the output, for assert messages."""
    return f"exit code {completed.returncode}\n--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}"


def graded_students(output: str) -> list[str]:
    return [match["student"] for match in RESULT_LINE.finditer(output)]


def read_plan(output: str) -> tuple[int, int]:
    """Return the counts of unchanged submissions and submissions to grade that the command announced."""
    match = PLAN_LINE.search(output)
    assert match, f"the command did not announce what it grades:\n{output}"
    return int(match["unchanged"]), int(match["to_grade"])


class RunningGradeClass:
    """The command started in its own process group, with its merged output read line by line in a thread."""

    def __init__(self, course_root: Path, *arguments: str):
        self.process = subprocess.Popen(
            grade_class_command(course_root, *arguments),
            cwd=course_root,
            env=command_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self.read_output, daemon=True)
        self.reader.start()

    def __enter__(self) -> "RunningGradeClass":
        return self

    def __exit__(self, *exception_info) -> None:
        """Stop the command's process group when a failed test leaves it running."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def read_output(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for_first_result(self) -> str:
        """Return the student of the first "graded" line, or fail when none appears in time."""
        deadline = time.monotonic() + COMMAND_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.process.poll() is not None:
                    returncode = self.wait()
                    pytest.fail(f"the command exited with code {returncode} before its first result:\n{self.text()}")
                continue
            self.output.append(line)
            match = RESULT_LINE.match(line)
            if match:
                return match["student"]
        pytest.fail(f"no result line within {COMMAND_TIMEOUT_SECONDS} s:\n{self.text()}")

    def wait(self) -> int:
        """Wait until the command exits and its output closes, and return the exit code."""
        returncode = self.process.wait(timeout=COMMAND_TIMEOUT_SECONDS)
        self.reader.join(timeout=WORKER_EXIT_TIMEOUT_SECONDS)
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return returncode

    def text(self) -> str:
        return "".join(self.output)


@dataclass(frozen=True)
class ProcessIdentity:
    """A process id with the start time from /proc, so a reused id is not mistaken for the same process."""

    pid: int
    start_ticks: int


def read_proc_stat(pid: int) -> list[str] | None:
    """Return the fields of /proc/<pid>/stat after the command name, or None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may itself contain spaces or parentheses.
    return text[text.rindex(")") + 2:].split()


def child_processes(parent_pid: int) -> list[ProcessIdentity]:
    """Return the processes whose parent is `parent_pid` (fields 4 and 22 of /proc/<pid>/stat)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = read_proc_stat(int(entry.name))
        if fields and int(fields[1]) == parent_pid:
            children.append(ProcessIdentity(int(entry.name), int(fields[19])))
    return children


def has_ended(process: ProcessIdentity) -> bool:
    """Tell whether the process is gone, a zombie, or its id now belongs to a later process."""
    fields = read_proc_stat(process.pid)
    return fields is None or fields[0] == "Z" or int(fields[19]) != process.start_ticks


def wait_for_exit(processes: list[ProcessIdentity]) -> None:
    deadline = time.monotonic() + WORKER_EXIT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if all(has_ended(process) for process in processes):
            return
        time.sleep(0.5)
    running = [process.pid for process in processes if not has_ended(process)]
    pytest.fail(f"worker processes {running} still run {WORKER_EXIT_TIMEOUT_SECONDS} s after the command was killed")


# Reading results


def graded_cell_count() -> int:
    """Return the number of graded cells in the source notebook: the grade rows one submission must have."""
    notebook = nbformat.read(round_trip.SOURCE_ROOT / ASSIGNMENT / NOTEBOOK, as_version=4)
    return sum(bool(cell.metadata.get("nbgrader", {}).get("grade")) for cell in notebook.cells)


def read_scores(db_url: str) -> dict[str, float]:
    """Return every submission's score in the gradebook, by student."""
    with Gradebook(db_url, course_id=COURSE_ID) as gradebook:
        return {submission.student.id: submission.score for submission in gradebook.assignment_submissions(ASSIGNMENT)}


def assert_gradebook_complete(db_url: str, students: tuple[str, ...]) -> None:
    """Assert one submission per student with the expected score, and one grade row per graded cell."""
    expected = expected_scores()
    cells = graded_cell_count()
    with Gradebook(db_url, course_id=COURSE_ID) as gradebook:
        submissions = gradebook.assignment_submissions(ASSIGNMENT)
        counts = Counter(submission.student.id for submission in submissions)
        assert sorted(counts) == sorted(students), f"gradebook students {sorted(counts)}, expected {sorted(students)}"
        for submission in submissions:
            student = submission.student.id
            assert counts[student] == 1, f"{student} has {counts[student]} submissions in the gradebook"
            assert submission.score == expected[student], f"{student}: score {submission.score}, expected {expected[student]}"
            rows = sum(len(notebook.grades) for notebook in submission.notebooks)
            assert rows == cells, f"{student}: {rows} grade rows for {cells} graded cells"


def snapshot_files(course_root: Path, students: list[str]) -> dict[Path, tuple[int, str]]:
    """Return the modification time and SHA-256 of every autograded and feedback file of the students."""
    snapshot = {}
    for student in students:
        for folder in (course_root / "autograded" / student, course_root / "feedback" / student):
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    snapshot[path] = (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return snapshot


# A class graded once and shared by the tests that only read it or change a copy


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    course_root = build_course(tmp_path_factory.mktemp("graded-class"), CLASS_STUDENTS)
    completed = run_grade_class(course_root, f"--workers={WORKERS}")
    return course_root, completed


@pytest.fixture
def class_copy(graded_class: tuple[Path, subprocess.CompletedProcess], tmp_path: Path) -> Path:
    """Return a copy of the graded class, with file times and bytes kept, for a test that grades it again."""
    course_root, completed = graded_class
    assert completed.returncode == 0, describe_run(completed)
    copy = tmp_path / "course"
    shutil.copytree(course_root, copy, symlinks=True)
    return copy


def test_class_exits_zero(graded_class):
    _, completed = graded_class
    assert completed.returncode == 0, describe_run(completed)


def test_class_scores_match_samples(graded_class):
    course_root, completed = graded_class
    scores = read_scores(sqlite_url(course_root))
    expected = expected_scores()
    assert sorted(scores) == sorted(CLASS_STUDENTS), describe_run(completed)
    for student in CLASS_STUDENTS:
        assert scores[student] == expected[student], f"{student}: score {scores[student]}, expected {expected[student]}"


def test_class_result_line_per_student(graded_class):
    _, completed = graded_class
    assert sorted(graded_students(completed.stderr)) == sorted(CLASS_STUDENTS), describe_run(completed)
    assert read_plan(completed.stderr) == (0, len(CLASS_STUDENTS))


def test_class_submission_logs(graded_class):
    course_root, _ = graded_class
    log_folder = course_root / "logs" / "grading" / ASSIGNMENT
    for student in CLASS_STUDENTS:
        text = (log_folder / f"{student}.log").read_text()
        assert "## autograde: succeeded" in text, f"{student}'s log lacks the autograde step:\n{text}"
        assert "## generate_feedback: succeeded" in text, f"{student}'s log lacks the feedback step:\n{text}"
    student_logs = {path.stem for path in log_folder.glob("*.log")}
    assert student_logs == set(CLASS_STUDENTS), f"submission logs in {log_folder}: {sorted(student_logs)}"


def test_class_run_log_lines(graded_class):
    course_root, _ = graded_class
    run_log = course_root / "logs" / "grading" / f"{ASSIGNMENT}.log"
    text = run_log.read_text()
    for student in CLASS_STUDENTS:
        starts = re.findall(rf" INFO started {re.escape(student)} in worker \d+$", text, re.MULTILINE)
        results = re.findall(rf" INFO graded {re.escape(student)}: ", text)
        assert len(starts) == 1, f"{run_log}: {len(starts)} start lines for {student}:\n{text}"
        assert len(results) == 1, f"{run_log}: {len(results)} result lines for {student}:\n{text}"


def test_class_progress_ends_complete(graded_class):
    _, completed = graded_class
    progress = PROGRESS_LINE.findall(completed.stderr)
    total = str(len(CLASS_STUDENTS))
    assert progress, f"no progress line:\n{completed.stderr}"
    assert progress[0] == ("0", total), f"the first progress line is {progress[0]}"
    assert progress[-1] == (total, total), f"the last progress line is {progress[-1]}"


def test_class_reports_written(graded_class):
    course_root, completed = graded_class
    reports = course_root / "reports"
    for path in (reports / "grades.csv", reports / f"{ASSIGNMENT}-lms.csv", reports / f"{ASSIGNMENT}-report.html"):
        assert path.is_file(), f"{path} is missing:\n{describe_run(completed)}"
        assert path.stat().st_size > 0, f"{path} is empty"
        assert str(path) in completed.stdout, f"the command did not print {path}:\n{completed.stdout}"


def test_rerun_grades_nothing(class_copy):
    before = snapshot_files(class_copy, list(CLASS_STUDENTS))
    completed = run_grade_class(class_copy, f"--workers={WORKERS}")
    assert completed.returncode == 0, describe_run(completed)
    assert f"{len(CLASS_STUDENTS)} already graded and unchanged, 0 to grade" in completed.stderr, describe_run(completed)
    assert graded_students(completed.stderr) == [], describe_run(completed)
    assert snapshot_files(class_copy, list(CLASS_STUDENTS)) == before, "a rerun rewrote autograded or feedback files"


def test_rerun_regrades_changed_only(class_copy):
    # The blank student submits again, now with every answer right.
    shutil.copyfile(submitted_notebook(class_copy, "reference-solution"), submitted_notebook(class_copy, "blank"))
    others = [student for student in CLASS_STUDENTS if student != "blank"]
    before = snapshot_files(class_copy, others)

    completed = run_grade_class(class_copy, f"--workers={WORKERS}", "--no-reports")
    assert completed.returncode == 0, describe_run(completed)
    assert read_plan(completed.stderr) == (len(others), 1), describe_run(completed)
    assert graded_students(completed.stderr) == ["blank"], describe_run(completed)
    assert read_scores(sqlite_url(class_copy))["blank"] == expected_scores()["reference-solution"]
    assert snapshot_files(class_copy, others) == before, "unchanged submissions were graded again"


def test_student_option_regrades_one(class_copy):
    student = "naive-local-time"
    others = [other for other in CLASS_STUDENTS if other != student]
    before = snapshot_files(class_copy, others)
    notebook_before = autograded_notebook(class_copy, student).stat().st_mtime_ns

    completed = run_grade_class(class_copy, f"--workers={WORKERS}", f"--student={student}", "--no-reports")
    assert completed.returncode == 0, describe_run(completed)
    assert graded_students(completed.stderr) == [student], describe_run(completed)
    assert autograded_notebook(class_copy, student).stat().st_mtime_ns > notebook_before, f"{student} was not autograded again"
    assert read_scores(sqlite_url(class_copy))[student] == expected_scores()[student]
    assert snapshot_files(class_copy, others) == before, "--student regraded other students too"


def test_edited_locked_cell_named(class_copy):
    student = "reference-solution"
    notebook = nbformat.read(submitted_notebook(class_copy, student), as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_expiry_time_default":
            cell.source = "assert True"
    nbformat.write(notebook, submitted_notebook(class_copy, student))

    completed = run_grade_class(class_copy, f"--workers={WORKERS}", "--no-reports")
    assert completed.returncode == 0, describe_run(completed)
    assert graded_students(completed.stderr) == [student], describe_run(completed)
    assert f"{student}: test_expiry_time_default" in completed.stderr, describe_run(completed)
    assert read_scores(sqlite_url(class_copy))[student] == expected_scores()[student]


def test_untouched_cells_not_named(graded_class):
    _, completed = graded_class
    assert "edited locked cells" not in completed.stderr, describe_run(completed)


def test_run_waits_for_held_lock(class_copy):
    # A worker left over from a killed run holds the lock shared, as this test does here.
    lock_path = class_copy / "logs" / "grading" / f"{ASSIGNMENT}.lock"
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_SH)
        process = subprocess.Popen(
            grade_class_command(class_copy, "--no-reports"),
            cwd=class_copy, env=command_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        time.sleep(LOCK_WAIT_SECONDS)
        assert process.poll() is None, "the run did not wait for the held lock"
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, f"exit {process.returncode}\n{stdout}\n{stderr}"
    assert "Waiting for another grading run of this assignment" in stderr, stderr


# Interrupted runs


def assert_rerun_grades_rest(course_root: Path, students: tuple[str, ...], graded_before: list[str]) -> None:
    """Rerun the command and assert it grades exactly the submissions without a fingerprint, then check the gradebook."""
    kept = fingerprinted_students(course_root)
    assert set(graded_before) <= kept, f"students reported graded {graded_before}, but only {sorted(kept)} have a fingerprint"
    rest = sorted(set(students) - kept)
    assert rest, f"every submission was graded before the interruption took effect, so the rerun tests nothing: {sorted(kept)}"

    completed = run_grade_class(course_root, f"--workers={WORKERS}", "--no-reports")
    assert completed.returncode == 0, describe_run(completed)
    assert read_plan(completed.stderr) == (len(kept), len(rest)), describe_run(completed)
    assert sorted(graded_students(completed.stderr)) == rest, describe_run(completed)
    assert_gradebook_complete(sqlite_url(course_root), students)


def test_sigint_then_rerun(tmp_path):
    students = ("reference-solution", "blank", "naive-local-time")
    course_root = build_course(tmp_path / "course", students)
    with RunningGradeClass(course_root, f"--workers={WORKERS}") as running:
        running.wait_for_first_result()
        # Ctrl-C in a terminal sends SIGINT to the whole foreground process group.
        os.killpg(running.process.pid, signal.SIGINT)
        returncode = running.wait()

    output = running.text()
    assert returncode == 130, f"exit code {returncode}:\n{output}"
    assert "Interrupted: " in output, output
    assert_rerun_grades_rest(course_root, students, graded_students(output))


def test_sigkill_then_rerun(tmp_path):
    # Four students for two workers: after the first result both workers are busy and one submission waits.
    students = ("reference-solution", "blank", "naive-local-time", "syntax-error")
    course_root = build_course(tmp_path / "course", students)
    with RunningGradeClass(course_root, f"--workers={WORKERS}") as running:
        running.wait_for_first_result()
        children = child_processes(running.process.pid)
        running.process.kill()
        returncode = running.wait()
    wait_for_exit(children)

    assert returncode == -signal.SIGKILL, f"exit code {returncode}:\n{running.text()}"
    assert len(children) >= int(WORKERS), f"expected at least {WORKERS} worker processes, found {children}"
    assert_rerun_grades_rest(course_root, students, graded_students(running.text()))


# Submissions that cannot be graded


def test_broken_submissions_reported(tmp_path):
    course_root = build_course(tmp_path / "course", ("reference-solution",))
    not_json = submitted_notebook(course_root, "not-json")
    not_json.parent.mkdir(parents=True)
    not_json.write_text("{ this is not a notebook")
    no_notebook = course_root / "submitted" / "no-notebook" / ASSIGNMENT
    no_notebook.mkdir(parents=True)
    (no_notebook / "timestamp.txt").write_text(round_trip.SUBMISSION_TIMESTAMP)

    completed = run_grade_class(course_root, f"--workers={WORKERS}")
    assert completed.returncode == 2, describe_run(completed)
    assert graded_students(completed.stderr) == ["reference-solution"], describe_run(completed)
    not_graded = {match["student"]: match["message"] for match in NOT_GRADED_LINE.finditer(completed.stderr)}
    assert sorted(not_graded) == ["no-notebook", "not-json"], describe_run(completed)
    assert "JSON" in not_graded["not-json"], f"the result does not name the problem: {not_graded['not-json']}"
    assert "No notebooks" in not_graded["no-notebook"], f"the result does not name the problem: {not_graded['no-notebook']}"
    for student, message in not_graded.items():
        log_path = course_root / "logs" / "grading" / ASSIGNMENT / f"{student}.log"
        assert str(log_path) in message, f"{student}: the result does not give the log path: {message}"
        assert "## autograde: failed" in log_path.read_text(), f"{log_path} does not record the failed step"
    assert read_scores(sqlite_url(course_root))["reference-solution"] == expected_scores()["reference-solution"]


# Other gradebooks and inputs


def test_postgresql_gradebook(tmp_path, postgresql_db_url):
    students = ("reference-solution", "blank")
    course_root = build_course(tmp_path / "course", students)

    completed = run_grade_class(course_root, f"--workers={WORKERS}", f"--db-url={postgresql_db_url}")
    assert completed.returncode == 0, describe_run(completed)
    assert_gradebook_complete(postgresql_db_url, students)
    assert not (course_root / "gradebook.db").exists(), "the command also wrote a SQLite gradebook"


def write_canvas_zip(tmp_path: Path) -> Path:
    """Write a Canvas "download submissions" zip: two learners' notebooks, one with a browser's ` (1)`, and a stray notebook."""
    staging = build_course(tmp_path / "staging", ("reference-solution", "quiz-from-old-tutorials"))
    members = {
        f"smithjane_4182_907713_{ASSIGNMENT}.ipynb": submitted_notebook(staging, "reference-solution"),
        f"doejohn_5120_907714_{ASSIGNMENT} (1).ipynb": submitted_notebook(staging, "quiz-from-old-tutorials"),
        "leejin_6001_907716_scratch.ipynb": submitted_notebook(staging, "reference-solution"),
    }
    zip_path = tmp_path / "submissions.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for name, source in members.items():
            archive.write(source, name)
    return zip_path


def test_zip_taken_in_and_graded(tmp_path):
    zip_path = write_canvas_zip(tmp_path)
    course_root = tmp_path / "course"
    shutil.copytree(round_trip.SOURCE_ROOT / ASSIGNMENT, course_root / "solutions" / ASSIGNMENT)
    shutil.copytree(round_trip.REPO_ROOT / "notebooks" / ASSIGNMENT, course_root / "notebooks" / ASSIGNMENT)

    completed = run_grade_class(course_root, f"--workers={WORKERS}", f"--zip={zip_path}", "--no-reports")
    assert completed.returncode == 0, describe_run(completed)
    unmatched = [line for line in completed.stdout.splitlines() if "leejin_6001_907716_scratch.ipynb" in line]
    assert unmatched, f"the unmatched file is not listed:\n{completed.stdout}"
    assert "not one of this assignment's notebooks" in unmatched[0], f"no reason given: {unmatched[0]}"
    assert sorted(graded_students(completed.stderr)) == ["4182", "5120"], describe_run(completed)
    assert "2 submissions did not come through nbgrader's exchange" in completed.stderr, describe_run(completed)
    scores = read_scores(sqlite_url(course_root))
    expected = expected_scores()
    assert scores == {"4182": expected["reference-solution"], "5120": expected["quiz-from-old-tutorials"]}


# Invalid options


def test_workers_zero_rejected(tmp_path):
    completed = run_grade_class(tmp_path, "--workers=0")
    assert completed.returncode == 2, describe_run(completed)
    assert "--workers must be 1 or more, got 0" in completed.stderr, describe_run(completed)


def test_unknown_student_rejected(tmp_path):
    course_root = build_course(tmp_path / "course", ("blank",))
    completed = run_grade_class(course_root, "--student=nobody")
    assert completed.returncode == 1, describe_run(completed)
    assert "no submission of" in completed.stderr, describe_run(completed)
    assert "nobody" in completed.stderr, describe_run(completed)
    assert not (course_root / "autograded").exists(), "a student was graded despite the error"
