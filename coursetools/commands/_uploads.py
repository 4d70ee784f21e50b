"""What ``collect`` reads: the files of a folder or an LMS zip, and of the archives students uploaded, safely.

Nothing is extracted to disk and nothing is followed: a folder is walked without following links (a link, pipe or
device is reported, never read), a zip is read member by member in memory. Every entry comes out as an
:class:`Upload` (a file to consider) or a :class:`Refusal` (why it is skipped). Bounds (:class:`UploadLimits`):

* the nesting of archives: the LMS download (depth 0) holds students' uploads, which may hold one more archive;
* the size of a notebook, of an archive read into memory, and of everything decompressed together;
* the compression ratio of a member (a small zip that inflates to gigabytes is a zip bomb: refused unread);
* the number of entries.

An archive found inside the LMS download belongs to the student its own name (in the LMS download) says; its
members carry that owner, and no name inside it ever chooses a student: one student's upload cannot land in
another's folder, or create a student.
"""

from __future__ import annotations

import datetime
import errno
import functools
import io
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MiB = 1 << 20


@dataclass(frozen=True)
class UploadLimits:
    max_notebook_bytes: int = 100 * MiB     # one notebook
    max_archive_bytes: int = 512 * MiB      # one archive inside the download, read into memory
    max_total_bytes: int = 4096 * MiB       # everything decompressed from archives, together
    max_ratio: int = 200                    # decompressed size / compressed size of one member (above 1 MiB)
    max_nesting: int = 2                    # archives inside the download: a student's zip, and one inside it
    max_entries: int = 200_000              # entries looked at, in all


@dataclass
class Upload:
    """One file of the source, not read yet."""

    path: str                          # where it is: "submissions/alice/hw.ipynb", "alice_1_2_hw.zip/hw.ipynb"
    read: Callable[[], bytes]          # its content (bounded; raises ValueError beyond a limit)
    mtime: float                       # its modification time (zip: the member's date), for ordering only
    size: int
    owner: str | None = None           # the student whose archive it came from (None: named by the LMS download)
    owner_groups: dict | None = None   # that archive's match of the layout (its timestamp group among them)
    archive: str = ""                  # the path of that archive


@dataclass
class Refusal:
    path: str
    why: str


@dataclass
class Budget:
    """What may still be decompressed, and how many entries looked at (shared by all archives of one collect)."""

    limits: UploadLimits
    bytes_left: int = 0
    entries: int = 0

    def __post_init__(self):
        self.bytes_left = self.limits.max_total_bytes

    def take(self, size: int) -> None:
        if size > self.bytes_left:
            raise ValueError(f"more than {self.limits.max_total_bytes / MiB:g} MiB decompressed in all")
        self.bytes_left -= size

    def count(self) -> bool:
        self.entries += 1
        return self.entries <= self.limits.max_entries


def is_archive(name: str) -> bool:
    return name.lower().endswith(".zip")


def junk(path: str) -> bool:
    """Files an operating system adds to archives and folders (macOS resource forks, Finder's files)."""
    parts = PurePosixPath(path).parts
    return "__MACOSX" in parts or (bool(parts) and (parts[-1].startswith("._") or parts[-1] in (".DS_Store",
                                                                                                "Thumbs.db")))


# --- folders ---------------------------------------------------------------------------------------------------
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "symbolic link"), (stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket"),
                       (stat.S_ISCHR, "device"), (stat.S_ISBLK, "device")):
        if test(mode):
            return name
    return "" if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else "special file"


def read_regular_file(path: Path, limit: int) -> bytes:
    """The content of ``path`` if it is a regular file (not a link, pipe or device), at most ``limit`` bytes."""
    try:
        fd = os.open(path, _OPEN_FILE)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ValueError("a symbolic link: not followed") from None
        raise
    try:
        info = os.fstat(fd)
        what = _kind(info.st_mode)
        if what or not stat.S_ISREG(info.st_mode):
            raise ValueError(f"a {what or 'folder'}, not a file: not read")
        if info.st_size > limit:
            raise ValueError(f"larger than {limit / MiB:g} MiB: not read")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit - size + 1))
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise ValueError(f"larger than {limit / MiB:g} MiB: not read")
            chunks.append(chunk)
    finally:
        os.close(fd)


