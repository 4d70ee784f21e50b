"""How the student's kernel and the grader talk: snapshots as JSON, a case's identity, length-prefixed messages.

Both sides import this module: the kernel (:mod:`._grader`) to send its results and requests, the grader
(``coursetools.integrity``) to read them and answer. :func:`unwire` never runs code from the data it reads: unknown
or malformed input becomes an opaque value that equals nothing.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._pristine import (
    AF_UNIX,
    NUMPY_SCALARS,
    SOCK_STREAM,
    ConnectionError,
    IndexError,
    KeyError,
    MemoryError,
    OverflowError,
    TypeError,
    ValueError,
    array_copy,
    array_tobytes,
    asarray,
    bool,
    bytearray,
    bytes,
    complex,
    dict,
    dict_items,
    dtype,
    float,
    frombuffer,
    int,
    json_dumps,
    json_loads,
    len,
    list,
    memoryview,
    min,
    ndarray,
    pack,
    sha256,
    socket_class,
    str,
    struct_error,
    tuple,
    type,
    type_name,
    unpack,
)
from ._snapshot import ARRAY_KINDS, MAX_DEPTH, MAX_ITEMS, Opaque, snapshot, type_description

#: The largest array the grader reads from a kernel, and the largest message either side accepts.
MAX_WIRE_BYTES = 256 << 20
#: The hidden case a test cell fails when it stops on an error after its hidden cases began (see
#: :func:`._isolation.stopped`): the kernel reports it, and the grader counts it as one more failed case.
STOPPED = "stopped"
#: The most JSON values one message may hold. Decoded, JSON takes many times its size (``[{},{},...]``: about 27
#: times), so a message is counted before it is decoded; a hidden case's data is a few thousand values.
MAX_MESSAGE_VALUES = 2_000_000
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def too_many_values(data: bytes | bytearray, limit: int) -> bool:
    """Whether the JSON text ``data`` holds more than ``limit`` values (each needs a comma or a bracket), counted
    without decoding it. Commas and brackets inside strings are left out, in the rare text that has many."""
    values = data.count(b",") + data.count(b"[") + data.count(b"{")
    if values <= limit:
        return False
    for string in _JSON_STRING.finditer(data):  # counted in place: no copy of the data
        start, end = string.span()
        values -= data.count(b",", start, end) + data.count(b"[", start, end) + data.count(b"{", start, end)
        if values <= limit:
            return False
    return True


# --- snapshots as JSON ---------------------------------------------------------------------------------------------
def wire(value: Any) -> Any:
    """A value as JSON-able data, snapshotted first (lossless: floats as hex, arrays as their bytes)."""
    return wire_snapshot(snapshot(value))


def wire_snapshot(value: Any) -> Any:
    """A snapshot as JSON-able data."""
    cls = type(value)
    if value is None:
        return ["none"]
    if cls is bool:
        return ["bool", value]
    if cls is int:
        return ["int", str(value)]
    if cls is float:
        return ["float", value.hex()]
    if cls is complex:
        return ["complex", value.real.hex(), value.imag.hex()]
    if cls is str:
        return ["str", value]
    if cls is bytes:
        return ["bytes", base64.b64encode(value).decode("ascii")]
    if cls in NUMPY_SCALARS:
        array = asarray(value)
        return ["npscalar", array.dtype.str, base64.b64encode(array_tobytes(array)).decode("ascii")]
    if cls is ndarray:
        return ["ndarray", value.dtype.str, list(value.shape), base64.b64encode(array_tobytes(value)).decode("ascii")]
    if cls is tuple:
        return ["tuple", [wire_snapshot(v) for v in value]]
    if cls is list:
        return ["list", [wire_snapshot(v) for v in value]]
    if cls is dict:
        return ["dict", [[wire_snapshot(k), wire_snapshot(v)] for k, v in dict_items(value)]]
    if cls is Opaque:
        return ["opaque", value.description]
    return ["opaque", type_description(cls)]


def unwire(data: Any, depth: int = 0) -> Any:
    """The value :func:`wire` encoded. Never runs code from the data: unknown or malformed input is opaque."""
    try:
        return _unwire(data, depth)
    except (ValueError, TypeError, KeyError, IndexError, struct_error, OverflowError, MemoryError) as error:
        return Opaque(f"a value the grader could not read ({type_name(type(error))})")


def _checked_dtype(text: Any):
    if type(text) is not str or len(text) > 16:
        raise ValueError("dtype")
    kind = dtype(text)
    if kind.kind not in ARRAY_KINDS or kind.fields is not None or kind.subdtype is not None or kind.hasobject:
        raise ValueError("dtype")
    return kind


def _unwire(data: Any, depth: int) -> Any:
    if depth > MAX_DEPTH or type(data) is not list or not data:
        raise ValueError("malformed")
    tag = data[0]
    if tag == "none":
        return None
    if tag == "bool":
        return bool(data[1] is True)
    if tag == "int":
        if type(data[1]) is not str or len(data[1]) > 4000:
            raise ValueError("int")
        return int(data[1])
    if tag == "float":
        return float.fromhex(data[1])
    if tag == "complex":
        return complex(float.fromhex(data[1]), float.fromhex(data[2]))
    if tag == "str":
        if type(data[1]) is not str:
            raise ValueError("str")
        return data[1]
    if tag == "bytes":
        return base64.b64decode(data[1], validate=True)
    if tag == "npscalar":
        kind = _checked_dtype(data[1])
        raw = base64.b64decode(data[2], validate=True)
        if len(raw) != kind.itemsize:
            raise ValueError("size")
        return frombuffer(raw, dtype=kind)[0]
    if tag == "ndarray":
        kind = _checked_dtype(data[1])
        dims = data[2]
        if type(dims) is not list or len(dims) > 32 or any_bad_dimension(dims):
            raise ValueError("shape")
        count = 1
        for d in dims:
            count *= d
        raw = base64.b64decode(data[3], validate=True)
        if len(raw) != count * kind.itemsize or len(raw) > MAX_WIRE_BYTES:
            raise ValueError("size")
        return array_copy(frombuffer(raw, dtype=kind, count=count).reshape(tuple(dims)))
    if tag in ("tuple", "list"):
        if type(data[1]) is not list or len(data[1]) > MAX_ITEMS:
            raise ValueError("items")
        items = [_unwire(v, depth + 1) for v in data[1]]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict":
        if type(data[1]) is not list or len(data[1]) > MAX_ITEMS:
            raise ValueError("items")
        result = {}
        for pair in data[1]:
            key = _unwire(pair[0], depth + 1)
            if type(key) in (list, dict, ndarray):
                raise ValueError("key")
            result[key] = _unwire(pair[1], depth + 1)
        return result
    if tag == "opaque":
        return Opaque(str(data[1])[:300])
    raise ValueError("tag")


def any_bad_dimension(dims: list) -> bool:
    for d in dims:
        if type(d) is not int or d < 0:
            return True
    return False


# --- the identity of a hidden case ---------------------------------------------------------------------------------
def case_key(assignment: str, function: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """The identity of one hidden case: a hash of the assignment, the reference function and the exact inputs."""
    return key_of_wires(assignment, function, wire(tuple(args)), wire(dict(kwargs)))


def key_of_wires(assignment: str, function: str, args_wire: Any, kwargs_wire: Any) -> str:
    text = json_dumps([assignment, function, args_wire, kwargs_wire], separators=(",", ":"))
    return sha256(text.encode("utf-8")).hexdigest()


# --- messages: length-prefixed JSON over a Unix socket -------------------------------------------------------------
def send_message(sock, message: dict) -> None:
    """Send one message: its length (4 bytes, big-endian) and its JSON."""
    payload = json_dumps(message, separators=(",", ":")).encode("utf-8")
    sock.sendall(pack(">I", len(payload)) + payload)


def receive_message(sock, limit: int = MAX_WIRE_BYTES) -> dict | None:
    """Read one message; None if the other side closed first. Raises ValueError for an oversize or odd message."""
    header = _read_exactly(sock, 4)
    if header is None:
        return None
    (size,) = unpack(">I", header)
    if size > limit:
        raise ValueError("message too large")
    body = _read_exactly(sock, size)
    if body is None:
        return None
    if too_many_values(body, MAX_MESSAGE_VALUES):
        raise ValueError("message with too many values")
    message = json_loads(bytes(body).decode("utf-8"))
    if type(message) is not dict:
        raise ValueError("not an object")
    return message


def _read_exactly(sock, size: int):
    """``size`` bytes from ``sock`` into one buffer of that size (no copies as it grows), or None if it closed."""
    data = bytearray(size)
    view, got = memoryview(data), 0
    while got < size:
        received = sock.recv_into(view[got:], min(1 << 20, size - got))
        if not received:
            return None
        got += received
    return data


def request(path: str, message: dict, timeout: float = 600) -> dict:
    """One request to the grader listening at ``path``, and its answer."""
    sock = socket_class(AF_UNIX, SOCK_STREAM)  # type: ignore[arg-type]
    try:
        sock.settimeout(timeout)
        sock.connect(path)
        send_message(sock, message)
        reply = receive_message(sock)
        if reply is None:
            raise ConnectionError("the grader closed the connection")
        return reply
    finally:
        sock.close()
