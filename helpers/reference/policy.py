"""The partial-credit policy of ``course.toml`` (``[grading.partial_credit]``), read the same way by everyone.

The toolkit reads it through :mod:`coursetools.course.settings` and applies it outside the sandbox; a plain
``nbgrader autograde`` in the instructor's checkout reads it here, next to the reference solutions, so both give
the same points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tomllib


@dataclass(frozen=True)
class PartialCredit:
    """``enabled``: a test cell earns points in proportion to its cases; ``round``: digits of the points;
    ``all_or_nothing``: test cells (grade ids) that keep full marks or nothing."""

    enabled: bool = False
    round: int = 2
    all_or_nothing: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_table(cls, table: dict | None) -> PartialCredit:
        """The policy of a ``[grading.partial_credit]`` table (absent: off, as serial nbgrader)."""
        table = table if isinstance(table, dict) else {}
        unknown = set(table) - {"enabled", "round", "all_or_nothing"}
        if unknown:
            raise ValueError(f"course.toml [grading.partial_credit] has unknown keys: {sorted(unknown)}")
        digits = table.get("round", 2)
        if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 6:
            raise ValueError(f"course.toml [grading.partial_credit] round must be 0..6, not {digits!r}")
        names = table.get("all_or_nothing", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError("course.toml [grading.partial_credit] all_or_nothing must be a list of test cell ids")
        return cls(enabled=bool(table.get("enabled", False)), round=digits, all_or_nothing=tuple(names))

    def partial(self, grade_id: str) -> bool:
        """Whether the test cell ``grade_id`` earns points in proportion to its cases."""
        return self.enabled and grade_id not in self.all_or_nothing

    def points(self, grade_id: str, max_points: float, passed: int, total: int) -> float:
        """The points a test cell without errors earns when ``passed`` of its ``total`` cases pass."""
        if total <= 0 or passed >= total:
            return float(max_points)
        if not self.partial(grade_id):
            return 0.0
        return round(float(max_points) * passed / total, self.round)


def read_policy(course_toml: Path) -> PartialCredit:
    """The policy written in the course file ``course_toml``."""
    with open(course_toml, "rb") as f:
        tables = tomllib.load(f)
    grading = tables.get("grading", {})
    return PartialCredit.from_table(grading.get("partial_credit") if isinstance(grading, dict) else None)
