"""Matplotlib's font list for sandboxed kernels, built once per grader process instead of once per submission.

Matplotlib keeps the fonts it found in ``fontlist-v<version>.json`` in its cache folder; a kernel whose cache folder
is the sandbox's fresh private ``/tmp`` scans every font of the system again when a notebook imports pyplot (about
0.35 CPU-s a submission). The list is the same for every kernel: the fonts of the system folders the sandbox
shows. So the grader builds it once, in a sandbox of its own in which no student code ever runs
(:func:`font_files`), and every kernel's launcher writes that list into its own ``/tmp`` before the kernel starts.
Nothing passes from one submission to another: each kernel gets a fresh copy of the grader's list, in its own
``/tmp``.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .bubblewrap import REFERENCE_STUB, SandboxSpec
from .limits import Limits

#: Run inside the grader's own sandbox: import matplotlib's font manager (which builds the list in the sandbox's
#: cache folder, ``MPLCONFIGDIR``) and print where the list is and what it holds.
BUILD = """
import json, os, sys
import matplotlib, matplotlib.font_manager as fm
path = os.path.join(matplotlib.get_cachedir(), "fontlist-v%s.json" % fm.FontManager.__version__)
with open(path, encoding="utf-8") as f:
    sys.stdout.write(json.dumps({"path": path, "text": f.read()}))
"""

#: A larger list is not passed on (it travels in the launcher's command line, whose arguments are capped at 128 KiB).
MAX_FONT_LIST = 100_000
BUILD_TIMEOUT = 120.0


def font_files(bwrap: str, show: tuple[Path, ...] = (), hide: tuple[Path, ...] = ()) -> dict[str, str]:
    """``{path in the sandbox: text}`` of matplotlib's font list, built once per process; ``{}`` if it cannot be.

    Without a list every kernel builds its own, as before: the list only saves time.
    """
    return dict(_build(bwrap, tuple(show), tuple(hide)))


@functools.cache
def _build(bwrap: str, show: tuple[Path, ...], hide: tuple[Path, ...]) -> tuple[tuple[str, str], ...]:
    workdir = Path(tempfile.mkdtemp(prefix="cg-fonts-"))
    runtime = Path(tempfile.mkdtemp(prefix="cg-fonts-run-"))
    try:
        (runtime / "ipc").mkdir()
        (runtime / "reference").mkdir()
        (runtime / "reference" / "__init__.py").write_text(REFERENCE_STUB, encoding="utf-8")
        spec = SandboxSpec(workdir=workdir, runtime_dir=runtime, limits=Limits(), show=show, hide=hide, bwrap=bwrap)
        result = subprocess.run(spec.command([sys.executable, "-I", "-c", BUILD]), capture_output=True,
                                timeout=BUILD_TIMEOUT)
        built = json.loads(result.stdout) if result.returncode == 0 else {}
    except (OSError, ValueError, subprocess.SubprocessError):
        built = {}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)
    path, text = built.get("path"), built.get("text")
    if not (isinstance(path, str) and isinstance(text, str) and path.startswith("/tmp/") and ".." not in path
            and len(text) <= MAX_FONT_LIST):
        return ()
    return ((path, text),)
