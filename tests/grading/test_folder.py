"""Submission folders as the client reads them: regular files only, nothing followed or opened, bounded."""

from __future__ import annotations

import os
import stat

import pytest

from coursetools.grading.folder import FolderLimits, ignored, read_folder

IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]


@pytest.fixture
def submitted(tmp_path):
    folder = tmp_path / "submitted" / "alice" / "hw"
    folder.mkdir(parents=True)
    (folder / "hw.ipynb").write_bytes(b"{}")
    return folder


def test_regular_files_are_read_and_ignore_globs_apply(submitted):
    (submitted / "data").mkdir()
    (submitted / "data" / "x.csv").write_bytes(b"1,2")
    (submitted / "__pycache__").mkdir()
    (submitted / "__pycache__" / "m.pyc").write_bytes(b"")
    (submitted / ".ipynb_checkpoints").mkdir()
    (submitted / "a.pyc").write_bytes(b"")
    contents = read_folder(submitted, IGNORE, base=submitted.parents[1])
    assert contents.files == {"hw.ipynb": b"{}", "data/x.csv": b"1,2"}
    assert not contents.specials and not contents.problem and contents.exists
    assert ignored(".hidden.pyc", ["*.pyc"]) is False and ignored("x.pyc", ["*.pyc"])


def test_links_pipes_devices_and_hard_links_are_never_read(submitted, tmp_path):
    secret = tmp_path / "gradebook.db"
    secret.write_bytes(b"SECRET")
    os.chmod(secret, 0o600)
    (submitted / "data.csv").symlink_to(secret)
    (submitted / "dir").symlink_to(tmp_path, target_is_directory=True)
    (submitted / "dangling").symlink_to(tmp_path / "nothing")
    os.mkfifo(submitted / "pipe")  # opening it would block the grader forever
    os.link(secret, submitted / "hard")
    made_device = False
    if os.geteuid() == 0:
        try:
            os.mknod(submitted / "zero", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero: endless
            made_device = True
        except OSError:
            pass
    contents = read_folder(submitted, IGNORE, base=submitted.parents[1])
    assert contents.files == {"hw.ipynb": b"{}"}
    assert contents.specials["data.csv"] == "symbolic link" and contents.specials["dir"] == "symbolic link"
    assert contents.specials["dangling"] == "symbolic link" and contents.specials["pipe"] == "named pipe"
    assert contents.specials["hard"].startswith("hard link")
    if made_device:
        assert contents.specials["zero"] == "character device"
    assert "not regular files" in contents.special_note() and "data.csv (symbolic link)" in contents.special_note()


def test_a_linked_folder_is_refused_and_a_missing_one_is_missing(tmp_path):
    base = tmp_path / "submitted"
    (base / "honest" / "hw").mkdir(parents=True)
    (base / "honest" / "hw" / "hw.ipynb").write_bytes(b"{}")
    (base / "copycat").symlink_to(base / "honest", target_is_directory=True)
    (base / "mallory").mkdir()
    (base / "mallory" / "hw").symlink_to(base / "honest" / "hw", target_is_directory=True)
    for student in ("copycat", "mallory"):
        contents = read_folder(base / student / "hw", IGNORE, base=base)
        assert "symbolic link" in contents.problem and not contents.files
    assert not read_folder(base / "nobody" / "hw", IGNORE, base=base).exists


def test_limits_refuse_the_folder_with_a_reason(submitted):
    many = submitted / "many"
    many.mkdir()
    for i in range(50):
        (many / f"{i}.txt").write_bytes(b"x")
    contents = read_folder(submitted, IGNORE, FolderLimits(max_entries=20), base=submitted.parents[1])
    assert "more than 20 files and folders" in contents.problem and not contents.files
    (submitted / "big.bin").write_bytes(b"0" * 5000)
    contents = read_folder(submitted, IGNORE, FolderLimits(max_bytes=4000), base=submitted.parents[1])
    assert "MiB of files" in contents.problem
    deep = submitted
    for i in range(6):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    contents = read_folder(submitted, IGNORE, FolderLimits(max_depth=3), base=submitted.parents[1])
    assert "nests folders more than 3 deep" in contents.problem
