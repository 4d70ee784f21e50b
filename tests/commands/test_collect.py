"""collect: submissions from a folder or an LMS zip into submitted/<student>/<assignment>/, nothing lost silently."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from coursetools.commands.collect import collect, read_roster
from coursetools.course.coursedir import CourseDir

A = "01_numpy_basics"
NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


@pytest.fixture
def cd(tmp_path) -> CourseDir:
    cd = CourseDir.open(tmp_path / "course")
    release = cd.release_notebook(A)
    release.parent.mkdir(parents=True)
    release.write_bytes(NB)
    return cd


def _files(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def test_folder_of_notebooks_by_name(cd, tmp_path):
    source = _files(tmp_path / "in", {"alice.ipynb": NB + b" ", "bob_01_numpy_basics.ipynb": NB,
                                      "carol_my copy (1).ipynb": NB, "notes.txt": b"hi", "_draft.ipynb": NB})
    report = collect(A, source, cd)
    assert sorted(c.student for c in report.collected) == ["alice", "bob", "carol"]
    assert (cd.submission_dir("alice", A) / f"{A}.ipynb").read_bytes() == NB + b" "
    assert (cd.submission_dir("carol", A) / f"{A}.ipynb").is_file(), "a renamed file is the assignment's notebook"
    unmatched = dict(report.unmatched)
    assert set(unmatched) == {"notes.txt", "_draft.ipynb"}
    assert "not a notebook" in unmatched["notes.txt"]
    assert "notes.txt" in report.summary() and "_draft.ipynb" in report.summary()


def test_rerun_reports_unchanged_and_updated(cd, tmp_path):
    source = _files(tmp_path / "in", {"alice.ipynb": NB, "bob.ipynb": NB})
    collect(A, source, cd)
    (source / "bob.ipynb").write_bytes(NB + b"\n")
    report = collect(A, source, cd)
    assert {c.student: c.state for c in report.collected} == {"alice": "unchanged", "bob": "updated"}


def test_lms_zip_with_folders_nested_zip_and_junk(cd, tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("dave/01_numpy_basics.ipynb", NB)
    erin = io.BytesIO()
    with zipfile.ZipFile(erin, "w") as z:
        z.writestr("my work/Untitled.ipynb", NB + b"erin")
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("submissions/alice/01_numpy_basics.ipynb", NB)
        z.writestr("submissions/bob/Untitled.ipynb", NB)
        z.writestr("submissions/bob/data.csv", b"1,2")
        z.writestr("__MACOSX/submissions/alice/._01_numpy_basics.ipynb", b"junk")
        z.writestr("dave.zip", inner.getvalue())              # a zip per student: the zip names the student
        z.writestr("submissions/erin/upload.zip", erin.getvalue())  # a zip in the student's folder
        z.writestr("../escape/eve/01_numpy_basics.ipynb", NB)
    report = collect(A, archive, cd, layout="folder")
    assert sorted(c.student for c in report.collected) == ["alice", "bob", "dave", "erin"]
    assert (cd.submission_dir("erin", A) / f"{A}.ipynb").read_bytes() == NB + b"erin"
    assert [p for p, _ in report.unmatched] == ["submissions/bob/data.csv"]
    assert [p for p, _ in report.refused] == ["../escape/eve/01_numpy_basics.ipynb"]
    assert not (cd.root.parent / "escape").exists() and not (tmp_path / "escape").exists()


def test_canvas_layout_and_roster(cd, tmp_path):
    source = _files(tmp_path / "in", {
        "lovelaceada_1234_5678_01_numpy_basics.ipynb": NB,
        "turingalan_late_2222_3333_01_numpy_basics-1.ipynb": NB,
        "hopper_grace.ipynb": NB,
        "strangerx_9_9_01_numpy_basics.ipynb": NB,
    })
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email\nlovelaceada,Ada,Lovelace,\nturingalan,Alan,Turing,\n"
                      "noetheremmy,Emmy,Noether,\n")
    assert read_roster(roster) == {"lovelaceada", "turingalan", "noetheremmy"}
    report = collect(A, source, cd, layout="canvas", roster=roster)
    assert sorted(c.student for c in report.collected) == ["lovelaceada", "turingalan"]
    unmatched = dict(report.unmatched)
    assert "not in the roster" in unmatched["strangerx_9_9_01_numpy_basics.ipynb"]
    assert "does not match" in unmatched["hopper_grace.ipynb"]
    assert report.without_submission == ["noetheremmy"]


def test_regexp_with_timestamp_keeps_the_newest(cd, tmp_path):
    regexp = r"(?P<student_id>[a-z]+)_attempt_(?P<timestamp>[0-9\-]+ [0-9:]+)_(?P<file_id>\w+)\.ipynb"
    source = _files(tmp_path / "in", {
        "alice_attempt_2026-01-30 15:00:00_01_numpy_basics.ipynb": NB + b"old",
        "alice_attempt_2026-02-01 09:30:00_01_numpy_basics.ipynb": NB + b"new",
    })
    report = collect(A, source, cd, regexp=regexp)
    folder = cd.submission_dir("alice", A)
    assert (folder / f"{A}.ipynb").read_bytes() == NB + b"new"
    assert (folder / "timestamp.txt").read_text().startswith("2026-02-01 09:30:00")
    assert len(report.superseded) == 1 and "2026-01-30" in report.superseded[0][0]


def test_duplicates_without_timestamp_keep_the_latest_file(cd, tmp_path):
    source = _files(tmp_path / "in", {"a/alice_v1.ipynb": NB + b"1", "b/alice_v2.ipynb": NB + b"2"})
    os.utime(source / "a/alice_v1.ipynb", (1_000_000, 1_000_000))
    collect(A, source, cd)
    assert (cd.submission_dir("alice", A) / f"{A}.ipynb").read_bytes() == NB + b"2"


def test_dry_run_writes_nothing(cd, tmp_path):
    source = _files(tmp_path / "in", {"alice.ipynb": NB})
    report = collect(A, source, cd, dry_run=True)
    assert [c.state for c in report.collected] == ["new"]
    assert not cd.submitted.exists()


def test_bad_regexp_and_source(cd, tmp_path):
    with pytest.raises(ValueError, match="student_id"):
        collect(A, tmp_path, cd, regexp=r"(?P<name>.*)")
    with pytest.raises(FileNotFoundError):
        collect(A, tmp_path / "nothing.zip", cd)


def test_handin_times_and_where_they_come_from(cd, tmp_path):
    # A folder per student with nbgrader's timestamp.txt; one without; a time without offset in the course's zone.
    source = _files(tmp_path / "in", {"alice/01_numpy_basics.ipynb": NB, "alice/timestamp.txt": b"2026-10-06 08:00",
                                      "bob/01_numpy_basics.ipynb": NB,
                                      "cy/01_numpy_basics.ipynb": NB,
                                      "cy/timestamp.txt": b"2017-07-05 21:33:39.946011 UTC"})
    report = collect(A, source, cd, layout="folder", timezone="Europe/Paris")
    times = {c.student: c.handin for c in report.collected}
    assert times["alice"].source == "timestamp.txt" and times["alice"].time.utcoffset().total_seconds() == 7200
    assert times["bob"].time is None and times["cy"].source == "timestamp.txt"
    assert (cd.submission_dir("alice", A) / "timestamp.txt").read_text() == "2026-10-06 06:00:00+00:00"
    summary = report.summary()
    assert "alice: handed in 2026-10-06 06:00:00+00:00 (from the timestamp.txt)" in summary
    assert "1 from nowhere (taken as on time)" in summary and "2 from the timestamp.txt" in summary


def test_canvas_late_marks_and_zip_times(cd, tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(zipfile.ZipInfo("lovelaceada_1234_5678_01_numpy_basics.ipynb", (2026, 10, 5, 22, 0, 0)), NB)
        z.writestr(zipfile.ZipInfo("turingalan_late_2222_3333_01_numpy_basics.ipynb", (2026, 10, 7, 1, 30, 0)), NB)
    report = collect(A, archive, cd, layout="canvas")
    assert all(c.handin.time is None for c in report.collected), "Canvas's zip times are not hand-in times"
    assert "1 marked late by Canvas" in report.summary() and "turingalan" in report.summary()
    assert "no hand-in times" in report.summary()
    report = collect(A, archive, cd, layout="canvas", zip_times=True, timezone="UTC")
    times = {c.student: c.handin for c in report.collected}
    assert times["turingalan"].source == "zip entry time" and times["turingalan"].time.hour == 1
    assert (cd.submission_dir("turingalan", A) / "timestamp.txt").read_text() == "2026-10-07 01:30:00+00:00"


# --- one student's upload is that student's alone; nothing in it is followed, nothing unbounded is extracted ----
def _zip(members: dict[str, bytes], dates: dict[str, tuple] | None = None, links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(dates or {}).get(name, (2026, 1, 1, 12, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (0o120777 << 16)
            z.writestr(info, target)
    return buffer.getvalue()


def test_an_upload_cannot_land_in_another_students_folder(cd, tmp_path):
    archive = tmp_path / "canvas.zip"
    later = (2026, 3, 1, 0, 0, 0)
    alice_upload = _zip({"bob_3333_4444_01_numpy_basics.ipynb": NB + b"alice's",
                         "mallory_5_6_01_numpy_basics.ipynb": NB + b"ghost", "work/notes.ipynb": NB + b"notes"},
                        dates=dict.fromkeys(["bob_3333_4444_01_numpy_basics.ipynb",
                                             "mallory_5_6_01_numpy_basics.ipynb"], later))
    (tmp_path / "canvas.zip").write_bytes(_zip({
        "bob_3333_4444_01_numpy_basics.ipynb": NB + b"bob's own",
        "alice_1111_2222_my_homework.zip": alice_upload}))
    report = collect(A, archive, cd, layout="canvas")
    assert sorted(c.student for c in report.collected) == ["alice", "bob"], report.summary()
    assert (cd.submission_dir("bob", A) / f"{A}.ipynb").read_bytes() == NB + b"bob's own"
    assert not cd.submission_dir("mallory", A).exists(), "a name inside an upload never creates a student"
    alice = (cd.submission_dir("alice", A) / f"{A}.ipynb").read_bytes()
    assert alice.startswith(NB) and alice != NB + b"bob's own"
    assert len(report.superseded) == 2  # alice's three notebooks: the newest kept, the others reported


def test_zip_bombs_and_deep_nesting_are_refused_unread(cd, tmp_path):
    from coursetools.commands._uploads import UploadLimits

    bomb = _zip({"01_numpy_basics.ipynb": b"0" * (64 << 20)})
    assert len(bomb) < 200_000
    nested = _zip({"a.zip": _zip({"b.zip": _zip({"01_numpy_basics.ipynb": NB})})})
    archive = tmp_path / "download.zip"
    archive.write_bytes(_zip({"carol.zip": bomb, "dave.zip": nested, "erin.ipynb": NB, "frank.zip": b"not a zip",
                              "grace.zip": _zip({"01_numpy_basics.ipynb": os.urandom(3_000_000)})}))
    report = collect(A, archive, cd, limits=UploadLimits(max_notebook_bytes=2 << 20))
    refused = dict(report.refused)
    assert "zip bomb" in refused["carol.zip/01_numpy_basics.ipynb"]
    assert "nested more than 2 deep" in refused["dave.zip/a.zip/b.zip"]
    assert "could not be read" in refused["frank.zip"]
    assert "larger than 2 MiB" in refused["grace.zip/01_numpy_basics.ipynb"]
    assert [c.student for c in report.collected] == ["erin"]
    assert not cd.submission_dir("carol", A).exists()
    assert sum(f.stat().st_size for f in cd.submitted.rglob("*") if f.is_file()) < 1000


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_odd_members_are_reported_and_skipped(cd, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("henry.zip/", b"")                       # a folder named like a zip
        z.writestr("henry.zip/01_numpy_basics.ipynb", NB)   # a file in it: an ordinary member
        z.writestr("ivan", b"data")                         # x and x.zip
        z.writestr("ivan.zip", _zip({"01_numpy_basics.ipynb": NB + b"ivan"}))
        z.writestr("judy.ipynb", NB + b"1")
        z.writestr("judy.ipynb", NB + b"2")                 # the same name twice
    archive = tmp_path / "download.zip"
    archive.write_bytes(buffer.getvalue())
    with zipfile.ZipFile(archive, "a") as z:                 # a link member
        info = zipfile.ZipInfo("kate.ipynb")
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        z.writestr(info, "/etc/passwd")
    report = collect(A, archive, cd, layout="folder")
    refused = dict(report.refused)
    assert "folder named like a zip" in refused["henry.zip/"]
    assert "symbolic link" in refused["kate.ipynb"]
    assert "more than once" in refused["judy.ipynb"]
    assert {c.student for c in report.collected} >= {"henry.zip", "ivan"}
    assert (cd.submission_dir("ivan", A) / f"{A}.ipynb").read_bytes() == NB + b"ivan"
    assert not cd.submission_dir("kate", A).exists()


def test_case_only_collisions_are_reported(cd, tmp_path):
    source = _files(tmp_path / "in", {"Carol.ipynb": NB + b"C", "carol.ipynb": NB + b"c"})
    report = collect(A, source, cd)
    assert report.collisions == ["Carol and carol"]
    assert "differ only in case" in report.summary()
    assert sorted(c.student for c in report.collected) == ["Carol", "carol"]


def test_folders_are_walked_without_following_anything(cd, tmp_path):
    secret = tmp_path / "secret.ipynb"
    secret.write_bytes(NB + b"SOLUTIONS")
    source = _files(tmp_path / "in", {"alice/01_numpy_basics.ipynb": NB})
    (source / "bob").mkdir()
    (source / "bob" / "01_numpy_basics.ipynb").symlink_to(secret)
    (source / "carol").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "01_numpy_basics.ipynb").write_bytes(NB + b"SOLUTIONS")
    (source / "dave").mkdir()
    os.mkfifo(source / "dave" / "01_numpy_basics.ipynb")  # would block a reader forever
    report = collect(A, source, cd, layout="folder")
    assert [c.student for c in report.collected] == ["alice"]
    refused = dict(report.refused)
    assert "symbolic link" in refused["bob/01_numpy_basics.ipynb"] and "symbolic link" in refused["carol"]
    assert "named pipe" in refused["dave/01_numpy_basics.ipynb"]
    assert not any(b"SOLUTIONS" in p.read_bytes() for p in cd.submitted.rglob("*") if p.is_file())


def test_collect_never_writes_through_a_link(cd, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    cd.submitted.mkdir(parents=True)
    (cd.submitted / "alice").symlink_to(outside, target_is_directory=True)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep")
    cd.submission_dir("bob", A).mkdir(parents=True)
    (cd.submission_dir("bob", A) / f"{A}.ipynb").symlink_to(victim)
    source = _files(tmp_path / "in", {"alice.ipynb": NB, "bob.ipynb": NB})
    report = collect(A, source, cd)
    assert "symbolic link" in dict(report.refused)["alice.ipynb"]
    assert list(outside.iterdir()) == [] and victim.read_bytes() == b"keep"
    bob = cd.submission_dir("bob", A) / f"{A}.ipynb"
    assert not bob.is_symlink() and bob.read_bytes() == NB


def test_student_text_reaches_the_terminal_without_control_characters(cd, tmp_path):
    source = _files(tmp_path / "in", {"evil\x1b]0;owned\x07\x1b[2J.ipynb": NB, "x\rforged line.txt": b""})
    text = collect(A, source, cd).summary()
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text
