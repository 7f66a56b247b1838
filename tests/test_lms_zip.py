"""Taking in a Canvas or Moodle zip export: where each file goes, and why a file is not used."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import lms_zip
from autograder.lms_zip import IntakeError, PlacementStatus, collect_lms_zip
from conftest import REPO_ROOT, learner_notebook

ASSIGNMENT = "02-create-access-token"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
CANVAS = f"smithjane_4182_907713_{NOTEBOOK}"
MOODLE_FOLDER = f"Jane Smith_53120_assignsubmission_file_/{NOTEBOOK}"
EARLY = (2026, 12, 1, 9, 0, 0)
LATE = (2026, 12, 1, 11, 30, 0)


def notebook_bytes(variant: str = "") -> bytes:
    """Return the learner copy's bytes; a variant adds a metadata field, so the content differs."""
    data = learner_notebook(ASSIGNMENT).read_bytes()
    if not variant:
        return data
    notebook = json.loads(data)
    notebook["metadata"]["variant"] = variant
    return json.dumps(notebook, indent=1).encode()


def build_zip(path: Path, members: list[tuple]) -> Path:
    """Write a zip of (name, bytes) or (name, bytes, date_time) members, in the order given."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, *date_time in members:
            info = zipfile.ZipInfo(name, date_time[0] if date_time else EARLY)
            archive.writestr(info, data)
    return path


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A course folder with the assignment's released notebook and no submissions yet."""
    root = tmp_path / "course"
    release = root / "notebooks" / ASSIGNMENT
    release.mkdir(parents=True)
    shutil.copy(learner_notebook(ASSIGNMENT), release / NOTEBOOK)
    return root


def submitted(course: Path, student: str) -> Path:
    return course / "submitted" / student / ASSIGNMENT / NOTEBOOK


def collect(course: Path, members: list[tuple]) -> lms_zip.IntakeReport:
    zip_path = build_zip(course.parent / "export.zip", members)
    return collect_lms_zip(zip_path, course, ASSIGNMENT)


def reasons(report: lms_zip.IntakeReport) -> dict[str, str]:
    return {item.member: item.reason for item in report.unused}


def placed(report: lms_zip.IntakeReport) -> dict[str, lms_zip.Placement]:
    return {placement.member: placement for placement in report.placed}


def test_canvas_name_placed(course):
    report = collect(course, [(CANVAS, notebook_bytes())])
    placement = placed(report)[CANVAS]
    assert placement.student_id == "4182", placement
    assert placement.destination == submitted(course, "4182"), placement
    assert placement.status == PlacementStatus.NEW, placement
    assert placement.late is False, placement
    assert submitted(course, "4182").read_bytes() == notebook_bytes(), "placed bytes differ from the zip member"
    assert report.unused == [], report.unused


def test_canvas_late_marked(course):
    member = f"smithjane_LATE_4182_907713_{NOTEBOOK}"
    placement = placed(collect(course, [(member, notebook_bytes())]))[member]
    assert placement.late is True, placement
    assert placement.student_id == "4182", placement


def test_canvas_name_with_underscore(course):
    member = f"o_brienpat_LATE_77_907800_{NOTEBOOK}"
    placement = placed(collect(course, [(member, notebook_bytes())]))[member]
    assert placement.student_id == "77", placement
    assert placement.student_name == "o_brienpat", placement
    assert placement.late is True, placement


@pytest.mark.parametrize("member", [f"anon_Xy3Kq_907713_{NOTEBOOK}", f"LATE_anon_Xy3Kq_907713_{NOTEBOOK}"])
def test_canvas_anonymous_id(course, member):
    placement = placed(collect(course, [(member, notebook_bytes())]))[member]
    assert placement.student_id == "anon_Xy3Kq", placement
    assert placement.late is member.startswith("LATE_"), placement


