"""Student answers to assignment 01, wrong and right, as they show up in real submissions."""

ASSIGNMENT = "01_numpy_basics"

_MATRIX_RETURN = '''
    return {"AB_at": AB_at, "AB_dot": AB_dot, "AB_matmul": AB_matmul, "AC": AC, "two_A": two_A,
            "two_A_T": two_A_T, "three_A_T_B": three_A_T_B, "three_A_T_C": three_A_T_C,
            "A_hadamard_B": A_hadamard_B}
'''


def _matrix(body: str) -> str:
    return "def matrix_operations(A, B, C):\n" + body + _MATRIX_RETURN


_MATRIX_RIGHT = '''
    AB_at = A @ B
    AB_dot = np.dot(A, B)
    AB_matmul = np.matmul(A, B)
    AC = A @ C
    two_A = 2 * A
    two_A_T = 2 * A.T
    three_A_T_B = 3 * A.T @ B
    three_A_T_C = 3 * A.T @ C
    A_hadamard_B = A * B
'''

WRONG = {
    "matrix_operations": {
        "elementwise_for_matmul": _matrix(_MATRIX_RIGHT.replace("AB_at = A @ B", "AB_at = A * B")),
        "missing_transpose": _matrix(_MATRIX_RIGHT.replace("three_A_T_B = 3 * A.T @ B", "three_A_T_B = 3 * A @ B")),
        "hadamard_as_matmul": _matrix(_MATRIX_RIGHT.replace("A_hadamard_B = A * B", "A_hadamard_B = A @ B")),
        "transposed_two_A": _matrix(_MATRIX_RIGHT.replace("two_A = 2 * A\n", "two_A = 2 * A.T\n")),
        "hard_coded_answers": _matrix('''
    AB_at = AB_dot = AB_matmul = np.array([[14, 15], [58, 59]])
    AC = np.array([[14, 15, 9], [58, 59, 45]])
    two_A = np.array([[4, 2], [12, 10]])
    two_A_T = np.array([[4, 12], [2, 10]])
    three_A_T_B = np.array([[162, 150], [129, 117]])
    three_A_T_C = np.array([[162, 150, 162], [129, 117, 135]])
    A_hadamard_B = np.array([[6, 4], [48, 35]])
'''),
        "B_transposed": _matrix(_MATRIX_RIGHT.replace("AB_dot = np.dot(A, B)", "AB_dot = np.dot(A, B.T)")),
        "three_after_C": _matrix(_MATRIX_RIGHT.replace("three_A_T_C = 3 * A.T @ C", "three_A_T_C = A.T @ C")),
    },
    "basic_sigmoid": {
        "sign_error": "def basic_sigmoid(x):\n    return 1 / (1 + math.exp(x))\n",
        "precedence": "def basic_sigmoid(x):\n    return 1 / 1 + math.exp(-x)\n",
        "minus_in_denominator": "def basic_sigmoid(x):\n    return 1 / (1 - math.exp(-x))\n",
        "tanh_instead": "def basic_sigmoid(x):\n    return math.tanh(x)\n",
        "rounded_to_int": "def basic_sigmoid(x):\n    return round(1 / (1 + math.exp(-x)))\n",
        "returns_array": "def basic_sigmoid(x):\n    return np.array([1 / (1 + math.exp(-x))])\n",
    },
    "sigmoid": {
        "unstable_exp_ratio": "def sigmoid(x):\n    return np.exp(x) / (1 + np.exp(x))\n",
        "sign_error": "def sigmoid(x):\n    return 1 / (1 + np.exp(x))\n",
        "clipped_too_early": "def sigmoid(x):\n    return 1 / (1 + np.exp(-np.clip(x, -5, 5)))\n",
        "rank1_output": "def sigmoid(x):\n    return (1 / (1 + np.exp(-x))).ravel()\n",
        "uses_math_in_loop_flattened": (
            "def sigmoid(x):\n    return np.array([1 / (1 + math.exp(-v)) for v in np.ravel(x)])\n"),
        "float32_precision": "def sigmoid(x):\n    return (1 / (1 + np.exp(-x.astype(np.float16)))).astype(float)\n",
    },
    "sigmoid_derivative": {
        "derivative_of_x": "def sigmoid_derivative(x):\n    return x * (1 - x)\n",
        "plus_instead_of_minus": "def sigmoid_derivative(x):\n    s = sigmoid(x)\n    return s * (1 + s)\n",
        "returns_sigmoid": "def sigmoid_derivative(x):\n    return sigmoid(x)\n",
        "tanh_derivative": "def sigmoid_derivative(x):\n    return 1 - sigmoid(x) ** 2\n",
        "summed": "def sigmoid_derivative(x):\n    s = sigmoid(x)\n    return np.sum(s * (1 - s))\n",
        "missing_square": "def sigmoid_derivative(x):\n    return np.exp(-x) / (1 + np.exp(-x))\n",
    },
    "image2vector": {
        "rank1": "def image2vector(image):\n    return image.reshape(-1)\n",
        "row_vector": "def image2vector(image):\n    return image.reshape(1, -1)\n",
        "hard_coded_shape": "def image2vector(image):\n    return image.reshape(3 * 3 * 2, 1)\n",
        "fortran_order": "def image2vector(image):\n    return image.reshape(-1, 1, order='F')\n",
        "transposed_first": "def image2vector(image):\n    return image.T.reshape(-1, 1)\n",
        "channels_first": "def image2vector(image):\n    return np.moveaxis(image, 2, 0).reshape(-1, 1)\n",
    },
    "normalizeRows": {
        "l1_norm": "def normalizeRows(x):\n    return x / np.sum(np.abs(x), axis=1, keepdims=True)\n",
        "wrong_axis": "def normalizeRows(x):\n    return x / np.linalg.norm(x, axis=0, keepdims=True)\n",
        "missing_keepdims": "def normalizeRows(x):\n    return x / np.linalg.norm(x, axis=1)\n",
        "in_place": (
            "def normalizeRows(x):\n    x = x.astype(float) if x.dtype.kind != 'f' else x\n"
            "    x /= np.linalg.norm(x, axis=1, keepdims=True)\n    return x\n"),
        "no_square_root": "def normalizeRows(x):\n    return x / np.sum(x ** 2, axis=1, keepdims=True)\n",
        "whole_matrix_norm": "def normalizeRows(x):\n    return x / np.linalg.norm(x)\n",
        "returns_norms": "def normalizeRows(x):\n    return np.linalg.norm(x, axis=1, keepdims=True)\n",
    },
    "softmax": {
        "unstable_exp": "def softmax(x):\n    e = np.exp(x)\n    return e / np.sum(e, axis=1, keepdims=True)\n",
        "wrong_axis": (
            "def softmax(x):\n    e = np.exp(x - np.max(x, axis=0, keepdims=True))\n"
            "    return e / np.sum(e, axis=0, keepdims=True)\n"),
        "missing_keepdims": (
            "def softmax(x):\n    e = np.exp(x - np.max(x, axis=1, keepdims=True))\n"
            "    return e / np.sum(e, axis=1)\n"),
        "whole_matrix_sum": "def softmax(x):\n    e = np.exp(x - np.max(x))\n    return e / np.sum(e)\n",
        "transposed_result": (
            "def softmax(x):\n    e = np.exp(x - np.max(x, axis=1, keepdims=True))\n"
            "    return (e / np.sum(e, axis=1, keepdims=True)).T\n"),
        "max_without_exp": "def softmax(x):\n    return x / np.sum(x, axis=1, keepdims=True)\n",
        "shift_by_min": (
            "def softmax(x):\n    e = np.exp(x - np.min(x, axis=1, keepdims=True))\n"
            "    return e / np.sum(e, axis=1, keepdims=True)\n"),
    },
    "L1": {
        "mean_not_sum": "def L1(yhat, y):\n    return np.mean(np.abs(y - yhat))\n",
        "missing_abs": "def L1(yhat, y):\n    return np.sum(y - yhat)\n",
        "squared": "def L1(yhat, y):\n    return np.sum((y - yhat) ** 2)\n",
        "not_summed": "def L1(yhat, y):\n    return np.abs(y - yhat)\n",
        "kept_dims": "def L1(yhat, y):\n    return np.sum(np.abs(y - yhat), keepdims=True)\n",
        "abs_of_sum": "def L1(yhat, y):\n    return abs(np.sum(y - yhat))\n",
    },
    "L2": {
        "norm_not_squared": "def L2(yhat, y):\n    return np.linalg.norm(y - yhat)\n",
        "mean_not_sum": "def L2(yhat, y):\n    return np.mean((y - yhat) ** 2)\n",
        "absolute_values": "def L2(yhat, y):\n    return np.sum(np.abs(y - yhat))\n",
        "not_summed": "def L2(yhat, y):\n    return (y - yhat) ** 2\n",
        "outer_product": "def L2(yhat, y):\n    d = (y - yhat).reshape(-1, 1)\n    return np.sum(d @ d.T)\n",
        "half_factor": "def L2(yhat, y):\n    return 0.5 * np.sum((y - yhat) ** 2)\n",
    },
    "cross_entropy": {
        "mean_not_sum": "def cross_entropy(yhat, y):\n    return -np.mean(y * np.log(yhat) + (1 - y) * np.log(1 - yhat))\n",
        "missing_negative_term": "def cross_entropy(yhat, y):\n    return -np.sum(y * np.log(yhat))\n",
        "wrong_sign": "def cross_entropy(yhat, y):\n    return np.sum(y * np.log(yhat) + (1 - y) * np.log(1 - yhat))\n",
        "log10": "def cross_entropy(yhat, y):\n    return -np.sum(y * np.log10(yhat) + (1 - y) * np.log10(1 - yhat))\n",
        "swapped_arguments": "def cross_entropy(yhat, y):\n    return -np.sum(yhat * np.log(y + 1e-300) + (1 - yhat) * np.log(1 - y + 1e-300))\n",
        "not_summed": "def cross_entropy(yhat, y):\n    return -(y * np.log(yhat) + (1 - y) * np.log(1 - yhat))\n",
    },
}

