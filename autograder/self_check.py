"""Check your notebooks with the grader's hidden checks before you submit, and see your course progress.

    python -m autograder.self_check [NOTEBOOK_OR_ASSIGNMENT ...] [--self-study] [--workers N]

Without an argument it checks every learner notebook in this repository's notebooks/ folder, the
one `make lab` opens. An argument is an assignment name, such as 02-create-access-token, or the path
of a notebook whose file name is <assignment>.ipynb, such as the copy nbgrader's fetch puts in your
home folder.

Each notebook is graded as the instructor grades it, with nbgrader's autograde in worker processes
(autograder/grade_class.py), in a temporary course folder built from this repository's solutions/
and deleted afterwards. The report lists each exercise part and each quiz question with its checks,
points and, for a failed check, the message that explains the failure. A progress overview follows.
A notebook whose answer cells are all still as released is "not started" and is not graded.

--self-study sets JWT_COURSE_QUIZ_EXPLANATIONS=1 while grading, so quiz results include the hint, the
common mistake and the explanation. Without it they do not, as in a graded class, unless that
variable is already set to 1 in your environment.

From a notebook, save it and run this in a new cell (then delete the cell):

    from autograder.self_check import check_notebook; check_notebook()
"""

import argparse
import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import grade_class
from autograder.grade_class import GRADING_VARIABLE
from autograder.quiz import EXPLANATIONS_VARIABLE

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = REPO_ROOT / "solutions"
LEARNER_ROOT = REPO_ROOT / "notebooks"
HEADING = re.compile(r"^#{1,6}\s+(.*\S)\s*$", re.M)
# "Part A: `expiry_time` (3 points)" and "Question 1 (easy, 1 point)" lose their points: the report adds them up.
POINTS_IN_PARENTHESES = re.compile(r"\s*\(\d+(?:\.\d+)? points?\)$")
POINTS_AFTER_COMMA = re.compile(r", \d+(?:\.\d+)? points?\)$")
PROGRESS_BAR_WIDTH = 20
# How long check_notebook waits, after the kernel is interrupted, for the command to stop by itself.
INTERRUPT_WAIT_SECONDS = 10
MESSAGE_INDENT = " " * 10
EXIT_NOT_CHECKED = grade_class.EXIT_SOME_NOT_GRADED
EXIT_INTERRUPTED = grade_class.EXIT_INTERRUPTED

NOT_STARTED = "not started"
GRADED = "graded"
NOT_CHECKED = "not checked"


@dataclass
class CheckOutline:
    """One test cell of a source notebook: its grade_id and the first line of its docstring."""

    grade_id: str
    description: str


@dataclass
class CheckGroup:
    """The test cells that follow one answer cell: the checks of an exercise part or of a quiz question."""

    title: str
    answer_cell: str
    checks: list[CheckOutline] = field(default_factory=list)


@dataclass
class CheckOutcome:
    """One check of a graded notebook."""

    points: float
    max_points: float
    is_quiz: bool
    message: str
    printed: str

    @property
    def passed(self) -> bool:
        return self.points == self.max_points


@dataclass
class NotebookCheck:
    """One notebook to check, and what the check found."""

    assignment: str
    path: Path
    status: str = ""
    problem: str = ""
    # The student id under which the notebook is graded in the temporary course.
    student: str = ""
    # The notebook's name in the progress overview: the assignment, plus the folder when two share it.
    label: str = ""
    max_score: float = 0.0
    score: float = 0.0
    outcomes: dict[str, CheckOutcome] = field(default_factory=dict)


# Finding the notebooks


def list_assignments() -> list[str]:
    """Return every assignment with a source notebook in solutions/, sorted."""
    if not SOURCE_ROOT.is_dir():
        return []
    return sorted(path.name for path in SOURCE_ROOT.iterdir() if (path / f"{path.name}.ipynb").is_file())


def source_notebook(assignment: str) -> Path:
    return SOURCE_ROOT / assignment / f"{assignment}.ipynb"


def default_notebooks() -> list[Path]:
    """Return every learner notebook in the repository's notebooks/ folder, sorted."""
    return sorted(path for path in LEARNER_ROOT.glob("*/*.ipynb") if path.stem == path.parent.name)


