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
    "dill", "cloudpickle", "joblib", "shelve", "copyreg",
}
#: What loads pickled data, which runs code as it is read: a file handed in beside the notebook can carry a program.
UNPICKLING = {"allow_pickle", "read_pickle"}
SUSPICIOUS_NAMES = {
    "exec": "runs code from a string (exec)", "eval": "evaluates code from a string (eval)",
    "compile": "compiles code at run time", "__import__": "imports by name at run time",
    "setattr": "sets attributes by name (setattr)", "delattr": "deletes attributes (delattr)",
    "globals": "reaches the notebook's globals()", "vars": "reaches an object's attributes (vars)",
    "open": "opens files", "exit": "exits the kernel",
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


#: The IPython machinery a kernel's code can reach (the shell, the kernel, their modules)...
IPYTHON_MACHINERY = {"get_ipython", "IPython", "ipykernel", "InteractiveShell", "ZMQInteractiveShell", "IPKernelApp",
                     "InteractiveShellApp", "jupyter_client", "zmq"}
#: ...and the hooks and state of the shell through which it changes how later cells run or what they show.
IPYTHON_HOOKS = {"events", "post_run_cell", "pre_run_cell", "post_execute", "pre_execute", "shell_initialized",
                 "ast_transformers", "input_transformers_post", "input_transformers_cleanup",
                 "input_transformer_manager", "set_custom_exc", "custom_exceptions", "set_hook", "register_post_execute",
                 "run_cell", "run_cell_async", "run_ast_nodes", "run_code", "transform_cell", "display_pub",
                 "display_formatter", "showtraceback", "showsyntaxerror", "_showtraceback", "user_ns",
                 "user_global_ns", "user_ns_hidden", "register_magic_function", "magics_manager", "comm_manager",
                 "iopub_socket", "execute_request", "do_execute", "shell_handlers", "strdispatchers", "hooks"}
#: The only IPython module an honest notebook imports (rich display), and the names of it that are harmless.
IPYTHON_DISPLAY = {"IPython.display", "IPython.core.display"}
#: Magics an honest notebook uses; the code of ``%time``/``%timeit`` (and of the cell magics) is scanned as code.
HARMLESS_MAGICS = {"matplotlib", "precision", "pprint"}
CODE_MAGICS = {"time", "timeit", "prun"}
#: A cell larger than this is not parsed (a finding says so): honest exercise cells are a few thousand characters.
MAX_SCAN_CHARS = 200_000
#: Strings folded from constants (``"post_" + "run_cell"``, ``"llec_nur_tsop"[::-1]``) are cut at this length.
MAX_FOLDED = 2_000
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NAME_LIKE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_MAGIC_LINE = re.compile(r"^(\s*)%(?!%)(\w+)(.*)$")


def _without_harmless_magics(source: str) -> str:
    """The cell with ``%matplotlib inline`` and the like removed, and the code under ``%time``/``%%time`` exposed.

    Other magics stay: IPython turns them into ``get_ipython()`` calls, which the scan reports.
    """
    lines = source.split("\n")
    first = lines[0].strip() if lines else ""
    if first.startswith("%%") and first[2:].split(" ")[0] in CODE_MAGICS:
        lines = lines[1:]
    kept = []
    for line in lines:
        match = _MAGIC_LINE.match(line)
        if match and match.group(2) in HARMLESS_MAGICS:
            kept.append("")
        elif match and match.group(2) in CODE_MAGICS:
            code = re.sub(r"^(\s+-\S+)*\s*", "", match.group(3))
            kept.append(match.group(1) + code)
        else:
            kept.append(line)
    return "\n".join(kept)


def _python_source(source: str) -> str:
    """Cell source with IPython syntax (magics, shell escapes) turned into Python, as the kernel would."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(_without_harmless_magics(source))
    except Exception:  # noqa: BLE001
        return source


def _text(node, limit: int = 120) -> str:
    """``ast.unparse`` of ``node``, bounded (a deeply nested expression would exhaust the stack)."""
    try:
        text = ast.unparse(node)
    except (RecursionError, MemoryError, ValueError, TypeError, AttributeError):
        return "..."
    return text if len(text) <= limit else text[:limit] + "..."


def fold(node, depth: int = 0) -> str | None:
    """The string an expression made only of constants evaluates to, or None (``"get_" + "ipython"``, f-strings,
    ``"...".join([...])``, slices such as ``[::-1]``, ``chr(103)``, ``bytes([...]).decode()``, ``.replace``...)."""
    if depth > 50:
        return None
    result: str | None = None
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            result = node.value
        elif isinstance(node.value, bytes):
            result = node.value.decode("latin-1")
    elif isinstance(node, ast.JoinedStr):
        parts = [fold(v.value if isinstance(v, ast.FormattedValue) else v, depth + 1) for v in node.values]
        result = "".join(parts) if all(p is not None for p in parts) else None  # type: ignore[arg-type]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = fold(node.left, depth + 1), fold(node.right, depth + 1)
        result = left + right if left is not None and right is not None else None
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        left = fold(node.left, depth + 1)
        values = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        folded = [fold(v, depth + 1) for v in values]
        if left is not None and all(f is not None for f in folded):
            try:
                result = left % tuple(folded)
            except (TypeError, ValueError):
                result = None
    elif isinstance(node, ast.Subscript):
        base = fold(node.value, depth + 1)
        if base is not None and isinstance(node.slice, ast.Slice):
            bounds = [b.value if isinstance(b, ast.Constant) and isinstance(b.value, int) else None
                      for b in (node.slice.lower, node.slice.upper, node.slice.step)]
            result = base[slice(*bounds)]
    elif isinstance(node, ast.Call):
        result = _fold_call(node, depth)
    if result is not None and len(result) > MAX_FOLDED:
        result = result[:MAX_FOLDED]
    return result


def _fold_call(node: ast.Call, depth: int) -> str | None:
    func = node.func
    if isinstance(func, ast.Name) and func.id == "chr" and len(node.args) == 1:
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, int) and 0 <= arg.value < 0x110000:
            return chr(arg.value)
        return None
    if isinstance(func, ast.Name) and func.id in ("str", "reversed") and len(node.args) == 1:
        inner = fold(node.args[0], depth + 1)
        return None if inner is None else (inner[::-1] if func.id == "reversed" else inner)
    if isinstance(func, ast.Name) and func.id == "bytes" and len(node.args) == 1:
        arg = node.args[0]
        codes = [e.value for e in arg.elts if isinstance(e, ast.Constant) and isinstance(e.value, int)] \
            if isinstance(arg, (ast.List, ast.Tuple)) else []
        if codes and len(codes) == len(arg.elts) and all(0 <= c < 256 for c in codes):  # type: ignore[attr-defined]
            return bytes(codes).decode("latin-1")
        return None
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr == "join" and len(node.args) == 1:
        separator = fold(func.value, depth + 1)
        arg = node.args[0]
        items = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else None
        if items is None:
            inner = fold(arg, depth + 1)
            return separator.join(inner) if separator is not None and inner is not None else None
        folded = [fold(e, depth + 1) for e in items]
        if separator is not None and all(f is not None for f in folded):
            return separator.join(folded)  # type: ignore[arg-type]
        return None
    base = fold(func.value, depth + 1)
    if base is None:
        return None
    args = [fold(a, depth + 1) for a in node.args]
    if any(a is None for a in args):
        return None
    if func.attr in ("lower", "upper", "title", "capitalize", "swapcase", "casefold") and not args:
        return getattr(str, func.attr)(base)
    if func.attr in ("strip", "lstrip", "rstrip") and len(args) <= 1:
        return getattr(str, func.attr)(base, *args)
    if func.attr in ("encode", "decode"):
        return base
    if func.attr == "replace" and len(args) == 2:
        return base.replace(args[0], args[1])  # type: ignore[arg-type]
    if func.attr == "format":
        try:
            return base.format(*args)
        except (IndexError, KeyError, ValueError):
            return None
    return None


def scan_code(source: str) -> list[str]:
    """Findings in one cell of student code: what an honest NumPy exercise has no reason to do.

    Bounded and total: a cell too large to parse, or too deeply nested for the parser (``RecursionError``,
    ``MemoryError``), is itself a finding; the scan never raises.
    """
    findings: list[str] = []
    try:
        if len(source) > MAX_SCAN_CHARS:
            return [f"a cell of {len(source):,} characters: too large to scan (a human should read it)"]
        if re.search(r"^\s*(!|%%?(system|sx|bash|sh|script|writefile|run|load|capture|env|cd|store|alias))",
                     source, re.M):
            findings.append("uses shell commands or IPython magics")
        try:
            tree = ast.parse(_python_source(source))
        except SyntaxError:
            return findings  # a syntax error is the student's loss, not a suspicion: the kernel cannot run it either
        findings += _findings(tree)
    except (RecursionError, MemoryError) as error:
        findings.append(f"code nested too deeply to scan ({type(error).__name__}): a human should read it")
    except Exception as error:  # noqa: BLE001 - the scan never fails a review
        findings.append(f"code that could not be scanned ({type(error).__name__}): a human should read it")
    return sorted(set(findings))


def _findings(tree) -> list[str]:
    findings: list[str] = []

    def root_name(node) -> str | None:
        for _ in range(10_000):
            if not isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
                break
            node = node.value if not isinstance(node, ast.Call) else node.func
        return node.id if isinstance(node, ast.Name) else None

    nodes = list(ast.walk(tree))
    stored = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
    stored |= {a.arg for n in nodes if isinstance(n, ast.arguments)
               for a in n.posonlyargs + n.args + n.kwonlyargs + [n.vararg, n.kwarg] if a is not None}
    reached: set[str] = set()  # identifiers the code names: names, attributes, imports, and strings built of them
    for node in nodes:
        if isinstance(node, ast.Name) and node.id == "ref" and isinstance(node.ctx, ast.Load) and "ref" not in stored:
            findings.append("uses the hidden tests' reference object (ref)")
        if isinstance(node, ast.Name) and node.id not in stored:
            reached.add(node.id)
        elif isinstance(node, ast.Attribute):
            reached.add(node.attr)
        elif isinstance(node, ast.keyword) and node.arg in UNPICKLING:
            reached.add(node.arg)
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Subscript, ast.Call)):
            folded = fold(node)
            # A string that is a name (or a dotted path): what getattr, sys.modules[...] or a hook's registration
            # takes. Sentences (docstrings, messages) are not names.
            if folded and _NAME_LIKE.match(folded.strip()):
                for text in (folded.strip(), folded.strip()[::-1]):
                    reached.update(_IDENTIFIER.findall(text))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if top in SUSPICIOUS_MODULES or name.startswith("helpers.reference") or (
                        top in IPYTHON_MACHINERY and name not in IPYTHON_DISPLAY):
                    findings.append(f"imports {name}")
                if isinstance(node, ast.ImportFrom) and (node.module or "") in ("helpers", "os", "sys"):
                    for alias in node.names:
                        if alias.name in ("reference", "_exit", "fork", "system", "kill", "modules", "exit",
                                          "_getframe", "popen", "remove", "environ"):
                            findings.append(f"imports {node.module}.{alias.name}")
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("helpers.checks._"):
                    findings.append(f"imports the checks' private {node.module}")
            if isinstance(node, ast.ImportFrom):
                reached.update(alias.name for alias in node.names)
            if isinstance(node, ast.Import):
                reached.update(part for alias in node.names for part in alias.name.split("."))
        elif isinstance(node, ast.Name) and node.id in SUSPICIOUS_NAMES and isinstance(node.ctx, ast.Load):
            findings.append(SUSPICIOUS_NAMES[node.id])
        elif isinstance(node, ast.Name) and node.id == "__builtins__":
            findings.append("reaches __builtins__")
        elif isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_ATTRIBUTES:
            findings.append(f"uses .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "getattr", "hasattr") and len(node.args) >= 2 and fold(node.args[1]) is None:
            findings.append(f"reaches attributes by a computed name ({node.func.id})")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                if isinstance(target, (ast.Attribute, ast.Subscript)) and root_name(target) in MODULE_NAMES:
                    findings.append(f"replaces {_text(target)}")
                elif isinstance(target, ast.Name) and target.id in {"check", "np", "numpy", "math", "solutions",
                                                                     "isinstance", "type", "print", "float"}:
                    findings.append(f"rebinds the name {target.id}")
        elif isinstance(node, ast.ClassDef):
            bases = {_text(b).split(".")[-1] for b in node.bases}
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
                _text(node.type) in ("BaseException", "CheckFailed", "check.CheckFailed", "AssertionError"):
            findings.append(f"catches {_text(node.type)}")
    unpickling = sorted(reached & UNPICKLING)
    if unpickling:
        findings.append(f"loads pickled data, which can run code ({', '.join(unpickling)})")
    machinery = sorted(reached & IPYTHON_MACHINERY)
    if machinery:
        findings.append(f"reaches the IPython kernel ({', '.join(machinery)[:100]})")
    hooks = sorted(reached & IPYTHON_HOOKS)
    if hooks:
        findings.append(f"reaches IPython's hooks or state ({', '.join(hooks)[:100]})")
    return findings
