"""Due dates, per-student extensions and the late policy: course.toml's ``[deadlines]`` table, read into data.

::

    [deadlines]
    timezone = "Europe/Paris"          # for due dates and times written without an offset (default UTC)
    extensions = "extensions.csv"      # per-student extensions, relative to course.toml's folder (optional)
    [deadlines.due]
    01_numpy_basics = 2026-10-05T23:59:00+02:00
    02_logistic_regression = "2026-10-19 23:59"     # in `timezone`
    [deadlines.last_accepted]          # optional, per assignment: later hand-ins score 0
    01_numpy_basics = 2026-10-12T23:59:00+02:00
    [deadlines.late_policy]
    grace = "15 minutes"               # late by at most this much: no penalty
    percent = 10                       # of the points earned, for each period started after the due date
    per = "1 day"
    cap = 50                           # at most this percent in all (optional)
    accept_for = "7 days"              # later than this after the (extended) due date: 0 points (optional)

The extensions CSV has a row per extension: ``student,assignment,extension`` (``extension`` a duration such as
``2 days`` or ``36 hours``; an empty or ``*`` assignment gives it for every assignment) or ``student,assignment,due``
(a new due date for that student). An extension moves the student's due date and last accepted time alike.

nbgrader stores naive UTC times: the due date goes into the gradebook as the assignment's ``duedate``, an extension as
the submission's ``extension``, and :class:`LatePenaltyPlugin` (an nbgrader ``LateSubmissionPlugin``, set as
``AssignLatePenalties.plugin_class``) turns ``total_seconds_late`` (nbgrader's, which counts the extension) into the
penalty. Everything here keeps times aware (with their time zone) until that last step (:func:`to_naive_utc`).
"""

from __future__ import annotations

import csv
import datetime
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from traitlets import Float

UTC = datetime.timezone.utc
_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
          "d": 86400, "day": 86400, "w": 604800, "week": 604800}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")


class DeadlineError(ValueError):
    """course.toml's ``[deadlines]`` or the extensions file says something that cannot be read."""


def parse_duration(text: str | int | float) -> datetime.timedelta:
    """``"2 days"``, ``"36 hours"``, ``"1 day 12 h"``, ``"15 minutes"`` (or a number of seconds) as a timedelta."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return datetime.timedelta(seconds=float(text))
    value = str(text).strip().lower()
    parts = _DURATION.findall(value)
    if not parts or _DURATION.sub("", value).replace(",", "").replace("and", "").strip():
        raise DeadlineError(f"{text!r} is not a duration (write it like '2 days', '36 hours' or '15 minutes')")
    seconds = 0.0
    for number, unit in parts:
        unit = unit.rstrip("s") if unit not in ("s",) else unit
        if unit not in _UNITS:
            raise DeadlineError(f"{text!r}: unknown unit {unit!r} (use minutes, hours, days or weeks)")
        seconds += float(number) * _UNITS[unit]
    return datetime.timedelta(seconds=seconds)


def describe_duration(delta: datetime.timedelta | float) -> str:
    """A duration for people: ``1 day 3 h``, ``2 h 5 min``, ``40 s``."""
    seconds = delta.total_seconds() if isinstance(delta, datetime.timedelta) else float(delta)
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts) or "0 s"


def zone(name: str | None) -> datetime.tzinfo:
    """The time zone ``name`` (IANA, like ``Europe/Paris``; ``UTC`` by default)."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DeadlineError(f"unknown time zone {name!r} (use an IANA name such as 'Europe/Paris')") from None


def parse_time(value, tz: datetime.tzinfo) -> datetime.datetime:
    """A TOML datetime or a string (``2026-10-05 23:59``, ISO 8601): aware; a time without offset is in ``tz``."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time(23, 59, 59))
    else:
        text = str(value).strip()
        try:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise DeadlineError(f"{value!r} is not a date and time (write it like 2026-10-05T23:59:00+02:00 "
                                f"or '2026-10-05 23:59')") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


@overload
def to_naive_utc(moment: datetime.datetime) -> datetime.datetime: ...
@overload
def to_naive_utc(moment: None) -> None: ...
def to_naive_utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """How nbgrader stores a time: naive, in UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


