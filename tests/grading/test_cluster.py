"""The local cluster: workers forked from a server that imported the grading modules, and cleaned up when they end."""

import multiprocessing
import sys

import pytest

from coursetools.grading import cluster

pytestmark = pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(),
                                reason="this platform has no forkserver: workers are spawned")


def _parent_command() -> str:
    import os

    import psutil

    return " ".join(psutil.Process(os.getppid()).cmdline())


def test_workers_are_forked_from_the_forkserver(dask_client):
    answers = dask_client.run(_parent_command)
    assert len(answers) == 2
    assert all("multiprocessing.forkserver" in command for command in answers.values()), answers


def test_a_forked_worker_has_the_grading_modules_and_discards_its_spare_kernel_when_it_ends(tmp_path):
    """Imported before any task ran; and a forked worker ends without ``atexit``, so the grader's own clean-up must
    still run (here, a marker file)."""
    marker = tmp_path / "discarded"

    def preloaded() -> bool:  # defined here, so Dask sends it by value: running it imports nothing of the tests
        return "coursetools.grading.worker" in sys.modules

    def register(path: str) -> None:
        from pathlib import Path

        from coursetools.grading import kernels

        kernels.discard_spare_kernel = lambda: Path(path).write_text("discarded")
        kernels._discard_at_exit()  # what the first kernel started in this process does

    client, local = cluster.start(1, None)
    try:
        assert list(client.run(preloaded).values()) == [True]
        client.run(register, str(marker))
        assert not marker.exists()
    finally:
        client.close()
        local.close()  # not cluster.close(): its explicit discard would hide the one at exit
    assert marker.read_text() == "discarded"