def resolve_target(argument: str, assignments: list[str]) -> NotebookCheck:
    """Turn an assignment name, a notebook path or a folder with one course notebook into a notebook to check."""
    path = Path(argument).expanduser()
    if argument in assignments and not path.exists():
        return NotebookCheck(argument, LEARNER_ROOT / argument / f"{argument}.ipynb")
    path = path.resolve()
    if path.is_dir():
        try:
            path = find_notebook_in_folder(path, assignments)
        except LookupError as error:
            return NotebookCheck(path.name, path, problem=str(error))
    check = NotebookCheck(path.stem, path)
    if not path.exists():
        check.problem = (
            f"not found: {argument!r} is neither an assignment name nor an existing notebook. "
            f"The assignments are {', '.join(assignments)}."
        )
    elif path.stem not in assignments:
        check.problem = (
            f"the file name {path.name!r} names no assignment of this course, so the checks to run are unknown. "
            f"Name the notebook <assignment>.ipynb, one of: {', '.join(f'{name}.ipynb' for name in assignments)}."
        )
    return check


def find_notebook_in_folder(folder: Path, assignments: list[str]) -> Path:
    """Return the course notebook in `folder`: the one named after the folder, or the only one with a course name."""
    if folder.name in assignments and (folder / f"{folder.name}.ipynb").is_file():
        return folder / f"{folder.name}.ipynb"
    candidates = sorted(path for path in folder.glob("*.ipynb") if path.stem in assignments)
    if len(candidates) == 1:
        return candidates[0]
    found = f"{len(candidates)}: {', '.join(path.name for path in candidates)}" if candidates else "none"
    raise LookupError(
        f"cannot tell which notebook to check in {folder}: expected exactly one notebook named after an "
        f"assignment, found {found}. Give the notebook's path or the assignment's name instead."
    )


def assign_names(checks: list[NotebookCheck]) -> None:
    """Give each notebook a unique student id for the temporary course, and its label in the overview.

    Student ids are named after the assignment because grade_class's progress lines print them,
    so each line names the notebook that finished.
    """
    used_ids: set[str] = set()
    for check in checks:
        student, number = check.assignment, 1
        while student in used_ids:
            number += 1
            student = f"{check.assignment}-{number}"
        used_ids.add(student)
        check.student = student
        shared = sum(other.assignment == check.assignment for other in checks) > 1
        check.label = f"{check.assignment} in {check.path.parent.name}/" if shared else check.assignment


# Reading the notebooks


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook and raise ValueError, with the reason and the next step, if it is not a valid one."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"not a text file ({error.reason} at byte {error.start}), so not a notebook") from None
    except OSError as error:
        raise ValueError(f"cannot be read: {error.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}), so JupyterLab cannot "
            "open it either. Fix that line in a text editor, or copy your answers into a fresh copy of the notebook."
        ) from None
    missing = [key for key in ("cells", "nbformat") if not isinstance(data, dict) or key not in data]
    if missing:
        raise ValueError(
            f"valid JSON, but not a Jupyter notebook, because it has no {' and no '.join(repr(key) for key in missing)} key at the top level. "
            "Check that you gave the path of your notebook, or copy your answers into a fresh copy of the notebook."
        )
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except (nbformat.ValidationError, AttributeError, KeyError) as error:
        first_line = str(error).strip().splitlines()[0]
        raise ValueError(f"not a valid Jupyter notebook: {first_line}") from None
    return notebook


def read_answer_stubs(assignment: str) -> dict[str, str]:
    """Return each answer cell's source as released, by grade_id, made by nbgrader's ClearSolutions."""
    from nbconvert.exporters.exporter import ResourcesDict
    from nbgrader.preprocessors import ClearSolutions

    config = grade_class.load_course_config(REPO_ROOT, grade_class.default_db_url(REPO_ROOT))
    notebook = nbformat.read(source_notebook(assignment), as_version=4)
    notebook, _ = ClearSolutions(config=config).preprocess(notebook, ResourcesDict())
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def is_not_started(notebook: nbformat.NotebookNode, stubs: dict[str, str]) -> bool:
    """Tell whether every answer cell is present and still as released (outputs aside)."""
    answers = {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution") and "grade_id" in cell.metadata["nbgrader"]
    }
    return all(grade_id in answers and answers[grade_id].strip() == stub.strip() for grade_id, stub in stubs.items())


def read_outline(assignment: str) -> list[CheckGroup]:
    """Group the source notebook's test cells under the answer cell before them, titled by its heading."""
    notebook = nbformat.read(source_notebook(assignment), as_version=4)
    groups: list[CheckGroup] = []
    heading = ""
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown":
            heading = last_heading(cell.source) or heading
        elif grading.get("solution"):
            groups.append(CheckGroup(heading or grading["grade_id"], grading["grade_id"]))
        elif grading.get("grade"):
            if not groups:
                groups.append(CheckGroup("Checks", ""))
            groups[-1].checks.append(CheckOutline(grading["grade_id"], describe_test_cell(cell.source, grading["grade_id"])))
    groups = [group for group in groups if group.checks]
    name_shared_headings(groups)
    return groups


