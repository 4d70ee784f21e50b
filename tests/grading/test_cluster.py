"""The local cluster: workers forked from a server that imported the grading modules, and cleaned up when they end."""

import multiprocessing
import sys

import pytest

from coursetools.grading import cluster

pytestmark = pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(),
                                reason="this platform has no forkserver: workers are spawned")


def _how_started() -> tuple[str, bool]:
    return multiprocessing.get_start_method(), "coursetools.grading.worker" in sys.modules


def test_workers_are_forked_with_the_grading_modules_imported(dask_client):
    answers = dask_client.run(_how_started)
    assert len(answers) == 2
    assert set(answers.values()) == {("forkserver", True)}


def test_a_forked_worker_discards_its_spare_kernel_when_it_ends(tmp_path):
    """A forked worker ends without ``atexit``: the grader's own clean-up must still run (here, a marker file)."""
    marker = tmp_path / "discarded"

    def register(path: str) -> None:
        from pathlib import Path

        from coursetools.grading import kernels

        kernels.discard_spare_kernel = lambda: Path(path).write_text("discarded")
        kernels._discard_at_exit()  # what the first kernel started in this process does

    client, local = cluster.start(1, None)
    try:
        client.run(register, str(marker))
        assert not marker.exists()
    finally:
        client.close()
        local.close()  # not cluster.close(): its explicit discard would hide the one at exit
    assert marker.read_text() == "discarded"
