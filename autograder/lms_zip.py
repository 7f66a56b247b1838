"""Place the notebooks of a Canvas or Moodle "download all submissions" zip into nbgrader's submitted/ folder.

    python -m autograder.lms_zip ZIP ASSIGNMENT [--course-root DIR] [--list-matched]

Each notebook goes to <course-root>/submitted/<student id>/<assignment>/<notebook>, where <notebook>
is one of the .ipynb files in <course-root>/notebooks/<assignment>/ (nbgrader's release folder).
The command prints how many notebooks matched and a table of every file in the zip that was not
used, with the reason. It exits 0 even when files were not used, and 1 with a message when the zip
is missing or invalid or the assignment has no release notebooks.

File names accepted, and the part of each that becomes nbgrader's student id:

- Canvas, as lib/content_zipper.rb in canvas-lms writes them:
  `<sortable name>_<user id>_<file id>_<file name>`, with `_LATE` after the name for a late
  submission (`smithjane_LATE_4182_907713_02-create-access-token.ipynb`), and
  `anon_<anonymous id>_<file id>_<file name>` (or `LATE_anon_...`) under anonymous grading.
  The student id is the numeric Canvas user id, or `anon_<anonymous id>`.
- Moodle, as mod/assign/locallib.php (assign::download_submissions) writes them:
  `<Full Name>_<participant id>_assignsubmission_file_/<file name>` (a folder per student,
  the default since Moodle 3.1), or the same prefix directly before the file name (flat).
  Under blind marking the name is "Participant". The student id is the participant id.
- The name may sit in folders that wrap the whole export (`export/smithjane_4182_...`).
- The file name matches a notebook of the assignment ignoring letter case. A duplicate suffix is
  removed first: ` (1)` or `(1)`, a browser's name for a second download, and in Canvas names
  `-1`, which Canvas's Attachment.make_unique_filename adds to a name already taken.
  Jupyter's `-Copy1` is not removed, because the learner may have worked in either notebook.

Every file member of the zip ends up either placed or listed as not used, with the reason:
no known naming pattern, not a notebook, a notebook name the assignment does not have, an
unreadable notebook, an unsafe path or a symbolic link, macOS metadata, an encrypted or damaged
member, or a second file for the same student and notebook. Folder entries carry no content and
are not listed. Of two files for one student and notebook the one kept is the one with the higher
Canvas file id, then the later time stored in the zip, then the one earlier in the zip. The
reason names the file kept and the rule that decided.

Members are read from the zip and written to a path built only from the student id, the
assignment and the release notebook's name, so no member name can place a file elsewhere.
A notebook already in submitted/ is rewritten only when the zip's bytes differ, so its file
and modification time stay as they were when nothing changed, and the report says which
submissions are new, replaced or unchanged. Other files in the student's folder are left alone.

NOTE: Moodle's participant id (a row of its per-assignment user mapping) and Canvas's anonymous id
belong to one assignment, so one learner has a different student id in each assignment's export
and nbgrader counts them as different students. Canvas's user id is the same across assignments.

NOTE: the LMS names carry no submission time (Canvas marks a late file only with `LATE`), so no
timestamp.txt is written and nbgrader applies no late penalty. The report lists late files.
"""

import argparse
import os
import re
import sys
import warnings
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath

import nbformat

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_SUFFIX = ".ipynb"
RELEASE_FOLDER = "notebooks"
SUBMITTED_FOLDER = "submitted"

# Canvas removes every character but letters, digits and `_` from the name part.
CANVAS_NAME = re.compile(r"^(?P<name>\w+?)_(?P<late>LATE_)?(?P<student_id>\d+)_(?P<file_id>\d+)_(?P<file_name>.+)$")
CANVAS_ANONYMOUS_NAME = re.compile(r"^(?P<late>LATE_)?(?P<student_id>anon_[A-Za-z0-9]+)_(?P<file_id>\d+)_(?P<file_name>.+)$")
MOODLE_PREFIX = re.compile(r"^(?P<name>[^_/]+)_(?P<student_id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file_name>.*)$")
BROWSER_DUPLICATE_SUFFIX = re.compile(r"\s?\(\d+\)$")
CANVAS_DUPLICATE_SUFFIX = re.compile(r"-\d+$")
JUPYTER_COPY_SUFFIX = re.compile(r"-Copy\d*$", re.IGNORECASE)
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
MACOS_METADATA_NAMES = ("__MACOSX", ".DS_Store")
ENCRYPTED_FLAG = 0x1
SYMLINK_FILE_TYPE = 0o120000
FILE_TYPE_MASK = 0o170000