def last_heading(markdown: str) -> str:
    """Return the cell's last heading as plain text without its points, or "" when it has none."""
    headings = HEADING.findall(markdown)
    if not headings:
        return ""
    title = headings[-1].replace("`", "")
    title = POINTS_IN_PARENTHESES.sub("", title)
    return POINTS_AFTER_COMMA.sub(")", title)


def name_shared_headings(groups: list[CheckGroup]) -> None:
    """Title groups under one heading by the heading's first part and their answer cell, e.g. "Part A: create_access_token"."""
    for group in groups:
        sharing = [other for other in groups if other.title == group.title]
        if len(sharing) > 1:
            prefix = group.title.split(":")[0]
            for other in sharing:
                other.title = f"{prefix}: {other.answer_cell}"


def describe_test_cell(source: str, grade_id: str) -> str:
    """Return the first line of a test cell's docstring, or its grade_id when it has none."""
    try:
        docstring = ast.get_docstring(ast.parse(source))
    except SyntaxError:
        docstring = None
    return docstring.strip().splitlines()[0] if docstring else grade_id


# Grading in a temporary course


def prepare_course(course_root: Path, checks: list[NotebookCheck], db_url: str) -> None:
    """Copy the source notebooks, store each assignment in the gradebook, and submit each notebook."""
    for assignment in sorted({check.assignment for check in checks}):
        shutil.copytree(SOURCE_ROOT / assignment, course_root / "solutions" / assignment)
        grade_class.ensure_assignment_in_gradebook(course_root, assignment, db_url)
    for check in checks:
        folder = grade_class.submission_folder(course_root, check.assignment, check.student)
        folder.mkdir(parents=True)
        shutil.copyfile(check.path, folder / f"{check.assignment}.ipynb")


def grade_notebooks(checks: list[NotebookCheck], workers: int) -> None:
    """Grade the notebooks with grade_class's worker pool in a temporary course, and record each outcome."""
    with tempfile.TemporaryDirectory(prefix="jwt-course-self-check-") as folder:
        course_root = Path(folder)
        db_url = grade_class.default_db_url(course_root)
        prepare_course(course_root, checks, db_url)
        logs = course_root / "logs"
        logs.mkdir(exist_ok=True)
        jobs = []
        for assignment in sorted({check.assignment for check in checks}):
            students = [check.student for check in checks if check.assignment == assignment]
            assignment_jobs, _ = grade_class.plan_jobs(course_root, assignment, db_url, students, True, logs / "run.log")
            jobs += assignment_jobs
        # The workers share grade_class's run lock. The temporary course has no other run to wait for.
        results = grade_class.run_pool(jobs, workers, logs / "workers-stderr.log", logs / "run.lock")
        by_student = {check.student: check for check in checks}
        for result in results:
            check = by_student[result.student]
            if result.graded:
                record_outcomes(course_root, db_url, check)
            else:
                check.status = NOT_CHECKED
                check.problem = f"grading failed: {result.error}"


def record_outcomes(course_root: Path, db_url: str, check: NotebookCheck) -> None:
    """Read one graded notebook's checks from the gradebook and its autograded notebook."""
    from autograder.class_report import read_class_results

    results = read_class_results(course_root, check.assignment, db_url, students=[check.student])
    submission = results.submissions[0]
    autograded = grade_class.autograded_folder(course_root, check.assignment, check.student) / f"{check.assignment}.ipynb"
    printed = read_printed_output(autograded)
    check.status = GRADED
    check.score = submission.score
    check.max_score = submission.max_score
    check.outcomes = {
        result.grade_id: CheckOutcome(
            result.points, result.max_points, result.is_quiz, result.message, printed.get(result.grade_id, "")
        )
        for result in submission.checks
    }


def read_printed_output(notebook_path: Path) -> dict[str, str]:
    """Return what each graded cell printed to stdout, by grade_id.

    A quiz check prints the explanation of a right answer there in self-study mode.
    """
    notebook = nbformat.read(notebook_path, as_version=4)
    printed = {}
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id:
            streams = [output.text for output in cell.outputs if output.output_type == "stream" and output.name == "stdout"]
            printed[grade_id] = "".join(streams).strip()
    return printed


# The report


def format_points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def format_score(points: float, max_points: float) -> str:
    return f"{format_points(points)} / {format_points(max_points)}"


