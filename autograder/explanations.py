"""Release the quiz explanations of one assignment, as the instructor's step after the deadline.

    python -m autograder.explanations ASSIGNMENT [--course-root DIR] [--db-url URL] [--student ID]

Graded feedback only reports whether each quiz answer is right (see autograder/quiz.py), so a
class can keep the key until the deadline has passed. This command then writes, for every
autograded student, feedback/<student>/<assignment>/quiz-explanations.html: per question the
student's answer, the right answer, the hint, the explanation and the common mistake.

`nbgrader fetch_feedback` only fetches a page named after a submitted notebook, so a separate
page never reaches learners through the exchange. `nbgrader release_feedback` still copies it
into the exchange, under a name that no fetch looks for. The command therefore also appends
the same section to each notebook's feedback page in that folder. Run `nbgrader
release_feedback ASSIGNMENT` afterwards, and learners get the explanations when they fetch
their feedback.

Answers are read from the autograded notebook's quiz_qN_answer cells with `ast`, so learner
code is never executed here.
"""

import argparse
import ast
import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert.filters import markdown2html
from nbgrader.api import MissingEntry
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.quiz import load_quiz_key

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGE_NAME = "quiz-explanations.html"
# The markers let a second run replace the section it added to a feedback page.
SECTION_BEGIN = "<!-- quiz explanations: begin -->"
SECTION_END = "<!-- quiz explanations: end -->"
SECTION_PATTERN = re.compile(re.escape(SECTION_BEGIN) + ".*?" + re.escape(SECTION_END), re.S)
PAGE_STYLE = """
body { font-family: sans-serif; max-width: 50em; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
section.question { border-top: 1px solid #ccc; padding-top: 0.5em; }
p.right { color: #2b7a2b; } p.wrong { color: #b52b27; }
"""


@dataclass
class QuestionReview:
    """One quiz question as the explanations page shows it to one student."""

    question: str
    difficulty: str
    prompt_html: str
    learner_answer: str
    is_right: bool
    right_answer: str
    hint: str
    explanation: str
    mistake: str


def read_answer(source: str, variable: str) -> object:
    """Return the literal that a cell's last top-level assignment gives `variable`, without running the cell.

    Raises ValueError, with a reason a learner understands, when the cell has a syntax error,
    never assigns the variable, or assigns it something other than a literal such as "b".
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ValueError(f"the cell has a syntax error on line {error.lineno}") from None
    value = None
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(is_name(target, variable) for target in statement.targets):
            value = statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value and is_name(statement.target, variable):
            value = statement.value
    if value is None:
        raise ValueError(f"the cell does not set {variable}")
    try:
        return ast.literal_eval(value)
    except ValueError:
        raise ValueError(f'{variable} is set to an expression, not to a letter such as "b"') from None


def is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def describe_answer(source: str, variable: str) -> tuple[str, object]:
    """Return the learner's answer as the page shows it, and its value (None when it cannot be read)."""
    try:
        value = read_answer(source, variable)
    except ValueError as reason:
        return f"none ({reason})", None
    return repr(value), value


def cells_by_grade_id(notebook: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in notebook.cells
        if "grade_id" in cell.metadata.get("nbgrader", {})
    }


def review_quiz(notebook: nbformat.NotebookNode, questions: dict[str, dict]) -> list[QuestionReview]:
    """Return one review per question in the key, with the answer read from the autograded notebook."""
    cells = cells_by_grade_id(notebook)
    reviews = []
    for question, entry in sorted(questions.items(), key=lambda item: int(item[0].lstrip("q"))):
        answer_cell = cells.get(f"quiz_{question}_answer")
        prompt_cell = cells.get(f"quiz-{question}")
        if answer_cell is None:
            answer_text, value = "none (the answer cell is missing from the notebook)", None
        else:
            answer_text, value = describe_answer(answer_cell.source, f"{question}_answer")
        reviews.append(QuestionReview(
            question=question,
            difficulty=entry["difficulty"],
            prompt_html=markdown2html(prompt_cell.source) if prompt_cell else "",
            learner_answer=answer_text,
            is_right=value == entry["answer"],
            right_answer=repr(entry["answer"]),
            hint=entry["hint"],
            explanation=entry["explanation"],
            mistake=entry["mistake"],
        ))
    return reviews


def render_section(notebook_id: str, reviews: list[QuestionReview]) -> str:
    """Return the HTML section for one notebook's quiz.

    Each field is one paragraph of plain text after its label, such as "Common mistake: ...",
    so the sample submissions can look for a phrase in the page.
    """
    parts = [f'<div class="quiz-explanations"><h2>Quiz explanations: {html.escape(notebook_id)}</h2>']
    for review in reviews:
        verdict = "right" if review.is_right else "wrong"
        parts += [
            '<section class="question">',
            # The question cell starts with its own heading; a notebook without one gets a plain heading.
            review.prompt_html or f"<h3>Question {review.question.lstrip('q')} ({review.difficulty})</h3>",
            f'<p class="{verdict}">Your answer: {html.escape(review.learner_answer)} ({verdict})</p>',
            f"<p>Right answer: {html.escape(review.right_answer)}</p>",
            f"<p>Hint: {html.escape(review.hint)}</p>",
            f"<p>Explanation: {html.escape(review.explanation)}</p>",
            f"<p>Common mistake: {html.escape(review.mistake)}</p>",
            "</section>",
        ]
    parts.append("</div>")
    return "\n".join(parts)