def folder_uploads(root: Path, limits: UploadLimits, budget: Budget) -> Iterator[Upload | Refusal]:
    """Every file of the folder ``root`` (links, pipes and devices refused, never followed or opened)."""
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            yield Refusal(_relative(folder, root), f"could not be listed ({error.strerror or error})")
            continue
        for entry in entries:
            path = Path(entry.path)
            relative = _relative(path, root)
            if not budget.count():
                yield Refusal(relative, f"more than {limits.max_entries:,} entries in the source: not looked at")
                return
            if junk(relative):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            what = _kind(info.st_mode)
            if what:
                yield Refusal(relative, f"a {what}: not followed, not collected")
            elif stat.S_ISDIR(info.st_mode):
                pending.append(path)
            else:
                limit = limits.max_archive_bytes if is_archive(path.name) else limits.max_notebook_bytes
                yield Upload(relative, functools.partial(read_regular_file, path, limit), info.st_mtime, info.st_size)


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path != root else "."


# --- zips ------------------------------------------------------------------------------------------------------
def _member_kind(info: zipfile.ZipInfo) -> str:
    mode = info.external_attr >> 16
    if stat.S_IFMT(mode):  # the zip records a Unix file type: it says what the member is
        return _kind(mode)
    return ""


def unsafe_name(name: str) -> bool:
    """A member path that would leave the folder it is extracted to (absolute, ``..``, a drive letter)."""
    path = name.replace("\\", "/")
    parts = PurePosixPath(path).parts
    return path.startswith("/") or ".." in parts or (len(path) > 1 and path[1] == ":") or "\0" in path


def zip_uploads(archive: zipfile.ZipFile, prefix: str, limits: UploadLimits, budget: Budget,
                owner: str | None = None, owner_groups: dict | None = None, archive_path: str = "",
                depth: int = 0) -> Iterator[Upload | Refusal]:
    """Every member of ``archive`` (paths prefixed with ``prefix``), refusing links, unsafe paths and bombs."""
    infos = archive.infolist()
    last = {}
    for index, info in enumerate(infos):
        last[info.filename] = index
    for index, info in enumerate(infos):
        name = info.filename
        path = f"{prefix}{name}"
        if not budget.count():
            yield Refusal(path, f"more than {limits.max_entries:,} entries in the source: not looked at")
            return
        if junk(name.replace("\\", "/").rstrip("/")):
            continue
        if info.is_dir():
            if is_archive(name.rstrip("/")):
                yield Refusal(path, "a folder named like a zip: it is no archive (its files are looked at as files)")
            continue
        if last[name] != index:
            yield Refusal(path, "the zip holds this name more than once: only the last one is looked at")
            continue
        if unsafe_name(name):
            yield Refusal(path, "unsafe path in the zip (outside its folder): not collected")
            continue
        what = _member_kind(info)
        if what:
            yield Refusal(path, f"a {what} inside the zip: not followed, not collected")
            continue
        if info.flag_bits & 0x1:
            yield Refusal(path, "encrypted: not read")
            continue
        if info.file_size > limits.max_ratio * max(info.compress_size, 1) and info.file_size > MiB:
            yield Refusal(path, f"compression ratio {info.file_size // max(info.compress_size, 1):,}:1 "
                                f"({info.file_size / MiB:,.0f} MiB from {info.compress_size:,} bytes): a zip bomb? "
                                "not extracted")
            continue
        try:
            mtime = datetime.datetime(*info.date_time).timestamp()
        except (ValueError, OverflowError):
            mtime = 0.0
        yield Upload(path.replace("\\", "/"), _member_reader(archive, info, limits, budget), mtime, info.file_size,
                     owner, owner_groups, archive_path)


def _member_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: UploadLimits,
                   budget: Budget) -> Callable[[], bytes]:
    def read() -> bytes:
        limit = limits.max_archive_bytes if is_archive(info.filename) else limits.max_notebook_bytes
        if info.file_size > limit:
            raise ValueError(f"larger than {limit / MiB:g} MiB: not extracted")
        budget.take(info.file_size)
        with archive.open(info) as member:
            data = member.read(limit + 1)  # at most the declared size (zipfile stops there), bounded anyway
        if len(data) > limit:
            raise ValueError(f"larger than {limit / MiB:g} MiB: not extracted")
        return data
    return read


def open_zip(data: bytes) -> zipfile.ZipFile:
    """An archive held in memory (raises ``zipfile.BadZipFile`` for anything else)."""
    return zipfile.ZipFile(io.BytesIO(data))
