"""Measure how long grading a class takes: the floor, plain nbgrader, and autograder.grade_class.

    python -m autograder.benchmark [--assignment 02-create-access-token] [--copies 5]
        [--workers 1 2] [--output docs/benchmarks.md] [--keep]

It builds a course in a new temporary folder and submits the sample students of
autograder/sample_submissions/<assignment>.toml, each repeated --copies times under new student
ids and filled in as autograder/round_trip.py does. A sample whose code never returns is left
out, because its checks would measure the call time limit instead of grading. Then it measures,
one after another:

1. one plain `nbgrader autograde` command for all submissions, then one `nbgrader generate_feedback`;
2. the floor: each notebook that autograde executed (autograded/, outputs cleared) run alone in a
   fresh kernel with nbclient, one after another, with the kernel start timed separately;
3. `python -m autograder.grade_class <assignment> --no-reports` once per --workers count;
4. the steps of one grade_class worker (autograde, generate_feedback, reading the score) on one
   copy of each sample, after one warm-up submission.

Every grading run starts from its own copy of the same course, whose gradebook contains the
assignment and no submissions. The script checks that every run gave every student the
score the sample file expects, prints a markdown page and writes it to --output. It exits 1
when a score disagrees, and 2 when a command fails.
"""

import argparse
import multiprocessing
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

import nbformat
from nbclient import NotebookClient
from nbconvert.preprocessors import ClearOutputPreprocessor
from nbgrader import utils as nbgrader_utils

from autograder import grade_class, round_trip
from autograder.learner_calls import CALL_TIME_LIMIT_SECONDS
from autograder.quiz import EXPLANATIONS_VARIABLE

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ASSIGNMENT = "02-create-access-token"
DEFAULT_COPIES = 5
DEFAULT_WORKERS = [1, 2]
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "benchmarks.md"
# With fewer submissions, each command's fixed start-up cost distorts the seconds per notebook.
MIN_SUBMISSIONS = 40
# learner_calls.call_learner fails a check with this phrase when learner code runs past its time limit.
LOOPING_FEEDBACK = "did not return within"
FLOOR_AIM = 1.5
# "Close to linear" is taken here to mean a speed-up of at least 80 % of the ideal one.
LINEAR_AIM = 0.8
# Other processes using more than this many cores on average make the figures "taken on a busy machine".
BUSY_OTHER_CORES = 0.25
EXIT_SCORES_DISAGREE = 1
EXIT_COMMAND_FAILED = 2


@dataclass
class Run:
    """One timed grading run and the scores it gave."""

    label: str
    command: str
    seconds: float
    other_cores: float | None
    scores: dict[str, float] = field(default_factory=dict)
    workers: int = 0


@dataclass
class Floor:
    """Per-student seconds and scores of executing each graded notebook alone."""

    seconds: dict[str, float]
    kernel_start_seconds: dict[str, float]
    scores: dict[str, float]
    other_cores: float | None


@dataclass
class WorkerSteps:
    """Mean seconds of each step one grade_class worker takes per submission."""

    students: list[str]
    warm_up_seconds: float
    autograde: float
    generate_feedback: float
    read_score: float
    other_cores: float | None


class CommandFailed(Exception):
    """Raised when a grading command or step fails. The message names its log or the error."""


# Selecting and submitting the samples


def select_samples(assignment: str) -> tuple[dict[str, dict], list[str]]:
    """Return the sample students to submit and the names of those left out because their code loops."""
    submitted, looping = {}, []
    for name, sample in round_trip.load_samples(assignment).items():
        if any(LOOPING_FEEDBACK in phrase for phrase in sample.get("expected_feedback", [])):
            looping.append(name)
        else:
            submitted[name] = sample
    return submitted, looping


def repeat_samples(samples: dict[str, dict], copies: int) -> dict[str, dict]:
    """Return each sample `copies` times under the student ids <sample>-01, <sample>-02, ..."""
    return {f"{name}-{copy:02d}": sample for copy in range(1, copies + 1) for name, sample in samples.items()}


def build_course(course_root: Path, assignment: str, students: dict[str, dict], log_folder: Path) -> None:
    """Make a course with the assignment in its gradebook and every student's submission."""
    shutil.copytree(round_trip.SOURCE_ROOT / assignment, course_root / "solutions" / assignment)
    run_command(nbgrader_command(course_root, "generate_assignment", assignment), log_folder / "generate_assignment.log")
    round_trip.submit_samples(course_root, assignment, students)


