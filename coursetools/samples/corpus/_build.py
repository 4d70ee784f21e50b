"""Building blocks of the corpora: a whole solution cell from a signature and a body, and one-place edits."""


def fn(signature: str, body: str) -> str:
    """A whole solution cell: the def line kept from the stub, then the student's body."""
    return f"def {signature}:\n{body}"


def swap(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced by ``new``; ``old`` must occur exactly once (a variant changes one thing)."""
    assert text.count(old) == 1, f"{old!r} must occur exactly once in the reference body"
    return text.replace(old, new)
