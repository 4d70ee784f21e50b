"""The due dates of the gradebook (nbgrader's ``assignment.duedate``, UTC), read again at most once a minute.

The instructor may set or move a due date while the service runs (formgrader, ``nbgrader db assignment add
--duedate``, or the toolkit's own settings): the service sees it within :data:`TTL` seconds. Read with one query on
the gradebook's database, not through nbgrader's Gradebook (which checks its schema on every opening).
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from typing import Any

log = logging.getLogger("coursetools.serve")

TTL = 60.0


class DueDates:
    """``due(assignment)``: its due date in seconds since the epoch, or None."""

    def __init__(self, db_url: str, ttl: float = TTL):
        self.db_url, self.ttl = db_url, ttl
        self._engine: Any = None
        self._dates: dict[str, float | None] = {}
        self._read = 0.0
        self._lock = threading.Lock()

    def __call__(self, assignment: str) -> float | None:
        with self._lock:
            if time.monotonic() - self._read > self.ttl:
                try:
                    self._dates = self._query()
                except Exception as error:  # noqa: BLE001 - keep the dates last read; say so
                    log.warning("reading the due dates failed (%s); keeping those read before", error)
                self._read = time.monotonic()
            return self._dates.get(assignment)

    def _query(self) -> dict[str, float | None]:
        from sqlalchemy import create_engine, text

        if self._engine is None:
            self._engine = create_engine(self.db_url)
        with self._engine.connect() as connection:
            rows = connection.execute(text("SELECT name, duedate FROM assignment")).fetchall()
        return {name: _epoch(due) for name, due in rows}


def _epoch(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.timestamp()
