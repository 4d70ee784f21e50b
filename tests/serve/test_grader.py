"""The grading thread's start: the kernel that proves each worker is the kernel of its first attempt."""

from __future__ import annotations

import threading

from coursetools.grading import kernels, probe
from coursetools.grading.job import GradingSettings
from coursetools.serve import grader
from tests.support.course import make_course


def _spare(arguments: list[str], settings) -> tuple[bool, int | None]:
    """On a worker: whether its spare fits ``arguments`` and ``settings``, and which kernel manager it is."""
    spare = kernels.Spare._kernels.get(threading.get_ident())
    return kernels.Spare.fits(arguments, settings), id(spare.km) if spare else None


def _on_every_worker(client, function, *args) -> dict[str, object]:
    return {w: client.submit(function, *args, workers=[w], allow_other_workers=False, pure=False).result()
            for w in client.nthreads()}


def test_the_probe_proves_the_graded_kernel_and_the_warm_up_keeps_it(dask_client, tmp_path, monkeypatch):
    cd = make_course(tmp_path / "course")
    settings = GradingSettings()
    arguments = kernels.kernel_arguments(cd.config())
    assert arguments, "a graded kernel has arguments of the course's (the probe's must be the same)"
    monkeypatch.setattr(probe, "_proved", {})  # a proof of another test would leave no spare behind
    try:
        assert "Sandbox:" in grader.prove_workers(dask_client, cd, settings)
        proved = _on_every_worker(dask_client, _spare, arguments, settings.sandbox)
        assert all(fits for fits, _ in proved.values()), "the probe's kernel does not fit the attempts' arguments"
        _on_every_worker(dask_client, grader._warm_up, cd.config(), settings.sandbox)
        assert _on_every_worker(dask_client, _spare, arguments, settings.sandbox) == proved, \
            "the warm-up started a second kernel where the probe's was waiting"
    finally:
        kernels.Spare.discard()