# Running commands and measuring them


def nbgrader_command(course_root: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "nbgrader", *arguments, f"--CourseDirectory.root={course_root}"]


def grade_class_command(course_root: Path, assignment: str, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "autograder.grade_class", assignment,
        f"--course-root={course_root}", f"--workers={workers}", "--no-reports",
    ]


def display_command(command: list[str], course_root: Path) -> str:
    """Return the command as a user types it, with the temporary course folder shown as <course>."""
    words = ["python" if word == sys.executable else word.replace(str(course_root), "<course>") for word in command]
    return " ".join(words)


def run_command(command: list[str], log_path: Path) -> float:
    """Run one command from the repository root with its output in `log_path`, and return its wall seconds."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log_file:
        started = time.monotonic()
        # The working directory is the repository root, where nbgrader finds nbgrader_config.py.
        completed = subprocess.run(command, cwd=REPO_ROOT, stdout=log_file, stderr=subprocess.STDOUT)
        seconds = time.monotonic() - started
    if completed.returncode != 0:
        raise CommandFailed(f"{shlex.join(command)} failed with exit code {completed.returncode}. Its output is in {log_path}")
    return seconds


class OtherLoadMeter:
    """Meter of the mean number of cores that other processes kept busy during a `with` block.

    It takes the machine's busy CPU time from /proc/stat and subtracts this process tree's CPU
    time, which counts only children that were waited for, as every child here is.
    NOTE: /proc/stat exists on Linux only, so elsewhere `other_cores` stays None.
    """

    def __enter__(self) -> "OtherLoadMeter":
        self.started = time.monotonic()
        self.machine_start = read_machine_busy_seconds()
        self.own_start = read_own_cpu_seconds()
        self.other_cores = None
        return self

    def __exit__(self, *exc_info: object) -> None:
        machine_end = read_machine_busy_seconds()
        if self.machine_start is None or machine_end is None:
            return
        wall = time.monotonic() - self.started
        other = (machine_end - self.machine_start) - (read_own_cpu_seconds() - self.own_start)
        self.other_cores = max(other, 0.0) / wall


def read_machine_busy_seconds() -> float | None:
    """Return the CPU seconds all cores spent on work since boot, or None without /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    # Fields after "cpu": user nice system idle iowait irq softirq steal (guest time is inside user).
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def read_own_cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def read_scores(course_root: Path, assignment: str, students: list[str]) -> dict[str, float]:
    """Return each student's total score from the course's gradebook, skipping students it lacks."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gradebook:
        for student in students:
            try:
                scores[student] = gradebook.find_submission(assignment, student).score
            except MissingEntry:
                pass
    return scores


def time_run(label: str, command: list[str], course_root: Path, log_folder: Path) -> Run:
    """Run one grading command and return its wall time and the other processes' load as a run."""
    print(f"{label}: running", flush=True)
    with OtherLoadMeter() as meter:
        seconds = run_command(command, log_folder / f"{slug(label)}.log")
    print(f"{label}: {seconds:.1f} s", flush=True)
    return Run(label, display_command(command, course_root), seconds, meter.other_cores)


def slug(label: str) -> str:
    return "".join(character if character.isalnum() else "-" for character in label.lower()).strip("-")


# The floor: each graded notebook alone in a fresh kernel


def execute_alone(notebook_path: Path, cell_timeout: int, kernel_stderr: TextIO) -> tuple[float, float, float]:
    """Execute a graded notebook, outputs cleared, in a fresh kernel.

    Returns the total seconds, the seconds until the kernel was ready, and the score. The
    settings match nbgrader's Execute preprocessor in autograde: the notebook's folder as the
    working directory, the course's cell timeout, and errors recorded instead of raised.
    """
    notebook = nbformat.read(notebook_path, as_version=4)
    notebook, _ = ClearOutputPreprocessor().preprocess(notebook, {})
    client = NotebookClient(
        notebook, timeout=cell_timeout, allow_errors=True, interrupt_on_timeout=True,
        resources={"metadata": {"path": str(notebook_path.parent)}},
    )
    client.reset_execution_trackers()
    started = time.monotonic()
    with client.setup_kernel(stderr=kernel_stderr):
        kernel_ready = time.monotonic()
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
    finished = time.monotonic()
    return finished - started, kernel_ready - started, score_notebook(notebook)


