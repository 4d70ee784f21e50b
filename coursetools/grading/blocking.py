"""nbclient's ``execute_cell`` driven by one blocking loop over the kernel's sockets instead of asyncio tasks.

nbclient runs every cell as three asyncio tasks (the shell reply, the IOPub output, a liveness check every second)
over ZeroMQ's asyncio sockets, and enters an event loop for each cell: for a notebook of 01's size, about 170
messages, that costs the grader more CPU than decoding the messages does. :class:`BlockingExecuteCell` waits on the
same two sockets with one ``zmq.Poller`` and hands every message to nbclient's own handling, so what a cell ends
up holding is nbclient's by construction:

* IOPub messages go through the channel's output budget (:mod:`coursetools.sandbox.connection`) and then
  ``process_message`` (outputs, ``clear_output``, display ids, widgets, execution counts, timing); a message that
  cannot be read (only the student's code can send one) is dropped and counted, where nbclient would stop the
  notebook with an error of the grader's;
* the shell reply is matched by its parent, timed, and waited for the idle status for ``iopub_timeout`` seconds;
* the kernel is checked every second while no reply has come (``DeadKernelError``), and at the cell's limit the
  timeout is handled by ``_async_handle_timeout`` (interrupt, ``error_on_timeout``), as nbclient does;
* hooks, ``raises-exception`` and ``allow_errors`` as in nbclient.

Configurations it does not cover (``coalesce_streams``, no ``error_on_timeout``, coroutine hooks, no interrupt on
timeout) run nbclient's own ``execute_cell``. ``tests/grading/test_blocking.py`` holds the two to the same
notebooks.
"""

from __future__ import annotations

import inspect
import math
import time
from collections import Counter
from typing import Any

import zmq
from nbclient.client import NotebookClient, timestamp
from nbclient.exceptions import CellExecutionComplete, CellExecutionError, CellTimeoutError
from nbclient.util import run_sync

#: How often the kernel is checked while a cell has not answered (nbclient's ``_async_poll_kernel_alive``).
ALIVE_INTERVAL = 1.0
#: At most this many output messages are handled between two looks at the clock.
DRAIN = 200


def _hook(hook, **kwargs) -> None:
    """nbclient's ``run_hook`` for this loop: a plain hook (nbgrader's ``on_cell_executed``) is called without
    entering an event loop, which ``run_sync(run_hook)`` would do for every cell."""
    if hook is None:
        return
    result = hook(**kwargs)
    if inspect.isawaitable(result):
        async def wait():
            await result
        run_sync(wait)()


def _receive(socket: zmq.Socket, channel) -> dict | None:
    """One message from ``socket`` as the channel's ``get_msg`` would return it (identities stripped, signature
    checked, header dates parsed), or None for one that cannot be read: not signed with the kernel's key, replayed,
    not JSON, or without a header and parent header. Only code in the kernel can send such a message (the student's):
    nbclient's loop would stop the whole notebook with a grader's error; this one drops the message."""
    session = channel.session
    try:
        _, parts = session.feed_identities(socket.recv_multipart())
        msg = session.deserialize(parts)
    except (ValueError, TypeError, KeyError):
        return None
    if not (isinstance(msg.get("header"), dict) and isinstance(msg.get("parent_header"), dict)
            and isinstance(msg.get("content"), dict)):
        return None
    return msg


def _reply(msg: dict | None) -> dict | None:
    """``msg`` if it can be a cell's execute reply (its content has a status), else None: a reply the kernel
    forged for the cell (sent by the cell's code) is dropped, and the loop waits for the kernel's own."""
    if msg is None or not isinstance(msg["content"].get("status"), str):
        return None
    return msg