KNOWN_PATTERNS_HINT = (
    "expected Canvas `<name>_<user id>_<file id>_<file>` or Moodle `<Full Name>_<participant id>_assignsubmission_file_<file>`"
)

# NOTE: nbgrader's own `zip_collect` (ZipCollectApp, nbgrader 0.9.6) is not used, because it cannot
# give this report. Its extractor skips members with `..` or an absolute path without logging them.
# A collector plugin can only return None, which nbgrader logs as one generic "Skipped submission"
# line. Two files for one student and notebook without timestamps stop the whole run, and a
# student's existing submitted folder makes it fail, or with --force be deleted and copied again.


class IntakeError(Exception):
    """Raised when the zip or the assignment's release folder cannot be used. The message names which."""


class PlacementStatus(StrEnum):
    """Outcome for a student's notebook in submitted/."""

    NEW = "new"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Placement:
    """One zip member placed as a student's notebook in submitted/."""

    member: str
    student_id: str
    student_name: str
    notebook: str
    destination: Path
    status: PlacementStatus
    late: bool
    lms: str


@dataclass(frozen=True)
class UnusedMember:
    """One zip member that was not placed, with the reason a person reads."""

    member: str
    reason: str


@dataclass
class IntakeReport:
    """Record of one zip's intake: each member placed and where, and each member not used, with the reason."""

    zip_path: Path
    assignment: str
    placed: list[Placement] = field(default_factory=list)
    unused: list[UnusedMember] = field(default_factory=list)

    @property
    def changed_students(self) -> list[str]:
        """Student ids whose notebook is new or was replaced by this intake."""
        changed = {placement.student_id for placement in self.placed if placement.status != PlacementStatus.UNCHANGED}
        return sorted(changed)

    def summary_line(self) -> str:
        counts = {status: sum(placement.status == status for placement in self.placed) for status in PlacementStatus}
        late = sum(placement.late for placement in self.placed)
        details = ", ".join(f"{counts[status]} {status.value}" for status in PlacementStatus)
        late_text = f", {late} marked late by the LMS" if late else ""
        matched = count_noun(len(self.placed), "notebook")
        return f"{self.zip_path.name}: {matched} matched for {self.assignment} ({details}{late_text})."

    def placed_lines(self) -> list[str]:
        """Return a table of the placed members: member, student id, status, destination."""
        rows = []
        for placement in self.placed:
            status = f"{placement.status.value}, late" if placement.late else placement.status.value
            rows.append((placement.member, placement.student_id, status, str(placement.destination)))
        return format_table(("member", "student id", "status", "placed at"), rows)

    def unused_lines(self) -> list[str]:
        """Return a table of the members not used, with the reason for each."""
        if not self.unused:
            return ["Every file in the zip was used."]
        verb = "was" if len(self.unused) == 1 else "were"
        heading = f"{count_noun(len(self.unused), 'file')} in the zip {verb} not used:"
        return [heading, *format_table(("member", "reason"), [(item.member, item.reason) for item in self.unused])]

    def lines(self, list_placed: bool = False) -> list[str]:
        """Return the summary line, optionally the placed table, then the table of unused members."""
        placed = self.placed_lines() if list_placed and self.placed else []
        return [self.summary_line(), *placed, *self.unused_lines()]


@dataclass(frozen=True)
class Candidate:
    """A zip member whose name and content make it a student's notebook."""

    member: str
    index: int
    student_id: str
    student_name: str
    notebook: str
    lms: str
    late: bool
    file_id: int | None
    modified: datetime
    data: bytes


@dataclass(frozen=True)
class ParsedName:
    """Student and submitted file that an LMS file name describes."""

    lms: str
    student_id: str
    student_name: str
    file_name: str
    late: bool
    file_id: int | None


