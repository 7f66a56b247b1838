"""Source and learner notebooks: they run, they validate both ways, and they stay in sync."""

import json
import re
import shutil

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.utils import compute_checksum
from nbgrader.validator import Validator

from autograder import quiz
from autograder.round_trip import SOLUTION_REGION, run_nbgrader
from conftest import ASSIGNMENTS, REPO_ROOT, learner_notebook, source_notebook

HIDDEN_TESTS = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
POINTS_HEADING = re.compile(r"^## (?:Part [A-Z]: .*|Quiz) \((?P<points>\d+) points?\)", re.M)
# Lines this short are generic Python ("return token") and may appear anywhere.
MIN_SECRET_LINE_LENGTH = 12


def read(path):
    return nbformat.read(path, as_version=4)


def graded(cell, kind):
    return cell.metadata.get("nbgrader", {}).get(kind, False)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_runs_top_to_bottom(assignment, tmp_path):
    notebook = read(source_notebook(assignment))
    # Cells tagged raises-exception demonstrate an error; any other error fails the run.
    NotebookClient(notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or "raises-exception" in cell.metadata.get("tags", []):
            continue
        if any(output.output_type == "error" for output in cell.outputs):
            errors.append(cell.id)
    assert errors == [], f"cells that raised without the raises-exception tag: {errors}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_passes_every_test(assignment):
    results = Validator().validate(str(source_notebook(assignment)))
    assert results == {}, json.dumps(results, indent=2)[:3000]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_learner_copy_passes_no_test(assignment):
    results = Validator(invert=True).validate(str(learner_notebook(assignment)))
    assert results == {}, json.dumps(results, indent=2)[:3000]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_learner_copy_matches_generate_assignment(assignment, tmp_path):
    shutil.copytree(REPO_ROOT / "solutions" / assignment, tmp_path / "solutions" / assignment)
    run_nbgrader(tmp_path, "generate_assignment", assignment)
    generated = (tmp_path / "notebooks" / assignment / f"{assignment}.ipynb").read_text()
    committed = learner_notebook(assignment).read_text()
    assert committed == generated, (
        f"notebooks/{assignment} differs from what generate_assignment makes from solutions/: "
        f"run `nbgrader generate_assignment {assignment} --force` from the repository root"
    )
    other_files = sorted(path.name for path in (REPO_ROOT / "notebooks" / assignment).iterdir())
    assert other_files == [f"{assignment}.ipynb"], f"unexpected files in notebooks/{assignment}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_learner_copy_has_no_outputs(assignment):
    for cell in read(learner_notebook(assignment)).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {cell.id} has outputs"
            assert cell.execution_count is None, f"cell {cell.id} has an execution count"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_learner_copy_hides_solutions_and_hidden_tests(assignment):
    source = read(source_notebook(assignment))
    learner_text = learner_notebook(assignment).read_text()
    secret_lines = set()
    for cell in source.cells:
        if graded(cell, "solution"):
            for region in SOLUTION_REGION.findall(cell.source):
                secret_lines.update(region.splitlines())
        for block in HIDDEN_TESTS.findall(cell.source):
            secret_lines.update(block.splitlines())
    secret_lines = {line.strip() for line in secret_lines if len(line.strip()) >= MIN_SECRET_LINE_LENGTH}
    assert secret_lines, "the source notebook should have solution and hidden-test lines"
    for line in secret_lines:
        assert json.dumps(line)[1:-1] not in learner_text, f"learner copy contains {line!r}"
    assert "BEGIN SOLUTION" not in learner_text
    assert "HIDDEN TESTS" not in learner_text


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_learner_copy_hides_quiz_key(assignment):
    learner = read(learner_notebook(assignment))
    learner_text = learner_notebook(assignment).read_text()
    for question, entry in quiz.load_quiz_key()[assignment].items():
        for field in ("hint", "explanation", "mistake"):
            assert json.dumps(entry[field])[1:-1] not in learner_text, f"{question} {field} is in the learner copy"
        answer_cell = next(cell for cell in learner.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == f"quiz_{question}_answer")
        assert "_answer =" not in answer_cell.source, f"{question}: the answer cell should hold only the stub"
        # nbgrader stores a checksum per graded cell; none may be the checksum of a filled-in answer.
        stored = answer_cell.metadata["nbgrader"].get("checksum")
        for letter in quiz.CHOICES:
            filled = nbformat.v4.new_code_cell(f'{question}_answer = "{letter}"', metadata=answer_cell.metadata)
            assert compute_checksum(filled) != stored, f"{question}: the stored checksum reveals {letter!r}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_heading_points_equal_test_points(assignment):
    totals, current = {}, None
    for cell in read(source_notebook(assignment)).cells:
        match = POINTS_HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if match:
            current = match.group(0)
            totals[current] = [int(match["points"]), 0]
        elif graded(cell, "grade"):
            assert current, f"test cell {cell.id} comes before any part heading"
            totals[current][1] += cell.metadata.nbgrader["points"]
    assert len(totals) >= 3, "two or more exercises and a quiz"
    for heading, (stated, summed) in totals.items():
        assert stated == summed, f"{heading!r} states {stated} points, its test cells give {summed}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_cell_ids_and_grade_ids(assignment):
    cells = read(source_notebook(assignment)).cells
    ids = [cell.id for cell in cells]
    assert len(ids) == len(set(ids)), "cell ids must be unique"
    for cell in cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id:
            assert grade_id == cell.id, f"cell {cell.id}: grade_id {grade_id} should equal the cell id"
            assert re.fullmatch(r"[a-z][a-z0-9_-]+", grade_id), f"grade_id {grade_id!r} should be snake_case or kebab-case"
            assert not re.fullmatch(r"cell-[0-9a-f]+", grade_id), f"grade_id {grade_id!r} looks generated by the toolbar"
        if graded(cell, "grade"):
            assert cell.source.startswith('"""Check'), f"test cell {cell.id} should start with a docstring saying what it checks"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_has_every_section(assignment):
    text = "\n".join(cell.source for cell in read(source_notebook(assignment)).cells if cell.cell_type == "markdown")
    for section in ("## Syntax", "## Examples", "## Sample program", "## Important notes", "## Summary", "## Part A", "## Part B", "## Quiz"):
        assert section in text, f"{assignment} lacks {section!r}"
