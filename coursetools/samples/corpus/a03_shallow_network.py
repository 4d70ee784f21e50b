"""Student answers to assignment 03 (a shallow network), wrong and right, as they show up in real submissions."""

from ._build import fn, swap

ASSIGNMENT = "03_shallow_network"


_LAYER = "layer_sizes(X, Y)"
_INIT = "initialize_parameters(n_x, n_h, n_y, seed=0)"
_FORWARD = "forward_propagation(X, parameters)"
_COST = "compute_cost(A2, Y)"
_BACKWARD = "backward_propagation(parameters, cache, X, Y)"
_UPDATE = "update_parameters(parameters, grads, learning_rate)"
_MODEL = "nn_model(X, Y, n_h=8, num_iterations=1000, learning_rate=2.0, seed=0, print_cost=False)"
_PREDICT = "predict(parameters, X)"

_INIT_RIGHT = '''
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((n_h, n_x)) * np.sqrt(1 / (n_x + n_h))
    b1 = np.zeros((n_h, 1))
    W2 = rng.standard_normal((n_y, n_h)) * np.sqrt(1 / (n_h + n_y))
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
'''

_FORWARD_RIGHT = '''
    W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
    Z1 = W1 @ X + b1
    A1 = relu(Z1)
    Z2 = W2 @ A1 + b2
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
'''

_COST_RIGHT = '''
    m = Y.shape[1]
    A = np.clip(A2, 1e-14, 1 - 1e-14)
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    return float(cost)
'''

_BACKWARD_RIGHT = '''
    m = X.shape[1]
    W2 = parameters["W2"]
    Z1, A1, A2 = cache["Z1"], cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = (W2.T @ dZ2) * relu_derivative(Z1)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
'''

_UPDATE_RIGHT = '''
    W1 = parameters["W1"] - learning_rate * grads["dW1"]
    b1 = parameters["b1"] - learning_rate * grads["db1"]
    W2 = parameters["W2"] - learning_rate * grads["dW2"]
    b2 = parameters["b2"] - learning_rate * grads["db2"]
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
'''

_MODEL_RIGHT = '''
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y, seed)
    costs = []
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
        costs.append(cost)
        if print_cost and i % 100 == 0:
            print(f"Cost after iteration {i}: {cost}")
    return parameters, costs
'''



