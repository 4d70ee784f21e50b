"""The bubblewrap sandbox of submission kernels: what it shows, hides, blocks and limits.

These tests need bubblewrap (``.ci/run`` installs it); they fail, saying why, where it cannot work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from coursetools import sandbox
from coursetools.course import settings
from coursetools.sandbox import bubblewrap
from coursetools.sandbox.connection import OutputBudget

REPO = settings.ROOT


@pytest.fixture(scope="module", autouse=True)
def _need_bubblewrap():
    ok, reason = sandbox.available()
    assert ok, f"bubblewrap is needed for these tests (apt-get install bubblewrap): {reason}"


def _spec(tmp_path: Path, **limits) -> sandbox.SandboxSpec:
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    (runtime / "ipc").mkdir()
    (runtime / "reference").mkdir()
    (runtime / "reference" / "__init__.py").write_text(bubblewrap.REFERENCE_STUB)
    workdir = tmp_path / "work"
    workdir.mkdir()
    uid = bubblewrap._sandbox_uid() if os.geteuid() == 0 else None
    if uid is not None:
        bubblewrap._chown_tree(workdir, uid)
    return sandbox.SandboxSpec(workdir=workdir, runtime_dir=runtime, limits=sandbox.Limits(**limits), uid=uid)


def _run(spec: sandbox.SandboxSpec, code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = spec.command([sys.executable, "-I", "-c", code], env or {"SECRET_TOKEN": "hunter2"})
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


# --- availability ----------------------------------------------------------------------------------------------------
def test_available_says_why():
    ok, reason = sandbox.available()
    assert ok and "bubblewrap" in reason
    missing, why = bubblewrap._probe(None)
    assert not missing and "not installed" in why
    broken, why = bubblewrap._probe("/bin/false")
    assert not broken and "cannot create a sandbox" in why


def test_no_silent_fallback(tmp_path):
    missing = sandbox.SandboxSettings(bwrap=str(tmp_path / "no-bwrap"))
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap.*--no-sandbox"):
        sandbox.kernel_manager(tmp_path, missing)
    with pytest.raises(sandbox.SandboxUnavailable):
        sandbox.require(missing)
    off = sandbox.SandboxSettings(enabled=False)
    assert type(sandbox.kernel_manager(tmp_path, off)) is AsyncKernelManager
    assert "WITHOUT a sandbox" in sandbox.require(off)


def test_limits_are_data():
    limits = sandbox.Limits().with_overrides({"cpu_seconds": "7", "memory_bytes": 1 << 30})
    assert (limits.cpu_seconds, limits.memory_bytes, limits.processes) == (7, 1 << 30, sandbox.Limits().processes)
    assert sandbox.Limits(**limits.as_dict()) == limits
    assert "CPU 7 s" in limits.describe()
    with pytest.raises(ValueError, match="unknown sandbox limit"):
        sandbox.Limits().with_overrides({"cpu": 1})
    # Settings are hashable data: a spare kernel is reused only for equal settings.
    assert hash(sandbox.SandboxSettings(limits=limits)) == hash(sandbox.SandboxSettings(limits=limits))


def test_file_system_network_user_and_environment(tmp_path):
    spec = _spec(tmp_path)
    code = f"""
