"""The course settings, read once from ``course.toml`` at the repository root."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import tomllib

#: The course repository: coursetools/course/settings.py -> coursetools/course -> coursetools -> root.
ROOT = Path(__file__).resolve().parents[2]
#: When feedback shows the expected values of failed hidden cases (course.toml ``[feedback] hidden_cases``).
HIDDEN_CASE_POLICIES = ("always", "after_due", "never")


@dataclass(frozen=True)
class Course:
    """What the toolkit needs to know about the course; see ``course.toml`` for the meaning of each field."""

    root: Path
    id: str
    title: str
    github_repository: str
    branch: str
    helpers_ref: str
    assignments: tuple[str, ...]
    #: course.toml's other tables (``[sandbox]``...), as read: the layers that own them interpret them.
    sections: dict = field(default_factory=dict, compare=False, hash=False)

    def section(self, name: str) -> dict:
        """A table of course.toml other than ``[course]`` (empty when absent)."""
        value = self.sections.get(name, {})
        return value if isinstance(value, dict) else {}

    def released_after(self) -> dict[str, str]:
        """``[release] after``: assignment -> the assignment whose due date must pass before students get it."""
        after = self.section("release").get("after", {})
        return {str(k): str(v) for k, v in after.items()} if isinstance(after, dict) else {}

    def deadlines(self):
        """Due dates, extensions and the late policy (``[deadlines]``, see :mod:`.deadlines`)."""
        from .deadlines import Deadlines

        return Deadlines.from_table(self.section("deadlines"), self.root)

    def feedback_hidden_cases(self) -> str:
        """When feedback shows what a failed hidden case expected (``[feedback] hidden_cases``): ``always``,
        ``after_due`` (the default: once the student's due date has passed) or ``never`` ("hidden case 3 failed")."""
        value = str(self.section("feedback").get("hidden_cases", "after_due"))
        if value not in HIDDEN_CASE_POLICIES:
            raise ValueError(f"course.toml [feedback] hidden_cases must be one of {HIDDEN_CASE_POLICIES}, not {value!r}")
        return value

    def partial_credit(self):
        """``[grading.partial_credit]``: whether a test cell earns points in proportion to its hidden cases
        (:class:`helpers.reference.policy.PartialCredit`; absent: all or nothing, as serial nbgrader)."""
        from helpers.reference.policy import PartialCredit

        return PartialCredit.from_table(self.section("grading").get("partial_credit"))

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    def source_notebook(self, assignment: str) -> Path:
        return self.source / assignment / f"{assignment}.ipynb"

    def release_notebook(self, assignment: str) -> Path:
        return self.release / assignment / f"{assignment}.ipynb"

    def colab_url(self, assignment: str) -> str:
        """The address that opens the release notebook on Colab."""
        return (f"https://colab.research.google.com/github/{self.github_repository}/blob/{self.branch}"
                f"/release/{assignment}/{assignment}.ipynb")

    @property
    def helpers_pip_spec(self) -> str:
        """What Colab installs: the student package at the pinned tag."""
        return f"dl-numpy-course-helpers @ git+https://github.com/{self.github_repository}@{self.helpers_ref}"


@cache
def load(root: Path = ROOT) -> Course:
    """The course settings of the checkout at ``root``."""
    with open(root / "course.toml", "rb") as f:
        tables = tomllib.load(f)
    data = tables.pop("course")
    return Course(root=root, id=data["id"], title=data["title"], github_repository=data["github_repository"],
                  branch=data["branch"], helpers_ref=data["helpers_ref"], assignments=tuple(data["assignments"]),
                  sections=tables)


def cache_dir() -> Path:
    """Where the grader keeps what students must never see (the recorded hidden cases): never shown in a sandbox.

    ``COURSETOOLS_CACHE`` moves it (for example to a disk shared by a cluster's grading machines).
    """
    base = os.environ.get("COURSETOOLS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "coursetools")
    return Path(base)
