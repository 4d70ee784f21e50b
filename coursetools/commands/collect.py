"""``collect ASSIGNMENT SOURCE``: bring submissions into ``submitted/<student>/<assignment>/`` from a folder or an LMS zip.

It follows nbgrader's ``zip_collect`` conventions: a regular expression with the named groups ``student_id``
(required), ``file_id`` and ``timestamp`` (optional) is matched (``re.match``) against each file's path inside the
folder or zip; only ``.ipynb`` files are collected; a timestamp becomes ``timestamp.txt`` (nbgrader's late-penalty
input); of several files for the same student and notebook the newest is kept. Every file that could not be
matched to a student (and why) is reported, so nothing disappears silently.

Layouts (``--layout``), or ``--regexp`` for anything else (for instance, Moodle's "Full Name_12345_assignsubmission_
file_/notebook.ipynb": ``--regexp '(?P<student_id>[^/]+?)_\\d+_assignsubmission_file_/(?P<file_id>[^/]+)\\.ipynb'``
with student ids that are the students' full names):

* ``name``: ``<student_id>.ipynb`` or ``<student_id>_<anything>.ipynb`` (the id stops at the first underscore);
* ``folder``: ``<student_id>/<notebook>.ipynb``, one folder per student;
* ``canvas``: Canvas' "Download submissions": ``<login>[_late]_<user id>_<submission id>_<file name>.ipynb``.

As the course has one notebook per assignment, a notebook whose ``file_id`` is no notebook of the assignment (a
student who renamed the file) is taken as the assignment's notebook.

**One student's upload is only ever that student's.** The names of the LMS download (the folder or zip given as
SOURCE) say who handed in what. A zip found in it is a student's upload: it belongs to the student its own name
says (matched like a notebook in its place: ``alice_1_2_hw.zip`` as ``alice_1_2_hw.ipynb``, or for the folder layout
``dave.zip`` as ``dave/<notebook>.ipynb``), and the notebooks inside it are that student's, whatever they are
called: a name inside an upload never chooses a student. Nothing is extracted to disk; nothing is followed
(a link, pipe or device is reported and skipped, in folders and in zips); archives nest at most two deep;
what is decompressed is bounded in size and in compression ratio (zip bombs are refused unread); odd members
(folders named like zips, duplicate names, encrypted or unreadable members) are reported and skipped; students
whose ids differ only in case are reported. Nothing one student uploads stops the collection of the others.
``collect`` never writes through a link: the folders it writes are real folders, and its files replace what was
there.
"""

from __future__ import annotations

import csv
import datetime
import os
import re
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..course import settings
from ..course.coursedir import CourseDir
from ..course.deadlines import UTC, to_naive_utc, zone
from ..course.handin import TIMESTAMP_FILE, HandIn, handin_time
from ..course.text import terminal_safe
from ._options import course_dir
from ._uploads import (
    Budget,
    Refusal,
    Upload,
    UploadLimits,
    folder_uploads,
    is_archive,
    open_zip,
    read_regular_file,
    zip_uploads,
)

NAME = "collect"
SUMMARY = "submissions from a folder or an LMS zip into submitted/"
DESCRIPTION = ("Copy the notebooks of SOURCE (a folder or a zip downloaded from the LMS) into "
               "submitted/<student>/ASSIGNMENT/, following nbgrader's zip_collect conventions, and report every file "
               "that could not be matched to a student, or was skipped as unsafe.")

LAYOUTS = {
    "name": r"^(?:.*/)?(?P<student_id>[^/_.][^/_]*?)(?:_(?P<file_id>[^/]*))?\.ipynb$",
    "folder": r"^(?:.*/)?(?P<student_id>[^/.][^/]*)/(?P<file_id>[^/]+)\.ipynb$",
    "canvas": r"^(?:.*/)?(?P<student_id>[^/_]+)(?:_late|_LATE)?_\d+_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$",
}
VALID_ID = re.compile(r"^[A-Za-z0-9@][A-Za-z0-9@._+ -]*$")
#: What reading a student's archive can raise: the archive is reported, the others are collected.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, ValueError, RuntimeError, NotImplementedError, EOFError, OSError,
               KeyError, UnicodeDecodeError)


