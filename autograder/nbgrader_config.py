"""nbgrader settings for the course; the nbgrader_config.py at the repository root loads this file.

Paths are absolute so that nbgrader finds the course from any working directory, and the
learner notebooks in notebooks/ are nbgrader's release folder, generated from solutions/.
"""

import os
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, GetGrades, OverwriteKernelspec

from autograder.feedback import OverwriteReleasedCells, PrepareLearnerFeedback

COURSE_ROOT = Path(__file__).resolve().parent.parent

c = get_config()  # noqa: F821 (traitlets defines get_config while it loads this file)

c.CourseDirectory.root = str(COURSE_ROOT)
c.CourseDirectory.course_id = "jwt-fastapi"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# The slowest cells in the course (notebook 07's key search and its uvicorn demonstration) took
# up to about 3 s on a busy 2-core machine, so 30 s leaves room for a slow one. A looping learner
# function costs each ordinary cell that calls it, such as a "Try it" cell, the full 30 s. Test
# cells pay 5 s at most, because the hidden checks run first and stop learner functions after 5 s.
c.Execute.timeout = 30

# Without this, a deleted test cell scores 0 with no error and waits for a manual grade.
# With it, nbgrader puts the cell back from the gradebook and grades it.
c.OverwriteCells.add_missing_cells = True

# nbgrader 0.9.6's OverwriteCells compares each locked cell with its source cell, hidden tests
# included, so it warns that the checksum changed for every untouched test cell with hidden
# tests. This is nbgrader's default list with OverwriteCells replaced by a subclass that first
# compares the cell with its released form. An edited locked cell is still reported and restored.
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteReleasedCells, CheckCellMetadata,
]

# Feedback reaches learners before the deadline. nbgrader's default feedback shows the hidden
# tests and full tracebacks, which quote hidden test lines. PrepareLearnerFeedback removes both
# and lists every check with its points and message at the top.
c.GenerateFeedback.preprocessors = [GetGrades, PrepareLearnerFeedback, CSSHTMLHeaderPreprocessor]

# NOTE: Validator.validate_all stays off. It would report a syntax error in an answer cell where
# it is, but nbgrader 0.9.6 then also counts every example cell tagged raises-exception as a
# failure, so a fully solved notebook would never validate. A syntax error shows up as a
# NameError in the test cells below it instead.

# JupyterLab's nbgrader panels need an existing exchange folder. JWT_COURSE_EXCHANGE points
# a class at a shared one; by default the course keeps its own beside the repository files.
EXCHANGE = Path(os.environ.get("JWT_COURSE_EXCHANGE", COURSE_ROOT / ".exchange"))
EXCHANGE.mkdir(parents=True, exist_ok=True)
c.Exchange.root = str(EXCHANGE)