def count_noun(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def format_table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Return the rows as lines of left-aligned columns. The last column is not padded."""
    widths = [max(len(row[column]) for row in [headers, *rows]) for column in range(len(headers) - 1)]
    lines = []
    for row in [headers, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        lines.append("  ".join([*cells, row[-1]]))
    return lines


def release_notebooks(course_root: Path, assignment: str) -> dict[str, str]:
    """Return the assignment's release notebook names, keyed by their lower-case stem."""
    folder = course_root / RELEASE_FOLDER / assignment
    notebooks = sorted(path.name for path in folder.glob(f"*{NOTEBOOK_SUFFIX}")) if folder.is_dir() else []
    if not notebooks:
        raise IntakeError(
            f"no release notebooks in {folder}. Run `nbgrader generate_assignment {assignment}` "
            "in the course folder first, or check the assignment name and --course-root."
        )
    return {name[: -len(NOTEBOOK_SUFFIX)].casefold(): name for name in notebooks}


def check_assignment_name(assignment: str) -> None:
    if not assignment or assignment in (".", "..") or "/" in assignment or "\\" in assignment:
        raise IntakeError(f"invalid assignment name {assignment!r}. Expected one folder name, such as 02-create-access-token.")


def member_parts(member: str) -> list[str]:
    """Split a member name into path parts. Windows tools sometimes write backslashes as separators."""
    return [part for part in member.replace("\\", "/").split("/") if part]


def unsafe_path_reason(info: zipfile.ZipInfo) -> str | None:
    """Return why a member's name or type is unsafe to use, or None."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or WINDOWS_DRIVE.match(name):
        return "unsafe path (absolute). Not used, and nothing was written outside the course folder"
    if ".." in name.split("/"):
        return "unsafe path (contains `..`). Not used, and nothing was written outside the course folder"
    if (info.external_attr >> 16) & FILE_TYPE_MASK == SYMLINK_FILE_TYPE:
        return "a symbolic link, not a file. Not used"
    return None


def is_macos_metadata(parts: list[str]) -> bool:
    return parts[0] in MACOS_METADATA_NAMES or parts[-1] in MACOS_METADATA_NAMES or parts[-1].startswith("._")


def parse_moodle_name(parts: list[str]) -> ParsedName | None:
    """Read a Moodle prefix from the folder a member is in, or from its own name when flat."""
    for position, part in enumerate(parts):
        match = MOODLE_PREFIX.match(part)
        if not match:
            continue
        is_flat = position == len(parts) - 1
        file_name = match["file_name"] if is_flat else parts[-1]
        return ParsedName("Moodle", match["student_id"], match["name"], file_name, late=False, file_id=None)
    return None


def parse_canvas_name(base_name: str) -> ParsedName | None:
    """Read a Canvas name. The anonymous form is tried first, so `anon_<id>` is not taken for a student named "anon"."""
    anonymous = CANVAS_ANONYMOUS_NAME.match(base_name)
    match = anonymous or CANVAS_NAME.match(base_name)
    if not match:
        return None
    name = "(anonymous)" if anonymous else match["name"]
    return ParsedName("Canvas", match["student_id"], name, match["file_name"], bool(match["late"]), int(match["file_id"]))


def parse_lms_name(parts: list[str]) -> ParsedName | None:
    """Return the student and file a member's path names, trying Moodle first because its prefix is unambiguous."""
    return parse_moodle_name(parts) or parse_canvas_name(parts[-1])


def stem_variants(stem: str, lms: str) -> list[str]:
    """Return the stem as given, then without the duplicate suffixes the LMS or a browser adds."""
    variants = [stem]
    if lms == "Canvas":
        variants.append(CANVAS_DUPLICATE_SUFFIX.sub("", stem))
    variants.extend([BROWSER_DUPLICATE_SUFFIX.sub("", variant) for variant in list(variants)])
    return variants


def match_notebook(parsed: ParsedName, notebooks: dict[str, str]) -> str | None:
    stem = parsed.file_name[: -len(NOTEBOOK_SUFFIX)]
    for variant in stem_variants(stem, parsed.lms):
        notebook = notebooks.get(variant.casefold())
        if notebook:
            return notebook
    return None


def unknown_notebook_reason(parsed: ParsedName, notebooks: dict[str, str]) -> str:
    expected = ", ".join(sorted(notebooks.values()))
    reason = f"notebook name {parsed.file_name!r} is not one of this assignment's notebooks ({expected})"
    stem = parsed.file_name[: -len(NOTEBOOK_SUFFIX)]
    if JUPYTER_COPY_SUFFIX.search(stem):
        reason += (
            ". It looks like a copy made by Jupyter's Duplicate, so check which notebook the learner worked in and rename that one"
        )
    return reason


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bytes | None, str | None]:
    """Return the member's bytes, or None and the reason it could not be read."""
    if info.flag_bits & ENCRYPTED_FLAG:
        return None, "encrypted (password-protected). Export the submissions again without a password"
    try:
        return archive.read(info), None
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError) as error:
        return None, f"damaged or unsupported in the zip ({error}). Download the export again"


