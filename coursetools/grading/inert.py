"""The executed notebook made safe to open: valid text, and no student HTML or JavaScript that would run.

The instructor opens autograded notebooks in nbgrader's formgrader (flagged submissions are sent there), which
renders them as HTML in the instructor's browser, logged in to the course's Jupyter server. Anything the student's
code displayed (``display(HTML(...))``, ``Javascript(...)``, SVG, Markdown, widget state) and anything written in
their Markdown cells would render, scripts included. :func:`make_inert`, run on the worker after the review:

* keeps only outputs that cannot run: plain text and bitmap images (PNG, JPEG, GIF); a rich output keeps its plain
  text form, or a line saying what was removed. Points are unaffected: nbgrader reads errors, stderr and plain
  text only;
* escapes HTML in the Markdown and raw cells the student wrote (the course's own cells, unchanged, stay as
  released), and takes ``javascript:`` and ``data:`` links out of them;
* drops widget state from the notebook's metadata (it would load widget code).

:func:`repair_text` replaces lone surrogates (text that is not Unicode, which a kernel can print and a notebook can
hold, and which no file or database can store) by U+FFFD.
"""

from __future__ import annotations

import re

#: Output types that cannot carry code.
SAFE_MIME = ("text/plain", "image/png", "image/jpeg", "image/gif")
#: Markers of content that runs (or loads code) when rendered: a human should see that a student tried.
ACTIVE = re.compile(r"<\s*/?\s*(script|iframe|frame|object|embed|applet|meta|link|base|form|style|svg|math|template)\b"
                    r"|\bon[a-z]{3,}\s*=|(java|vb|live)\s*script\s*:|data\s*:\s*text/html|srcdoc\s*=|"
                    r"\bimport\s*\(|document\s*\.\s*(cookie|write|location)", re.I)
_UNSAFE_SCHEME = re.compile(r"\b((?:java|vb|live)\s*script|data)(\s*):", re.I)
_SURROGATE = re.compile("[\ud800-\udfff]")
REMOVED = "[output of type {types} removed by the grader: it could run code when the notebook is opened]"


def repair_text(node, where: str = "") -> list[str]:
    """Replace lone surrogates in every string of ``node`` (a notebook, in place); the places where it did.

    Only what is repaired is written back: a notebook without lone surrogates (nearly all) is read, not rebuilt
    (every assignment into a NotebookNode converts its value again).
    """
    repaired: list[str] = []

    def fix(value, path):
        if isinstance(value, str):
            if _SURROGATE.search(value):
                repaired.append(path)
                return _SURROGATE.sub("\ufffd", value)
            return value
        if isinstance(value, dict):
            for key in list(value):
                item = value[key]
                new_item = fix(item, path)
                new_key = fix(key, path) if isinstance(key, str) else key
                if new_key is not key:
                    del value[key]
                    value[new_key] = new_item
                elif new_item is not item:
                    value[key] = new_item
            return value
        if isinstance(value, list):
            for i, item in enumerate(value):
                new_item = fix(item, path)
                if new_item is not item:
                    value[i] = new_item
            return value
        return value

    cells = node.get("cells") if isinstance(node, dict) else None
    if isinstance(cells, list):
        for index, cell in enumerate(cells):
            fix(cell, f"{where}cell {index + 1}")
        for key in [k for k in node if k != "cells"]:
            fixed = fix(node[key], f"{where}notebook metadata")
            if fixed is not node[key]:
                node[key] = fixed
    else:
        fix(node, where or "notebook")
    return list(dict.fromkeys(repaired))


def _escape_markdown(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _UNSAFE_SCHEME.sub(lambda m: f"unsafe-{m.group(1)}{m.group(2)}:", text)


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _normalized(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def course_texts(*notebooks) -> set[str]:
    """The Markdown and raw cells of the course's notebooks (normalized): left as they are when unchanged."""
    texts: set[str] = set()
    for notebook in notebooks:
        for cell in (notebook or {}).get("cells", []):
            if cell.get("cell_type") in ("markdown", "raw"):
                texts.add(_normalized(_source(cell)))
    return texts


def make_inert(notebook, course: set[str] | None = None) -> list[str]:
    """Make ``notebook`` (executed, in place) safe to render; returns where active content was found (for a flag)."""
    course = course or set()
    active: list[str] = []
    for index, cell in enumerate(notebook.get("cells", [])):
        where = _where(cell, index)
        kind = cell.get("cell_type")
        if kind == "code":
            for output in cell.get("outputs", []) or []:
                if _inert_output(output):
                    active.append(where)
        elif kind in ("markdown", "raw"):
            text = _source(cell)
            meta = cell.get("metadata", {}).get("nbgrader") if isinstance(cell.get("metadata"), dict) else None
            locked = isinstance(meta, dict) and bool(meta.get("locked")) and bool(meta.get("grade_id"))
            # A read-only cell of the course: nbgrader put its source back as released before it ran.
            if _normalized(text) not in course and not locked:
                if ACTIVE.search(text):
                    active.append(where)
                cell["source"] = _escape_markdown(text) if kind == "markdown" else text
                if kind == "raw":
                    # A raw cell marked as HTML is inserted verbatim into the rendered page.
                    for key in ("format", "raw_mimetype"):
                        cell.get("metadata", {}).pop(key, None)
            attachments = cell.get("attachments")
            if isinstance(attachments, dict):
                for name in list(attachments):
                    bundle = attachments[name]
                    if not isinstance(bundle, dict) or set(bundle) - set(SAFE_MIME):
                        del attachments[name]
                        active.append(where)
    metadata = notebook.get("metadata")
    if isinstance(metadata, dict) and "widgets" in metadata:
        del metadata["widgets"]
    return list(dict.fromkeys(active))


def _inert_output(output) -> bool:
    """Keep only safe types in one output (in place); True when what was removed was active content."""
    if not isinstance(output, dict) or output.get("output_type") not in ("display_data", "execute_result"):
        return False
    data = output.get("data")
    if not isinstance(data, dict):
        return False
    unsafe = sorted(k for k in data if k not in SAFE_MIME)
    if not unsafe:
        return False
    active = any(not k.startswith(("text/html", "text/markdown", "text/latex", "image/svg")) or
                 ACTIVE.search(_as_text(data[k])) for k in unsafe)
    for key in unsafe:
        del data[key]
    if not data:
        data["text/plain"] = REMOVED.format(types=", ".join(unsafe)[:200])
    metadata = output.get("metadata")
    if isinstance(metadata, dict):
        for key in [k for k in metadata if "/" in k and k not in SAFE_MIME]:
            del metadata[key]
    return active


def _as_text(value) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return str(value)


def _where(cell, index: int) -> str:
    meta = cell.get("metadata", {}).get("nbgrader") if isinstance(cell.get("metadata"), dict) else None
    grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
    return grade_id or f"cell {index + 1}"
