"""The instructor's path with real nbgrader: generate, submit, autograde, feedback, explanations, export."""

import csv

import pytest

from autograder import round_trip
from conftest import ASSIGNMENTS

REQUIRED_STUDENTS = {
    "01-jwt-anatomy": {"reference-solution", "blank"},
    "02-create-access-token": {
        "reference-solution", "blank", "naive-local-time", "mutates-data", "exp-as-string", "infinite-loop",
    },
    "03-time-and-claims": {
        "reference-solution", "blank", "ignores-injected-clock", "naive-local-time", "accepts-integer-sub",
    },
    "04-verifying-tokens": {
        "reference-solution", "blank", "no-exp-required", "catches-only-expired", "returns-claims",
    },
    "05-python-jose-and-pyjwt": {
        "reference-solution", "blank", "catches-jose-error", "missing-algorithms", "mutates-data",
    },
    "06-login-with-fastapi": {
        "reference-solution", "blank", "reveals-unknown-user", "no-www-authenticate", "expired-token-500",
    },
    "07-production-hardening": {
        "reference-solution", "blank", "ignores-previous-key", "accepts-short-key", "retired-key-accepted",
    },
    "08-test-the-pattern": {
        "reference-solution", "blank", "naive-local-time", "no-algorithms-list", "catches-only-expired",
        "missing-www-authenticate", "quiz-from-old-tutorials",
    },
}
SAMPLES = [
    (assignment, student)
    for assignment in round_trip.sample_assignments()
    for student in round_trip.load_samples(assignment)
]


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course_root = tmp_path_factory.mktemp("course")
    results = round_trip.run_round_trip(course_root, round_trip.sample_assignments())
    return course_root, {(assignment, result.student): result for assignment, students in results.items() for result in students}


def test_every_notebook_has_sample_students():
    assert set(round_trip.sample_assignments()) == set(ASSIGNMENTS), "every notebook needs sample students"
    assert set(REQUIRED_STUDENTS) == set(ASSIGNMENTS), "every notebook needs required mistakes listed here"
    for assignment in ASSIGNMENTS:
        students = set(round_trip.load_samples(assignment))
        wrong = students - {"reference-solution", "blank"}
        assert {"reference-solution", "blank"} <= students, f"{assignment} lacks a correct or a blank sample"
        assert wrong, f"{assignment} has no sample with a typical mistake"


def test_samples_cover_required_mistakes():
    for assignment, students in REQUIRED_STUDENTS.items():
        missing = students - set(round_trip.load_samples(assignment))
        assert not missing, f"{assignment} lacks sample students {sorted(missing)}"


@pytest.mark.parametrize(("assignment", "student"), SAMPLES, ids=[f"{a[:2]}-{s}" for a, s in SAMPLES])
def test_sample_scores_expected_points(graded_course, assignment, student):
    result = graded_course[1][(assignment, student)]
    assert result.score == result.expected_score, f"{student}: scored {result.score}, expected {result.expected_score}"
    assert result.missing_feedback == [], f"{student}: feedback {result.feedback_path} lacks {result.missing_feedback}"
    assert result.missing_explanations == [], f"{student}: {result.explanations_path} lacks {result.missing_explanations}"
    assert result.leaks == [], f"{student}: feedback {result.feedback_path} shows hidden test code or quiz key text {result.leaks}"


@pytest.mark.parametrize("assignment", round_trip.sample_assignments())
def test_reference_scores_full_marks(graded_course, assignment):
    result = graded_course[1][(assignment, "reference-solution")]
    assert result.max_score > 0
    assert result.score == result.max_score


def test_grades_csv_lists_every_submission(graded_course):
    course_root, results = graded_course
    with (course_root / "grades.csv").open(newline="") as file:
        rows = {(row["assignment"], row["student_id"]): row for row in csv.DictReader(file)}
    for (assignment, student), result in results.items():
        row = rows.get((assignment, student))
        assert row is not None, f"grades.csv has no row for {student} on {assignment}"
        assert float(row["raw_score"]) == result.score, f"{student}: CSV {row['raw_score']} vs gradebook {result.score}"


def test_feedback_written_for_every_submission(graded_course):
    for (assignment, student), result in graded_course[1].items():
        assert result.feedback_path.exists(), f"no feedback for {student} on {assignment}"
        assert result.explanations_path.exists(), f"no quiz explanations page for {student} on {assignment}"