class BlockingExecuteCell(NotebookClient):
    """nbclient's ``NotebookClient`` with ``execute_cell`` without asyncio; put before a subclass of it (here,
    nbgrader's Execute) in the bases of a class."""

    #: False: every cell goes through nbclient's own ``execute_cell`` (what the equivalence test compares with).
    blocking = True

    def reset_execution_trackers(self) -> None:
        """nbclient's per-notebook state, and the messages dropped because they could not be read (see
        :func:`_receive`), counted by the index of the cell they came during."""
        super().reset_execution_trackers()
        self.unreadable: Counter[int] = Counter()

    def _blocking_unsupported(self) -> bool:
        if not self.blocking:
            return True
        hooks = (self.on_cell_start, self.on_cell_execute, self.on_cell_complete, self.on_cell_executed,
                 self.on_cell_error)
        return (self.coalesce_streams or not self.error_on_timeout or not self.interrupt_on_timeout
                or any(inspect.iscoroutinefunction(h) for h in hooks if h is not None))

    def execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        """Execute one code cell (see ``NotebookClient.async_execute_cell``, whose steps these are)."""
        if self._blocking_unsupported():
            return run_sync(self.async_execute_cell)(cell, cell_index, execution_count, store_history)
        assert self.kc is not None
        _hook(self.on_cell_start, cell=cell, cell_index=cell_index)
        if cell.cell_type != "code" or not cell.source.strip():
            return cell
        if self.skip_cells_with_tag in cell.metadata.get("tags", []):
            return cell
        if self.record_timing:
            cell["metadata"]["execution"] = {}
        tags = cell.metadata.get("tags", [])
        allows_errors = not self.force_raise_errors and (self.allow_errors or "raises-exception" in tags)
        _hook(self.on_cell_execute, cell=cell, cell_index=cell_index)
        msg_id = self.kc.execute(cell.source, store_history=store_history, stop_on_error=not allows_errors)
        _hook(self.on_cell_complete, cell=cell, cell_index=cell_index)
        self.code_cells_executed += 1
        cell.outputs = []
        self.clear_before_next_output = False
        reply = self._wait_for_cell(msg_id, cell, cell_index, self._get_timeout(cell))
        if execution_count:
            cell["execution_count"] = execution_count
        _hook(self.on_cell_executed, cell=cell, cell_index=cell_index, execute_reply=reply)
        content = reply["content"]
        if content["status"] == "error":
            _hook(self.on_cell_error, cell=cell, cell_index=cell_index, execute_reply=reply)
            if not (not self.force_raise_errors and (self.allow_errors or content.get("ename") in
                                                     self.allow_error_names or "raises-exception" in tags)):
                raise CellExecutionError.from_cell_and_msg(cell, content)
        self.nb["cells"][cell_index] = cell
        return cell

    def _sockets(self) -> tuple[zmq.Socket, zmq.Socket]:
        """Blocking views of the client's shell and IOPub sockets (the same ZeroMQ sockets, made once per client)."""
        kc: Any = self.kc
        cached = getattr(self, "_blocking_sockets", None)
        if cached is None or cached[0] is not kc:
            shell: zmq.Socket = zmq.Socket.shadow(kc.shell_channel.socket.underlying)
            iopub: zmq.Socket = zmq.Socket.shadow(kc.iopub_channel.socket.underlying)
            cached = self._blocking_sockets = (kc, shell, iopub)
        return cached[1], cached[2]

    def _wait_for_cell(self, msg_id: str, cell, cell_index: int, timeout: float | None) -> dict[str, Any]:
        """The cell's execute reply, once the kernel has also said it is idle again (its outputs all in ``cell``)."""
        kc: Any = self.kc
        shell, iopub = self._sockets()
        iopub_channel = kc.iopub_channel
        budget = getattr(iopub_channel, "budget", None)
        poller = zmq.Poller()
        poller.register(shell, zmq.POLLIN)
        poller.register(iopub, zmq.POLLIN)
        deadline = time.monotonic() + timeout if timeout is not None else None
        next_check = time.monotonic() + ALIVE_INTERVAL
        reply: dict[str, Any] | None = None
        replied = 0.0
        idle = False
        while True:
            now = time.monotonic()
            if reply is not None:
                if idle:
                    return reply
                if now >= replied + self.iopub_timeout:
                    if self.raise_on_iopub_timeout:
                        raise CellTimeoutError.error_from_timeout_and_cell("Timeout waiting for IOPub output",
                                                                         self.iopub_timeout, cell)
                    self.log.warning("Timeout waiting for IOPub output")
                    return reply
                wait = replied + self.iopub_timeout - now
            else:
                if now >= next_check:
                    self._check_alive()
                    next_check = now + ALIVE_INTERVAL
                if deadline is not None and now >= deadline:
                    self._check_alive()
                    # nbclient's: the kernel is interrupted, the cell's reply is ``error_on_timeout``.
                    timed_out = run_sync(self._async_handle_timeout)(timeout, cell)
                    assert timed_out is not None, "error_on_timeout is set (see _blocking_unsupported)"
                    timed_out["parent_header"] = {"msg_id": msg_id}
                    if self.record_timing:
                        cell["metadata"]["execution"]["shell.execute_reply"] = timestamp(timed_out)
                    reply = timed_out
                    replied = time.monotonic()
                    poller.unregister(shell)  # what comes on it now is for nobody (nbclient's next cell drops it)
                    continue
                wait = min(next_check, deadline if deadline is not None else next_check) - now
            ready = dict(poller.poll(math.ceil(max(0.0, wait) * 1000)))
            if iopub in ready:
                idle = self._drain_output(iopub, iopub_channel, budget, msg_id, cell, cell_index, idle)
            if shell in ready and reply is None:
                msg = self._readable(_reply(_receive(shell, kc.shell_channel)), cell_index)
                if msg is not None and msg["parent_header"].get("msg_id") == msg_id:
                    reply = msg
                    replied = time.monotonic()
                    poller.unregister(shell)
                    if self.record_timing:
                        cell["metadata"]["execution"]["shell.execute_reply"] = timestamp(msg)

    def _drain_output(self, iopub: zmq.Socket, channel, budget, msg_id: str, cell, cell_index: int,
                      idle: bool) -> bool:
        """Handle the IOPub messages waiting, at most :data:`DRAIN` of them (a kernel that floods its output must
        not keep the loop from its clock); as nbclient's ``_async_poll_output_msg``, which stops at the cell's idle
        status (later ones are read and dropped, as nbclient's next cell would). True once idle came."""
        for _ in range(DRAIN):
            if not iopub.poll(0, zmq.POLLIN):
                break
            msg = self._readable(_receive(iopub, channel), cell_index)
            if msg is None:
                continue
            if budget is not None:
                msg = budget.pass_on(msg)
            if idle or msg["parent_header"].get("msg_id") != msg_id:
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                idle = True
            except Exception:  # noqa: BLE001 - see below
                # Signed, but not a message nbclient can handle (an output whose content is not one): only code
                # in the kernel sends such a thing. It is dropped and counted, as one that cannot be read.
                self.unreadable[cell_index] += 1
        return idle

    def _readable(self, msg: dict | None, cell_index: int) -> dict | None:
        if msg is None:
            self.unreadable[cell_index] += 1
        return msg

    def _check_alive(self) -> None:
        """nbclient's check: ``DeadKernelError`` if the kernel is gone."""
        run_sync(self._async_check_alive)()