def notebook_error(data: bytes) -> str | None:
    """Return why the bytes are not a notebook that nbformat reads as version 4, or None when they are."""
    try:
        with warnings.catch_warnings():
            # nbformat warns about details such as missing cell ids, which nbgrader grades anyway.
            warnings.simplefilter("ignore")
            nbformat.reads(data.decode("utf-8"), as_version=4)
    except UnicodeDecodeError:
        return "not a readable notebook: the file is not UTF-8 text"
    except (ValueError, AttributeError, nbformat.ValidationError) as error:
        message = str(error).strip()
        first_line = message.splitlines()[0] if message else type(error).__name__
        return f"not a readable notebook: {first_line}"
    return None


def examine_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, index: int, notebooks: dict[str, str]
) -> Candidate | UnusedMember:
    """Return the member as a candidate submission, or the reason it cannot be one."""
    member = info.filename
    reason = unsafe_path_reason(info)
    if reason:
        return UnusedMember(member, reason)
    parts = member_parts(member)
    if not parts:
        return UnusedMember(member, "empty member name")
    if is_macos_metadata(parts):
        return UnusedMember(member, "macOS metadata that Finder or Archive Utility adds, not a submission")
    parsed = parse_lms_name(parts)
    if parsed is None:
        return UnusedMember(member, f"no known naming pattern ({KNOWN_PATTERNS_HINT})")
    if not parsed.file_name.casefold().endswith(NOTEBOOK_SUFFIX):
        extension = PurePosixPath(parsed.file_name).suffix or "no extension"
        return UnusedMember(member, f"not a notebook ({extension}). Only {NOTEBOOK_SUFFIX} files are graded")
    notebook = match_notebook(parsed, notebooks)
    if notebook is None:
        return UnusedMember(member, unknown_notebook_reason(parsed, notebooks))
    data, reason = read_member(archive, info)
    if data is None:
        return UnusedMember(member, reason)
    reason = notebook_error(data)
    if reason:
        return UnusedMember(member, reason)
    modified = member_time(info)
    return Candidate(
        member, index, parsed.student_id, parsed.student_name, notebook, parsed.lms, parsed.late, parsed.file_id, modified, data
    )


def member_time(info: zipfile.ZipInfo) -> datetime:
    """Return the member's time as stored in the zip (local time, no zone), or the earliest time when it is invalid."""
    try:
        return datetime(*info.date_time)
    except ValueError:
        return datetime.min


def preference_key(candidate: Candidate) -> tuple[int, datetime, int]:
    """Order candidates so that the one to keep is the largest."""
    return (candidate.file_id if candidate.file_id is not None else -1, candidate.modified, -candidate.index)


def duplicate_reason(dropped: Candidate, kept: Candidate) -> str:
    """Say which file was kept instead of `dropped`, and which rule decided."""
    # A zip may contain two members of the same name, so the entry number distinguishes them.
    kept_label = repr(kept.member) if kept.member != dropped.member else f"{kept.member!r} (entry {kept.index + 1})"
    start = f"second file for student {kept.student_id} and {kept.notebook}: kept {kept_label}"
    if dropped.data == kept.data:
        return f"{start}, which has the same content"
    if kept.file_id is not None and dropped.file_id is not None and kept.file_id != dropped.file_id:
        ids = f"{kept.file_id} > {dropped.file_id}"
        return f"{start}, because its Canvas file id is higher ({ids}), which usually means a later upload"
    if kept.modified != dropped.modified:
        return f"{start}, because its time in the zip is later ({kept.modified} > {dropped.modified})"
    return f"{start}, because it comes first in the zip. Both have the same id and time, so check both by hand"


