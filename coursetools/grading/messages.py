"""How the grader reads its kernels' messages: jupyter_client's JSON, with each header's date read by the standard
library.

jupyter_client turns the ``date`` of every header and parent header into a datetime with dateutil's ISO parser
(``jupyter_client.jsonutil.extract_dates``): about a sixth of the CPU the grader spends in a notebook's cell loop.
:func:`unpack`, the grader's sessions' unpacker (see :func:`.kernels.start_kernel`), reads those dates with
``datetime.fromisoformat`` as it decodes the frame, and ``extract_dates`` leaves a datetime as it is: the same
datetimes (a test compares the two on generated dates), and the cell loop about 6% cheaper
(docs/performance.md).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from jupyter_client.jsonutil import ISO8601_PAT
from jupyter_client.session import json_unpacker

from helpers.checks._protocol import too_many_values

#: The dotted name a jupyter_client ``Session`` is given as its ``unpacker``.
UNPACKER = f"{__name__}.unpack"
#: A time zone as the text ends: ``Z``, or an offset whose minutes dateutil accepts (below 60).
_ZONE = re.compile(r"(Z|[+-]\d{2}:?[0-5]\d)$")
#: The keys of a message header (a content or metadata frame is not one).
_HEADER = ("msg_id", "msg_type", "date")
#: The most JSON values one frame of a kernel's message may hold: an output is a few dozen. Decoded, JSON takes
#: many times its size (``[{},{},...]``: about 27 times), and ZeroMQ lets a frame be as large as the connection's
#: ``max_message_bytes``: a frame with more is refused before it is decoded, and the message dropped and counted.
MAX_FRAME_VALUES = 200_000


def unpack(data: bytes | str) -> Any:
    """jupyter_client's ``json_unpacker``; a header's ``date`` comes out a datetime, as ``extract_dates`` makes it.
    A frame of more than :data:`MAX_FRAME_VALUES` values is refused (``ValueError``) before it is decoded.

    A date that ``fromisoformat`` might not read as dateutil does (no time zone, where jupyter_client assumes local
    time and warns; anything else ``extract_dates`` would not parse) stays text, and jupyter_client reads it as
    before.
    """
    text = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if too_many_values(text, MAX_FRAME_VALUES):
        raise ValueError("a message frame with too many values")
    obj = json_unpacker(data)
    if type(obj) is dict and all(key in obj for key in _HEADER):
        date = obj["date"]
        if type(date) is str and ISO8601_PAT.match(date) and _ZONE.search(date):
            try:
                obj["date"] = datetime.datetime.fromisoformat(date)
            except ValueError:
                pass  # left for jupyter_client, which raises as it would have
    return obj
