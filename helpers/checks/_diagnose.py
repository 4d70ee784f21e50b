"""The likely mistake behind a wrong result, from the result and the expected one alone.

When a comparison fails, :func:`value_mistake` and :func:`shape_mistake` look for the patterns of the classic
mistakes (a missing ``1/m`` gives exactly m times the answer, a softmax over the wrong axis gives rows that sum to
1, a scrambling reshape the right values in the wrong places...) and return one line, ``Likely mistake: ...``, or
``""`` when none fits. They only ever run on a result that already failed, so a correct answer never gets one.

Both sides run this: the student's kernel for the visible tests, the grader outside the sandbox for the hidden
cases (through :func:`._compare.verdict`). The inputs are snapshots (exact ndarrays and plain numbers), so the
ndarray methods used here are NumPy's own C code, and the few functions come from :mod:`._pristine`.
"""

from __future__ import annotations

from typing import Any

from ._pristine import (
    NUMPY_REALS,
    BaseException,
    Exception,
    absolute,
    arctan,
    arctanh,
    array_all,
    asarray,
    catch_warnings,
    deepcopy,
    dict,
    dict_items,
    errstate,
    exp,
    expm1,
    float,
    frozenset,
    int,
    isfinite,
    isnan,
    len,
    list,
    log,
    log1p,
    maximum,
    minimum,
    ndarray,
    range,
    set,
    sign,
    simplefilter,
    sinh,
    sorted,
    str,
    tan,
    tanh,
    tuple,
    type,
)
from ._snapshot import snapshot

PREFIX = "Likely mistake: "
#: How close two floats must be to count as the same value here (looser than a test's tolerance: a mistake's
#: result is computed in another order, and a factor of exactly m is m * (1 ± rounding)).
RTOL, ATOL = 1e-5, 1e-10
#: The largest whole factor reported as "exactly k times": beyond, a ratio is a coincidence of scale.
MAX_FACTOR = 100_000


def value_mistake(got: Any, expected: Any, name: str = "", rtol: Any = None, atol: Any = None) -> str:
    """The likely mistake when ``got`` (a snapshot of the same shape, or a scalar) has the wrong values, or ``""``.

    ``name``, the check's, says what is under test: a hint names a concept (a ReLU, the biases, np.log, 1/m) only
    when it is about it (:func:`concepts`); otherwise it says what the values show, without guessing the cause.
    ``rtol``/``atol``, the check's: a pattern must explain the result as exactly as a right answer must match.
    """
    try:
        g, e = asarray(got), asarray(expected)
        if g.shape != e.shape or g.dtype.kind not in "fiub" or e.dtype.kind not in "fiub" or e.size == 0:
            return ""
        # As 1-d arrays of floats: a scalar is judged as one value, and methods such as .all() work on it.
        g, e = g.astype("float64").reshape((g.size,) if g.ndim == 0 else g.shape), e.astype("float64").reshape(
            (e.size,) if e.ndim == 0 else e.shape)
        c = _context(got, name, rtol, atol)
        with errstate(all="ignore"):
            for detector in _DETECTORS[:2]:
                found = detector(got, g, e, c)
                if found:
                    return PREFIX + found
            # A result the answer to fewer digits is told so; one merely close to it fits no pattern.
            found, explained = _precision(got, g, e)
            if found or explained:
                return PREFIX + found if found else ""
            for detector in _DETECTORS[2:]:
                found = detector(got, g, e, c)
                if found:
                    return PREFIX + found
    except Exception:  # noqa: BLE001 - a diagnosis is a courtesy: a failure message without one is still right
        pass
    return ""


def shape_mistake(got_shape: tuple, expected_shape: tuple, got: Any = None, expected: Any = None) -> str:
    """The likely mistake when a result has shape ``got_shape`` instead of ``expected_shape``, or ``""``.

    With the values (``got``, ``expected``), a transposed result is told apart from one merely of transposed shape.
    """
    try:
        return _shape_mistake(tuple(got_shape), tuple(expected_shape), got, expected)
    except Exception:  # noqa: BLE001 - see value_mistake
        return ""


