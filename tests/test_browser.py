"""Browser tests: what a learner sees in JupyterLab when working through a course notebook.

Each test drives Debian's chromium through Playwright against a JupyterLab server that the module
starts the way `make lab` does. The tests cover every learner notebook, notebooks/<name>/<name>.ipynb.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Page, sync_playwright

from autograder.round_trip import fill_learner_copy, reference_answers
from conftest import REPO_ROOT, source_notebook

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
CHROMIUM = Path("/usr/bin/chromium")

# Before pytest runs, `make test` installs chromium with apt-get (as root) or stops with an error,
# so CI never skips this module.
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Debian's chromium is missing at {CHROMIUM}; install it with 'apt-get install chromium' or run 'make test'",
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 900}

SERVER_START_TIMEOUT_S = 60
SERVER_STOP_TIMEOUT_S = 20
NOTEBOOK_LOAD_TIMEOUT_MS = 60_000
RUN_ALL_TIMEOUT_S = 90
# Validate saves the notebook, then nbgrader executes every cell in a new kernel, with at most 30 s
# per cell (Execute.timeout in autograder/nbgrader_config.py).
VALIDATE_TIMEOUT_MS = 90_000
# JupyterLab shows its news prompt when the app starts. In one measured run on a 2-core machine the
# toast appeared 1.7 s before the notebook's title rendered. The grace period is an estimate for a
# slower start.
NOTIFICATION_GRACE_S = 2.0

LEARNER_NOTEBOOKS = sorted(path for path in NOTEBOOKS_DIR.glob("*/*.ipynb") if path.stem == path.parent.name)
EXCEPTION_NAME = re.compile(r"^([A-Za-z_]\w*(?:Error|Exception))\b", re.MULTILINE)
EXECUTION_COUNT_PROMPT = re.compile(r"^\[\d+\]:?$")


def notebook_id(path: Path) -> str:
    return path.stem


def read_cells(path: Path) -> list[nbformat.NotebookNode]:
    return nbformat.read(path, as_version=4).cells


def cell_tags(cell: nbformat.NotebookNode) -> list[str]:
    return cell.metadata.get("tags", [])


def notebook_title(path: Path) -> str:
    """Return the text of the first level-1 Markdown heading, without its backticks."""
    for cell in read_cells(path):
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return line[2:].replace("`", "").strip()
    raise AssertionError(f"{path} has no level-1 Markdown heading ('# Title') to use as its title")


def solved_notebook_params() -> list:
    """Pair each learner notebook with its nbgrader source notebook, which contains the reference answers."""
    params = []
    for learner_path in LEARNER_NOTEBOOKS:
        source_path = source_notebook(learner_path.parent.name)
        marks = []
        if not source_path.exists():
            marks.append(pytest.mark.skip(reason=f"no nbgrader source notebook at {source_path}"))
        params.append(pytest.param(learner_path, source_path, id=notebook_id(learner_path), marks=marks))
    return params


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log_tail(log_path: Path, lines: int = 40) -> str:
    text = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


class LabServer:
    """A JupyterLab process started for these tests, and how to reach it."""

    def __init__(self, process: subprocess.Popen, root_dir: Path, runtime_dir: Path, token: str, log_path: Path):
        self.process = process
        self.root_dir = root_dir
        self.runtime_dir = runtime_dir
        self.token = token
        self.log_path = log_path
        self.base_url = ""

    def wait_until_ready(self, timeout_s: float) -> None:
        """Wait for the server's runtime file and then for /api/status to return 200.

        JupyterLab moves to another port when the requested one was taken after free_port() released
        it, so the URL comes from the runtime file the server writes, not from the requested port.
        """
        runtime_file = self.runtime_dir / f"jpserver-{self.process.pid}.json"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"JupyterLab exited with code {self.process.returncode} while starting; "
                    f"log {self.log_path}:\n{log_tail(self.log_path)}"
                )
            if not self.base_url and runtime_file.exists():
                try:
                    server_info = json.loads(runtime_file.read_text(encoding="utf-8"))
                    self.base_url = f"http://127.0.0.1:{server_info['port']}"
                except (json.JSONDecodeError, KeyError):
                    pass  # The server is still writing the file.
            if self.base_url and self.status_ok():
                return
            time.sleep(0.3)
        raise AssertionError(
            f"JupyterLab start-up timed out: no response on 127.0.0.1 within {timeout_s} s; "
            f"log {self.log_path}:\n{log_tail(self.log_path)}"
        )

    def status_ok(self) -> bool:
        request = urllib.request.Request(
            f"{self.base_url}/api/status", headers={"Authorization": f"token {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def notebook_url(self, relative_path: str) -> str:
        # `reset` starts from an empty workspace, so tabs from an earlier test do not reopen.
        return f"{self.base_url}/lab/tree/{relative_path}?token={self.token}&reset"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=SERVER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=SERVER_STOP_TIMEOUT_S)


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """Start JupyterLab with the flags of `make lab`, serving a copy of notebooks/, and stop it afterwards."""
    work_dir = tmp_path_factory.mktemp("jupyterlab")

    # JupyterLab may autosave a notebook after Run All, and Validate saves it before it runs, so the
    # server gets a copy of notebooks/ and the committed learner notebooks stay untouched.
    root_dir = work_dir / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, root_dir, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))

    # Empty user folders make the server look like a learner's first start: no settings, workspace
    # or config from the home folder of whoever runs the tests.
    runtime_dir = work_dir / "runtime"
    env = os.environ.copy()
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["JUPYTER_CONFIG_DIR"] = str(work_dir / "config")
    env["JUPYTERLAB_SETTINGS_DIR"] = str(work_dir / "user-settings")
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(work_dir / "workspaces")
    env["JUPYTER_RUNTIME_DIR"] = str(runtime_dir)

    jupyter = Path(sys.executable).parent / "jupyter"
    assert jupyter.exists(), f"jupyter not found beside {sys.executable}; run the tests with the virtualenv's python"
    token = secrets.token_hex(16)
    command = [
        str(jupyter),
        "lab",
        "--ip=127.0.0.1",
        f"--port={free_port()}",
        "--no-browser",
        f"--ServerApp.root_dir={root_dir}",
        f"--IdentityProvider.token={token}",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")  # The Makefile adds it for root too.

    log_path = work_dir / "jupyterlab.log"
    with open(log_path, "wb") as log_file:
        # The cwd is the repository root because nbgrader reads nbgrader_config.py from the cwd.
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    server = LabServer(process, root_dir, runtime_dir, token, log_path)
    try:
        server.wait_until_ready(SERVER_START_TIMEOUT_S)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def relative_to_root(notebook: Path) -> str:
    return notebook.relative_to(NOTEBOOKS_DIR).as_posix()


def notebook_panel(page: Page):
    return page.locator(".jp-NotebookPanel:visible")


def wait_for_cell_count(panel, expected: int, timeout_s: float) -> None:
    """Wait until the page contains every cell of the notebook.

    JupyterLab 4 adds the cells of a long notebook to the page in batches after the first screen.
    """
    deadline = time.monotonic() + timeout_s
    count = panel.locator(".jp-Cell").count()
    while count != expected and time.monotonic() < deadline:
        time.sleep(0.25)
        count = panel.locator(".jp-Cell").count()
    assert count == expected, f"JupyterLab shows {count} cells after {timeout_s} s, the notebook has {expected}"


def open_notebook(page: Page, server: LabServer, relative_path: str, cell_count: int, screenshot: Path):
    """Open a notebook as a learner does and wait until all its cells have rendered and its kernel is idle."""
    page.goto(server.notebook_url(relative_path), timeout=NOTEBOOK_LOAD_TIMEOUT_MS)
    panel = notebook_panel(page)
    try:
        panel.locator(".jp-RenderedMarkdown h1").first.wait_for(timeout=NOTEBOOK_LOAD_TIMEOUT_MS)
        wait_for_cell_count(panel, cell_count, NOTEBOOK_LOAD_TIMEOUT_MS / 1000)
        panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
            timeout=NOTEBOOK_LOAD_TIMEOUT_MS
        )
    except Exception:
        page.screenshot(path=screenshot)
        raise
    return panel


def read_cell_views(panel) -> list[dict]:
    """Return each cell's input prompt and the text of its outputs, in notebook order.

    It reads textContent because innerText is empty for off-screen cells, which JupyterLab styles
    with content-visibility: auto.
    """
    return panel.evaluate(
        """panel => Array.from(panel.querySelectorAll('.jp-Cell')).map(cell => ({
            prompt: (cell.querySelector('.jp-InputPrompt')?.textContent ?? '').trim(),
            outputs: Array.from(cell.querySelectorAll('.jp-OutputArea-output')).map(output => output.textContent),
        }))"""
    )


def kernel_status(panel) -> str:
    return panel.locator(".jp-Notebook-ExecutionIndicator").get_attribute("data-status") or ""


def wait_for_run_all(panel, prompts_before: list[str], timeout_s: float) -> list[dict]:
    """Wait until Run All has started and then finished, and return the cell views.

    Run All has started once a prompt changed. It has finished when the kernel is idle and no cell
    shows the busy prompt [*], on two polls in a row because the kernel is idle for a moment between cells.
    """
    deadline = time.monotonic() + timeout_s
    settled_polls = 0
    while time.monotonic() < deadline:
        views = read_cell_views(panel)
        prompts = [view["prompt"] for view in views]
        started = prompts != prompts_before
        busy_cells = [prompt for prompt in prompts if "*" in prompt]
        if started and not busy_cells and kernel_status(panel) == "idle":
            settled_polls += 1
            if settled_polls == 2:
                return views
        else:
            settled_polls = 0
        time.sleep(0.25)
    raise AssertionError(f"Run All timed out after {timeout_s} s: kernel status {kernel_status(panel)!r}")


def exception_names(output_text: str) -> list[str]:
    return EXCEPTION_NAME.findall(output_text)


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def validate_and_read_dialog(page: Page, panel, screenshot: Path) -> tuple[str, str, list[str]]:
    """Click nbgrader's Validate button and read the dialog it opens.

    Returns the dialog's title, its body text and the source of each cell it lists as failed.
    """
    panel.locator(".jp-Toolbar-item", has_text="Validate").click()
    dialog = page.locator(".jp-Dialog")
    try:
        dialog.wait_for(timeout=VALIDATE_TIMEOUT_MS)
    except Exception:
        page.screenshot(path=screenshot)
        raise
    page.screenshot(path=screenshot)
    title = dialog.locator(".jp-Dialog-header").inner_text().strip()
    body = dialog.locator(".jp-Dialog-body").inner_text()
    # nbgrader 0.9.6 puts each failed cell's source in a <pre> right after the paragraph that
    # introduces it, and the cell's error in the <pre> after that.
    failed_sources = dialog.evaluate(
        """dialog => Array.from(dialog.querySelectorAll('p'))
            .filter(p => p.textContent.startsWith('The following cell failed'))
            .map(p => p.parentElement.nextElementSibling?.querySelector('pre')?.innerText ?? '')"""
    )
    return title, body, failed_sources


def close_dialog(page: Page, screenshot: Path) -> None:
    dialog = page.locator(".jp-Dialog")
    dialog.locator("button.jp-mod-accept").click()
    dialog.wait_for(state="detached", timeout=10_000)
    assert page.locator(".jp-Dialog").count() == 0, (
        f"the Validation Results dialog is still open after Ok; screenshot {screenshot}"
    )


@pytest.mark.parametrize("notebook", LEARNER_NOTEBOOKS, ids=notebook_id)
def test_learner_startup(lab_server, page, notebook, tmp_path):
    screenshot = tmp_path / "startup.png"
    panel = open_notebook(page, lab_server, relative_to_root(notebook), len(read_cells(notebook)), screenshot)
    time.sleep(NOTIFICATION_GRACE_S)
    page.screenshot(path=screenshot)

    title = notebook_title(notebook)
    heading = panel.locator(".jp-RenderedMarkdown h1").first
    heading_text = heading.text_content() or ""
    assert heading.is_visible(), f"the title heading {title!r} is not visible; screenshot {screenshot}"
    assert title in heading_text, (
        f"the first heading reads {heading_text!r}, expected {title!r}; screenshot {screenshot}"
    )
    box = heading.bounding_box()
    assert box is not None, f"the title heading has no layout box; screenshot {screenshot}"
    assert 0 <= box["y"] < VIEWPORT["height"], (
        f"the title heading is outside the window without scrolling (top at y={box['y']}); screenshot {screenshot}"
    )

    toasts = page.locator(".Toastify__toast").all_text_contents()
    news_toasts = [text for text in toasts if "news" in text.lower()]
    assert not news_toasts, (
        f"a notification asks about Jupyter news: {news_toasts}; the settings override in "
        f".venv/share/jupyter/lab/settings/overrides.json should turn it off; screenshot {screenshot}"
    )
    notification_count = (page.locator(".jp-Notification-Status-Text").text_content() or "").strip()
    assert notification_count == "0", (
        f"the status bar bell shows {notification_count} notification(s) at start-up, toasts {toasts}; "
        f"screenshot {screenshot}"
    )

    dialogs = page.locator(".jp-Dialog").all_inner_texts()
    assert not dialogs, f"a dialog is open at start-up: {dialogs}; screenshot {screenshot}"
    page_text = page.locator("body").inner_text()
    assert "exchange directory" not in page_text.lower(), (
        f"the page mentions nbgrader's exchange directory at start-up (the course sets Exchange.root in "
        f"autograder/nbgrader_config.py); screenshot {screenshot}"
    )


@pytest.mark.parametrize("notebook", LEARNER_NOTEBOOKS, ids=notebook_id)
def test_learner_runs_all_cells(lab_server, page, notebook, tmp_path):
    screenshot = tmp_path / "run-all.png"
    cells = read_cells(notebook)
    # The checks below match page cells to notebook cells by position, so all cells must be in the page.
    panel = open_notebook(page, lab_server, relative_to_root(notebook), len(cells), screenshot)
    prompts_before = [view["prompt"] for view in read_cell_views(panel)]

    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    try:
        views = wait_for_run_all(panel, prompts_before, RUN_ALL_TIMEOUT_S)
    finally:
        page.screenshot(path=screenshot)

    executed = [index for index, view in enumerate(views) if EXECUTION_COUNT_PROMPT.match(view["prompt"])]
    assert executed, f"Run All executed no cell; screenshot {screenshot}"

    # An unsolved notebook stops Run All at the first cell that calls a placeholder. JupyterLab 4.6 sends
    # each cell with stop_on_error unless it is tagged raises-exception, so the kernel aborts the queued cells.
    stop_index = executed[-1]
    stop_errors = [name for output in views[stop_index]["outputs"] for name in exception_names(output)]
    assert "NotImplementedError" in stop_errors, (
        f"Run All stopped at cell {stop_index} ({first_line(cells[stop_index].source)!r}) with errors "
        f"{stop_errors}, expected NotImplementedError from an unsolved exercise; screenshot {screenshot}"
    )

    unexpected_errors = []
    for index in executed[:-1]:
        names = [name for output in views[index]["outputs"] for name in exception_names(output)]
        if names and "raises-exception" not in cell_tags(cells[index]):
            unexpected_errors.append((index, first_line(cells[index].source), names))
    assert not unexpected_errors, (
        f"cells before the one where Run All stopped raised errors without the raises-exception tag "
        f"(index, first line, errors): {unexpected_errors}; screenshot {screenshot}"
    )

    example_outputs = [
        index
        for index in executed[:-1]
        if any(output.strip() and not exception_names(output) for output in views[index]["outputs"])
    ]
    assert example_outputs, f"no cell before the one where Run All stopped shows output; screenshot {screenshot}"

    errors_by_cell = {
        index: [name for output in view["outputs"] for name in exception_names(output)]
        for index, view in enumerate(views)
    }
    for import_error in ("ModuleNotFoundError", "ImportError"):
        failing_cells = [index for index, names in errors_by_cell.items() if import_error in names]
        assert not failing_cells, (
            f"cells {failing_cells} show {import_error}: the learner environment lacks a module the notebook "
            f"imports; screenshot {screenshot}"
        )


@pytest.mark.parametrize("notebook", LEARNER_NOTEBOOKS, ids=notebook_id)
def test_validate_unsolved_notebook(lab_server, page, notebook, tmp_path):
    screenshot = tmp_path / "validate-unsolved.png"
    cells = read_cells(notebook)
    panel = open_notebook(page, lab_server, relative_to_root(notebook), len(cells), screenshot)

    title, body, failed_sources = validate_and_read_dialog(page, panel, screenshot)
    assert title == "Validation Results", (
        f"expected the Validation Results dialog, got {title!r}: {body[:500]!r}; screenshot {screenshot}"
    )
    tagged_sources = {cell.source.strip() for cell in cells if "raises-exception" in cell_tags(cell)}
    answer_failures = [source for source in failed_sources if source.strip() not in tagged_sources]
    assert answer_failures, (
        f"validation of the unsolved notebook lists no failed cell besides examples tagged raises-exception: "
        f"{body[:500]!r}; screenshot {screenshot}"
    )
    assert "NotImplementedError" in body, (
        f"the failed cells do not show the placeholders' NotImplementedError: {body[:500]!r}; "
        f"screenshot {screenshot}"
    )
    assert "Success!" not in body, f"validation reports success for an unsolved notebook; screenshot {screenshot}"

    close_dialog(page, screenshot)


@pytest.mark.parametrize(("notebook", "source_path"), solved_notebook_params())
def test_validate_solved_notebook(lab_server, page, notebook, source_path, tmp_path):
    screenshot = tmp_path / "validate-solved.png"
    # The learner notebook with the reference answers typed into its answer cells represents a
    # learner who solved every exercise. It keeps the visible checks and has none of the hidden ones.
    solved = fill_learner_copy(notebook, reference_answers(source_path))
    relative_path = f"solved/{relative_to_root(notebook)}"
    solved_path = lab_server.root_dir / relative_path
    solved_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(solved, solved_path)
    panel = open_notebook(page, lab_server, relative_path, len(solved.cells), screenshot)
    tagged_sources = {cell.source.strip() for cell in solved.cells if "raises-exception" in cell_tags(cell)}

    title, body, failed_sources = validate_and_read_dialog(page, panel, screenshot)
    assert title == "Validation Results", (
        f"expected the Validation Results dialog, got {title!r}: {body[:500]!r}; screenshot {screenshot}"
    )
    example_failures = [first_line(source) for source in failed_sources if source.strip() in tagged_sources]
    assert not example_failures, (
        f"Validate lists example cells tagged raises-exception as failed, starting {example_failures}: nbgrader "
        f"0.9.6 counts them when Validator.validate_all is on (autograder/nbgrader_config.py); screenshot {screenshot}"
    )
    answer_failures = [first_line(source) for source in failed_sources if source.strip() not in tagged_sources]
    assert not answer_failures, (
        f"validation of the notebook with the reference answers lists failed cells starting {answer_failures}; "
        f"screenshot {screenshot}"
    )
    assert "Success! Your notebook passes all the tests." in body, (
        f"validation of the notebook with the reference answers does not report success: {body[:500]!r}; "
        f"screenshot {screenshot}"
    )

    close_dialog(page, screenshot)
