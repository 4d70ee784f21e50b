"""Warm kernels: forked from a template into a sandbox of their own, with nothing of the template's rights or of
another kernel's. These tests need bubblewrap (``.ci/run`` installs it)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from jupyter_core.utils import run_sync

from coursetools import sandbox
from coursetools.course import settings
from coursetools.sandbox import warm

REPO = settings.ROOT


@pytest.fixture(scope="module", autouse=True)
def _need_bubblewrap():
    ok, reason = sandbox.available()
    assert ok, f"bubblewrap is needed for these tests (apt-get install bubblewrap): {reason}"


class Kernel:
    """A started sandboxed kernel and its client."""

    def __init__(self, workdir: Path, isolation: sandbox.SandboxSettings | None = None):
        workdir.mkdir()
        self.workdir = workdir
        self.km = sandbox.kernel_manager(workdir, isolation or sandbox.SandboxSettings())
        run_sync(self.km.start_kernel)(cwd=str(workdir), env={**os.environ, "SECRET_TOKEN": "hunter2"})
        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=60)

    def run(self, code: str) -> str:
        """What ``code`` printed (an error's name and value if it raised)."""
        out: list[str] = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

        run_sync(self.kc.execute_interactive)(code, timeout=60, output_hook=hook)
        return "".join(out)

    def facts(self, code: str) -> dict:
        return json.loads(self.run(code + "\nimport json as _j; print(_j.dumps(facts))"))

    def stop(self) -> dict:
        self.kc.stop_channels()
        sandbox.kill(self.km)
        run_sync(self.km.shutdown_kernel)(now=True)
        return sandbox.report(self.km)


FACTS = f"""
import os, socket, sys
status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines() if ":" in l)
facts = {{"uid": os.getuid(), "caps": [status[k].strip() for k in ("CapEff", "CapPrm", "CapAmb")],
          "no_new_privs": status["NoNewPrivs"].strip(), "cwd": os.getcwd(), "env": sorted(os.environ),
          "repo": sorted(os.listdir({str(REPO)!r})), "reference": sorted(os.listdir({str(REPO / 'helpers' / 'reference')!r})),
          "stub": sys.modules["helpers.reference"].solutions.__module__,
          "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}}
try:
    socket.create_connection(("127.0.0.1", 22), timeout=2)
    facts["net"] = "connected"
except OSError as error:
    facts["net"] = error.errno
"""


def test_a_warm_kernel_joins_its_own_sandbox_and_holds_no_privilege(tmp_path):
    kernel = Kernel(tmp_path / "work")
    try:
        facts = kernel.facts(FACTS)
        refused = kernel.run("from helpers.reference import solutions\nsolutions('01_numpy_basics').sigmoid(0.0)")
    finally:
        report = kernel.stop()
    assert kernel.km.warm_pid is not None and report["warm"]
    assert facts["caps"] == ["0000000000000000"] * 3 and facts["no_new_privs"] == "1"
    assert facts["uid"] != 0
    if os.geteuid() == 0:
        assert facts["uid"] == kernel.km.sandbox_uid
    assert facts["cwd"] == str(kernel.workdir)
    assert facts["repo"] == sorted(p for p in (".venv", "helpers", "img") if (REPO / p).exists() or p == "helpers")
    assert facts["reference"] == ["__init__.py"] and facts["stub"] == "helpers.checks._grader"
    assert refused.startswith("ReferenceUnavailable")
    assert "SECRET_TOKEN" not in facts["env"] and "COURSE_GRADER_SOCKET" in facts["env"]
    assert facts["net"] != "connected"
    assert max(facts["pids"]) < 50, facts["pids"]  # a pid namespace of its own


def test_two_warm_kernels_at_once_share_nothing(tmp_path):
    first, second = Kernel(tmp_path / "first"), Kernel(tmp_path / "second")
    try:
        first.run("open('/tmp/left-behind', 'w').write('secret'); open('mine.txt', 'w').write('secret')")
        draw = "import random, numpy as np; print(random.random(), np.random.rand())"
        seen = second.facts(f"""
import os
facts = {{"tmp": os.path.exists('/tmp/left-behind'), "work": os.path.exists({str(first.workdir)!r}),
          "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}}
""")
        draws = first.run(draw), second.run(draw)
    finally:
        first.stop()
        second.stop()
    assert first.km.warm_pid and second.km.warm_pid
    assert seen["tmp"] is False and seen["work"] is False
    assert first.km.warm_pid not in seen["pids"] and len(seen["pids"]) <= 5, seen["pids"]
    assert draws[0] != draws[1]  # each kernel draws its own random numbers


def test_a_warm_kernel_that_exits_ends_its_sandbox_with_its_code(tmp_path):
    kernel = Kernel(tmp_path / "work")
    try:
        kernel.kc.execute("import os; os._exit(7)")
        deadline = time.monotonic() + 30
        while run_sync(kernel.km.is_alive)() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not run_sync(kernel.km.is_alive)()
    finally:
        report = kernel.stop()
    assert report["exit_code"] == 7 and report["warm"]


def test_kernels_start_cold_when_asked_or_when_the_template_cannot(tmp_path, monkeypatch):
    cold = Kernel(tmp_path / "asked", sandbox.SandboxSettings(warm=False))
    try:
        assert cold.run("print(6 * 7)").strip() == "42"
    finally:
        assert cold.stop()["warm"] is False
    monkeypatch.setattr(warm, "TEMPLATE", tmp_path / "no-template.py")
    monkeypatch.setattr(warm, "_templates", {})
    monkeypatch.setattr(warm, "_broken", set())
    fallback = Kernel(tmp_path / "fallback")
    try:
        assert fallback.run("print(6 * 7)").strip() == "42"
    finally:
        assert fallback.stop()["warm"] is False
    assert warm._broken  # and the process stops trying


def test_the_template_imports_nothing_of_the_course():
    """What the template holds before it forks: the libraries, never the helpers (nor the reference behind them)."""
    import subprocess
    import sys

    code = (f"import runpy, sys\ntemplate = runpy.run_path({str(warm.TEMPLATE)!r}, run_name='template')\n"
            "template['preload'](True)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('helpers', 'coursetools', 'source')))\n"
            "print('numpy' in sys.modules, 'matplotlib.pyplot' in sys.modules, 'ipykernel.kernelapp' in sys.modules)\n"
            "print('matplotlib_inline.backend_inline' in sys.modules)")
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=120, cwd="/",
                            env={**os.environ, "MPLBACKEND": warm.INLINE_BACKEND})
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stderr[-2000:]
    assert lines == ["[]", "True True True", "False"]  # the backend comes with a kernel's first figure, and its shell


