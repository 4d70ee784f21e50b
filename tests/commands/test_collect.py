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
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("submissions/alice/01_numpy_basics.ipynb", NB)
        z.writestr("submissions/bob/Untitled.ipynb", NB)
        z.writestr("submissions/bob/data.csv", b"1,2")
        z.writestr("__MACOSX/submissions/alice/._01_numpy_basics.ipynb", b"junk")
        z.writestr("late/dave.zip", inner.getvalue())
        z.writestr("../escape/eve/01_numpy_basics.ipynb", NB)
    report = collect(A, archive, cd, layout="folder")
    assert sorted(c.student for c in report.collected) == ["alice", "bob", "dave"]
    assert [p for p, _ in report.unmatched] == ["../escape/eve/01_numpy_basics.ipynb", "submissions/bob/data.csv"]
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
