"""The course's helpers compiled to bytecode by the grader, once per grader process, before its kernels import them.

A sandboxed kernel sees ``helpers/`` read-only, so when the helpers have no up-to-date bytecode (a fresh checkout,
an edited helper, or an environment with ``PYTHONDONTWRITEBYTECODE``), every kernel compiles them again: about
0.02-0.03 CPU-s per submission on the 2-core machine. The grader writes the bytecode where Python looks for it
(``__pycache__``, beside the sources); a kernel only reads it, and Python checks it against the source's time stamp
and size as usual. The folder the sandbox replaces with a stub (the reference solutions) is skipped.
"""

from __future__ import annotations

import compileall
import functools
import re
from pathlib import Path


@functools.cache
def compile_helpers(folder: Path, skipped: Path) -> bool:
    """Write the bytecode of the ``.py`` files under ``folder`` (not under ``skipped``) that have none or an outdated
    one; True if all did.

    Only a saving: a folder that cannot be written (a read-only checkout) is left as it is.
    """
    skip = re.compile(re.escape(str(skipped)) + r"([/\\]|$)")
    try:
        return bool(compileall.compile_dir(str(folder), quiet=2, rx=skip, workers=1))
    except OSError:
        return False
