# GENERATED from include/fdvjp.h by bindings/signatures/generate_bindings.py; do not edit.
# The C API, one thin `ccall` wrapper per function, with the C names and argument
# order. Handles, user data and callbacks are Ptr{Cvoid}; fdvjp_var is UInt64; status
# codes are Int32; one-value out-pointers are Ref. The higher layers never call C except
# through these.

const fdvjp_var = UInt64

const FDVJP_VERSION_MAJOR = Int32(0)
const FDVJP_VERSION_MINOR = Int32(1)
const FDVJP_VERSION_PATCH = Int32(0)
const FDVJP_MAX_THREADS = Int32(1024)
const FDVJP_GUARD_WORDS = Int32(16)
const FDVJP_OK = Int32(0)
const FDVJP_NULL_POINTER = Int32(1)
const FDVJP_INVALID_ARGUMENT = Int32(2)
const FDVJP_LENGTH_MISMATCH = Int32(3)
const FDVJP_CALLBACK_FAILED = Int32(4)
const FDVJP_NONFINITE_AT_X = Int32(5)
const FDVJP_NONFINITE_PERTURBED = Int32(6)
const FDVJP_UNKNOWN_VAR = Int32(7)
const FDVJP_SHAPE_MISMATCH = Int32(8)
const FDVJP_CANCELLED = Int32(9)
const FDVJP_OUT_OF_MEMORY = Int32(10)
const FDVJP_INTERNAL_ERROR = Int32(11)
const FDVJP_CENTRAL = Int32(0)
const FDVJP_FORWARD = Int32(1)
const FDVJP_BACKWARD = Int32(2)
const FDVJP_CENTRAL4 = Int32(3)
const FDVJP_ROW_MAJOR = Int32(0)
const FDVJP_COL_MAJOR = Int32(1)
const FDVJP_NOISE_AUTO = Int32(0)
const FDVJP_NOISE_ESTIMATE = Int32(1)
const FDVJP_NOISE_OFF = Int32(2)
const FDVJP_NOISE_NONE = Int32(0)
const FDVJP_NOISE_DECLARED = Int32(1)
const FDVJP_NOISE_ESTIMATED = Int32(2)
const FDVJP_OP_NEG = Int32(0)
const FDVJP_OP_EXP = Int32(1)
const FDVJP_OP_LOG = Int32(2)
const FDVJP_OP_LOG1P = Int32(3)
const FDVJP_OP_SQRT = Int32(4)
const FDVJP_OP_SIN = Int32(5)
const FDVJP_OP_COS = Int32(6)
const FDVJP_OP_TAN = Int32(7)
const FDVJP_OP_TANH = Int32(8)
const FDVJP_OP_ABS = Int32(9)
const FDVJP_OP_SQUARE = Int32(10)
const FDVJP_OP_ADD = Int32(0)
const FDVJP_OP_SUB = Int32(1)
const FDVJP_OP_MUL = Int32(2)
const FDVJP_OP_DIV = Int32(3)
const FDVJP_OP_POW = Int32(4)
const FDVJP_REDUCE_SUM = Int32(0)
const FDVJP_REDUCE_MEAN = Int32(1)
const FDVJP_REDUCE_NORM2 = Int32(2)

"""
The C struct `fdvjp_report`, field for field (see the header).
"""
struct fdvjp_report
    size::Csize_t
    completed::Int32
    noise_source::Int32
    evaluations::Csize_t
    directions::Csize_t
    refined_large::Csize_t
    refined_rounding::Csize_t
    refined_noise::Csize_t
    nonfinite_fallbacks::Csize_t
    bound_fallbacks::Csize_t
    error_bound::Cdouble
    noise_level::Cdouble
    sparsity_check::Cdouble
    sparsity_relearned::Int32
    unbounded_directions::Csize_t
end

fdvjp_status_str(status) = ccall((:fdvjp_status_str, libfdvjp), Cstring, (Int32,), status)
fdvjp_last_error(buf, len) = ccall((:fdvjp_last_error, libfdvjp), Csize_t, (Ptr{UInt8}, Csize_t), buf, len)
fdvjp_version(major, minor, patch) =
    ccall((:fdvjp_version, libfdvjp), Cstring, (Ref{Int32}, Ref{Int32}, Ref{Int32}), major, minor, patch)
