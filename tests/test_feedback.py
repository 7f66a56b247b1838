"""Honest feedback with real nbgrader: quiet sanitizing, no hidden tests or quiz key, explanations later.

The module grades one course with notebook 02 once. Its four students are an untouched correct
submission, a partly wrong one, one with an edited test cell and one with an edited read-only cell.
The whole module took 32 s to 65 s on a shared 2-core machine, depending on its load.
"""

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.api import Gradebook

from autograder import explanations, quiz, round_trip
from autograder.feedback import SUMMARY_CELL_ID, PrepareLearnerFeedback

ASSIGNMENT = "02-create-access-token"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
EDITED_TEST_CELL = "test_expiry_time_default"
EDITED_READ_ONLY_CELL = "setup"
NAIVE_EXPIRY_TIME = round_trip.load_samples(ASSIGNMENT)["naive-local-time"]["cells"]["expiry_time"]
WRONG_QUIZ_ANSWERS = {"q3": "a", "q5": "b"}
EXPECTED_SCORES = {"untouched": 12, "partly-wrong": 5, "edited-test-cell": 7, "edited-read-only-cell": 12}
HIDDEN_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SUMMARY_ITEM = re.compile(
    r'<li class="list-group-item[^"]*"><a href="#(?P<grade_id>[^"]+)"><code>[^<]*</code></a>: '
    r"<strong>(?P<points>[^<]*)</strong>, (?P<status>passed|failed|not graded yet)(?P<message>.*?)</li>",
    re.S,
)


def run_nbgrader(course_root: Path, *arguments: str) -> str:
    """Run one nbgrader command on the course and return its log."""
    environment = dict(os.environ)
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    environment.pop(quiz.EXPLANATIONS_VARIABLE, None)
    command = [sys.executable, "-m", "nbgrader", *arguments, f"--CourseDirectory.root={course_root}"]
    finished = subprocess.run(command, cwd=round_trip.REPO_ROOT, env=environment, capture_output=True, text=True)
    assert finished.returncode == 0, f"nbgrader {' '.join(arguments)} failed:\n{finished.stderr[-3000:]}"
    return finished.stderr


def replace_cell_source(notebook: nbformat.NotebookNode, grade_id: str, source: str) -> None:
    cell = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.source = source


def learner_copies(course_root: Path) -> dict[str, nbformat.NotebookNode]:
    """Return each student's submitted notebook, made from the released copy as a learner edits it."""
    release = course_root / "notebooks" / ASSIGNMENT / NOTEBOOK
    reference = round_trip.reference_answers(round_trip.SOURCE_ROOT / ASSIGNMENT / NOTEBOOK)
    naive = {**reference, "expiry_time": NAIVE_EXPIRY_TIME}
    wrong_quiz = {f"quiz_{question}_answer": f'{question}_answer = "{letter}"' for question, letter in WRONG_QUIZ_ANSWERS.items()}

    edited_test = round_trip.fill_learner_copy(release, naive)
    # Without its visible asserts, the cell as submitted would pass the naive expiry_time.
    replace_cell_source(edited_test, EDITED_TEST_CELL, '"""Check that expiry_time() returns an aware datetime 15 minutes from now."""')
    edited_read_only = round_trip.fill_learner_copy(release, reference)
    setup = next(cell for cell in edited_read_only.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == EDITED_READ_ONLY_CELL)
    # As submitted, a 30-minute default would fail both default-expiry checks.
    setup.source = setup.source.replace("timedelta(minutes=15)", "timedelta(minutes=30)")
    assert "timedelta(minutes=30)" in setup.source

    return {
        "untouched": round_trip.fill_learner_copy(release, reference),
        "partly-wrong": round_trip.fill_learner_copy(release, {**naive, **wrong_quiz}),
        "edited-test-cell": edited_test,
        "edited-read-only-cell": edited_read_only,
    }


def split_log_by_student(log: str) -> dict[str, str]:
    """Return the part of an autograde log that belongs to each student."""
    parts = re.split(r"Creating/updating student with ID '([^']+)'", log)
    return dict(zip(parts[1::2], parts[2::2]))


