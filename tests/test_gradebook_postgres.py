"""The course's gradebook in a real PostgreSQL database: nbgrader's commands and Python API with a
`postgresql+psycopg://` db_url instead of the default SQLite file.

The server and one new database per test come from the fixtures in tests/postgres_server.py.
"""

import csv
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy
from alembic.script import ScriptDirectory
from nbgrader import dbutil
from nbgrader.api import Gradebook

from autograder import round_trip
from conftest import REPO_ROOT

ASSIGNMENT = "01-jwt-anatomy"
STUDENTS = ("reference-solution", "blank")
COURSE_ID = "jwt-fastapi"
GRADEBOOK_TABLES = {
    "alembic_version", "assignment", "course", "grade", "notebook", "student", "submitted_assignment",
    "submitted_notebook",
}
VENV_BIN = str(Path(sys.executable).parent)


@pytest.fixture(autouse=True)
def alembic_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # Gradebook() runs the `alembic` command from PATH when it creates the tables of a new gradebook.
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def expected_scores() -> dict[str, float]:
    samples = round_trip.load_samples(ASSIGNMENT)
    return {student: float(samples[student]["expected_score"]) for student in STUDENTS}


def run_nbgrader_db(db_url: str, *arguments: str) -> subprocess.CompletedProcess:
    """Run an `nbgrader db` command on `db_url` from the repository root, capturing its output."""
    command = [sys.executable, "-m", "nbgrader", "db", *arguments, f"--CourseDirectory.db_url={db_url}"]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture
def submitted_course(tmp_path: Path, postgresql_db_url: str) -> tuple[Path, str]:
    """Generate the assignment into a new course whose gradebook is the test's PostgreSQL database,
    and submit the reference and the blank learner copy. Return the course folder and the db_url."""
    course_root = tmp_path / "course"
    shutil.copytree(round_trip.SOURCE_ROOT / ASSIGNMENT, course_root / "solutions" / ASSIGNMENT)
    round_trip.run_nbgrader(course_root, "generate_assignment", ASSIGNMENT, f"--CourseDirectory.db_url={postgresql_db_url}")
    samples = round_trip.load_samples(ASSIGNMENT)
    round_trip.submit_samples(course_root, ASSIGNMENT, {student: samples[student] for student in STUDENTS})
    return course_root, postgresql_db_url


def read_scores(db_url: str) -> dict[str, float]:
    """Return each student's total score on the assignment, read through nbgrader's Gradebook."""
    with Gradebook(db_url, COURSE_ID) as gradebook:
        return {submission.student.id: submission.score for submission in gradebook.assignment_submissions(ASSIGNMENT)}


def find_ungraded_cells(db_url: str) -> dict[str, list[str]]:
    """Return, per student, the graded cells that autograde has not scored (no auto_score)."""
    ungraded = {}
    with Gradebook(db_url, COURSE_ID) as gradebook:
        for student in STUDENTS:
            notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
            ungraded[student] = [grade.name for grade in notebook.grades if grade.auto_score is None]
    return ungraded


def test_gradebook_creates_schema(postgresql_db_url):
    with Gradebook(postgresql_db_url, COURSE_ID):
        pass
    engine = sqlalchemy.create_engine(postgresql_db_url)
    try:
        tables = set(sqlalchemy.inspect(engine).get_table_names())
        with engine.connect() as connection:
            versions = connection.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    head = ScriptDirectory(dbutil.ALEMBIC_DIR).get_current_head()

    assert GRADEBOOK_TABLES <= tables, f"missing tables: {sorted(GRADEBOOK_TABLES - tables)}"
    assert versions == [head], f"alembic_version holds {versions}, expected nbgrader's head revision {head}"


def test_db_upgrade_after_gradebook(postgresql_db_url):
    with Gradebook(postgresql_db_url, COURSE_ID):
        pass
    result = run_nbgrader_db(postgresql_db_url, "upgrade")
    assert result.returncode == 0, f"nbgrader db upgrade failed:\n{result.stdout}{result.stderr}"


def test_db_upgrade_empty_database_fails(postgresql_db_url):
    # NOTE: nbgrader 0.9.6's `db upgrade` creates a missing SQLite gradebook first, but on any other
    # db_url it runs the migrations straight away, and they expect tables that an empty database
    # lacks. Opening Gradebook(db_url) once creates the tables and marks them as the newest revision.
    result = run_nbgrader_db(postgresql_db_url, "upgrade")
    assert result.returncode != 0, "nbgrader db upgrade succeeded on an empty database: remove the NOTE above"
    assert 'relation "notebook" does not exist' in result.stderr, result.stderr


def test_autograde_scores_on_postgres(submitted_course):
    course_root, db_url = submitted_course
    round_trip.run_nbgrader(course_root, "autograde", ASSIGNMENT, f"--CourseDirectory.db_url={db_url}")
    grades_csv = course_root / "grades.csv"
    round_trip.run_nbgrader(course_root, "export", f"--to={grades_csv}", f"--CourseDirectory.db_url={db_url}")

    assert read_scores(db_url) == expected_scores()
    assert find_ungraded_cells(db_url) == {student: [] for student in STUDENTS}
    # formgrader's submission list sums the grades with GROUP BY, which PostgreSQL checks more strictly than SQLite.
    with Gradebook(db_url, COURSE_ID) as gradebook:
        listed = {row["student"]: row["score"] for row in gradebook.submission_dicts(ASSIGNMENT)}
    assert listed == expected_scores()
    with grades_csv.open(newline="") as file:
        exported = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(file)}
    assert exported == expected_scores()


def test_parallel_autograde_keeps_both(submitted_course):
    course_root, db_url = submitted_course

    # Both commands start before either is waited for, so their runs overlap.
    # NOTE: the gradebook's tables and course rows already exist here. nbgrader 0.9.6 creates them
    # without a lock, so two processes that open an empty PostgreSQL gradebook at once can fail
    # with a UniqueViolation. A parallel grader should open Gradebook(db_url) once before its workers start.
    def autograde(student: str) -> tuple[float, float]:
        started = time.monotonic()
        round_trip.run_nbgrader(
            course_root, "autograde", ASSIGNMENT, f"--student={student}", f"--CourseDirectory.db_url={db_url}"
        )
        return started, time.monotonic()

    with ThreadPoolExecutor(max_workers=len(STUDENTS)) as pool:
        runs = [pool.submit(autograde, student) for student in STUDENTS]
    periods = [run.result() for run in runs]

    last_start = max(started for started, _ in periods)
    first_end = min(ended for _, ended in periods)
    assert last_start < first_end, f"the autograde commands ran one after the other: {periods}"
    # A blank submission scores 0 whether or not its grades were written, so both checks are needed.
    assert read_scores(db_url) == expected_scores()
    assert find_ungraded_cells(db_url) == {student: [] for student in STUDENTS}
