"""A copied submission as it shows up: another student's answers with the local variables renamed, the comments
changed and exercises moved around. The demo plants one in its class, and the similarity tests one among honest
look-alikes; the code still runs the same (only local names change, never a function's name or parameters).
"""

from __future__ import annotations

import ast
import json

import nbformat


def _grading(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_solution_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(_grading(cell).get("solution")) and not _grading(cell).get("grade")


def is_test_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(_grading(cell).get("grade")) and not _grading(cell).get("solution")


def local_names(code: str) -> set[str]:
    """The names a function body assigns (variables, loop targets), not its parameters nor the function's name."""
    tree = ast.parse(code)
    names: set[str] = set()
    for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        parameters = {a.arg for a in function.args.args + function.args.kwonlyargs + function.args.posonlyargs}
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id not in parameters:
                names.add(node.id)
    return names


class _Rename(ast.NodeTransformer):
    def __init__(self, names: set[str], prefix: str):
        self.names, self.prefix = names, prefix

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.names:
            node.id = self.prefix + node.id
        return node


def disguise(code: str, prefix: str = "my_") -> str:
    """``code`` with its local variables renamed (``e`` -> ``my_e``), its comments replaced by others and its layout
    redone (the syntax tree written out again), a comment before each ``return``: what a copier does to a copy.
    Only variables change name (never an attribute, a keyword argument, a parameter or a function)."""
    tree = _Rename(local_names(code), prefix).visit(ast.parse(code))
    lines = []
    for line in ast.unparse(tree).splitlines():
        stripped = line.lstrip()
        if stripped.startswith("return "):
            lines.append(line[: len(line) - len(stripped)] + "# the result, at last")
        lines.append(line)
    return "\n".join(lines) + "\n"


def copied(notebook: nbformat.NotebookNode, swap: tuple[str, str] | None = None) -> nbformat.NotebookNode:
    """A disguised copy of ``notebook``: every answer cell disguised, and the exercises of the two answer cells
    named in ``swap`` (grade_ids) exchanged with their test cells, so the notebook still runs top to bottom."""
    copy = nbformat.from_dict(json.loads(json.dumps(notebook)))
    for cell in copy.cells:
        if is_solution_cell(cell):
            try:
                cell.source = disguise(cell.source)
            except SyntaxError:
                pass
    if swap:
        copy.cells = _swapped(copy.cells, *swap)
    return copy


def _block(cells, grade_id: str) -> tuple[int, int]:
    """The cells of one exercise: from its answer cell to the test cell that follows it (both included)."""
    start = next(i for i, c in enumerate(cells) if is_solution_cell(c) and c.metadata.nbgrader["grade_id"] == grade_id)
    end = next(i for i in range(start + 1, len(cells)) if is_test_cell(cells[i]))
    return start, end + 1


def _swapped(cells: list, first: str, second: str) -> list:
    (a0, a1), (b0, b1) = sorted([_block(cells, first), _block(cells, second)])
    return cells[:a0] + cells[b0:b1] + cells[a1:b0] + cells[a0:a1] + cells[b1:]