def visible_text(page: str) -> str:
    """Return a page's text without tags, as a reader would search it."""
    return html.unescape(round_trip.HTML_TAG.sub("", page))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Grade the four students once, and keep the autograde log, the feedback and the explanations pages."""
    course_root = tmp_path_factory.mktemp("feedback-course")
    shutil.copytree(round_trip.SOURCE_ROOT / ASSIGNMENT, course_root / "solutions" / ASSIGNMENT)
    run_nbgrader(course_root, "generate_assignment", ASSIGNMENT)
    for student, notebook in learner_copies(course_root).items():
        folder = course_root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / NOTEBOOK)
        (folder / "timestamp.txt").write_text(round_trip.SUBMISSION_TIMESTAMP)
    autograde_log = run_nbgrader(course_root, "autograde", ASSIGNMENT)
    run_nbgrader(course_root, "generate_feedback", ASSIGNMENT)
    feedback = {
        student: (course_root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        for student in EXPECTED_SCORES
    }
    pages = explanations.write_explanations(ASSIGNMENT, course_root)
    return {
        "root": course_root,
        "log": split_log_by_student(autograde_log),
        "feedback": feedback,
        "pages": {page.parent.parent.name: page.read_text() for page in pages},
    }


def student_grades(course_root: Path, student: str) -> dict[str, tuple[float, float]]:
    """Return {grade_id: (score, max_score)} from the gradebook."""
    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return {grade.name: (grade.score, grade.max_score) for grade in notebook.grades}


def autograded_cell(course_root: Path, student: str, grade_id: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(course_root / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)
    return next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def source_cell(grade_id: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(round_trip.SOURCE_ROOT / ASSIGNMENT / NOTEBOOK, as_version=4)
    return next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


# Sanitizing: untouched locked cells pass quietly, edited ones are reported and restored.

def test_untouched_submission_no_checksum_warning(course):
    log = course["log"]["untouched"]
    assert "Sanitizing" in log, "the autograde log has no sanitize step for the untouched student"
    assert "has changed" not in log, f"an untouched submission was reported as changed:\n{log}"


@pytest.mark.parametrize(("student", "grade_id"), [
    ("edited-test-cell", EDITED_TEST_CELL),
    ("edited-read-only-cell", EDITED_READ_ONLY_CELL),
])
def test_edited_cell_reported_and_restored(course, student, grade_id):
    log = course["log"][student]
    reported = re.findall(r"Attribute '(\w+)' for cell (\S+) has changed", log)
    assert reported == [("checksum", grade_id)], f"{student}: expected one checksum report for {grade_id}, got {reported}"
    restored = autograded_cell(course["root"], student, grade_id).source
    assert restored == source_cell(grade_id).source, f"{student}: {grade_id} was not restored from the source notebook"


def test_edited_test_cell_graded_as_source(course):
    score, max_score = student_grades(course["root"], "edited-test-cell")[EDITED_TEST_CELL]
    assert (score, max_score) == (0, 1), "the restored hidden check must fail the naive expiry_time"


@pytest.mark.parametrize("student", list(EXPECTED_SCORES))
def test_submission_total_score(course, student):
    grades = student_grades(course["root"], student)
    total = sum(score for score, _ in grades.values())
    assert total == EXPECTED_SCORES[student], f"{student}: scored {total}, grades {grades}"


# Graded feedback: every check with its points and message, no hidden test, no quiz key.

def test_summary_lists_every_check(course):
    page = course["feedback"]["partly-wrong"]
    assert f'id="{SUMMARY_CELL_ID}"' in page, "the feedback has no summary of the checks"
    listed = {match["grade_id"]: match["points"] for match in SUMMARY_ITEM.finditer(page)}
    expected = {
        grade_id: f"{score:g} / {max_score:g}"
        for grade_id, (score, max_score) in student_grades(course["root"], "partly-wrong").items()
    }
    assert listed == expected


def test_summary_failed_checks_have_messages(course):
    items = {match["grade_id"]: match for match in SUMMARY_ITEM.finditer(course["feedback"]["partly-wrong"])}
    assert items["test_expiry_time_default"]["status"] == "failed"
    assert "which is local time" in html.unescape(items["test_expiry_time_default"]["message"])
    assert items["test_quiz_q3"]["status"] == "failed"
    assert "Question 3 (medium): 'a' is not the right answer." in html.unescape(items["test_quiz_q3"]["message"])
    assert items["test_create_access_token_signature"]["status"] == "passed"
    assert items["test_create_access_token_signature"]["message"] == ""


def hidden_code_markers() -> set[str]:
    """Return the delimiters, and the checks' imports and calls, that notebook 02's hidden tests contain.

    The notebook's own text names `from autograder.self_check` and `check_notebook()` for
    learners, so the markers are taken from the hidden regions, not from a general pattern.
    """
    notebook = nbformat.read(round_trip.SOURCE_ROOT / ASSIGNMENT / NOTEBOOK, as_version=4)
    markers = {"BEGIN HIDDEN TESTS", "END HIDDEN TESTS"}
    for cell in notebook.cells:
        for region in HIDDEN_REGION.findall(cell.source):
            markers |= set(re.findall(r"from autograder\.\w+|\bcheck_\w+\(", region))
    assert "check_quiz_answer(" in markers, "notebook 02's hidden tests no longer call check_quiz_answer"
    return markers


@pytest.mark.parametrize("student", list(EXPECTED_SCORES))
def test_feedback_hides_test_code(course, student):
    text = visible_text(course["feedback"][student])
    for marker in sorted(hidden_code_markers()):
        assert marker not in text, f"{student}: feedback shows the hidden test code {marker!r}"


def test_leak_check_finds_hidden_code(course):
    """The round trip's leak check finds hidden tests in a page made without PrepareLearnerFeedback."""
    autograded = nbformat.read(course["root"] / "autograded" / "partly-wrong" / ASSIGNMENT / NOTEBOOK, as_version=4)
    page, _ = HTMLExporter().from_notebook_node(autograded)
    forbidden = round_trip.hidden_test_text(round_trip.SOURCE_ROOT / ASSIGNMENT / NOTEBOOK)
    leaks = round_trip.find_leaks(page, forbidden)
    assert "check_quiz_answer(" in leaks
    assert "BEGIN HIDDEN TESTS" in leaks


