"""Run the instructor's grading path on sample submissions, with the real nbgrader commands.

    python -m autograder.round_trip build/grading-demo [--assignment 02-create-access-token]

For each assignment it copies the source notebook from solutions/ into a fresh course folder,
runs `nbgrader generate_assignment`, fills in learner copies as the students described in
autograder/sample_submissions/<assignment>.toml would, and runs `nbgrader autograde`,
`nbgrader generate_feedback` and `nbgrader export`. It then compares every student's score
and feedback with what the sample file expects, prints a table, and exits 1 on a mismatch.
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

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = REPO_ROOT / "solutions"
SAMPLES_ROOT = Path(__file__).resolve().parent / "sample_submissions"
SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION[ \t]*\n?", re.M | re.S)
# A fixed submission time keeps the gradebook free of late-penalty surprises.
SUBMISSION_TIMESTAMP = "2026-12-01 12:00:00.000000 UTC"


@dataclass
class StudentResult:
    """One sample student's expected and actual outcome."""

    student: str
    expected_score: float
    score: float | None = None
    max_score: float | None = None
    missing_feedback: list[str] = field(default_factory=list)
    feedback_path: Path | None = None

    @property
    def passed(self) -> bool:
        return self.score == self.expected_score and not self.missing_feedback


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


def collect_results(course_root: Path, assignment: str, samples: dict[str, dict]) -> list[StudentResult]:
    """Read every sample student's score from the gradebook and check their feedback."""
    results = []
    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gradebook:
        for student, sample in samples.items():
            result = StudentResult(student, float(sample["expected_score"]))
            submission = gradebook.find_submission(assignment, student)
            result.score, result.max_score = submission.score, submission.max_score
            feedback = course_root / "feedback" / student / assignment / f"{assignment}.html"
            result.feedback_path = feedback
            text = html.unescape(feedback.read_text()) if feedback.exists() else ""
            result.missing_feedback = [phrase for phrase in sample.get("expected_feedback", []) if phrase not in text]
            results.append(result)
    return results


def grade_assignment(course_root: Path, assignment: str) -> list[StudentResult]:
    """Run generate_assignment, submit the samples, autograde, write feedback, return the results."""
    shutil.copytree(SOURCE_ROOT / assignment, course_root / "solutions" / assignment)
    samples = load_samples(assignment)
    run_nbgrader(course_root, "generate_assignment", assignment)
    submit_samples(course_root, assignment, samples)
    run_nbgrader(course_root, "autograde", assignment)
    run_nbgrader(course_root, "generate_feedback", assignment)
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