CORRECT = {
    "matrix_operations": {
        "dot_everywhere": _matrix('''
    AB_at = A @ B
    AB_dot = A.dot(B)
    AB_matmul = np.matmul(A, B)
    AC = np.dot(A, C)
    two_A = A + A
    two_A_T = np.transpose(2 * A)
    three_A_T_B = np.dot(3 * A.T, B)
    three_A_T_C = (3 * A).T.dot(C)
    A_hadamard_B = np.multiply(A, B)
'''),
        "einsum": _matrix('''
    AB_at = np.einsum("ij,jk->ik", A, B)
    AB_dot = np.dot(A, B)
    AB_matmul = np.matmul(A, B)
    AC = np.einsum("ij,jk->ik", A, C)
    two_A = np.multiply(2, A)
    two_A_T = 2 * A.transpose()
    three_A_T_B = 3 * np.einsum("ji,jk->ik", A, B)
    three_A_T_C = 3 * np.einsum("ji,jk->ik", A, C)
    A_hadamard_B = np.einsum("ij,ij->ij", A, B)
'''),
    },
    "basic_sigmoid": {
        "exp_ratio": "def basic_sigmoid(x):\n    return math.exp(x) / (1.0 + math.exp(x)) if x < 0 else 1.0 / (1.0 + math.exp(-x))\n",
        "via_tanh": "def basic_sigmoid(x):\n    return 0.5 * (1.0 + math.tanh(x / 2.0))\n",
        "textbook_float": "def basic_sigmoid(x):\n    s = 1 / (1 + math.exp(-x))\n    return float(s)\n",
        # A warning on stderr is not a failure (nbgrader would score it 0 without the course's IgnorePattern).
        "warns_but_right": (
            "import warnings\n\ndef basic_sigmoid(x):\n    warnings.warn('math.exp is slow for arrays')\n"
            "    return 1 / (1 + math.exp(-x))\n"),
    },
    "sigmoid": {
        "textbook_with_overflow_warning": "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n",
        "via_tanh": "def sigmoid(x):\n    return 0.5 * (1 + np.tanh(0.5 * x))\n",
        "logaddexp": "def sigmoid(x):\n    return np.exp(-np.logaddexp(0, -x))\n",
        "clipped_input": "def sigmoid(x):\n    return 1 / (1 + np.exp(-np.clip(x, -700, 700)))\n",
        "reports_on_stderr": ("import sys\n\ndef sigmoid(x):\n    print('sigmoid of shape', np.shape(x), file=sys.stderr)\n"
                              "    return 1 / (1 + np.exp(-x))\n"),
    },
    "sigmoid_derivative": {
        "expanded": "def sigmoid_derivative(x):\n    s = sigmoid(x)\n    return s - s ** 2\n",
        "exp_formula": "def sigmoid_derivative(x):\n    return np.exp(-x) / (1 + np.exp(-x)) ** 2\n",
        "one_line": "def sigmoid_derivative(x):\n    return sigmoid(x) * sigmoid(-x)\n",
    },
    "image2vector": {
        "minus_one": "def image2vector(image):\n    return image.reshape(-1, 1)\n",
        "flatten_then_column": "def image2vector(image):\n    return image.flatten()[:, np.newaxis]\n",
        "np_reshape_size": "def image2vector(image):\n    return np.reshape(image, (image.size, 1))\n",
        "loop_over_pixels": (
            "def image2vector(image):\n    h, w, c = image.shape\n    out = np.zeros((h * w * c, 1), dtype=image.dtype)\n"
            "    k = 0\n    for i in range(h):\n        for j in range(w):\n            for d in range(c):\n"
            "                out[k, 0] = image[i, j, d]\n                k += 1\n    return out\n"),
    },
    "normalizeRows": {
        "by_hand": "def normalizeRows(x):\n    return x / np.sqrt(np.sum(x * x, axis=1, keepdims=True))\n",
        "loop_over_rows": (
            "def normalizeRows(x):\n    out = np.zeros(x.shape)\n    for i in range(x.shape[0]):\n"
            "        out[i] = x[i] / math.sqrt(sum(v * v for v in x[i]))\n    return out\n"),
        "newaxis": "def normalizeRows(x):\n    return x / np.linalg.norm(x, axis=1)[:, None]\n",
        "copy_then_in_place": (
            "def normalizeRows(x):\n    y = x.astype(float)\n    y /= np.linalg.norm(y, axis=1, keepdims=True)\n    return y\n"),
    },
    "softmax": {
        "logsumexp": (
            "def softmax(x):\n    m = x.max(axis=1, keepdims=True)\n"
            "    return np.exp(x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True)))\n"),
        "global_max_shift": (
            "def softmax(x):\n    e = np.exp(x - x.max(axis=1).reshape(-1, 1))\n"
            "    return e / e.sum(axis=1).reshape(-1, 1)\n"),
        "loop_over_rows": (
            "def softmax(x):\n    out = np.empty(x.shape)\n    for i, row in enumerate(x):\n"
            "        e = np.exp(row - row.max())\n        out[i] = e / e.sum()\n    return out\n"),
    },
    "L1": {
        "linalg_norm": "def L1(yhat, y):\n    return np.linalg.norm(y - yhat, ord=1)\n",
        "python_loop": "def L1(yhat, y):\n    return sum(abs(a - b) for a, b in zip(y, yhat))\n",
        "abs_method": "def L1(yhat, y):\n    return np.abs(yhat - y).sum()\n",
    },
    "L2": {
        "dot": "def L2(yhat, y):\n    d = y - yhat\n    return np.dot(d, d)\n",
        "squared_norm": "def L2(yhat, y):\n    return np.linalg.norm(y - yhat) ** 2\n",
        "python_loop": "def L2(yhat, y):\n    return sum((a - b) ** 2 for a, b in zip(y, yhat))\n",
    },
    "cross_entropy": {
        "dot_products": "def cross_entropy(yhat, y):\n    return -(np.dot(y, np.log(yhat)) + np.dot(1 - y, np.log(1 - yhat)))\n",
        "where_labels": "def cross_entropy(yhat, y):\n    return -np.sum(np.where(y == 1, np.log(yhat), np.log(1 - yhat)))\n",
        "math_loop": (
            "def cross_entropy(yhat, y):\n    total = 0.0\n    for p, t in zip(yhat, y):\n"
            "        total -= t * math.log(p) + (1 - t) * math.log(1 - p)\n    return total\n"),
    },
}
