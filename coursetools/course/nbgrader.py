"""The course's grading policy: ``nbgrader_config.py`` at the repository root, pointed at a course folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from traitlets.config import Config

from . import settings


def nbgrader_config(root: Path, db_url: str | None = None) -> Config:
    """The course's nbgrader configuration (nbgrader_config.py), pointed at ``root`` and ``db_url``."""
    from traitlets.config.loader import PyFileConfigLoader

    course = settings.load()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
    config.CourseDirectory.root = str(root)
    if db_url:
        config.CourseDirectory.db_url = db_url
    return config


def nbgrader_setting(section: str, name: str) -> Any:
    """One value of the course's nbgrader_config.py (the one source of grading policy)."""
    return nbgrader_config(settings.load().root)[section][name]