@pytest.mark.parametrize(
    "file_name",
    [f"{ASSIGNMENT} (1).ipynb", f"{ASSIGNMENT}(2).ipynb", f"{ASSIGNMENT}-1.ipynb", f"{ASSIGNMENT} (1)-2.ipynb"],
)
def test_canvas_duplicate_suffix_placed(course, file_name):
    member = f"smithjane_4182_907713_{file_name}"
    placement = placed(collect(course, [(member, notebook_bytes())])).get(member)
    assert placement is not None, f"{member} was not placed"
    assert placement.destination == submitted(course, "4182"), placement


def test_moodle_folder_placed(course):
    placement = placed(collect(course, [(MOODLE_FOLDER, notebook_bytes())]))[MOODLE_FOLDER]
    assert placement.student_id == "53120", placement
    assert placement.student_name == "Jane Smith", placement
    assert placement.lms == "Moodle", placement
    assert placement.destination == submitted(course, "53120"), placement


@pytest.mark.parametrize(
    "member",
    [
        f"Jane Smith_53120_assignsubmission_file_{NOTEBOOK}",
        f"Jane Smith_53120_assignsubmission_file_{ASSIGNMENT} (1).ipynb",
        f"Participant_53120_assignsubmission_file_/{NOTEBOOK}",
        f"Group A-Jane Smith_53120_assignsubmission_file_/work/{NOTEBOOK}",
    ],
    ids=["flat", "flat-duplicate-suffix", "blind-marking", "team-subfolder"],
)
def test_moodle_variants_placed(course, member):
    placement = placed(collect(course, [(member, notebook_bytes())])).get(member)
    assert placement is not None, f"{member} was not placed"
    assert placement.destination == submitted(course, "53120"), placement


def test_moodle_dash_suffix_rejected(course):
    member = f"Jane Smith_53120_assignsubmission_file_/{ASSIGNMENT}-1.ipynb"
    reason = reasons(collect(course, [(member, notebook_bytes())])).get(member, "")
    assert "is not one of this assignment's notebooks" in reason, reason


@pytest.mark.parametrize(
    "member",
    [f"export/{CANVAS}", f"downloads/2026/{CANVAS}", f"export\\{CANVAS}", f"export/{MOODLE_FOLDER}"],
    ids=["one-folder", "two-folders", "backslash", "moodle-in-folder"],
)
def test_nested_folder_placed(course, member):
    placement = placed(collect(course, [(member, notebook_bytes())])).get(member)
    assert placement is not None, f"{member} was not placed"
    assert placement.destination.name == NOTEBOOK, placement


@pytest.mark.parametrize("file_name", [f"{ASSIGNMENT}.IPYNB", f"{ASSIGNMENT}.Ipynb", "02-Create-Access-Token.ipynb"])
def test_letter_case_placed(course, file_name):
    member = f"smithjane_4182_907713_{file_name}"
    placement = placed(collect(course, [(member, notebook_bytes())])).get(member)
    assert placement is not None, f"{member} was not placed"
    assert placement.destination == submitted(course, "4182"), "the release notebook's name should be used"


def test_pdf_not_notebook(course):
    member = "smithjane_4182_907714_report.pdf"
    reason = reasons(collect(course, [(member, b"%PDF-1.7\n")]))[member]
    assert reason.startswith("not a notebook (.pdf)"), reason


def test_moodle_online_text_not_notebook(course):
    member = "Jane Smith_53120_assignsubmission_onlinetext_/onlinetext.html"
    reason = reasons(collect(course, [(member, b"<p>see attached</p>")]))[member]
    assert reason.startswith("not a notebook (.html)"), reason


def test_copy1_rejected_with_hint(course):
    member = f"smithjane_4182_907713_{ASSIGNMENT}-Copy1.ipynb"
    report = collect(course, [(member, notebook_bytes())])
    reason = reasons(report)[member]
    assert f"{ASSIGNMENT}-Copy1.ipynb" in reason, reason
    assert f"({NOTEBOOK})" in reason, "the reason should list the assignment's notebooks"
    assert "Duplicate" in reason, "the reason should name Jupyter's Duplicate as the likely cause"
    assert not submitted(course, "4182").exists(), "a -Copy1 notebook must not be placed"