@overload
def from_naive_utc(moment: datetime.datetime) -> datetime.datetime: ...
@overload
def from_naive_utc(moment: None) -> None: ...
def from_naive_utc(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A time read from nbgrader's gradebook (naive UTC), made aware."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class LatePolicy:
    """What a late hand-in costs: ``percent`` of the points earned for each started ``per`` after the due date.

    Late by at most ``grace``: nothing. At most ``cap`` percent in all (None: up to everything). Later than
    ``accept_for`` after the student's due date: every point (not accepted).
    """

    percent: float = 0.0
    per: datetime.timedelta = datetime.timedelta(days=1)
    grace: datetime.timedelta = datetime.timedelta(0)
    cap: float | None = None
    accept_for: datetime.timedelta | None = None

    @classmethod
    def from_table(cls, table: dict) -> LatePolicy:
        known = {"percent", "per", "grace", "cap", "accept_for"}
        unknown = sorted(set(table) - known)
        if unknown:
            raise DeadlineError(f"[deadlines.late_policy]: unknown setting(s) {unknown}; known: {sorted(known)}")
        policy = cls(percent=float(table.get("percent", 0.0)), per=parse_duration(table.get("per", "1 day")),
                     grace=parse_duration(table.get("grace", 0)),
                     cap=float(table["cap"]) if table.get("cap") is not None else None,
                     accept_for=parse_duration(table["accept_for"]) if table.get("accept_for") else None)
        if policy.per.total_seconds() <= 0 or policy.percent < 0 or (policy.cap is not None and policy.cap < 0):
            raise DeadlineError("[deadlines.late_policy]: 'per' must be positive, 'percent' and 'cap' not negative")
        return policy

    def percent_for(self, seconds_late: float, accept_for: datetime.timedelta | None = None) -> float:
        """The share of the points earned (0 to 100) a hand-in ``seconds_late`` after its due date loses."""
        if seconds_late <= 0 or seconds_late <= self.grace.total_seconds():
            return 0.0
        limit = accept_for if accept_for is not None else self.accept_for
        if limit is not None and seconds_late > limit.total_seconds():
            return 100.0
        periods = math.ceil(seconds_late / self.per.total_seconds())
        percent = periods * self.percent
        if self.cap is not None:
            percent = min(percent, self.cap)
        return min(percent, 100.0)

    def penalty(self, score: float, seconds_late: float, accept_for: datetime.timedelta | None = None) -> float:
        """The points a hand-in ``seconds_late`` after its due date loses, out of the ``score`` it earned."""
        return round(max(score or 0.0, 0.0) * self.percent_for(seconds_late, accept_for) / 100.0, 6)

    def describe(self) -> str:
        if not self.percent and self.accept_for is None:
            return "no penalty for late hand-ins"
        parts = []
        if self.percent:
            parts.append(f"{self.percent:g}% of the points earned per started {describe_duration(self.per)} late")
        if self.grace:
            parts.append(f"after a grace period of {describe_duration(self.grace)}")
        if self.cap is not None:
            parts.append(f"at most {self.cap:g}%")
        if self.accept_for is not None:
            parts.append(f"0 points when more than {describe_duration(self.accept_for)} late")
        return ", ".join(parts)


@dataclass(frozen=True)
class Deadlines:
    """Due dates (aware), last accepted times, extensions and the late policy of a course."""

    timezone: str = "UTC"
    due: dict[str, datetime.datetime] = field(default_factory=dict)
    last_accepted: dict[str, datetime.datetime] = field(default_factory=dict)
    extensions: dict[tuple[str, str], datetime.timedelta] = field(default_factory=dict)  # (student, assignment or "*")
    policy: LatePolicy = LatePolicy()

    @property
    def tz(self) -> datetime.tzinfo:
        return zone(self.timezone)

    def due_for(self, assignment: str) -> datetime.datetime | None:
        """The assignment's due date (aware), or None."""
        return self.due.get(assignment)

    def extension(self, student: str, assignment: str) -> datetime.timedelta | None:
        """The student's extension for the assignment (one given for this assignment wins over one for all)."""
        return self.extensions.get((student, assignment), self.extensions.get((student, "*")))

    def accept_for(self, assignment: str) -> datetime.timedelta | None:
        """How long after the due date a hand-in is still accepted (the assignment's last_accepted, or the policy's)."""
        due, last = self.due.get(assignment), self.last_accepted.get(assignment)
        if due is not None and last is not None:
            return max(last - due, datetime.timedelta(0))
        return self.policy.accept_for

    def student_due(self, student: str, assignment: str) -> datetime.datetime | None:
        """The student's own due date: the assignment's, moved by the student's extension."""
        due = self.due_for(assignment)
        if due is None:
            return None
        return due + (self.extension(student, assignment) or datetime.timedelta(0))

    def seconds_late(self, student: str, assignment: str, handed_in: datetime.datetime | None) -> float:
        """How late ``handed_in`` (aware) is for the student (0 when on time or with no due date)."""
        due = self.student_due(student, assignment)
        if due is None or handed_in is None:
            return 0.0
        return max(0.0, (handed_in - due).total_seconds())

    def local(self, moment: datetime.datetime | None) -> str:
        """A time in the course's time zone, for people: ``2026-10-05 23:59 CEST``."""
        if moment is None:
            return ""
        moment = from_naive_utc(moment).astimezone(self.tz)
        return moment.strftime("%Y-%m-%d %H:%M %Z").strip()

    def fingerprint(self, assignment: str) -> dict:
        """What grading the assignment's late penalties depends on (a change regrades the assignment)."""
        due = self.due_for(assignment)
        accept = self.accept_for(assignment)
        return {"due": to_naive_utc(due).isoformat() if due else None,
                "accept_for": accept.total_seconds() if accept is not None else None,
                "policy": [self.policy.percent, self.policy.per.total_seconds(), self.policy.grace.total_seconds(),
                           self.policy.cap]}

    @classmethod
    def from_table(cls, table: dict, base: Path) -> Deadlines:
        """course.toml's ``[deadlines]`` table; ``base``: the folder relative paths start from."""
        known = {"timezone", "extensions", "due", "last_accepted", "late_policy"}
        unknown = sorted(set(table) - known)
        if unknown:
            raise DeadlineError(f"[deadlines]: unknown setting(s) {unknown}; known: {sorted(known)}")
        name = str(table.get("timezone") or "UTC")
        tz = zone(name)
        due = {str(a): parse_time(v, tz) for a, v in dict(table.get("due", {})).items()}
        last = {str(a): parse_time(v, tz) for a, v in dict(table.get("last_accepted", {})).items()}
        extensions: dict[tuple[str, str], datetime.timedelta] = {}
        if table.get("extensions"):
            path = Path(table["extensions"])
            path = path if path.is_absolute() else base / path
            extensions = read_extensions(path, due, tz)
        return cls(timezone=name, due=due, last_accepted=last, extensions=extensions,
                   policy=LatePolicy.from_table(dict(table.get("late_policy", {}))))


def read_extensions(path: Path, due: dict[str, datetime.datetime], tz: datetime.tzinfo
                    ) -> dict[tuple[str, str], datetime.timedelta]:
    """The extensions CSV (see the module's docstring): (student, assignment or "*") -> extension."""
    if not path.is_file():
        raise DeadlineError(f"the extensions file {path} (course.toml [deadlines] extensions) does not exist")
    extensions: dict[tuple[str, str], datetime.timedelta] = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = {c.strip().lower() for c in reader.fieldnames or []}
        if "student" not in columns or not ({"extension", "due"} & columns):
            raise DeadlineError(f"{path}: the extensions file needs a 'student' column and an 'extension' "
                                f"(duration) or 'due' (new due date) column")
        for number, raw in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            student, assignment = row.get("student", ""), row.get("assignment", "") or "*"
            if not student:
                continue
            try:
                if row.get("extension"):
                    extension = parse_duration(row["extension"])
                elif row.get("due"):
                    if assignment == "*" or assignment not in due:
                        raise DeadlineError(f"a new due date needs an assignment with a due date, not {assignment!r}")
                    extension = parse_time(row["due"], tz) - due[assignment]
                else:
                    raise DeadlineError("neither an extension nor a due date")
            except DeadlineError as error:
                raise DeadlineError(f"{path}, line {number}: {error}") from None
            extensions[(student, assignment)] = max(extension, datetime.timedelta(0))
    return extensions


# --- nbgrader's side --------------------------------------------------------------------------------------------
def _late_plugin_base():
    from nbgrader.plugins import LateSubmissionPlugin

    return LateSubmissionPlugin


class LatePenaltyPlugin(_late_plugin_base()):  # type: ignore[misc]
    """nbgrader's late-submission plugin for the course's late policy (``AssignLatePenalties.plugin_class``).

    nbgrader calls it with the notebook's score and ``total_seconds_late`` (measured from the student's due date,
    extension included); it returns the points to take off (nbgrader keeps the penalty between 0 and the score).
    """

    percent = Float(0.0, help="percent of the points earned taken off per started period").tag(config=True)
    period_seconds = Float(86400.0, help="the period, in seconds").tag(config=True)
    grace_seconds = Float(0.0, help="late by at most this: no penalty").tag(config=True)
    cap_percent = Float(-1.0, help="at most this percent in all (negative: no cap)").tag(config=True)
    accept_seconds = Float(-1.0, help="later than this: every point (negative: always accepted)").tag(config=True)

    def policy(self) -> LatePolicy:
        return LatePolicy(percent=self.percent, per=datetime.timedelta(seconds=self.period_seconds),
                          grace=datetime.timedelta(seconds=self.grace_seconds),
                          cap=self.cap_percent if self.cap_percent >= 0 else None,
                          accept_for=datetime.timedelta(seconds=self.accept_seconds) if self.accept_seconds >= 0
                          else None)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        penalty = self.policy().penalty(score, total_seconds_late)
        return penalty if penalty > 0 else None


def configure(config, deadlines: Deadlines, assignment: str) -> None:
    """Point nbgrader's AssignLatePenalties of ``config`` at :class:`LatePenaltyPlugin` with the course's policy."""
    policy = deadlines.policy
    accept = deadlines.accept_for(assignment)
    config.AssignLatePenalties.plugin_class = LatePenaltyPlugin
    config.LatePenaltyPlugin.percent = float(policy.percent)
    config.LatePenaltyPlugin.period_seconds = policy.per.total_seconds()
    config.LatePenaltyPlugin.grace_seconds = policy.grace.total_seconds()
    config.LatePenaltyPlugin.cap_percent = float(policy.cap) if policy.cap is not None else -1.0
    config.LatePenaltyPlugin.accept_seconds = accept.total_seconds() if accept is not None else -1.0
