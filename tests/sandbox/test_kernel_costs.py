"""What a sandboxed kernel is spared at start-up, and how its CPU time is measured.

Each kernel gets the grader's matplotlib font list in its own private /tmp (built once, in a sandbox where no
student code runs), does not import ipykernel's debugger, and its CPU time is read from its process tree before it
is killed. These tests need bubblewrap, as tests/sandbox/test_sandbox.py does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_core.utils import run_sync

from coursetools import sandbox
from coursetools.grading import kernels
from coursetools.sandbox import bubblewrap, fonts


@pytest.fixture(scope="module", autouse=True)
def _need_bubblewrap():
    ok, reason = sandbox.available()
    assert ok, f"bubblewrap is needed for these tests (apt-get install bubblewrap): {reason}"


def _spec(tmp_path: Path, files: dict[str, str]) -> sandbox.SandboxSpec:
    runtime = tmp_path / "runtime"
    (runtime / "ipc").mkdir(parents=True)
    (runtime / "reference").mkdir()
    (runtime / "reference" / "__init__.py").write_text(bubblewrap.REFERENCE_STUB)
    workdir = tmp_path / "work"
    workdir.mkdir()
    uid = bubblewrap._sandbox_uid() if os.geteuid() == 0 else None
    if uid is not None:
        bubblewrap._chown_tree(workdir, uid)
    return sandbox.SandboxSpec(workdir=workdir, runtime_dir=runtime, uid=uid, files=files)


def _launcher_config(command: list[str]) -> dict:
    return json.loads(command[command.index(bubblewrap.LAUNCHER) + 1])


def test_the_launcher_writes_files_into_the_private_tmp_only(tmp_path):
    spec = _spec(tmp_path, {"/tmp/.cache/seed.txt": "seeded", "/etc/evil": "no", "/tmp/../etc/evil": "no"})
    code = ("import os; s = os.stat('/tmp/.cache/seed.txt'); "
            "print(open('/tmp/.cache/seed.txt').read(), s.st_uid == os.getuid(), os.path.exists('/etc/evil'))")
    command = spec.command([sys.executable, "-I", "-c", code])
    assert list(_launcher_config(command)["files"]) == ["/tmp/.cache/seed.txt"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    # Written before the kernel starts, owned by the kernel's user (so it can be rewritten), nowhere but /tmp.
    assert result.stdout.split() == ["seeded", "True", "False"], result.stderr
    assert not (tmp_path / "runtime" / "ipc" / "seed.txt").exists()


def test_the_font_list_is_built_once_per_process():
    before = fonts._build.cache_info().misses
    first = fonts.font_files(bubblewrap.bwrap_path() or "bwrap")
    second = fonts.font_files(bubblewrap.bwrap_path() or "bwrap")
    assert first == second and fonts._build.cache_info().misses <= before + 1
    [(path, text)] = first.items()
    assert path.startswith("/tmp/.matplotlib/fontlist-v") and path.endswith(".json")
    assert json.loads(text)["ttflist"], "a font list names the fonts matplotlib found"


def test_the_font_list_is_kept_in_the_cache_folder_for_the_next_batch(tmp_path, monkeypatch):
    """A later process reads the list the first one built; other sandbox settings make another list."""
    monkeypatch.setenv("COURSETOOLS_CACHE", str(tmp_path / "cache"))
    bwrap = bubblewrap.bwrap_path() or "bwrap"
    fonts._build.cache_clear()
    built = fonts.font_files(bwrap)
    [kept] = (tmp_path / "cache" / "fonts").glob("fontlist-*.json")
    assert json.loads(kept.read_text())["text"] == next(iter(built.values()))

    def no_sandbox(*args, **kwargs):
        raise AssertionError("the list was built again")

    fonts._build.cache_clear()  # as a new process: only the cache folder is left
    monkeypatch.setattr(fonts.subprocess, "run", no_sandbox)
    assert fonts.font_files(bwrap) == built
    monkeypatch.undo()
    monkeypatch.setenv("COURSETOOLS_CACHE", str(tmp_path / "cache"))
    fonts._build.cache_clear()
    assert fonts.font_files(bwrap, hide=(tmp_path / "hidden",))  # built anew (not read from the first one's)
    assert len(list((tmp_path / "cache" / "fonts").glob("fontlist-*.json"))) == 2
    fonts._build.cache_clear()


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_kernel_uses_the_font_list_has_no_debugger_and_its_cpu_is_measured(tmp_path, warm):
    workdir = tmp_path / "submission"
    workdir.mkdir()
    km = kernels.start_kernel(workdir, ["--HistoryManager.hist_file=:memory:"], sandbox.SandboxSettings(warm=warm))
    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kernels.wait_for_ready)(kc, 60)
        kernels.bind(km, None)
        code = ("import io, logging, os, sys, time\n"
                "log = io.StringIO(); logging.basicConfig(level=logging.DEBUG, stream=log)\n"
                "preloaded = 'matplotlib.font_manager' in sys.modules\n"
                "import matplotlib, matplotlib.font_manager as fm\n"
                "print('cache used:', 'Using fontManager instance from /tmp/' in log.getvalue())\n"
                "print('preloaded:', preloaded)\n"
                "fonts = [f.fname for f in fm.fontManager.ttflist]\n"
                "print('fonts shown:', bool(fonts) and all(os.path.exists(f) for f in fonts))\n"
                "print('cache folder:', os.path.isdir(matplotlib.get_cachedir()) and matplotlib.get_cachedir())\n"
                "print('debugger:', sys.modules.get('debugpy') is not None)\n"
                "end = time.process_time() + 0.5\n"
                "while time.process_time() < end: pass\n")
        outputs = []
        run_sync(kc.execute_interactive)(code, timeout=60, output_hook=outputs.append)
        text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
        # Cold, the kernel reads the grader's list from its /tmp; warm, the template read it before the fork.
        assert ("preloaded: True" if warm else "cache used: True") in text, text
        assert "debugger: False" in text and "fonts shown: True" in text, text
        assert "cache folder: /tmp/" in text, text  # matplotlib's folder exists, in the kernel's private /tmp
    finally:
        kc.stop_channels()
        kernels.shutdown(km)
    assert (km.warm_pid is not None) == warm
    cpu = kernels.kernel_cpu(km)
    # The cell burned 0.5 CPU-s: counted as the cells', after the kernel was killed.
    assert 0.5 <= cpu["kernel.cells"] < 30 and cpu["kernel.startup"] > 0.01, cpu
    # A kernel that graded nothing (the probe's, a spare discarded) is counted once in the batch's "kernel.idle".
    kernels.take_idle_cpu()
    kernels.count_as_idle(km)
    assert kernels.take_idle_cpu()["kernel.idle"] == pytest.approx(
        cpu["kernel.startup"] + cpu["kernel.cells"] + cpu["sandbox.bwrap"])
    assert kernels.take_idle_cpu()["kernel.idle"] == 0.0


def test_unsandboxed_kernels_get_one_blas_thread_too():
    env = kernels.kernel_environment()
    assert env["NBGRADER_EXECUTION"] == "autograde"
    assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
