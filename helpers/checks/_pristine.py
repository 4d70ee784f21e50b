"""What the checks rely on, as it was when the checks were imported: before any student code ran.

The checks run in the student's kernel, where ``builtins.isinstance = ...`` or ``np.allclose = ...`` are one line
away. Every module of :mod:`helpers.checks` takes the names it uses from here, with ``from ._pristine import ...``:
the names are bound in that module's own namespace at import, and a module's names are looked up before the
builtins', so replacing a builtin or a NumPy function later changes nothing in the checks. (The modules themselves
are sealed while grading: see :mod:`._seal`.) NumPy's ufuncs and ``ndarray``'s operators are C code that nothing in
Python can change, so on exact ndarrays ``a - b`` and ``a <= b`` are as trustworthy as ``np.subtract``.

The names keep their ordinary spelling (``len``, ``isinstance``, ``absolute``), so the checks read like plain
Python and NumPy.
"""

from __future__ import annotations

import builtins
import collections
import copy
import hashlib
import json
import math
import socket
import struct
import warnings

import numpy as np

# --- Python ------------------------------------------------------------------------------------------------------
type = builtins.type
isinstance = builtins.isinstance
issubclass = builtins.issubclass
len = builtins.len
repr = builtins.repr
str = builtins.str
float = builtins.float
int = builtins.int
bool = builtins.bool
complex = builtins.complex
bytes = builtins.bytes
bytearray = builtins.bytearray
memoryview = builtins.memoryview
tuple = builtins.tuple
list = builtins.list
dict = builtins.dict
set = builtins.set
frozenset = builtins.frozenset
sorted = builtins.sorted
enumerate = builtins.enumerate
zip = builtins.zip
range = builtins.range
min = builtins.min
max = builtins.max
all = builtins.all
any = builtins.any
print = builtins.print
getattr = builtins.getattr
callable = builtins.callable
open = builtins.open
object_getattribute = object.__getattribute__
#: A class's true name and ancestry, read through ``type``'s own descriptors (a metaclass cannot lie about them).
type_name = type.__dict__["__name__"].__get__
type_mro = type.__dict__["__mro__"].__get__
dict_items = dict.items
list_append = list.append
deepcopy = copy.deepcopy
isclose_math = math.isclose
catch_warnings = warnings.catch_warnings
simplefilter = warnings.simplefilter
BaseException = builtins.BaseException
Exception = builtins.Exception
OSError = builtins.OSError
ValueError = builtins.ValueError
TypeError = builtins.TypeError
KeyError = builtins.KeyError
IndexError = builtins.IndexError
OverflowError = builtins.OverflowError
MemoryError = builtins.MemoryError
AttributeError = builtins.AttributeError
ConnectionError = builtins.ConnectionError
json_dumps = json.dumps
json_loads = json.loads
sha256 = hashlib.sha256
pack = struct.pack
unpack = struct.unpack
struct_error = struct.error
socket_class = socket.socket
AF_UNIX = builtins.getattr(socket, "AF_UNIX", None)
SOCK_STREAM = socket.SOCK_STREAM

# --- NumPy ---------------------------------------------------------------------------------------------------------
ndarray = np.ndarray
generic = np.generic
asarray = np.asarray
errstate = np.errstate
printoptions = np.printoptions
array2string = np.array2string
frombuffer = np.frombuffer
dtype = np.dtype
argwhere = np.argwhere
result_type = np.result_type
array_copy = np.ndarray.copy
array_tobytes = np.ndarray.tobytes
array_all = np.ndarray.all
# ufuncs are C objects: nothing in Python can change what they compute.
absolute = np.absolute
isfinite = np.isfinite
isnan = np.isnan
logical_not = np.logical_not
# for the diagnosis of elementwise functions (._diagnose): what a wrong activation computes instead
maximum = np.maximum
minimum = np.minimum
tanh = np.tanh
exp = np.exp
log1p = np.log1p
sign = np.sign
arctan = np.arctan
sinh = np.sinh
tan = np.tan
log = np.log
expm1 = np.expm1
arctanh = np.arctanh

#: NumPy's scalar types (np.float64, np.int32, np.bool_...), the real classes.
NUMPY_SCALARS = frozenset(t for t in set(np.sctypeDict.values()) if issubclass(t, generic))
NUMPY_REALS = frozenset(t for t in NUMPY_SCALARS if issubclass(t, (np.integer, np.floating)))
PLAIN_SCALARS = frozenset({type(None), bool, int, float, complex, str, bytes})
REAL_TYPES = frozenset({int, float}) | NUMPY_REALS
BOOL_TYPES = frozenset({bool, np.bool_})
#: Dicts from the standard library are copied as plain dicts; a student's dict subclass is not.
DICT_TYPES = frozenset({dict, collections.OrderedDict, collections.defaultdict, collections.Counter})
#: Classes that is_type accepts as subclasses of what it asks for (np.float64 is a float, bool an int...): the
#: builtins' and NumPy's own, never a class defined by student code.
TRUSTED_TYPES = frozenset(
    [t for t in vars(builtins).values() if isinstance(t, type)] + list(NUMPY_SCALARS) + list(DICT_TYPES)
    + [collections.deque]
)
