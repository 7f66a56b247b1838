"""Run the instructor's grading path on sample submissions, with the real nbgrader commands.

    python -m autograder.round_trip build/grading-demo [--assignment 02-create-access-token]

For each assignment it copies the source notebook from solutions/ into a fresh course folder,
runs `nbgrader generate_assignment`, fills in learner copies as the students described in
autograder/sample_submissions/<assignment>.toml would, and grades them with the class grading
command (`python -m autograder.grade_class`: nbgrader's autograde and generate_feedback in
parallel, and the class report), then runs the quiz explanations step
(`python -m autograder.explanations`) and `nbgrader export`. It then compares every student's
score, feedback and explanations page with what the sample file expects, and checks that no
feedback shows hidden test code or quiz key text. It prints a table and exits 1 on a mismatch.
"""

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import ClearHiddenTests

from autograder.explanations import PAGE_NAME, SECTION_PATTERN
from autograder.feedback import remove_hidden_tests
from autograder.quiz import EXPLANATIONS_VARIABLE, load_quiz_key

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = REPO_ROOT / "solutions"
SAMPLES_ROOT = Path(__file__).resolve().parent / "sample_submissions"
SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION[ \t]*\n?", re.M | re.S)
# A fixed submission time keeps the gradebook free of late-penalty surprises.
SUBMISSION_TIMESTAMP = "2026-12-01 12:00:00.000000 UTC"
HIDDEN_TEST_DELIMITERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# The parts of a hidden test line that give it away even in a reformatted traceback.
HIDDEN_CODE_FRAGMENT = re.compile(r"from autograder[\w.]*|\bcheck_\w+\(")
HTML_TAG = re.compile(r"<[^>]*>")


@dataclass
class StudentResult:
    """One sample student's expected and actual outcome."""

    student: str
    expected_score: float
    score: float | None = None
    max_score: float | None = None
    missing_feedback: list[str] = field(default_factory=list)
    missing_explanations: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    feedback_path: Path | None = None
    explanations_path: Path | None = None

    @property
    def passed(self) -> bool:
        return (
            self.score == self.expected_score
            and not self.missing_feedback
            and not self.missing_explanations
            and not self.leaks
        )


def load_samples(assignment: str) -> dict[str, dict]:
    """Read the sample students of one assignment."""
    with (SAMPLES_ROOT / f"{assignment}.toml").open("rb") as file:
        return tomllib.load(file)


def reference_answers(source_notebook: Path) -> dict[str, str]:
    """Return each answer cell's solution code from a source notebook, by grade_id."""
    notebook = nbformat.read(source_notebook, as_version=4)
    answers = {}
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("solution") and cell.cell_type == "code":
            answers[grading["grade_id"]] = SOLUTION_REGION.sub(lambda match: match.group(1), cell.source)
    return answers


def fill_learner_copy(release_notebook: Path, answers: dict[str, str]) -> nbformat.NotebookNode:
    """Return the released notebook with the given answer cells replaced, as a learner would edit it."""
    notebook = nbformat.read(release_notebook, as_version=4)
    unknown = set(answers)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id].strip("\n")
            unknown.discard(grade_id)
    if unknown:
        raise ValueError(f"{release_notebook.name}: no answer cell with grade_id {sorted(unknown)}")
    return notebook


def run_nbgrader(course_root: Path, *arguments: str) -> None:
    """Run one nbgrader command on `course_root` with the course's configuration."""
    environment = dict(os.environ)
    # nbgrader starts alembic from PATH when it creates a gradebook.
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    # The grading kernel inherits this environment, and with the variable set the quiz checks
    # would write their explanations into the graded feedback.
    environment.pop(EXPLANATIONS_VARIABLE, None)
    command = [sys.executable, "-m", "nbgrader", *arguments, f"--CourseDirectory.root={course_root}"]
    print("$ nbgrader", " ".join(arguments), flush=True)
    # The working directory is the repository root, where nbgrader finds nbgrader_config.py.
    subprocess.run(command, cwd=REPO_ROOT, env=environment, check=True)


def submit_samples(course_root: Path, assignment: str, samples: dict[str, dict]) -> None:
    """Write one filled-in learner copy per sample student into submitted/."""
    notebook_name = f"{assignment}.ipynb"
    release_notebook = course_root / "notebooks" / assignment / notebook_name
    solutions = reference_answers(SOURCE_ROOT / assignment / notebook_name)
    for student, sample in samples.items():
        answers = dict(solutions) if sample["base"] == "reference" else {}
        answers.update(sample.get("cells", {}))
        folder = course_root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(fill_learner_copy(release_notebook, answers), folder / notebook_name)
        (folder / "timestamp.txt").write_text(SUBMISSION_TIMESTAMP)


def run_grade_class(course_root: Path, assignment: str) -> None:
    """Autograde every sample and write feedback and reports with the class grading command."""
    arguments = ["-m", "autograder.grade_class", assignment, f"--course-root={course_root}"]
    print("$ python", " ".join(arguments), flush=True)
    # The command drops JWT_COURSE_QUIZ_EXPLANATIONS itself before it starts grading kernels.
    subprocess.run([sys.executable, *arguments], cwd=REPO_ROOT, check=True)


def run_explanations(course_root: Path, assignment: str) -> None:
    """Run the quiz explanations step, as the instructor does after the deadline."""
    arguments = ["-m", "autograder.explanations", assignment, f"--course-root={course_root}"]
    print("$ python", " ".join(arguments), flush=True)
    subprocess.run([sys.executable, *arguments], cwd=REPO_ROOT, check=True)


