"""Student answers to assignment 05 (a deep network on the cat photos), wrong and right, as they show up in submissions."""

from ._build import fn, swap

ASSIGNMENT = "05_deep_cats"


_HE = "initialize_he(layer_dims, seed=0)"
_XAVIER = "initialize_xavier(layer_dims, seed=0)"
_PREDICT = "predict(X, parameters)"
_L2_COST = "compute_cost_with_l2(AL, Y, parameters, lambd)"
_L2_BACKWARD = "backward_propagation_with_l2(AL, Y, caches, lambd)"
_DROPOUT_FORWARD = "forward_propagation_with_dropout(X, parameters, keep_prob, seed=0)"
_DROPOUT_BACKWARD = "backward_propagation_with_dropout(AL, Y, caches, masks, keep_prob)"


# ---------------------------------------------------------------------------------------------------------------
# Bodies of correct answers that the wrong variants change in one place.

_HE_RIGHT = '''
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2 / layer_dims[l - 1])
        parameters["W" + str(l)] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * std
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
'''

_XAVIER_RIGHT = '''
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        std = np.sqrt(2 / (layer_dims[l - 1] + layer_dims[l]))
        parameters["W" + str(l)] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * std
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
'''

_PREDICT_RIGHT = '''
    AL, caches = forward_propagation(X, parameters)
    predictions = (AL > 0.5).astype(float)
    return predictions
'''

_L2_COST_RIGHT = '''
    m = Y.shape[1]
    L = len(parameters) // 2
    total = 0.0
    for l in range(1, L + 1):
        total += np.sum(np.square(parameters["W" + str(l)]))
    return compute_cost(AL, Y) + lambd / (2 * m) * total
'''

_L2_BACKWARD_RIGHT = '''
    m = Y.shape[1]
    grads = backward_propagation(AL, Y, caches)
    for l in range(1, len(caches) + 1):
        A_prev, W, b, Z = caches[l - 1]
        grads["dW" + str(l)] = grads["dW" + str(l)] + (lambd / m) * W
    return grads
'''

_DROPOUT_FORWARD_RIGHT = '''
    rng = np.random.default_rng(seed)
    L = len(parameters) // 2
    A = X
    caches = []
    masks = []
    for l in range(1, L):
        A, cache = layer_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        D = rng.random(A.shape) < keep_prob
        A = A * D
        A = A / keep_prob
        caches.append(cache)
        masks.append(D)
    AL, cache = layer_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches, masks
'''

_DROPOUT_BACKWARD_RIGHT = '''
    L = len(caches)
    grads = {}
    dZ = AL - Y
    for l in range(L, 0, -1):
        dA_prev, dW, db = linear_backward(dZ, caches[l - 1])
        grads["dW" + str(l)] = dW
        grads["db" + str(l)] = db
        if l > 1:
            dA_prev = dA_prev * masks[l - 2]
            dA_prev = dA_prev / keep_prob
            dZ = relu_backward(dA_prev, caches[l - 2][3])
    return grads
'''


