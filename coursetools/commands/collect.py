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
"""

from __future__ import annotations

import csv
import datetime
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..course import settings
from ..course.coursedir import CourseDir
from ..course.deadlines import UTC, to_naive_utc, zone
from ..course.handin import HandIn, handin_time
from ._options import course_dir

NAME = "collect"
SUMMARY = "submissions from a folder or an LMS zip into submitted/"
DESCRIPTION = ("Copy the notebooks of SOURCE (a folder or a zip downloaded from the LMS) into "
               "submitted/<student>/ASSIGNMENT/, following nbgrader's zip_collect conventions, and report every file "
               "that could not be matched to a student.")

LAYOUTS = {
    "name": r"^(?:.*/)?(?P<student_id>[^/_.][^/_]*?)(?:_(?P<file_id>[^/]*))?\.ipynb$",
    "folder": r"^(?:.*/)?(?P<student_id>[^/.][^/]*)/(?P<file_id>[^/]+)\.ipynb$",
    "canvas": r"^(?:.*/)?(?P<student_id>[^/_]+)(?:_late|_LATE)?_\d+_\d+_(?P<file_id>[^/]+?)(?:-\d+)?\.ipynb$",
}
VALID_ID = re.compile(r"^[A-Za-z0-9@][A-Za-z0-9@._+ -]*$")


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

    def summary(self) -> str:
        states = {s: sum(1 for c in self.collected if c.state == s) for s in ("new", "updated", "unchanged")}
        lines = [f"{self.assignment}: collected {len(self.collected)} submissions "
                 f"({states['new']} new, {states['updated']} updated, {states['unchanged']} unchanged)"]
        if self.unmatched:
            lines.append(f"{len(self.unmatched)} files not matched to a student:")
            lines += [f"  {path}: {why}" for path, why in self.unmatched]
        if self.superseded:
            lines.append(f"{len(self.superseded)} older duplicates ignored:")
            lines += [f"  {path} (kept {kept})" for path, kept in self.superseded]
        lines += self.handin_lines()
        if self.without_submission:
            lines.append(f"{len(self.without_submission)} students of the roster without a file: "
                         + ", ".join(self.without_submission))
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


def _extract(archive: Path, target: Path) -> list[str]:
    """Extract a zip (and the zips inside it, one level) without letting a member escape ``target``.

    Returns the members left out because their path would escape.
    """
    unsafe = []
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            name = info.filename
            if info.is_dir():
                continue
            if name.startswith("/") or ".." in Path(name).parts:
                unsafe.append(name)
                continue
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with z.open(info) as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)
            stamp = datetime.datetime(*info.date_time).timestamp()
            os.utime(path, (stamp, stamp))
    for inner in sorted(target.rglob("*.zip")):
        folder = inner.with_suffix("")
        folder.mkdir(exist_ok=True)
        try:
            unsafe += [f"{inner.relative_to(target)}/{name}" for name in _extract(inner, folder)]
        except zipfile.BadZipFile:
            continue
        inner.unlink()
    return unsafe


def collect(assignment: str, source: Path, cd: CourseDir | None = None, *, layout: str = "name",
            regexp: str | None = None, roster: Path | None = None, dry_run: bool = False,
            zip_times: bool = False, timezone: str | None = None) -> CollectReport:
    """Copy the notebooks of ``source`` (a folder or a .zip) into submitted/<student>/<assignment>/.

    Hand-in times come from the file name, a timestamp.txt in the student's folder, or (``zip_times``) the zip
    entries' times, read in ``timezone`` (default: course.toml's); see :mod:`coursetools.course.handin`.
    """
    cd = cd or CourseDir.open()
    tz = zone(timezone) if timezone else settings.load().deadlines().tz
    handins: dict[tuple[str, str], HandIn] = {}
    zipped = False
    pattern = re.compile(regexp or LAYOUTS[layout])
    if "student_id" not in pattern.groupindex:
        raise ValueError("the regular expression must have a (?P<student_id>...) group")
    notebooks = sorted(p.stem for p in cd.release_dir(assignment).glob("*.ipynb")) or [assignment]
    allowed = read_roster(roster) if roster else None
    report = CollectReport(assignment)
    with tempfile.TemporaryDirectory(prefix="collect-") as scratch:
        if source.is_file() and zipfile.is_zipfile(source):
            base, zipped = Path(scratch), True
            report.unmatched += [(name, "unsafe path in the zip (outside its folder): not extracted")
                                 for name in _extract(source, base)]
        elif source.is_dir():
            base = source
        else:
            raise FileNotFoundError(f"{source} is neither a folder nor a zip file")
        chosen: dict[tuple[str, str], tuple[Path, str, datetime.datetime | None, float]] = {}
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            relative = path.relative_to(base).as_posix()
            if "__MACOSX" in path.parts or path.name.startswith("._") or path.name == ".DS_Store":
                continue
            if path.suffix != ".ipynb":
                report.unmatched.append((relative, "not a notebook (.ipynb)"))
                continue
            match = pattern.match(relative)
            if not match or not match.group("student_id"):
                report.unmatched.append((relative, "the file name does not match the layout (see --layout/--regexp)"))
                continue
            student = match.group("student_id").strip()
            if not VALID_ID.match(student):
                report.unmatched.append((relative, f"{student!r} is not a usable student id"))
                continue
            if allowed is not None and student not in allowed:
                report.unmatched.append((relative, f"student {student!r} is not in the roster"))
                if student not in report.not_in_roster:
                    report.not_in_roster.append(student)
                continue
            groups = match.groupdict()
            file_id = Path(groups.get("file_id") or "").stem
            if file_id not in notebooks:
                if len(notebooks) != 1:
                    report.unmatched.append((relative, f"{file_id or 'the file'} is none of the notebooks {notebooks}"))
                    continue
                file_id = notebooks[0]
            try:  # when it was handed in, and where that was read (coursetools.course.handin)
                handin = handin_time(relative, groups, path, student, tz=tz, use_archive=zip_times,
                                     archived=datetime.datetime.fromtimestamp(path.stat().st_mtime) if zipped else None)
            except ValueError as error:
                report.unmatched.append((relative, str(error)))
                continue
            timestamp = to_naive_utc(handin.time)
            handins[(student, relative)] = handin
            key = (student, file_id)
            candidate = (path, relative, timestamp, path.stat().st_mtime)
            if key in chosen:
                kept = chosen[key]
                newer = (candidate[2] or datetime.datetime.min, candidate[3]) >= (kept[2] or datetime.datetime.min, kept[3])
                loser, winner = (kept, candidate) if newer else (candidate, kept)
                report.superseded.append((loser[1], winner[1]))
                chosen[key] = winner
            else:
                chosen[key] = candidate
        for (student, file_id), (path, relative, timestamp, _) in sorted(chosen.items()):
            folder = cd.submission_dir(student, assignment)
            destination = folder / f"{file_id}.ipynb"
            data = path.read_bytes()
            state = "new" if not destination.exists() else (
                "unchanged" if destination.read_bytes() == data else "updated")
            report.collected.append(Collected(student, relative, destination, state,
                                              handins.get((student, relative), HandIn(None))))
            if dry_run or state == "unchanged" and not timestamp:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(data)
            stamp = folder / "timestamp.txt"
            if timestamp is not None:
                stamp.write_text(timestamp.replace(tzinfo=UTC).isoformat(" "), encoding="utf-8")
            elif state == "updated" and stamp.exists():
                stamp.unlink()  # the old time stamp belongs to the old file
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