def indent_message(text: str) -> list[str]:
    return [f"{MESSAGE_INDENT}{line}".rstrip() for line in text.strip().splitlines()]


def render_group(group: CheckGroup, outcomes: dict[str, CheckOutcome], self_study: bool) -> list[str]:
    """Return the lines for one exercise part or quiz question: its points, then each check."""
    found = [(check, outcomes[check.grade_id]) for check in group.checks if check.grade_id in outcomes]
    points = sum(outcome.points for _, outcome in found)
    max_points = sum(outcome.max_points for _, outcome in found)
    status = "passed" if found and all(outcome.passed for _, outcome in found) else "FAILED"
    # A quiz question has one check, so its line is the question's own line.
    is_quiz = bool(found) and all(outcome.is_quiz for _, outcome in found)
    lines = [f"  {group.title}: {status}, {format_score(points, max_points)} points"]
    for check, outcome in found:
        if not is_quiz:
            lines.append(f"    {'passed' if outcome.passed else 'FAILED'} {format_score(outcome.points, outcome.max_points)}  {check.description}")
        if not outcome.passed:
            lines += indent_message(outcome.message or "(the check failed without a message)")
        elif self_study and outcome.printed:
            lines += indent_message(outcome.printed)
    return lines


def render_notebook(check: NotebookCheck, self_study: bool) -> list[str]:
    lines = [f"{check.assignment}: {check.path}"]
    if check.status == NOT_STARTED:
        return lines + ["  Not started: every answer cell is still as released, so nothing was graded."]
    if check.status == NOT_CHECKED:
        return lines + [f"  Could not be checked: {check.problem}"]
    for group in read_outline(check.assignment):
        lines += render_group(group, check.outcomes, self_study)
    return lines + [f"  Total: {format_score(check.score, check.max_score)} points"]


def render_bar(fraction: float) -> str:
    filled = round(PROGRESS_BAR_WIDTH * fraction)
    return "[" + "#" * filled + "." * (PROGRESS_BAR_WIDTH - filled) + "]"


def render_overview(checks: list[NotebookCheck]) -> list[str]:
    """Return the course progress lines: per notebook its points, a bar, or why it has none."""
    width = max(len(check.label) for check in checks)
    lines = ["Course progress"]
    for check in checks:
        name = check.label.ljust(width)
        if check.status == GRADED:
            fraction = check.score / check.max_score if check.max_score else 0.0
            score = format_score(check.score, check.max_score).rjust(7)
            lines.append(f"  {name}  {score}  {render_bar(fraction)} {fraction:4.0%}")
        elif check.status == NOT_STARTED:
            lines.append(f"  {name}  {format_score(0, check.max_score).rjust(7)}  not started")
        else:
            lines.append(f"  {name}        -  not checked: see above")
    counted = [check for check in checks if check.status in (GRADED, NOT_STARTED)]
    total = sum(check.score for check in counted)
    max_total = sum(check.max_score for check in counted)
    started = sum(check.status == GRADED for check in checks)
    lines.append(
        f"  Total: {format_score(total, max_total)} points; {started} of {grade_class.count(len(checks), 'notebook')} started"
    )
    return lines


# The command


def inspect_notebooks(checks: list[NotebookCheck]) -> None:
    """Read each notebook: mark the invalid ones "not checked" and the untouched ones "not started"."""
    for check in checks:
        if check.problem:
            check.status = NOT_CHECKED
            continue
        try:
            notebook = read_notebook(check.path)
        except ValueError as error:
            check.status = NOT_CHECKED
            check.problem = str(error)
            continue
        if is_not_started(notebook, read_answer_stubs(check.assignment)):
            check.status = NOT_STARTED
            check.max_score = read_max_score(check.assignment)