import json, os, resource, socket
facts = {{"cwd": os.getcwd(), "uid": os.getuid(), "repo": sorted(os.listdir({str(REPO)!r})),
         "reference": sorted(os.listdir({str(REPO / 'helpers' / 'reference')!r})),
         "home": os.path.exists({str(Path.home())!r}) and os.listdir({str(Path.home())!r}),
         "env": sorted(os.environ), "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0]}}
open("mine.txt", "w").write("ok")
for target in [{str(REPO / 'helpers' / 'x')!r}, "/etc/x", "/usr/x", {str(tmp_path / 'outside.txt')!r}]:
    try:
        open(target, "w")
        facts[target] = "written"
    except OSError as error:
        facts[target] = type(error).__name__
try:
    socket.create_connection(("127.0.0.1", 22), timeout=2)
    facts["net"] = "connected"
except OSError as error:
    facts["net"] = error.errno
print(json.dumps(facts))
"""
    result = _run(spec, code)
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["cwd"] == str(spec.workdir) and (spec.workdir / "mine.txt").read_text() == "ok"
    assert facts["repo"] == sorted(p for p in (".venv", "helpers", "img") if (REPO / p).exists() or p == "helpers")
    assert facts["reference"] == ["__init__.py"]  # the stub, not the loader of source/
    assert not facts["home"] or facts["home"] == [Path(sys.base_prefix).relative_to(Path.home()).parts[0]]
    assert "SECRET_TOKEN" not in facts["env"] and "COURSE_GRADER_SOCKET" in facts["env"]
    assert all(facts[t] != "written" for t in facts if t.startswith("/"))
    assert not (tmp_path / "outside.txt").exists()
    assert facts["net"] != "connected"
    if os.geteuid() == 0:
        assert facts["uid"] != 0 and facts["nproc"] == sandbox.Limits().processes


def test_reference_stub_has_no_solutions(tmp_path):
    spec = _spec(tmp_path)
    code = """
from helpers.reference import solutions
ref = solutions("01_numpy_basics")
try:
    ref.sigmoid([0.0])
except Exception as error:
    print(type(error).__name__)
"""
    result = _run(spec, code)
    assert result.stdout.strip() == "ReferenceUnavailable", result.stderr


def test_resource_limits(tmp_path):
    spec = _spec(tmp_path, cpu_seconds=2, memory_bytes=1 << 30, processes=16, file_bytes=1 << 20)
    code = """
import os, time
results = {}
try:
    bytearray(4 << 30)
except MemoryError:
    results["memory"] = "MemoryError"
try:
    with open("big", "wb") as f:
        f.write(b"0" * (2 << 20))
except OSError as error:
    results["file"] = error.errno
children = []
try:
    for _ in range(64):
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)
except OSError as error:
    results["fork"] = error.errno
print(results, flush=True)
while True:
    pass
"""
    start = time.monotonic()
    result = _run(spec, code)
    assert time.monotonic() - start < 60  # the CPU limit ended the loop; the sleeping children died with it
    assert "'memory': 'MemoryError'" in result.stdout and "'file': 27" in result.stdout and "'fork': 11" in result.stdout
    assert result.returncode in sandbox.EXIT_REASONS and sandbox.EXIT_REASONS[result.returncode][0] in (
        "cpu_limit", "killed")


def test_output_budget_keeps_errors_and_stderr_marks():
    budget = OutputBudget(100)

    def message(kind, parent="a", **content):
        return {"header": {"msg_type": kind}, "msg_type": kind, "parent_header": {"msg_id": parent},
                "content": content}

    assert budget.filter(message("stream", name="stdout", text="x" * 50)) is not None
    notice = budget.filter(message("stream", name="stdout", text="x" * 100))
    assert "output limit" in notice["content"]["text"]
    assert budget.filter(message("stream", name="stdout", text="more")) is None
    marked = budget.filter(message("stream", name="stderr", text="Traceback..."))
    assert marked["content"]["name"] == "stderr"  # a cell that wrote to stderr still scores 0
    assert budget.filter(message("stream", name="stderr", text="again")) is None
    error = budget.filter(message("error", ename="E", evalue="v", traceback=["line"] * 10_000))
    assert error is not None and len(error["content"]["traceback"]) < 10_000
    assert budget.filter(message("status", execution_state="idle")) is not None
    assert budget.exceeded and budget.dropped >= 2


def test_output_budget_counts_errors_and_keeps_one_per_cell_past_it():
    """Errors shown in a loop (``_showtraceback``) fill the budget like any output; past it, each cell keeps its
    first error (it still scores 0) and no more."""
    budget = OutputBudget(10_000)

    def error(parent):
        return {"header": {"msg_type": "error"}, "msg_type": "error", "parent_header": {"msg_id": parent},
                "content": {"ename": "E", "evalue": "v" * 1000, "traceback": ["line " * 200] * 5}}

    kept = [budget.filter(error("flood")) for _ in range(1000)]
    assert 1 < sum(m is not None for m in kept) < 10 and budget.exceeded
    assert budget.filter(error("next cell")) is not None  # the next cell's own error still shows
    assert budget.filter(error("next cell")) is None


# --- a sandboxed kernel ----------------------------------------------------------------------------------------------
def _execute(kc, code: str, timeout: float = 60) -> list[dict]:
    outputs = []
    run_sync(kc.execute_interactive)(code, timeout=timeout, output_hook=lambda m: outputs.append(m))
    return [m for m in outputs if m["msg_type"] in ("stream", "error", "execute_result")]


def _drain_iopub(kc, quiet: float = 1.0) -> None:
    """Read IOPub until it has been silent for ``quiet`` seconds."""
    from queue import Empty

    while True:
        try:
            run_sync(kc.get_iopub_msg)(timeout=quiet)
        except Empty:
            return


def test_sandboxed_kernel_runs_interrupts_and_reports(tmp_path):
    workdir = tmp_path / "submission"
    workdir.mkdir()
    from coursetools.integrity import AttestationServer

    settings_ = sandbox.SandboxSettings(limits=sandbox.Limits(cpu_seconds=60, output_bytes=20_000))
    km = sandbox.kernel_manager(workdir, settings_,
                                service=lambda path, uid, code: AttestationServer(None, path, uid, code))
    assert isinstance(km, sandbox.SandboxedKernelManager) and km.transport == "ipc"
    run_sync(km.start_kernel)(cwd=str(workdir), env={**os.environ, "NBGRADER_EXECUTION": "autograde"})
    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=60)
        out = _execute(kc, "import os, numpy as np; print(os.getcwd(), os.environ.get('NBGRADER_EXECUTION'))")
        assert out[0]["content"]["text"].split() == [str(workdir), "autograde"]
        # An interrupt reaches the kernel (as a message: a signal would hit bubblewrap).
        msg_id = kc.execute("import time; time.sleep(60)")
        time.sleep(2)
        run_sync(km.interrupt_kernel)()
        reply = run_sync(kc.get_shell_msg)(timeout=20)
        assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        # Past the output budget, output is dropped; the kernel goes on.
        _execute(kc, "for _ in range(100): print('z' * 1000)")
        _drain_iopub(kc)  # on a busy machine the last pieces may come after the cell's idle status
        assert km.output_budget.exceeded
        out = _execute(kc, "print('still here')")
        assert not any("still here" in m["content"].get("text", "") for m in out)
        # The reference solutions answer only hidden tests: a student cell is refused.
        out = _execute(kc, "from helpers.reference import solutions\nsolutions('01_numpy_basics').sigmoid(0.0)")
        assert out and out[-1]["content"].get("ename") == "ReferenceUnavailable"
    finally:
        kc.stop_channels()
        sandbox.kill(km)
        run_sync(km.shutdown_kernel)(now=True)
    report = sandbox.report(km)
    assert report["sandboxed"] and "output_limit" in report["events"]
    assert report["attestation"]["refused"] and report["attestation"]["refused"][0]["cell"] is None
    assert not km.runtime_dir.exists()


def test_cpu_limit_kills_the_kernel_and_is_reported(tmp_path):
    workdir = tmp_path / "submission"
    workdir.mkdir()
    km = sandbox.kernel_manager(workdir, sandbox.SandboxSettings(limits=sandbox.Limits(cpu_seconds=6)))
    run_sync(km.start_kernel)(cwd=str(workdir))
    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=60)
        kc.execute("while True: pass")
        deadline = time.monotonic() + 60
        while run_sync(km.is_alive)() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not run_sync(km.is_alive)()
    finally:
        kc.stop_channels()
        run_sync(km.shutdown_kernel)(now=True)
    report = sandbox.report(km)
    assert report["exit_code"] == 128 + 24 and report["events"] == ["cpu_limit"], report
