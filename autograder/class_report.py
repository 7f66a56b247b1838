"""Summarise an autograded class: an HTML report for the instructor and a grades CSV for an LMS.

    python -m autograder.class_report 02-create-access-token [--course-root DIR] [--db-url URL]
        [--html PATH] [--lms-csv PATH] [--pass-percent 60]

It reads every submission's scores from nbgrader's gradebook (`sqlite:///<course_root>/gradebook.db`
unless --db-url names another) and every failed check's message from the executed notebooks in
<course_root>/autograded/, then writes two files, by default into <course_root>/reports/:

- <assignment>-report.html: one self-contained page with the counts, the score distribution, the
  pass rate of each exercise check and each quiz question, and the most common mistakes. A quiz
  failure message contains the hint and the explanation when the class was graded with
  JWT_COURSE_QUIZ_EXPLANATIONS=1, so keep the page for the instructor.
- <assignment>-lms.csv: the columns Student, ID, SIS User ID, SIS Login ID, Section and one grade
  column named "<assignment> (<max> points)", one row per autograded submission.

How an instructor imports the CSV:

- Canvas (gradebook import): Canvas reads the first five columns as the student columns and the
  last one as an assignment. It looks each student up by ID (Canvas's numeric user id) first.
  Next it tries SIS User ID and SIS Login ID, which are empty here, and then the name in Student.
  That name is "Last, First" from the gradebook, or the student id when the gradebook has none.
  So rows match automatically when the nbgrader student ids are Canvas user ids. A grade column
  whose title matches no Canvas assignment becomes a new assignment, and the instructor then sets
  its points to <max>.
- Moodle (CSV grade import): map the user from the ID column to the user field that contains the
  nbgrader student ids (username, ID number, email address or user id). Map the grade column to
  the assignment's grade item (or a new one), and leave the other columns unmapped.

The file has no "Points Possible" row under the header. Canvas treats that row as optional, but
Moodle's import takes every row after the header for a student. There a first row with an empty
ID cancels the whole import, and a later one would record its value for the student above it. Both
behaviours were read in December 2026 in the source of canvas-lms's GradebookImporter class and
of Moodle's grade/import/csv/classes/load_data.php. The max points are in the grade column's
title instead, and the title never ends in "(<digits>)", which Canvas would read as an
assignment id.

nbgrader removes a submission's autograded notebook when grading it failed. Such a submission
keeps its gradebook score in the results and is listed in the report and by the command. It gets
no CSV row, so an import never replaces an LMS grade with a score that nbgrader did not produce.
"""

import argparse
import csv
import html
import math
import re
import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from nbgrader.api import Grade, Gradebook, MissingEntry, SubmittedAssignment
from nbgrader.coursedir import CourseDirectory
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parent.parent
REPORTS_FOLDER = "reports"
QUIZ_PREFIX = "test_quiz_"
PASS_FRACTION = 0.6
# With at most this many bars every assignment of the course (11 to 21 points) gets one bar per point.
MAX_BARS = 25
MAX_MISTAKE_ROWS = 30
LMS_STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
NO_OUTPUT_MESSAGE = "(no error output in the autograded notebook)"
# The stub's NotImplementedError and an unset quiz answer mean "not attempted", not a mistake.
NOT_ATTEMPTED = re.compile(r"NotImplementedError|: not answered\.")

# Rewrites that make the same mistake read the same for every student, applied in this order:
# JWTs (a JSON header always encodes to "eyJ"), datetime reprs, ISO 8601 times, clock times,
# memory addresses, then any remaining number.
NORMALISATIONS = (
    (re.compile(r"(?<![\w-])eyJ[\w-]*\.[\w-]*\.[\w-]*"), "<token>"),
    (re.compile(r"datetime\.datetime\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)"), "<datetime>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b"), "<time>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<address>"),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?!\w)"), "<n>"),
)

PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #1d2430; }
h1 { margin-bottom: 0.2rem; }
.meta { color: #5b6573; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border-bottom: 1px solid #d8dde5; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.rate { display: inline-block; height: 0.7rem; background: #3b7dd8; }
.rate.low { background: #d8553b; }
pre { white-space: pre-wrap; margin: 0.3rem 0; font-size: 0.85rem; }
svg text { font-size: 12px; fill: #1d2430; }
svg .bar { fill: #3b7dd8; }
svg .axis { stroke: #5b6573; }
.warning { color: #a33a1f; }
"""


@dataclass(frozen=True)
class CheckResult:
    """One graded test cell of one submission."""

    notebook: str
    grade_id: str
    points: float
    max_points: float
    # The error's whole evalue (or the stderr text) for a failed check, "" for a passed one.
    message: str = ""

    @property
    def passed(self) -> bool:
        # NOTE: a cell that waits for a manual grade scores 0 until graded and counts as failed.
        # Every graded cell of this course's notebooks is autograded.
        return self.points == self.max_points

    @property
    def is_quiz(self) -> bool:
        return self.grade_id.startswith(QUIZ_PREFIX)

    @property
    def short_message(self) -> str:
        """The message's first line, which names the mistake. Later lines add detail."""
        lines = self.message.strip().splitlines()
        return lines[0] if lines else ""


@dataclass
class SubmissionResult:
    """One student's graded submission of the assignment."""

    student: str
    name: str
    score: float
    max_score: float
    late_penalty: float
    checks: list[CheckResult]
    # Autograded notebooks the gradebook expects but the course folder lacks.
    missing_notebooks: list[Path] = field(default_factory=list)

    @property
    def autograded(self) -> bool:
        return not self.missing_notebooks


@dataclass
class ClassResults:
    """Every submission of one assignment, as the gradebook and the autograded notebooks record it."""

    assignment: str
    max_score: float
    submissions: list[SubmissionResult]
    read_at: datetime

    @property
    def autograded(self) -> list[SubmissionResult]:
        return [submission for submission in self.submissions if submission.autograded]

    @property
    def not_autograded(self) -> list[SubmissionResult]:
        return [submission for submission in self.submissions if not submission.autograded]

    @property
    def notebook_count(self) -> int:
        return len({check.notebook for submission in self.submissions for check in submission.checks})


@dataclass
class CheckRate:
    """How many autograded submissions passed one check."""

    notebook: str
    grade_id: str
    max_points: float
    passed: int = 0
    total: int = 0

    @property
    def is_quiz(self) -> bool:
        return self.grade_id.startswith(QUIZ_PREFIX)


@dataclass
class Mistake:
    """Failed checks with the same check and the same normalised first line of the message."""

    notebook: str
    grade_id: str
    pattern: str
    example: str
    students: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.students)


@dataclass(frozen=True)
class ScoreBin:
    """Scores from `low` up to, but not including, `high`, and in the last bin the max score too."""

    low: float
    high: float
    count: int


# Reading the gradebook and the autograded notebooks


def read_class_results(
    course_root: Path,
    assignment: str,
    db_url: str | None = None,
    students: Iterable[str] | None = None,
) -> ClassResults:
    """Read every submission of `assignment` (or only those of `students`) with each check's result.

    Scores come from the gradebook, failure messages from <course_root>/autograded/. A student
    in `students` without a submission in the gradebook is absent from the result.
    """
    course_root = Path(course_root).resolve()
    db_url = db_url or f"sqlite:///{course_root / 'gradebook.db'}"
    coursedir = CourseDirectory(root=str(course_root))
    requested = None if students is None else set(students)
    with open_gradebook(db_url) as gradebook:
        max_score = find_max_score(gradebook, assignment, db_url)
        submissions = [
            read_submission(submission, assignment, coursedir)
            for submission in gradebook.assignment_submissions(assignment)
            if requested is None or submission.student.id in requested
        ]
    submissions.sort(key=lambda submission: submission.student)
    return ClassResults(assignment, max_score, submissions, datetime.now().astimezone())


def open_gradebook(db_url: str) -> Gradebook:
    """Open an existing gradebook, and raise FileNotFoundError for a missing SQLite file, which Gradebook would create."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).exists():
            raise FileNotFoundError(
                f"gradebook not found: {url.database}. Run `nbgrader autograde` for this course first, "
                "or give the gradebook's URL with --db-url."
            )
    # An empty course_id makes Gradebook look the course up without adding a row for it, so
    # reading leaves the database unchanged (nbgrader 0.9.6, Gradebook.check_course).
    return Gradebook(db_url, course_id="")


def find_max_score(gradebook: Gradebook, assignment: str, db_url: str) -> float:
    try:
        return gradebook.find_assignment(assignment).max_score
    except MissingEntry:
        shown_url = make_url(db_url).render_as_string(hide_password=True)
        raise LookupError(
            f"assignment {assignment!r} not found in the gradebook {shown_url}. Check the name, or run "
            f"`nbgrader generate_assignment {assignment}` and `nbgrader autograde {assignment}` first."
        ) from None


def read_submission(submission: SubmittedAssignment, assignment: str, coursedir: CourseDirectory) -> SubmissionResult:
    """Combine one submission's grades from the gradebook with the messages in its autograded notebooks."""
    student = submission.student
    folder = Path(coursedir.format_path(coursedir.autograded_directory, student.id, assignment))
    checks = []
    missing = []
    for notebook in sorted(submission.notebooks, key=lambda notebook: notebook.name):
        path = folder / f"{notebook.name}.ipynb"
        if path.exists():
            messages = read_failure_messages(path)
        else:
            missing.append(path)
            messages = {}
        for grade in order_grades(notebook.grades, list(messages)):
            message = messages.get(grade.name, "") if grade.score < grade.max_score else ""
            checks.append(CheckResult(notebook.name, grade.name, grade.score, grade.max_score, message))
    # nbgrader's own grades CSV subtracts the late penalty the same way.
    penalty = submission.late_submission_penalty or 0.0
    return SubmissionResult(
        student=student.id,
        name=format_student_name(student.last_name, student.first_name),
        score=max(0.0, (submission.score or 0.0) - penalty),
        max_score=submission.max_score,
        late_penalty=penalty,
        checks=checks,
        missing_notebooks=missing,
    )


def order_grades(grades: list[Grade], notebook_order: list[str]) -> list[Grade]:
    """Sort grades as their cells appear in the notebook, with grades of cells it lacks last, by name."""
    position = {grade_id: index for index, grade_id in enumerate(notebook_order)}
    return sorted(grades, key=lambda grade: (position.get(grade.name, len(position)), grade.name))


def format_student_name(last_name: str | None, first_name: str | None) -> str:
    """Return "Last, First", the form Canvas shows as a student's sortable name, or "" without a name."""
    return ", ".join(part for part in (last_name, first_name) if part)


def read_failure_messages(notebook_path: Path) -> dict[str, str]:
    """Return each graded cell's failure message by grade_id, in notebook order ("" for a passed cell).

    nbgrader fails a test cell that has an error output or writes to stderr, so the message is
    the error's whole evalue (its ename when the evalue is empty), or else the stderr text.
    """
    notebook = nbformat.read(notebook_path, as_version=4)
    messages = {}
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("grade") and "grade_id" in grading:
            messages[grading["grade_id"]] = read_cell_failure(cell)
    return messages


def read_cell_failure(cell: nbformat.NotebookNode) -> str:
    outputs = cell.get("outputs", [])
    errors = [output.evalue if output.evalue.strip() else output.ename for output in outputs if output.output_type == "error"]
    if errors:
        return "\n".join(errors)
    stderr = [output.text for output in outputs if output.output_type == "stream" and output.name == "stderr"]
    return "".join(stderr).strip()


# Class statistics


def check_rates(results: ClassResults) -> list[CheckRate]:
    """Count, per check and in notebook order, how many autograded submissions passed it."""
    rates: dict[tuple[str, str], CheckRate] = {}
    for submission in results.autograded:
        for check in submission.checks:
            key = (check.notebook, check.grade_id)
            rate = rates.setdefault(key, CheckRate(check.notebook, check.grade_id, check.max_points))
            rate.total += 1
            rate.passed += check.passed
    return list(rates.values())


def common_mistakes(results: ClassResults) -> list[Mistake]:
    """Group the failed checks of autograded submissions by check and normalised first line, most frequent first."""
    mistakes: dict[tuple[str, str, str], Mistake] = {}
    check_order = {(rate.notebook, rate.grade_id): index for index, rate in enumerate(check_rates(results))}
    for submission in results.autograded:
        for check in submission.checks:
            if check.passed or is_not_attempted(check.message):
                continue
            pattern = normalise_message(check.short_message) or NO_OUTPUT_MESSAGE
            key = (check.notebook, check.grade_id, pattern)
            mistake = mistakes.setdefault(key, Mistake(check.notebook, check.grade_id, pattern, check.message or NO_OUTPUT_MESSAGE))
            mistake.students.append(submission.student)

    def sort_key(mistake: Mistake) -> tuple[int, int, str]:
        return -mistake.count, check_order[(mistake.notebook, mistake.grade_id)], mistake.pattern

    return sorted(mistakes.values(), key=sort_key)


def is_not_attempted(message: str) -> bool:
    """Tell whether a failure only means the learner left the exercise or question unanswered."""
    return bool(NOT_ATTEMPTED.search(message))


def normalise_message(text: str) -> str:
    """Replace tokens, times and numbers with placeholders, so one mistake reads the same for every student."""
    for pattern, placeholder in NORMALISATIONS:
        text = pattern.sub(placeholder, text)
    return " ".join(text.split())


def score_bins(scores: list[float], max_score: float) -> list[ScoreBin]:
    """Split 0..max_score into bins of whole points, at most MAX_BARS of them, and count the scores in each."""
    # MAX_BARS - 1 bins cover 0 up to max_score, and one more bin contains max_score itself.
    width = max(1, math.ceil(max_score / (MAX_BARS - 1)))
    count = int(max_score // width) + 1
    counts = [0] * count
    for score in scores:
        counts[min(int(score // width), count - 1)] += 1
    return [ScoreBin(index * width, min((index + 1) * width, max_score), counts[index]) for index in range(count)]


def pass_rate(scores: list[float], max_score: float, pass_fraction: float) -> float | None:
    """Return the share of scores of at least pass_fraction * max_score, or None without scores."""
    if not scores:
        return None
    return sum(score >= pass_fraction * max_score for score in scores) / len(scores)


# The HTML report


def write_class_report(results: ClassResults, path: Path, pass_fraction: float = PASS_FRACTION) -> None:
    """Write one self-contained HTML page (inline CSS and SVG, no scripts) that summarises the class."""
    rates = check_rates(results)
    title = f"Class report: {results.assignment}"
    sections = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Read {escape(results.read_at.strftime("%Y-%m-%d %H:%M %Z"))} from the gradebook and the autograded notebooks.'
        " It shows failure messages as graded, which can include quiz hints and explanations: keep it for the instructor.</p>",
        render_summary(results, pass_fraction),
        "<h2>Score distribution</h2>",
        render_chart(score_bins([submission.score for submission in results.autograded], results.max_score)),
        "<h2>Exercise checks</h2>",
        render_rate_table([rate for rate in rates if not rate.is_quiz], results.notebook_count > 1),
        "<h2>Quiz questions</h2>",
        render_rate_table([rate for rate in rates if rate.is_quiz], results.notebook_count > 1),
        "<h2>Most common mistakes</h2>",
        "<p>Exercises and quiz questions left unanswered are not counted as mistakes; the pass rates above include them.</p>",
        render_mistakes(common_mistakes(results), results.notebook_count > 1),
    ]
    if results.not_autograded:
        sections += ["<h2>Submissions without an autograded notebook</h2>", render_not_autograded(results)]
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{PAGE_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")


def render_summary(results: ClassResults, pass_fraction: float) -> str:
    scores = [submission.score for submission in results.autograded]
    threshold = pass_fraction * results.max_score
    rate = pass_rate(scores, results.max_score, pass_fraction)
    rows = [
        ("Submissions", f"{len(results.submissions)} ({len(scores)} autograded, {len(results.not_autograded)} without an autograded notebook)"),
        ("Max score", format_points(results.max_score)),
        ("Mean score", format_points(statistics.fmean(scores)) if scores else "no autograded submission"),
        ("Median score", format_points(statistics.median(scores)) if scores else "no autograded submission"),
        (
            f"Pass rate (score of at least {format_percent(pass_fraction)} of the max, {format_points(threshold)} points)",
            f"{format_percent(rate)} ({sum(score >= threshold for score in scores)} of {len(scores)})" if rate is not None else "no autograded submission",
        ),
    ]
    body = "".join(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in rows)
    return f'<table class="summary">{body}</table>'


def render_chart(bins: list[ScoreBin]) -> str:
    """Return an inline SVG bar chart with one bar (class "bar") per score bin."""
    width, height = 640, 260
    left, right, top, bottom = 40, 10, 20, 50
    plot_width, plot_height = width - left - right, height - top - bottom
    tallest = max((score_bin.count for score_bin in bins), default=0) or 1
    slot = plot_width / len(bins)
    parts = [
        f'<svg class="chart" role="img" aria-label="Number of autograded submissions per score" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<line class="axis" x1="{left}" y1="{top + plot_height}" x2="{left + plot_width}" y2="{top + plot_height}"/>',
    ]
    for index, score_bin in enumerate(bins):
        bar_height = plot_height * score_bin.count / tallest
        x = left + index * slot
        y = top + plot_height - bar_height
        label = format_bin_label(score_bin)
        description = describe_bin(score_bin, index == len(bins) - 1)
        parts += [
            f'<rect class="bar" x="{x + 2:.1f}" y="{y:.1f}" width="{slot - 4:.1f}" height="{bar_height:.1f}">'
            f"<title>{escape(description)}: {count_submissions(score_bin.count)}</title></rect>",
            f'<text x="{x + slot / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">{score_bin.count}</text>',
            f'<text x="{x + slot / 2:.1f}" y="{top + plot_height + 16}" text-anchor="middle">{escape(label)}</text>',
        ]
    parts += [
        f'<text x="{left + plot_width / 2:.1f}" y="{height - 10}" text-anchor="middle">score (points)</text>',
        f'<text x="12" y="{top + plot_height / 2:.1f}" text-anchor="middle" transform="rotate(-90 12 {top + plot_height / 2:.1f})">submissions</text>',
        "</svg>",
    ]
    return "\n".join(parts)


def format_bin_label(score_bin: ScoreBin) -> str:
    """Return the axis label: the bin's first score, or its first and last score for a wider bin."""
    if score_bin.high - score_bin.low <= 1:
        return format_points(score_bin.low)
    return f"{format_points(score_bin.low)}–{format_points(score_bin.high)}"


def describe_bin(score_bin: ScoreBin, is_last: bool) -> str:
    if score_bin.low == score_bin.high:
        return f"{format_points(score_bin.low)} points"
    upper = "to" if is_last else "to under"
    return f"{format_points(score_bin.low)} {upper} {format_points(score_bin.high)} points"


def render_rate_table(rates: list[CheckRate], show_notebook: bool) -> str:
    if not rates:
        return "<p>None in this assignment.</p>"
    rows = []
    for rate in rates:
        share = rate.passed / rate.total
        css = "rate low" if share < PASS_FRACTION else "rate"
        rows.append(
            f"<tr><td>{escape(check_label(rate.notebook, rate.grade_id, show_notebook))}</td>"
            f'<td class="number">{format_points(rate.max_points)}</td>'
            f'<td class="number">{rate.passed}/{rate.total}</td>'
            f'<td class="number">{format_percent(share)}</td>'
            f'<td><span class="{css}" style="width: {share * 8:.2f}rem"></span></td></tr>'
        )
    header = '<tr><th>grade_id</th><th class="number">points</th><th class="number">passed/total</th><th class="number">percent</th><th></th></tr>'
    return f"<table>{header}{''.join(rows)}</table>"


def render_mistakes(mistakes: list[Mistake], show_notebook: bool) -> str:
    if not mistakes:
        return "<p>No failed checks.</p>"
    rows = []
    for mistake in mistakes[:MAX_MISTAKE_ROWS]:
        students = ", ".join(mistake.students)
        rows.append(
            f'<tr><td class="number">{mistake.count}</td>'
            f"<td>{escape(check_label(mistake.notebook, mistake.grade_id, show_notebook))}</td>"
            f"<td>{escape(mistake.pattern)}</td>"
            f"<td><details><summary>example from {escape(mistake.students[0])}</summary><pre>{escape(mistake.example)}</pre>"
            f"<p>Students: {escape(students)}</p></details></td></tr>"
        )
    header = '<tr><th class="number">count</th><th>check</th><th>mistake (first line, numbers and times replaced)</th><th>example message</th></tr>'
    hidden = len(mistakes) - MAX_MISTAKE_ROWS
    more = f"<p>{hidden} less frequent mistakes are not shown.</p>" if hidden > 0 else ""
    return f"<table>{header}{''.join(rows)}</table>{more}"


def render_not_autograded(results: ClassResults) -> str:
    rows = "".join(
        f"<tr><td>{escape(submission.student)}</td><td>{format_points(submission.score)}</td>"
        f"<td>{escape(', '.join(str(path) for path in submission.missing_notebooks))}</td></tr>"
        for submission in results.not_autograded
    )
    return (
        '<p class="warning">These submissions are in the gradebook but have no autograded notebook, usually because '
        "grading them failed: see the autograde log, fix the cause, and grade them again. Their gradebook score is "
        "shown here, left out of the statistics above and out of the LMS CSV.</p>"
        f"<table><tr><th>student</th><th>gradebook score</th><th>missing notebook</th></tr>{rows}</table>"
    )


def count_submissions(count: int) -> str:
    return f"{count} submission" if count == 1 else f"{count} submissions"


def check_label(notebook: str, grade_id: str, show_notebook: bool) -> str:
    return f"{notebook}: {grade_id}" if show_notebook else grade_id


def escape(text: str) -> str:
    return html.escape(text, quote=True)


def format_points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def format_percent(fraction: float) -> str:
    return f"{100 * fraction:.0f}%"


# The LMS CSV


def lms_grade_column(results: ClassResults) -> str:
    """Return the grade column's title: the assignment and its max points, never ending in "(<digits>)"."""
    return f"{results.assignment} ({format_points(results.max_score)} points)"


def write_lms_csv(results: ClassResults, path: Path) -> None:
    """Write one row per autograded submission in the layout the module docstring explains."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([*LMS_STUDENT_COLUMNS, lms_grade_column(results)])
        for submission in results.autograded:
            writer.writerow([submission.name or submission.student, submission.student, "", "", "", format_points(submission.score)])


# The command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", help="assignment name, as in the gradebook (e.g. 02-create-access-token)")
    parser.add_argument("--course-root", type=Path, default=REPO_ROOT, help="nbgrader course folder (default: the repository root)")
    parser.add_argument("--db-url", help="gradebook URL (default: sqlite:///<course_root>/gradebook.db)")
    parser.add_argument("--html", type=Path, help="report path (default: <course_root>/reports/<assignment>-report.html)")
    parser.add_argument("--lms-csv", type=Path, help="LMS CSV path (default: <course_root>/reports/<assignment>-lms.csv)")
    parser.add_argument(
        "--pass-percent", type=float, default=100 * PASS_FRACTION,
        help=f"score, in percent of the max score, that counts as a pass in the report (default: {100 * PASS_FRACTION:g})",
    )
    arguments = parser.parse_args(argv)
    if not 0 <= arguments.pass_percent <= 100:
        parser.error(f"--pass-percent must be between 0 and 100, got {arguments.pass_percent:g}")

    course_root = arguments.course_root.resolve()
    try:
        results = read_class_results(course_root, arguments.assignment, arguments.db_url)
    except (FileNotFoundError, LookupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    reports = course_root / REPORTS_FOLDER
    html_path = arguments.html or reports / f"{arguments.assignment}-report.html"
    csv_path = arguments.lms_csv or reports / f"{arguments.assignment}-lms.csv"
    write_class_report(results, html_path, arguments.pass_percent / 100)
    write_lms_csv(results, csv_path)

    for submission in results.not_autograded:
        missing = ", ".join(str(path) for path in submission.missing_notebooks)
        print(
            f"warning: {submission.student}: autograded notebook not found: {missing}. The LMS CSV has no row "
            "for this student: find the cause in the autograde log, then grade the submission again.",
            file=sys.stderr,
        )
    print(f"{len(results.submissions)} submissions, {len(results.autograded)} autograded")
    print(f"Report: {html_path}\nLMS CSV: {csv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