fdvjp_config_new() = ccall((:fdvjp_config_new, libfdvjp), Ptr{Cvoid}, ())
fdvjp_config_free(cfg) = ccall((:fdvjp_config_free, libfdvjp), Cvoid, (Ptr{Cvoid},), cfg)
fdvjp_config_set_scheme(cfg, scheme) =
    ccall((:fdvjp_config_set_scheme, libfdvjp), Int32, (Ptr{Cvoid}, Int32), cfg, scheme)
fdvjp_config_get_scheme(cfg, out) =
    ccall((:fdvjp_config_get_scheme, libfdvjp), Int32, (Ptr{Cvoid}, Ref{Int32}), cfg, out)
fdvjp_config_set_layout(cfg, layout) =
    ccall((:fdvjp_config_set_layout, libfdvjp), Int32, (Ptr{Cvoid}, Int32), cfg, layout)
fdvjp_config_get_layout(cfg, out) =
    ccall((:fdvjp_config_get_layout, libfdvjp), Int32, (Ptr{Cvoid}, Ref{Int32}), cfg, out)
fdvjp_config_set_relative_step(cfg, r) =
    ccall((:fdvjp_config_set_relative_step, libfdvjp), Int32, (Ptr{Cvoid}, Cdouble), cfg, r)
fdvjp_config_get_relative_step(cfg, out) =
    ccall((:fdvjp_config_get_relative_step, libfdvjp), Int32, (Ptr{Cvoid}, Ref{Cdouble}), cfg, out)
fdvjp_config_set_steps(cfg, h, n) =
    ccall((:fdvjp_config_set_steps, libfdvjp), Int32, (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t), cfg, h, n)
fdvjp_config_get_steps(cfg, h, capacity, count) =
    ccall((:fdvjp_config_get_steps, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ref{Csize_t}),
          cfg, h, capacity, count)
fdvjp_config_set_typical(cfg, typ, n) =
    ccall((:fdvjp_config_set_typical, libfdvjp), Int32, (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t), cfg, typ, n)
fdvjp_config_get_typical(cfg, typ, capacity, count) =
    ccall((:fdvjp_config_get_typical, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ref{Csize_t}),
          cfg, typ, capacity, count)
fdvjp_config_set_bounds(cfg, lower, upper, n) =
    ccall((:fdvjp_config_set_bounds, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cdouble}, Ptr{Cdouble}, Csize_t),
          cfg, lower, upper, n)
fdvjp_config_get_bounds(cfg, lower, upper, capacity, count) =
    ccall((:fdvjp_config_get_bounds, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cdouble}, Ptr{Cdouble}, Csize_t, Ref{Csize_t}),
          cfg, lower, upper, capacity, count)
fdvjp_config_set_sparsity(cfg, rows, cols, nnz) =
    ccall((:fdvjp_config_set_sparsity, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Csize_t}, Ptr{Csize_t}, Csize_t),
          cfg, rows, cols, nnz)
fdvjp_config_get_sparsity(cfg, rows, cols, capacity, count) =
    ccall((:fdvjp_config_get_sparsity, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Csize_t}, Ptr{Csize_t}, Csize_t, Ref{Csize_t}),
          cfg, rows, cols, capacity, count)
fdvjp_config_set_threads(cfg, threads) =
    ccall((:fdvjp_config_set_threads, libfdvjp), Int32, (Ptr{Cvoid}, Csize_t), cfg, threads)
fdvjp_config_get_threads(cfg, out) =
    ccall((:fdvjp_config_get_threads, libfdvjp), Int32, (Ptr{Cvoid}, Ref{Csize_t}), cfg, out)
fdvjp_config_set_batch_size(cfg, points) =
    ccall((:fdvjp_config_set_batch_size, libfdvjp), Int32, (Ptr{Cvoid}, Csize_t), cfg, points)
fdvjp_config_get_batch_size(cfg, out) =
    ccall((:fdvjp_config_get_batch_size, libfdvjp), Int32, (Ptr{Cvoid}, Ref{Csize_t}), cfg, out)