def score_notebook(notebook: nbformat.NotebookNode) -> float:
    """Return the points nbgrader gives an executed notebook's autograded cells."""
    total = 0.0
    for cell in notebook.cells:
        if nbgrader_utils.is_grade(cell):
            score, _ = nbgrader_utils.determine_grade(cell)
            total += score or 0.0
    return total


def measure_floor(graded_course: Path, assignment: str, students: list[str], log_folder: Path) -> Floor:
    """Execute every student's autograded notebook alone, one after another."""
    print("floor: executing each graded notebook alone with nbclient", flush=True)
    floor = Floor({}, {}, {}, None)
    course_config = grade_class.load_course_config(graded_course, grade_class.default_db_url(graded_course))
    cell_timeout = course_config.Execute.timeout
    # Every kernel prints ipykernel's warning about TCP without encryption, so its stderr goes to a log.
    with (log_folder / "floor-kernels.log").open("w") as kernel_stderr, OtherLoadMeter() as meter:
        for student in students:
            path = graded_course / "autograded" / student / assignment / f"{assignment}.ipynb"
            seconds, kernel_start, score = execute_alone(path, cell_timeout, kernel_stderr)
            floor.seconds[student] = seconds
            floor.kernel_start_seconds[student] = kernel_start
            floor.scores[student] = score
    floor.other_cores = meter.other_cores
    print(f"floor: {sum(floor.seconds.values()):.1f} s", flush=True)
    return floor


# The steps of one grade_class worker


@dataclass
class StepsJob:
    """Submissions for the worker-steps process to grade, and their course."""

    course_root: Path
    assignment: str
    students: list[str]


def start_steps_worker(stderr_path: Path) -> None:
    """Prepare the worker-steps process as grade_class prepares a worker, without its run lock.

    Kernels inherit grade_class.GRADING_VARIABLE, and their stderr with ipykernel's TCP warning goes to a file.
    """
    os.environ[grade_class.GRADING_VARIABLE] = "1"
    stderr_file = stderr_path.open("a")
    os.dup2(stderr_file.fileno(), sys.stderr.fileno())


def time_worker_steps(job: StepsJob) -> tuple[float, list[tuple[float, float, float]]]:
    """Grade one warm-up submission, then time each step per student. Runs in a worker process.

    It uses grade_class's own API object and score reader, so the steps are those of its workers.
    """
    db_url = grade_class.default_db_url(job.course_root)
    api = grade_class.make_api(job.course_root, db_url)
    warm_up = time.monotonic()
    check_step(api.autograde(job.assignment, job.students[0], force=True, create=True), "autograde", job.students[0])
    warm_up_seconds = time.monotonic() - warm_up

    timings = []
    for student in job.students:
        started = time.monotonic()
        check_step(api.autograde(job.assignment, student, force=True, create=True), "autograde", student)
        autograded = time.monotonic()
        check_step(api.generate_feedback(job.assignment, student, force=True), "generate_feedback", student)
        feedback_written = time.monotonic()
        grade_class.read_score(db_url, job.assignment, student)
        finished = time.monotonic()
        timings.append((autograded - started, feedback_written - autograded, finished - feedback_written))
    return warm_up_seconds, timings


def check_step(result: dict, step: str, student: str) -> None:
    if not result["success"]:
        raise CommandFailed(f"nbgrader {step} failed for {student}: {grade_class.summarize_error(result)}")


def measure_worker_steps(course_root: Path, assignment: str, students: list[str], log_folder: Path) -> WorkerSteps:
    """Time autograde, generate_feedback and reading the score per submission in one spawned worker."""
    print(f"worker steps: timing {len(students)} submissions in one worker process", flush=True)
    context = multiprocessing.get_context("spawn")
    stderr_path = log_folder / "worker-steps-stderr.log"
    with OtherLoadMeter() as meter:
        with context.Pool(1, initializer=start_steps_worker, initargs=(stderr_path,)) as pool:
            warm_up_seconds, timings = pool.apply(time_worker_steps, (StepsJob(course_root, assignment, students),))
            pool.close()
            pool.join()
    autograde, feedback, score = (statistics.mean(column) for column in zip(*timings))
    return WorkerSteps(students, warm_up_seconds, autograde, feedback, score, meter.other_cores)


# Checking the scores


