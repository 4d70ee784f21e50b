"""Student answers to assignment 02, wrong and right, as they show up in real submissions."""

ASSIGNMENT = "02_logistic_regression"


def _cell(signature: str, body: str, tail: str = "") -> str:
    return f"{signature}\n{body.strip(chr(10))}\n{tail}"


# --- flatten_images ---------------------------------------------------------------------------------------------

_FLATTEN = "def flatten_images(images):"

# --- sigmoid ----------------------------------------------------------------------------------------------------

_SIGMOID = "def sigmoid(z):"

# --- initialize_with_zeros --------------------------------------------------------------------------------------

_INIT = "def initialize_with_zeros(dim):"
_INIT_RETURN = "    return w, b\n"

# --- propagate --------------------------------------------------------------------------------------------------

_PROPAGATE = "def propagate(w, b, X, Y):"
_PROPAGATE_RETURN = "    return grads, cost\n"
_PROPAGATE_RIGHT = '''
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    dw = np.dot(X, (A - Y).T) / m
    db = np.sum(A - Y) / m
    grads = {"dw": dw, "db": float(db)}
    cost = float(cost)
'''


def _propagate(old: str, new: str) -> str:
    assert old in _PROPAGATE_RIGHT, old
    return _cell(_PROPAGATE, _PROPAGATE_RIGHT.replace(old, new), _PROPAGATE_RETURN)


# --- optimize ---------------------------------------------------------------------------------------------------

_OPTIMIZE = "def optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):"
_OPTIMIZE_RETURN = '''    params = {"w": w, "b": b}
    return params, grads, costs
'''
_OPTIMIZE_RIGHT = '''
    w = w.copy()
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        w = w - learning_rate * grads["dw"]
        b = b - learning_rate * grads["db"]
        if i % 100 == 0:
            costs.append(cost)
            if print_cost:
                print(f"Cost after iteration {i}: {cost:f}")
'''


def _optimize(old: str, new: str, tail: str = _OPTIMIZE_RETURN) -> str:
    assert old in _OPTIMIZE_RIGHT, old
    return _cell(_OPTIMIZE, _OPTIMIZE_RIGHT.replace(old, new), tail)


# --- predict ----------------------------------------------------------------------------------------------------

_PREDICT = "def predict(w, b, X):"
_PREDICT_RETURN = "    return Y_prediction\n"

# --- model ------------------------------------------------------------------------------------------------------

_MODEL = "def model(X_train, Y_train, X_test, Y_test, num_iterations=2000, learning_rate=0.5, print_cost=False):"
_MODEL_RETURN = '''    return {"costs": costs, "Y_prediction_test": Y_prediction_test, "Y_prediction_train": Y_prediction_train,
            "w": w, "b": b, "learning_rate": learning_rate, "num_iterations": num_iterations}
'''
_MODEL_RIGHT = '''
    w, b = initialize_with_zeros(X_train.shape[0])
    params, grads, costs = optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost)
    w, b = params["w"], params["b"]
    Y_prediction_test = predict(w, b, X_test)
    Y_prediction_train = predict(w, b, X_train)
'''


def _model(old: str, new: str, tail: str = _MODEL_RETURN) -> str:
    assert old in _MODEL_RIGHT, old
    return _cell(_MODEL, _MODEL_RIGHT.replace(old, new), tail)


