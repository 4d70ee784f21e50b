"""A static scan of the cells a student wrote: what an honest NumPy exercise has no reason to do.

Findings are flags for a human look, never a score: an honest student may import ``pathlib``. The grader's own
verdicts on the hidden cases decide the points.
"""

from __future__ import annotations

import ast
import re

SUSPICIOUS_MODULES = {
    "ctypes", "gc", "inspect", "socket", "subprocess", "multiprocessing", "threading", "_thread", "signal",
    "importlib", "builtins", "urllib", "http", "requests", "shutil", "pickle", "marshal", "pty", "resource",
    "atexit", "faulthandler", "tracemalloc", "asyncio", "ssl", "ftplib", "smtplib", "telnetlib", "glob", "pathlib",
    "tempfile", "sqlite3", "dis", "code", "codeop", "traceback", "weakref", "types", "zipimport", "runpy",
}
SUSPICIOUS_NAMES = {
    "exec": "runs code from a string (exec)", "eval": "evaluates code from a string (eval)",
    "compile": "compiles code at run time", "__import__": "imports by name at run time",
    "setattr": "sets attributes by name (setattr)", "delattr": "deletes attributes (delattr)",
    "globals": "reaches the notebook's globals()", "vars": "reaches an object's attributes (vars)",
    "open": "opens files", "get_ipython": "reaches the IPython kernel", "exit": "exits the kernel",
    "quit": "exits the kernel", "solutions": "uses the reference solutions", "breakpoint": "starts a debugger",
    "input": "waits for keyboard input",
}
SUSPICIOUS_ATTRIBUTES = {
    "__dict__", "__code__", "__globals__", "__builtins__", "__class__", "__subclasses__", "__bases__", "__mro__",
    "__closure__", "__defaults__", "__kwdefaults__", "__getattribute__", "__self__", "__func__", "__wrapped__",
    "f_back", "f_locals", "f_globals", "f_code", "tb_frame", "gi_frame", "cr_frame", "_getframe", "settrace",
    "setprofile", "modules", "meta_path", "path_hooks", "excepthook", "displayhook", "showtraceback",
    "fork", "forkpty", "_exit", "kill", "killpg", "system", "popen", "execv", "execve", "execvp", "spawnv",
    "remove", "unlink", "rmdir", "rename", "replace", "chmod", "chown", "symlink", "link", "listdir", "scandir",
    "walk", "environ", "putenv", "reference", "checks", "testing", "exit",
}
OVERRIDES = {"__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__array__",
             "__array_ufunc__", "__array_function__", "__array_finalize__", "__array_priority__", "__float__",
             "__int__", "__index__", "__getattr__", "__getattribute__", "__instancecheck__", "__subclasscheck__",
             "__hash__", "__len__", "__repr__", "__str__", "__del__", "__init_subclass__", "__set_name__",
             "__class_getitem__", "shape", "dtype", "ndim"}
WATCHED_BASES = {"ndarray", "float", "int", "dict", "list", "tuple", "str", "complex", "bool", "float64", "matrix",
                 "CheckFailed", "BaseException", "SystemExit", "KeyboardInterrupt"}
MODULE_NAMES = {"np", "numpy", "math", "check", "checks", "helpers", "builtins", "sys", "os", "plt", "matplotlib",
                "random", "warnings", "time", "__builtins__", "scipy", "sklearn"}


def _python_source(source: str) -> str:
    """Cell source with IPython syntax (magics, shell escapes) turned into Python, as the kernel would."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001
        return source


def scan_code(source: str) -> list[str]:
    """Findings in one cell of student code: what an honest NumPy exercise has no reason to do."""
    findings: list[str] = []
    if re.search(r"^\s*(!|%%?(system|sx|bash|sh|script|writefile|run|load|capture|env|cd|store|alias))", source, re.M):
        findings.append("uses shell commands or IPython magics")
    try:
        tree = ast.parse(_python_source(source))
    except SyntaxError:
        return findings  # a syntax error is the student's loss, not a suspicion

    def root_name(node) -> str | None:
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            node = node.value if not isinstance(node, ast.Call) else node.func
        return node.id if isinstance(node, ast.Name) else None

    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
    stored |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
               for a in n.posonlyargs + n.args + n.kwonlyargs + [n.vararg, n.kwarg] if a is not None}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "ref" and isinstance(node.ctx, ast.Load) and "ref" not in stored:
            findings.append("uses the hidden tests' reference object (ref)")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if top in SUSPICIOUS_MODULES or name.startswith("helpers.reference"):
                    findings.append(f"imports {name}")
                if isinstance(node, ast.ImportFrom) and (node.module or "") in ("helpers", "os", "sys"):
                    for alias in node.names:
                        if alias.name in ("reference", "_exit", "fork", "system", "kill", "modules", "exit",
                                          "_getframe", "popen", "remove", "environ"):
                            findings.append(f"imports {node.module}.{alias.name}")
        elif isinstance(node, ast.Name) and node.id in SUSPICIOUS_NAMES and isinstance(node.ctx, ast.Load):
            findings.append(SUSPICIOUS_NAMES[node.id])
        elif isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_ATTRIBUTES:
            findings.append(f"uses .{node.attr}")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                if isinstance(target, (ast.Attribute, ast.Subscript)) and root_name(target) in MODULE_NAMES:
                    findings.append(f"replaces {ast.unparse(target)}")
                elif isinstance(target, ast.Name) and target.id in {"check", "np", "numpy", "math", "solutions",
                                                                     "isinstance", "type", "print", "float"}:
                    findings.append(f"rebinds the name {target.id}")
        elif isinstance(node, ast.ClassDef):
            bases = {ast.unparse(b).split(".")[-1] for b in node.bases}
            if bases & WATCHED_BASES:
                findings.append(f"defines class {node.name} based on {', '.join(sorted(bases & WATCHED_BASES))}")
            overridden = {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            overridden |= {t.id for n in node.body if isinstance(n, ast.Assign) for t in n.targets
                           if isinstance(t, ast.Name)}
            if overridden & OVERRIDES:
                findings.append(f"class {node.name} overrides {', '.join(sorted(overridden & OVERRIDES))}")
        elif isinstance(node, ast.Raise) and node.exc is not None:
            raised = root_name(node.exc)
            if raised in ("SystemExit", "KeyboardInterrupt", "GeneratorExit", "BaseException"):
                findings.append(f"raises {raised}")
        elif isinstance(node, ast.ExceptHandler) and node.type is None:
            findings.append("catches every exception with a bare except:")
        elif isinstance(node, ast.ExceptHandler) and node.type is not None and \
                ast.unparse(node.type) in ("BaseException", "CheckFailed", "check.CheckFailed", "AssertionError"):
            findings.append(f"catches {ast.unparse(node.type)}")
    return sorted(set(findings))