@pytest.mark.parametrize("student", list(EXPECTED_SCORES))
def test_feedback_has_no_traceback(course, student):
    text = visible_text(course["feedback"][student])
    assert "Traceback (most recent call last)" not in text, f"{student}: feedback shows a traceback"
    assert "Cell In[" not in text, f"{student}: feedback shows a traceback frame"


def test_feedback_hides_quiz_key(course):
    text = visible_text(course["feedback"]["partly-wrong"])
    for question, entry in quiz.load_quiz_key()[ASSIGNMENT].items():
        for field in ("hint", "explanation", "mistake"):
            assert entry[field] not in text, f"feedback shows the {field} of {question}"
    assert "Your instructor releases the right answer" in text


def test_feedback_shows_errors_in_cells(course):
    text = visible_text(course["feedback"]["partly-wrong"])
    assert "AssertionError: expiry_time() under a UTC-5" in text, "the failed check's cell lost its error message"


# Quiz explanations: released as a separate page and added to the feedback page.

def test_explanations_page_per_student(course):
    assert set(course["pages"]) == set(EXPECTED_SCORES)


def test_explanations_page_shows_key(course):
    text = visible_text(course["pages"]["partly-wrong"])
    for question, entry in quiz.load_quiz_key()[ASSIGNMENT].items():
        assert f"Right answer: {entry['answer']!r}" in text, f"{question}: right answer missing"
        assert f"Hint: {entry['hint']}" in text, f"{question}: hint missing"
        assert f"Explanation: {entry['explanation']}" in text, f"{question}: explanation missing"
        assert f"Common mistake: {entry['mistake']}" in text, f"{question}: common mistake missing"


def test_explanations_page_shows_answers(course):
    text = visible_text(course["pages"]["partly-wrong"])
    assert "Your answer: 'a' (wrong)" in text
    assert "Your answer: 'b' (wrong)" in text
    assert "Your answer: 'b' (right)" in text, "question 1's right answer b is not marked right"


