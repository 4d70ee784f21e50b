"""Settings travel as data: a Dask worker started on its own, with an environment unlike the client's, applies the
isolation and the limits the client asked for, and nothing its own environment says.

A separate ``dask scheduler`` and ``dask worker`` process are started (as on a grading cluster); the worker's
environment carries the toolkit's old knobs with other values (``COURSETOOLS_SANDBOX=off``,
``COURSETOOLS_LIMIT_CPU_SECONDS=999``), which must change nothing. The tiny assignment's answer reports, from inside
its kernel, the CPU limit it runs under and whether it is in the sandbox.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coursetools.cli import main
from coursetools.course import settings
from coursetools.grading import results
from tests.support.course import REFERENCE, TINY, answered, make_course, submit

pytestmark = pytest.mark.slow

#: The answer prints, in the kernel, its CPU limit and whether it runs in the sandbox (hostname "sandbox").
PROBE = ("import resource, socket\n"
         "print('PROBE', resource.getrlimit(resource.RLIMIT_CPU)[0], socket.gethostname())\n"
         + REFERENCE["add_one"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(process: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("dask scheduler did not start")


@pytest.fixture
def remote_cluster(tmp_path):
    """A scheduler and one worker process, started like on a cluster, the worker in an environment of its own."""
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    # The scheduler unpickles the tasks too: like the workers, it needs the course checkout importable.
    scheduler = subprocess.Popen([str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], cwd=settings.ROOT,
                                 env={**os.environ, "PYTHONPATH": str(settings.ROOT)},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        _wait_for(scheduler, port)
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(settings.ROOT),
               "LANG": "C.UTF-8", "COURSETOOLS_SANDBOX": "off", "COURSETOOLS_LIMIT_CPU_SECONDS": "999"}
        worker = subprocess.Popen([str(bin_dir / "dask"), "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1",
                                   "--nworkers", "1", "--no-dashboard", "--name", "remote-worker"],
                                  cwd=settings.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from distributed import Client

        with Client(f"tcp://127.0.0.1:{port}", timeout=60) as client:
            client.wait_for_workers(1, timeout=120)
            assert client.run(lambda: os.environ.get("COURSETOOLS_SANDBOX")) == {
                w: "off" for w in client.scheduler_info()["workers"]}
        yield f"tcp://127.0.0.1:{port}"
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def _probe(cd, student: str) -> tuple[int, str]:
    text = (cd.autograded_dir(student, TINY) / f"{TINY}.ipynb").read_text()
    match = re.search(r"PROBE (-?\d+) (\S+?)\\n", text)
    assert match, "the probe did not print"
    return int(match.group(1)), match.group(2)


def test_a_remote_worker_obeys_the_client(remote_cluster, tmp_path, capsys):
    cd = make_course(tmp_path / "course")
    submit(cd, "alice", answered(cd, {**REFERENCE, "add_one": PROBE}))
    common = ["autograde", TINY, "--root", str(cd.root), "--scheduler", remote_cluster, "--no-progress"]

    assert main([*common, "--limit", "cpu_seconds=17"]) == 0, capsys.readouterr().err
    graded = results.load(cd.autograded_dir("alice", TINY))
    assert graded.status == results.GRADED and graded.score == graded.max_score, graded.reason
    assert graded.isolation == {"sandboxed": True, "limits": {**graded.isolation["limits"], "cpu_seconds": 17}}
    assert _probe(cd, "alice") == (17, "sandbox"), "the kernel runs sandboxed under the client's CPU limit"
    assert "CPU 17 s" in capsys.readouterr().err, "the client announces the limits the worker applies"

    assert main([*common, "--no-sandbox", "--force"]) == 0, capsys.readouterr().err
    graded = results.load(cd.autograded_dir("alice", TINY))
    assert graded.isolation["sandboxed"] is False and graded.score == graded.max_score
    cpu, host = _probe(cd, "alice")
    assert host != "sandbox" and cpu != 17
    assert "WITHOUT a sandbox" in capsys.readouterr().err
