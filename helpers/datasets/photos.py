"""Photos for the "try your own photo" cell of assignment 02: the student's own, and the two that come with the course.

The two course photos (``my_cat.png``, ``my_not_cat.png``) ship inside the package, next to the data sets, so a
student on Colab (where only the package is installed) has them too; they are verified by checksum like the data.
"""

from __future__ import annotations

from pathlib import Path

from .cats import DATA_DIRECTORY, verified_path

#: The photos that come with the course, in helpers/data/.
COURSE_PHOTOS = ("my_cat.png", "my_not_cat.png")


def photo_folders(start: Path | None = None) -> list[Path]:
    """Where a student's own photo is looked for, in order: the notebook's folder and its ``img/``, then the same in
    the two folders above (a course checkout keeps ``img/`` two levels above ``release/<assignment>/``)."""
    here = (start or Path.cwd()).resolve()
    folders = []
    for folder in [here, *list(here.parents)[:2]]:
        folders += [folder, folder / "img"]
    return folders


def find_image(name: str, start: Path | None = None) -> Path | None:
    """The path of the photo ``name`` (a file name or a path), or None if there is none.

    A student's own photo comes first (``name`` as a path, then the folders of :func:`photo_folders`, starting at
    ``start``, by default the current folder); then the photos that come with the course (:data:`COURSE_PHOTOS`).
    """
    if not name:
        return None
    given = Path(name).expanduser()
    if given.is_absolute():
        return given if given.is_file() else None
    for folder in photo_folders(start):
        if (folder / given).is_file():
            return folder / given
    if name in COURSE_PHOTOS and (DATA_DIRECTORY / name).is_file():
        return verified_path(name)
    return None