def test_explanations_added_to_feedback(course):
    page = (course["root"] / "feedback" / "partly-wrong" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert page.count(explanations.SECTION_BEGIN) == 1
    mistake = quiz.load_quiz_key()[ASSIGNMENT]["q5"]["mistake"]
    assert f"Common mistake: {mistake}" in visible_text(page)
    graded = course["feedback"]["partly-wrong"]
    assert page.startswith(graded[: graded.rfind("</body>")]), "the explanations step changed the graded part of the page"


def test_explanations_section_replaced(tmp_path):
    page = "<html><body><p>graded</p></body></html>"
    once = explanations.add_to_feedback(page, "<p>first</p>")
    twice = explanations.add_to_feedback(once, "<p>second</p>")
    assert twice.count(explanations.SECTION_BEGIN) == 1
    assert "<p>second</p>" in twice
    assert "<p>first</p>" not in twice
    assert twice.index("<p>graded</p>") < twice.index("<p>second</p>") < twice.index("</body>")


def test_explanations_unknown_student_rejected(course):
    with pytest.raises(LookupError, match="has no autograded submission"):
        explanations.write_explanations(ASSIGNMENT, course["root"], student="nobody")


# Reading an answer cell with ast.

@pytest.mark.parametrize(("source", "expected"), [
    ('q1_answer = "b"', "b"),
    ('q1_answer = "a"\n# changed my mind\nq1_answer = "c"', "c"),
    ('q1_answer: str = "d"', "d"),
    ('import math\nq1_answer = "b"  # sure', "b"),
])
def test_read_answer_literal(source, expected):
    assert explanations.read_answer(source, "q1_answer") == expected


@pytest.mark.parametrize(("source", "reason"), [
    ("# YOUR CODE HERE\nraise NotImplementedError()", "does not set q1_answer"),
    ('q1_answer = "b', "syntax error on line 1"),
    ('q1_answer = "B".lower()', "expression"),
    ('q2_answer = "b"', "does not set q1_answer"),
])
def test_read_answer_unreadable(source, reason):
    with pytest.raises(ValueError, match=reason):
        explanations.read_answer(source, "q1_answer")


def test_read_answer_never_executes(tmp_path):
    marker = tmp_path / "executed"
    source = f"q1_answer = __import__('pathlib').Path({str(marker)!r}).write_text('x')"
    with pytest.raises(ValueError, match="expression"):
        explanations.read_answer(source, "q1_answer")
    assert not marker.exists(), "reading the answer ran the learner's code"


# check_quiz_answer with and without self-study mode.

@pytest.mark.parametrize(("value", "shows_key"), [(None, False), ("0", False), ("1", True)])
def test_quiz_wrong_answer_message(monkeypatch, value, shows_key):
    if value is None:
        monkeypatch.delenv(quiz.EXPLANATIONS_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(quiz.EXPLANATIONS_VARIABLE, value)
    entry = quiz.load_quiz_key()[ASSIGNMENT]["q5"]
    with pytest.raises(AssertionError) as failure:
        quiz.check_quiz_answer(ASSIGNMENT, "q5", "a")
    message = str(failure.value)
    assert message.startswith("Question 5 (hard): 'a' is not the right answer.")
    for field in ("hint", "explanation", "mistake"):
        assert (entry[field] in message) == shows_key, f"{quiz.EXPLANATIONS_VARIABLE}={value}: {field} shown is not {shows_key}"


@pytest.mark.parametrize(("value", "shows_key"), [(None, False), ("1", True)])
def test_quiz_right_answer_output(monkeypatch, capsys, value, shows_key):
    if value is None:
        monkeypatch.delenv(quiz.EXPLANATIONS_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(quiz.EXPLANATIONS_VARIABLE, value)
    entry = quiz.load_quiz_key()[ASSIGNMENT]["q5"]
    quiz.check_quiz_answer(ASSIGNMENT, "q5", entry["answer"])
    output = capsys.readouterr().out
    assert output.startswith("Question 5 (hard): correct.")
    assert (entry["explanation"] in output) == shows_key


# The feedback preprocessor on a cell that nbgrader's sample course never produces.

def test_preprocessor_filters_stderr_and_traceback():
    cell = new_code_cell(
        '"""Check the thing."""\n### BEGIN HIDDEN TESTS\ncheck_secret_case(solve)\n### END HIDDEN TESTS\nassert solve(1) == 2',
        metadata={"nbgrader": {"grade": True, "solution": False, "locked": True, "grade_id": "test_solve", "points": 2, "score": 0}},
        outputs=[
            new_output("stream", name="stderr", text="/tmp/ipykernel_1/2.py:3: UserWarning: slow\n  check_secret_case(solve)\n"),
            new_output("error", ename="AssertionError", evalue="solve(3) returned 5", traceback=["Cell In[4], line 3", "----> 3 check_secret_case(solve)"]),
        ],
    )
    notebook, _ = PrepareLearnerFeedback().preprocess(new_notebook(cells=[cell]), {})
    summary, shown = notebook.cells
    assert "check_secret_case" not in shown.source
    assert shown.outputs[0].text == "/tmp/ipykernel_1/2.py:3: UserWarning: slow\n"
    assert shown.outputs[1].traceback == ["AssertionError: solve(3) returned 5"]
    assert "test_solve" in summary.source
    assert "0 / 2" in summary.source
    assert "solve(3) returned 5" in summary.source