def choose_submissions(candidates: list[Candidate]) -> tuple[list[Candidate], list[UnusedMember]]:
    """Keep one candidate per student and notebook, and return the kept ones and the others with reasons."""
    groups: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        groups[(candidate.student_id, candidate.notebook)].append(candidate)
    kept, dropped = [], []
    for group in groups.values():
        best = max(group, key=preference_key)
        kept.append(best)
        dropped.extend(UnusedMember(other.member, duplicate_reason(other, best)) for other in group if other is not best)
    return kept, dropped


def place_notebook(candidate: Candidate, course_root: Path, assignment: str) -> Placement:
    """Write the notebook to submitted/, unless the same bytes are already there."""
    # No part can leave submitted/, because the name patterns allow only digits or `anon_` plus letters and
    # digits in a student id, the assignment name was checked, and the notebook is a release file name.
    destination = course_root / SUBMITTED_FOLDER / candidate.student_id / assignment / candidate.notebook
    if destination.is_file() and destination.read_bytes() == candidate.data:
        status = PlacementStatus.UNCHANGED
    else:
        status = PlacementStatus.REPLACED if destination.exists() else PlacementStatus.NEW
        write_atomically(destination, candidate.data)
    return Placement(
        candidate.member,
        candidate.student_id,
        candidate.student_name,
        candidate.notebook,
        destination,
        status,
        candidate.late,
        candidate.lms,
    )


def write_atomically(destination: Path, data: bytes) -> None:
    """Write through a temporary file and a rename, so an interrupted run leaves no half-written notebook."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)


def open_zip(zip_path: Path) -> zipfile.ZipFile:
    if not zip_path.is_file():
        raise IntakeError(f"zip file not found: {zip_path}. Give the path of the file that Canvas or Moodle exported.")
    try:
        return zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as error:
        raise IntakeError(f"{zip_path} is not a valid zip file ({error}). Download the export from the LMS again.") from error
    except OSError as error:
        raise IntakeError(f"failed to read {zip_path}: {error}. Check the path and its permissions.") from error


def collect_lms_zip(zip_path: Path, course_root: Path, assignment: str) -> IntakeReport:
    """Place each matched notebook of an LMS export in submitted/ and report every member, used or not.

    Raises IntakeError when the zip is missing or invalid, the assignment name is not one folder
    name, or the assignment has no release notebooks.
    """
    check_assignment_name(assignment)
    notebooks = release_notebooks(course_root, assignment)
    report = IntakeReport(zip_path, assignment)
    candidates = []
    with open_zip(zip_path) as archive:
        for index, info in enumerate(archive.infolist()):
            if info.is_dir():
                continue
            result = examine_member(archive, info, index, notebooks)
            if isinstance(result, Candidate):
                candidates.append(result)
            else:
                report.unused.append(result)
    kept, duplicates = choose_submissions(candidates)
    report.unused.extend(duplicates)
    kept.sort(key=lambda candidate: candidate.index)
    report.placed = [place_notebook(candidate, course_root, assignment) for candidate in kept]
    return report


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m autograder.lms_zip", description=__doc__.split("\n\n")[0])
    parser.add_argument("zip_path", type=Path, metavar="ZIP", help="zip file of all submissions, exported by Canvas or Moodle")
    parser.add_argument("assignment", metavar="ASSIGNMENT", help="assignment name, a folder in notebooks/ such as 02-create-access-token")
    parser.add_argument(
        "--course-root",
        type=Path,
        default=REPO_ROOT,
        help="nbgrader course folder with notebooks/ and submitted/ (default: this repository)",
    )
    parser.add_argument("--list-matched", action="store_true", help="also print each matched file and where it was placed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        report = collect_lms_zip(arguments.zip_path, arguments.course_root.resolve(), arguments.assignment)
    except IntakeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for line in report.lines(list_placed=arguments.list_matched):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