def test_the_template_preloads_every_library_the_helpers_import():
    """After the template's preload, a kernel's import of the helpers imports the helpers and nothing else: the
    libraries they need are already there (HELPER_LIBRARIES), so no kernel pays for them again."""
    import subprocess
    import sys

    code = (f"import runpy, sys\ntemplate = runpy.run_path({str(warm.TEMPLATE)!r}, run_name='template')\n"
            "template['preload'](True)\nbefore = set(sys.modules)\n"
            "import helpers, helpers.checks, helpers.reference\n"
            "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] != 'helpers'))")
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=120, cwd="/",
                            env={**os.environ, "MPLBACKEND": warm.INLINE_BACKEND})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["[]"]


def test_a_closed_template_counts_its_cpu_once():
    """The CPU a template spent (its imports, its forks) is counted when it closes, for the batch's profile."""
    import sys

    warm.take_closed_cpu()  # whatever this process closed before
    template = warm.Template(sys.executable, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    try:
        spent = template.cpu_seconds()
        assert spent > 0.05  # numpy and ipykernel imported
    finally:
        template.close()
    assert warm.take_closed_cpu() >= spent
    assert warm.take_closed_cpu() == 0.0  # taken once
    assert template.cpu_seconds() == 0.0  # ended


def test_kernels_get_the_configuration_their_command_line_gives():
    """The template parses the course's kernel arguments once (parse_kernel_arguments); a kernel forked from it is
    configured exactly as by its own parse of its command line, connection file included. A kernel with other
    arguments gets a fresh application that parses its own."""
    import subprocess
    import sys

    course = ["--HistoryManager.hist_file=:memory:", "--Session.packer=json", "--IPKernelApp.log_level=ERROR"]
    first, second = ["-f", "/tmp/kernel-1.json", *course], ["-f", "/tmp/kernel-2.json", *course]
    other = ["-f", "/tmp/kernel-3.json", "--IPKernelApp.log_level=WARN"]
    code = (f"import json, runpy, sys\ntemplate = runpy.run_path({str(warm.TEMPLATE)!r}, run_name='template')\n"
            "from ipykernel.kernelapp import IPKernelApp\n"
            "def config(app): return json.loads(json.dumps(app.config, default=str))\n"
            "argv = json.loads(sys.argv[1])\n"
            "if argv[0] == 'own':\n"
            "    app = IPKernelApp.instance(); app.parse_command_line(argv[1]); print(json.dumps(config(app)))\n"
            "else:\n"
            "    template['parse_kernel_arguments'](argv[1])\n"
            "    app, rest = template['kernel_app'](argv[2])\n"
            "    app.parse_command_line(rest)\n"
            "    print(json.dumps([config(app), rest == argv[2]]))\n")

    def run(*argv) -> object:
        result = subprocess.run([sys.executable, "-I", "-c", code, json.dumps(argv)], capture_output=True, text=True,
                                timeout=120, cwd="/")
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout.splitlines()[-1])

    own = run("own", second)
    assert own["IPKernelApp"]["connection_file"] == "/tmp/kernel-2.json" and own["Session"]["packer"] == "json"
    assert run("forked", first, second) == [own, False]  # parsed by the template; the kernel parses nothing
    assert run("forked", first, other) == [run("own", other), True]  # other arguments: parsed by the kernel
