"""Who is who: one secret token per student (from the roster) and one for the instructor; only their hashes are kept.

A token is 32 random bytes (``secrets.token_urlsafe``). The service keeps ``HMAC-SHA256(key, token)``, the key
being a random secret of the course folder (``service/secret.key``, readable by the instructor only): a copy of
the service's database alone gives no token, and with 256-bit tokens not even the key makes guessing one feasible.
A token is looked up by its digest and the match confirmed with :func:`hmac.compare_digest`. Sessions of the
browser pages are random too and kept the same way.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import re
import secrets
from pathlib import Path

STUDENT, INSTRUCTOR = "student", "instructor"
#: Student ids become folder names (submitted/<id>/): letters, digits and ._@- only, no leading dot.
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
KEY_FILE = "secret.key"


def valid_student_id(student: str) -> bool:
    """Whether ``student`` can be a folder name of submitted/ (no path, no dot folder, no ``..``)."""
    return bool(STUDENT_ID.match(student)) and ".." not in student


def read_roster(path: Path) -> list[str]:
    """Student ids, in order, from a CSV with an ``id`` column (nbgrader's ``db student import``) or one id a line.

    Raises ValueError naming the lines whose id cannot be a student folder.
    """
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    first = lines[0] if lines else ""
    if "id" in [c.strip() for c in first.split(",")]:
        ids = [(row.get("id") or "").strip() for row in csv.DictReader(io.StringIO(text))]
        ids = [i for i in ids if i]
    else:
        ids = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    bad = [i for i in ids if not valid_student_id(i)]
    if bad:
        raise ValueError(f"{path}: these ids cannot be student folders (letters, digits and ._@- only): {bad[:10]}")
    return list(dict.fromkeys(ids))


def new_token() -> str:
    """A fresh secret token (43 characters, URL-safe)."""
    return secrets.token_urlsafe(32)


def load_key(folder: Path) -> bytes:
    """The service's HMAC key in ``folder`` (created, readable by the owner only, on first use)."""
    path = folder / KEY_FILE
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
        f.flush()
        os.fsync(f.fileno())
    return key


def digest(key: bytes, secret: str) -> str:
    """What is stored for ``secret`` (a token or a session id)."""
    return hmac.new(key, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(a.encode(), b.encode())


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by the owner only (tokens are secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.chmod(path, 0o600)


def tokens_csv(pairs: list[tuple[str, str]]) -> str:
    """The CSV the instructor sends out from: columns ``id`` and ``token``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "token"])
    writer.writerows(pairs)
    return out.getvalue()
