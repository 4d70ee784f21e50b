"""One progress display for autograde: a line per assignment, redrawn in place, whatever the number of batches.

The demo grades its four assignments side by side (one thread each, one cluster): four independent progress bars
would overwrite each other's lines. :class:`BatchProgress` owns the terminal instead: each batch gets a
:class:`Line` (the few methods of a tqdm bar that :func:`~.batch.autograde` uses), and the display redraws all its
lines together, at most a few times a second. On a terminal the block is redrawn in place; anywhere else (a log, a
pipe, CI) each line is printed once, when its assignment is done, so a log stays readable.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

#: Redraws per second at most (a finished line is always drawn at once).
REFRESH_SECONDS = 0.5
BAR_WIDTH = 24


class Line:
    """One assignment's line: done/total, a bar, counts by status, the time."""

    def __init__(self, display: BatchProgress, name: str, total: int):
        self.display, self.name, self.total = display, name, total
        self.done = 0
        self.postfix = ""
        self.started = time.monotonic()
        self.finished_at: float | None = None

    # the part of tqdm's interface autograde uses
    def update(self, n: int = 1) -> None:
        self.done += n
        if self.done >= self.total and self.finished_at is None:
            self.finished_at = time.monotonic()
        self.display.refresh(force=self.finished_at is not None)

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfix = text
        if refresh:
            self.display.refresh()

    def clear(self) -> None:
        """Nothing to do: the display draws its lines itself."""

    def close(self) -> None:
        if self.finished_at is None:
            self.finished_at = time.monotonic()
        self.display.finish(self)

    def render(self, width: int) -> str:
        elapsed = (self.finished_at or time.monotonic()) - self.started
        share = self.done / self.total if self.total else 1.0
        filled = int(round(BAR_WIDTH * share))
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        if self.finished_at is not None:
            when = f"done in {elapsed:.0f} s"
        elif self.done:
            when = f"{elapsed:.0f} s, about {elapsed / self.done * (self.total - self.done):.0f} s left"
        else:
            when = f"{elapsed:.0f} s"
        counts = f"  {self.postfix}" if self.postfix else ""
        return f"{self.name:<{width}}  {self.done:>3}/{self.total:<3} [{bar}] {when}{counts}"


class BatchProgress:
    """The display: ``line(name, total)`` for each batch, ``message(text)`` for a line above them, ``close()``."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True, interactive: bool | None = None,
                 order: list[str] | None = None):
        """``order``: line names in the order to show them (batches started side by side register in any order)."""
        self.stream = stream or sys.stderr
        self.order = {name: i for i, name in enumerate(order or [])}
        self.enabled = enabled
        self.interactive = (interactive if interactive is not None
                            else bool(getattr(self.stream, "isatty", lambda: False)()))
        self.lines: list[Line] = []
        self._lock = threading.RLock()
        self._drawn = 0          # lines of the block currently on the terminal
        self._last = 0.0
        self._printed: set[int] = set()

    def line(self, name: str, total: int) -> Line:
        with self._lock:
            line = Line(self, name, total)
            self.lines.append(line)
            self.lines.sort(key=lambda ln: self.order.get(ln.name, len(self.order)))
            self.refresh(force=True)
            return line

    def message(self, text: str) -> None:
        """A line of text above the progress block (a notice), printed once."""
        with self._lock:
            self._erase()
            print(text, file=self.stream, flush=True)
            self._draw()

    def refresh(self, force: bool = False) -> None:
        if not self.enabled:
            return
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < REFRESH_SECONDS:
                return
            self._last = now
            if self.interactive:
                self._erase()
                self._draw()
            else:
                self._print_finished()

    def finish(self, line: Line) -> None:
        self.refresh(force=True)

    def close(self) -> None:
        """Draw the final state (and leave it on the terminal)."""
        with self._lock:
            self.refresh(force=True)
            self._drawn = 0

    # -- drawing ------------------------------------------------------------------------------------------------
    def _width(self) -> int:
        return max([len(line.name) for line in self.lines] or [0])

    def _erase(self) -> None:
        if self.interactive and self._drawn:
            # Up to the first line of the block, then clear to the end of the screen.
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def _draw(self) -> None:
        if not (self.enabled and self.interactive and self.lines):
            return
        width = self._width()
        self.stream.write("".join(line.render(width) + "\n" for line in self.lines))
        self.stream.flush()
        self._drawn = len(self.lines)

    def _print_finished(self) -> None:
        width = self._width()
        for line in self.lines:
            if line.finished_at is not None and id(line) not in self._printed:
                self._printed.add(id(line))
                print(line.render(width), file=self.stream, flush=True)