WRONG = {
    "flatten_images": {
        # The classic: right shape, pixels of different photos mixed in every column.
        "scrambling_reshape": _cell(_FLATTEN, '''
    m, num_px = images.shape[0], images.shape[1]
    return images.reshape(num_px * num_px * 3, m) / 255
'''),
        "scrambling_reshape_minus_one": _cell(_FLATTEN, "    return images.reshape(-1, images.shape[0]) / 255.0"),
        "not_scaled": _cell(_FLATTEN, "    return images.reshape(images.shape[0], -1).T"),
        "divided_by_max": _cell(_FLATTEN, '''
    flat = images.reshape(images.shape[0], -1).T
    return flat / flat.max()
'''),
        "integer_division": _cell(_FLATTEN, "    return images.reshape(images.shape[0], -1).T // 255"),
        "rows_not_columns": _cell(_FLATTEN, "    return images.reshape(images.shape[0], -1) / 255"),
        "fortran_order": _cell(_FLATTEN, "    return images.reshape(images.shape[0], -1, order='F').T / 255"),
        "channels_first": _cell(_FLATTEN, "    return np.moveaxis(images, 3, 1).reshape(images.shape[0], -1).T / 255"),
        "standardized": _cell(_FLATTEN, '''
    flat = images.reshape(images.shape[0], -1).T.astype(float)
    return (flat - flat.mean()) / flat.std()
'''),
    },
    "sigmoid": {
        "sign_error": _cell(_SIGMOID, "    return 1 / (1 + np.exp(z))"),
        "precedence": _cell(_SIGMOID, "    return 1 / 1 + np.exp(-z)"),
        "one_minus_sigmoid": _cell(_SIGMOID, "    return np.exp(-z) / (1 + np.exp(-z))"),
        "math_exp": _cell(_SIGMOID, "    import math\n    return 1 / (1 + math.exp(-z))"),
        "unstable_ratio": _cell(_SIGMOID, "    return np.exp(z) / (1 + np.exp(z))"),
        "rank1_output": _cell(_SIGMOID, "    return (1 / (1 + np.exp(-z))).ravel()"),
        "tanh_instead": _cell(_SIGMOID, "    return np.tanh(z)"),
    },
    "initialize_with_zeros": {
        "rank1_w": _cell(_INIT, "    w = np.zeros(dim)\n    b = 0.0", _INIT_RETURN),
        "row_w": _cell(_INIT, "    w = np.zeros((1, dim))\n    b = 0.0", _INIT_RETURN),
        "integer_w": _cell(_INIT, "    w = np.zeros((dim, 1), dtype=int)\n    b = 0.0", _INIT_RETURN),
        "random_w": _cell(_INIT, "    w = np.random.randn(dim, 1) * 0.01\n    b = 0.0", _INIT_RETURN),
        "array_b": _cell(_INIT, "    w = np.zeros((dim, 1))\n    b = np.zeros((1, 1))", _INIT_RETURN),
        "ones": _cell(_INIT, "    w = np.ones((dim, 1))\n    b = 1.0", _INIT_RETURN),
    },
    "propagate": {
        "dw_missing_1_over_m": _propagate("dw = np.dot(X, (A - Y).T) / m", "dw = np.dot(X, (A - Y).T)"),
        "db_not_averaged": _propagate("db = np.sum(A - Y) / m", "db = np.sum(A - Y)"),
        "dw_transposed": _propagate("dw = np.dot(X, (A - Y).T) / m", "dw = np.dot(A - Y, X.T) / m"),
        "cost_sum_not_mean": _propagate(
            "cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m",
            "cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))"),
        "cost_sign": _propagate(
            "cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m",
            "cost = np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m"),
        "forward_without_b": _propagate("A = sigmoid(np.dot(w.T, X) + b)", "A = sigmoid(np.dot(w.T, X))"),
        "m_from_rows": _propagate("m = X.shape[1]", "m = X.shape[0]"),
        "cost_left_as_1x1_array": _propagate(
            "cost = float(cost)",
            "cost = -(np.dot(Y, np.log(A).T) + np.dot(1 - Y, np.log(1 - A).T)) / m"),
        "db_as_array": _propagate('grads = {"dw": dw, "db": float(db)}',
                                  'grads = {"dw": dw, "db": np.sum(A - Y, axis=1, keepdims=True) / m}'),
    },
    "optimize": {
        # The caller's w is updated in place: the classic `w -= ...` without a copy.
        "w_updated_in_place": _optimize('''    w = w.copy()
    costs = []''', "    costs = []").replace(
            'w = w - learning_rate * grads["dw"]', 'w -= learning_rate * grads["dw"]'),
        "gradient_ascent": _optimize('w = w - learning_rate * grads["dw"]', 'w = w + learning_rate * grads["dw"]'),
        "b_not_updated": _optimize('        b = b - learning_rate * grads["db"]\n', ""),
        "cost_every_iteration": _optimize("        if i % 100 == 0:\n            costs.append(cost)",
                                          "        costs.append(cost)\n        if i % 100 == 0:"),
        "off_by_one_records": _optimize("if i % 100 == 0:", "if (i + 1) % 100 == 0:"),
        "cost_after_update": _optimize("            costs.append(cost)",
                                       "            costs.append(propagate(w, b, X, Y)[1])"),
        "fixed_learning_rate": _optimize('''        w = w - learning_rate * grads["dw"]
        b = b - learning_rate * grads["db"]''', '''        w = w - 0.009 * grads["dw"]
        b = b - 0.009 * grads["db"]'''),
        "gradients_computed_once": _cell(_OPTIMIZE, '''
    w = w.copy()
    costs = []
    grads, cost = propagate(w, b, X, Y)
    for i in range(num_iterations):
        w = w - learning_rate * grads["dw"]
        b = b - learning_rate * grads["db"]
        if i % 100 == 0:
            costs.append(cost)
''', _OPTIMIZE_RETURN),
        "costs_as_array": _optimize("", "", '''    params = {"w": w, "b": b}
    return params, grads, np.array(costs)
'''),
    },
    "predict": {
        "missing_b": _cell(_PREDICT, "    A = sigmoid(np.dot(w.T, X))\n    Y_prediction = (A > 0.5).astype(float)",
                           _PREDICT_RETURN),
        "threshold_on_z": _cell(_PREDICT, "    Y_prediction = (np.dot(w.T, X) + b > 0.5).astype(float)",
                                _PREDICT_RETURN),
        "probabilities": _cell(_PREDICT, "    Y_prediction = sigmoid(np.dot(w.T, X) + b)", _PREDICT_RETURN),
        "inverted": _cell(_PREDICT, "    A = sigmoid(np.dot(w.T, X) + b)\n    Y_prediction = (A < 0.5).astype(float)",
                          _PREDICT_RETURN),
        "rank1": _cell(_PREDICT, "    A = sigmoid(np.dot(w.T, X) + b)\n    Y_prediction = (A > 0.5).astype(float).ravel()",
                       _PREDICT_RETURN),
        "rounded_z": _cell(_PREDICT, "    Y_prediction = np.round(np.dot(w.T, X) + b)", _PREDICT_RETURN),
        "threshold_zero_on_a": _cell(_PREDICT, "    A = sigmoid(np.dot(w.T, X) + b)\n    Y_prediction = (A > 0).astype(float)",
                                     _PREDICT_RETURN),
    },
    "model": {
        "dim_from_examples": _model("initialize_with_zeros(X_train.shape[0])", "initialize_with_zeros(X_train.shape[1])"),
        "hyperparameters_not_passed": _model("optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost)",
                                             "optimize(w, b, X_train, Y_train)"),
        "test_predicted_on_train": _model("Y_prediction_test = predict(w, b, X_test)",
                                          "Y_prediction_test = predict(w, b, X_train)"),
        "untrained_weights": _model('    w, b = params["w"], params["b"]\n', ""),
        "predictions_swapped": _model("", "", _MODEL_RETURN.replace(
            '"Y_prediction_test": Y_prediction_test, "Y_prediction_train": Y_prediction_train',
            '"Y_prediction_test": Y_prediction_train, "Y_prediction_train": Y_prediction_test')),
        "random_start": _model("w, b = initialize_with_zeros(X_train.shape[0])",
                               "w, b = np.random.randn(X_train.shape[0], 1) * 0.01, 0.0"),
        "arguments_swapped": _model("optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost)",
                                    "optimize(w, b, X_train, Y_train, learning_rate, num_iterations, print_cost)"),
    },
}