fdvjp_config_set_progress(cfg, f, user) =
    ccall((:fdvjp_config_set_progress, libfdvjp), Int32, (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}), cfg, f, user)
fdvjp_config_get_progress(cfg, f, user) =
    ccall((:fdvjp_config_get_progress, libfdvjp), Int32,
          (Ptr{Cvoid}, Ref{Ptr{Cvoid}}, Ref{Ptr{Cvoid}}),
          cfg, f, user)
fdvjp_config_set_learn_sparsity(cfg, on) =
    ccall((:fdvjp_config_set_learn_sparsity, libfdvjp), Int32, (Ptr{Cvoid}, Int32), cfg, on)
fdvjp_config_get_learn_sparsity(cfg, out) =
    ccall((:fdvjp_config_get_learn_sparsity, libfdvjp), Int32, (Ptr{Cvoid}, Ref{Int32}), cfg, out)
fdvjp_config_learned_sparsity(cfg, rows, cols, capacity, count) =
    ccall((:fdvjp_config_learned_sparsity, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Csize_t}, Ptr{Csize_t}, Csize_t, Ref{Csize_t}),
          cfg, rows, cols, capacity, count)
fdvjp_vjp(cfg, f, user, x, n, m, v, grad) =
    ccall((:fdvjp_vjp, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble}),
          cfg, f, user, x, n, m, v, grad)
fdvjp_jvp(cfg, f, user, x, n, m, u, jvp) =
    ccall((:fdvjp_jvp, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble}),
          cfg, f, user, x, n, m, u, jvp)
fdvjp_jacobian(cfg, f, user, x, n, m, jac) =
    ccall((:fdvjp_jacobian, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}),
          cfg, f, user, x, n, m, jac)
fdvjp_config_detect_sparsity(cfg, f, user, x, n, m) =
    ccall((:fdvjp_config_detect_sparsity, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t),
          cfg, f, user, x, n, m)
fdvjp_config_set_adaptive(cfg, on) =
    ccall((:fdvjp_config_set_adaptive, libfdvjp), Int32, (Ptr{Cvoid}, Int32), cfg, on)
fdvjp_config_get_adaptive(cfg, out) =
    ccall((:fdvjp_config_get_adaptive, libfdvjp), Int32, (Ptr{Cvoid}, Ref{Int32}), cfg, out)
fdvjp_vjp_estimate(cfg, f, user, x, n, m, v, grad, err) =
    ccall((:fdvjp_vjp_estimate, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble},
           Ptr{Cdouble}),
          cfg, f, user, x, n, m, v, grad, err)
fdvjp_jvp_estimate(cfg, f, user, x, n, m, u, jvp, err) =
    ccall((:fdvjp_jvp_estimate, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble},
           Ptr{Cdouble}),
          cfg, f, user, x, n, m, u, jvp, err)
fdvjp_jacobian_estimate(cfg, f, user, x, n, m, jac, err) =
    ccall((:fdvjp_jacobian_estimate, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble}),
          cfg, f, user, x, n, m, jac, err)
fdvjp_config_set_noise(cfg, levels, len) =
    ccall((:fdvjp_config_set_noise, libfdvjp), Int32, (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t), cfg, levels, len)
fdvjp_config_get_noise(cfg, levels, capacity, count) =
    ccall((:fdvjp_config_get_noise, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ref{Csize_t}),
          cfg, levels, capacity, count)
fdvjp_config_set_noise_mode(cfg, mode) =
    ccall((:fdvjp_config_set_noise_mode, libfdvjp), Int32, (Ptr{Cvoid}, Int32), cfg, mode)
fdvjp_config_get_noise_mode(cfg, out) =
    ccall((:fdvjp_config_get_noise_mode, libfdvjp), Int32, (Ptr{Cvoid}, Ref{Int32}), cfg, out)
fdvjp_last_report(out, size) =
    ccall((:fdvjp_last_report, libfdvjp), Int32, (Ref{fdvjp_report}, Csize_t), out, size)
fdvjp_last_report_noise(out, len) =
    ccall((:fdvjp_last_report_noise, libfdvjp), Csize_t, (Ptr{Cdouble}, Csize_t), out, len)
