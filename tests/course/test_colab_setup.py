"""The set-up cell of the release notebooks, run as a student's kernel runs it, offline.

Each test runs the cell's code in a fresh interpreter started with ``-S`` (so the instructor's editable install of
the helpers is out of sight) and a PYTHONPATH of the test's choosing (so the helpers are missing, or present at
some version). Colab is a fake ``google.colab`` module imported first, which is what the cell looks at; GitHub is
a small local git repository that git is told to fetch instead (``url.<local>.insteadOf``), or an address on the
loopback where nothing listens (no network). pip builds from the local repository without reaching any index.
The real package built from this checkout is installed the same way by tests/test_student_package.py (slow).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

import helpers
from coursetools.course import colab_setup, settings
from coursetools.course.generate import COLAB_SETUP_ID
from coursetools.course.notebooks import read_notebook

COURSE = settings.load()
VERSION = colab_setup.helpers_version(COURSE)
GITHUB = f"https://github.com/{COURSE.github_repository}"
FAKE_COLAB = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n"
GIT_ID = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
          "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}


def _cell() -> str:
    cell = read_notebook(COURSE.release_notebook(COURSE.assignments[0])).cells[1]
    assert cell.id == COLAB_SETUP_ID
    return cell.source


def _helpers_package(folder: Path, version: str) -> Path:
    """A stand-in for the helpers: a package ``helpers`` with ``__version__``."""
    (folder / "helpers").mkdir(parents=True)
    (folder / "helpers" / "__init__.py").write_text(f"__version__ = {version!r}\n")
    return folder


def _repository(folder: Path, version: str = VERSION, tag: str | None = COURSE.helpers_ref,
                pyproject: str | None = None) -> Path:
    """A git repository holding a small student package of ``version``, tagged ``tag`` (None: untagged)."""
    _helpers_package(folder, version)
    (folder / "pyproject.toml").write_text(pyproject or (
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{colab_setup.PACKAGE}"\nversion = "{version}"\n'
        '[tool.setuptools.packages.find]\ninclude = ["helpers*"]\n'))
    env = {**os.environ, **GIT_ID}
    commands = [["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-q", "-m", "helpers"]]
    for command in commands + ([["git", "tag", tag]] if tag else []):
        subprocess.run(command, cwd=folder, env=env, check=True)
    return folder


def _run(tmp_path: Path, *, colab: bool, github: str | None = None, path: tuple[Path, ...] = (),
         cwd: Path | None = None) -> tuple[subprocess.CompletedProcess, Path]:
    """Run the set-up cell; ``github``: what git fetches instead of GitHub; ``path``: what Python can import."""
    site = tmp_path / "site"   # where pip installs, first on the path, as Colab's dist-packages
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "GIT_CONFIG"))}
    env |= {"PYTHONPATH": os.pathsep.join(map(str, (site, *path))), "PIP_TARGET": str(site), "PIP_NO_INDEX": "1",
            "PIP_NO_BUILD_ISOLATION": "0", "PIP_NO_DEPS": "1", "PIP_NO_CACHE_DIR": "1"}
    if github:
        env |= {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{github}.insteadOf", "GIT_CONFIG_VALUE_0": GITHUB}
    workdir = cwd or tmp_path / "content"
    workdir.mkdir(parents=True, exist_ok=True)
    program = (FAKE_COLAB if colab else "") + _cell()
    result = subprocess.run([sys.executable, "-S", "-c", program], env=env, cwd=workdir, capture_output=True,
                            text=True, timeout=300)
    # Whatever happens, the student sees plain words: no traceback, nothing on stderr, exit 0.
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "Traceback" not in result.stdout and "CalledProcessError" not in result.stdout, result.stdout
    return result, site


def test_every_release_notebook_opens_with_the_same_set_up_cell():
    expected = colab_setup.cell_source(COURSE)
    for assignment in COURSE.assignments:
        cell = read_notebook(COURSE.release_notebook(assignment)).cells[1]
        assert cell.id == COLAB_SETUP_ID and cell.source == expected, assignment
        assert cell.metadata["cellView"] == "form"   # Colab shows its title, not its code
    assert f'{colab_setup.PACKAGE} @ git+{GITHUB}@{COURSE.helpers_ref}' == COURSE.helpers_pip_spec


def test_the_course_tag_names_the_helpers_version():
    """What the cell expects (helpers_ref without its v) is what the package at this checkout says it is."""
    project = tomllib.loads((COURSE.root / "pyproject.toml").read_text())["project"]
    assert VERSION == project["version"] == helpers.__version__


def test_colab_installs_missing_helpers_and_says_so_in_one_line(tmp_path):
    repository = _repository(tmp_path / "repo")
    result, site = _run(tmp_path, colab=True, github=repository.as_uri())
    assert result.stdout == f"✅ {COURSE.title} ({COURSE.helpers_ref}): course helpers {VERSION} installed on Colab, " \
                            "ready to go.\n"
    assert (site / "helpers" / "__init__.py").read_text() == f"__version__ = {VERSION!r}\n"


def test_colab_replaces_helpers_of_another_version(tmp_path):
    repository = _repository(tmp_path / "repo")
    old = _helpers_package(tmp_path / "old", "2025.01")
    result, site = _run(tmp_path, colab=True, github=repository.as_uri(), path=(old,))
    assert "installed on Colab" in result.stdout and len(result.stdout.splitlines()) == 1, result.stdout


def test_colab_installs_nothing_when_the_helpers_are_there(tmp_path):
    there = _helpers_package(tmp_path / "there", VERSION)
    # Any install would fail: GitHub is an address where nothing listens.
    result, site = _run(tmp_path, colab=True, github="http://127.0.0.1:9/", path=(there,))
    assert result.stdout == f"✅ {COURSE.title} ({COURSE.helpers_ref}): course helpers {VERSION} found, ready to go.\n"
    assert not site.exists()


def test_colab_offline_says_no_network_and_the_command(tmp_path):
    result, _ = _run(tmp_path, colab=True, github="http://127.0.0.1:9/")
    assert result.stdout.startswith(f"❌ The course helpers could not be installed: this session cannot reach {GITHUB}")
    assert "Check that you are online" in result.stdout
    assert f'!pip install "{COURSE.helpers_pip_spec}"' in result.stdout


def test_colab_tag_not_pushed_says_so(tmp_path):
    repository = _repository(tmp_path / "repo", tag=None)
    result, _ = _run(tmp_path, colab=True, github=repository.as_uri())
    assert f"the course version {COURSE.helpers_ref} is not published in {GITHUB}" in result.stdout, result.stdout
    assert f"git push origin {COURSE.helpers_ref}" in result.stdout
    assert f'!pip install "{COURSE.helpers_pip_spec}"' in result.stdout


def test_colab_unreadable_repository_says_so(tmp_path):
    result, _ = _run(tmp_path, colab=True, github=(tmp_path / "no-such-repo").as_uri())
    assert f"{GITHUB} cannot be read (it does not exist or is private)" in result.stdout, result.stdout


def test_colab_pip_failure_shows_pips_last_words(tmp_path):
    repository = _repository(tmp_path / "repo", pyproject="[project\nthis is not TOML\n")
    result, _ = _run(tmp_path, colab=True, github=repository.as_uri())
    assert "pip could not install them. It said:" in result.stdout, result.stdout
    assert "TOMLDecodeError" in result.stdout   # the line that says what is wrong, from pip's output
    assert "Run this in a new cell to see the whole message" in result.stdout
    assert f'!pip install "{COURSE.helpers_pip_spec}"' in result.stdout


def test_local_jupyter_without_helpers_says_how_to_get_them(tmp_path):
    result, site = _run(tmp_path, colab=False, github="http://127.0.0.1:9/")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("❌ The course helpers are not installed in the Python that runs this notebook")
    assert lines[-1].strip() == f'%pip install "{COURSE.helpers_pip_spec}"'
    assert not site.exists(), "outside Colab the cell must not install anything"


def test_local_jupyter_in_the_course_folder_points_at_it(tmp_path):
    course = _helpers_package(tmp_path / "course", VERSION)   # a clone: pyproject.toml and helpers/ at its root
    (course / "pyproject.toml").write_text("")
    (course / "release" / "01_numpy_basics").mkdir(parents=True)
    result, _ = _run(tmp_path, colab=False, cwd=course / "release" / "01_numpy_basics")
    assert f"This notebook is in the course folder {course}" in result.stdout and "./run jupyter lab" in result.stdout
    assert result.stdout.splitlines()[-1].strip() == f'%pip install -e "{course}"'


def test_local_jupyter_with_other_helpers_warns(tmp_path):
    old = _helpers_package(tmp_path / "old", "2025.01")
    result, _ = _run(tmp_path, colab=False, path=(old,))
    assert result.stdout.startswith(f"⚠️ This notebook is made for the course helpers {VERSION}, but Python finds "
                                    f"version 2025.01 in {old / 'helpers'}."), result.stdout


def test_local_jupyter_with_the_helpers_says_ready(tmp_path):
    there = _helpers_package(tmp_path / "there", VERSION)
    result, _ = _run(tmp_path, colab=False, path=(there,))
    assert result.stdout == f"✅ {COURSE.title} ({COURSE.helpers_ref}): course helpers {VERSION} found, ready to go.\n"


@pytest.mark.parametrize("assignment", COURSE.assignments)
def test_a_notebook_without_helpers_says_how_to_get_them(assignment, tmp_path):
    """The import cell of every notebook turns a missing helpers package into one sentence that says what to do."""
    cell = next(c for c in read_notebook(COURSE.release_notebook(assignment)).cells if c.get("id") == "imports-tools")
    result = subprocess.run([sys.executable, "-S", "-c", cell.source], cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": ""}, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "ModuleNotFoundError: The course helpers are not installed: run the set-up cell at the top of this "
        "notebook, it says how to get them.")
