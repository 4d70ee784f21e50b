"""Student answers to assignment 04 (a deep network on digits), wrong and right, as they show up in submissions."""

from ._build import fn, swap

ASSIGNMENT = "04_deep_network"


_IMAGE = "convert_image(x)"
_ONE_HOT = "convert_to_one_hot(y, num_classes)"
_SPLIT = "split_data(X, Y, train_fraction=0.6, seed=0)"
_NORMALIZE = "normalize(X, mean=None, std=None)"
_INIT = "initialize_parameters_deep(layer_dims, seed=0)"
_FORWARD_LAYER = "forward_layer(A_prev, W, b, activation)"
_FORWARD = 'forward_propagation(X, parameters, hidden_activation="relu")'
_COST = "compute_cost(AL, Y)"
_BACKWARD_LAYER = "backward_layer(dA, cache, activation)"
_BACKWARD = 'back_propagation(AL, Y, caches, hidden_activation="relu")'
_UPDATE = "update_step(parameters, grads, learning_rate)"
_TRAIN = ('train(X, Y, layer_dims, num_epochs, batch_size, learning_rate, seed=0, print_cost=False, '
          'hidden_activation="relu")')
_PREDICT = 'predict(X, parameters, hidden_activation="relu")'
_ACCURACY = "accuracy(predictions, labels)"


def _activation(name: str, body: str) -> str:
    return fn(f"{name}(Z)", body)


# ---------------------------------------------------------------------------------------------------------------
# Bodies of correct answers that the wrong variants change in one place.

_IMAGE_RIGHT = '''
    x = np.asarray(x)
    side = math.isqrt(x.size)
    if side * side != x.size:
        raise ValueError(f"{x.size} is not a perfect square")
    return x.reshape(side, side)
'''

_SPLIT_RIGHT = '''
    m = X.shape[1]
    permutation = np.random.default_rng(seed).permutation(m)
    n_train = int(train_fraction * m)
    train, test = permutation[:n_train], permutation[n_train:]
    return X[:, train], Y[:, train], X[:, test], Y[:, test]
'''

_NORMALIZE_RIGHT = '''
    if mean is None or std is None:
        mean = np.mean(X, axis=1, keepdims=True)
        std = np.std(X, axis=1, keepdims=True)
        std[std == 0] = 1
    return (X - mean) / std, mean, std
'''

_INIT_RIGHT = '''
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * np.sqrt(2 / layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
'''

_FORWARD_LAYER_RIGHT = '''
    Z = W @ A_prev + b
    A = ACTIVATIONS[activation](Z)
    cache = (A_prev, W, b, Z)
    return A, cache
'''

_FORWARD_RIGHT = '''
    L = len(parameters) // 2
    caches = []
    A = X
    for l in range(1, L):
        A, cache = forward_layer(A, parameters["W" + str(l)], parameters["b" + str(l)], hidden_activation)
        caches.append(cache)
    AL, cache = forward_layer(A, parameters["W" + str(L)], parameters["b" + str(L)], "softmax")
    caches.append(cache)
    return AL, caches
'''

_BACKWARD_LAYER_RIGHT = '''
    A_prev, W, b, Z = cache
    m = A_prev.shape[1]
    dZ = dA * DERIVATIVES[activation](Z)
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
'''

_BACKWARD_RIGHT = '''
    grads = {}
    L = len(caches)
    m = Y.shape[1]
    A_prev, W, b, Z = caches[L - 1]
    dZ = AL - Y
    grads["dW" + str(L)] = dZ @ A_prev.T / m
    grads["db" + str(L)] = np.sum(dZ, axis=1, keepdims=True) / m
    dA = W.T @ dZ
    for l in reversed(range(1, L)):
        dA, dW, db = backward_layer(dA, caches[l - 1], hidden_activation)
        grads["dW" + str(l)] = dW
        grads["db" + str(l)] = db
    return grads
'''

_UPDATE_RIGHT = '''
    L = len(parameters) // 2
    new = {}
    for l in range(1, L + 1):
        new["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        new["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return new
'''

_TRAIN_RIGHT = '''
    parameters = initialize_parameters_deep(layer_dims, seed)
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    costs = []
    for epoch in range(num_epochs):
        permutation = rng.permutation(m)
        for start in range(0, m, batch_size):
            batch = permutation[start:start + batch_size]
            AL, caches = forward_propagation(X[:, batch], parameters, hidden_activation)
            grads = back_propagation(AL, Y[:, batch], caches, hidden_activation)
            parameters = update_step(parameters, grads, learning_rate)
        AL, _ = forward_propagation(X, parameters, hidden_activation)
        costs.append(compute_cost(AL, Y))
        if print_cost and epoch % 10 == 0:
            print(epoch, costs[-1])
    return parameters, costs
'''

_PREDICT_RIGHT = '''
    AL, _ = forward_propagation(X, parameters, hidden_activation)
    return np.argmax(AL, axis=0)
'''



