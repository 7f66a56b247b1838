"""Shared paths and notebook lists for the course's tests."""

from pathlib import Path

import pytest

pytest_plugins = ["postgres_server"]

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = sorted(path.name for path in (REPO_ROOT / "solutions").iterdir() if path.is_dir() and path.name[:2].isdigit())


def source_notebook(assignment: str) -> Path:
    return REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def learner_notebook(assignment: str) -> Path:
    return REPO_ROOT / "notebooks" / assignment / f"{assignment}.ipynb"


@pytest.fixture(params=ASSIGNMENTS)
def assignment(request: pytest.FixtureRequest) -> str:
    return request.param