fdvjp_vjp_complex_step(cfg, f, user, x, n, m, v, grad) =
    ccall((:fdvjp_vjp_complex_step, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble}),
          cfg, f, user, x, n, m, v, grad)
fdvjp_jvp_complex_step(cfg, f, user, x, n, m, u, jvp) =
    ccall((:fdvjp_jvp_complex_step, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble}),
          cfg, f, user, x, n, m, u, jvp)
fdvjp_jacobian_complex_step(cfg, f, user, x, n, m, jac) =
    ccall((:fdvjp_jacobian_complex_step, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}),
          cfg, f, user, x, n, m, jac)
fdvjp_complex_vjp(cfg, f, user, z, n, m, v, grad) =
    ccall((:fdvjp_complex_vjp, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble}),
          cfg, f, user, z, n, m, v, grad)
fdvjp_complex_jvp(cfg, f, user, z, n, m, u, jvp) =
    ccall((:fdvjp_complex_jvp, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble}),
          cfg, f, user, z, n, m, u, jvp)
fdvjp_complex_jacobian(cfg, f, user, z, n, m, jac) =
    ccall((:fdvjp_complex_jacobian, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}),
          cfg, f, user, z, n, m, jac)
fdvjp_vjp_batch(cfg, f, user, x, n, m, v, grad) =
    ccall((:fdvjp_vjp_batch, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble}),
          cfg, f, user, x, n, m, v, grad)
fdvjp_jvp_batch(cfg, f, user, x, n, m, u, jvp) =
    ccall((:fdvjp_jvp_batch, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble}),
          cfg, f, user, x, n, m, u, jvp)
fdvjp_jacobian_batch(cfg, f, user, x, n, m, jac) =
    ccall((:fdvjp_jacobian_batch, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}),
          cfg, f, user, x, n, m, jac)
fdvjp_tape_new() = ccall((:fdvjp_tape_new, libfdvjp), Ptr{Cvoid}, ())
fdvjp_tape_free(t) = ccall((:fdvjp_tape_free, libfdvjp), Cvoid, (Ptr{Cvoid},), t)
fdvjp_tape_clear(t) = ccall((:fdvjp_tape_clear, libfdvjp), Int32, (Ptr{Cvoid},), t)
fdvjp_tape_input(t, x, n, out) =
    ccall((:fdvjp_tape_input, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ref{fdvjp_var}),
          t, x, n, out)
fdvjp_tape_input_shaped(t, x, shape, ndim, out) =
    ccall((:fdvjp_tape_input_shaped, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cdouble}, Ptr{Csize_t}, Csize_t, Ref{fdvjp_var}),
          t, x, shape, ndim, out)
fdvjp_tape_constant(t, x, n, out) =
    ccall((:fdvjp_tape_constant, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ref{fdvjp_var}),
          t, x, n, out)
fdvjp_tape_constant_shaped(t, x, shape, ndim, out) =
    ccall((:fdvjp_tape_constant_shaped, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cdouble}, Ptr{Csize_t}, Csize_t, Ref{fdvjp_var}),
          t, x, shape, ndim, out)
fdvjp_tape_call(t, cfg, f, user, args, nargs, m, out) =
    ccall((:fdvjp_tape_call, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{fdvjp_var}, Csize_t, Csize_t, Ref{fdvjp_var}),
          t, cfg, f, user, args, nargs, m, out)
fdvjp_tape_call_batch(t, cfg, f, user, args, nargs, m, out) =
    ccall((:fdvjp_tape_call_batch, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{fdvjp_var}, Csize_t, Csize_t, Ref{fdvjp_var}),
          t, cfg, f, user, args, nargs, m, out)
fdvjp_tape_call_vjp(t, f, vjp, user, args, nargs, m, out) =
    ccall((:fdvjp_tape_call_vjp, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{fdvjp_var}, Csize_t, Csize_t, Ref{fdvjp_var}),
          t, f, vjp, user, args, nargs, m, out)
fdvjp_tape_unary(t, op, a, out) =
    ccall((:fdvjp_tape_unary, libfdvjp), Int32, (Ptr{Cvoid}, Int32, fdvjp_var, Ref{fdvjp_var}), t, op, a, out)