@dataclass
class Collected:
    student: str
    source: str        # path inside the folder or zip
    destination: Path
    state: str         # new, updated, unchanged
    handin: HandIn = HandIn(None)  # when it was handed in, and where that was read


@dataclass
class CollectReport:
    assignment: str
    collected: list[Collected] = field(default_factory=list)
    unmatched: list[tuple[str, str]] = field(default_factory=list)    # (path, why)
    superseded: list[tuple[str, str]] = field(default_factory=list)   # (path, kept instead)
    not_in_roster: list[str] = field(default_factory=list)
    without_submission: list[str] = field(default_factory=list)       # roster students with no file
    refused: list[tuple[str, str]] = field(default_factory=list)      # (path, why): unsafe or unreadable, skipped
    collisions: list[str] = field(default_factory=list)               # student ids that differ only in case

    def summary(self) -> str:
        """The report for the terminal: every path and id is shown without control characters."""
        safe = lambda text: terminal_safe(text, one_line=True)  # noqa: E731
        states = {s: sum(1 for c in self.collected if c.state == s) for s in ("new", "updated", "unchanged")}
        lines = [f"{self.assignment}: collected {len(self.collected)} submissions "
                 f"({states['new']} new, {states['updated']} updated, {states['unchanged']} unchanged)"]
        if self.refused:
            lines.append(f"{len(self.refused)} entries skipped as unsafe or unreadable:")
            lines += [f"  {safe(path)}: {safe(why)}" for path, why in self.refused]
        if self.unmatched:
            lines.append(f"{len(self.unmatched)} files not matched to a student:")
            lines += [f"  {safe(path)}: {safe(why)}" for path, why in self.unmatched]
        if self.superseded:
            lines.append(f"{len(self.superseded)} older duplicates ignored:")
            lines += [f"  {safe(path)} (kept {safe(kept)})" for path, kept in self.superseded]
        lines += [safe(line) for line in self.handin_lines()]
        if self.collisions:
            lines.append(f"{len(self.collisions)} student ids differ only in case (check they are different people):")
            lines += [f"  {safe(line)}" for line in self.collisions]
        if self.without_submission:
            lines.append(f"{len(self.without_submission)} students of the roster without a file: "
                         + ", ".join(safe(s) for s in self.without_submission))
        return "\n".join(lines)

    def handin_lines(self) -> list[str]:
        """Where the hand-in times came from, and the students the LMS marks late."""
        sources: dict[str, int] = {}
        for c in self.collected:
            key = c.handin.source or "nowhere (taken as on time)"
            sources[key] = sources.get(key, 0) + 1
        lines = ["hand-in times: " + ", ".join(f"{n} from the {s}" if s[0] != "n" else f"{n} from {s}"
                                             for s, n in sorted(sources.items()))] if self.collected else []
        if len(self.collected) <= 30:
            lines += [f"  {c.student}: {c.handin.describe()}" for c in self.collected if c.handin.time is not None]
        marked = sorted(c.student for c in self.collected if c.handin.marked_late)
        if marked:
            lines.append(f"{len(marked)} marked late by Canvas (\"_late\" in the file name): {', '.join(marked)}")
            if any(c.handin.time is None for c in self.collected if c.handin.marked_late):
                lines.append("  Canvas's download has no hand-in times: put each one in submitted/<student>/"
                             f"{self.assignment}/timestamp.txt, or use --regexp with a (?P<timestamp>...) group")
        return lines


def read_roster(path: Path) -> set[str]:
    """Student ids from a CSV with an ``id`` column (nbgrader's ``db student import`` format) or one id a line."""
    text = path.read_text(encoding="utf-8-sig")
    first = text.splitlines()[0] if text.strip() else ""
    if "id" in [c.strip() for c in first.split(",")]:
        return {row["id"].strip() for row in csv.DictReader(text.splitlines()) if row.get("id", "").strip()}
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


@dataclass
class _Candidate:
    student: str
    file_id: str
    relative: str
    timestamp: datetime.datetime | None   # naive UTC, as nbgrader reads timestamp.txt
    mtime: float
    data_path: Path
    handin: HandIn = HandIn(None)

    @property
    def order(self) -> tuple:
        return (self.timestamp or datetime.datetime.min, self.mtime)


