"""How a grading kernel packs its messages: jupyter_client's JSON, and text that is not Unicode replaced, not lost.

A lone surrogate (``print("\\ud800")``, or text decoded with ``surrogatepass``) cannot be encoded as UTF-8.
jupyter_client's packer then raises inside ipykernel's output thread: the cell's output is lost, and the
traceback is printed to the student's stderr in whichever cell is running when it arrives, which may be a test
cell (nbgrader scores a test cell that wrote to stderr 0). Here each such character becomes U+FFFD instead,
as a text editor shows it. The grader starts its kernels with ``--Session.packer=helpers.packing.pack``
(``coursetools.course.kernel``); the messages stay JSON, which the grader reads as before.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jupyter_client.session import json_default, json_packer

#: A UTF-16 surrogate code point: in a Python string, always alone (a pair is one code point).
SURROGATE = re.compile("[\ud800-\udfff]")


def pack(obj: Any) -> bytes:
    """``obj`` as jupyter_client's ``json_packer`` packs it; lone surrogates become U+FFFD."""
    try:
        return json_packer(obj)
    except UnicodeEncodeError:
        text = json.dumps(obj, default=json_default, ensure_ascii=False, allow_nan=False)
        return SURROGATE.sub("\ufffd", text).encode("utf-8")