WRONG = {
    "convert_image": {
        "hard_coded_8x8": fn(_IMAGE, "    return np.asarray(x).reshape(8, 8)\n"),
        "column_major_order": fn(_IMAGE, swap(_IMAGE_RIGHT, "x.reshape(side, side)", "x.reshape(side, side, order='F')")),
        "transposed_image": fn(_IMAGE, swap(_IMAGE_RIGHT, "x.reshape(side, side)", "x.reshape(side, side).T")),
        "no_perfect_square_check": fn(_IMAGE, '''
    side = int(np.sqrt(np.size(x)))
    return np.ravel(x)[:side * side].reshape(side, side)
'''),
        "assert_instead_of_value_error": fn(_IMAGE, '''
    x = np.asarray(x)
    side = math.isqrt(x.size)
    assert side * side == x.size, "not a perfect square"
    return x.reshape(side, side)
'''),
        "float_side": fn(_IMAGE, '''
    x = np.asarray(x)
    side = np.sqrt(x.size)
    if side != int(side):
        raise ValueError("not a perfect square")
    return x.reshape(side, side)
'''),
        "returns_message_instead_of_raising": fn(_IMAGE, '''
    x = np.asarray(x)
    side = math.isqrt(x.size)
    if side * side != x.size:
        return "Error: not a perfect square"
    return x.reshape(side, side)
'''),
    },
    "convert_to_one_hot": {
        "transposed": fn(_ONE_HOT, "    return np.eye(num_classes)[np.ravel(y)]\n"),
        "classes_from_max_label": fn(_ONE_HOT, '''
    y = np.ravel(y)
    one_hot = np.zeros((int(y.max()) + 1, y.size))
    one_hot[y, np.arange(y.size)] = 1
    return one_hot
'''),
        "eye_without_ravel": fn(_ONE_HOT, "    return np.eye(num_classes)[y].T\n"),
        "off_by_one": fn(_ONE_HOT, '''
    y = np.ravel(y)
    one_hot = np.zeros((num_classes, y.size))
    one_hot[y - 1, np.arange(y.size)] = 1
    return one_hot
'''),
        "whole_rows_set": fn(_ONE_HOT, '''
    y = np.ravel(y)
    one_hot = np.zeros((num_classes, y.size))
    one_hot[y] = 1
    return one_hot
'''),
        "labels_as_values": fn(_ONE_HOT, '''
    y = np.ravel(y)
    one_hot = np.zeros((num_classes, y.size))
    one_hot[y, np.arange(y.size)] = y
    return one_hot
'''),
    },
    "split_data": {
        "no_shuffle": fn(_SPLIT, '''
    n_train = int(train_fraction * X.shape[1])
    return X[:, :n_train], Y[:, :n_train], X[:, n_train:], Y[:, n_train:]
'''),
        "separate_shuffles_break_pairs": fn(_SPLIT, '''
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    n_train = int(train_fraction * m)
    X_shuffled = X[:, rng.permutation(m)]
    Y_shuffled = Y[:, rng.permutation(m)]
    return X_shuffled[:, :n_train], Y_shuffled[:, :n_train], X_shuffled[:, n_train:], Y_shuffled[:, n_train:]
'''),
        "legacy_global_seed": fn(_SPLIT, swap(_SPLIT_RIGHT, "permutation = np.random.default_rng(seed).permutation(m)",
                                                 "np.random.seed(seed)\n    permutation = np.random.permutation(m)")),
        "sampling_with_replacement": fn(_SPLIT, swap(_SPLIT_RIGHT, "np.random.default_rng(seed).permutation(m)",
                                                        "np.random.default_rng(seed).integers(0, m, m)")),
        "rows_as_examples": fn(_SPLIT, swap(_SPLIT_RIGHT, "m = X.shape[1]", "m = X.shape[0]")),
        "rounded_up": fn(_SPLIT, swap(_SPLIT_RIGHT, "n_train = int(train_fraction * m)",
                                         "n_train = math.ceil(train_fraction * m)")),
        "overlapping_parts": fn(_SPLIT, swap(_SPLIT_RIGHT, "permutation[n_train:]", "permutation[n_train - 1:]")),
    },
    "normalize": {
        "per_example": fn(_NORMALIZE, swap(swap(_NORMALIZE_RIGHT, "np.mean(X, axis=1, keepdims=True)",
                                                   "np.mean(X, axis=0, keepdims=True)"),
                                             "np.std(X, axis=1, keepdims=True)", "np.std(X, axis=0, keepdims=True)")),
        "nan_for_constant_features": fn(_NORMALIZE, swap(_NORMALIZE_RIGHT, "        std[std == 0] = 1\n", "")),
        "statistics_of_the_data_it_normalizes": fn(_NORMALIZE, '''
    mean = np.mean(X, axis=1, keepdims=True)
    std = np.std(X, axis=1, keepdims=True)
    std[std == 0] = 1
    return (X - mean) / std, mean, std
'''),
        "sample_std": fn(_NORMALIZE, swap(_NORMALIZE_RIGHT, "np.std(X, axis=1, keepdims=True)",
                                             "np.std(X, axis=1, ddof=1, keepdims=True)")),
        "epsilon_guard": fn(_NORMALIZE, swap(_NORMALIZE_RIGHT, "        std[std == 0] = 1\n", "        std = std + 1e-8\n")),
        "in_place": fn(_NORMALIZE, '''
    if mean is None:
        mean = np.mean(X, axis=1, keepdims=True)
        std = np.std(X, axis=1, keepdims=True)
        std[std == 0] = 1
    X -= mean
    X /= std
    return X, mean, std
'''),
        "min_max_scaling": fn(_NORMALIZE, '''
    if mean is None:
        mean = np.min(X, axis=1, keepdims=True)
        std = np.max(X, axis=1, keepdims=True) - mean
        std[std == 0] = 1
    return (X - mean) / std, mean, std
'''),
    },
    "sigmoid": {
        "sign_error": _activation("sigmoid", "    return 1 / (1 + np.exp(Z))\n"),
        "precedence": _activation("sigmoid", "    return 1 / 1 + np.exp(-Z)\n"),
        "tanh_instead": _activation("sigmoid", "    return np.tanh(Z)\n"),
        "clipped_too_early": _activation("sigmoid", "    return 1 / (1 + np.exp(-np.clip(Z, -5, 5)))\n"),
        "rank1_output": _activation("sigmoid", "    return (1 / (1 + np.exp(-Z))).ravel()\n"),
        "derivative_instead": _activation("sigmoid", "    s = 1 / (1 + np.exp(-Z))\n    return s * (1 - s)\n"),
    },
    "relu": {
        "max_over_an_axis": _activation("relu", "    return np.max(Z, 0)\n"),
        "absolute_value": _activation("relu", "    return np.abs(Z)\n"),
        "leaky_instead": _activation("relu", "    return np.maximum(0.01 * Z, Z)\n"),
        "returns_mask": _activation("relu", "    return Z > 0\n"),
        "in_place": _activation("relu", "    Z[Z < 0] = 0\n    return Z\n"),
        "clipped_at_one": _activation("relu", "    return np.clip(Z, 0, 1)\n"),
    },
    "tanh": {
        "sigmoid_instead": _activation("tanh", "    return 1 / (1 + np.exp(-Z))\n"),
        "unstable_exponentials": _activation("tanh", "    return (np.exp(Z) - np.exp(-Z)) / (np.exp(Z) + np.exp(-Z))\n"),
        "half_argument": _activation("tanh", "    return 2 / (1 + np.exp(-Z)) - 1\n"),
        "sinh_instead": _activation("tanh", "    return (np.exp(Z) - np.exp(-Z)) / 2\n"),
        "arctan": _activation("tanh", "    return np.arctan(Z)\n"),
        "tangent": _activation("tanh", "    return np.tan(Z)\n"),
    },
    "leaky_relu": {
        "slope_0_1": _activation("leaky_relu", "    return np.where(Z > 0, Z, 0.1 * Z)\n"),
        "maximum_with_constant": _activation("leaky_relu", "    return np.maximum(0.01, Z)\n"),
        "constant_for_negatives": _activation("leaky_relu", "    return np.where(Z > 0, Z, 0.01)\n"),
        "plain_relu": _activation("leaky_relu", "    return np.maximum(0, Z)\n"),
        "sign_flipped_slope": _activation("leaky_relu", "    return np.where(Z > 0, Z, -0.01 * Z)\n"),
        "in_place": _activation("leaky_relu", "    Z[Z < 0] *= 0.01\n    return Z\n"),
    },
    "softplus": {
        "unstable_log_exp": _activation("softplus", "    return np.log(1 + np.exp(Z))\n"),
        "unstable_log1p": _activation("softplus", "    return np.log1p(np.exp(Z))\n"),
        "relu_instead": _activation("softplus", "    return np.maximum(0, Z)\n"),
        "log10": _activation("softplus", "    return np.log10(1 + np.exp(np.minimum(Z, 30))) + np.maximum(Z - 30, 0)\n"),
        "forgot_the_one": _activation("softplus", "    return np.log(np.exp(Z))\n"),
        "sign_error": _activation("softplus", "    return np.logaddexp(0, -Z)\n"),
    },
    "softmax": {
        "whole_matrix": _activation("softmax", "    e = np.exp(Z - np.max(Z))\n    return e / np.sum(e)\n"),
        "over_rows": _activation("softmax", '''
    e = np.exp(Z - np.max(Z, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)
'''),
        "unstable": _activation("softmax", "    e = np.exp(Z)\n    return e / np.sum(e, axis=0, keepdims=True)\n"),
        "global_max_shift": _activation("softmax", "    e = np.exp(Z - np.max(Z))\n    return e / np.sum(e, axis=0, keepdims=True)\n"),
        "min_shift": _activation("softmax", '''
    e = np.exp(Z - np.min(Z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)
'''),
        "transposed": _activation("softmax", '''
    e = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return (e / np.sum(e, axis=0, keepdims=True)).T
'''),
        "no_exponential": _activation("softmax", "    return Z / np.sum(Z, axis=0, keepdims=True)\n"),
    },
    "sigmoid_derivative": {
        "derivative_of_activation": _activation("sigmoid_derivative", "    return Z * (1 - Z)\n"),
        "plus_sign": _activation("sigmoid_derivative", "    s = sigmoid(Z)\n    return s * (1 + s)\n"),
        "returns_sigmoid": _activation("sigmoid_derivative", "    return sigmoid(Z)\n"),
        "summed_to_a_number": _activation("sigmoid_derivative", "    s = sigmoid(Z)\n    return np.sum(s * (1 - s))\n"),
        "flattened": _activation("sigmoid_derivative", "    s = sigmoid(Z)\n    return (s * (1 - s)).flatten()\n"),
        "tanh_formula": _activation("sigmoid_derivative", "    return 1 - sigmoid(Z) ** 2\n"),
    },
    "relu_derivative": {
        "one_at_zero": _activation("relu_derivative", "    return (Z >= 0).astype(float)\n"),
        "returns_relu": _activation("relu_derivative", "    return np.maximum(0, Z)\n"),
        "sign": _activation("relu_derivative", "    return np.sign(Z)\n"),
        "summed_to_a_number": _activation("relu_derivative", "    return np.sum(Z > 0)\n"),
        "flattened": _activation("relu_derivative", "    return (Z > 0).astype(float).ravel()\n"),
        "all_ones": _activation("relu_derivative", "    return np.ones_like(Z)\n"),
    },
    "tanh_derivative": {
        "derivative_of_activation": _activation("tanh_derivative", "    return 1 - Z ** 2\n"),
        "missing_square": _activation("tanh_derivative", "    return 1 - np.tanh(Z)\n"),
        "square_outside": _activation("tanh_derivative", "    return (1 - np.tanh(Z)) ** 2\n"),
        "sigmoid_formula": _activation("tanh_derivative", "    t = np.tanh(Z)\n    return t * (1 - t)\n"),
        "summed_to_a_number": _activation("tanh_derivative", "    return np.sum(1 - np.tanh(Z) ** 2)\n"),
        "sech_not_squared": _activation("tanh_derivative", "    return 1 / np.cosh(Z)\n"),
    },
    "leaky_relu_derivative": {
        "zero_for_negatives": _activation("leaky_relu_derivative", "    return np.where(Z > 0, 1.0, 0.0)\n"),
        "slope_times_Z": _activation("leaky_relu_derivative", "    return np.where(Z > 0, 1.0, 0.01 * Z)\n"),
        "slope_0_1": _activation("leaky_relu_derivative", "    return np.where(Z > 0, 1.0, 0.1)\n"),
        "one_at_zero": _activation("leaky_relu_derivative", "    return np.where(Z >= 0, 1.0, 0.01)\n"),
        "flattened": _activation("leaky_relu_derivative", "    return np.where(Z > 0, 1.0, 0.01).reshape(-1)\n"),
        "returns_leaky_relu": _activation("leaky_relu_derivative", "    return np.where(Z > 0, Z, 0.01 * Z)\n"),
    },
    "softplus_derivative": {
        "returns_softplus": _activation("softplus_derivative", "    return np.logaddexp(0, Z)\n"),
        "sigmoid_of_minus_Z": _activation("softplus_derivative", "    return 1 / (1 + np.exp(Z))\n"),
        "unstable_ratio": _activation("softplus_derivative", "    return np.exp(Z) / (1 + np.exp(Z))\n"),
        "sigmoid_derivative_instead": _activation("softplus_derivative", "    s = sigmoid(Z)\n    return s * (1 - s)\n"),
        "summed_to_a_number": _activation("softplus_derivative", "    return np.sum(sigmoid(Z))\n"),
        "step_instead": _activation("softplus_derivative", "    return (Z > 0).astype(float)\n"),
    },
    "initialize_parameters_deep": {
        "times_0_01": fn(_INIT, swap(_INIT_RIGHT, "np.sqrt(2 / layer_dims[l - 1])", "0.01")),
        "xavier_scale": fn(_INIT, swap(_INIT_RIGHT, "np.sqrt(2 / layer_dims[l - 1])", "np.sqrt(1 / layer_dims[l - 1])")),
        "fan_out": fn(_INIT, swap(_INIT_RIGHT, "np.sqrt(2 / layer_dims[l - 1])", "np.sqrt(2 / layer_dims[l])")),
        "transposed_weights": fn(_INIT, swap(_INIT_RIGHT, "rng.standard_normal((layer_dims[l], layer_dims[l - 1]))",
                                               "rng.standard_normal((layer_dims[l - 1], layer_dims[l]))")),
        "legacy_global_seed": fn(_INIT, '''
    np.random.seed(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * np.sqrt(2 / layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
'''),
        "random_biases": fn(_INIT, swap(_INIT_RIGHT, "np.zeros((layer_dims[l], 1))", "rng.standard_normal((layer_dims[l], 1))")),
        "new_generator_every_layer": fn(_INIT, swap(_INIT_RIGHT, "        parameters[\"W\"",
                                                      "        rng = np.random.default_rng(seed)\n        parameters[\"W\"")),
        "missing_last_layer": fn(_INIT, swap(_INIT_RIGHT, "range(1, len(layer_dims))", "range(1, len(layer_dims) - 1)")),
    },
    "forward_layer": {
        "elementwise_product": fn(_FORWARD_LAYER, swap(_FORWARD_LAYER_RIGHT, "W @ A_prev", "W * A_prev")),
        "product_reversed": fn(_FORWARD_LAYER, swap(_FORWARD_LAYER_RIGHT, "W @ A_prev", "A_prev @ W")),
        "no_bias": fn(_FORWARD_LAYER, swap(_FORWARD_LAYER_RIGHT, "W @ A_prev + b", "W @ A_prev")),
        "always_relu": fn(_FORWARD_LAYER, swap(_FORWARD_LAYER_RIGHT, "ACTIVATIONS[activation](Z)", "relu(Z)")),
        "forgot_activation": fn(_FORWARD_LAYER, swap(_FORWARD_LAYER_RIGHT, "ACTIVATIONS[activation](Z)", "Z")),
        "cache_stores_output": fn(_FORWARD_LAYER, swap(_FORWARD_LAYER_RIGHT, "(A_prev, W, b, Z)", "(A, W, b, Z)")),
        "cache_in_another_order": fn(_FORWARD_LAYER, swap(_FORWARD_LAYER_RIGHT, "(A_prev, W, b, Z)", "(Z, A_prev, W, b)")),
    },
    "forward_propagation": {
        "softmax_everywhere": fn(_FORWARD, swap(_FORWARD_RIGHT, 'parameters["b" + str(l)], hidden_activation)',
                                                  'parameters["b" + str(l)], "softmax")')),
        "hidden_activation_on_output": fn(_FORWARD, swap(_FORWARD_RIGHT, 'parameters["b" + str(L)], "softmax")',
                                                           'parameters["b" + str(L)], hidden_activation)')),
        "ignores_hidden_activation": fn(_FORWARD, swap(_FORWARD_RIGHT, 'parameters["b" + str(l)], hidden_activation)',
                                                         'parameters["b" + str(l)], "relu")')),
        "skips_last_hidden_layer": fn(_FORWARD, swap(_FORWARD_RIGHT, "range(1, L)", "range(1, L - 1)")),
        "output_cache_missing": fn(_FORWARD, swap(_FORWARD_RIGHT, "    caches.append(cache)\n    return", "    return")),
        "L_is_the_number_of_entries": fn(_FORWARD, swap(_FORWARD_RIGHT, "L = len(parameters) // 2", "L = len(parameters)")),
    },
    "compute_cost": {
        "sum_not_average": fn(_COST, "    return float(-np.sum(Y * np.log(np.maximum(AL, EPSILON))))\n"),
        "average_over_all_entries": fn(_COST, "    return float(-np.mean(Y * np.log(np.maximum(AL, EPSILON))))\n"),
        "no_log_guard": fn(_COST, "    return float(-np.sum(Y * np.log(AL)) / Y.shape[1])\n"),
        "missing_minus": fn(_COST, "    return float(np.sum(Y * np.log(np.maximum(AL, EPSILON))) / Y.shape[1])\n"),
        "binary_formula": fn(_COST, '''
    m = Y.shape[1]
    AL = np.clip(AL, EPSILON, 1 - EPSILON)
    return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m)
'''),
        "per_example_costs": fn(_COST, "    return -np.sum(Y * np.log(np.maximum(AL, EPSILON)), axis=0)\n"),
        "guard_too_large": fn(_COST, "    return float(-np.sum(Y * np.log(np.maximum(AL, 1e-3))) / Y.shape[1])\n"),
    },
    "backward_layer": {
        "bias_gradient_without_1_over_m": fn(_BACKWARD_LAYER, swap(_BACKWARD_LAYER_RIGHT, "keepdims=True) / m",
                                                                     "keepdims=True)")),
        "weight_gradient_without_1_over_m": fn(_BACKWARD_LAYER, swap(_BACKWARD_LAYER_RIGHT, "A_prev.T) / m", "A_prev.T)")),
        "bias_gradient_summed_to_a_number": fn(_BACKWARD_LAYER, swap(_BACKWARD_LAYER_RIGHT,
                                                                       "np.sum(dZ, axis=1, keepdims=True) / m",
                                                                       "np.sum(dZ) / m")),
        "bias_summed_over_units": fn(_BACKWARD_LAYER, swap(_BACKWARD_LAYER_RIGHT, "axis=1, keepdims", "axis=0, keepdims")),
        "missing_derivative": fn(_BACKWARD_LAYER, swap(_BACKWARD_LAYER_RIGHT, "dA * DERIVATIVES[activation](Z)", "dA")),
        "derivative_at_the_output": fn(_BACKWARD_LAYER, swap(_BACKWARD_LAYER_RIGHT, "DERIVATIVES[activation](Z)",
                                                               "DERIVATIVES[activation](ACTIVATIONS[activation](Z))")),
        "elementwise_for_matmul": fn(_BACKWARD_LAYER, swap(_BACKWARD_LAYER_RIGHT, "np.dot(W.T, dZ)", "W.T * dZ")),
        "missing_transpose": fn(_BACKWARD_LAYER, swap(_BACKWARD_LAYER_RIGHT, "np.dot(W.T, dZ)", "np.dot(W, dZ)")),
        "dA_prev_divided_by_m": fn(_BACKWARD_LAYER, swap(_BACKWARD_LAYER_RIGHT, "np.dot(W.T, dZ)", "np.dot(W.T, dZ) / m")),
    },
    "back_propagation": {
        "sign_flipped": fn(_BACKWARD, swap(_BACKWARD_RIGHT, "dZ = AL - Y", "dZ = Y - AL")),
        "output_bias_without_1_over_m": fn(_BACKWARD, swap(_BACKWARD_RIGHT, "keepdims=True) / m", "keepdims=True)")),
        "hidden_derivative_on_output": fn(_BACKWARD, '''
    grads = {}
    L = len(caches)
    dA = AL - Y
    dA, grads["dW" + str(L)], grads["db" + str(L)] = backward_layer(dA, caches[L - 1], hidden_activation)
    for l in reversed(range(1, L)):
        dA, grads["dW" + str(l)], grads["db" + str(l)] = backward_layer(dA, caches[l - 1], hidden_activation)
    return grads
'''),
        "always_relu": fn(_BACKWARD, swap(_BACKWARD_RIGHT, "caches[l - 1], hidden_activation)", 'caches[l - 1], "relu")')),
        "skips_first_layer": fn(_BACKWARD, swap(_BACKWARD_RIGHT, "reversed(range(1, L))", "reversed(range(2, L))")),
        "cache_off_by_one": fn(_BACKWARD, swap(_BACKWARD_RIGHT, "backward_layer(dA, caches[l - 1]", "backward_layer(dA, caches[l]")),
        "output_delta_summed": fn(_BACKWARD, swap(_BACKWARD_RIGHT, "dZ = AL - Y", "dZ = np.sum(AL - Y, axis=0, keepdims=True)")),
    },
    "update_step": {
        "learning_rate_wrong_sign": fn(_UPDATE, swap(swap(_UPDATE_RIGHT, '- learning_rate * grads["dW"', '+ learning_rate * grads["dW"'),
                                                       '- learning_rate * grads["db"', '+ learning_rate * grads["db"')),
        "in_place": fn(_UPDATE, '''
    for name in parameters:
        parameters[name] -= learning_rate * grads["d" + name]
    return parameters
'''),
        "weights_only": fn(_UPDATE, swap(_UPDATE_RIGHT, 'parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]',
                                           'parameters["b" + str(l)]')),
        "misses_last_layer": fn(_UPDATE, swap(_UPDATE_RIGHT, "range(1, L + 1)", "range(1, L)")),
        "bias_uses_weight_gradient": fn(_UPDATE, swap(_UPDATE_RIGHT, 'grads["db" + str(l)]', 'grads["dW" + str(l)]')),
        "divides_by_learning_rate": fn(_UPDATE, '''
    return {name: value - grads["d" + name] / learning_rate for name, value in parameters.items()}
'''),
    },
    "train": {
        "no_shuffle": fn(_TRAIN, swap(_TRAIN_RIGHT, "permutation = rng.permutation(m)", "permutation = np.arange(m)")),
        "drops_last_partial_batch": fn(_TRAIN, swap(_TRAIN_RIGHT, "range(0, m, batch_size)",
                                                      "range(0, m - batch_size + 1, batch_size)")),
        "cost_of_last_batch": fn(_TRAIN, swap(_TRAIN_RIGHT, '''        AL, _ = forward_propagation(X, parameters, hidden_activation)
        costs.append(compute_cost(AL, Y))''', "        costs.append(compute_cost(AL, Y[:, batch]))")),
        "full_batch": fn(_TRAIN, swap(_TRAIN_RIGHT, "range(0, m, batch_size)", "range(0, m, m)").replace(
            "permutation[start:start + batch_size]", "permutation[start:start + m]")),
        "same_order_every_epoch": fn(_TRAIN, swap(_TRAIN_RIGHT, "permutation = rng.permutation(m)",
                                                    "permutation = np.random.default_rng(seed).permutation(m)")),
        "update_result_dropped": fn(_TRAIN, swap(_TRAIN_RIGHT, "parameters = update_step(parameters, grads, learning_rate)",
                                                   "update_step(parameters, grads, learning_rate)")),
        "labels_not_shuffled": fn(_TRAIN, swap(_TRAIN_RIGHT, "Y[:, batch]", "Y[:, start:start + batch_size]")),
        "cost_before_the_epoch": fn(_TRAIN, '''
    parameters = initialize_parameters_deep(layer_dims, seed)
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    costs = []
    for epoch in range(num_epochs):
        AL, _ = forward_propagation(X, parameters, hidden_activation)
        costs.append(compute_cost(AL, Y))
        permutation = rng.permutation(m)
        for start in range(0, m, batch_size):
            batch = permutation[start:start + batch_size]
            AL, caches = forward_propagation(X[:, batch], parameters, hidden_activation)
            grads = back_propagation(AL, Y[:, batch], caches, hidden_activation)
            parameters = update_step(parameters, grads, learning_rate)
    return parameters, costs
'''),
    },
    "predict": {
        "argmax_over_examples": fn(_PREDICT, swap(_PREDICT_RIGHT, "axis=0", "axis=1")),
        "returns_probabilities": fn(_PREDICT, swap(_PREDICT_RIGHT, "np.argmax(AL, axis=0)", "AL")),
        "row_instead_of_rank1": fn(_PREDICT, swap(_PREDICT_RIGHT, "np.argmax(AL, axis=0)", "np.argmax(AL, axis=0).reshape(1, -1)")),
        "max_not_argmax": fn(_PREDICT, swap(_PREDICT_RIGHT, "np.argmax(AL, axis=0)", "np.max(AL, axis=0)")),
        "flat_argmax": fn(_PREDICT, swap(_PREDICT_RIGHT, "np.argmax(AL, axis=0)", "np.argmax(AL)")),
        "ignores_hidden_activation": fn(_PREDICT, swap(_PREDICT_RIGHT, "forward_propagation(X, parameters, hidden_activation)",
                                                         "forward_propagation(X, parameters)")),
    },
    "accuracy": {
        "count_not_fraction": fn(_ACCURACY, "    return np.sum(predictions == np.ravel(labels))\n"),
        "percentage": fn(_ACCURACY, "    return 100 * np.mean(predictions == np.ravel(labels))\n"),
        "column_against_row": fn(_ACCURACY, "    return np.mean(predictions.reshape(-1, 1) == labels)\n"),
        "error_rate": fn(_ACCURACY, "    return 1 - np.mean(predictions == np.ravel(labels))\n"),
        "integer_division": fn(_ACCURACY, "    return np.sum(predictions == np.ravel(labels)) // predictions.size\n"),
        "kept_dimensions": fn(_ACCURACY, "    return np.mean(predictions == np.ravel(labels), keepdims=True)\n"),
    },
}