def find_disagreements(expected: dict[str, float], runs: list[Run], floor: Floor) -> list[str]:
    """Return one line per student and run whose score differs from the sample file's expected score."""
    lines = []
    sources = [(run.label, run.scores) for run in runs] + [("floor (nbclient)", floor.scores)]
    for student, expected_score in expected.items():
        for label, scores in sources:
            score = scores.get(student)
            if score != expected_score:
                actual = "no score" if score is None else f"{score:g}"
                lines.append(f"{student}: {label} gave {actual}, but the sample file expects {expected_score:g}")
    return lines


# Describing the machine and the results


def describe_machine() -> dict[str, str]:
    import nbgrader

    memory_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cores": f"{os.cpu_count()} ({usable_cores()} usable by this process)",
        "CPU": read_cpu_model(),
        "memory": f"{memory_bytes / 2**30:.1f} GiB",
        "system": platform.platform(),
        "Python": platform.python_version(),
        "nbgrader": nbgrader.__version__,
    }


def read_cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def usable_cores() -> int:
    return len(os.sched_getaffinity(0))


def format_ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}"


def format_cores(other_cores: float | None) -> str:
    return "unknown" if other_cores is None else f"{other_cores:.2f}"


@dataclass
class Results:
    """Everything one benchmark run measured, for the page."""

    assignment: str
    submissions: int
    copies: int
    looping: list[str]
    plain_autograde: Run
    plain_feedback: Run
    grade_class_runs: list[Run]
    floor: Floor
    steps: WorkerSteps
    disagreements: list[str]
    machine: dict[str, str]
    started: datetime
    elapsed_seconds: float
    command: str


def combine_load(first: Run, second: Run) -> float | None:
    """Return the other processes' mean cores over two runs, weighted by their wall time."""
    if first.other_cores is None or second.other_cores is None:
        return None
    return (first.other_cores * first.seconds + second.other_cores * second.seconds) / (first.seconds + second.seconds)


