"""Grade quiz answers against the key in solutions/quiz_key.toml.

Hidden test cells call `check_quiz_answer`; the key never appears in a notebook, so neither
a learner copy nor the checksums nbgrader stores in it can reveal an answer.
"""

import tomllib
from functools import cache
from pathlib import Path

QUIZ_KEY_PATH = Path(__file__).resolve().parent.parent / "solutions" / "quiz_key.toml"
CHOICES = ("a", "b", "c", "d")
DIFFICULTIES = ("easy", "medium", "hard")
QUESTION_FIELDS = ("difficulty", "answer", "hint", "explanation", "mistake")


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


def check_quiz_answer(notebook: str, question: str, answer: object) -> None:
    """Pass and print the explanation for the right answer; fail with hint and common mistake otherwise."""
    entry = load_quiz_key()[notebook][question]
    label = f"Question {question.lstrip('q')} ({entry['difficulty']})"
    if answer not in CHOICES:
        raise AssertionError(f"{label}: expected one of the lowercase letters {', '.join(CHOICES)} as a str, got {answer!r}.")
    if answer != entry["answer"]:
        raise AssertionError(
            f"{label}: {answer!r} is not the right answer.\n"
            f"Hint: {entry['hint']}\n"
            f"Common mistake: {entry['mistake']}\n"
            f"Explanation: {entry['explanation']}"
        )
    print(f"{label}: correct.\nExplanation: {entry['explanation']}")
