"""The service's own state, in SQLite next to the course (``service/service.db``): attempts and their queue,
token hashes, browser sessions.

The gradebook stays nbgrader's (SQLite or PostgreSQL), written only by the grading thread's Recorder; this database
holds what the gradebook has no place for. WAL journal and ``synchronous=FULL``: a committed attempt survives a
crash. Each thread has its own connection; writes that must see a consistent count (the rate limits, the queue
bound, an attempt's number) run in one ``BEGIN IMMEDIATE`` transaction, so two uploads at once cannot both slip
under a limit.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import tokens as tokens_

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY, subject TEXT NOT NULL, role TEXT NOT NULL, created REAL NOT NULL,
    UNIQUE (subject, role));
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY, subject TEXT NOT NULL, role TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,          -- in URLs: not guessable, not a count
    student TEXT NOT NULL, assignment TEXT NOT NULL, number INTEGER NOT NULL,
    submitted_at REAL NOT NULL,              -- seconds since the epoch, when the upload arrived
    size INTEGER NOT NULL DEFAULT 0, sha256 TEXT NOT NULL DEFAULT '', via TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,                     -- queued, grading, done
    status TEXT NOT NULL DEFAULT '',         -- the autograde status once done (graded, timed_out, ...)
    reason TEXT NOT NULL DEFAULT '',
    score REAL, max_score REAL,
    of_record INTEGER NOT NULL DEFAULT 0,    -- the attempt whose grade is in the gradebook
    late INTEGER NOT NULL DEFAULT 0,         -- handed in after the due date
    late_penalty REAL NOT NULL DEFAULT 0,    -- nbgrader's, for the attempt of record
    dispatch INTEGER,                        -- the order attempts went to the grader (fair turns)
    started_at REAL, finished_at REAL,
    UNIQUE (student, assignment, number));
CREATE INDEX IF NOT EXISTS attempts_state ON attempts (state);
CREATE INDEX IF NOT EXISTS attempts_student ON attempts (student, assignment, submitted_at);
"""

QUEUED, GRADING, DONE = "queued", "grading", "done"
HOUR, DAY = 3600.0, 86400.0


@dataclass
class Attempt:
    id: int
    public_id: str
    student: str
    assignment: str
    number: int
    submitted_at: float
    size: int
    sha256: str
    via: str
    state: str
    status: str
    reason: str
    score: float | None
    max_score: float | None
    of_record: bool
    late: bool
    late_penalty: float
    dispatch: int | None
    started_at: float | None
    finished_at: float | None

    @property
    def shown_status(self) -> str:
        """What the API calls it: ``queued``, ``grading``, then the autograde status."""
        return self.status if self.state == DONE else self.state


class Refused(Exception):
    """An upload the service will not take now: the HTTP status, a message for the student, when to retry."""

    def __init__(self, status: int, message: str, retry_after: float | None = None, next_at: float | None = None):
        super().__init__(message)
        self.status, self.message, self.retry_after, self.next_at = status, message, retry_after, next_at


