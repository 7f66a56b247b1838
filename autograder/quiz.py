"""Grade quiz answers against the key in solutions/quiz_key.toml.

Hidden test cells call `check_quiz_answer`; the key never appears in a notebook, so neither
a learner copy nor the checksums nbgrader stores in it can reveal an answer.

Grading output reaches a class before its deadline, so by default a check only reports whether
an answer is right. The instructor releases the explanations later with
`python -m autograder.explanations`. Self-study learners set JWT_COURSE_QUIZ_EXPLANATIONS=1 to
see the hint, the common mistake and the explanation at once.
"""

import os
import tomllib
from functools import cache
from pathlib import Path

QUIZ_KEY_PATH = Path(__file__).resolve().parent.parent / "solutions" / "quiz_key.toml"
CHOICES = ("a", "b", "c", "d")
DIFFICULTIES = ("easy", "medium", "hard")
QUESTION_FIELDS = ("difficulty", "answer", "hint", "explanation", "mistake")
# NOTE: the grading kernel inherits the environment of `nbgrader autograde`, so an instructor
# who grades with this variable set to 1 puts the explanations into the graded feedback.
EXPLANATIONS_VARIABLE = "JWT_COURSE_QUIZ_EXPLANATIONS"


@cache
def load_quiz_key(path: Path = QUIZ_KEY_PATH) -> dict:
    """Read the quiz key and reject an entry with a missing field or an invalid value."""
    with path.open("rb") as file:
        key = tomllib.load(file)
    for notebook, questions in key.items():
        for question, entry in questions.items():
            where = f"{path.name}: [{notebook}.{question}]"
            missing = [field for field in QUESTION_FIELDS if not entry.get(field)]
            if missing:
                raise ValueError(f"{where} is missing {', '.join(missing)}")
            if entry["answer"] not in CHOICES:
                raise ValueError(f"{where}: answer {entry['answer']!r} is not one of {CHOICES}")
            if entry["difficulty"] not in DIFFICULTIES:
                raise ValueError(f"{where}: difficulty {entry['difficulty']!r} is not one of {DIFFICULTIES}")
    return key


def explanations_enabled() -> bool:
    """Return True when EXPLANATIONS_VARIABLE is set to 1 (self-study mode)."""
    return os.environ.get(EXPLANATIONS_VARIABLE) == "1"


def check_quiz_answer(notebook: str, question: str, answer: object) -> None:
    """Print "correct" for the right answer, or raise AssertionError saying it is not the right answer.

    Hidden test cells pass `globals().get("qN_answer")`, so None means the learner never set it.

    In self-study mode a right answer also prints the explanation, and a wrong one fails with
    the hint, the common mistake and the explanation.
    """
    entry = load_quiz_key()[notebook][question]
    label = f"Question {question.lstrip('q')} ({entry['difficulty']})"
    if answer is None:
        raise AssertionError(
            f"{label}: not answered. Set {question}_answer to one of {', '.join(map(repr, CHOICES))} and run its cell.\n"
            f"{describe_wrong_answer(entry)}"
        )
    if answer not in CHOICES:
        raise AssertionError(f"{label}: expected one of the lowercase letters {', '.join(CHOICES)} as a str, got {answer!r}.")
    if answer != entry["answer"]:
        raise AssertionError(f"{label}: {answer!r} is not the right answer.\n{describe_wrong_answer(entry)}")
    print(f"{label}: correct.")
    if explanations_enabled():
        print(f"Explanation: {entry['explanation']}")


def describe_wrong_answer(entry: dict) -> str:
    """Return the hint, common mistake and explanation in self-study mode, else where they come later."""
    if not explanations_enabled():
        return (
            "Your instructor releases the right answer and its explanation after the deadline."
        )
    return f"Hint: {entry['hint']}\nCommon mistake: {entry['mistake']}\nExplanation: {entry['explanation']}"
