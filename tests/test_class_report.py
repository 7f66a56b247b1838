"""The class report and the LMS CSV, read from a course graded by the real nbgrader.

The module grades seven submissions of notebook 02 once: the reference, a blank copy, two
students with the same naive-time mistake and one that changes its input. One more has a quiz
answer that contains HTML, and the last a notebook file that is not JSON, so nbgrader fails to
grade it. The whole module took 46 to 65 s on a shared 2-core machine.
"""

import csv
import hashlib
import html
import shutil
import subprocess
from html.parser import HTMLParser

import nbformat
import pytest

from autograder import class_report, round_trip
from conftest import source_notebook

ASSIGNMENT = "02-create-access-token"
MAX_SCORE = 12
SAMPLES = round_trip.load_samples(ASSIGNMENT)
SCRIPT_ANSWER = "<script>alert('q1')</script>"
SUBMISSIONS = {
    "reference-solution": {"base": "reference"},
    "blank": {"base": "blank"},
    "naive-time-1": {"base": "reference", "cells": SAMPLES["naive-local-time"]["cells"]},
    "naive-time-2": {"base": "reference", "cells": SAMPLES["naive-local-time"]["cells"]},
    "mutates-data": {"base": "reference", "cells": SAMPLES["mutates-data"]["cells"]},
    "html-in-quiz": {
        "base": "reference",
        "cells": {"quiz_q1_answer": f'q1_answer = "{SCRIPT_ANSWER}"', "quiz_q3_answer": 'q3_answer = "a"'},
    },
}
UNREADABLE_STUDENT = "unreadable-notebook"
ALL_CHECKS = [
    cell.metadata["nbgrader"]["grade_id"]
    for cell in nbformat.read(source_notebook(ASSIGNMENT), as_version=4).cells
    if cell.metadata.get("nbgrader", {}).get("grade")
]
NAIVE_FAILURES = {
    "test_expiry_time_default",
    "test_expiry_time_custom_delta",
    "test_expiry_time_zero_delta",
    "test_create_access_token_default_expiry",
    "test_create_access_token_custom_expiry",
}
EXPECTED_FAILURES = {
    "reference-solution": set(),
    "blank": set(ALL_CHECKS),
    "naive-time-1": NAIVE_FAILURES,
    "naive-time-2": NAIVE_FAILURES,
    "mutates-data": {"test_create_access_token_claims"},
    "html-in-quiz": {"test_quiz_q1", "test_quiz_q3"},
}
EXPECTED_SCORES = {student: MAX_SCORE - len(failures) for student, failures in EXPECTED_FAILURES.items()}
LMS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", f"{ASSIGNMENT} ({MAX_SCORE} points)"]
VOID_ELEMENTS = {"meta", "br", "hr", "img", "input", "link", "wbr"}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Grade the submissions above with generate_assignment and autograde in a new course folder."""
    course_root = tmp_path_factory.mktemp("class-report")
    shutil.copytree(round_trip.SOURCE_ROOT / ASSIGNMENT, course_root / "solutions" / ASSIGNMENT)
    round_trip.run_nbgrader(course_root, "generate_assignment", ASSIGNMENT)
    round_trip.submit_samples(course_root, ASSIGNMENT, SUBMISSIONS)
    unreadable = course_root / "submitted" / UNREADABLE_STUDENT / ASSIGNMENT
    unreadable.mkdir(parents=True)
    (unreadable / f"{ASSIGNMENT}.ipynb").write_text("this file is not a notebook")
    (unreadable / "timestamp.txt").write_text(round_trip.SUBMISSION_TIMESTAMP)
    # nbgrader grades the others, then exits 1 because it could not grade the unreadable notebook.
    with pytest.raises(subprocess.CalledProcessError):
        round_trip.run_nbgrader(course_root, "autograde", ASSIGNMENT)
    return course_root


@pytest.fixture(scope="module")
def results(course):
    return class_report.read_class_results(course, ASSIGNMENT)


@pytest.fixture(scope="module")
def submissions(results):
    return {submission.student: submission for submission in results.submissions}


@pytest.fixture(scope="module")
def report(results, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    class_report.write_class_report(results, path)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def lms_rows(results, tmp_path_factory):
    path = tmp_path_factory.mktemp("lms") / "grades.csv"
    class_report.write_lms_csv(results, path)
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


class PageParser(HTMLParser):
    """Collect start tags, text, and every end tag that closes no open element."""

    def __init__(self):
        super().__init__()
        self.open_tags = []
        self.start_tags = []
        self.text = []
        self.unmatched = []

    def handle_starttag(self, tag, attrs):
        self.start_tags.append((tag, dict(attrs)))
        if tag not in VOID_ELEMENTS:
            self.open_tags.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.start_tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self.open_tags and self.open_tags[-1] == tag:
            self.open_tags.pop()
        else:
            self.unmatched.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parse_page(page):
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


def test_every_submission_read(submissions):
    assert set(submissions) == set(SUBMISSIONS) | {UNREADABLE_STUDENT}


@pytest.mark.parametrize("student", sorted(EXPECTED_SCORES))
def test_score_matches_sample(submissions, student):
    submission = submissions[student]
    assert submission.score == EXPECTED_SCORES[student], f"{student}: read {submission.score}"
    assert submission.max_score == MAX_SCORE


@pytest.mark.parametrize("student", sorted(EXPECTED_FAILURES))
def test_failed_checks_match_sample(submissions, student):
    failed = {check.grade_id for check in submissions[student].checks if not check.passed}
    assert failed == EXPECTED_FAILURES[student], f"{student}: failed {sorted(failed)}"


def test_checks_in_notebook_order(submissions):
    assert [check.grade_id for check in submissions["reference-solution"].checks] == ALL_CHECKS


@pytest.mark.parametrize("grade_id", ALL_CHECKS)
def test_pass_count_per_check(results, grade_id):
    rates = {rate.grade_id: rate for rate in class_report.check_rates(results)}
    expected = sum(grade_id not in failures for failures in EXPECTED_FAILURES.values())
    assert rates[grade_id].passed == expected, f"{grade_id}: {rates[grade_id].passed} passed"
    assert rates[grade_id].total == len(EXPECTED_FAILURES), "the unreadable submission must not count"


def test_quiz_and_exercise_split(results):
    quiz = [rate.grade_id for rate in class_report.check_rates(results) if rate.is_quiz]
    assert quiz == [f"test_quiz_q{number}" for number in range(1, 6)]


def test_failed_check_keeps_whole_message(submissions):
    check = next(check for check in submissions["html-in-quiz"].checks if check.grade_id == "test_quiz_q3")
    lines = check.message.splitlines()
    assert check.short_message == "Question 3 (medium): 'a' is not the right answer."
    assert len(lines) >= 2, f"the quiz check's message should span several lines: {check.message!r}"
    assert lines[0] == check.short_message


def test_passed_check_has_no_message(submissions):
    messages = [check.message for check in submissions["reference-solution"].checks]
    assert messages == [""] * len(ALL_CHECKS)


def test_same_mistake_counts_two(results, submissions):
    mistakes = [mistake for mistake in class_report.common_mistakes(results) if mistake.grade_id == "test_expiry_time_default"]
    naive = [mistake for mistake in mistakes if "got the naive datetime <datetime>" in mistake.pattern]
    assert len(naive) == 1, [mistake.pattern for mistake in mistakes]
    assert naive[0].count == 2
    assert naive[0].students == ["naive-time-1", "naive-time-2"]
    raw = {
        next(check.message for check in submissions[student].checks if check.grade_id == "test_expiry_time_default")
        for student in ("naive-time-1", "naive-time-2")
    }
    assert len(raw) == 2, "the two messages should differ in their datetimes before normalising"


def test_unanswered_not_a_mistake(results):
    patterns = [mistake.pattern for mistake in class_report.common_mistakes(results)]
    assert not [pattern for pattern in patterns if "NotImplementedError" in pattern], patterns


def test_mistakes_sorted_by_count(results):
    counts = [mistake.count for mistake in class_report.common_mistakes(results)]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == 2


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("exp is 16200 s before now", "exp is <n> s before now"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl is bytes", "token <token> is bytes"),
        ("exp is the string '2026-12-05T00:08:46.337950+00:00'", "exp is the string '<time>'"),
        ("got datetime.datetime(2026, 12, 4, 19, 9, 44, tzinfo=datetime.timezone(datetime.timedelta(seconds=19800)))", "got <datetime>"),
        ("at 19:09:44.5 local time", "at <time> local time"),
        ("<function f at 0x7f3a2c1e9d30> is not callable", "<function f at <address>> is not callable"),
        ("name 'q1_answer' is not defined for HS256", "name 'q1_answer' is not defined for HS256"),
        ("first line  with   spaces", "first line with spaces"),
    ],
)
def test_normalise_message(message, expected):
    assert class_report.normalise_message(message) == expected


def test_chart_has_bar_per_point(report):
    bars = [attrs for tag, attrs in parse_page(report).start_tags if tag == "rect" and attrs.get("class") == "bar"]
    assert len(bars) == MAX_SCORE + 1


@pytest.mark.parametrize(("max_score", "bars"), [(12, 13), (21, 22), (24, 25), (25, 13), (100, 21), (0, 1)])
def test_score_bins_count(max_score, bars):
    bins = class_report.score_bins([0.0, max_score / 2, max_score], max_score)
    assert len(bins) == bars
    assert len(bins) <= class_report.MAX_BARS
    assert sum(score_bin.count for score_bin in bins) == 3
    assert bins[-1].count >= 1, "the max score belongs in the last bin"


def test_report_parses(report):
    parser = parse_page(report)
    assert parser.unmatched == []
    assert parser.open_tags == []


def test_report_escapes_submission_text(report):
    parser = parse_page(report)
    assert [tag for tag, _ in parser.start_tags if tag == "script"] == []
    assert SCRIPT_ANSWER not in report
    assert html.escape(SCRIPT_ANSWER) in report
    assert SCRIPT_ANSWER in "".join(parser.text), "the answer should read as text"


def test_report_self_contained(report):
    for reference in ("http://", "https://", "<link", " src=", "@import", "url("):
        assert reference not in report, f"the report loads something: {reference}"


def test_report_counts(report):
    text = " ".join("".join(parse_page(report).text).split())
    assert f"7 ({len(EXPECTED_SCORES)} autograded, 1 without an autograded notebook)" in text
    # Autograded scores 12, 0, 7, 7, 11, 10: mean 47/6, median 8.5, 3 of 6 at 7.2 points or more.
    assert "Mean score7.83" in text
    assert "Median score8.5" in text
    assert "50% (3 of 6)" in text


def test_report_lists_unreadable_submission(report):
    section = report.split("Submissions without an autograded notebook")[1]
    assert UNREADABLE_STUDENT in section


def test_report_without_autograded_submission(course, tmp_path):
    results = class_report.read_class_results(course, ASSIGNMENT, students=[UNREADABLE_STUDENT])
    path = tmp_path / "report.html"
    class_report.write_class_report(results, path)
    page = path.read_text(encoding="utf-8")
    assert "no autograded submission" in page
    assert parse_page(page).unmatched == []


def test_unreadable_notebook_not_autograded(submissions, course):
    submission = submissions[UNREADABLE_STUDENT]
    assert not submission.autograded
    assert submission.missing_notebooks == [course / "autograded" / UNREADABLE_STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"]
    assert submission.score == 0


def test_lms_csv_header(lms_rows):
    assert lms_rows[0] == LMS_HEADER


def test_lms_csv_rows(lms_rows):
    grades = {row[1]: row[5] for row in lms_rows[1:]}
    assert grades == {student: str(score) for student, score in EXPECTED_SCORES.items()}


def test_lms_csv_student_column(lms_rows):
    for row in lms_rows[1:]:
        assert row[0] == row[1], "without names in the gradebook, Student repeats the id"
        assert row[2:5] == ["", "", ""]


def test_student_filter(course):
    results = class_report.read_class_results(course, ASSIGNMENT, students=["mutates-data"])
    assert [submission.student for submission in results.submissions] == ["mutates-data"]
    assert results.submissions[0].score == EXPECTED_SCORES["mutates-data"]


def test_reading_leaves_gradebook_unchanged(course):
    gradebook = course / "gradebook.db"
    before = hashlib.sha256(gradebook.read_bytes()).hexdigest()
    class_report.read_class_results(course, ASSIGNMENT)
    assert hashlib.sha256(gradebook.read_bytes()).hexdigest() == before


def test_missing_gradebook_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="gradebook not found"):
        class_report.read_class_results(tmp_path, ASSIGNMENT)
    assert not (tmp_path / "gradebook.db").exists(), "reading must not create a gradebook"


def test_unknown_assignment_raises(course):
    with pytest.raises(LookupError, match="'99-no-such' not found in the gradebook"):
        class_report.read_class_results(course, "99-no-such")


def test_command_writes_both_files(course, tmp_path, capsys):
    html_path, csv_path = tmp_path / "out" / "report.html", tmp_path / "out" / "grades.csv"
    arguments = [ASSIGNMENT, "--course-root", str(course), "--html", str(html_path), "--lms-csv", str(csv_path)]
    assert class_report.main(arguments) == 0
    assert html_path.exists()
    assert csv_path.read_text(encoding="utf-8").startswith(",".join(LMS_HEADER))
    assert f"warning: {UNREADABLE_STUDENT}: autograded notebook not found" in capsys.readouterr().err


def test_command_default_paths(course):
    assert class_report.main([ASSIGNMENT, "--course-root", str(course), "--pass-percent", "50"]) == 0
    assert (course / "reports" / f"{ASSIGNMENT}-report.html").exists()
    assert (course / "reports" / f"{ASSIGNMENT}-lms.csv").exists()


def test_command_missing_gradebook(tmp_path, capsys):
    assert class_report.main([ASSIGNMENT, "--course-root", str(tmp_path)]) == 2
    assert "error: gradebook not found" in capsys.readouterr().err