def render_page(assignment: str, student: str, sections: list[str]) -> str:
    title = html.escape(f"Quiz explanations: {assignment}, {student}")
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
        f"<style>{PAGE_STYLE}</style>\n</head>\n<body>\n" + "\n".join(sections) + "\n</body>\n</html>\n"
    )


def add_to_feedback(feedback_html: str, section: str) -> str:
    """Return nbgrader's feedback page with `section` at its end, replacing one added before."""
    block = f'{SECTION_BEGIN}\n<div class="container">\n{section}\n</div>\n{SECTION_END}'
    if SECTION_PATTERN.search(feedback_html):
        return SECTION_PATTERN.sub(lambda match: block, feedback_html)
    end = feedback_html.rfind("</body>")
    if end == -1:
        return feedback_html + block
    return feedback_html[:end] + block + "\n" + feedback_html[end:]


def open_course(course_root: Path, db_url: str | None) -> NbGraderAPI:
    """Return nbgrader's API on `course_root`, with the course's nbgrader settings."""
    config = Config()
    config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(REPO_ROOT)).load_config())
    config.CourseDirectory.root = str(course_root)
    if db_url:
        config.CourseDirectory.db_url = db_url
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def find_notebooks(api: NbGraderAPI, assignment: str) -> list[str]:
    """Return the assignment's notebook names from the gradebook, or raise LookupError."""
    with api.gradebook as gradebook:
        try:
            return sorted(notebook.name for notebook in gradebook.find_assignment(assignment).notebooks)
        except MissingEntry:
            raise LookupError(
                f"assignment {assignment!r} is not in the gradebook {api.coursedir.db_url}. "
                "Run nbgrader generate_assignment and autograde first."
            ) from None


def write_explanations(
    assignment: str, course_root: Path = REPO_ROOT, db_url: str | None = None, student: str | None = None
) -> list[Path]:
    """Write the explanations page of every autograded student (or one) and add it to their feedback.

    Returns the pages written. Raises LookupError when the assignment, its quiz or the student
    is not found.
    """
    api = open_course(course_root, db_url)
    key = load_quiz_key()
    notebooks = [name for name in find_notebooks(api, assignment) if name in key]
    if not notebooks:
        raise LookupError(f"assignment {assignment!r} has no notebook with a quiz in the quiz key")
    students = sorted(api.get_autograded_students(assignment))
    if student is not None:
        if student not in students:
            raise LookupError(f"student {student!r} has no autograded submission of {assignment!r}")
        students = [student]
    if not students:
        raise LookupError(f"no student has an autograded submission of {assignment!r}. Run nbgrader autograde first.")

    pages = []
    for student_id in students:
        pages.append(write_student_explanations(api.coursedir, assignment, student_id, {name: key[name] for name in notebooks}))
    return pages


def write_student_explanations(
    coursedir: CourseDirectory, assignment: str, student: str, quizzes: dict[str, dict]
) -> Path:
    """Write one student's explanations page and add each notebook's section to its feedback page."""
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    feedback = Path(coursedir.format_path(coursedir.feedback_directory, student, assignment))
    feedback.mkdir(parents=True, exist_ok=True)
    sections = []
    for notebook_id, questions in quizzes.items():
        notebook = nbformat.read(autograded / f"{notebook_id}.ipynb", as_version=4)
        section = render_section(notebook_id, review_quiz(notebook, questions))
        sections.append(section)
        feedback_page = feedback / f"{notebook_id}.html"
        if feedback_page.exists():
            feedback_page.write_text(add_to_feedback(feedback_page.read_text(), section))
            print(f"added the explanations to {feedback_page}")
        else:
            print(f"no feedback page {feedback_page}: run nbgrader generate_feedback, then this command again")
    page = feedback / PAGE_NAME
    page.write_text(render_page(assignment, student, sections))
    print(f"wrote {page}")
    return page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", help="assignment name, such as 02-create-access-token")
    parser.add_argument("--course-root", type=Path, default=REPO_ROOT, help="nbgrader course folder (default: the repository)")
    parser.add_argument("--db-url", help="gradebook URL (default: sqlite:///COURSE_ROOT/gradebook.db)")
    parser.add_argument("--student", help="write the page of this student only")
    arguments = parser.parse_args()
    try:
        write_explanations(arguments.assignment, arguments.course_root.resolve(), arguments.db_url, arguments.student)
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