WRONG = {
    "layer_sizes": {
        "m_as_n_x": fn(_LAYER, "    return (X.shape[1], 8, Y.shape[0])\n"),
        "n_y_from_columns": fn(_LAYER, "    return (X.shape[0], 8, Y.shape[1])\n"),
        "hidden_size_4": fn(_LAYER, "    return (X.shape[0], 4, Y.shape[0])\n"),
        "order_swapped": fn(_LAYER, "    n_x, n_h, n_y = X.shape[0], 8, Y.shape[0]\n    return (n_x, n_y, n_h)\n"),
        "hard_coded": fn(_LAYER, "    return (2, 8, 1)\n"),
        "returns_list": fn(_LAYER, "    return [X.shape[0], 8, Y.shape[0]]\n"),
    },
    "initialize_parameters": {
        "W1_transposed": fn(_INIT, swap(_INIT_RIGHT, "standard_normal((n_h, n_x))", "standard_normal((n_x, n_h))")),
        "he_scale": fn(_INIT, swap(_INIT_RIGHT, "np.sqrt(1 / (n_x + n_h))", "np.sqrt(2 / n_x)")),
        "no_scaling": fn(_INIT, swap(swap(_INIT_RIGHT, " * np.sqrt(1 / (n_x + n_h))", ""),
                                          " * np.sqrt(1 / (n_h + n_y))", "")),
        "rank1_biases": fn(_INIT, swap(swap(_INIT_RIGHT, "np.zeros((n_h, 1))", "np.zeros(n_h)"),
                                            "np.zeros((n_y, 1))", "np.zeros(n_y)")),
        "W2_drawn_first": fn(_INIT, '''
    rng = np.random.default_rng(seed)
    W2 = rng.standard_normal((n_y, n_h)) * np.sqrt(1 / (n_h + n_y))
    W1 = rng.standard_normal((n_h, n_x)) * np.sqrt(1 / (n_x + n_h))
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}
'''),
        "legacy_random_seed": fn(_INIT, '''
    np.random.seed(seed)
    W1 = np.random.randn(n_h, n_x) * np.sqrt(1 / (n_x + n_h))
    W2 = np.random.randn(n_y, n_h) * np.sqrt(1 / (n_h + n_y))
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}
'''),
        "zero_weights": fn(_INIT, '''
    return {"W1": np.zeros((n_h, n_x)), "b1": np.zeros((n_h, 1)), "W2": np.zeros((n_y, n_h)), "b2": np.zeros((n_y, 1))}
'''),
        "ignores_seed": fn(_INIT, swap(_INIT_RIGHT, "default_rng(seed)", "default_rng(0)")),
    },
    "relu": {
        "absolute_value": fn("relu(Z)", "    return np.abs(Z)\n"),
        "leaky": fn("relu(Z)", "    return np.where(Z > 0, Z, 0.01 * Z)\n"),
        "in_place": fn("relu(Z)", "    Z[Z < 0] = 0\n    return Z\n"),
        "returns_mask": fn("relu(Z)", "    return (Z > 0).astype(float)\n"),
        "clipped_at_one": fn("relu(Z)", "    return np.clip(Z, 0, 1)\n"),
        "python_max": fn("relu(Z)", "    return max(0, Z)\n"),
        "minimum": fn("relu(Z)", "    return np.minimum(0, Z)\n"),
    },
    "relu_derivative": {
        "one_at_zero": fn("relu_derivative(Z)", "    return (Z >= 0).astype(float)\n"),
        "returns_relu": fn("relu_derivative(Z)", "    return np.maximum(0, Z)\n"),
        "sigmoid_slope": fn("relu_derivative(Z)", "    s = sigmoid(Z)\n    return s * (1 - s)\n"),
        "tanh_slope": fn("relu_derivative(Z)", "    return 1 - np.tanh(Z) ** 2\n"),
        "sign": fn("relu_derivative(Z)", "    return np.sign(Z)\n"),
        "in_place": fn("relu_derivative(Z)", "    Z[Z <= 0] = 0\n    Z[Z > 0] = 1\n    return Z\n"),
        "rank1": fn("relu_derivative(Z)", "    return (Z > 0).astype(float).ravel()\n"),
    },
    "forward_propagation": {
        "tanh_hidden": fn(_FORWARD, swap(_FORWARD_RIGHT, "A1 = relu(Z1)", "A1 = np.tanh(Z1)")),
        "sigmoid_hidden": fn(_FORWARD, swap(_FORWARD_RIGHT, "A1 = relu(Z1)", "A1 = sigmoid(Z1)")),
        "missing_b1": fn(_FORWARD, swap(_FORWARD_RIGHT, "Z1 = W1 @ X + b1", "Z1 = W1 @ X")),
        "relu_output": fn(_FORWARD, swap(_FORWARD_RIGHT, "A2 = sigmoid(Z2)", "A2 = relu(Z2)")),
        "no_hidden_activation": fn(_FORWARD, swap(_FORWARD_RIGHT, "Z2 = W2 @ A1 + b2", "Z2 = W2 @ Z1 + b2")),
        "elementwise_product": fn(_FORWARD, swap(_FORWARD_RIGHT, "Z1 = W1 @ X + b1", "Z1 = W1 * X + b1")),
        "cache_swapped": fn(_FORWARD, swap(_FORWARD_RIGHT, '{"Z1": Z1, "A1": A1,', '{"Z1": A1, "A1": Z1,')),
        "rank1_bias": fn(_FORWARD, swap(_FORWARD_RIGHT, "Z1 = W1 @ X + b1", "Z1 = W1 @ X + b1.ravel()")),
    },
    "compute_cost": {
        "no_one_over_m": fn(_COST, swap(_COST_RIGHT, " / m\n", "\n")),
        "unguarded_log": fn(_COST, swap(_COST_RIGHT, "A = np.clip(A2, 1e-14, 1 - 1e-14)", "A = A2")),
        "positive_sign": fn(_COST, swap(_COST_RIGHT, "cost = -np.sum(", "cost = np.sum(")),
        "log10": fn(_COST, _COST_RIGHT.replace("np.log(", "np.log10(")),
        "returns_1x1_array": fn(_COST, '''
    m = Y.shape[1]
    A = np.clip(A2, 1e-14, 1 - 1e-14)
    return -(np.dot(Y, np.log(A).T) + np.dot(1 - Y, np.log(1 - A).T)) / m
'''),
        "mean_per_example": fn(_COST, '''
    A = np.clip(A2, 1e-14, 1 - 1e-14)
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A), axis=0)
'''),
        "clip_in_place": fn(_COST, swap(_COST_RIGHT, "A = np.clip(A2, 1e-14, 1 - 1e-14)",
                                             "A = np.clip(A2, 1e-14, 1 - 1e-14, out=A2)")),
        "half_guarded": fn(_COST, '''
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A2 + 1e-14) + (1 - Y) * np.log(1 - A2)) / m)
'''),
        "m_from_rows": fn(_COST, swap(_COST_RIGHT, "m = Y.shape[1]", "m = Y.shape[0]")),
    },
    "backward_propagation": {
        "sigmoid_hidden_slope": fn(_BACKWARD, swap(
            _BACKWARD_RIGHT, "* relu_derivative(Z1)", "* sigmoid(Z1) * (1 - sigmoid(Z1))")),
        "tanh_hidden_slope": fn(_BACKWARD, swap(_BACKWARD_RIGHT, "* relu_derivative(Z1)", "* (1 - A1 ** 2)")),
        "missing_one_over_m": fn(_BACKWARD, _BACKWARD_RIGHT.replace(" / m", "")),
        "missing_one_over_m_in_dW1": fn(_BACKWARD, swap(_BACKWARD_RIGHT, "dW1 = dZ1 @ X.T / m", "dW1 = dZ1 @ X.T")),
        "db_without_keepdims": fn(_BACKWARD, _BACKWARD_RIGHT.replace("axis=1, keepdims=True", "axis=1")),
        "dZ1_matrix_product": fn(_BACKWARD, swap(
            _BACKWARD_RIGHT, "(W2.T @ dZ2) * relu_derivative(Z1)", "(W2.T @ dZ2) @ relu_derivative(Z1)")),
        "W2_not_transposed": fn(_BACKWARD, swap(_BACKWARD_RIGHT, "(W2.T @ dZ2)", "(W2 @ dZ2)")),
        "dW1_transposed": fn(_BACKWARD, swap(_BACKWARD_RIGHT, "dW1 = dZ1 @ X.T / m", "dW1 = X @ dZ1.T / m")),
        "db_over_examples_axis": fn(_BACKWARD, _BACKWARD_RIGHT.replace("axis=1, keepdims=True", "axis=0, keepdims=True")),
        "wrong_sign": fn(_BACKWARD, swap(_BACKWARD_RIGHT, "dZ2 = A2 - Y", "dZ2 = Y - A2")),
    },
    "update_parameters": {
        "plus_instead_of_minus": fn(_UPDATE, _UPDATE_RIGHT.replace(" - learning_rate", " + learning_rate")),
        "in_place": fn(_UPDATE, '''
    for name in ("W1", "b1", "W2", "b2"):
        parameters[name] -= learning_rate * grads["d" + name]
    return parameters
'''),
        "mutates_callers_dict": fn(_UPDATE, '''
    for name in ("W1", "b1", "W2", "b2"):
        parameters[name] = parameters[name] - learning_rate * grads["d" + name]
    return parameters
'''),
        "biases_not_updated": fn(_UPDATE, '''
    return {"W1": parameters["W1"] - learning_rate * grads["dW1"], "b1": parameters["b1"],
            "W2": parameters["W2"] - learning_rate * grads["dW2"], "b2": parameters["b2"]}
'''),
        "fixed_learning_rate": fn(_UPDATE, _UPDATE_RIGHT.replace("learning_rate *", "1.2 *")),
        "divides_by_learning_rate": fn(_UPDATE, _UPDATE_RIGHT.replace("learning_rate * grads[\"dW1\"]",
                                                                      "grads[\"dW1\"] / learning_rate")),
    },
    "nn_model": {
        "never_updates": fn(_MODEL, swap(_MODEL_RIGHT, "parameters = update_parameters(", "update_parameters(")),
        "reinitializes_each_iteration": fn(_MODEL, '''
    n_x, _, n_y = layer_sizes(X, Y)
    costs = []
    for i in range(num_iterations):
        parameters = initialize_parameters(n_x, n_h, n_y, seed)
        A2, cache = forward_propagation(X, parameters)
        costs.append(compute_cost(A2, Y))
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters, costs
'''),
        "ignores_learning_rate": fn(_MODEL, swap(_MODEL_RIGHT, "grads, learning_rate)", "grads, 2.0)")),
        "ignores_n_h": fn(_MODEL, swap(_MODEL_RIGHT, "n_x, _, n_y = layer_sizes(X, Y)",
                                            "n_x, n_h, n_y = layer_sizes(X, Y)")),
        "ignores_seed": fn(_MODEL, swap(_MODEL_RIGHT, "initialize_parameters(n_x, n_h, n_y, seed)",
                                             "initialize_parameters(n_x, n_h, n_y)")),
        "cost_after_update": fn(_MODEL, '''
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y, seed)
    costs = []
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
        costs.append(compute_cost(forward_propagation(X, parameters)[0], Y))
    return parameters, costs
'''),
        "one_iteration_short": fn(_MODEL, swap(_MODEL_RIGHT, "range(num_iterations)", "range(num_iterations - 1)")),
        "records_every_100": fn(_MODEL, swap(_MODEL_RIGHT, "        costs.append(cost)\n",
                                                  "        if i % 100 == 0:\n            costs.append(cost)\n")),
    },
    "predict": {
        "returns_probabilities": fn(_PREDICT, "    A2, _ = forward_propagation(X, parameters)\n    return A2\n"),
        "inverted": fn(_PREDICT, "    A2, _ = forward_propagation(X, parameters)\n    return (A2 < 0.5).astype(int)\n"),
        "threshold_on_Z2": fn(_PREDICT, '''
    _, cache = forward_propagation(X, parameters)
    return (cache["Z2"] > 0.5).astype(int)
'''),
        "rank1": fn(_PREDICT, "    A2, _ = forward_propagation(X, parameters)\n    return (A2 > 0.5).astype(int).ravel()\n"),
        "transposed": fn(_PREDICT, "    A2, _ = forward_propagation(X, parameters)\n    return (A2 > 0.5).astype(int).T\n"),
        "threshold_zero": fn(_PREDICT, "    A2, _ = forward_propagation(X, parameters)\n    return (A2 > 0).astype(int)\n"),
        "argmax": fn(_PREDICT, "    A2, _ = forward_propagation(X, parameters)\n    return np.argmax(A2, axis=0)\n"),
    },
}