def _when(t: float, now: float) -> str:
    """A moment for a student: local time with its zone, and how long from now."""
    import datetime

    moment = datetime.datetime.fromtimestamp(t).astimezone()
    today = datetime.datetime.fromtimestamp(now).astimezone().date()
    clock = moment.strftime("%H:%M %Z") if moment.date() == today else moment.strftime("%Y-%m-%d %H:%M %Z")
    minutes = max(1, int((t - now + 59) // 60))
    wait = f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes < 120 else f"{minutes / 60:.1f} hours"
    return f"{clock} (in {wait})"


class Store:
    """The service's database in ``folder`` (created on first use), and its HMAC key."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "service.db"
        self.key = tokens_.load_key(folder)
        self._local = threading.local()
        self._write = threading.Lock()
        with self._write:
            self._conn().executescript(SCHEMA)

    # -- connections ------------------------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            self._local.conn = conn
        return conn

    def _tx(self, fn: Callable[[sqlite3.Connection], object]):
        """Run ``fn`` in one write transaction (one writer at a time in this process, others wait)."""
        with self._write:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                value = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return value

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- tokens -----------------------------------------------------------------------------------------------------
    def set_token(self, subject: str, role: str, token: str) -> None:
        """Keep (the hash of) ``token`` for ``subject``; a previous token of the same subject stops working."""
        value = tokens_.digest(self.key, token)

        def write(conn):
            conn.execute("DELETE FROM tokens WHERE subject = ? AND role = ?", (subject, role))
            conn.execute("INSERT INTO tokens VALUES (?, ?, ?, ?)", (value, subject, role, time.time()))
        self._tx(write)

    def who(self, token: str) -> tuple[str, str] | None:
        """``(subject, role)`` of a token, or None."""
        if not token or len(token) > 200:
            return None
        value = tokens_.digest(self.key, token)
        row = self._conn().execute("SELECT digest, subject, role FROM tokens WHERE digest = ?", (value,)).fetchone()
        if row is None or not tokens_.same(row["digest"], value):
            return None
        return row["subject"], row["role"]

    def subjects(self, role: str) -> list[str]:
        return [r[0] for r in self._conn().execute("SELECT subject FROM tokens WHERE role = ? ORDER BY subject",
                                                   (role,))]

    # -- sessions ---------------------------------------------------------------------------------------------------
    def new_session(self, subject: str, role: str, hours: float) -> str:
        secret = secrets.token_urlsafe(32)
        now = time.time()

        def write(conn):
            conn.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            conn.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                         (tokens_.digest(self.key, secret), subject, role, now + hours * HOUR))
        self._tx(write)
        return secret

    def session(self, secret: str) -> tuple[str, str] | None:
        if not secret or len(secret) > 200:
            return None
        value = tokens_.digest(self.key, secret)
        row = self._conn().execute("SELECT digest, subject, role, expires FROM sessions WHERE digest = ?",
                                   (value,)).fetchone()
        if row is None or row["expires"] < time.time() or not tokens_.same(row["digest"], value):
            return None
        return row["subject"], row["role"]

    def end_session(self, secret: str) -> None:
        value = tokens_.digest(self.key, secret)
        self._tx(lambda conn: conn.execute("DELETE FROM sessions WHERE digest = ?", (value,)))

    def csrf(self, secret: str) -> str:
        """The CSRF token of a session: derived from it, so nothing more is stored."""
        return tokens_.digest(self.key, "csrf:" + secret)[:40]

    # -- attempts ---------------------------------------------------------------------------------------------------
    @staticmethod
    def _attempt(row) -> Attempt:
        data = dict(row)
        data["of_record"], data["late"] = bool(data["of_record"]), bool(data["late"])
        return Attempt(**data)

    def admit(self, student: str, assignment: str, now: float, per_hour: int, per_day: int, queue_limit: int,
              write: Callable[[int, str], dict]) -> Attempt:
        """Check the limits, then write the attempt (``write(number, public_id)`` puts it on disk and returns its
        size, sha256, via and late) and queue it, in one transaction. Raises :class:`Refused`."""

        def admit_(conn):
            waiting = conn.execute("SELECT COUNT(*) FROM attempts WHERE state = ?", (QUEUED,)).fetchone()[0]
            if waiting >= queue_limit:
                raise Refused(503, f"The grader has {waiting} notebooks waiting, as many as it takes at once. Your "
                                   f"notebook was not handed in: please try again in a few minutes.", retry_after=120)
            times = [r[0] for r in conn.execute(
                "SELECT submitted_at FROM attempts WHERE student = ? AND assignment = ? AND submitted_at > ? "
                "ORDER BY submitted_at", (student, assignment, now - DAY))]
            self._check_rate(assignment, times, now, per_hour, per_day)
            number = 1 + (conn.execute("SELECT COALESCE(MAX(number), 0) FROM attempts WHERE student = ? AND "
                                       "assignment = ?", (student, assignment)).fetchone()[0])
            public_id = secrets.token_urlsafe(12)
            facts = write(number, public_id)
            conn.execute(
                "INSERT INTO attempts (public_id, student, assignment, number, submitted_at, size, sha256, via, "
                "state, late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (public_id, student, assignment, number, now, facts["size"], facts["sha256"], facts["via"], QUEUED,
                 int(bool(facts.get("late")))))
            return public_id

        public_id = self._tx(admit_)
        attempt = self.get(public_id)
        assert attempt is not None
        return attempt

    @staticmethod
    def _check_rate(assignment: str, times: list[float], now: float, per_hour: int, per_day: int) -> None:
        in_hour = [t for t in times if t > now - HOUR]
        waits = []
        if len(in_hour) >= per_hour:
            waits.append((in_hour[-per_hour] + HOUR, f"{len(in_hour)} times in the last hour (the course allows "
                                                     f"{per_hour} an hour)"))
        if len(times) >= per_day:
            waits.append((times[-per_day] + DAY, f"{len(times)} times in the last 24 hours (the course allows "
                                                 f"{per_day} a day)"))
        if waits:
            next_at, why = max(waits)
            raise Refused(429, f"You have handed in {assignment} {why}. Your next attempt is possible at "
                               f"{_when(next_at, now)}; your earlier attempts and their feedback are kept.",
                          retry_after=max(1.0, next_at - now), next_at=next_at)

    def recover(self, student: str, assignment: str, number: int, meta: dict) -> bool:
        """Queue an attempt found on disk without a row (the service stopped between writing and queueing it)."""
        def write(conn):
            if conn.execute("SELECT 1 FROM attempts WHERE student = ? AND assignment = ? AND number = ?",
                            (student, assignment, number)).fetchone():
                return False
            conn.execute(
                "INSERT INTO attempts (public_id, student, assignment, number, submitted_at, size, sha256, via, "
                "state, late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (meta.get("public_id") or secrets.token_urlsafe(12), student, assignment, number,
                 float(meta.get("submitted_at", time.time())), int(meta.get("size", 0)), str(meta.get("sha256", "")),
                 str(meta.get("via", "")), QUEUED, int(bool(meta.get("late")))))
            return True
        return bool(self._tx(write))

    def requeue_interrupted(self) -> int:
        """Attempts that were being graded when the service stopped go back to the queue; how many."""
        return int(self._tx(lambda conn: conn.execute(
            "UPDATE attempts SET state = ?, started_at = NULL WHERE state = ?", (QUEUED, GRADING)).rowcount))

    def next_attempt(self, assignments: set[str]) -> Attempt | None:
        """The next attempt to grade, in fair turns: the student served longest ago first, their oldest attempt;
        never two attempts of one student at once. Marked ``grading``."""
        if not assignments:
            return None
        marks = ",".join("?" * len(assignments))

        def pick(conn):
            row = conn.execute(
                f"SELECT a.id FROM attempts a WHERE a.state = ? AND a.assignment IN ({marks}) "
                "AND NOT EXISTS (SELECT 1 FROM attempts g WHERE g.student = a.student AND g.state = ?) "
                "ORDER BY (SELECT COALESCE(MAX(s.dispatch), 0) FROM attempts s WHERE s.student = a.student), a.id "
                "LIMIT 1", (QUEUED, *sorted(assignments), GRADING)).fetchone()
            if row is None:
                return None
            turn = 1 + conn.execute("SELECT COALESCE(MAX(dispatch), 0) FROM attempts").fetchone()[0]
            conn.execute("UPDATE attempts SET state = ?, dispatch = ?, started_at = ? WHERE id = ?",
                         (GRADING, turn, time.time(), row[0]))
            return row[0]

        attempt_id = self._tx(pick)
        return None if attempt_id is None else self.by_id(int(attempt_id))

    def finish(self, attempt: Attempt, status: str, reason: str, score: float | None, max_score: float | None,
               of_record: bool, late_penalty: float = 0.0) -> None:
        """Record an attempt's outcome; when it is the new attempt of record, the previous one stops being it."""
        def write(conn):
            if of_record:
                conn.execute("UPDATE attempts SET of_record = 0 WHERE student = ? AND assignment = ?",
                             (attempt.student, attempt.assignment))
            conn.execute("UPDATE attempts SET state = ?, status = ?, reason = ?, score = ?, max_score = ?, "
                         "of_record = ?, late_penalty = ?, finished_at = ? WHERE id = ?",
                         (DONE, status, reason[:2000], score, max_score, int(of_record or attempt.of_record),
                          late_penalty, time.time(), attempt.id))
        self._tx(write)

    def get(self, public_id: str) -> Attempt | None:
        row = self._conn().execute("SELECT * FROM attempts WHERE public_id = ?", (public_id,)).fetchone()
        return None if row is None else self._attempt(row)

    def by_id(self, attempt_id: int) -> Attempt | None:
        row = self._conn().execute("SELECT * FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
        return None if row is None else self._attempt(row)

    def attempts(self, student: str | None = None, assignment: str | None = None) -> list[Attempt]:
        """Attempts, oldest first (of one student, of one assignment)."""
        query, args = "SELECT * FROM attempts WHERE 1 = 1", list[str]()
        if student is not None:
            query, args = query + " AND student = ?", [*args, student]
        if assignment is not None:
            query, args = query + " AND assignment = ?", [*args, assignment]
        return [self._attempt(r) for r in self._conn().execute(query + " ORDER BY id", args)]

    def record_of(self, student: str, assignment: str) -> Attempt | None:
        row = self._conn().execute("SELECT * FROM attempts WHERE student = ? AND assignment = ? AND of_record = 1",
                                   (student, assignment)).fetchone()
        return None if row is None else self._attempt(row)

    def counts(self) -> dict[str, int]:
        """Attempts by state."""
        counts = {QUEUED: 0, GRADING: 0, DONE: 0}
        for state, n in self._conn().execute("SELECT state, COUNT(*) FROM attempts GROUP BY state"):
            counts[state] = n
        return counts

    def queue_position(self, attempt: Attempt) -> int:
        """Attempts queued before this one (an upper bound: fair turns may take it earlier)."""
        return int(self._conn().execute("SELECT COUNT(*) FROM attempts WHERE state = ? AND id < ?",
                                        (QUEUED, attempt.id)).fetchone()[0])
