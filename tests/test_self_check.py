"""The learner's self-check: real runs of `python -m autograder.self_check` and of check_notebook().

Every run grades with real nbgrader and real kernels. To keep the time low, the notebooks come
from one assignment (02) and each module fixture runs the command once for several tests.
"""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder import self_check
from autograder.grade_class import GRADING_VARIABLE
from autograder.quiz import EXPLANATIONS_VARIABLE
from autograder.round_trip import fill_learner_copy, load_samples, reference_answers
from conftest import ASSIGNMENTS, learner_notebook, source_notebook

ASSIGNMENT = "02-create-access-token"
NOTEBOOK_NAME = f"{ASSIGNMENT}.ipynb"
# The partly wrong learner changes the caller's dict (1 point) and answers quiz questions 3 and 5 wrongly (2 points).
PARTLY_WRONG_SAMPLES = ("mutates-data", "quiz-from-old-tutorials")
# A learner who left a check_notebook() cell in the notebook. The cell records what the call printed while graded.
RECORDING_CELL = """\
import contextlib
import io

from autograder.self_check import check_notebook

with contextlib.redirect_stdout(io.StringIO()) as printed:
    check_notebook()
with open({path!r}, "w") as file:
    file.write(printed.getvalue())
"""
RUN_TIMEOUT_SECONDS = 600


def learner_environment() -> dict[str, str]:
    """Return this process's environment without the variables that change the self-check."""
    environment = {key: value for key, value in os.environ.items() if key not in (EXPLANATIONS_VARIABLE, GRADING_VARIABLE)}
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


def run_self_check(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "autograder.self_check", *arguments]
    return subprocess.run(
        command, cwd=cwd, env=learner_environment(), capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS,
    )


