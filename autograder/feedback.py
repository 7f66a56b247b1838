"""nbgrader preprocessors that keep hidden tests and the quiz key out of what learners see.

autograder/nbgrader_config.py registers both, so the ordinary nbgrader commands use them:

- `OverwriteReleasedCells` replaces nbgrader's OverwriteCells in the sanitize step of
  `nbgrader autograde`. It puts the hidden tests back into an untouched test cell without a
  "checksum has changed" warning, and reports and restores an edited locked cell as nbgrader does.
- `PrepareLearnerFeedback` runs in `nbgrader generate_feedback` after GetGrades. It removes the
  hidden tests from every test cell, cuts every error output down to the exception name and
  message, and puts a table of every check, with its points and message, at the top.

tests/test_feedback.py runs both through real nbgrader commands on a copy of notebook 02.
"""

import html
from dataclasses import dataclass

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell, new_raw_cell
from nbgrader import utils
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor, OverwriteCells
from traitlets import List
from traitlets.config import Config

SUMMARY_CELL_ID = "check-summary"


def new_hidden_test_remover(config: Config) -> ClearHiddenTests:
    """Return nbgrader's ClearHiddenTests with the course's delimiters, for use on single cells.

    It gets only its own section of `config`, because traitlets warns about every other
    section that names one of its traits, such as the exporter's display settings. It does
    not check cell metadata, because the cells it processes are copies built here.
    """
    own_config = Config({"ClearHiddenTests": config.ClearHiddenTests})
    return ClearHiddenTests(config=own_config, enforce_metadata=False)


def remove_hidden_tests(source: str, remover: ClearHiddenTests) -> str:
    """Return `source` as `nbgrader generate_assignment` releases it: without hidden-test regions."""
    cell = new_code_cell(source)
    remover.preprocess_cell(cell, ResourcesDict(), 0)
    return cell.source


def is_test_cell(cell: NotebookNode) -> bool:
    """Return True for an autograded code cell that is not also a solution cell."""
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


class OverwriteReleasedCells(OverwriteCells):
    """OverwriteCells that treats a locked cell equal to its released form as untouched.

    nbgrader 0.9.6 compares each submitted locked cell with the checksum of the source cell,
    hidden tests included, so it reports every untouched test cell with hidden tests as
    changed. This class first restores the source of a cell that equals the released cell,
    and leaves every other cell to OverwriteCells, which reports and restores it.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.hidden_test_remover = new_hidden_test_remover(self.config)

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        self.restore_hidden_tests(cell)
        return super().preprocess_cell(cell, resources, cell_index)

    def restore_hidden_tests(self, cell: NotebookNode) -> None:
        """Give a locked cell its source back, hidden tests included, if the learner left it as released."""
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            return
        try:
            source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            return  # OverwriteCells logs the unknown cell and drops its grade_id.
        if not source_cell.locked or cell.source == source_cell.source:
            return
        if cell.source == remove_hidden_tests(source_cell.source, self.hidden_test_remover):
            self.log.debug("Cell %s equals its released form, so its hidden tests were put back", grade_id)
            cell.source = source_cell.source


@dataclass
class CheckResult:
    """One graded cell's outcome as the feedback summary shows it."""

    grade_id: str
    score: float | None
    points: float
    message: str

    @property
    def status(self) -> str:
        if self.score is None:
            return "not graded yet"
        return "passed" if self.score >= self.points else "failed"


class PrepareLearnerFeedback(NbGraderPreprocessor):
    """Hide test code and tracebacks in the feedback, and add a summary of every check at the top.

    It needs the scores that GetGrades writes into the cell metadata, so it runs after GetGrades.
    """

    # HTMLExporter sets display_data_priority for every nbconvert class. Making the trait
    # configurable here, as nbgrader's GetGrades does, stops traitlets from warning about it.
    display_data_priority = List().tag(config=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.hidden_test_remover = new_hidden_test_remover(self.config)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        checks = []
        for cell in nb.cells:
            if is_test_cell(cell):
                self.hide_test_code(cell)
            if cell.cell_type == "code":
                shorten_errors(cell)
            if utils.is_grade(cell):
                checks.append(read_check_result(cell))
        nb.cells.insert(0, new_summary_cell(checks))
        return nb, resources

    def hide_test_code(self, cell: NotebookNode) -> None:
        """Remove the hidden tests from a test cell's source and from its standard error output.

        Python prints the source line that raised a warning, so stderr can quote hidden code.
        """
        full_source = cell.source
        cell.source = remove_hidden_tests(full_source, self.hidden_test_remover)
        hidden_lines = {line.strip() for line in full_source.splitlines()}
        hidden_lines -= {line.strip() for line in cell.source.splitlines()} | {""}
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                visible_lines = [line for line in output.text.splitlines(keepends=True) if line.strip() not in hidden_lines]
                output.text = "".join(visible_lines)


def describe_error(output: NotebookNode) -> str:
    """Return an error output as `ExceptionName: message`, the way Python ends a traceback."""
    return f"{output.ename}: {output.evalue}" if output.evalue else output.ename


def shorten_errors(cell: NotebookNode) -> None:
    """Replace each traceback with `ExceptionName: message`, because IPython tracebacks quote the failing source lines."""
    for output in cell.outputs:
        if output.output_type == "error":
            output.traceback = [describe_error(output)]


def read_check_result(cell: NotebookNode) -> CheckResult:
    """Return a graded cell's score, points and failure message, after GetGrades has run."""
    grading = cell.metadata.nbgrader
    score = grading.get("score")
    result = CheckResult(
        grade_id=grading["grade_id"],
        score=None if score is None else float(score),
        points=float(grading["points"]),
        message="",
    )
    if result.status == "failed":
        result.message = find_failure_message(cell)
    return result


def find_failure_message(cell: NotebookNode) -> str:
    """Return the error, or else the standard error text, that cost a graded cell its points."""
    outputs = cell.get("outputs", [])
    for output in outputs:
        if output.output_type == "error":
            return describe_error(output)
    for output in outputs:
        if output.output_type == "stream" and output.name == "stderr" and output.text.strip():
            return f"The cell wrote to standard error, which nbgrader counts as a failure:\n{output.text.strip()}"
    return "The cell shows no error message. Its output in the notebook below shows what it returned."


def format_points(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def new_summary_cell(checks: list[CheckResult]) -> NotebookNode:
    """Return a raw HTML cell that lists every check, linked to the check's cell.

    nbconvert passes raw cells through bleach, which allows only a few tags: no headings, and
    a table gains an escaped "<tbody>" text. So the summary is a list of div, ul, li, a, code
    and strong elements.
    """
    items = []
    for check in checks:
        item_class = {"passed": "success", "failed": "danger"}.get(check.status, "warning")
        grade_id = html.escape(check.grade_id)
        message_lines = "".join(f"<div>{html.escape(line)}</div>" for line in check.message.splitlines())
        items.append(
            f'<li class="list-group-item list-group-item-{item_class}">'
            f'<a href="#{grade_id}"><code>{grade_id}</code></a>: '
            f"<strong>{format_points(check.score)} / {format_points(check.points)}</strong>, {check.status}"
            f"{message_lines}</li>"
        )
    summary = (
        f'<div class="panel panel-default" id="{SUMMARY_CELL_ID}">'
        '<div class="panel-heading"><strong>Checks: points earned / possible</strong></div>'
        f'<ul class="list-group">{"".join(items)}</ul>'
        "</div>"
    )
    cell = new_raw_cell(summary, metadata={"raw_mimetype": "text/html"})
    cell.id = SUMMARY_CELL_ID
    return cell
