"""A submission folder, read once by the client: regular files only, in time and memory linear in its size, bounded.

The grader reads a student's folder outside any sandbox, with the grader's rights. So it never follows a symbolic
link (a link to the source notebook, the gradebook or a root-only file would be read as the student's work), never
opens a named pipe, socket or device (a pipe blocks the reader forever, a device can be endless), and skips files
with several names (a hard link is a second name of a file elsewhere). Such entries are listed, never read: the
submission is flagged for them, and refused when the notebook itself is one.

The walk is one ``os.scandir`` per folder, each name matched once against nbgrader's ignore globs (nbgrader's own
``find_all_files`` globs the whole folder again for every file: quadratic, 24 s for 4,000 files); folders are
opened relative to their parent without following links, files with ``O_NOFOLLOW | O_NONBLOCK`` and checked with
``fstat`` before a byte is read, so nothing can be swapped in between. :class:`FolderLimits` bounds the number of
entries, the depth and the bytes read: a folder beyond them is refused with the reason, before anything is read
past the limit, so one folder can never hold up the others.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

MiB = 1 << 20


@dataclass(frozen=True)
class FolderLimits:
    """How much of a submission folder the grader reads (more: the submission is refused, with the reason)."""

    max_entries: int = 1000            # files, folders and other entries, ignored ones included
    max_bytes: int = 100 * MiB         # all files together
    max_depth: int = 16                # folders inside folders


@dataclass
class FolderContents:
    """What a submission folder holds, as the grader takes it."""

    files: dict[str, bytes] = field(default_factory=dict)      # regular files, by relative path ("/"-separated)
    specials: dict[str, str] = field(default_factory=dict)     # relative path -> what it is (never read)
    problem: str = ""                                         # why the whole folder is refused ("": it is not)
    exists: bool = True                                       # False: there is no such folder

    def special_note(self) -> str:
        """One line on the entries that were not read ("" when there are none)."""
        if not self.specials:
            return ""
        shown = ", ".join(f"{path} ({kind})" for path, kind in sorted(self.specials.items())[:10])
        more = f" and {len(self.specials) - 10} more" if len(self.specials) > 10 else ""
        return (f"{len(self.specials)} entr{'y' if len(self.specials) == 1 else 'ies'} of the submission folder "
                f"{'is' if len(self.specials) == 1 else 'are'} not regular files and {'was' if len(self.specials) == 1 else 'were'}"
                f" neither read nor graded: {shown}{more}")


class _Refused(Exception):
    """The folder is beyond a limit or not a folder: the message says why."""


def kind_of(mode: int, nlink: int = 1) -> str:
    """What a file system entry is, in words ("" for a regular file with one name, or a folder)."""
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISREG(mode):
        return "" if nlink <= 1 else f"hard link ({nlink} names for one file)"
    if stat.S_ISDIR(mode):
        return ""
    return "special file"


def ignored(name: str, globs: list[str]) -> bool:
    """Whether nbgrader's ignore globs (``CourseDirectory.ignore``) leave ``name`` out, as its glob matching does.

    As with ``glob``, a pattern that does not start with a dot does not match a name that does.
    """
    for pattern in globs:
        if name.startswith(".") and not pattern.startswith("."):
            continue
        if fnmatch.fnmatchcase(name, pattern):
            return True
    return False


_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_OPEN_DIR = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def _check_folder(path: Path, stop: Path) -> str:
    """Why ``path`` (inside ``stop``) cannot be read as a real folder: a link, a file... ("" when it can)."""
    parts = path.relative_to(stop).parts
    current = stop
    for part in parts:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return "missing"
        what = kind_of(mode)
        if what:
            return f"{current.relative_to(stop.parent).as_posix()} is a {what}, not a folder: nothing in it was read"
        if not stat.S_ISDIR(mode):
            return f"{current.relative_to(stop.parent).as_posix()} is not a folder"
    return ""


def read_folder(folder: Path, ignore: list[str], limits: FolderLimits | None = None,
                base: Path | None = None) -> FolderContents:
    """The regular files of ``folder`` (nbgrader's ``ignore`` globs applied), read once, and what else it holds.

    ``base``: a folder above ``folder`` that is trusted (``submitted/``); every folder between them must be a real
    folder, not a link. Never raises for what a student put there: an unreadable folder is ``problem``.
    """
    limits = limits or FolderLimits()
    folder = Path(folder)
    base = Path(base) if base is not None else folder.parent
    contents = FolderContents()
    why = _check_folder(folder, base)
    if why == "missing":
        contents.exists = False
        return contents
    if why:
        contents.problem = why
        return contents
    try:
        _walk(folder, ignore, limits, contents)
    except _Refused as refused:
        contents.problem = str(refused)
        contents.files.clear()
    except OSError as error:
        contents.problem = f"the submission folder could not be read ({error.strerror or error})"
        contents.files.clear()
    return contents


def _walk(folder: Path, ignore: list[str], limits: FolderLimits, contents: FolderContents) -> None:
    entries = 0
    budget = limits.max_bytes
    pending: list[tuple[str, ...]] = [()]
    while pending:
        parts = pending.pop()
        fd = _open_folder(folder, parts)
        try:
            names = []
            with os.scandir(fd) as listing:
                for entry in listing:
                    entries += 1
                    if entries > limits.max_entries:
                        raise _Refused(f"the submission folder holds more than {limits.max_entries:,} files and "
                                       f"folders: it was not graded (hand in the notebook, not a whole folder tree)")
                    names.append(entry.name)
            for name in sorted(names):
                relative = "/".join((*parts, name))
                if ignored(name, ignore):
                    continue
                try:
                    info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                what = kind_of(info.st_mode, info.st_nlink)
                if stat.S_ISDIR(info.st_mode):
                    if len(parts) + 1 > limits.max_depth:
                        raise _Refused(f"the submission folder nests folders more than {limits.max_depth} deep: "
                                       "it was not graded")
                    pending.append((*parts, name))
                elif what:
                    contents.specials[relative] = what
                else:
                    data, kind = _read_file(fd, name, budget, limits)
                    if kind:
                        contents.specials[relative] = kind
                        continue
                    budget -= len(data)
                    contents.files[relative] = data
        finally:
            os.close(fd)


def _open_folder(folder: Path, parts: tuple[str, ...]) -> int:
    """A descriptor of ``folder/parts``, each step opened without following a link."""
    fd = os.open(folder, _OPEN_DIR)
    try:
        for part in parts:
            inner = os.open(part, _OPEN_DIR, dir_fd=fd)
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_file(dir_fd: int, name: str, budget: int, limits: FolderLimits) -> tuple[bytes, str]:
    """(content, "") for a regular file, or (b"", what it turned out to be). Never blocks: nothing but a regular
    file is read, and only up to what is left of the folder's budget."""
    try:
        fd = os.open(name, _OPEN_FILE, dir_fd=dir_fd)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return b"", "symbolic link"
        if error.errno in (errno.ENXIO, errno.EOPNOTSUPP):
            return b"", "socket"
        raise
    try:
        info = os.fstat(fd)
        what = kind_of(info.st_mode, info.st_nlink)
        if what:
            return b"", what
        if info.st_size > budget:
            raise _Refused(f"the submission folder holds more than {limits.max_bytes / MiB:g} MiB of files: "
                           "it was not graded")
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, budget - size + 1))
            if not chunk:
                break
            size += len(chunk)
            if size > budget:
                raise _Refused(f"the submission folder holds more than {limits.max_bytes / MiB:g} MiB of files: "
                               "it was not graded")
            chunks.append(chunk)
        return b"".join(chunks), ""
    finally:
        os.close(fd)


def special_entries_digest(contents: FolderContents) -> list[str]:
    """The entries that were not read, as lines a content hash can include (a change of them regrades)."""
    return [f"{path}\0{kind}" for path, kind in sorted(contents.specials.items())]