def _shape_mistake(got_shape: tuple, expected_shape: tuple, got: Any, expected: Any) -> str:
    if len(got_shape) == 1 and len(expected_shape) == 2 and 1 in expected_shape and _size(got_shape) == _size(
            expected_shape):
        kind = "a column" if expected_shape[1] == 1 else "a row"
        return (f"{PREFIX}a rank-1 array of shape {got_shape} where {kind} of shape {expected_shape} is asked: "
                "keep the axis (keepdims=True in np.sum or np.mean) or reshape it.")
    if len(got_shape) == 2 and got_shape == expected_shape[::-1]:
        if type(got) is ndarray and type(expected) is ndarray and _same(asarray(got, "float64").T,
                                                                       asarray(expected, "float64")):
            return f"{PREFIX}your result is the transpose of the expected one (rows and columns swapped)."
        return (f"{PREFIX}rows and columns are swapped (shape {got_shape} instead of {expected_shape}): a transposed "
                "factor (W.T?) or a product in the wrong order (X @ W instead of W @ X).")
    if (len(got_shape) == 2 and len(expected_shape) == 2 and 1 in got_shape and 1 in expected_shape
            and got_shape.index(1) != expected_shape.index(1)):
        return (f"{PREFIX}a reduction over the other axis (shape {got_shape} instead of {expected_shape}): "
                "axis=0 sums down the columns, axis=1 along the rows.")
    if len(got_shape) == 0 and len(expected_shape) >= 1:
        return (f"{PREFIX}a reduction over the whole array where one value per row or column is asked: "
                "give np.sum or np.mean an axis (and keepdims=True).")
    if len(expected_shape) == 0 and len(got_shape) >= 1:
        return f"{PREFIX}an array where one number is asked: a missing reduction (np.sum, np.mean) or float(...)?"
    if len(got_shape) == len(expected_shape) >= 1:
        differ = [i for i in range(len(got_shape)) if got_shape[i] != expected_shape[i]]
        if len(differ) == 1:
            axis = differ[0]
            return (f"{PREFIX}axis {axis} has {got_shape[axis]} entries instead of {expected_shape[axis]}: a size "
                    "taken from the wrong axis or the wrong input (X.shape[0] for X.shape[1], the training set for "
                    "the test set), or a value recorded too often or too rarely?")
    if _size(got_shape) == _size(expected_shape) and got_shape != expected_shape:
        return (f"{PREFIX}the right number of values in the wrong shape {got_shape}: check the reshape "
                f"(the result must be {expected_shape}).")
    return ""


def dtype_mistake(got: Any, expected: Any) -> str:
    """The likely mistake when an array's dtype is not numeric where numbers are asked, or ``""``."""
    try:
        if got.dtype.kind == "b":
            return (f"{PREFIX}booleans (the result of a comparison such as Z > 0) where numbers are asked: turn them "
                    "into numbers (* 1.0, .astype(float)), or keep the values with np.where or np.maximum.")
    except Exception:  # noqa: BLE001 - see value_mistake
        pass
    return ""


def modified_input(name: str) -> str:
    """For a check that an input is unchanged (its name says "must not change"): the in-place update to blame."""
    if "must not change" in name:
        return (f"{PREFIX}an in-place update of the caller's array (x -= ..., x[x < 0] = 0, x /= ...): work on a copy "
                "(x = x.copy()) or build a new array.")
    return ""


def order_mistake(got: Any, expected: Any) -> str:
    """The likely mistake when a tuple or list differs from the expected one, or ``""``."""
    try:
        if type(got) in (tuple, list) and type(expected) in (tuple, list) and len(got) == len(expected) > 1:
            if type(got) is not type(expected):
                return (f"{PREFIX}a {type(got).__name__} where a {type(expected).__name__} is asked: "
                        f"return {'(a, b, c)' if type(expected) is tuple else '[a, b, c]'}.")
            if sorted_values(got) == sorted_values(expected) and got != expected:
                return f"{PREFIX}the right values in the wrong order: check the order asked for."
    except Exception:  # noqa: BLE001 - see value_mistake
        pass
    return ""


def sorted_values(values: Any) -> list:
    return sorted(repr(v) for v in values)


def not_an_array(got: Any, expected_shape: tuple) -> str:
    """The likely mistake when an array is asked and ``got`` is not one, or ``""``."""
    if type(got) in (list, tuple):
        kind = type(got).__name__
        try:
            numbers = asarray(got)
            convertible = numbers.dtype.kind in "fiub" and numbers.shape == tuple(expected_shape)
        except Exception:  # noqa: BLE001 - ragged or not numbers: not an array in disguise
            convertible = False
        if convertible:
            return (f"{PREFIX}a Python {kind} where a NumPy array is asked: return np.array(...), or build the result "
                    "with NumPy operations.")
        if any_array(got):
            return (f"{PREFIX}a {kind} of {len(got)} values where one array is asked: the results returned in "
                    "another order, or a whole tuple (a cache?) where one of its items is asked?")
        return ""
    if got is None:
        return f"{PREFIX}a missing return: the function ends without returning its result."
    if type(got) in (int, float) or type(got) in NUMPY_REALS:
        return shape_mistake((), expected_shape)
    return ""


def any_array(values: Any) -> bool:
    """``values`` (a list or a tuple) holds an array, or a container that does."""
    for value in values:
        if type(value) is ndarray or (type(value) in (list, tuple) and any_array(value)):
            return True
    return False


