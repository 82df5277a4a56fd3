"""GENERATED from include/fdvjp.h by bindings/signatures/generate_bindings.py; do not edit.

The C API for ctypes: every constant, callback type, struct and function prototype of
the header. `_library` loads the library and applies PROTOTYPES to it.
"""

import ctypes

c_double_p = ctypes.POINTER(ctypes.c_double)
c_size_t_p = ctypes.POINTER(ctypes.c_size_t)
c_int32_p = ctypes.POINTER(ctypes.c_int32)
c_void_p_p = ctypes.POINTER(ctypes.c_void_p)
#: fdvjp_var, a tape variable id (uint64_t).
c_var = ctypes.c_uint64
c_var_p = ctypes.POINTER(c_var)

# Constants (#define and enum values).
FDVJP_VERSION_MAJOR = 0
FDVJP_VERSION_MINOR = 1
FDVJP_VERSION_PATCH = 0
FDVJP_MAX_THREADS = 1024
FDVJP_GUARD_WORDS = 16
FDVJP_OK = 0
FDVJP_NULL_POINTER = 1
FDVJP_INVALID_ARGUMENT = 2
FDVJP_LENGTH_MISMATCH = 3
FDVJP_CALLBACK_FAILED = 4
FDVJP_NONFINITE_AT_X = 5
FDVJP_NONFINITE_PERTURBED = 6
FDVJP_UNKNOWN_VAR = 7
FDVJP_SHAPE_MISMATCH = 8
FDVJP_CANCELLED = 9
FDVJP_OUT_OF_MEMORY = 10
FDVJP_INTERNAL_ERROR = 11
FDVJP_CENTRAL = 0
FDVJP_FORWARD = 1
FDVJP_BACKWARD = 2
FDVJP_CENTRAL4 = 3
FDVJP_ROW_MAJOR = 0
FDVJP_COL_MAJOR = 1
FDVJP_NOISE_AUTO = 0
FDVJP_NOISE_ESTIMATE = 1
FDVJP_NOISE_OFF = 2
FDVJP_NOISE_NONE = 0
FDVJP_NOISE_DECLARED = 1
FDVJP_NOISE_ESTIMATED = 2
FDVJP_OP_NEG = 0
FDVJP_OP_EXP = 1
FDVJP_OP_LOG = 2
FDVJP_OP_LOG1P = 3
FDVJP_OP_SQRT = 4
FDVJP_OP_SIN = 5
FDVJP_OP_COS = 6
FDVJP_OP_TAN = 7
FDVJP_OP_TANH = 8
FDVJP_OP_ABS = 9
FDVJP_OP_SQUARE = 10
FDVJP_OP_ADD = 0
FDVJP_OP_SUB = 1
FDVJP_OP_MUL = 2
FDVJP_OP_DIV = 3
FDVJP_OP_POW = 4
FDVJP_REDUCE_SUM = 0
FDVJP_REDUCE_MEAN = 1
FDVJP_REDUCE_NORM2 = 2

# Callback types. Typedefs with the same C signature share one ctypes type, since
# ctypes refuses a function of one CFUNCTYPE where another is declared.
fdvjp_progress_fn = ctypes.CFUNCTYPE(
    ctypes.c_int32, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t
)
fdvjp_fn = ctypes.CFUNCTYPE(
    ctypes.c_int32, ctypes.c_void_p, c_double_p, ctypes.c_size_t, c_double_p, ctypes.c_size_t
)
fdvjp_cfn = fdvjp_fn
fdvjp_batch_fn = ctypes.CFUNCTYPE(
    ctypes.c_int32, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t, c_double_p,
    ctypes.c_size_t
)
fdvjp_vjp_fn = ctypes.CFUNCTYPE(
    ctypes.c_int32, ctypes.c_void_p, c_double_p, ctypes.c_size_t, c_double_p, ctypes.c_size_t,
    c_double_p, c_double_p
)


class fdvjp_report(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("completed", ctypes.c_int32),
        ("noise_source", ctypes.c_int32),
        ("evaluations", ctypes.c_size_t),
        ("directions", ctypes.c_size_t),
        ("refined_large", ctypes.c_size_t),
        ("refined_rounding", ctypes.c_size_t),
        ("refined_noise", ctypes.c_size_t),
        ("nonfinite_fallbacks", ctypes.c_size_t),
        ("bound_fallbacks", ctypes.c_size_t),
        ("error_bound", ctypes.c_double),
        ("noise_level", ctypes.c_double),
        ("sparsity_check", ctypes.c_double),
        ("sparsity_relearned", ctypes.c_int32),
        ("unbounded_directions", ctypes.c_size_t),
    ]


c_report_p = ctypes.POINTER(fdvjp_report)