class _Collector:
    """One run of ``collect``: what the source holds, matched to students, the newest file of each kept."""

    def __init__(self, assignment: str, cd: CourseDir, pattern: re.Pattern, notebooks: list[str],
                 allowed: set[str] | None, scratch: Path, limits: UploadLimits, tz: datetime.tzinfo = UTC,
                 zip_times: bool = False):
        self.assignment, self.cd, self.pattern, self.notebooks = assignment, cd, pattern, notebooks
        self.tz, self.zip_times = tz, zip_times
        self.source_dir: Path | None = None  # a folder source (where a student's timestamp.txt may be)
        self.allowed, self.scratch, self.limits = allowed, scratch, limits
        self.budget = Budget(limits)
        self.report = CollectReport(assignment)
        self.chosen: dict[tuple[str, str], _Candidate] = {}

    # -- whose file ----------------------------------------------------------------------------------------------
    def student_of(self, relative: str, match) -> str | None:
        """The student a match names, if it is a usable id of the roster (else reported, None)."""
        student = (match.group("student_id") or "").strip() if match else ""
        if not student:
            return None
        if not VALID_ID.match(student):
            self.report.unmatched.append((relative, f"{student!r} is not a usable student id"))
            return None
        if self.allowed is not None and student not in self.allowed:
            self.report.unmatched.append((relative, f"student {student!r} is not in the roster"))
            if student not in self.report.not_in_roster:
                self.report.not_in_roster.append(student)
            return None
        return student

    def owner_of(self, path: str) -> tuple[str | None, dict]:
        """The student who uploaded the archive at ``path`` of the LMS download, from that name alone."""
        stem = path[: -len(".zip")]
        for stand_in in (f"{stem}.ipynb", f"{stem}/{self.notebooks[0]}.ipynb"):
            match = self.pattern.match(stand_in)
            if match and match.group("student_id"):
                student = self.student_of(path, match)
                return student, (match.groupdict() if student else {})
        self.report.unmatched.append((path, "the archive's name does not match the layout (see --layout/--regexp): "
                                            "its files were not collected"))
        return None, {}

    # -- the source ---------------------------------------------------------------------------------------------
    def run(self, source: Path) -> None:
        if source.is_file() and zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as download:
                self.walk(zip_uploads(download, "", self.limits, self.budget))
        elif source.is_dir():
            self.source_dir = source
            self.walk(folder_uploads(source, self.limits, self.budget))
        else:
            raise FileNotFoundError(f"{source} is neither a folder nor a zip file")

    def walk(self, items, depth: int = 0) -> None:
        for item in items:
            if isinstance(item, Refusal):
                self.report.refused.append((item.path, item.why))
                continue
            try:
                if is_archive(item.path):
                    self.archive(item, depth)
                else:
                    self.consider(item)
            except READ_ERRORS as error:
                self.report.refused.append((item.path, f"could not be read ({type(error).__name__}: "
                                                       f"{str(error)[:200]})"))

    def archive(self, item: Upload, depth: int) -> None:
        """An archive in the source: a student's upload (whose owner its name says), or one inside it."""
        if depth + 1 > self.limits.max_nesting:
            self.report.refused.append((item.path, f"an archive nested more than {self.limits.max_nesting} deep: "
                                                   "not opened"))
            return
        owner, groups = (item.owner, item.owner_groups or {}) if item.owner else self.owner_of(item.path)
        if owner is None:
            return
        inner = open_zip(item.read())
        with inner:
            self.walk(zip_uploads(inner, f"{item.path}/", self.limits, self.budget, owner, groups,
                                  item.archive or item.path, depth + 1), depth + 1)

    def consider(self, item: Upload) -> None:
        """One file: matched to a student and a notebook, kept if it is the newest of that student's."""
        relative = item.path
        if PurePosixPath(relative).suffix.lower() != ".ipynb":
            self.report.unmatched.append((relative, "not a notebook (.ipynb)"))
            return
        if item.owner is not None:
            student, groups = item.owner, dict(item.owner_groups or {})
            groups["file_id"] = PurePosixPath(relative).stem
        else:
            match = self.pattern.match(relative)
            if not match or not match.group("student_id"):
                self.report.unmatched.append((relative, "the file name does not match the layout (see "
                                                        "--layout/--regexp)"))
                return
            named = self.student_of(relative, match)
            if named is None:
                return
            student, groups = named, match.groupdict()
        file_id = Path(groups.get("file_id") or "").stem
        if file_id not in self.notebooks:
            if len(self.notebooks) != 1:
                self.report.unmatched.append((relative, f"{file_id or 'the file'} is none of the notebooks "
                                                        f"{self.notebooks}"))
                return
            file_id = self.notebooks[0]
        try:
            handin = self.handin(item, relative, groups, student)
        except ValueError as error:
            self.report.unmatched.append((relative, str(error)))
            return
        timestamp = to_naive_utc(handin.time)
        key = (student, file_id)
        kept = self.chosen.get(key)
        order = (timestamp or datetime.datetime.min, item.mtime)
        if kept is not None and order < kept.order:
            self.report.superseded.append((relative, kept.relative))
            return
        data_path = self.scratch / f"{len(self.chosen)}-{os.urandom(4).hex()}"
        data_path.write_bytes(item.read())
        if kept is not None:
            self.report.superseded.append((kept.relative, relative))
            kept.data_path.unlink(missing_ok=True)
        self.chosen[key] = _Candidate(student, file_id, relative, timestamp, item.mtime, data_path, handin)

    def handin(self, item: Upload, relative: str, groups: dict, student: str) -> HandIn:
        """When this file was handed in, and where that was read (:func:`coursetools.course.handin.handin_time`)."""
        stamp = None
        parent = PurePosixPath(relative).parent
        if self.source_dir is not None and item.owner is None and parent.name == student:
            try:  # the timestamp.txt of the student's own folder (nbgrader's submitted layout), a regular file only
                stamp = read_regular_file(self.source_dir / parent / TIMESTAMP_FILE, 4096).decode("utf-8", "replace")
            except (OSError, ValueError):
                stamp = None
        archived = datetime.datetime.fromtimestamp(item.mtime) if (item.archive or self.source_dir is None) else None
        return handin_time(relative, groups, tz=self.tz, stamp=stamp, archived=archived, use_archive=self.zip_times)

    # -- writing ------------------------------------------------------------------------------------------------
    def collisions(self) -> set[str]:
        """Report ids that differ only in case (here, or with a folder already in submitted/); the ids whose folder
        is another's on this file system (a case-insensitive one), which are not written."""
        spellings: dict[str, set[str]] = {}
        for student, _ in self.chosen:
            spellings.setdefault(student.casefold(), set()).add(student)
        existing = []
        try:
            existing = [e.name for e in os.scandir(self.cd.submitted) if e.is_dir(follow_symlinks=False)]
        except OSError:
            pass
        for name in existing:
            if name.casefold() in spellings:
                spellings[name.casefold()].add(name)
        blocked = set()
        for names in spellings.values():
            if len(names) < 2:
                continue
            ordered = sorted(names)
            self.report.collisions.append(" and ".join(ordered))
            first = self.cd.submitted / ordered[0]
            for other in ordered[1:]:
                try:
                    if first.exists() and (self.cd.submitted / other).exists() and \
                            os.path.samefile(first, self.cd.submitted / other):
                        blocked.add(other)
                except OSError:
                    pass
        return blocked

    def write_all(self, dry_run: bool) -> None:
        blocked = self.collisions()
        for (student, file_id), candidate in sorted(self.chosen.items()):
            if student in blocked:
                self.report.refused.append((candidate.relative, f"submitted/{student} is the folder of another "
                                                                "student on this file system (ids differ only in "
                                                                "case): not written"))
                continue
            folder = self.cd.submission_dir(student, self.assignment)
            why = _not_a_folder(self.cd.submitted, folder)
            if why:
                self.report.refused.append((candidate.relative, f"{why}: not written"))
                continue
            destination = folder / f"{file_id}.ipynb"
            data = candidate.data_path.read_bytes()
            state = _state(destination, data)
            self.report.collected.append(Collected(student, candidate.relative, destination, state, candidate.handin))
            if dry_run or state == "unchanged" and not candidate.timestamp:
                continue
            _make_folders(self.cd.submitted, folder)
            _replace(destination, data)
            stamp = folder / "timestamp.txt"
            if candidate.timestamp is not None:
                _replace(stamp, candidate.timestamp.replace(tzinfo=UTC).isoformat(" ").encode())
            elif state == "updated" and os.path.lexists(stamp):
                os.unlink(stamp)  # the old time stamp belongs to the old file (a link is removed, not followed)