WRONG = {
    "initialize_he": {
        "lecun_variance_1_over_n": fn(_HE, swap(_HE_RIGHT, "np.sqrt(2 / layer_dims[l - 1])", "np.sqrt(1 / layer_dims[l - 1])")),
        "fan_out_instead_of_fan_in": fn(_HE, swap(_HE_RIGHT, "np.sqrt(2 / layer_dims[l - 1])", "np.sqrt(2 / layer_dims[l])")),
        "variance_instead_of_std": fn(_HE, swap(_HE_RIGHT, "np.sqrt(2 / layer_dims[l - 1])", "2 / layer_dims[l - 1]")),
        "new_generator_every_layer": fn(_HE, swap(swap(_HE_RIGHT, "    rng = np.random.default_rng(seed)\n", ""),
                                                  "        std =", "        rng = np.random.default_rng(seed)\n        std =")),
        "drawn_transposed": fn(_HE, swap(_HE_RIGHT, "rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * std",
                                         "rng.standard_normal((layer_dims[l - 1], layer_dims[l])).T * std")),
        "legacy_global_seed": fn(_HE, '''
    np.random.seed(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * np.sqrt(2 / layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
'''),
        "rank_1_biases": fn(_HE, swap(_HE_RIGHT, "np.zeros((layer_dims[l], 1))", "np.zeros(layer_dims[l])")),
    },
    "initialize_xavier": {
        "he_scale": fn(_XAVIER, swap(_XAVIER_RIGHT, "np.sqrt(2 / (layer_dims[l - 1] + layer_dims[l]))",
                                     "np.sqrt(2 / layer_dims[l - 1])")),
        "lecun_scale": fn(_XAVIER, swap(_XAVIER_RIGHT, "np.sqrt(2 / (layer_dims[l - 1] + layer_dims[l]))",
                                        "np.sqrt(1 / layer_dims[l - 1])")),
        "one_over_sum": fn(_XAVIER, swap(_XAVIER_RIGHT, "np.sqrt(2 / (layer_dims[l - 1] + layer_dims[l]))",
                                         "np.sqrt(1 / (layer_dims[l - 1] + layer_dims[l]))")),
        "precedence_slip": fn(_XAVIER, swap(_XAVIER_RIGHT, "np.sqrt(2 / (layer_dims[l - 1] + layer_dims[l]))",
                                            "np.sqrt(2 / layer_dims[l - 1] + layer_dims[l])")),
        "glorot_uniform": fn(_XAVIER, '''
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        limit = np.sqrt(6 / (layer_dims[l - 1] + layer_dims[l]))
        parameters["W" + str(l)] = rng.uniform(-limit, limit, (layer_dims[l], layer_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
'''),
        "biases_random_too": fn(_XAVIER, swap(_XAVIER_RIGHT, "np.zeros((layer_dims[l], 1))",
                                              "rng.standard_normal((layer_dims[l], 1)) * std")),
    },
    "predict": {
        "greater_or_equal": fn(_PREDICT, swap(_PREDICT_RIGHT, "AL > 0.5", "AL >= 0.5")),
        "returns_probabilities": fn(_PREDICT, swap(_PREDICT_RIGHT, "(AL > 0.5).astype(float)", "AL")),
        "flattened": fn(_PREDICT, swap(_PREDICT_RIGHT, "(AL > 0.5).astype(float)", "(AL > 0.5).astype(float).ravel()")),
        "inverted": fn(_PREDICT, swap(_PREDICT_RIGHT, "AL > 0.5", "AL < 0.5")),
        "threshold_on_scores": fn(_PREDICT, '''
    AL, caches = forward_propagation(X, parameters)
    ZL = caches[-1][3]
    return (ZL > 0.5).astype(float)
'''),
        "python_list": fn(_PREDICT, '''
    AL, _ = forward_propagation(X, parameters)
    return [[1.0 if a > 0.5 else 0.0 for a in AL[0]]]
'''),
    },
    "compute_cost_with_l2": {
        "lambda_over_m": fn(_L2_COST, swap(_L2_COST_RIGHT, "lambd / (2 * m)", "lambd / m")),
        "biases_penalized": fn(_L2_COST, '''
    m = Y.shape[1]
    total = sum(np.sum(np.square(value)) for value in parameters.values())
    return compute_cost(AL, Y) + lambd / (2 * m) * total
'''),
        "sum_not_squared": fn(_L2_COST, swap(_L2_COST_RIGHT, "np.sum(np.square(parameters[\"W\" + str(l)]))",
                                             "np.sum(parameters[\"W\" + str(l)])")),
        "norm_not_squared": fn(_L2_COST, swap(_L2_COST_RIGHT, "np.sum(np.square(parameters[\"W\" + str(l)]))",
                                              "np.linalg.norm(parameters[\"W\" + str(l)])")),
        "m_from_rows": fn(_L2_COST, swap(_L2_COST_RIGHT, "m = Y.shape[1]", "m = Y.shape[0]")),
        "last_layer_missed": fn(_L2_COST, swap(_L2_COST_RIGHT, "range(1, L + 1)", "range(1, L)")),
        "penalty_only": fn(_L2_COST, swap(_L2_COST_RIGHT, "compute_cost(AL, Y) + ", "")),
    },
    "backward_propagation_with_l2": {
        "no_one_over_m": fn(_L2_BACKWARD, swap(_L2_BACKWARD_RIGHT, "(lambd / m) * W", "lambd * W")),
        "half_from_the_cost": fn(_L2_BACKWARD, swap(_L2_BACKWARD_RIGHT, "(lambd / m) * W", "lambd / (2 * m) * W")),
        "biases_too": fn(_L2_BACKWARD, swap(_L2_BACKWARD_RIGHT, "(lambd / m) * W\n",
                                            "(lambd / m) * W\n        grads[\"db\" + str(l)] = grads[\"db\" + str(l)] + (lambd / m) * b\n")),
        "wrong_sign": fn(_L2_BACKWARD, swap(_L2_BACKWARD_RIGHT, "+ (lambd / m) * W", "- (lambd / m) * W")),
        "last_layer_missed": fn(_L2_BACKWARD, swap(_L2_BACKWARD_RIGHT, "range(1, len(caches) + 1)", "range(1, len(caches))")),
        "m_from_weights": fn(_L2_BACKWARD, swap(swap(_L2_BACKWARD_RIGHT, "    m = Y.shape[1]\n", ""),
                                                "(lambd / m) * W", "(lambd / W.shape[1]) * W")),
    },
    "forward_propagation_with_dropout": {
        "no_scaling": fn(_DROPOUT_FORWARD, swap(_DROPOUT_FORWARD_RIGHT, "        A = A / keep_prob\n", "")),
        "scaled_by_keep_prob": fn(_DROPOUT_FORWARD, swap(_DROPOUT_FORWARD_RIGHT, "A = A / keep_prob", "A = A * keep_prob")),
        "keeps_the_wrong_units": fn(_DROPOUT_FORWARD, swap(_DROPOUT_FORWARD_RIGHT, "rng.random(A.shape) < keep_prob",
                                                           "rng.random(A.shape) > keep_prob")),
        "new_generator_every_layer": fn(_DROPOUT_FORWARD, swap(_DROPOUT_FORWARD_RIGHT, "        D = rng.random",
                                                               "        rng = np.random.default_rng(seed)\n        D = rng.random")),
        "one_mask_per_unit": fn(_DROPOUT_FORWARD, swap(_DROPOUT_FORWARD_RIGHT, "rng.random(A.shape) < keep_prob",
                                                       "rng.random((A.shape[0], 1)) < keep_prob")),
        "output_dropped_too": fn(_DROPOUT_FORWARD, '''
    rng = np.random.default_rng(seed)
    L = len(parameters) // 2
    A, caches, masks = X, [], []
    for l in range(1, L + 1):
        A, cache = layer_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu" if l < L else "sigmoid")
        D = rng.random(A.shape) < keep_prob
        A = A * D / keep_prob
        caches.append(cache)
        masks.append(D)
    return A, caches, masks[:-1]
'''),
    },
    "backward_propagation_with_dropout": {
        "masks_forgotten": fn(_DROPOUT_BACKWARD, swap(swap(_DROPOUT_BACKWARD_RIGHT, "            dA_prev = dA_prev * masks[l - 2]\n", ""),
                                                      "            dA_prev = dA_prev / keep_prob\n", "")),
        "no_scaling": fn(_DROPOUT_BACKWARD, swap(_DROPOUT_BACKWARD_RIGHT, "            dA_prev = dA_prev / keep_prob\n", "")),
        "scaled_by_keep_prob": fn(_DROPOUT_BACKWARD, swap(_DROPOUT_BACKWARD_RIGHT, "dA_prev = dA_prev / keep_prob",
                                                          "dA_prev = dA_prev * keep_prob")),
        "pops_the_callers_masks": fn(_DROPOUT_BACKWARD, swap(_DROPOUT_BACKWARD_RIGHT, "dA_prev * masks[l - 2]",
                                                             "dA_prev * masks.pop()")),
        "relu_derivative_forgotten": fn(_DROPOUT_BACKWARD, swap(_DROPOUT_BACKWARD_RIGHT, "dZ = relu_backward(dA_prev, caches[l - 2][3])",
                                                                "dZ = dA_prev")),
        "masks_drawn_again": fn(_DROPOUT_BACKWARD, swap(_DROPOUT_BACKWARD_RIGHT, "dA_prev * masks[l - 2]",
                                                        "dA_prev * (np.random.default_rng(0).random(dA_prev.shape) < keep_prob)")),
    },
}


