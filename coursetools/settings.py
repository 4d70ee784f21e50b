"""The course settings, read once from ``course.toml`` at the repository root."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


@lru_cache(maxsize=None)
def load(root: Path = ROOT) -> Course:
    """The course settings of the checkout at ``root``."""
    with open(root / "course.toml", "rb") as f:
        data = tomllib.load(f)["course"]
    return Course(root=root, id=data["id"], title=data["title"], github_repository=data["github_repository"],
                  branch=data["branch"], helpers_ref=data["helpers_ref"], assignments=tuple(data["assignments"]))
