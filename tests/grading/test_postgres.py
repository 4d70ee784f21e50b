"""The gradebook on PostgreSQL: a real server (Debian's postgresql, started here), parallel autograde through
nbgrader's db_url, and two batches writing at once; no grade may be lost on either backend.

Without the server binaries this FAILS under CI=true (CI installs them: .ci/run) and is skipped elsewhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursetools.course import settings
from coursetools.grading import batch as grading
from coursetools.grading import results
from tests.support.course import POINTS, REFERENCE, answered, make_course, scores, submit
from tests.support.postgres_server import INSTALL_HINT, PostgresServer, PostgresUnavailable, bin_dir

pytestmark = pytest.mark.slow
STUDENTS = 5


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def postgres():
    if bin_dir() is None:
        _unavailable(INSTALL_HINT)
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        _unavailable("psycopg2 is not installed (pip install psycopg2-binary, see requirements.txt)")
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as error:
        _unavailable(str(error))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client():
    from coursetools.grading import cluster as dask_cluster

    client, cluster = dask_cluster.start(2, None)
    yield client
    dask_cluster.close(client, cluster)


def _class(cd, assignment: str, n: int = STUDENTS) -> dict[str, dict[str, float]]:
    """n students: alternately right and wrong on double; returns the expected scores."""
    expected = {}
    for i in range(n):
        student = f"student-{i:02d}"
        if i % 2:
            submit(cd, student, answered(cd, {**REFERENCE, "double": "def double(x):\n    return x\n"}, assignment),
                   assignment)
            expected[student] = {**POINTS, "test_double": 0.0}
        else:
            submit(cd, student, answered(cd, REFERENCE, assignment), assignment)
            expected[student] = dict(POINTS)
    return expected


def test_parallel_autograde_into_postgresql(postgres, client, tmp_path):
    url = postgres.create_database("gradebook_one")
    cd = make_course(tmp_path / "course", db_url=url)
    assert cd.db_url.startswith("postgresql")
    expected = _class(cd, "tiny")
    batch = grading.autograde("tiny", cd, client=client, progress=False)
    assert {r.status for r in batch.results} == {results.GRADED}
    assert scores(cd) == expected
    again = grading.autograde("tiny", cd, client=client, progress=False)
    assert sorted(again.skipped) == sorted(expected), "unchanged submissions are found in PostgreSQL and skipped"


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_two_autograde_processes_writing_at_once_lose_no_grade(backend, postgres, tmp_path):
    """Two instructors grading two assignments at the same time: two processes, each its own single writer."""
    url = postgres.create_database("gradebook_two") if backend == "postgresql" else None
    cd = make_course(tmp_path / "course", db_url=url, assignment="tiny_a")
    make_course(cd.root, db_url=cd.db_url, assignment="tiny_b")
    expected = {a: _class(cd, a) for a in ("tiny_a", "tiny_b")}
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    runs = [subprocess.Popen([sys.executable, "-m", "coursetools", "autograde", a, "--root", str(cd.root),
                              "--db-url", cd.db_url, "--workers", "1", "--no-progress"],
                             cwd=settings.load().root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for a in expected]
    outputs = [run.communicate(timeout=900) for run in runs]
    for run, (out, err) in zip(runs, outputs):
        assert run.returncode == 0, out[-2000:] + err[-2000:]
        assert "locked" not in out + err
    for assignment, want in expected.items():
        assert scores(cd, assignment) == want, assignment
        for student in want:
            assert results.load(cd.autograded_dir(student, assignment)).status == results.GRADED