CORRECT = {
    "flatten_images": {
        "reshape_then_scale": _cell(_FLATTEN, "    return images.reshape(images.shape[0], -1).T / 255"),
        "scale_then_reshape": _cell(_FLATTEN, "    return (images / 255.0).reshape(len(images), -1).T"),
        "explicit_sizes_transpose": _cell(_FLATTEN, '''
    m, height, width, channels = images.shape
    flat = np.transpose(images.reshape(m, height * width * channels))
    return flat.astype(np.float64) * (1 / 255)
'''),
    },
    "sigmoid": {
        "textbook": _cell(_SIGMOID, "    return 1 / (1 + np.exp(-z))"),
        "tanh_identity": _cell(_SIGMOID, "    return 0.5 * (1 + np.tanh(0.5 * z))"),
        "clipped_reciprocal": _cell(_SIGMOID, "    return np.reciprocal(1.0 + np.exp(-np.clip(z, -500, 500)))"),
    },
    "initialize_with_zeros": {
        "explicit_dtype": _cell(_INIT, "    w = np.zeros((dim, 1), dtype=float)\n    b = float(0)", _INIT_RETURN),
        "reshaped": _cell(_INIT, "    w = np.zeros(dim).reshape(dim, 1)\n    b = 0.", _INIT_RETURN),
        "full_and_numpy_float": _cell(_INIT, "    w = np.full((dim, 1), 0.0)\n    b = np.float64(0)", _INIT_RETURN),
        # A number in another form is the same number: b = 0 becomes a float at the first update (issue 13).
        "integer_b": _cell(_INIT, "    w = np.zeros((dim, 1))\n    b = 0", _INIT_RETURN),
    },
    "propagate": {
        "matmul_and_mean": _cell(_PROPAGATE, '''
    A = sigmoid(w.T @ X + b)
    cost = float(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))
    dw = X @ (A - Y).T / X.shape[1]
    db = float(np.mean(A - Y))
    grads = {"dw": dw, "db": db}
''', _PROPAGATE_RETURN),
        "dot_products_and_squeeze": _cell(_PROPAGATE, '''
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -(np.dot(Y, np.log(A).T) + np.dot(1 - Y, np.log(1 - A).T)) / m
    cost = float(np.squeeze(cost))
    dZ = A - Y
    grads = {"dw": (1 / m) * np.dot(X, dZ.T), "db": float(np.sum(dZ) / m)}
''', _PROPAGATE_RETURN),
        # The classic course's own idiom: the cost as a 0-d array (issue 13: a number in any form is a number).
        "zero_d_array_cost": _cell(_PROPAGATE, '''
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    grads = {"dw": np.dot(X, (A - Y).T) / m, "db": float(np.sum(A - Y) / m)}
    cost = np.squeeze(np.array(cost))
''', _PROPAGATE_RETURN),
        "broadcasting_and_einsum": _cell(_PROPAGATE, '''
    Z = np.einsum("ij,ik->jk", w, X) + b
    A = 1 / (1 + np.exp(-Z))
    cost = -np.log(np.where(Y == 1, A, 1 - A)).mean().item()
    dw = np.mean(X * (A - Y), axis=1, keepdims=True)
    db = (A - Y).mean().item()
    grads = dict(dw=dw, db=db)
''', _PROPAGATE_RETURN),
    },
    "optimize": {
        "copy_then_in_place": _cell(_OPTIMIZE, '''
    w = np.copy(w)
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        if i % 100 == 0:
            costs.append(cost)
            if print_cost:
                print("Cost after iteration %i: %f" % (i, cost))
        w -= learning_rate * grads["dw"]
        b -= learning_rate * grads["db"]
''', _OPTIMIZE_RETURN),
        "deepcopy_and_while": _cell(_OPTIMIZE, '''
    import copy
    w, b = copy.deepcopy(w), copy.deepcopy(b)
    costs = []
    i = 0
    while i < num_iterations:
        grads, cost = propagate(w, b, X, Y)
        dw, db = grads["dw"], grads["db"]
        if not i % 100:
            costs.append(cost)
            if print_cost:
                print(f"Cost after iteration {i}: {cost:f}")
        w = w - learning_rate * dw
        b = b - learning_rate * db
        i += 1
''', _OPTIMIZE_RETURN),
        # A progress bar writes to stderr, which nbgrader counts as a failure: the test cell shows it as output.
        "progress_bar": _optimize("    w = w.copy()\n    costs = []\n    for i in range(num_iterations):",
                                  "    from tqdm import tqdm\n    w = w.copy()\n    costs = []\n"
                                  '    for i in tqdm(range(num_iterations), desc="gradient descent"):'),
    },
    "predict": {
        "where": _cell(_PREDICT, "    Y_prediction = np.where(sigmoid(w.T @ X + b) > 0.5, 1.0, 0.0)", _PREDICT_RETURN),
        "sign_of_z": _cell(_PREDICT, "    Y_prediction = (np.dot(w.T, X) + b > 0).astype(np.float64)", _PREDICT_RETURN),
        "rounded_probabilities": _cell(_PREDICT, '''
    A = sigmoid(np.dot(w.T, X) + b)
    Y_prediction = np.round(A).reshape(1, X.shape[1])
''', _PREDICT_RETURN),
    },
    "model": {
        "keyword_arguments": _cell(_MODEL, '''
    w, b = initialize_with_zeros(X_train.shape[0])
    params, _, costs = optimize(w, b, X_train, Y_train, num_iterations=num_iterations,
                                learning_rate=learning_rate, print_cost=print_cost)
    w = params["w"]
    b = params["b"]
    Y_prediction_train = predict(w, b, X_train)
    Y_prediction_test = predict(w, b, X_test)
    if print_cost:
        print("train accuracy: {} %".format(100 - np.mean(np.abs(Y_prediction_train - Y_train)) * 100))
        print("test accuracy: {} %".format(100 - np.mean(np.abs(Y_prediction_test - Y_test)) * 100))
''', _MODEL_RETURN),
        "dict_built_in_steps": _cell(_MODEL, '''
    n_x = X_train.shape[0]
    w, b = initialize_with_zeros(n_x)
    params, grads, costs = optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost)
    d = {"costs": costs, "learning_rate": learning_rate, "num_iterations": num_iterations}
    d["w"], d["b"] = params["w"], params["b"]
    d["Y_prediction_train"] = predict(d["w"], d["b"], X_train)
    d["Y_prediction_test"] = predict(d["w"], d["b"], X_test)
    return d
'''),
    },
}
