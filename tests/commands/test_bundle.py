"""bundle: the student distribution has what students need and no solution code or hidden test."""

from __future__ import annotations

import zipfile

import pytest

from coursetools.commands.bundle import BundleLeak, bundle, check, secrets, student_requirements
from coursetools.course import settings

COURSE = settings.load()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return bundle(tmp_path_factory.mktemp("bundle") / "students", archive=True)


def test_bundle_has_what_students_need(built):
    root = built.path
    for assignment in COURSE.assignments:
        assert (root / "release" / assignment / f"{assignment}.ipynb").read_bytes() == \
            COURSE.release_notebook(assignment).read_bytes()
    assert (root / "helpers" / "__init__.py").is_file() and (root / "helpers" / "checks" / "__init__.py").is_file()
    assert (root / "helpers" / "data" / "train_catvnoncat.h5").is_file()
    assert sorted(p.name for p in (root / "img").iterdir()) == sorted(p.name for p in (COURSE.root / "img").iterdir())
    for name in ("requirements.txt", "README.md", "pyproject.toml"):
        assert (root / name).is_file()
    requirements = (root / "requirements.txt").read_text()
    assert "numpy==" in requirements and "jupyterlab" in requirements
    assert "nbgrader" not in requirements and "pytest" not in requirements


def test_bundle_has_no_solution_and_no_hidden_test(built):
    root = built.path
    assert not (root / "helpers" / "reference").exists()
    assert not list(root.rglob("__pycache__"))
    assert secrets(list(COURSE.assignments)), "the leak check must know some solution lines"
    check(root)  # raises on any leak
    with zipfile.ZipFile(built.archive) as z:
        names = z.namelist()
    assert not [n for n in names if n.startswith("helpers/reference")]
    assert f"release/{COURSE.assignments[0]}/{COURSE.assignments[0]}.ipynb" in names


def test_leak_check_catches_solution_code_and_reference(built, tmp_path):
    import shutil

    copy = tmp_path / "leaky"
    shutil.copytree(built.path, copy)
    line, origin = next(iter(secrets(list(COURSE.assignments)).items()))
    (copy / "helpers" / "extra.py").write_text(f"# oops\n{line}\n")
    (copy / "helpers" / "reference").mkdir()
    with pytest.raises(BundleLeak) as error:
        check(copy)
    assert "helpers/extra.py" in str(error.value) and "helpers/reference" in str(error.value)


def test_existing_folder_needs_force(built):
    with pytest.raises(FileExistsError):
        bundle(built.path)


def test_student_requirements_drop_instructor_tools():
    text = student_requirements(COURSE.root)
    assert "psycopg2" not in text and "distributed" not in text and "matplotlib==" in text


def test_an_assignment_that_shows_earlier_solutions_waits_for_their_due_date(monkeypatch):
    import datetime

    from coursetools.commands.bundle import TooEarly, check_release_order

    course = settings.load()
    assert course.released_after() == {"05_deep_cats": "04_deep_network"}
    due = datetime.datetime(2026, 12, 1, 23, 59, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(type(course), "deadlines", lambda self: _Due(due))
    with pytest.raises(TooEarly, match="05_deep_cats shows the solutions of 04_deep_network"):
        check_release_order(["04_deep_network", "05_deep_cats"], now=due - datetime.timedelta(hours=1))
    check_release_order(["04_deep_network", "05_deep_cats"], now=due + datetime.timedelta(seconds=1))
    check_release_order(["01_numpy_basics"], now=due - datetime.timedelta(days=30))


class _Due:
    """Deadlines with 04 due at ``due``."""

    def __init__(self, due):
        self.due = due

    def due_for(self, assignment):
        return self.due if assignment == "04_deep_network" else None