def type_mistake(got: Any, wanted: tuple) -> str:
    """The likely mistake when ``got`` is not of a type in ``wanted`` (``is_type``), or ``""``."""
    try:
        if type(got) is ndarray:
            if float in wanted and got.size == 1:
                return (f"{PREFIX}an array of shape {got.shape} where one number is asked: take the number out "
                        "with float(...) or .item() (np.squeeze alone keeps an array when the shape is not 1x1).")
            if float in wanted:
                return f"{PREFIX}an array where one number is asked: a missing reduction (np.sum, np.mean)?"
            if list in wanted:
                return f"{PREFIX}a NumPy array where a list is asked: return the list itself, not np.array(...)."
        if got is None:
            return f"{PREFIX}a missing return: the function ends without returning its result."
    except Exception:  # noqa: BLE001 - see value_mistake
        pass
    return ""


def _size(shape: tuple) -> int:
    size = 1
    for d in shape:
        size *= d
    return size


def _near(a: ndarray, b: ndarray, rtol: float = RTOL, atol: float = ATOL) -> ndarray:
    """Entry by entry, ``a`` equals ``b`` up to ``rtol``/``atol`` (relative to the entry, and a thousandth of the
    largest finite one); a NaN equals only a NaN and an infinity only the same infinity, never a finite number."""
    finite = isfinite(b)
    scale = float(absolute(b[finite]).max()) if bool(finite.any()) else 0.0
    with errstate(all="ignore"):  # inf - inf is NaN: such an entry is judged by the last line
        within = (absolute(a - b) <= atol + rtol * (absolute(b) + 1e-3 * scale)) & finite & isfinite(a)
        return within | (a == b) | (isnan(a) & isnan(b))


