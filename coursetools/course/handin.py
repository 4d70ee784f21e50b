"""When a submission was handed in, and where that was read: what ``collect`` writes into ``timestamp.txt``.

In order, the first that says:

1. **the file name**: the ``(?P<timestamp>...)`` group of the layout's regular expression (nbgrader's
   ``zip_collect`` convention);
2. **a timestamp.txt** beside the notebook, in the student's own folder (nbgrader's submitted layout);
3. **the zip entry's time**, only when asked (``collect --zip-times``): a zip records a wall-clock time without a
   time zone, and Canvas's downloads record when the zip was made, not when each file was handed in
   (instructure/canvas-lms#2219), so it is no hand-in time unless the LMS says it is.

A time without an offset is in the course's time zone (course.toml ``[deadlines] timezone``, or ``--timezone``).
Canvas's file names carry no time, only a mark, ``_late``, when Canvas found the submission late by its own due
date: :attr:`HandIn.marked_late` keeps it, so that ``collect`` can say which students Canvas calls late.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from .deadlines import UTC, DeadlineError, parse_time

TIMESTAMP_FILE = "timestamp.txt"
FROM_NAME, FROM_FILE, FROM_ZIP = "file name", "timestamp.txt", "zip entry time"
_CANVAS_LATE = re.compile(r"_(?:late|LATE)_\d+_\d+_")


@dataclass(frozen=True)
class HandIn:
    time: datetime.datetime | None   # aware; None: not known (taken as on time)
    source: str = ""                 # FROM_NAME, FROM_FILE, FROM_ZIP, or "" when not known
    marked_late: bool = False        # the LMS's file name says late (Canvas's "_late")

    def describe(self) -> str:
        if self.time is None:
            return "no hand-in time" + (" (Canvas marks it late)" if self.marked_late else "")
        return f"handed in {self.time.astimezone(UTC).isoformat(sep=' ')} (from the {self.source})"


def read_time(text: str, tz: datetime.tzinfo) -> datetime.datetime:
    """A hand-in time as written by an LMS or by nbgrader (``2017-07-05 21:33:39.946011 UTC``): aware."""
    try:
        return parse_time(text, tz)
    except DeadlineError:
        pass
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(text).replace(tzinfo=UTC)  # nbgrader's reading: naive UTC
    except (ValueError, OverflowError, TypeError):
        raise ValueError(f"unreadable time {text!r}") from None


def handin_time(relative: str, groups: dict, *, tz: datetime.tzinfo = UTC, stamp: str | None = None,
                archived: datetime.datetime | None = None, use_archive: bool = False) -> HandIn:
    """The hand-in time of the notebook at ``relative`` (its path inside the download), matched as ``groups``.

    ``stamp``: the text of the timestamp.txt beside it in the student's own folder, if there is one;
    ``archived``: the zip entry's wall-clock time, if it came from a zip. Raises ValueError (the file is then
    reported, not collected) when the file name's time, or the timestamp.txt, cannot be read.
    """
    marked = bool(_CANVAS_LATE.search(Path(relative).name))
    if groups.get("timestamp"):
        try:
            return HandIn(read_time(groups["timestamp"], tz), FROM_NAME, marked)
        except ValueError:
            raise ValueError(f"unreadable timestamp {groups['timestamp']!r}") from None
    if stamp is not None and stamp.strip():
        try:
            return HandIn(read_time(stamp.strip(), tz), FROM_FILE, marked)
        except ValueError:
            raise ValueError(f"unreadable {TIMESTAMP_FILE} beside it") from None
    if use_archive and archived is not None:
        return HandIn(archived.replace(tzinfo=tz) if archived.tzinfo is None else archived, FROM_ZIP, marked)
    return HandIn(None, "", marked)