CORRECT = {
    "layer_sizes": {
        "len": fn(_LAYER, "    return (len(X), 8, len(Y))\n"),
        "unpack_shapes": fn(_LAYER, "    n_x, m = X.shape\n    n_y, _ = Y.shape\n    n_h = 8\n    return n_x, n_h, n_y\n"),
        "np_shape": fn(_LAYER, "    return tuple([np.shape(X)[0], 8, np.shape(Y)[0]])\n"),
    },
    "initialize_parameters": {
        "rng_normal": fn(_INIT, '''
    rng = np.random.default_rng(seed)
    W1 = rng.normal(0, 1, (n_h, n_x)) / np.sqrt(n_x + n_h)
    W2 = rng.normal(0, 1, (n_y, n_h)) / np.sqrt(n_h + n_y)
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}
'''),
        "stepwise_dict": fn(_INIT, '''
    generator = np.random.default_rng(seed=seed)
    parameters = {}
    parameters["W1"] = generator.standard_normal(size=(n_h, n_x)) * (1.0 / (n_x + n_h)) ** 0.5
    parameters["b1"] = np.zeros(shape=(n_h, 1))
    parameters["W2"] = generator.standard_normal(size=(n_y, n_h)) * (1.0 / (n_h + n_y)) ** 0.5
    parameters["b2"] = np.zeros(shape=(n_y, 1))
    return parameters
'''),
        "flat_then_reshape": fn(_INIT, '''
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal(n_h * n_x).reshape(n_h, n_x) * math.sqrt(1 / (n_x + n_h))
    W2 = rng.standard_normal(n_y * n_h).reshape(n_y, n_h) * math.sqrt(1 / (n_h + n_y))
    return dict(W1=W1, b1=np.zeros((n_h, 1)), W2=W2, b2=np.zeros((n_y, 1)))
'''),
    },
    "relu": {
        "mask_multiply": fn("relu(Z)", "    return Z * (Z > 0)\n"),
        "where": fn("relu(Z)", "    return np.where(Z > 0, Z, 0.0)\n"),
        "copy_then_zero": fn("relu(Z)", "    A = Z.copy()\n    A[A < 0] = 0\n    return A\n"),
    },
    "relu_derivative": {
        "where": fn("relu_derivative(Z)", "    return np.where(Z > 0, 1.0, 0.0)\n"),
        "boolean_mask": fn("relu_derivative(Z)", "    return Z > 0\n"),
        "heaviside": fn("relu_derivative(Z)", "    return np.heaviside(Z, 0.0)\n"),
    },
    "forward_propagation": {
        "np_dot_textbook_sigmoid": fn(_FORWARD, '''
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = relu(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache
'''),
        "cache_with_extras": fn(_FORWARD, '''
    cache = {"X": X}
    cache["Z1"] = np.matmul(parameters["W1"], X) + parameters["b1"]
    cache["A1"] = np.maximum(cache["Z1"], 0)
    cache["Z2"] = np.matmul(parameters["W2"], cache["A1"]) + parameters["b2"]
    cache["A2"] = sigmoid(cache["Z2"])
    return cache["A2"], cache
'''),
        "einsum": fn(_FORWARD, '''
    Z1 = np.einsum("hx,xm->hm", parameters["W1"], X) + parameters["b1"]
    A1 = relu(Z1)
    Z2 = np.einsum("yh,hm->ym", parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, dict(Z1=Z1, A1=A1, Z2=Z2, A2=A2)
'''),
    },
    "compute_cost": {
        "mean": fn(_COST, '''
    A = np.clip(A2, 1e-14, 1 - 1e-14)
    return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
'''),
        "dot_products": fn(_COST, '''
    m = Y.shape[1]
    A = np.clip(A2, 1e-14, 1 - 1e-14)
    logprobs = np.dot(np.log(A), Y.T) + np.dot(np.log(1 - A), (1 - Y).T)
    return -float(np.squeeze(logprobs)) / m
'''),
        "where_labels": fn(_COST, '''
    A = np.minimum(np.maximum(A2, 1e-14), 1 - 1e-14)
    return float(-np.mean(np.log(np.where(Y == 1, A, 1 - A))))
'''),
    },
    "backward_propagation": {
        "np_dot_and_mask": fn(_BACKWARD, '''
    dZ2 = cache["A2"] - Y
    dW2 = np.dot(dZ2, cache["A1"].T) / X.shape[1]
    db2 = dZ2.mean(axis=1, keepdims=True)
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (cache["A1"] > 0)
    dW1 = np.dot(dZ1, X.T) / X.shape[1]
    db1 = dZ1.mean(axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
'''),
        "einsum": fn(_BACKWARD, '''
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dW2 = np.einsum("ym,hm->yh", dZ2, cache["A1"]) / m
    db2 = np.einsum("ym->y", dZ2)[:, None] / m
    dZ1 = np.einsum("yh,ym->hm", parameters["W2"], dZ2) * relu_derivative(cache["Z1"])
    dW1 = np.einsum("hm,xm->hx", dZ1, X) / m
    db1 = np.einsum("hm->h", dZ1).reshape(-1, 1) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
'''),
        "reshape_and_heaviside": fn(_BACKWARD, '''
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    grads = {"dW2": (1 / m) * dZ2.dot(cache["A1"].T), "db2": (1 / m) * dZ2.sum(axis=1).reshape(-1, 1)}
    dZ1 = np.multiply(parameters["W2"].T.dot(dZ2), np.heaviside(cache["Z1"], 0))
    grads["dW1"] = (1 / m) * dZ1.dot(X.T)
    grads["db1"] = (1 / m) * dZ1.sum(axis=1).reshape(-1, 1)
    return grads
'''),
    },
    "update_parameters": {
        "dict_comprehension": fn(_UPDATE, '''
    return {key: value - learning_rate * grads["d" + key] for key, value in parameters.items()}
'''),
        "copy_then_in_place": fn(_UPDATE, '''
    new = {name: value.copy() for name, value in parameters.items()}
    for name in new:
        new[name] -= learning_rate * grads["d" + name]
    return new
'''),
        "deepcopy_then_assign": fn(_UPDATE, '''
    import copy
    new = copy.deepcopy(parameters)
    for name in ("W1", "b1", "W2", "b2"):
        new[name] = new[name] - learning_rate * grads["d" + name]
    return new
'''),
    },
    "nn_model": {
        "while_loop": fn(_MODEL, '''
    sizes = layer_sizes(X, Y)
    parameters = initialize_parameters(sizes[0], n_h, sizes[2], seed=seed)
    costs = []
    i = 0
    while i < num_iterations:
        A2, cache = forward_propagation(X, parameters)
        costs.append(compute_cost(A2, Y))
        parameters = update_parameters(parameters, backward_propagation(parameters, cache, X, Y), learning_rate)
        if print_cost and i % 1000 == 0:
            print("iteration", i, "cost", costs[-1])
        i += 1
    return parameters, costs
'''),
        "costs_as_array": fn(_MODEL, '''
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0], seed)
    costs = np.zeros(num_iterations)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        costs[i] = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters, costs
'''),
    },
    "predict": {
        "round": fn(_PREDICT, "    A2, cache = forward_propagation(X, parameters)\n    return np.round(A2)\n"),
        "where": fn(_PREDICT, "    A2 = forward_propagation(X, parameters)[0]\n    return np.where(A2 > 0.5, 1, 0)\n"),
        "boolean": fn(_PREDICT, "    A2, _ = forward_propagation(X, parameters)\n    return A2 > 0.5\n"),
    },
}