@pytest.mark.parametrize(
    "member", [NOTEBOOK, f"jane/{NOTEBOOK}", f"smith jane_4182_907713_{NOTEBOOK}", f"smithjane_4182_{NOTEBOOK}"]
)
def test_unknown_pattern_listed(course, member):
    reason = reasons(collect(course, [(member, notebook_bytes())])).get(member, "")
    assert reason.startswith("no known naming pattern"), reason


@pytest.mark.parametrize(
    "member",
    [f"../{CANVAS}", f"export/../../{CANVAS}", f"..\\..\\{CANVAS}", f"/tmp/{CANVAS}", f"C:/{CANVAS}"],
    ids=["parent", "nested-parent", "backslash-parent", "absolute", "drive"],
)
def test_unsafe_path_rejected(course, member):
    before = sorted(path for path in course.parent.rglob("*"))
    report = collect(course, [(member, notebook_bytes())])
    reason = reasons(report).get(member, "")
    assert reason.startswith("unsafe path"), reason
    assert report.placed == [], report.placed
    after = sorted(path for path in course.parent.rglob("*") if path.name != "export.zip")
    assert after == before, f"files appeared: {set(after) - set(before)}"


def test_symlink_rejected(course):
    info = zipfile.ZipInfo(CANVAS, EARLY)
    info.external_attr = 0o120777 << 16
    zip_path = course.parent / "links.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr(info, "/etc/passwd")
    report = collect_lms_zip(zip_path, course, ASSIGNMENT)
    assert reasons(report)[CANVAS].startswith("a symbolic link"), report.unused
    assert not submitted(course, "4182").exists(), "a link must not be placed"


@pytest.mark.parametrize("member", [f"__MACOSX/._{CANVAS}", f"export/._{CANVAS}", "export/.DS_Store"])
def test_macos_metadata_listed(course, member):
    reason = reasons(collect(course, [(member, b"\x00\x05\x16\x07")])).get(member, "")
    assert reason.startswith("macOS metadata"), reason


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"{not json", "not a readable notebook"), (b"\xff\xfe{}", "not UTF-8"), (b'{"nbformat": 4, "nbformat_minor": 5}', "cells")],
    ids=["not-json", "not-utf8", "no-cells"],
)
def test_broken_notebook_listed(course, data, expected):
    reason = reasons(collect(course, [(CANVAS, data)])).get(CANVAS, "")
    assert reason.startswith("not a readable notebook"), reason
    assert expected in reason, reason


def set_flag_bit(zip_path: Path, bit: int) -> None:
    """Set a general-purpose flag bit of the only member, in both its local and its central header."""
    data = bytearray(zip_path.read_bytes())
    for signature, flags_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.index(signature) + flags_offset
        data[start] |= bit
    zip_path.write_bytes(bytes(data))


def test_encrypted_member_listed(course):
    zip_path = build_zip(course.parent / "locked.zip", [(CANVAS, notebook_bytes())])
    set_flag_bit(zip_path, lms_zip.ENCRYPTED_FLAG)
    reason = reasons(collect_lms_zip(zip_path, course, ASSIGNMENT))[CANVAS]
    assert reason.startswith("encrypted"), reason


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED], ids=["stored", "deflated"])
def test_damaged_member_listed(course, compression):
    zip_path = course.parent / "damaged.zip"
    with zipfile.ZipFile(zip_path, "w", compression=compression) as archive:
        archive.writestr(CANVAS, notebook_bytes())
    data = bytearray(zip_path.read_bytes())
    start = data.index(CANVAS.encode()) + len(CANVAS)
    for position in range(start + 40, start + 80):
        data[position] ^= 0x55
    zip_path.write_bytes(bytes(data))
    reason = reasons(collect_lms_zip(zip_path, course, ASSIGNMENT))[CANVAS]
    assert reason.startswith("damaged or unsupported"), reason


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_same_member_name_twice(course):
    report = collect(course, [(CANVAS, notebook_bytes("first"), EARLY), (CANVAS, notebook_bytes("second"), LATE)])
    assert len(report.placed) == 1, report.placed
    assert len(report.unused) == 1, report.unused
    assert f"kept {CANVAS!r} (entry 2)" in report.unused[0].reason, report.unused[0].reason
    assert submitted(course, "4182").read_bytes() == notebook_bytes("second"), "the later entry should be placed"


