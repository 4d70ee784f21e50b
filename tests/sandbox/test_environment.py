"""The grader's own environment: proved before a batch (a real sandboxed kernel on every worker), with the course
environment reached through a link as a new instructor sets it up; a failure is the grader's, named, never a
student's "kernel died"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coursetools import sandbox
from coursetools.grading import probe
from coursetools.grading.job import GradingSettings

pytestmark = pytest.mark.skipif(not sandbox.available()[0], reason="needs bubblewrap")


def _broken() -> sandbox.SandboxSettings:
    """A sandbox in which the course environment's packages are hidden: no kernel can start in it."""
    site = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())
    return sandbox.SandboxSettings(hide=(site,))


def test_a_kernel_starts_with_the_environment_behind_a_link(tmp_path):
    """``.venv`` a link to an environment elsewhere: the kernel is started through the link, and finds it."""
    link = tmp_path / "venv-link"
    link.symlink_to(os.path.realpath(sys.prefix), target_is_directory=True)
    repository = Path(__file__).resolve().parents[2]
    code = (f"import sys; sys.path.insert(0, {str(repository)!r})\n"
            "from coursetools import sandbox\nfrom coursetools.grading import probe\n"
            "print(sys.prefix); print(probe.kernel_starts(sandbox.SandboxSettings(), []))")
    result = subprocess.run([str(link / "bin" / "python"), "-c", code], capture_output=True, text=True, timeout=300,
                            cwd=str(repository))
    lines = result.stdout.strip().splitlines()
    assert result.returncode == 0, result.stderr[-2000:]
    assert lines[0] == str(link) and lines[-1].startswith("(True"), result.stdout + result.stderr[-2000:]


def test_the_probe_names_why_a_kernel_does_not_start():
    ok, why = probe.kernel_starts(_broken(), [])
    assert not ok and "a sandboxed kernel does not start" in why
    assert "Error" in why or "No module" in why, why


def test_autograde_refuses_a_batch_its_workers_cannot_grade(dask_client):
    from traitlets.config import Config

    from coursetools.grading.batch import check_workers
    from coursetools.grading.kernels import kernel_arguments

    arguments = kernel_arguments(Config())
    with pytest.raises(sandbox.SandboxUnavailable, match="Cannot start a sandboxed kernel on 2 of 2 worker"):
        check_workers(dask_client, GradingSettings(sandbox=_broken()), arguments)
    assert "Sandbox:" in check_workers(dask_client, GradingSettings(), arguments)


def test_a_kernel_that_dies_before_any_cell_is_a_grading_error(tmp_path):
    from coursetools.grading import batch, worker
    from coursetools.grading.job import Job
    from coursetools.grading.results import ERROR
    from tests.support.course import REFERENCE, TINY, answered, make_course

    cd = make_course(tmp_path / "course")
    kit, _, _ = batch.build_kit(cd, TINY, GradingSettings(sandbox=_broken()))
    import nbformat

    job = Job("alice", TINY, {TINY: nbformat.writes(answered(cd, REFERENCE)).encode()}, {}, prewarm=False)
    result = worker.grade(job, kit)
    assert result.status == ERROR, (result.status, result.reason)
    assert "grader's environment, not the submission" in result.reason


def test_when_warm_kernels_die_at_start_the_probe_proves_cold_ones(tmp_path, monkeypatch):
    """A template that answers but whose kernels never come up: the batch is not refused, kernels start cold."""
    from coursetools.sandbox import warm

    fake = tmp_path / "template.py"
    fake.write_text("import json, os, sys\nprint('ready', flush=True)\n"
                    "for line in sys.stdin:\n    print(json.dumps({'pid': os.getpid()}), flush=True)\n")
    monkeypatch.setattr(warm, "TEMPLATE", fake)
    monkeypatch.setattr(warm, "_templates", {})
    monkeypatch.setattr(warm, "_stopped", False)
    monkeypatch.setattr(probe, "_proved", {})
    monkeypatch.setattr(probe, "STARTUP_TIMEOUT", 5.0)
    ok, why = probe.kernel_starts(sandbox.SandboxSettings(), [])
    assert ok, why
    assert not warm.enabled()
