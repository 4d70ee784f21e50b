"""The grader's side of a sandboxed kernel's connection: how much of its output the grader keeps.

Whatever the kernel sends, the grader keeps at most ``output_bytes`` of a notebook's outputs (:class:`OutputBudget`)
and refuses any single message larger than ``max_message_bytes`` (ZeroMQ drops the connection instead of filling
the grader's memory).
"""

from __future__ import annotations

import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type

from .limits import MiB

OUTPUT_MESSAGES = ("stream", "display_data", "execute_result", "update_display_data", "error", "comm_open", "comm_msg")
MAX_TRACEBACK_CHARS = 20_000


def _content_size(content: dict) -> int:
    size = 0
    for value in content.values():
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, (list, tuple)):
            size += sum(len(v) if isinstance(v, str) else 64 for v in value)
        elif isinstance(value, dict):
            size += _content_size(value)
        else:
            size += 16
    return size


class OutputBudget:
    """Caps what the grader keeps of a kernel's output, whatever the kernel sends.

    Every error's traceback is cut to its end, and errors count towards the cap like any output (code in the
    kernel can show as many as it likes: ``get_ipython()._showtraceback`` in a loop). Below the cap every message
    passes. Past it: stdout, displays and widget messages are dropped (one notice says so); stderr survives as a
    one-line marker per cell and errors as the first one of each cell (nbgrader scores a test cell that wrote to
    stderr or raised 0, and that must not change). Status messages are never touched.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0
        self.exceeded = False
        self.dropped = 0
        self._stderr_marked: set[str] = set()
        self._error_kept: set[str] = set()

    def filter(self, msg: dict) -> dict | None:
        kind = msg.get("header", {}).get("msg_type")
        if kind not in OUTPUT_MESSAGES:
            return msg
        content = msg.get("content") or {}
        if kind == "error":
            traceback = content.get("traceback") or []
            if sum(len(line) for line in traceback) > MAX_TRACEBACK_CHARS:
                kept, total = [], 0
                for line in reversed(traceback):
                    total += len(line)
                    if total > MAX_TRACEBACK_CHARS:
                        break
                    kept.append(line)
                content["traceback"] = ["[traceback cut by the grader]"] + kept[::-1]
            content["evalue"] = str(content.get("evalue", ""))[:MAX_TRACEBACK_CHARS]
        self.used += _content_size(content)
        if self.used <= self.limit:
            return msg
        parent = msg.get("parent_header", {}).get("msg_id", "")
        if kind == "error":
            self.exceeded = True
            if parent in self._error_kept:
                self.dropped += 1
                return None
            self._error_kept.add(parent)
            return msg
        if not self.exceeded:
            self.exceeded = True
            self.dropped += 1
            msg["header"]["msg_type"] = msg["msg_type"] = "stream"
            msg["content"] = {"name": "stdout", "text": (
                f"\n[grader: this notebook printed more than the output limit of {self.limit:,} bytes; "
                "the rest of its output is discarded]\n")}
            if kind == "stream" and content.get("name") == "stderr":
                msg["content"]["name"] = "stderr"
                self._stderr_marked.add(parent)
            return msg
        if kind == "stream" and content.get("name") == "stderr" and parent not in self._stderr_marked:
            self._stderr_marked.add(parent)
            content["text"] = "[stderr output discarded: output limit]\n"
            return msg
        self.dropped += 1
        return None

    def pass_on(self, msg: dict) -> dict:
        """What a client gets for ``msg``: the message :meth:`filter` keeps, or, for one it drops, a message every
        client ignores (its callers were told a message is ready)."""
        kept = self.filter(msg)
        if kept is not None:
            return kept
        msg["header"]["msg_type"] = msg["msg_type"] = "execute_input"
        msg["content"] = {"code": ""}
        return msg


class _BudgetedIOPubChannel(AsyncZMQSocketChannel):
    budget: OutputBudget | None = None

    async def get_msg(self, timeout: float | None = None) -> dict:  # type: ignore[override]
        msg = await super().get_msg(timeout=timeout)
        return msg if self.budget is None else self.budget.pass_on(msg)


class SandboxedKernelClient(AsyncKernelClient):
    """The grader's side of the connection: caps the output kept and the size of any single message."""

    iopub_channel_class = Type(_BudgetedIOPubChannel)  # type: ignore[assignment]
    max_message_bytes = 256 * MiB

    def execute(self, code: str, *args, **kwargs):  # type: ignore[override]
        # The grader's own record of which cell runs: the reference solutions answer only hidden-test cells.
        parent = self.parent
        if hasattr(parent, "current_code"):
            parent.current_code = code  # type: ignore[union-attr]
        return super().execute(code, *args, **kwargs)

    @property
    def iopub_channel(self):  # type: ignore[override]
        channel = super().iopub_channel
        parent = self.parent
        if getattr(channel, "budget", None) is None and getattr(parent, "output_budget", None) is not None:
            channel.budget = parent.output_budget
        return channel

    def _create_connected_socket(self, channel: str, identity: bytes | None = None):  # type: ignore[override]
        from jupyter_client.connect import channel_socket_types

        sock = self.context.socket(channel_socket_types[channel])
        sock.linger = 1000
        # A message larger than this drops the connection instead of filling the grader's memory.
        sock.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        if identity:
            sock.identity = identity
        if self.curve_publickey is not None:
            sock.curve_secretkey = self.curve_secretkey
            sock.curve_publickey = self.curve_publickey
            sock.curve_serverkey = self.curve_publickey
        sock.connect(self._make_url(channel))
        return sock