def test_duplicate_higher_file_id_kept(course):
    older = f"smithjane_4182_907713_{NOTEBOOK}"
    newer = f"smithjane_4182_907950_{ASSIGNMENT}-1.ipynb"
    report = collect(course, [(newer, notebook_bytes("second"), EARLY), (older, notebook_bytes("first"), LATE)])
    assert list(placed(report)) == [newer], report.placed
    reason = reasons(report)[older]
    assert reason.startswith(f"second file for student 4182 and {NOTEBOOK}: kept {newer!r}"), reason
    assert "Canvas file id is higher (907950 > 907713)" in reason, reason
    assert submitted(course, "4182").read_bytes() == notebook_bytes("second"), "the newer upload should be placed"


def test_duplicate_later_time_kept(course):
    suffixed = f"Jane Smith_53120_assignsubmission_file_/{ASSIGNMENT} (1).ipynb"
    report = collect(course, [(MOODLE_FOLDER, notebook_bytes("first"), EARLY), (suffixed, notebook_bytes("second"), LATE)])
    assert list(placed(report)) == [suffixed], report.placed
    reason = reasons(report)[MOODLE_FOLDER]
    assert f"kept {suffixed!r}" in reason, reason
    assert "time in the zip is later (2026-12-01 11:30:00 > 2026-12-01 09:00:00)" in reason, reason


def test_duplicate_same_content(course):
    copy = f"Jane Smith_53120_assignsubmission_file_/{ASSIGNMENT}.IPYNB"
    report = collect(course, [(MOODLE_FOLDER, notebook_bytes()), (copy, notebook_bytes())])
    assert list(placed(report)) == [MOODLE_FOLDER], report.placed
    assert reasons(report)[copy].endswith(f"kept {MOODLE_FOLDER!r}, which has the same content"), report.unused


def test_duplicate_tie_first_kept(course):
    second = f"Jane Smith_53120_assignsubmission_file_/{ASSIGNMENT}(1).ipynb"
    report = collect(course, [(MOODLE_FOLDER, notebook_bytes("first")), (second, notebook_bytes("second"))])
    assert list(placed(report)) == [MOODLE_FOLDER], report.placed
    reason = reasons(report)[second]
    assert "comes first in the zip" in reason, reason
    assert "check both by hand" in reason, reason


def test_every_member_accounted(course):
    members = [
        (CANVAS, notebook_bytes()),
        (f"smithjane_4182_907714_{ASSIGNMENT} (1).ipynb", notebook_bytes("again")),
        (f"doejohn_LATE_4190_907800_{ASSIGNMENT}.IPYNB", notebook_bytes()),
        ("doejohn_4190_907801_notes.pdf", b"%PDF-1.7\n"),
        (f"leeann_4201_907900_{ASSIGNMENT}-Copy1.ipynb", notebook_bytes()),
        (f"../escape_4300_907901_{NOTEBOOK}", notebook_bytes()),
        (f"export/{MOODLE_FOLDER}", notebook_bytes()),
        ("export/readme.txt", b"exported by hand"),
        ("__MACOSX/._readme.txt", b"\x00"),
    ]
    zip_path = build_zip(course.parent / "export.zip", members)
    with zipfile.ZipFile(zip_path, "a") as archive:
        archive.writestr("export/empty-folder/", b"")
    report = collect_lms_zip(zip_path, course, ASSIGNMENT)
    accounted = [placement.member for placement in report.placed] + [item.member for item in report.unused]
    assert sorted(accounted) == sorted(name for name, _ in members), "each file member is placed or listed exactly once"
    assert {placement.student_id for placement in report.placed} == {"4182", "4190", "53120"}, report.placed
    assert all(item.reason for item in report.unused), report.unused