def write_learner_copy(folder: Path, answers: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    path = folder / NOTEBOOK_NAME
    nbformat.write(fill_learner_copy(learner_notebook(ASSIGNMENT), answers), path)
    return path


def notebook_section(output: str, path: Path) -> str:
    """Return the report's lines for one notebook: from its header line to the next blank line."""
    header = f"{ASSIGNMENT}: {path}\n"
    assert header in output, f"no section for {path} in the output:\n{output}"
    return output.split(header, 1)[1].split("\n\n", 1)[0]


def overview(output: str) -> str:
    """Return the course progress overview, up to the blank line before any closing hint."""
    assert "Course progress\n" in output, f"no course progress overview in the output:\n{output}"
    return output.split("Course progress\n", 1)[1].split("\n\n", 1)[0]


@pytest.fixture(scope="module")
def learners(tmp_path_factory) -> dict[str, Path]:
    """Write the notebooks of sample learners, each in its own folder, as nbgrader's fetch would."""
    root = tmp_path_factory.mktemp("learners")
    solutions = reference_answers(source_notebook(ASSIGNMENT))
    samples = load_samples(ASSIGNMENT)
    partly_wrong = dict(solutions)
    for sample in PARTLY_WRONG_SAMPLES:
        partly_wrong.update(samples[sample]["cells"])

    paths = {
        "correct": write_learner_copy(root / "correct", solutions),
        "partly-wrong": write_learner_copy(root / "partly-wrong", partly_wrong),
        "blank": write_learner_copy(root / "blank", {}),
        "recorded-output": root / "correct" / "check_notebook-output.txt",
    }
    notebook = nbformat.read(paths["correct"], as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(RECORDING_CELL.format(path=str(paths["recorded-output"]))))
    nbformat.write(notebook, paths["correct"])

    paths["invalid-json"] = root / "invalid-json" / NOTEBOOK_NAME
    paths["invalid-json"].parent.mkdir()
    # A notebook cut off in the middle, as a full disk or a failed copy leaves it.
    paths["invalid-json"].write_text('{\n "cells": [\n  {\n   "cell_type": "code",\n')
    paths["not-a-notebook"] = root / "not-a-notebook" / NOTEBOOK_NAME
    paths["not-a-notebook"].parent.mkdir()
    paths["not-a-notebook"].write_text('{"answers": ["b", "b", "c"]}\n')
    paths["misnamed"] = root / "misnamed" / "my-tokens.ipynb"
    paths["misnamed"].parent.mkdir()
    paths["misnamed"].write_bytes(paths["blank"].read_bytes())
    return paths


@pytest.fixture(scope="module")
def class_run(learners) -> subprocess.CompletedProcess:
    """One run without --self-study over every sample learner, an unknown name and a misnamed notebook."""
    names = ("correct", "partly-wrong", "blank", "invalid-json", "not-a-notebook", "misnamed")
    arguments = [str(learners[name]) for name in names]
    return run_self_check(*arguments, "99-unknown-notebook", "--workers", "2", cwd=learners["blank"].parent)


@pytest.fixture(scope="module")
def self_study_run(learners) -> subprocess.CompletedProcess:
    return run_self_check(str(learners["partly-wrong"]), "--self-study", cwd=learners["blank"].parent)


def test_correct_notebook_full_points(class_run, learners):
    section = notebook_section(class_run.stdout, learners["correct"])
    assert "Total: 12 / 12 points" in section, section
    assert "FAILED" not in section, section


def test_correct_notebook_lists_parts_and_questions(class_run, learners):
    section = notebook_section(class_run.stdout, learners["correct"])
    assert "Part A: expiry_time: passed, 3 / 3 points" in section, section
    assert "Part B: create_access_token: passed, 4 / 4 points" in section, section
    assert "passed 1 / 1  Check that expiry_time(timedelta(0)) is now, not the default." in section, section
    for question in ("Question 1 (easy)", "Question 3 (medium)", "Question 5 (hard)"):
        assert f"{question}: passed, 1 / 1 points" in section, section


def test_partly_wrong_names_failed_check(class_run, learners):
    section = notebook_section(class_run.stdout, learners["partly-wrong"])
    assert "Part A: expiry_time: passed, 3 / 3 points" in section, section
    assert "Part B: create_access_token: FAILED, 3 / 4 points" in section, section
    assert "FAILED 0 / 1  Check that every claim in data reaches the token and that data is left unchanged." in section, section
    assert "create_access_token changed its input" in section, section
    assert "Total: 9 / 12 points" in section, section


def test_partly_wrong_names_wrong_answers(class_run, learners):
    section = notebook_section(class_run.stdout, learners["partly-wrong"])
    assert "Question 3 (medium): FAILED, 0 / 1 points" in section, section
    assert "Question 3 (medium): 'a' is not the right answer." in section, section
    assert "Question 5 (hard): FAILED, 0 / 1 points" in section, section
    assert "Question 4 (medium): passed, 1 / 1 points" in section, section


def test_blank_notebook_not_started(class_run, learners):
    section = notebook_section(class_run.stdout, learners["blank"])
    assert "Not started: every answer cell is still as released" in section, section
    assert "Total:" not in section, section


def test_only_started_notebooks_graded(class_run):
    # Of the seven arguments only the correct and the partly wrong notebook reach nbgrader.
    assert "Grading 2 of 7 notebooks" in class_run.stderr, class_run.stderr


def test_overview_bars_and_not_started(class_run):
    lines = overview(class_run.stdout).splitlines()
    assert any("12 / 12  [####################] 100%" in line for line in lines), lines
    assert any("9 / 12  [###############.....]  75%" in line for line in lines), lines
    assert any(line.strip().endswith("0 / 12  not started") for line in lines), lines
    assert lines[-1].strip() == "Total: 21 / 36 points; 2 of 7 notebooks started", lines


def test_invalid_json_message(class_run, learners):
    section = notebook_section(class_run.stdout, learners["invalid-json"])
    assert "Could not be checked: not valid JSON" in section, section
    assert "at line 5, column 1" in section, section


def test_not_a_notebook_message(class_run, learners):
    section = notebook_section(class_run.stdout, learners["not-a-notebook"])
    assert "valid JSON, but not a Jupyter notebook" in section, section


def test_misnamed_notebook_message(class_run, learners):
    header = f"my-tokens: {learners['misnamed']}\n"
    assert header in class_run.stdout, class_run.stdout
    section = class_run.stdout.split(header, 1)[1].split("\n\n", 1)[0]
    assert "names no assignment of this course" in section, section
    assert f"{NOTEBOOK_NAME}" in section, section


def test_unknown_assignment_message(class_run):
    assert "99-unknown-notebook" in class_run.stdout, class_run.stdout
    assert "is neither an assignment name nor an existing notebook" in class_run.stdout, class_run.stdout


def test_exit_code_when_not_checked(class_run):
    assert class_run.returncode == self_check.EXIT_NOT_CHECKED, class_run.stderr[-3000:]


def test_explanations_hidden_by_default(class_run, learners):
    section = notebook_section(class_run.stdout, learners["partly-wrong"])
    for label in ("Hint:", "Common mistake:", "Explanation:"):
        assert label not in section, section
    assert "--self-study" in class_run.stdout, class_run.stdout


def test_self_study_shows_explanations(self_study_run, learners):
    section = notebook_section(self_study_run.stdout, learners["partly-wrong"])
    assert "Hint:" in section, section
    assert "Common mistake: Using naive datetime.now()" in section, section
    # Every one of the five questions, right or wrong, shows its explanation.
    assert section.count("Explanation:") == 5, section
    assert self_study_run.returncode == 0, self_study_run.stderr[-3000:]


def test_check_notebook_skipped_in_grading(class_run, learners):
    recorded = learners["recorded-output"]
    assert recorded.exists(), "the check_notebook() cell did not run while the notebook was graded"
    assert recorded.read_text().strip() == "The self-check is skipped during grading."


def test_check_notebook_from_notebook_folder(learners):
    folder = learners["blank"].parent
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from autograder.self_check import check_notebook\ncheck_notebook()"),
    ])
    # JupyterLab starts a notebook's kernel in the notebook's folder, and nbclient does the same with this path.
    client = NotebookClient(notebook, timeout=RUN_TIMEOUT_SECONDS, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute(env=learner_environment())
    printed = "".join(output.get("text", "") for output in notebook.cells[0].outputs)
    assert f"Checking {learners['blank']} as last saved" in printed, printed
    assert "Not started: every answer cell is still as released" in printed, printed


def test_default_checks_every_course_notebook(tmp_path):
    # The repository's learner copies are as released, so every one is "not started" and none is graded.
    run = run_self_check(cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Grading" not in run.stderr, run.stderr
    lines = overview(run.stdout).splitlines()
    for assignment in ASSIGNMENTS:
        assert any(line.strip().startswith(assignment) and line.endswith("not started") for line in lines), lines


def test_outline_shared_heading_titles():
    titles = [group.title for group in self_check.read_outline("08-test-the-pattern")]
    assert titles[:3] == [
        "Part A: create_access_token",
        "Part A: decode_access_token",
        "Part B: get_current_username and GET /users/me",
    ]
    assert titles[3] == "Question 1 (easy)"
