"""What a student installs (locally or on Colab) holds the helpers and data, and no solution code.

The Colab test runs the release notebook's set-up cell as Colab would (``google.colab`` imported), offline: git is
told to fetch the course repository from a local clone tagged with the course's helpers_ref, and pip builds the
package from it without reaching any index. Then what the notebooks use must be there: the data, and the photos
of 02's "try your own photo" cell, found by the notebook's own lookup. tests/test_colab_setup.py tests the set-up
cell's other cases (no network, tag not pushed, pip failing, a local Jupyter) on a small stand-in package.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from coursetools.course import settings
from coursetools.course.generate import COLAB_SETUP_ID
from coursetools.course.notebooks import read_notebook
from helpers.datasets import COURSE_PHOTOS

COURSE = settings.load()
FORBIDDEN = ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "helpers/reference", "helpers.reference ")


def _tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=COURSE.root,
                            capture_output=True, text=True, check=True).stdout.split()
    return [f for f in listed if (COURSE.root / f).is_file()]


def _snapshot_repository(destination: Path) -> Path:
    """A git repository holding the working tree's files, tagged with the course's helpers_ref."""
    for name in _tracked_files():
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(COURSE.root / name, target)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "snapshot"],
                    ["git", "tag", COURSE.helpers_ref]):
        subprocess.run(command, cwd=destination, env=env, check=True)
    return destination


def test_wheel_has_helpers_and_data_but_no_solutions(tmp_path):
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"),
                    str(COURSE.root)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert "helpers/checks/__init__.py" in names and "helpers/data/train_catvnoncat.h5" in names
        # Everything a notebook shows ships with the package: the photos of 02's "try your own photo" cell too.
        assert {f"helpers/data/{photo}" for photo in COURSE_PHOTOS} <= set(names), names
        assert "helpers/datasets/photos.py" in names
        assert not [n for n in names if n.startswith(("helpers/reference", "coursetools", "source", "tests"))], names
        for name in names:
            if name.endswith((".py", ".txt", ".md", ".ipynb")):
                text = archive.read(name).decode("utf-8", "replace")
                assert not any(marker in text for marker in FORBIDDEN), f"{name} mentions solutions"


def _own_image_lookup() -> str:
    """The line of 02's "try your own photo" cell that finds the photo (the notebook's own lookup, not a copy)."""
    cells = read_notebook(COURSE.release_notebook("02_logistic_regression")).cells
    source = next(c.source for c in cells if c.get("id") == "own-image")
    line = next(line for line in source.splitlines() if line.startswith("path = find_image("))
    return line.split("#")[0].strip()


@pytest.mark.slow
def test_colab_setup_cell_installs_the_pinned_helpers_offline(tmp_path):
    repository = _snapshot_repository(tmp_path / "repo")
    site = tmp_path / "colab-site"
    cell = read_notebook(COURSE.release_notebook(COURSE.assignments[0])).cells[1]
    assert cell.id == COLAB_SETUP_ID
    # Colab's kernel has google.colab imported; the set-up cell keys on exactly that.
    program = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n" + cell.source
    github = f"https://github.com/{COURSE.github_repository}"
    env = {
        **os.environ,
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{repository.as_uri()}.insteadOf", "GIT_CONFIG_VALUE_0": github,
        "PIP_TARGET": str(site), "PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1", "PIP_NO_BUILD_ISOLATION": "0",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONPATH": str(site),
    }
    # -S: the instructor's editable install of the helpers stays out of sight, as on a fresh Colab runtime.
    setup = subprocess.run([sys.executable, "-S", "-c", program], env=env, cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)
    assert setup.returncode == 0 and setup.stderr == "", setup.stderr
    version = COURSE.helpers_ref.removeprefix("v")
    assert setup.stdout == (f"✅ {COURSE.title} ({COURSE.helpers_ref}): course helpers {version} installed on Colab, "
                            "ready to go.\n")
    # A fresh interpreter with the installed package first on the path, far from the repository, in Colab's
    # working folder (where a student's uploads land, and where no img/ of the course is).
    content = tmp_path / "content"
    content.mkdir()
    probe = textwrap.dedent(f"""
        import importlib.util, helpers
        import matplotlib.image
        from helpers.datasets import find_image, load_cat_dataset
        data = load_cat_dataset()
        print(helpers.__file__)
        print(data.train_x_orig.shape, data.test_y.shape)
        print(importlib.util.find_spec("helpers.reference"))
        for my_image in {list(COURSE_PHOTOS)!r}:
            {_own_image_lookup()}
            print(path, matplotlib.image.imread(path).shape)
    """)
    # -S skips site-packages' .pth files, so the instructor's editable install of helpers stays out of sight.
    import numpy
    site_packages = Path(numpy.__file__).parents[1]
    out = subprocess.run([sys.executable, "-S", "-c", probe], cwd=content,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(site_packages)])},
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0].startswith(str(site)), out
    assert out[1] == "(209, 64, 64, 3) (1, 50)"
    assert out[2] == "None", "the reference solutions reached the student's installation"
    for photo, line in zip(COURSE_PHOTOS, out[3:], strict=True):
        path, shape = line.split(" ", 1)
        assert path == str(site / "helpers" / "data" / photo), line
        assert len(ast.literal_eval(shape)) == 3, line   # an RGB(A) image, as the notebook's imread reads it


def test_setup_cell_off_colab_checks_and_installs_nothing(tmp_path):
    cell = read_notebook(COURSE.release_notebook(COURSE.assignments[0])).cells[1]
    result = subprocess.run([sys.executable, "-c", cell.source], env={**os.environ, "PIP_NO_INDEX": "1"},
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    version = COURSE.helpers_ref.removeprefix("v")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == f"✅ {COURSE.title} ({COURSE.helpers_ref}): course helpers {version} found, ready to go.\n"
    assert list(tmp_path.iterdir()) == []