def _not_a_folder(base: Path, folder: Path) -> str:
    """Why a folder on the way from ``base`` to ``folder`` cannot be written into ("" when all are real folders)."""
    current = base
    for part in (None, *folder.relative_to(base).parts):
        if part is not None:
            current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return ""
        if stat.S_ISLNK(mode):
            return f"{current} is a symbolic link"
        if not stat.S_ISDIR(mode):
            return f"{current} is not a folder"
    return ""


def _make_folders(base: Path, folder: Path) -> None:
    current = base.parent
    for part in (base.name, *folder.relative_to(base).parts):
        current = current / part
        try:
            os.mkdir(current)
        except FileExistsError:
            pass


def _state(destination: Path, data: bytes) -> str:
    try:
        info = os.lstat(destination)
    except FileNotFoundError:
        return "new"
    if not stat.S_ISREG(info.st_mode):
        return "updated"  # a link or anything else in its place is replaced, never read
    try:
        return "unchanged" if read_regular_file(destination, len(data)) == data else "updated"
    except (ValueError, OSError):
        return "updated"


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` anew (a file, even where a link was: the link is replaced, never written through)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".collect-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def collect(assignment: str, source: Path, cd: CourseDir | None = None, *, layout: str = "name",
            regexp: str | None = None, roster: Path | None = None, dry_run: bool = False,
            limits: UploadLimits | None = None, zip_times: bool = False, timezone: str | None = None) -> CollectReport:
    """Copy the notebooks of ``source`` (a folder or a .zip) into submitted/<student>/<assignment>/.

    Hand-in times come from the file name, a timestamp.txt in the student's folder, or (``zip_times``) the zip
    entries' times, read in ``timezone`` (default: course.toml's); see :mod:`coursetools.course.handin`.
    """
    cd = cd or CourseDir.open()
    tz = zone(timezone) if timezone else settings.load().deadlines().tz
    pattern = re.compile(regexp or LAYOUTS[layout])
    if "student_id" not in pattern.groupindex:
        raise ValueError("the regular expression must have a (?P<student_id>...) group")
    notebooks = sorted(p.stem for p in cd.release_dir(assignment).glob("*.ipynb")) or [assignment]
    allowed = read_roster(roster) if roster else None
    with tempfile.TemporaryDirectory(prefix="collect-") as scratch:
        collector = _Collector(assignment, cd, pattern, notebooks, allowed, Path(scratch), limits or UploadLimits(),
                               tz=tz, zip_times=zip_times)
        collector.run(Path(source))
        collector.write_all(dry_run)
    report = collector.report
    if allowed is not None:
        got = {c.student for c in report.collected}
        report.without_submission = sorted(allowed - got)
    return report


def add_arguments(parser) -> None:
    parser.add_argument("assignment", metavar="ASSIGNMENT")
    parser.add_argument("source", type=Path, metavar="SOURCE")
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="name",
                        help="name: <student>.ipynb or <student>_<anything>.ipynb; folder: <student>/<notebook>.ipynb; "
                             "canvas: Canvas' submission download (default: name)")
    parser.add_argument("--regexp", help="nbgrader-style named_regexp with (?P<student_id>...), optional "
                                         "(?P<file_id>...) and (?P<timestamp>...), matched against the path inside "
                                         "SOURCE")
    parser.add_argument("--roster", type=Path, help="CSV with an 'id' column (or one id a line): only these students")
    parser.add_argument("--dry-run", action="store_true", help="report what would be collected, write nothing")
    parser.add_argument("--zip-times", action="store_true",
                        help="take the zip entries' times as hand-in times (only if your LMS's zip records them: "
                             "Canvas's does not)")
    parser.add_argument("--timezone", help="time zone of times written without an offset (default: course.toml "
                                           "[deadlines] timezone, else UTC)")


def run(args) -> int:
    report = collect(args.assignment, args.source, course_dir(args), layout=args.layout, regexp=args.regexp,
                     roster=args.roster, dry_run=args.dry_run, zip_times=getattr(args, "zip_times", False),
                     timezone=getattr(args, "timezone", None))
    print(report.summary())
    return 0