CORRECT = {
    "convert_image": {
        "rounded_square_root": fn(_IMAGE, '''
    n = np.size(x)
    side = int(round(math.sqrt(n)))
    if side ** 2 != n:
        raise ValueError("convert_image: the number of values must be a perfect square")
    return np.reshape(x, (side, -1))
'''),
        "row_by_row_loop": fn(_IMAGE, '''
    values = np.ravel(x)
    side = int(np.sqrt(values.size))
    while side * side < values.size:
        side += 1
    if side * side != values.size:
        raise ValueError(str(values.size) + " values cannot form a square image")
    image = np.zeros((side, side))
    for row in range(side):
        image[row, :] = values[row * side:(row + 1) * side]
    return image
'''),
        "is_integer_check": fn(_IMAGE, '''
    root = np.sqrt(np.size(x))
    if not float(root).is_integer():
        raise ValueError("not a perfect square")
    return np.asarray(x).reshape(int(root), int(root))
'''),
    },
    "convert_to_one_hot": {
        "eye_columns": fn(_ONE_HOT, "    return np.eye(num_classes)[:, np.ravel(y)]\n"),
        "comparison": fn(_ONE_HOT, "    return (np.arange(num_classes).reshape(-1, 1) == np.reshape(y, (1, -1))).astype(float)\n"),
        "loop": fn(_ONE_HOT, '''
    y = np.ravel(y)
    Y = np.zeros((num_classes, len(y)))
    for i, label in enumerate(y):
        Y[label, i] = 1
    return Y
'''),
    },
    "split_data": {
        "np_take": fn(_SPLIT, '''
    m = X.shape[1]
    rng = np.random.default_rng(seed)
    indices = rng.permutation(m)
    n_train = int(train_fraction * m)
    train_idx, test_idx = np.split(indices, [n_train])
    return (np.take(X, train_idx, axis=1), np.take(Y, train_idx, axis=1),
            np.take(X, test_idx, axis=1), np.take(Y, test_idx, axis=1))
'''),
        "shuffle_then_slice": fn(_SPLIT, '''
    permutation = np.random.default_rng(seed).permutation(X.shape[1])
    X_shuffled, Y_shuffled = X[:, permutation], Y[:, permutation]
    n = int(train_fraction * X.shape[1])
    return X_shuffled[:, :n], Y_shuffled[:, :n], X_shuffled[:, n:], Y_shuffled[:, n:]
'''),
        "permute_the_columns": fn(_SPLIT, '''
    rng = np.random.default_rng(seed)
    stacked = rng.permutation(np.vstack([X, Y]).T).T
    n = int(train_fraction * X.shape[1])
    k = X.shape[0]
    X_all, Y_all = stacked[:k].astype(X.dtype), stacked[k:].astype(Y.dtype)
    return X_all[:, :n], Y_all[:, :n], X_all[:, n:], Y_all[:, n:]
'''),
    },
    "normalize": {
        "where_guard": fn(_NORMALIZE, '''
    if mean is None:
        mean = X.mean(axis=1).reshape(-1, 1)
        std = X.std(axis=1).reshape(-1, 1)
        std = np.where(std == 0, 1.0, std)
    X_norm = (X - mean) / std
    return X_norm, mean, std
'''),
        "by_hand": fn(_NORMALIZE, '''
    if mean is None and std is None:
        m = X.shape[1]
        mean = np.sum(X, axis=1, keepdims=True) / m
        variance = np.sum((X - mean) ** 2, axis=1, keepdims=True) / m
        std = np.sqrt(variance)
        std[std == 0] = 1.0
    return (X - mean) / std, mean, std
'''),
        "loop_over_features": fn(_NORMALIZE, '''
    n = X.shape[0]
    if mean is None:
        mean = np.zeros((n, 1))
        std = np.ones((n, 1))
        for j in range(n):
            mean[j, 0] = np.mean(X[j])
            s = np.std(X[j])
            std[j, 0] = s if s > 0 else 1.0
    out = np.array(X, dtype=float)
    for j in range(n):
        out[j] = (out[j] - mean[j, 0]) / std[j, 0]
    return out, mean, std
'''),
    },
    "sigmoid": {
        "textbook_with_overflow_warning": _activation("sigmoid", "    return 1 / (1 + np.exp(-Z))\n"),
        "via_tanh": _activation("sigmoid", "    return 0.5 * (1 + np.tanh(0.5 * Z))\n"),
        "logaddexp": _activation("sigmoid", "    return np.exp(-np.logaddexp(0, -Z))\n"),
    },
    "relu": {
        "times_mask": _activation("relu", "    return Z * (Z > 0)\n"),
        "where": _activation("relu", "    return np.where(Z > 0, Z, 0)\n"),
        "clip": _activation("relu", "    return np.clip(Z, 0, None)\n"),
    },
    "tanh": {
        "via_exp_of_2z": _activation("tanh", "    return 1 - 2 / (np.exp(2 * Z) + 1)\n"),
        "via_sigmoid": _activation("tanh", "    return 2 * sigmoid(2 * Z) - 1\n"),
        "stable_exponentials": _activation("tanh", "    e = np.exp(-2 * np.abs(Z))\n    return np.sign(Z) * (1 - e) / (1 + e)\n"),
    },
    "leaky_relu": {
        "maximum": _activation("leaky_relu", "    return np.maximum(LEAKY_SLOPE * Z, Z)\n"),
        "times_slopes": _activation("leaky_relu", "    return Z * np.where(Z > 0, 1.0, 0.01)\n"),
        "copy_then_scale": _activation("leaky_relu", "    A = np.array(Z, dtype=float)\n    A[A < 0] *= LEAKY_SLOPE\n    return A\n"),
    },
    "softplus": {
        "max_plus_log1p": _activation("softplus", "    return np.maximum(Z, 0) + np.log1p(np.exp(-np.abs(Z)))\n"),
        "switch_to_identity": _activation("softplus", "    return np.where(Z > 30, Z, np.log1p(np.exp(np.minimum(Z, 30))))\n"),
        "max_plus_log": _activation("softplus", "    return np.log(1 + np.exp(-np.abs(Z))) + np.maximum(Z, 0)\n"),
    },
    "softmax": {
        "without_keepdims": _activation("softmax", "    e = np.exp(Z - Z.max(axis=0))\n    return e / e.sum(axis=0)\n"),
        "logsumexp": _activation("softmax", '''
    shifted = Z - np.max(Z, axis=0, keepdims=True)
    return np.exp(shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True)))
'''),
        "loop_over_columns": _activation("softmax", '''
    out = np.zeros(Z.shape)
    for i in range(Z.shape[1]):
        e = np.exp(Z[:, i] - np.max(Z[:, i]))
        out[:, i] = e / np.sum(e)
    return out
'''),
    },
    "sigmoid_derivative": {
        "expanded": _activation("sigmoid_derivative", "    s = sigmoid(Z)\n    return s - s ** 2\n"),
        "symmetric": _activation("sigmoid_derivative", "    return sigmoid(Z) * sigmoid(-Z)\n"),
        "log_space": _activation("sigmoid_derivative", "    return np.exp(-np.logaddexp(0, -Z) - np.logaddexp(0, Z))\n"),
    },
    "relu_derivative": {
        "where": _activation("relu_derivative", "    return np.where(Z > 0, 1.0, 0.0)\n"),
        "mask_times_one": _activation("relu_derivative", "    return (Z > 0) * 1\n"),
        "heaviside": _activation("relu_derivative", "    return np.heaviside(Z, 0.0)\n"),
    },
    "tanh_derivative": {
        "sech_squared": _activation("tanh_derivative", "    return 1 / np.cosh(Z) ** 2\n"),
        "factored": _activation("tanh_derivative", "    t = tanh(Z)\n    return (1 - t) * (1 + t)\n"),
        "own_tanh": _activation("tanh_derivative", "    return 1 - tanh(Z) ** 2\n"),
    },
    "leaky_relu_derivative": {
        "blend": _activation("leaky_relu_derivative", "    return LEAKY_SLOPE + (1 - LEAKY_SLOPE) * (Z > 0)\n"),
        "fill_then_set": _activation("leaky_relu_derivative", "    d = np.full(Z.shape, 0.01)\n    d[Z > 0] = 1.0\n    return d\n"),
        "ones_then_scale": _activation("leaky_relu_derivative", "    d = np.ones_like(Z, dtype=float)\n    d[Z <= 0] = LEAKY_SLOPE\n    return d\n"),
    },
    "softplus_derivative": {
        "textbook_sigmoid": _activation("softplus_derivative", "    return 1 / (1 + np.exp(-Z))\n"),
        "via_tanh": _activation("softplus_derivative", "    return 0.5 * (1 + np.tanh(Z / 2))\n"),
        "log_space": _activation("softplus_derivative", "    return np.exp(-np.logaddexp(0, -Z))\n"),
    },
    "initialize_parameters_deep": {
        "normal_with_scale": fn(_INIT, '''
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = rng.normal(0.0, np.sqrt(2 / layer_dims[l - 1]), size=(layer_dims[l], layer_dims[l - 1]))
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return parameters
'''),
        "zip_and_divide": fn(_INIT, '''
    rng = np.random.default_rng(seed)
    parameters = {}
    for l, (n_prev, n) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
        parameters["W%d" % l] = rng.standard_normal((n, n_prev)) / np.sqrt(n_prev / 2)
        parameters["b%d" % l] = np.zeros(shape=(n, 1))
    return parameters
'''),
        "biases_after_weights": fn(_INIT, '''
    rng = np.random.default_rng(seed)
    L = len(layer_dims) - 1
    weights = [rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * math.sqrt(2.0 / layer_dims[l - 1])
               for l in range(1, L + 1)]
    parameters = {}
    for l in range(1, L + 1):
        parameters["W" + str(l)] = weights[l - 1]
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
'''),
    },
    "forward_layer": {
        "np_dot": fn(_FORWARD_LAYER, '''
    Z = np.dot(W, A_prev) + b
    return ACTIVATIONS[activation](Z), (A_prev, W, b, Z)
'''),
        "einsum": fn(_FORWARD_LAYER, '''
    Z = np.einsum("ij,jk->ik", W, A_prev) + b
    A = ACTIVATIONS[activation](Z)
    return A, (A_prev, W, b, Z)
'''),
        "if_chain": fn(_FORWARD_LAYER, '''
    Z = np.matmul(W, A_prev) + b
    if activation == "relu":
        A = relu(Z)
    elif activation == "sigmoid":
        A = sigmoid(Z)
    elif activation == "tanh":
        A = tanh(Z)
    elif activation == "leaky_relu":
        A = leaky_relu(Z)
    elif activation == "softplus":
        A = softplus(Z)
    elif activation == "softmax":
        A = softmax(Z)
    else:
        raise ValueError("unknown activation " + activation)
    cache = (A_prev, W, b, Z)
    return A, cache
'''),
    },
    "forward_propagation": {
        "while_loop": fn(_FORWARD, '''
    caches = []
    A = X
    L = len(parameters) // 2
    l = 1
    while l <= L:
        activation = "softmax" if l == L else hidden_activation
        A, cache = forward_layer(A, parameters[f"W{l}"], parameters[f"b{l}"], activation)
        caches.append(cache)
        l += 1
    return A, caches
'''),
        "inline_layers": fn(_FORWARD, '''
    L = len(parameters) // 2
    A = X
    caches = []
    for l in range(1, L + 1):
        W, b = parameters["W" + str(l)], parameters["b" + str(l)]
        Z = W @ A + b
        caches.append((A, W, b, Z))
        A = softmax(Z) if l == L else ACTIVATIONS[hidden_activation](Z)
    return A, caches
'''),
        "hidden_then_output": fn(_FORWARD, '''
    L = len(parameters) // 2
    A, caches = X, []
    for l in range(1, L):
        A, c = forward_layer(A, parameters["W%d" % l], parameters["b%d" % l], activation=hidden_activation)
        caches += [c]
    AL, c = forward_layer(A, parameters["W%d" % L], parameters["b%d" % L], activation="softmax")
    return AL, caches + [c]
'''),
    },
    "compute_cost": {
        "clip_and_mean": fn(_COST, "    return -np.mean(np.sum(Y * np.log(np.clip(AL, EPSILON, 1.0)), axis=0))\n"),
        "true_class_probabilities": fn(_COST, '''
    m = Y.shape[1]
    p = AL[np.argmax(Y, axis=0), np.arange(m)]
    return -np.sum(np.log(np.maximum(p, EPSILON))) / m
'''),
        "epsilon_added": fn(_COST, "    return -np.sum(Y * np.log(AL + EPSILON)) / Y.shape[1]\n"),
    },
    "backward_layer": {
        "einsum_and_mean": fn(_BACKWARD_LAYER, '''
    A_prev, W, b, Z = cache
    dZ = dA * DERIVATIVES[activation](Z)
    dW = np.einsum("ik,jk->ij", dZ, A_prev) / A_prev.shape[1]
    db = dZ.mean(axis=1, keepdims=True)
    dA_prev = np.einsum("ji,jk->ik", W, dZ)
    return dA_prev, dW, db
'''),
        "loop_over_examples": fn(_BACKWARD_LAYER, '''
    A_prev, W, b, Z = cache
    m = A_prev.shape[1]
    dZ = dA * DERIVATIVES[activation](Z)
    dW = np.zeros(W.shape)
    db = np.zeros(b.shape)
    for i in range(m):
        dW += np.outer(dZ[:, i], A_prev[:, i])
        db += dZ[:, i:i + 1]
    return W.T @ dZ, dW / m, db / m
'''),
        "matmul_with_sum_as_product": fn(_BACKWARD_LAYER, '''
    A_prev, W, b, Z = cache
    m = A_prev.shape[1]
    dZ = np.multiply(dA, DERIVATIVES[activation](Z))
    dW = (1 / m) * np.matmul(dZ, A_prev.T)
    db = (1 / m) * dZ @ np.ones((m, 1))
    dA_prev = np.matmul(W.T, dZ)
    return dA_prev, dW, db
'''),
    },
    "back_propagation": {
        "inline_layers": fn(_BACKWARD, '''
    L = len(caches)
    m = AL.shape[1]
    grads = {}
    dZ = AL - Y
    for l in range(L, 0, -1):
        A_prev, W, b, Z = caches[l - 1]
        if l < L:
            dZ = dA * DERIVATIVES[hidden_activation](Z)
        grads[f"dW{l}"] = dZ @ A_prev.T / m
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
        dA = W.T @ dZ
    return grads
'''),
        "zip_over_reversed_caches": fn(_BACKWARD, '''
    L = len(caches)
    m = Y.shape[1]
    A_prev, W, b, Z = caches[-1]
    dZ = AL - Y
    grads = {"dW" + str(L): np.dot(dZ, A_prev.T) / m, "db" + str(L): np.mean(dZ, axis=1, keepdims=True)}
    dA = np.dot(W.T, dZ)
    for l, cache in zip(range(L - 1, 0, -1), reversed(caches[:-1])):
        dA, grads["dW" + str(l)], grads["db" + str(l)] = backward_layer(dA, cache, hidden_activation)
    return grads
'''),
        "keeps_dA_too": fn(_BACKWARD, '''
    grads = {}
    L = len(caches)
    m = Y.shape[1]
    A_prev, W, b, Z = caches[L - 1]
    dZL = AL - Y
    grads["dW" + str(L)] = (dZL @ A_prev.T) / m
    grads["db" + str(L)] = np.sum(dZL, axis=1, keepdims=True) / m
    grads["dA" + str(L - 1)] = W.T @ dZL
    for l in range(L - 1, 0, -1):
        dA_prev, dW, db = backward_layer(grads["dA" + str(l)], caches[l - 1], hidden_activation)
        grads["dA" + str(l - 1)] = dA_prev
        grads["dW" + str(l)] = dW
        grads["db" + str(l)] = db
    return grads
'''),
    },
    "update_step": {
        "loop_over_layers": fn(_UPDATE, _UPDATE_RIGHT),
        "deep_copy_then_subtract": fn(_UPDATE, '''
    import copy
    new = copy.deepcopy(parameters)
    for name in new:
        new[name] -= learning_rate * grads["d" + name]
    return new
'''),
        "dict_copy_then_rebind": fn(_UPDATE, '''
    new = dict(parameters)
    for key in parameters:
        new[key] = new[key] - learning_rate * grads["d" + key]
    return new
'''),
    },
    "train": {
        "shuffled_copies": fn(_TRAIN, '''
    parameters = initialize_parameters_deep(layer_dims, seed=seed)
    rng = np.random.default_rng(seed)
    m = X.shape[1]
    costs = []
    for epoch in range(num_epochs):
        order = rng.permutation(m)
        X_shuffled, Y_shuffled = X[:, order], Y[:, order]
        num_batches = math.ceil(m / batch_size)
        for k in range(num_batches):
            X_batch = X_shuffled[:, k * batch_size:(k + 1) * batch_size]
            Y_batch = Y_shuffled[:, k * batch_size:(k + 1) * batch_size]
            AL, caches = forward_propagation(X_batch, parameters, hidden_activation)
            parameters = update_step(parameters, back_propagation(AL, Y_batch, caches, hidden_activation), learning_rate)
        cost = compute_cost(forward_propagation(X, parameters, hidden_activation)[0], Y)
        costs.append(cost)
        if print_cost:
            print(f"epoch {epoch}: {cost:.4f}")
    return parameters, costs
'''),
        "np_split_batches": fn(_TRAIN, '''
    rng = np.random.default_rng(seed)
    parameters = initialize_parameters_deep(layer_dims, seed)
    m = X.shape[1]
    costs = []
    for epoch in range(num_epochs):
        for batch in np.split(rng.permutation(m), range(batch_size, m, batch_size)):
            AL, caches = forward_propagation(X[:, batch], parameters, hidden_activation=hidden_activation)
            grads = back_propagation(AL, Y[:, batch], caches, hidden_activation=hidden_activation)
            parameters = update_step(parameters, grads, learning_rate)
        costs.append(compute_cost(forward_propagation(X, parameters, hidden_activation)[0], Y))
    return parameters, costs
'''),
        "while_loop": fn(_TRAIN, _TRAIN_RIGHT.replace('''        for start in range(0, m, batch_size):
            batch = permutation[start:start + batch_size]''', '''        start = 0
        while start < m:
            batch = permutation[start:min(start + batch_size, m)]
            start += batch_size''')),
    },
    "predict": {
        "method_call": fn(_PREDICT, "    return forward_propagation(X, parameters, hidden_activation)[0].argmax(axis=0)\n"),
        "argmax_of_scores": fn(_PREDICT, '''
    _, caches = forward_propagation(X, parameters, hidden_activation)
    ZL = caches[-1][3]
    return np.argmax(ZL, axis=0)
'''),
        "loop_over_columns": fn(_PREDICT, '''
    AL, _ = forward_propagation(X, parameters, hidden_activation)
    return np.array([int(np.argmax(AL[:, i])) for i in range(AL.shape[1])])
'''),
    },
    "accuracy": {
        "count_nonzero": fn(_ACCURACY, "    return np.count_nonzero(predictions == np.reshape(labels, -1)) / len(predictions)\n"),
        "loop": fn(_ACCURACY, '''
    labels = np.ravel(labels)
    correct = 0
    for p, t in zip(predictions, labels):
        if p == t:
            correct += 1
    return correct / len(labels)
'''),
        "mean_of_flattened": fn(_ACCURACY, "    return (np.asarray(predictions).flatten() == np.asarray(labels).flatten()).mean()\n"),
    },
}
