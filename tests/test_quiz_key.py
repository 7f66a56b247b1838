"""The quiz key: one complete entry per quiz cell, and answers graded per question."""

import re

import nbformat
import pytest

from autograder import quiz
from conftest import ASSIGNMENTS, source_notebook

QUIZ_CALL = re.compile(
    r'check_quiz_answer\("(?P<notebook>[^"]+)", "(?P<question>q\d+)", globals\(\)\.get\("(?P<variable>q\d+_answer)"\)\)'
)
# Every notebook has a five-question quiz, except the final test, which has ten.
QUESTION_COUNTS = {"08-test-the-pattern": 10}
QUESTION_HEADING = re.compile(r"^### Question (?P<number>\d+) \((?P<difficulty>easy|medium|hard), 1 point\)", re.M)


def quiz_cells(assignment: str) -> dict[str, str]:
    """Return {question: difficulty from its heading} for every question in a source notebook."""
    notebook = nbformat.read(source_notebook(assignment), as_version=4)
    headings = {}
    calls = set()
    for cell in notebook.cells:
        for match in QUESTION_HEADING.finditer(cell.source):
            headings[f"q{match['number']}"] = match["difficulty"]
        for match in QUIZ_CALL.finditer(cell.source):
            assert match["notebook"] == assignment, f"{assignment}: a quiz cell names {match['notebook']}"
            assert match["variable"] == f"{match['question']}_answer"
            calls.add(match["question"])
    assert set(headings) == calls, f"{assignment}: questions {sorted(headings)} but graded cells {sorted(calls)}"
    return headings


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_question_has_key_entry(assignment):
    headings = quiz_cells(assignment)
    key = quiz.load_quiz_key()[assignment]
    count = QUESTION_COUNTS.get(assignment, 5)
    assert sorted(headings, key=lambda q: int(q[1:])) == [f"q{n}" for n in range(1, count + 1)], f"{assignment} must have {count} questions"
    assert set(key) == set(headings), f"{assignment}: key has {sorted(key)}, notebook has {sorted(headings)}"
    for question, difficulty in headings.items():
        assert key[question]["difficulty"] == difficulty, f"{assignment} {question}: heading says {difficulty}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_difficulties_span_easy_to_hard(assignment):
    difficulties = {entry["difficulty"] for entry in quiz.load_quiz_key()[assignment].values()}
    assert difficulties == {"easy", "medium", "hard"}


def test_key_has_no_extra_notebooks():
    assert set(quiz.load_quiz_key()) == set(ASSIGNMENTS)


# Graded feedback hides the explanations, which tests/test_feedback.py checks.
# These tests cover self-study mode, where the variable is set to 1.
def test_self_study_right_answer_explains(capsys, monkeypatch):
    monkeypatch.setenv(quiz.EXPLANATIONS_VARIABLE, "1")
    entry = quiz.load_quiz_key()["02-create-access-token"]["q5"]
    quiz.check_quiz_answer("02-create-access-token", "q5", entry["answer"])
    output = capsys.readouterr().out
    assert "Question 5 (hard): correct." in output
    assert entry["explanation"] in output


@pytest.mark.parametrize("letter", ["a", "b", "c"])
def test_self_study_wrong_answer_hints(letter, monkeypatch):
    monkeypatch.setenv(quiz.EXPLANATIONS_VARIABLE, "1")
    with pytest.raises(AssertionError) as failure:
        quiz.check_quiz_answer("02-create-access-token", "q5", letter)
    entry = quiz.load_quiz_key()["02-create-access-token"]["q5"]
    message = str(failure.value)
    assert f"{letter!r} is not the right answer" in message
    assert entry["hint"] in message
    assert entry["mistake"] in message
    assert entry["explanation"] in message


@pytest.mark.parametrize("answer", ["B", " b", "e", 2, ""])
def test_invalid_answer_rejected(answer):
    with pytest.raises(AssertionError, match="expected one of the lowercase letters a, b, c, d"):
        quiz.check_quiz_answer("02-create-access-token", "q1", answer)


def test_unanswered_question_named():
    with pytest.raises(AssertionError) as failure:
        quiz.check_quiz_answer("02-create-access-token", "q4", None)
    message = str(failure.value)
    assert "Question 4 (medium): not answered. Set q4_answer to one of 'a', 'b', 'c', 'd'" in message
    assert quiz.load_quiz_key()["02-create-access-token"]["q4"]["hint"] not in message


def test_unanswered_question_hinted_in_self_study(monkeypatch):
    monkeypatch.setenv(quiz.EXPLANATIONS_VARIABLE, "1")
    with pytest.raises(AssertionError) as failure:
        quiz.check_quiz_answer("02-create-access-token", "q4", None)
    assert quiz.load_quiz_key()["02-create-access-token"]["q4"]["hint"] in str(failure.value)


def test_incomplete_key_rejected(tmp_path):
    path = tmp_path / "key.toml"
    path.write_text('["01-x".q1]\ndifficulty = "easy"\nanswer = "e"\nhint = "h"\nexplanation = "x"\nmistake = "m"\n')
    with pytest.raises(ValueError, match="answer 'e' is not one of"):
        quiz.load_quiz_key(path)
    path.write_text('["01-x".q1]\ndifficulty = "easy"\nanswer = "a"\n')
    with pytest.raises(ValueError, match="missing hint, explanation, mistake"):
        quiz.load_quiz_key(path)
