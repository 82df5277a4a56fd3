cotangent(v) = v isa Number ? [Float64(v)] : collect(Float64, vec(v))

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
    vjp(f, x, v; cfg=nothing, options...) -> Vector{Float64}

`v' J(x)` for `y = f(x)` by finite differences (1 + 2n evaluations, central). `f` takes a
vector and returns a vector (or a number) of `length(v)` values. Options as [`Config`](@ref).
"""
function vjp(f, x::AbstractVector{<:Real}, v; cfg::Union{Config,Nothing}=nothing, options...)
    xs, vs = collect(Float64, x), cotangent(v)
    grad = Vector{Float64}(undef, length(xs))
    cb = Callback(f, length(vs))
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_vjp(h, real_cfunction(), user, xs, length(xs), length(vs), vs, grad)
        end
    end
    return grad
end

"""
    jvp(f, x, u; m=length(f(x)), cfg=nothing, options...) -> Vector{Float64}

`J(x) u` by one directional difference. Without `m`, f is evaluated once more.
"""
function jvp(f, x::AbstractVector{<:Real}, u::AbstractVector{<:Real}; m::Union{Integer,Nothing}=nothing,
             cfg::Union{Config,Nothing}=nothing, options...)
    xs, us = collect(Float64, x), collect(Float64, u)
    length(us) == length(xs) || throw(DimensionMismatch("FDVJP.jvp: u has $(length(us)) entries, x $(length(xs))"))
    m = m === nothing ? length(f(copy(xs))) : Int(m)
    out = Vector{Float64}(undef, m)
    cb = Callback(f, m)
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_jvp(h, real_cfunction(), user, xs, length(xs), m, us, out)
        end
    end
    return out
end

"""
    jacobian(f, x; m=length(f(x)), cfg=nothing, options...) -> Matrix{Float64}

The m×n Jacobian `J[i, j] = ∂f_i/∂x_j`. Without `m`, f is evaluated once more.
"""
function jacobian(f, x::AbstractVector{<:Real}; m::Union{Integer,Nothing}=nothing,
                  cfg::Union{Config,Nothing}=nothing, options...)
    xs = collect(Float64, x)
    n = length(xs)
    m = m === nothing ? length(f(copy(xs))) : Int(m)
    buf = Vector{Float64}(undef, m * n)
    cb = Callback(f, m)
    layout = with_config(cfg, options) do h, layout
        with_callback(cb) do user
            fdvjp_jacobian(h, real_cfunction(), user, xs, n, m, buf)
        end
        layout
    end
    return from_layout(buf, m, n, layout)
end