CORRECT = {
    "initialize_he": {
        "normal_with_scale": fn(_HE, '''
    rng = np.random.default_rng(seed)
    parameters = {}
    for l, (n_prev, n) in enumerate(zip(layer_dims[:-1], layer_dims[1:]), start=1):
        parameters[f"W{l}"] = rng.normal(0.0, np.sqrt(2.0 / n_prev), size=(n, n_prev))
        parameters[f"b{l}"] = np.zeros((n, 1))
    return parameters
'''),
        "divide_by_root": fn(_HE, swap(_HE_RIGHT, "rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * std",
                                       "rng.standard_normal(size=(layer_dims[l], layer_dims[l - 1])) / np.sqrt(layer_dims[l - 1] / 2)")),
    },
    "initialize_xavier": {
        "normal_with_scale": fn(_XAVIER, '''
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        fan_in, fan_out = layer_dims[l - 1], layer_dims[l]
        parameters[f"W{l}"] = rng.normal(loc=0.0, scale=np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_out, fan_in))
        parameters[f"b{l}"] = np.zeros((fan_out, 1))
    return parameters
'''),
        "reuses_he_draws": fn(_XAVIER, '''
    parameters = initialize_he(layer_dims, seed)
    for l in range(1, len(layer_dims)):
        n_prev, n = layer_dims[l - 1], layer_dims[l]
        parameters[f"W{l}"] = parameters[f"W{l}"] * np.sqrt(n_prev / (n_prev + n))
    return parameters
'''),
    },
    "predict": {
        "where": fn(_PREDICT, "    return np.where(forward_propagation(X, parameters)[0] > 0.5, 1.0, 0.0)\n"),
        "round_half_to_even": fn(_PREDICT, '''
    probabilities = forward_propagation(X, parameters)[0]
    return np.round(probabilities)
'''),
        "boolean": fn(_PREDICT, "    return forward_propagation(X, parameters)[0] > 0.5\n"),
    },
    "compute_cost_with_l2": {
        "frobenius_norms": fn(_L2_COST, '''
    m = Y.shape[1]
    weights = [value for name, value in parameters.items() if name.startswith("W")]
    penalty = sum(np.linalg.norm(W, "fro") ** 2 for W in weights)
    return float(compute_cost(AL, Y) + lambd * penalty / (2 * m))
'''),
        "cross_entropy_inline": fn(_L2_COST, '''
    m = AL.shape[1]
    cross_entropy = -np.mean(Y * np.log(np.maximum(AL, EPSILON)) + (1 - Y) * np.log(np.maximum(1 - AL, EPSILON)))
    squares = 0.0
    for l in range(1, len(parameters) // 2 + 1):
        W = parameters["W%d" % l]
        squares += float(np.sum(W * W))
    return float(cross_entropy) + (lambd / (2 * m)) * squares
'''),
    },
    "backward_propagation_with_l2": {
        "in_place_on_new_gradients": fn(_L2_BACKWARD, '''
    m = Y.shape[1]
    grads = backward_propagation(AL, Y, caches)
    for l, (A_prev, W, b, Z) in enumerate(caches, start=1):
        grads[f"dW{l}"] += lambd / m * W
    return grads
'''),
        "from_scratch": fn(_L2_BACKWARD, '''
    m = Y.shape[1]
    L = len(caches)
    grads = {}
    dZ = AL - Y
    for l in reversed(range(1, L + 1)):
        A_prev, W, b, Z = caches[l - 1]
        grads[f"dW{l}"] = (dZ @ A_prev.T + lambd * W) / m
        grads[f"db{l}"] = dZ.sum(axis=1, keepdims=True) / m
        if l > 1:
            dZ = (W.T @ dZ) * (caches[l - 2][3] > 0)
    return grads
'''),
    },
    "forward_propagation_with_dropout": {
        "where_and_float_masks": fn(_DROPOUT_FORWARD, '''
    rng = np.random.default_rng(seed)
    L = len(parameters) // 2
    A = X
    caches, masks = [], []
    for l in range(1, L + 1):
        activation = "relu" if l < L else "sigmoid"
        A, cache = layer_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], activation)
        caches.append(cache)
        if l < L:
            D = (rng.random(size=A.shape) < keep_prob).astype(float)
            A = np.where(D == 1, A / keep_prob, 0.0)
            masks.append(D)
    return A, caches, masks
'''),
        "tuples": fn(_DROPOUT_FORWARD, _DROPOUT_FORWARD_RIGHT.replace("return AL, caches, masks", "return AL, tuple(caches), tuple(masks)")),
    },
    "backward_propagation_with_dropout": {
        "mask_after_relu": fn(_DROPOUT_BACKWARD, '''
    L = len(caches)
    grads = {}
    dZ = AL - Y
    for l in range(L, 0, -1):
        dA_prev, grads[f"dW{l}"], grads[f"db{l}"] = linear_backward(dZ, caches[l - 1], need_dA_prev=l > 1)
        if l > 1:
            dZ = relu_backward(dA_prev, caches[l - 2][3]) * masks[l - 2] / keep_prob
    return grads
'''),
        "inline": fn(_DROPOUT_BACKWARD, '''
    L = len(caches)
    grads = {}
    m = Y.shape[1]
    dZ = AL - Y
    for l in range(L, 0, -1):
        A_prev, W, b, Z = caches[l - 1]
        grads["dW" + str(l)] = np.dot(dZ, A_prev.T) / m
        grads["db" + str(l)] = np.mean(dZ, axis=1, keepdims=True)
        if l > 1:
            dA = np.dot(W.T, dZ) * masks[l - 2] / keep_prob
            dZ = np.where(caches[l - 2][3] > 0, dA, 0.0)
    return grads
'''),
    },
}