def test_rerun_keeps_unchanged_file(course):
    collect(course, [(CANVAS, notebook_bytes())])
    destination = submitted(course, "4182")
    os.utime(destination, ns=(1_000_000_000, 1_000_000_000))
    report = collect(course, [(CANVAS, notebook_bytes())])
    assert placed(report)[CANVAS].status == PlacementStatus.UNCHANGED, report.placed
    assert destination.stat().st_mtime_ns == 1_000_000_000, "an unchanged notebook must not be rewritten"
    assert report.changed_students == [], report.changed_students


def test_rerun_replaces_changed_file(course):
    collect(course, [(CANVAS, notebook_bytes("first"))])
    timestamp = submitted(course, "4182").parent / "timestamp.txt"
    timestamp.write_text("2026-12-01 09:00:00 UTC")
    report = collect(course, [(CANVAS, notebook_bytes("second"))])
    assert placed(report)[CANVAS].status == PlacementStatus.REPLACED, report.placed
    assert submitted(course, "4182").read_bytes() == notebook_bytes("second"), "the changed notebook should be written"
    assert timestamp.read_text() == "2026-12-01 09:00:00 UTC", "other files in the student's folder must stay"
    assert sorted(path.name for path in timestamp.parent.iterdir()) == [NOTEBOOK, "timestamp.txt"], "no temporary file left"
    assert report.changed_students == ["4182"], report.changed_students


def test_report_lines_list_reasons(course):
    report = collect(course, [(CANVAS, notebook_bytes()), ("doejohn_4190_907801_notes.pdf", b"%PDF")])
    lines = report.lines(list_placed=True)
    assert lines[0] == f"export.zip: 1 notebook matched for {ASSIGNMENT} (1 new, 0 replaced, 0 unchanged).", lines
    assert any(line.startswith(CANVAS) and "4182" in line and "new" in line for line in lines), lines
    assert "1 file in the zip was not used:" in lines, lines
    assert any(line.startswith("doejohn_4190_907801_notes.pdf  not a notebook (.pdf)") for line in lines), lines


def test_missing_release_raises(course):
    zip_path = build_zip(course.parent / "export.zip", [(CANVAS, notebook_bytes())])
    with pytest.raises(IntakeError, match="no release notebooks in .*03-time-and-claims.*generate_assignment"):
        collect_lms_zip(zip_path, course, "03-time-and-claims")


@pytest.mark.parametrize("assignment", ["", "..", "../notebooks", "a/b"])
def test_invalid_assignment_raises(course, assignment):
    zip_path = build_zip(course.parent / "export.zip", [(CANVAS, notebook_bytes())])
    with pytest.raises(IntakeError, match="invalid assignment name"):
        collect_lms_zip(zip_path, course, assignment)


def test_missing_zip_raises(course):
    with pytest.raises(IntakeError, match="zip file not found"):
        collect_lms_zip(course.parent / "missing.zip", course, ASSIGNMENT)


def test_not_a_zip_raises(course):
    fake = course.parent / "export.zip"
    fake.write_bytes(b"%PDF-1.7 not a zip")
    with pytest.raises(IntakeError, match="is not a valid zip file"):
        collect_lms_zip(fake, course, ASSIGNMENT)


def run_command(*arguments: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "autograder.lms_zip", *arguments]
    return subprocess.run(command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_command_prints_report(course):
    zip_path = build_zip(course.parent / "export.zip", [(CANVAS, notebook_bytes()), ("doejohn_4190_907801_notes.pdf", b"%PDF")])
    result = run_command(str(zip_path), ASSIGNMENT, "--course-root", str(course))
    assert result.returncode == 0, result.stderr
    assert "1 notebook matched" in result.stdout, result.stdout
    assert "doejohn_4190_907801_notes.pdf  not a notebook (.pdf)" in result.stdout, result.stdout
    assert submitted(course, "4182").exists(), "the command should place the notebook"


@pytest.mark.parametrize(
    ("name", "content", "expected"), [("missing.zip", None, "zip file not found"), ("fake.zip", b"PK?", "not a valid zip")]
)
def test_command_bad_zip_exits_1(course, name, content, expected):
    zip_path = course.parent / name
    if content is not None:
        zip_path.write_bytes(content)
    result = run_command(str(zip_path), ASSIGNMENT, "--course-root", str(course))
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr, result.stderr
