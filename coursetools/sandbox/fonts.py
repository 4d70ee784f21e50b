"""Matplotlib's font list for sandboxed kernels, built once per grader process instead of once per submission.

Matplotlib keeps the fonts it found in ``fontlist-v<version>.json`` in its cache folder; a kernel whose cache folder
is the sandbox's fresh private ``/tmp`` scans every font of the system again when a notebook imports pyplot (about
0.35 CPU-s a submission). The list is the same for every kernel: the fonts of the system folders the sandbox
shows. So the grader builds it once, in a sandbox of its own in which no student code ever runs
(:func:`font_files`), and every kernel's launcher writes that list into its own ``/tmp`` before the kernel starts.
Nothing passes from one submission to another: each kernel gets a fresh copy of the grader's list, in its own
``/tmp``.

The list is also kept in the grader's cache folder (:func:`coursetools.course.settings.cache_dir`, never shown in a
sandbox), under a name made from everything it depends on: the Python and matplotlib, bubblewrap, the sandbox's
shown and hidden folders, and every file of the font folders matplotlib and fontconfig read (name, size, time).
So each batch's workers read it instead of building it (about 0.4 CPU-s a worker), and a font installed or removed
makes a new list.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..course import settings
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


#: The font folders matplotlib scans on Linux (``font_manager.X11FontDirectories``, the system's) and fontconfig's
#: configuration (``fc-list`` lists what it names); matplotlib's own fonts are added from its installed package.
FONT_FOLDERS = ("/usr/X11R6/lib/X11/fonts", "/usr/X11/lib/X11/fonts", "/usr/share/fonts", "/usr/local/share/fonts",
                "/usr/lib/openoffice/share/fonts/truetype", "/etc/fonts")


def _fingerprint(bwrap: str, show: tuple[Path, ...], hide: tuple[Path, ...]) -> str:
    """A digest of everything the font list depends on (see the module's docstring)."""
    spec = importlib.util.find_spec("matplotlib")
    packages = (spec.submodule_search_locations or []) if spec else []
    folders = list(FONT_FOLDERS) + [os.path.join(p, "mpl-data", "fonts") for p in packages]
    try:
        version = importlib.metadata.version("matplotlib")
    except importlib.metadata.PackageNotFoundError:
        version = None
    digest = hashlib.sha256(json.dumps([sys.executable, sys.version, version, bwrap, [str(p) for p in show],
                                        [str(p) for p in hide], folders]).encode())
    for folder in folders:
        for root, _, files in sorted(os.walk(folder)):
            for name in sorted(files):
                try:
                    stat = os.stat(os.path.join(root, name))
                except OSError:
                    continue
                digest.update(f"{root}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def _cached(path: Path) -> tuple[tuple[str, str], ...] | None:
    try:
        built = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return ((built["path"], built["text"]),) if _valid(built) else None


def _keep(path: Path, built: dict) -> None:
    """Write the list to the cache folder, atomically (two workers may build it at once)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps(built), encoding="utf-8")
        os.replace(scratch, path)
    except OSError:
        pass  # a cache only


def _valid(built) -> bool:
    if not isinstance(built, dict):
        return False
    path, text = built.get("path"), built.get("text")
    return (isinstance(path, str) and isinstance(text, str) and path.startswith("/tmp/") and ".." not in path
            and len(text) <= MAX_FONT_LIST)


@functools.cache
def _build(bwrap: str, show: tuple[Path, ...], hide: tuple[Path, ...]) -> tuple[tuple[str, str], ...]:
    kept = settings.cache_dir() / "fonts" / f"fontlist-{_fingerprint(bwrap, show, hide)}.json"
    cached = _cached(kept)
    if cached is not None:
        return cached
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
    if not _valid(built):
        return ()
    _keep(kept, {"path": built["path"], "text": built["text"]})
    return ((built["path"], built["text"]),)