def table_rows(results: Results) -> list[str]:
    """Return the markdown table of wall time and ratios, one row per run."""
    count = results.submissions
    floor_seconds = sum(results.floor.seconds.values())
    autograde_seconds = results.plain_autograde.seconds
    plain_seconds = autograde_seconds + results.plain_feedback.seconds
    rows = [
        ("floor: each notebook alone in a fresh kernel (nbclient)", floor_seconds, results.floor.other_cores),
        ("plain `nbgrader autograde`", autograde_seconds, results.plain_autograde.other_cores),
        ("plain `nbgrader autograde` + `nbgrader generate_feedback`", plain_seconds, combine_load(results.plain_autograde, results.plain_feedback)),
    ]
    rows += [(f"`grade_class`, {grade_class.count(run.workers, 'worker')}, with feedback", run.seconds, run.other_cores) for run in results.grade_class_runs]
    lines = [
        "| run | wall s | s per notebook | × plain autograde | × plain autograde + feedback | × floor | other processes' cores |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, seconds, other_cores in rows:
        lines.append(
            f"| {label} | {seconds:.1f} | {seconds / count:.2f} | {format_ratio(seconds, autograde_seconds)} "
            f"| {format_ratio(seconds, plain_seconds)} | {format_ratio(seconds, floor_seconds)} | {format_cores(other_cores)} |"
        )
    return lines


def assess_aims(results: Results) -> list[str]:
    """Return one line per grade_class run saying whether it meets the floor aim and the linear aim."""
    floor_seconds = sum(results.floor.seconds.values())
    baseline = min(results.grade_class_runs, key=lambda run: run.workers)
    lines = []
    for run in results.grade_class_runs:
        line = f"- {grade_class.count(run.workers, 'worker')}: {assess_floor_aim(run, floor_seconds)}"
        if min(run.workers, usable_cores()) > min(baseline.workers, usable_cores()):
            line += " " + assess_linear_aim(run, baseline)
        lines.append(line)
    return lines


def assess_floor_aim(run: Run, floor_seconds: float) -> str:
    """Compare the run's wall time with the floor divided by the cores its workers can use."""
    cores = min(run.workers, usable_cores())
    # The verdict uses the ratio as printed, so "1.50" never reads as missed.
    ratio = round(run.seconds / (floor_seconds / cores), 2)
    verdict = "met" if ratio <= FLOOR_AIM else "missed"
    divided = "" if cores == 1 else f" divided by {cores} cores"
    sentence = f"{ratio:.2f} × the floor{divided} (aim: at most {FLOOR_AIM:g}): {verdict}."
    if cores > 1:
        # Without the division, the ratio compares how long an instructor waits per notebook
        # with how long one notebook takes to execute alone.
        sentence += f" Per notebook, the class took {run.seconds / floor_seconds:.2f} × the floor itself."
    return sentence


def assess_linear_aim(run: Run, baseline: Run) -> str:
    """Compare the run's speed-up over the baseline run with the ratio of the cores they can use."""
    cores = min(run.workers, usable_cores())
    ideal = cores / min(baseline.workers, usable_cores())
    speed_up = baseline.seconds / run.seconds
    share = round(speed_up / ideal, 2)
    verdict = "met" if share >= LINEAR_AIM else "missed"
    sentence = (
        f"Speed-up over {grade_class.count(baseline.workers, 'worker')}: {speed_up:.2f}, which is "
        f"{share:.0%} of the linear {ideal:g} (aim: at least {LINEAR_AIM:.0%}): {verdict}."
    )
    if run.other_cores is not None and run.other_cores > BUSY_OTHER_CORES and usable_cores() - run.other_cores < cores:
        sentence += (
            f" Other processes left only {usable_cores() - run.other_cores:.2f} of the {usable_cores()} cores free"
            f" during this run, so it could not reach a speed-up of {ideal:g} and does not test the aim."
        )
    return sentence


def describe_load(results: Results) -> str:
    """Return a sentence on how busy the machine was with other processes during the runs."""
    runs = [results.plain_autograde, results.plain_feedback, *results.grade_class_runs]
    readings = [run.other_cores for run in runs] + [results.floor.other_cores, results.steps.other_cores]
    measured = [value for value in readings if value is not None]
    if not measured:
        return "How busy the machine was with other processes is unknown, because this system has no /proc/stat."
    busiest = max(measured)
    if busiest > BUSY_OTHER_CORES:
        return (
            f"The figures were taken on a busy machine. Other processes kept up to {busiest:.2f} of its "
            f"{usable_cores()} cores busy during a run (last column), so the figures are slower and noisier than on an idle one."
        )
    return f"The machine was nearly idle otherwise. Other processes kept at most {busiest:.2f} cores busy during a run."


def describe_fixed_cost(results: Results, worker_total: float) -> str:
    """Return a sentence estimating the one-worker run's cost beyond grading each submission in a warm worker."""
    single = [run for run in results.grade_class_runs if run.workers == 1]
    if not single:
        return ""
    fixed = single[0].seconds - results.submissions * worker_total
    return (
        f"The 1-worker run's fixed cost is about {fixed:.1f} s, estimated as its wall time minus {results.submissions} times the "
        "total per submission. It covers starting Python and nbgrader, spawning the worker, its first submission and load noise."
    )


def render_page(results: Results) -> str:
    """Return the markdown page: intro, aims, figures, worker steps, scores, machine, how to reproduce."""
    sections = [
        render_intro(results),
        render_aims(results),
        render_figures(results),
        render_worker_steps(results),
        render_scores(results),
        render_machine(results),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def render_intro(results: Results) -> list[str]:
    looping = ", ".join(f"`{name}`" for name in results.looping) or "none"
    return [
        "# Grading benchmark",
        "",
        "How long grading one class takes with plain nbgrader and with `python -m autograder.grade_class`,",
        "against the floor: executing each graded notebook alone in a fresh kernel, one after another.",
        f"The script `autograder/benchmark.py` wrote this page on {results.started:%Y-%m-%d %H:%M} UTC.",
        "Rerun it to replace the figures (see \"Machine and command\").",
        "",
        "## What is measured",
        "",
        f"- {results.submissions} submissions of `{results.assignment}`: the sample students of",
        f"  `autograder/sample_submissions/{results.assignment}.toml` (correct, partly wrong, blank), each submitted",
        f"  {grade_class.count(results.copies, 'time')} under new student ids and filled in as `autograder/round_trip.py` does.",
        f"- Left out: {looping}. Code that never returns makes each check wait out the",
        f"  {CALL_TIME_LIMIT_SECONDS} s call limit, which would measure that limit rather than grading.",
        "- Each grading run starts from its own copy of the same course, whose gradebook contains the",
        "  assignment and no submissions, and uses the course's nbgrader configuration.",
        "- Plain nbgrader does not write feedback but `grade_class` does, so plain `nbgrader autograde`",
        "  is shown alone and followed by one plain `nbgrader generate_feedback`.",
        "- The floor executes each notebook that autograde left in `autograded/`, outputs cleared,",
        "  with nbclient and the course's cell timeout. It has no gradebook, no sanitizing and no feedback.",
        "- The last column of the table is the mean number of cores that processes outside the benchmark",
        "  kept busy during the run: `/proc/stat` minus the benchmark's own CPU time.",
    ]


def render_aims(results: Results) -> list[str]:
    return [
        "## Aim",
        "",
        f"Grading time close to linear in the number of cores (taken here as at least {LINEAR_AIM:.0%} of",
        f"the ideal speed-up), and within {FLOOR_AIM:g} times the floor divided by the cores in use.",
        "",
        *assess_aims(results),
        "",
        describe_load(results),
    ]


def render_figures(results: Results) -> list[str]:
    floor = results.floor
    floor_seconds = sum(floor.seconds.values())
    kernel_seconds = sum(floor.kernel_start_seconds.values())
    return [
        "## Figures",
        "",
        *table_rows(results),
        "",
        f"The floor is {floor_seconds / results.submissions:.2f} s per notebook on average. Starting the kernel and",
        f"waiting until it is ready takes {kernel_seconds / results.submissions:.2f} s of it ({kernel_seconds / floor_seconds:.0%}).",
        "",
        "Commands timed, run from the repository root, where `<course>` is the run's own course folder:",
        "",
        f"- `{results.plain_autograde.command}`",
        f"- `{results.plain_feedback.command}`",
        *[f"- `{run.command}`" for run in results.grade_class_runs],
    ]


def render_worker_steps(results: Results) -> list[str]:
    steps = results.steps
    steps_floor = statistics.mean(results.floor.seconds[student] for student in steps.students)
    worker_total = steps.autograde + steps.generate_feedback + steps.read_score
    return [
        "## Where a worker spends its time",
        "",
        f"Mean seconds per submission over {len(steps.students)} submissions (one of each sample), graded in one",
        "worker process after one warm-up submission, as a `grade_class` worker grades them:",
        "",
        "| step | s |",
        "|---|---:|",
        f"| executing the notebook alone (the floor, same submissions) | {steps_floor:.2f} |",
        f"| nbgrader autograde through `NbGraderAPI` | {steps.autograde:.2f} |",
        f"| of which beyond executing the notebook: gradebook, sanitizing, saving grades (difference of the two rows above) | {steps.autograde - steps_floor:.2f} |",
        f"| nbgrader generate_feedback through `NbGraderAPI` | {steps.generate_feedback:.2f} |",
        f"| opening the gradebook and reading the score | {steps.read_score:.2f} |",
        f"| total per submission | {worker_total:.2f} ({worker_total / steps_floor:.2f} × the floor) |",
        "",
        f"The warm-up submission's autograde took {steps.warm_up_seconds:.2f} s (imports, first gradebook connection).",
        describe_fixed_cost(results, worker_total),
    ]


def render_scores(results: Results) -> list[str]:
    lines = ["## Scores", ""]
    if results.disagreements:
        lines += ["The runs DISAGREE, so these figures are wrong:", ""]
        lines += [f"- {line}" for line in results.disagreements]
        return lines
    lines.append(
        f"Plain autograde, every `grade_class` run and the floor gave each of the {results.submissions} students "
        "the score that the sample file expects."
    )
    return lines


def render_machine(results: Results) -> list[str]:
    return [
        "## Machine and command",
        "",
        *[f"- {name}: {value}" for name, value in results.machine.items()],
        "",
        "From the repository root, after `make test` or `make lab` has set up `.venv`:",
        "",
        "```sh",
        results.command,
        "```",
        "",
        f"This run took {results.elapsed_seconds / 60:.0f} min in all, building the course and timing the worker steps included.",
    ]


# The command


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default=DEFAULT_ASSIGNMENT, help=f"assignment with sample students (default: {DEFAULT_ASSIGNMENT})")
    parser.add_argument("--copies", type=int, default=DEFAULT_COPIES, help=f"submissions per sample student (default: {DEFAULT_COPIES})")
    parser.add_argument("--workers", type=int, nargs="+", default=DEFAULT_WORKERS, help="grade_class worker counts to time, one run each (default: 1 2)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="markdown page to write (default: docs/benchmarks.md)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary course folders and logs (kept anyway when a check fails)")
    arguments = parser.parse_args(argv)
    if arguments.copies < 1:
        parser.error(f"--copies must be 1 or more, got {arguments.copies}")
    if any(workers < 1 for workers in arguments.workers):
        parser.error(f"--workers counts must be 1 or more, got {arguments.workers}")
    arguments.workers = sorted(set(arguments.workers))
    if arguments.assignment not in round_trip.sample_assignments():
        parser.error(f"no sample students for {arguments.assignment!r}; choose one of {', '.join(round_trip.sample_assignments())}")
    return arguments


def prepare_environment() -> None:
    """Set what every nbgrader command, worker and kernel started from here inherits."""
    # nbgrader starts alembic from PATH when it creates a gradebook.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    # Kernels import the reference modules in solutions/, and nbgrader would list a
    # solutions/__pycache__ folder as an assignment.
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    # With this variable set, the quiz checks would write their explanations into the graded feedback.
    os.environ.pop(EXPLANATIONS_VARIABLE, None)


def run_benchmark(arguments: argparse.Namespace, work_folder: Path, command: str) -> Results:
    """Build the course, time every run, and check that their scores agree."""
    started = datetime.now(timezone.utc)
    assignment = arguments.assignment
    samples, looping = select_samples(assignment)
    students = repeat_samples(samples, arguments.copies)
    if len(students) < MIN_SUBMISSIONS:
        print(f"note: {len(students)} submissions are fewer than the {MIN_SUBMISSIONS} the benchmark is meant for. Raise --copies.")
    logs = work_folder / "logs"
    template = work_folder / "template"
    print(f"building a course with {len(students)} submissions of {assignment} in {template}", flush=True)
    build_course(template, assignment, students, logs)

    plain_course = work_folder / "plain-nbgrader"
    shutil.copytree(template, plain_course)
    plain_autograde = time_run("plain autograde", nbgrader_command(plain_course, "autograde", assignment), plain_course, logs)
    plain_autograde.scores = read_scores(plain_course, assignment, list(students))
    plain_feedback = time_run("plain generate_feedback", nbgrader_command(plain_course, "generate_feedback", assignment), plain_course, logs)

    floor = measure_floor(plain_course, assignment, list(students), logs)

    grade_class_runs = []
    for workers in arguments.workers:
        course = work_folder / f"grade-class-{workers}"
        shutil.copytree(template, course)
        run = time_run(f"grade_class {grade_class.count(workers, 'worker')}", grade_class_command(course, assignment, workers), course, logs)
        run.workers = workers
        run.scores = read_scores(course, assignment, list(students))
        grade_class_runs.append(run)

    steps_course = work_folder / "worker-steps"
    shutil.copytree(template, steps_course)
    steps = measure_worker_steps(steps_course, assignment, [f"{name}-01" for name in samples], logs)
    print(f"worker steps: {steps.autograde + steps.generate_feedback + steps.read_score:.2f} s per submission", flush=True)

    expected = {student: float(sample["expected_score"]) for student, sample in students.items()}
    return Results(
        assignment=assignment,
        submissions=len(students),
        copies=arguments.copies,
        looping=looping,
        plain_autograde=plain_autograde,
        plain_feedback=plain_feedback,
        grade_class_runs=grade_class_runs,
        floor=floor,
        steps=steps,
        disagreements=find_disagreements(expected, [plain_autograde, *grade_class_runs], floor),
        machine=describe_machine(),
        started=started,
        elapsed_seconds=(datetime.now(timezone.utc) - started).total_seconds(),
        command=command,
    )


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    prepare_environment()
    work_folder = Path(tempfile.mkdtemp(prefix="grading-benchmark-"))
    command = shlex.join([".venv/bin/python", "-m", "autograder.benchmark", *(sys.argv[1:] if argv is None else argv)])
    try:
        results = run_benchmark(arguments, work_folder, command)
    except CommandFailed as error:
        print(f"error: {error}\nThe course folders and logs are kept in {work_folder}.", file=sys.stderr)
        return EXIT_COMMAND_FAILED

    page = render_page(results)
    print("\n" + page)
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(page)
    print(f"written to {arguments.output}")
    if arguments.keep or results.disagreements:
        print(f"The course folders and logs are kept in {work_folder}.")
    else:
        shutil.rmtree(work_folder)
    return EXIT_SCORES_DISAGREE if results.disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