#: name -> (restype, argtypes) of every function of the header.
PROTOTYPES = {
    "fdvjp_status_str": (ctypes.c_char_p, [ctypes.c_int32]),
    "fdvjp_last_error": (ctypes.c_size_t, [ctypes.c_char_p, ctypes.c_size_t]),
    "fdvjp_version": (ctypes.c_char_p, [c_int32_p, c_int32_p, c_int32_p]),
    "fdvjp_config_new": (ctypes.c_void_p, []),
    "fdvjp_config_free": (None, [ctypes.c_void_p]),
    "fdvjp_config_set_scheme": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_int32]),
    "fdvjp_config_get_scheme": (ctypes.c_int32, [ctypes.c_void_p, c_int32_p]),
    "fdvjp_config_set_layout": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_int32]),
    "fdvjp_config_get_layout": (ctypes.c_int32, [ctypes.c_void_p, c_int32_p]),
    "fdvjp_config_set_relative_step": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_double]),
    "fdvjp_config_get_relative_step": (ctypes.c_int32, [ctypes.c_void_p, c_double_p]),
    "fdvjp_config_set_steps": (ctypes.c_int32, [ctypes.c_void_p, c_double_p, ctypes.c_size_t]),
    "fdvjp_config_get_steps": (ctypes.c_int32, [ctypes.c_void_p, c_double_p, ctypes.c_size_t, c_size_t_p]),
    "fdvjp_config_set_typical": (ctypes.c_int32, [ctypes.c_void_p, c_double_p, ctypes.c_size_t]),
    "fdvjp_config_get_typical": (ctypes.c_int32, [ctypes.c_void_p, c_double_p, ctypes.c_size_t, c_size_t_p]),
    "fdvjp_config_set_bounds": (ctypes.c_int32, [ctypes.c_void_p, c_double_p, c_double_p, ctypes.c_size_t]),
    "fdvjp_config_get_bounds": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, c_double_p, c_double_p, ctypes.c_size_t, c_size_t_p
        ],
    ),
    "fdvjp_config_set_sparsity": (ctypes.c_int32, [ctypes.c_void_p, c_size_t_p, c_size_t_p, ctypes.c_size_t]),
    "fdvjp_config_get_sparsity": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, c_size_t_p, c_size_t_p, ctypes.c_size_t, c_size_t_p
        ],
    ),
    "fdvjp_config_set_threads": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_size_t]),
    "fdvjp_config_get_threads": (ctypes.c_int32, [ctypes.c_void_p, c_size_t_p]),
    "fdvjp_config_set_batch_size": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_size_t]),
    "fdvjp_config_get_batch_size": (ctypes.c_int32, [ctypes.c_void_p, c_size_t_p]),
    "fdvjp_config_set_progress": (ctypes.c_int32, [ctypes.c_void_p, fdvjp_progress_fn, ctypes.c_void_p]),
    "fdvjp_config_get_progress": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, ctypes.POINTER(fdvjp_progress_fn), c_void_p_p
        ],
    ),
    "fdvjp_config_set_learn_sparsity": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_int32]),
    "fdvjp_config_get_learn_sparsity": (ctypes.c_int32, [ctypes.c_void_p, c_int32_p]),
    "fdvjp_config_learned_sparsity": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, c_size_t_p, c_size_t_p, ctypes.c_size_t, c_size_t_p
        ],
    ),
    "fdvjp_vjp": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_fn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p, c_double_p
        ],
    ),
    "fdvjp_jvp": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_fn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p, c_double_p
        ],
    ),
    "fdvjp_jacobian": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_fn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t, c_double_p
        ],
    ),
    "fdvjp_config_detect_sparsity": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_fn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t
        ],
    ),
    "fdvjp_config_set_adaptive": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_int32]),
    "fdvjp_config_get_adaptive": (ctypes.c_int32, [ctypes.c_void_p, c_int32_p]),
    "fdvjp_vjp_estimate": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_fn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p, c_double_p, c_double_p
        ],
    ),
    "fdvjp_jvp_estimate": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_fn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p, c_double_p, c_double_p
        ],
    ),
    "fdvjp_jacobian_estimate": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_fn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p, c_double_p
        ],
    ),
    "fdvjp_config_set_noise": (ctypes.c_int32, [ctypes.c_void_p, c_double_p, ctypes.c_size_t]),
    "fdvjp_config_get_noise": (ctypes.c_int32, [ctypes.c_void_p, c_double_p, ctypes.c_size_t, c_size_t_p]),
    "fdvjp_config_set_noise_mode": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_int32]),
    "fdvjp_config_get_noise_mode": (ctypes.c_int32, [ctypes.c_void_p, c_int32_p]),
    "fdvjp_last_report": (ctypes.c_int32, [ctypes.POINTER(fdvjp_report), ctypes.c_size_t]),
    "fdvjp_last_report_noise": (ctypes.c_size_t, [c_double_p, ctypes.c_size_t]),
    "fdvjp_vjp_complex_step": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_cfn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p, c_double_p
        ],
    ),
    "fdvjp_jvp_complex_step": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_cfn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p, c_double_p
        ],
    ),
    "fdvjp_jacobian_complex_step": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_cfn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p
        ],
    ),
    "fdvjp_complex_vjp": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_cfn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p, c_double_p
        ],
    ),
    "fdvjp_complex_jvp": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_cfn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p, c_double_p
        ],
    ),
    "fdvjp_complex_jacobian": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_cfn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p
        ],
    ),
    "fdvjp_vjp_batch": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_batch_fn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p, c_double_p
        ],
    ),
    "fdvjp_jvp_batch": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_batch_fn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p, c_double_p
        ],
    ),
    "fdvjp_jacobian_batch": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_batch_fn, ctypes.c_void_p, c_double_p, ctypes.c_size_t, ctypes.c_size_t,
            c_double_p
        ],
    ),
    "fdvjp_tape_new": (ctypes.c_void_p, []),
    "fdvjp_tape_free": (None, [ctypes.c_void_p]),
    "fdvjp_tape_clear": (ctypes.c_int32, [ctypes.c_void_p]),
    "fdvjp_tape_input": (ctypes.c_int32, [ctypes.c_void_p, c_double_p, ctypes.c_size_t, c_var_p]),
    "fdvjp_tape_input_shaped": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, c_double_p, c_size_t_p, ctypes.c_size_t, c_var_p
        ],
    ),
    "fdvjp_tape_constant": (ctypes.c_int32, [ctypes.c_void_p, c_double_p, ctypes.c_size_t, c_var_p]),
    "fdvjp_tape_constant_shaped": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, c_double_p, c_size_t_p, ctypes.c_size_t, c_var_p
        ],
    ),
    "fdvjp_tape_call": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, ctypes.c_void_p, fdvjp_fn, ctypes.c_void_p, c_var_p, ctypes.c_size_t,
            ctypes.c_size_t, c_var_p
        ],
    ),
    "fdvjp_tape_call_batch": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, ctypes.c_void_p, fdvjp_batch_fn, ctypes.c_void_p, c_var_p, ctypes.c_size_t,
            ctypes.c_size_t, c_var_p
        ],
    ),
    "fdvjp_tape_call_vjp": (
        ctypes.c_int32,
        [
            ctypes.c_void_p, fdvjp_fn, fdvjp_vjp_fn, ctypes.c_void_p, c_var_p, ctypes.c_size_t, ctypes.c_size_t,
            c_var_p
        ],
    ),
    "fdvjp_tape_unary": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_int32, c_var, c_var_p]),
    "fdvjp_tape_binary": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_int32, c_var, c_var, c_var_p]),
    "fdvjp_tape_reduce": (ctypes.c_int32, [ctypes.c_void_p, ctypes.c_int32, c_var, c_var_p]),
    "fdvjp_tape_pow_scalar": (ctypes.c_int32, [ctypes.c_void_p, c_var, ctypes.c_double, c_var_p]),
    "fdvjp_tape_dot": (ctypes.c_int32, [ctypes.c_void_p, c_var, c_var, c_var_p]),
    "fdvjp_tape_matmul": (ctypes.c_int32, [ctypes.c_void_p, c_var, c_var, c_var_p]),
    "fdvjp_tape_reshape": (ctypes.c_int32, [ctypes.c_void_p, c_var, c_size_t_p, ctypes.c_size_t, c_var_p]),
    "fdvjp_tape_slice": (ctypes.c_int32, [ctypes.c_void_p, c_var, ctypes.c_size_t, ctypes.c_size_t, c_var_p]),
    "fdvjp_tape_concat": (ctypes.c_int32, [ctypes.c_void_p, c_var_p, ctypes.c_size_t, c_var_p]),
    "fdvjp_tape_len": (ctypes.c_int32, [ctypes.c_void_p, c_var, c_size_t_p]),
    "fdvjp_tape_ndim": (ctypes.c_int32, [ctypes.c_void_p, c_var, c_size_t_p]),
    "fdvjp_tape_shape": (ctypes.c_int32, [ctypes.c_void_p, c_var, c_size_t_p, ctypes.c_size_t]),
    "fdvjp_tape_value": (ctypes.c_int32, [ctypes.c_void_p, c_var, c_double_p, ctypes.c_size_t]),
    "fdvjp_tape_backward": (ctypes.c_int32, [ctypes.c_void_p, c_var, c_double_p, ctypes.c_size_t]),
    "fdvjp_tape_grad": (ctypes.c_int32, [ctypes.c_void_p, c_var, c_double_p, ctypes.c_size_t]),
    "fdvjp_tape_set_input": (ctypes.c_int32, [ctypes.c_void_p, c_var, c_double_p, ctypes.c_size_t]),
    "fdvjp_tape_forward": (ctypes.c_int32, [ctypes.c_void_p]),
}
