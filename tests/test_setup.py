"""Set-up promises: pinned versions match the README and the install, and nbgrader is configured."""

import importlib.metadata
import re
from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

from conftest import REPO_ROOT

PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(?:\[[^\]]+\])?==(?P<version>\S+)$")
README_ROW = re.compile(r"^\| (?P<name>[A-Za-z0-9_.-]+) \| (?P<version>[0-9][^ |]*) \|$", re.M)


def requirement_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = PIN.match(line)
            assert match, f"requirements.txt: {line!r} is not pinned with =="
            pins[match["name"].lower()] = match["version"]
    return pins


def test_readme_versions_equal_pins():
    readme = (REPO_ROOT / "README.md").read_text()
    table = {match["name"].lower(): match["version"] for match in README_ROW.finditer(readme)}
    assert table == requirement_pins(), "the README's tested-versions table must list exactly the pins"


def test_installed_versions_equal_pins():
    for name, version in requirement_pins().items():
        assert importlib.metadata.version(name) == version, f"{name}: installed {importlib.metadata.version(name)}, pinned {version}"


def load_course_config():
    loader = PyFileConfigLoader("nbgrader_config.py", path=str(REPO_ROOT))
    return loader.load_config()


def test_nbgrader_config_course_root_absolute():
    config = load_course_config()
    root = Path(config.CourseDirectory.root)
    assert root.is_absolute()
    assert root == REPO_ROOT
    assert config.CourseDirectory.source_directory == "solutions"
    assert config.CourseDirectory.release_directory == "notebooks"


def test_nbgrader_config_grading_settings():
    config = load_course_config()
    assert config.OverwriteCells.add_missing_cells is True, "deleted test cells must be put back and graded"
    assert 10 <= config.Execute.timeout <= 60, "the per-cell timeout should fit cells that run in about a second"
    assert Path(config.Exchange.root).is_dir(), "JupyterLab's nbgrader panels need an existing exchange folder"


def test_lab_settings_turn_off_news():
    overrides = (REPO_ROOT / "autograder" / "jupyterlab-overrides.json").read_text()
    assert '"fetchNews": "false"' in overrides
    assert '"checkForUpdates": false' in overrides


def test_solutions_holds_only_assignment_folders():
    # nbgrader's formgrader shows every folder in the source directory as an assignment.
    folders = sorted(path.name for path in (REPO_ROOT / "solutions").iterdir() if path.is_dir())
    # NOTE: Python run without PYTHONDONTWRITEBYTECODE (the Makefile sets it) writes
    # solutions/__pycache__ when a grading kernel imports a reference module; formgrader then lists it.
    strays = [name for name in folders if not name[:2].isdigit() and name != "__pycache__"]
    assert strays == [], f"solutions/ should hold only assignment folders and files, found {strays}"