def read_max_score(assignment: str) -> float:
    """Return the sum of the test cells' points in the source notebook."""
    notebook = nbformat.read(source_notebook(assignment), as_version=4)
    return sum(float(cell.metadata["nbgrader"].get("points", 0)) for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade"))


def explanations_hidden(checks: list[NotebookCheck]) -> bool:
    """Tell whether a graded quiz question failed while the explanations were held back."""
    if os.environ.get(EXPLANATIONS_VARIABLE) == "1":
        return False
    return any(outcome.is_quiz and not outcome.passed for check in checks for outcome in check.outcomes.values())


def prepare_environment(self_study: bool) -> None:
    """Set the variables that the grading workers and their kernels inherit."""
    if self_study:
        os.environ[EXPLANATIONS_VARIABLE] = "1"
    # nbgrader runs alembic from PATH when it creates the temporary gradebook.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # Grading kernels import the reference modules from solutions/. Without this they would write
    # solutions/__pycache__, which nbgrader's formgrader lists as an assignment.
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    sys.dont_write_bytecode = True


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", metavar="NOTEBOOK_OR_ASSIGNMENT",
        help="assignment name (e.g. 02-create-access-token) or path of a notebook named <assignment>.ipynb "
        f"(default: every notebook in {LEARNER_ROOT})",
    )
    parser.add_argument("--self-study", action="store_true", help="show each quiz question's hint, common mistake and explanation")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)), help="grading processes (default: one per core)")
    arguments = parser.parse_args(argv)
    if arguments.workers < 1:
        parser.error(f"--workers must be 1 or more, got {arguments.workers}")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    assignments = list_assignments()
    if not assignments:
        print(f"error: no source notebooks in {SOURCE_ROOT}: the self-check needs the course repository's solutions/ folder.", file=sys.stderr)
        return EXIT_NOT_CHECKED
    prepare_environment(arguments.self_study)

    if arguments.notebooks:
        # Two arguments may name the same notebook, such as its folder and its path: it is checked once.
        targets = {}
        for argument in arguments.notebooks:
            check = resolve_target(argument, assignments)
            targets.setdefault(check.path, check)
        checks = list(targets.values())
    else:
        checks = [NotebookCheck(path.stem, path) for path in default_notebooks()]
    assign_names(checks)
    inspect_notebooks(checks)

    to_grade = [check for check in checks if not check.status]
    if to_grade:
        workers = min(arguments.workers, len(to_grade))
        print(
            f"Grading {len(to_grade)} of {grade_class.count(len(checks), 'notebook')} with the hidden checks, "
            f"using {grade_class.count(workers, 'worker')}.",
            file=sys.stderr,
            flush=True,
        )
        try:
            grade_notebooks(to_grade, workers)
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED

    self_study = os.environ.get(EXPLANATIONS_VARIABLE) == "1"
    for check in checks:
        print("\n".join(render_notebook(check, self_study)) + "\n")
    print("\n".join(render_overview(checks)))
    if explanations_hidden(checks):
        print(
            "\nQuiz hints and explanations are hidden, as in a graded class. In self-study, run "
            "`python -m autograder.self_check --self-study`, or check_notebook(self_study=True) in a notebook, to see them."
        )
    return EXIT_NOT_CHECKED if any(check.status == NOT_CHECKED for check in checks) else 0


# From inside a notebook


def check_notebook(assignment_or_path: str | None = None, self_study: bool = False) -> None:
    """Run the self-check on this notebook (or the one named) in a subprocess and print its report.

    Without an argument it checks the course notebook in the kernel's working folder, which
    JupyterLab sets to the notebook's folder. In a grading kernel it only prints that it is skipped.
    """
    # NOTE: only grade_class's workers (and so this command) set GRADING_VARIABLE. Under a plain
    # `nbgrader autograde`, a check_notebook() cell left in a submission runs a whole self-check
    # in the grading kernel, until nbgrader's cell timeout (Execute.timeout) stops it.
    if os.environ.get(GRADING_VARIABLE) == "1":
        print("The self-check is skipped during grading.")
        return
    if assignment_or_path is None:
        try:
            assignment_or_path = str(find_notebook_in_folder(Path.cwd(), list_assignments()))
        except LookupError as error:
            print(f"Self-check not run: {error}")
            return
    print(
        f"Checking {assignment_or_path} as last saved: save the notebook first (File > Save Notebook, or Ctrl+S), "
        "or the check misses your latest changes.",
        flush=True,
    )
    command = [sys.executable, "-m", "autograder.self_check", assignment_or_path]
    if self_study:
        command.append("--self-study")
    # Unbuffered output keeps the report after the progress lines, which go to stderr.
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment) as process:
        try:
            for line in process.stdout:
                print(line, end="", flush=True)
        except KeyboardInterrupt:
            stop_command(process)
            print("Self-check interrupted.")


def stop_command(process: subprocess.Popen) -> None:
    """Let an interrupted self-check end its workers and remove its temporary course folder.

    Jupyter interrupts a kernel by sending SIGINT to the kernel's process group (jupyter_client 8.10,
    LocalProvisioner.send_signal), which includes the command, so the command usually stops by
    itself. Otherwise it gets its own SIGINT.
    """
    try:
        process.wait(timeout=INTERRUPT_WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        process.wait()


if __name__ == "__main__":
    sys.exit(main())