def _same(a: ndarray, b: ndarray, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Equal up to ``rtol``/``atol``, entry by entry (see :func:`_near`)."""
    if a.shape != b.shape:
        return False
    return bool(array_all(_near(a, b, rtol, atol)))


#: How exactly a generic pattern must explain a float64 result: to rounding, not to a few digits.
TIGHT_RTOL, TIGHT_ATOL = 1e-9, 1e-12
#: Closer than this to the answer, a result is a matter of precision: no pattern is claimed for it.
PRECISION_RTOL = 1e-4


def _tight_rtol(got: Any) -> float:
    """The tolerance of a generic pattern for a result of ``got``'s dtype (a float32 result has fewer digits)."""
    dtype = asarray(got).dtype
    if dtype.kind == "f" and dtype.itemsize < 8:
        return 2e-6 if dtype.itemsize == 4 else 4e-3
    return TIGHT_RTOL


class _Context:
    """What the detectors know of a check besides the values: the concepts its name is about, and how exactly a
    pattern must explain the result (the check's own tolerance, which a right answer must meet, within the
    precision of the result's dtype)."""

    __slots__ = ("about", "rtol", "atol")

    def __init__(self, about: frozenset, rtol: float, atol: float):
        self.about, self.rtol, self.atol = about, rtol, atol

    def near(self, a: ndarray, b: ndarray) -> ndarray:
        return _near(a, b, self.rtol, self.atol)

    def exact(self, a: ndarray, b: ndarray) -> bool:
        """``a`` is ``b`` as exactly as a right answer must be the answer: what a generic pattern needs."""
        return _same(a, b, self.rtol, self.atol)


def _context(got: Any, name: str, rtol: Any, atol: Any) -> _Context:
    low = _tight_rtol(got)
    rtol = low if rtol is None or not rtol > low else rtol if rtol < RTOL else RTOL
    atol = TIGHT_ATOL if atol is None or not atol > TIGHT_ATOL else atol if atol < 1e-8 else 1e-8
    return _Context(concepts(name), float(rtol), float(atol))


def _distinct(a: ndarray) -> int:
    """How many different values ``a`` holds."""
    b = a.ravel().copy()
    b.sort()
    return 1 + int((b[1:] != b[:-1]).sum()) if b.size else 0


# --- what the check's name tells: the concepts a hint may name ----------------------------------------------------
#: Concept -> the words (prefixes of the name's words) that bring it: a hint names a ReLU, the biases, np.log or
#: 1/m only when the function or value under test is about it.
CONCEPTS: dict = {
    "mean": ("cost", "loss", "entrop", "likelihood", "propagat", "backward", "gradient", "grad", "mean", "averag"),
    "log": ("cost", "loss", "entrop", "likelihood", "log"),
    "relu": ("relu",),
    "bias": ("bias", "initiali"),
    "mask": ("mask", "dropout", "keep"),
    "exp": ("sigmoid", "logistic", "softmax", "softplus"),
    "reshape": ("flatten", "reshape", "image", "vector", "unroll"),
    "update": ("update", "descent", "optimi"),
    "norm": ("norm", "softmax"),
    "linear": ("forward", "linear", "layer", "predict", "propagat"),
    "predict": ("predict", "classif", "accuracy"),
}


def concepts(name: str) -> frozenset:
    """The concepts of :data:`CONCEPTS` that the check's ``name`` is about (the inputs of a hidden case, ``(inputs:
    ...)``, left out: their keys say nothing about the function)."""
    try:
        text = str(name).lower()
        cut = text.find(" (inputs: ")
        if cut >= 0:
            depth, end = 0, len(text)
            for i in range(cut + 1, len(text)):
                depth += 1 if text[i] == "(" else -1 if text[i] == ")" else 0
                if depth == 0:
                    end = i + 1
                    break
            text = text[:cut] + text[end:]
        words, word = [], ""
        for char in text + " ":
            if char.isalnum():
                word += char
            elif word:
                words.append(word)
                word = ""
        found = set()
        for concept, prefixes in dict_items(CONCEPTS):
            for w in words:
                if any_prefix(w, prefixes) or (concept == "bias" and _is_bias_key(w)) or (
                        concept == "mean" and _is_gradient_key(w)):
                    found.add(concept)
        return frozenset(found)
    except Exception:  # noqa: BLE001 - see value_mistake
        return frozenset()


def any_prefix(word: str, prefixes: tuple) -> bool:
    for prefix in prefixes:
        if word.startswith(prefix):
            return True
    return False


def _is_bias_key(word: str) -> bool:
    """``b``, ``b1``, ``b2``...: a bias of the parameters."""
    return word[:1] == "b" and (len(word) == 1 or word[1:].isdigit())


def _is_gradient_key(word: str) -> bool:
    """``dw1``, ``db``, ``dz2``, ``da0``...: a gradient, an average over the examples."""
    return len(word) >= 2 and word[0] == "d" and word[1] in "wbza" and (len(word) == 2 or word[2:].isdigit())


# --- the detectors, in the order they are tried: each (got as given, got as floats, expected as floats, concepts) --
def _not_finite(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    finite = isfinite(e)
    if not array_all(finite):
        return ""
    if bool((isnan(g)).any()):
        return ("NaN where the answer is finite: an overflow (np.exp of a large number is inf, and inf / inf or "
                "inf - inf is NaN) or a 0 / 0; use the stable form (subtract the maximum before np.exp) or clip.")
    if not array_all(isfinite(g)):
        if "log" in c.about:
            return ("inf where the answer is finite: a log of 0 (or a division by 0); clip the probabilities away "
                    "from 0 and 1 before np.log (np.clip(A, 1e-12, 1 - 1e-12)).")
        return "inf where the answer is finite: a division by 0 (or a log of 0) somewhere?"
    return ""


def _integers(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    kind = asarray(got).dtype.kind
    if type(got) is int or kind in "iu":
        fractional = bool((absolute(e - e.round()) > 1e-9).any())
        if fractional:
            what = "an int" if type(got) is int or asarray(got).ndim == 0 else f"integers (dtype {asarray(got).dtype})"
            return (f"your result holds {what} where fractions are expected: an integer division (//), int(...), "
                    "or an array created from integers (np.zeros(n, dtype=int), np.array([1, 2])): use floats.")
    return ""


def _precision(got: Any, g: ndarray, e: ndarray) -> tuple:
    """``(hint, explained)``: a result that is the answer to fewer digits (float32, a rounding) is told so, and no
    other pattern is claimed for a result this close to the answer."""
    if not (bool(array_all(isfinite(g))) and bool(array_all(isfinite(e)))):
        return "", False
    dtype = asarray(got).dtype
    if dtype.kind == "f" and dtype.itemsize < 8 and _same(g, e, _tight_rtol(got), TIGHT_ATOL):
        return (f"your values are right only to {dtype} precision (about {7 if dtype.itemsize == 4 else 3} "
                "significant digits): compute in float64 (no dtype=np.float32 or .astype(np.float32))."), True
    # Rounded to some decimals (not to whole numbers: 0/1 predictions or zeros are that too), with fractions left.
    if _distinct(g[absolute(g - g.round()) > 1e-12]) >= 1:
        for decimals in range(1, 13):
            if _same(g, e.round(decimals), 1e-12, 1e-15) and not _same(g, e, 1e-12, 1e-15):
                return (f"your values are the expected ones rounded to {decimals} decimal{'s' if decimals > 1 else ''}"
                        ": a round (np.round, round(...)) or a formatted number where the full value is asked."), True
    return "", _same(g, e, PRECISION_RTOL, 1e-8)


def _all_zero(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    if e.size > 1 and not bool((g != 0).any()) and bool((absolute(e) > ATOL).any()):
        return ("your result is all zeros: is something never computed or never updated (a placeholder left in, "
                "a loop that does not run, a value overwritten)?")
    return ""


def _should_be_zero(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    if e.size > 1 and not bool((e != 0).any()) and bool((g != 0).any()):
        if "bias" in c.about:
            return ("the answer is all zeros and yours is not: something that starts at 0 (the biases: np.zeros) "
                    "was drawn at random or given a value?")
        return "the answer is all zeros and yours is not."
    return ""


def _dropped_and_scaled(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    kept = g != 0
    dropped = (~kept) & (e != 0)
    if int(dropped.sum()) < 2 or int(kept.sum()) < 2 or not bool(array_all(e[kept] != 0)):
        return ""
    ratios = g[kept] / e[kept]
    r = float(ratios[0])
    if absolute(r - 1) > 1e-6 and c.exact(g[kept], r * e[kept]):
        cause = (": dropout (mask, then divide by keep_prob) applied where it does not belong (the output layer?), "
                 "or with another mask?") if "mask" in c.about else "."
        return f"some entries are zeroed and the others multiplied by {r:.6g}{cause}"
    return ""


def _sign(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    if bool((absolute(e) > ATOL).any()) and c.exact(g, -e):
        cause = (" (the cost is -(1/m) Σ ...)" if "mean" in c.about and "log" in c.about
                 else " (the update is w - α·dw)" if "update" in c.about else "")
        return f"the sign is flipped: a minus sign missing or extra{cause}."
    return ""


def _labels(e: ndarray) -> bool:
    """The expected values are 0/1 (labels, a mask, predictions)."""
    return bool(array_all((e == 0) | (e == 1)))


def _one_minus(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    inside = e.size >= 2 and float(e.max()) > float(e.min()) and bool(array_all((e >= 0) & (e <= 1)))
    if not (inside and not c.exact(e, 1 - e) and c.exact(g, 1 - e)):
        return ""
    if _labels(e):
        return "your 0s and 1s are swapped: a comparison the wrong way round, or the two classes swapped?"
    if "exp" in c.about:
        return ("your values are 1 minus the expected ones: a sign inside the exponent (np.exp(z) for np.exp(-z)), "
                "or the two classes swapped?")
    return "your values are 1 minus the expected ones."


def _simple_fraction(x: float, rtol: float) -> str:
    """``x`` as ``p/q`` (q up to 12, p up to 1000, to ``rtol``), or ``""``."""
    for q in range(2, 13):
        p = int(x * q + 0.5)
        if 1 <= p <= 1000 and absolute(x * q - p) <= rtol * p and p % q:
            return f"{p}/{q}"
    return ""


def _factor(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    nonzero = absolute(e) > ATOL + 1e-6 * float(absolute(e).max())
    count = int(nonzero.sum())
    # One scalar, two different nonzero entries, or a 0/1 mask: a ratio of one entry among zeros proves nothing.
    if not count or (e.size > 1 and _distinct(e[nonzero]) < 2 and not (_labels(e) and count >= 2)) or not c.exact(
            g[~nonzero], e[~nonzero]):
        return ""
    r = float(g[nonzero][0] / e[nonzero][0])
    if r == 0 or not isfinite(r) or absolute(absolute(r) - 1) <= 1e-6 or not c.exact(g, r * e):
        return ""
    size = -r if r < 0 else r
    sign = " and the sign is flipped" if r < 0 else ""
    mean, dropout = "mean" in c.about, "mask" in c.about
    mask = dropout and _labels(e)
    whole, inverse = int(size + 0.5), int(1 / size + 0.5)  # the nearest whole numbers (size > 0)
    if 2 <= whole <= MAX_FACTOR and absolute(size - whole) <= c.rtol * whole:
        if whole == 100 and bool(array_all((e >= 0) & (e <= 1))):
            return f"your result is exactly 100 times the expected one{sign}: a percentage where a fraction is asked?"
        cause = (": a mask divided by keep_prob where the 0/1 mask itself is asked?" if mask
                 else ": divided by keep_prob once too often?" if dropout
                 else ": a sum where the mean is asked, or a missing 1/m (m, the number of examples, is the last axis "
                 "of X)?" if mean else ".")
        return f"your result is exactly {whole} times the expected one{sign}{cause}"
    if 2 <= inverse <= MAX_FACTOR and absolute(1 / size - inverse) <= c.rtol * inverse:
        cause = (": the division by keep_prob forgotten (or done as a product)?" if dropout
                 else ": divided by m (or averaged) once too often, or by the wrong count?" if mean else ".")
        return f"your result is exactly 1/{inverse} of the expected one{sign}{cause}"
    if e.size > 1:
        fraction, square = _simple_fraction(size, c.rtol), size * size
        root = _simple_fraction(square, 2 * c.rtol) or (str(int(square + 0.5)) if 2 <= int(square + 0.5) <= 1000
                                                       and absolute(square - int(square + 0.5)) <= 2 * c.rtol * square
                                                       else "")
        if fraction:
            return f"your result is the expected one times {r:.6g} ({'-' if r < 0 else ''}{fraction}), entry by entry."
        if root:
            return (f"your result is the expected one times {r:.6g} ({'-' if r < 0 else ''}√({root})), entry by "
                    "entry: a wrong number under a square root?")
        return f"your result is the expected one times {r:.6g}, entry by entry: a wrong constant factor somewhere?"
    return ""


def _reciprocal(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    if bool(array_all(absolute(e) > ATOL)) and not c.exact(e, 1 / e) and c.exact(g, 1 / e):
        if "exp" in c.about:
            return ("your result is 1 divided by the expected one: a fraction upside down, or operator precedence "
                    "(1 / 1 + np.exp(-z) is 1 + np.exp(-z); write 1 / (1 + np.exp(-z))).")
        return "your result is 1 divided by the expected one: a fraction upside down?"
    return ""


def _power(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    if not bool(array_all(e > ATOL)) or c.exact(e, e * e):
        return ""
    if e.size > 1 and _distinct(e[(e != 1)]) < 2:  # squares of 1 prove nothing, nor one value repeated
        return ""
    if c.exact(g, e * e):
        return "your result is the square of the expected one: a square too many (or a missing square root)?"
    if bool(array_all(g >= 0)) and c.exact(g * g, e):
        return "your result is the square root of the expected one: np.sqrt (or a norm) where a sum of squares is asked?"
    return ""


#: Ratios between two logarithms that a whole-number test would miss (the ratio itself is the evidence).
KNOWN_RATIOS = ((0.4342944819032518, "np.log10 where the natural logarithm np.log is asked"),
                (1.4426950408889634, "np.log2 where the natural logarithm np.log is asked"))


def _known_ratio(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    for ratio, cause in KNOWN_RATIOS:
        if bool((absolute(e) > ATOL).any()) and c.exact(g, ratio * e):
            return f"your result is the expected one times {ratio:.6g}: {cause}?"
    return ""


def _probabilities(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    if _labels(e) and bool(array_all((g >= 0) & (g <= 1))) and bool(((g > 0) & (g < 1)).any()):
        if "predict" in c.about:
            return "probabilities where 0/1 predictions are asked: threshold them (1.0 where A > 0.5, else 0.0)."
        return "values between 0 and 1 where the answer holds only 0s and 1s."
    return ""


def _constant(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    if e.size > 1 and float(g.max()) == float(g.min()) and float(e.max()) > float(e.min()):
        return (f"every value of your result is {float(g.ravel()[0]):.6g}, where the expected ones differ: a "
                "comparison that is always true (or false), a threshold on the wrong quantity, or one value "
                "broadcast everywhere?")
    return ""


def _scaled_rows_or_columns(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    if g.ndim != 2 or g.shape[0] < 2 or g.shape[1] < 2 or not bool(array_all(absolute(e) > ATOL)):
        return ""
    ratio = g / e
    if _distinct(ratio.round(9)) < 2:
        return ""
    if c.exact(ratio, 0 * ratio + ratio[:, :1]):
        if "norm" in c.about:
            return ("each row is the expected row times its own factor: the right direction, the wrong "
                    "normalisation (which norm, over which axis, a missing square root or keepdims=True?).")
        return "each row is the expected row times its own factor."
    if c.exact(ratio, 0 * ratio + ratio[:1, :]):
        return ("each column is the expected column times its own factor: a division by a rank-1 array that "
                "broadcasts along the wrong axis (a missing keepdims=True), or a normalisation over the wrong axis?")
    return ""


def _wrong_only_at_zero(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    wrong = ~c.near(g, e)
    if e.size > 1 and bool(wrong.any()) and bool(array_all(e[wrong] == 0)) and bool((e != 0).any()):
        if "relu" in c.about:
            return ("your result is right wherever the answer is nonzero and wrong only where it is 0: the case of "
                    "negative (or zero) inputs, where a ReLU and its slope are 0?")
        return "your result is right wherever the answer is nonzero, and wrong only where it is 0."
    return ""


def _capped(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    """A clip: several entries exactly at the cap where the answer exceeds it, and below it several different
    values that are right (a result of two values, say a slope of 0.1 for 0.01, is no clip)."""
    if e.size < 4:
        return ""
    top, bottom = float(g.max()), float(g.min())
    rtol = c.rtol
    over, under = (g == top) & (e > top + rtol * absolute(e)), (g == bottom) & (e < bottom - rtol * absolute(e))
    if int(over.sum()) >= 2 and _distinct(g[g < top]) >= 2 and c.exact(g, minimum(e, top)):
        return f"your result is the answer capped at {top:.6g}: the large values are cut off (a clip or a minimum too many)."
    if int(under.sum()) >= 2 and _distinct(g[g > bottom]) >= 2 and c.exact(g, maximum(e, bottom)):
        return (f"your result is the answer floored at {bottom:.6g}: the small values are cut off (a clip or a maximum "
                "too many).")
    return ""


def _other_activation(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    """The answer of an invertible activation gives back its input; a known wrong function of that input may be
    what the student computed (tanh for sigmoid, sinh for tanh, ReLU for softplus...)."""
    if e.size < 2 or float(e.max()) == float(e.min()):
        return ""
    for name, forward, inverse, inside in INVERTIBLE:
        if not bool(array_all(inside(e))):
            continue
        z = inverse(e)
        if not (bool(array_all(isfinite(z))) and _same(forward(z), e)):
            continue
        for description, function in ELEMENTWISE:
            candidate = function(z)
            if _matches(g, candidate, e):
                return f"your function computes {description} where {name} is asked."
    return ""


def _transposed(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    if g.ndim == 2 and g.shape[0] == g.shape[1] > 1 and not c.exact(e, e.T) and c.exact(g, e.T):
        return "your result is the transpose of the expected one (rows and columns swapped: W.T, or X @ W for W @ X)."
    return ""


def _normalised_over(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    if e.ndim != 2 or min_size(e) < 2 or not bool(array_all(e >= 0)):
        return ""
    for axis, right in ((0, "each column must sum to 1 (axis=0, keepdims=True)"),
                        (1, "each row must sum to 1 (axis=1, keepdims=True)")):
        if not c.exact(e.sum(axis=axis), 1.0 + 0 * e.sum(axis=axis)):
            continue
        other = 1 - axis
        if c.exact(g.sum(axis=other), 1.0 + 0 * g.sum(axis=other)):
            over = "rows (axis=1)" if other == 1 else "columns (axis=0)"
            return f"your result is normalised over the {over}; {right}."
        if absolute(float(g.sum()) - 1) < 1e-6:
            return f"your result is normalised over the whole array; {right}."
    return ""


def min_size(a: ndarray) -> int:
    return a.shape[0] if a.shape[0] < a.shape[1] else a.shape[1]


def _scrambled(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    """The same values in another order: the sorted values match to rounding, the values in place do not even
    roughly, and the values are mostly different (any shuffle of 0/1 labels has the same sorted values)."""
    if e.size < 3 or _distinct(e) < 3 or 2 * _distinct(e) < e.size or _same(g, e, PRECISION_RTOL, 1e-8):
        return ""
    a, b = g.ravel().copy(), e.ravel().copy()
    a.sort()
    b.sort()
    if not c.exact(a, b):
        return ""
    reshaped = e.ndim == 2 and (c.exact(g, e.ravel().reshape(e.shape[::-1]).T)
                                or c.exact(g, e.T.ravel().reshape(e.shape)))
    if "reshape" in c.about:
        return ("the right values in the wrong places: a reshape that mixes up the order (to make one column per "
                "example, images.reshape(m, -1).T keeps each example together; images.reshape(-1, m) does not).")
    if reshaped:
        return ("the right values in the wrong places, in the order of a reshape (or a transpose) that mixes them up: "
                "check the order of the axes.")
    return "the right values in the wrong places: your result holds exactly the expected values, in another order."


def _offset(got: Any, g: ndarray, e: ndarray, c: _Context) -> str:
    if e.size < 2:
        return ""
    d = g - e
    term = " (+ b?)" if "linear" in c.about else ""
    if c.exact(d, 0 * d + float(d.ravel()[0])):
        return f"every value is off by the same amount ({float(d.ravel()[0]):.6g}): a missing or extra term{term}."
    if d.ndim == 2 and d.shape[1] > 1 and d.shape[0] > 1 and _distinct(d[:, 0].round(9)) > 1 and c.exact(d, 0 * d + d[:, :1]):
        return f"each row is off by its own constant: a missing or extra column vector added to every column{term}."
    return ""


_DETECTORS = (_not_finite, _integers, _all_zero, _probabilities, _should_be_zero, _dropped_and_scaled, _sign,
              _one_minus, _known_ratio, _factor, _reciprocal, _power, _wrong_only_at_zero, _capped,
              _other_activation, _transposed, _normalised_over, _scrambled, _scaled_rows_or_columns, _constant,
              _offset)


# --- with the case's inputs: a known wrong function, or a mistake of the exercise's catalogue ----------------------
#: What a wrong elementwise function computes instead of the one asked for, by description.
def _sigmoid(z):
    return 1 / (1 + exp(-z))


ELEMENTWISE: tuple = (
    ("the ReLU max(Z, 0)", lambda z: maximum(z, 0)),
    ("the absolute value |Z| (a ReLU gives 0 for negative inputs)", absolute),
    ("Z itself (no activation applied)", lambda z: z + 0),
    ("a leaky ReLU with slope 0.01", lambda z: maximum(z, 0.01 * z)),
    ("a leaky ReLU with slope 0.1", lambda z: maximum(z, 0.1 * z)),
    ("min(Z, 0) (np.minimum where np.maximum is meant)", lambda z: minimum(z, 0)),
    ("a ReLU clipped at 1", lambda z: minimum(maximum(z, 0), 1)),
    ("tanh(Z)", tanh),
    ("sigmoid(Z)", _sigmoid),
    ("softplus log(1 + exp(Z))", lambda z: log1p(exp(z))),
    ("sinh(Z)", sinh),
    ("tanh(Z / 2) (half the argument)", lambda z: tanh(z / 2)),
    ("arctan(Z)", arctan),
    ("tan(Z)", tan),
    ("exp(Z)", exp),
    ("the step 1 where Z > 0 (a mask, or the ReLU's derivative)", lambda z: (z > 0) * 1.0),
    ("the step 1 where Z >= 0 (the derivative at 0 is 0 here)", lambda z: (z >= 0) * 1.0),
    ("sign(Z)", sign),
    ("the sigmoid's derivative sigmoid(Z) * (1 - sigmoid(Z))", lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    ("the tanh's derivative 1 - tanh(Z)**2", lambda z: 1 - tanh(z) ** 2),
    ("1 - tanh(Z) (the derivative is 1 - tanh(Z)**2)", lambda z: 1 - tanh(z)),
    ("Z * (1 - Z) (the sigmoid's derivative written for an activation A, not for Z)", lambda z: z * (1 - z)),
    ("1 - Z**2 (the tanh's derivative written for an activation A, not for Z)", lambda z: 1 - z * z),
)

#: Activations whose input can be read back from their output: (name, function, inverse, where the inverse holds).
INVERTIBLE: tuple = (
    ("sigmoid(Z)", _sigmoid, lambda a: log(a / (1 - a)), lambda a: (a > 0) & (a < 1)),
    ("tanh(Z)", tanh, arctanh, lambda a: (a > -1) & (a < 1)),
    ("softplus log(1 + exp(Z))", lambda z: log1p(exp(z)), lambda a: log(expm1(a)), lambda a: a > 0),
)

#: The exercises' catalogues of known mistakes, by function name: ``{description: function}`` (see
#: :func:`helpers.checks.mistakes`). Filled by the notebook's catalogue cells, in the kernel that runs them.
CATALOGUE: dict = {}


def case_mistake(name: str, args: tuple, kwargs: dict, got: Any, expected: Any, known: Any = None) -> str:
    """The likely mistake of a failed case, from its inputs: a known mistake of the exercise's catalogue whose
    result on these inputs is ``got``, or (for a function of one array) a known wrong elementwise function.
    ``known``: the catalogue's results on these inputs, as the grader recorded them from the source notebook
    (``[(description, result), ...]``); without it the catalogue registered in this kernel is computed here.
    ``""`` when none matches."""
    try:
        with catch_warnings():
            simplefilter("ignore")
            with errstate(all="ignore"):
                results = catalogue_results(name, args, kwargs) if known is None else known
                for description, candidate in results:
                    if _matches(got, snapshot(candidate), expected):
                        return PREFIX + str(description)
                return _elementwise_match(args, kwargs, got, expected)
    except BaseException:  # noqa: BLE001 - a courtesy: never let a diagnosis hide the verdict
        return ""


def catalogue_results(name: str, args: tuple, kwargs: dict) -> list:
    """``[(description, result), ...]``: each known mistake of ``name`` computed on a case's inputs (the mistakes
    that do not apply to these inputs, by raising, are left out)."""
    results = []
    with catch_warnings():
        simplefilter("ignore")
        with errstate(all="ignore"):
            for description, function in dict_items(CATALOGUE.get(name, {})):
                try:
                    results.append((str(description), function(*deepcopy(args), **deepcopy(dict(kwargs)))))
                except Exception:  # noqa: BLE001 - a mistake that does not apply to these inputs
                    continue
    return results


def _matches(got: Any, candidate: Any, expected: Any) -> bool:
    """``got`` is ``candidate`` (the same numbers, same shapes), and ``candidate`` is not the right answer."""
    return _equal_values(got, candidate) and not _equal_values(candidate, expected)


def _equal_values(a: Any, b: Any) -> bool:
    if type(a) is dict or type(b) is dict:
        if type(a) is not dict or type(b) is not dict or len(a) != len(b):
            return False
        for key, value in dict_items(b):
            if key not in a or not _equal_values(a[key], value):
                return False
        return True
    if type(a) in (tuple, list) or type(b) in (tuple, list):
        if type(a) not in (tuple, list) or type(b) not in (tuple, list) or len(a) != len(b):
            return False
        for i in range(len(a)):
            if not _equal_values(a[i], b[i]):
                return False
        return True
    try:
        x, y = asarray(a), asarray(b)
        if x.shape != y.shape or x.dtype.kind not in "fiub" or y.dtype.kind not in "fiub":
            return False
        return _same(x.astype("float64").reshape(-1), y.astype("float64").reshape(-1))
    except Exception:  # noqa: BLE001 - values that are not numbers are not a match
        return False



def _elementwise_match(args: tuple, kwargs: dict, got: Any, expected: Any) -> str:
    if len(args) != 1 or kwargs or type(args[0]) is not ndarray or type(got) is not ndarray:
        return ""
    z = args[0]
    if z.dtype.kind not in "fiu" or got.shape != z.shape or z.size < 2:
        return ""
    z = z.astype("float64")
    for description, function in ELEMENTWISE:
        candidate = function(z)
        if _matches(got, candidate, expected):
            return f"{PREFIX}your function computes {description} instead of what is asked."
    return ""
