cotangent(v) = v isa Number ? [Float64(v)] : collect(Float64, vec(v))

"A flat Float64 copy of any real array (column-major order) and its shape."
flat(x::AbstractArray{<:Real}) = (collect(Float64, vec(x)), size(x))

"""
`f` seen from C: flat vectors in, flat values out. The function gets its argument in the
shape the caller gave (a `Vector` stays a `Vector`), and may return any array or number.
"""
shaped(f, dims::Tuple) = length(dims) == 1 ? f : (xs -> f(reshape(xs, dims)))


"""
Runs `call(cfg_handle, layout)` with the config for `cfg`/`options` (freeing a temporary
one), then rethrows an exception of the config's progress function.
"""
function with_config(call, cfg, options)
    c, owned = resolve(cfg, options)
    try
        result = GC.@preserve c call(handle(c), c === nothing ? FDVJP_ROW_MAJOR : c.layout)
        return result
    finally
        progress = c === nothing ? nothing : c.progress
        owned && free!(c)
        if progress !== nothing && progress.error !== nothing
            e, progress.error = progress.error, nothing
            throw(e)
        end
    end
end

"The m×n Jacobian from C's buffer in either layout."
from_layout(buf, m, n, layout) = layout == FDVJP_COL_MAJOR ? reshape(buf, m, n) : permutedims(reshape(buf, n, m))

"""
    vjp(f, x, v; cfg=nothing, options...) -> Array{Float64} (the shape of x)

`v' J(x)` for `y = f(x)` by finite differences (1 + 2n evaluations, central). `x` is any
`AbstractArray{<:Real}`, which `f` receives in its shape; `f` returns an array (any shape)
or a number of `length(v)` values, `v` a number or an array of them (in the same order,
column-major). The gradient has the shape of `x`. Options as [`Config`](@ref).
"""
function vjp(f, x::AbstractArray{<:Real}, v; cfg::Union{Config,Nothing}=nothing, options...)
    (xs, dims), vs = flat(x), cotangent(v)
    grad = Vector{Float64}(undef, length(xs))
    cb = Callback(shaped(f, dims), length(vs))
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_vjp(h, real_cfunction(), user, xs, length(xs), length(vs), vs, grad)
        end
    end
    return reshape(grad, dims)
end

"""
    detect_sparsity!(cfg, f, x, m) -> cfg

Learns the sparsity pattern of `f`'s m×n Jacobian at `x` (2(n + 1) evaluations) into `cfg`;
later `vjp`/`jacobian` calls with `cfg` use it, verified on every call (2 more
evaluations), and a call whose check fails is computed densely and learns the pattern
again (`fdvjp_report.sparsity_relearned`). On error `cfg` is unchanged.
"""
function detect_sparsity!(cfg::Config, f, x::AbstractArray{<:Real}, m::Integer)
    xs, dims = flat(x)
    cb = Callback(shaped(f, dims), m)
    with_config(cfg, ()) do h, _
        with_callback(cb) do user
            fdvjp_config_detect_sparsity(h, real_cfunction(), user, xs, length(xs), m)
        end
    end
    return cfg
end

"""
    learned_sparsity(cfg) -> (rows, cols)

The pattern `cfg` has learned, as 0-based (row, column) index vectors (empty when none).
"""
function learned_sparsity(cfg::Config)
    nnz = Ref{Csize_t}(0)
    check(fdvjp_config_learned_sparsity(handle(cfg), C_NULL, C_NULL, 0, nnz))
    rows, cols = Vector{Csize_t}(undef, nnz[]), Vector{Csize_t}(undef, nnz[])
    nnz[] > 0 && check(fdvjp_config_learned_sparsity(handle(cfg), rows, cols, nnz[], nnz))
    return Int.(rows), Int.(cols)
end

"""
    jvp(f, x, u; m=length(f(x)), cfg=nothing, options...) -> Vector{Float64}

`J(x) u` by one directional difference, flattened (column-major) whatever the shape of
`f`'s result; `x` and `u` are arrays of the same length. Without `m`, f is evaluated once
more.
"""
function jvp(f, x::AbstractArray{<:Real}, u::AbstractArray{<:Real}; m::Union{Integer,Nothing}=nothing,
             cfg::Union{Config,Nothing}=nothing, options...)
    (xs, dims), us = flat(x), collect(Float64, vec(u))
    length(us) == length(xs) || throw(DimensionMismatch("FDVJP.jvp: u has $(length(us)) entries, x $(length(xs))"))
    g = shaped(f, dims)
    m = m === nothing ? length(g(copy(xs))) : Int(m)
    out = Vector{Float64}(undef, m)
    cb = Callback(g, m)
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_jvp(h, real_cfunction(), user, xs, length(xs), m, us, out)
        end
    end
    return out
end

"""
    jacobian(f, x; m=length(f(x)), cfg=nothing, options...) -> Matrix{Float64}

The m×n Jacobian `J[i, j] = ∂f_i/∂x_j`, with i and j the column-major (linear) indices
of `f(x)` and `x` for array arguments. Without `m`, f is evaluated once more.
"""
function jacobian(f, x::AbstractArray{<:Real}; m::Union{Integer,Nothing}=nothing,
                  cfg::Union{Config,Nothing}=nothing, options...)
    xs, dims = flat(x)
    n = length(xs)
    g = shaped(f, dims)
    m = m === nothing ? length(g(copy(xs))) : Int(m)
    buf = Vector{Float64}(undef, m * n)
    cb = Callback(g, m)
    layout = with_config(cfg, options) do h, layout
        with_callback(cb) do user
            fdvjp_jacobian(h, real_cfunction(), user, xs, n, m, buf)
        end
        layout
    end
    return from_layout(buf, m, n, layout)
end