fdvjp_tape_binary(t, op, a, b, out) =
    ccall((:fdvjp_tape_binary, libfdvjp), Int32,
          (Ptr{Cvoid}, Int32, fdvjp_var, fdvjp_var, Ref{fdvjp_var}),
          t, op, a, b, out)
fdvjp_tape_reduce(t, op, a, out) =
    ccall((:fdvjp_tape_reduce, libfdvjp), Int32,
          (Ptr{Cvoid}, Int32, fdvjp_var, Ref{fdvjp_var}),
          t, op, a, out)
fdvjp_tape_pow_scalar(t, a, p, out) =
    ccall((:fdvjp_tape_pow_scalar, libfdvjp), Int32,
          (Ptr{Cvoid}, fdvjp_var, Cdouble, Ref{fdvjp_var}),
          t, a, p, out)
fdvjp_tape_dot(t, a, b, out) =
    ccall((:fdvjp_tape_dot, libfdvjp), Int32,
          (Ptr{Cvoid}, fdvjp_var, fdvjp_var, Ref{fdvjp_var}),
          t, a, b, out)
fdvjp_tape_matmul(t, a, b, out) =
    ccall((:fdvjp_tape_matmul, libfdvjp), Int32,
          (Ptr{Cvoid}, fdvjp_var, fdvjp_var, Ref{fdvjp_var}),
          t, a, b, out)
fdvjp_tape_reshape(t, a, shape, ndim, out) =
    ccall((:fdvjp_tape_reshape, libfdvjp), Int32,
          (Ptr{Cvoid}, fdvjp_var, Ptr{Csize_t}, Csize_t, Ref{fdvjp_var}),
          t, a, shape, ndim, out)
fdvjp_tape_slice(t, a, start, len, out) =
    ccall((:fdvjp_tape_slice, libfdvjp), Int32,
          (Ptr{Cvoid}, fdvjp_var, Csize_t, Csize_t, Ref{fdvjp_var}),
          t, a, start, len, out)
fdvjp_tape_concat(t, vars, count, out) =
    ccall((:fdvjp_tape_concat, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{fdvjp_var}, Csize_t, Ref{fdvjp_var}),
          t, vars, count, out)
fdvjp_tape_len(t, v, len) =
    ccall((:fdvjp_tape_len, libfdvjp), Int32, (Ptr{Cvoid}, fdvjp_var, Ref{Csize_t}), t, v, len)
fdvjp_tape_ndim(t, v, ndim) =
    ccall((:fdvjp_tape_ndim, libfdvjp), Int32, (Ptr{Cvoid}, fdvjp_var, Ref{Csize_t}), t, v, ndim)
fdvjp_tape_shape(t, v, shape, ndim) =
    ccall((:fdvjp_tape_shape, libfdvjp), Int32,
          (Ptr{Cvoid}, fdvjp_var, Ptr{Csize_t}, Csize_t),
          t, v, shape, ndim)
fdvjp_tape_value(t, v, out, len) =
    ccall((:fdvjp_tape_value, libfdvjp), Int32,
          (Ptr{Cvoid}, fdvjp_var, Ptr{Cdouble}, Csize_t),
          t, v, out, len)
fdvjp_tape_backward(t, out, seed, len) =
    ccall((:fdvjp_tape_backward, libfdvjp), Int32,
          (Ptr{Cvoid}, fdvjp_var, Ptr{Cdouble}, Csize_t),
          t, out, seed, len)
fdvjp_tape_grad(t, input, out, len) =
    ccall((:fdvjp_tape_grad, libfdvjp), Int32,
          (Ptr{Cvoid}, fdvjp_var, Ptr{Cdouble}, Csize_t),
          t, input, out, len)
fdvjp_tape_set_input(t, input, x, n) =
    ccall((:fdvjp_tape_set_input, libfdvjp), Int32,
          (Ptr{Cvoid}, fdvjp_var, Ptr{Cdouble}, Csize_t),
          t, input, x, n)
fdvjp_tape_forward(t) = ccall((:fdvjp_tape_forward, libfdvjp), Int32, (Ptr{Cvoid},), t)
