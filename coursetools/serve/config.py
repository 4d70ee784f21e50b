"""The service's settings: course.toml's ``[serve]`` table (and ``[feedback]``), then the command line.

Every setting has a default, so ``python -m coursetools serve`` starts on a course.toml without a ``[serve]`` table::

    [serve]
    # assignments = []              # open for hand-in (default: every assignment in the gradebook)
    # attempts_per_hour = 5         # attempts per student and assignment in any 60 minutes
    # attempts_per_day = 20         # ... and in any 24 hours
    # grade_of_record = "last"      # or "best": of the attempts handed in before the due date
    # accept_late = true            # attempts after the due date are graded (they count only without an on-time one)
    # max_upload_bytes = 10485760   # the largest notebook accepted (10 MiB)
    # queue_limit = 200             # attempts waiting at most; more are refused with "try again in a few minutes"
    # session_hours = 12            # how long a browser stays signed in

What feedback says about a failed hidden case is the course's one policy, ``[feedback] hidden_cases``
(:meth:`coursetools.course.settings.Course.feedback_hidden_cases`), for the service's pages as for ``feedback``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ..course import settings as course_settings

LAST, BEST = "last", "best"
ALWAYS, AFTER_DUE, NEVER = "always", "after_due", "never"
HIDDEN_POLICIES = (ALWAYS, AFTER_DUE, NEVER)


@dataclass(frozen=True)
class ServeSettings:
    """What the service allows; see the module's docstring for the meaning and the default of each."""

    assignments: tuple[str, ...] = ()
    attempts_per_hour: int = 5
    attempts_per_day: int = 20
    grade_of_record: str = LAST
    accept_late: bool = True
    max_upload_bytes: int = 10 * 1024 * 1024
    queue_limit: int = 200
    session_hours: float = 12.0
    hidden_messages: str = AFTER_DUE  # course.toml [feedback] hidden_cases

    def __post_init__(self) -> None:
        if self.grade_of_record not in (LAST, BEST):
            raise ValueError(f"[serve] grade_of_record is {self.grade_of_record!r}: it must be \"last\" or \"best\"")
        if self.hidden_messages not in HIDDEN_POLICIES:
            raise ValueError(f"[feedback] hidden_cases is {self.hidden_messages!r}: it must be one of "
                             f"{', '.join(repr(p) for p in HIDDEN_POLICIES)}")
        for name in ("attempts_per_hour", "attempts_per_day", "max_upload_bytes", "queue_limit"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"[serve] {name} must be a whole number of at least 1, not {value!r}")
        if self.session_hours <= 0:
            raise ValueError("[serve] session_hours must be more than 0")

    def with_overrides(self, **overrides) -> ServeSettings:
        """A copy with the given fields changed (``None`` values are ignored: the option was not given)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def load(course=None) -> ServeSettings:
    """The settings of course.toml's ``[serve]`` and ``[feedback]`` tables (defaults for what is absent)."""
    course = course or course_settings.load()
    table = dict(course.section("serve"))
    known = {f.name for f in fields(ServeSettings)} - {"hidden_messages"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"course.toml [serve] has unknown setting(s) {unknown}; known: {sorted(known)}")
    if "assignments" in table:
        table["assignments"] = tuple(table["assignments"])
    return ServeSettings(**table, hidden_messages=course.feedback_hidden_cases())