def hidden_test_text(source_notebook: Path) -> set[str]:
    """Return text that only the hidden tests of a source notebook contain.

    That is the delimiters, each hidden line, and each `from autograder...` import and
    `check_...(` call in them. Text that the learner's copy shows too, such as an instruction
    to run a self-check, does not count.
    """
    notebook = nbformat.read(source_notebook, as_version=4)
    remover = ClearHiddenTests(enforce_metadata=False)
    hidden_lines, released_sources = set(), []
    for cell in notebook.cells:
        released = remove_hidden_tests(cell.source, remover)
        released_sources.append(released)
        hidden_lines |= {line.strip() for line in cell.source.splitlines()} - {line.strip() for line in released.splitlines()}
    hidden = set(HIDDEN_TEST_DELIMITERS) | hidden_lines
    for line in hidden_lines:
        hidden |= set(HIDDEN_CODE_FRAGMENT.findall(line))
    released_text = "\n".join(released_sources)
    return {text for text in hidden if text and text not in released_text}


def quiz_key_texts(assignment: str) -> set[str]:
    """Return the hints, explanations and common mistakes of an assignment's quiz."""
    questions = load_quiz_key().get(assignment, {})
    return {entry[field] for entry in questions.values() for field in ("hint", "explanation", "mistake")}


def find_leaks(feedback_html: str, forbidden: set[str]) -> list[str]:
    """Return the forbidden texts that a feedback page shows.

    Tags are removed first, because syntax highlighting splits a source line into many spans.
    """
    text = html.unescape(HTML_TAG.sub("", feedback_html))
    return sorted(fragment for fragment in forbidden if fragment in text)


def collect_results(course_root: Path, assignment: str, samples: dict[str, dict]) -> list[StudentResult]:
    """Read every sample student's score from the gradebook and check their feedback and explanations."""
    forbidden = hidden_test_text(SOURCE_ROOT / assignment / f"{assignment}.ipynb") | quiz_key_texts(assignment)
    results = []
    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gradebook:
        for student, sample in samples.items():
            result = StudentResult(student, float(sample["expected_score"]))
            submission = gradebook.find_submission(assignment, student)
            result.score, result.max_score = submission.score, submission.max_score
            folder = course_root / "feedback" / student / assignment
            result.feedback_path = folder / f"{assignment}.html"
            result.explanations_path = folder / PAGE_NAME
            # The explanations step appended its section to the page after grading, and a
            # learner who fetched feedback before the deadline saw the page without it.
            graded_feedback = SECTION_PATTERN.sub("", read_text(result.feedback_path))
            text = html.unescape(graded_feedback)
            result.missing_feedback = [phrase for phrase in sample.get("expected_feedback", []) if phrase not in text]
            result.leaks = find_leaks(graded_feedback, forbidden)
            explanations = html.unescape(read_text(result.explanations_path))
            result.missing_explanations = [
                phrase for phrase in sample.get("expected_explanations", []) if phrase not in explanations
            ]
            results.append(result)
    return results


def read_text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def grade_assignment(course_root: Path, assignment: str) -> list[StudentResult]:
    """Run generate_assignment, submit the samples, grade them, write explanations, return the results."""
    shutil.copytree(SOURCE_ROOT / assignment, course_root / "solutions" / assignment)
    samples = load_samples(assignment)
    run_nbgrader(course_root, "generate_assignment", assignment)
    submit_samples(course_root, assignment, samples)
    run_grade_class(course_root, assignment)
    run_explanations(course_root, assignment)
    return collect_results(course_root, assignment, samples)


def sample_assignments() -> list[str]:
    return sorted(path.stem for path in SAMPLES_ROOT.glob("*.toml"))


def run_round_trip(course_root: Path, assignments: list[str]) -> dict[str, list[StudentResult]]:
    """Grade every assignment's samples in a new course folder and export the grades CSV."""
    if course_root.exists():
        shutil.rmtree(course_root)
    course_root.mkdir(parents=True)
    results = {assignment: grade_assignment(course_root, assignment) for assignment in assignments}
    run_nbgrader(course_root, "export", f"--to={course_root / 'grades.csv'}")
    return results


def print_results(results: dict[str, list[StudentResult]]) -> None:
    for assignment, students in results.items():
        print(f"\n{assignment}")
        for result in students:
            status = "ok" if result.passed else "MISMATCH"
            print(f"  {status:8} {result.student:28} {result.score:5g} / {result.max_score:g}  (expected {result.expected_score:g})")
            for phrase in result.missing_feedback:
                print(f"           feedback lacks: {phrase!r} ({result.feedback_path})")
            for phrase in result.missing_explanations:
                print(f"           explanations page lacks: {phrase!r} ({result.explanations_path})")
            for leak in result.leaks:
                print(f"           feedback shows hidden test code or quiz key text: {leak!r} ({result.feedback_path})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("course_root", type=Path, help="folder for the demo course; it is deleted and made anew")
    parser.add_argument("--assignment", action="append", help="assignment to grade (repeatable; default: all with samples)")
    arguments = parser.parse_args()
    course_root = arguments.course_root.resolve()
    results = run_round_trip(course_root, arguments.assignment or sample_assignments())
    print_results(results)
    print(f"\nGrades: {course_root / 'grades.csv'}\nFeedback: {course_root / 'feedback'}")
    return 0 if all(result.passed for students in results.values() for result in students) else 1


if __name__ == "__main__":
    sys.exit(main())
