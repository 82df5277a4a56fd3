"""
    vjp_estimate(f, x, v; options...) -> (grad, err)

`v' J(x)` by Richardson extrapolation (1 + 12n evaluations) with an estimate of each
entry's absolute error.
"""
function vjp_estimate(f, x::AbstractVector{<:Real}, v; cfg::Union{Config,Nothing}=nothing, options...)
    xs, vs = collect(Float64, x), cotangent(v)
    grad, err = Vector{Float64}(undef, length(xs)), Vector{Float64}(undef, length(xs))
    cb = Callback(f, length(vs))
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_vjp_estimate(h, real_cfunction(), user, xs, length(xs), length(vs), vs, grad, err)
        end
    end
    return grad, err
end

"""
    jvp_estimate(f, x, u; m, options...) -> (jvp, err)
"""
function jvp_estimate(f, x::AbstractVector{<:Real}, u::AbstractVector{<:Real}; m::Union{Integer,Nothing}=nothing,
                      cfg::Union{Config,Nothing}=nothing, options...)
    xs, us = collect(Float64, x), collect(Float64, u)
    m = m === nothing ? length(f(copy(xs))) : Int(m)
    out, err = Vector{Float64}(undef, m), Vector{Float64}(undef, m)
    cb = Callback(f, m)
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_jvp_estimate(h, real_cfunction(), user, xs, length(xs), m, us, out, err)
        end
    end
    return out, err
end

"""
    jacobian_estimate(f, x; m, options...) -> (J, err)
"""
function jacobian_estimate(f, x::AbstractVector{<:Real}; m::Union{Integer,Nothing}=nothing,
                           cfg::Union{Config,Nothing}=nothing, options...)
    xs = collect(Float64, x)
    n = length(xs)
    m = m === nothing ? length(f(copy(xs))) : Int(m)
    buf, err = Vector{Float64}(undef, m * n), Vector{Float64}(undef, m * n)
    cb = Callback(f, m)
    layout = with_config(cfg, options) do h, layout
        with_callback(cb) do user
            fdvjp_jacobian_estimate(h, real_cfunction(), user, xs, n, m, buf, err)
        end
        layout
    end
    return from_layout(buf, m, n, layout), from_layout(err, m, n, layout)
end

"""
    vjp_complex_step(f, x, v; options...) -> Vector{Float64}

`v' J(x)` of a real-analytic `f` by complex step: `f` is called with `Vector{ComplexF64}`
and must use complex arithmetic throughout; no cancellation (relative error near 1e-16).
"""
function vjp_complex_step(f, x::AbstractVector{<:Real}, v; cfg::Union{Config,Nothing}=nothing, options...)
    xs, vs = collect(Float64, x), cotangent(v)
    grad = Vector{Float64}(undef, length(xs))
    cb = Callback(f, length(vs))
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_vjp_complex_step(h, complex_cfunction(), user, xs, length(xs), length(vs), vs, grad)
        end
    end
    return grad
end

"""
    jacobian_complex_step(f, x; m, options...) -> Matrix{Float64}
"""
function jacobian_complex_step(f, x::AbstractVector{<:Real}; m::Union{Integer,Nothing}=nothing,
                               cfg::Union{Config,Nothing}=nothing, options...)
    xs = collect(Float64, x)
    n = length(xs)
    m = m === nothing ? length(f(complex.(xs))) : Int(m)
    buf = Vector{Float64}(undef, m * n)
    cb = Callback(f, m)
    layout = with_config(cfg, options) do h, layout
        with_callback(cb) do user
            fdvjp_jacobian_complex_step(h, complex_cfunction(), user, xs, n, m, buf)
        end
        layout
    end
    return from_layout(buf, m, n, layout)
end

"""
    complex_vjp(f, z, v; options...) -> Vector{ComplexF64}

The cotangent `v` of `f: ℂⁿ → ℂᵐ` (holomorphic or not) pulled back to `z` in the
ChainRules convention: `Σᵢ conj(Aᵢⱼ) vᵢ + Bᵢⱼ conj(vᵢ)` (`J' v` for holomorphic f).
"""
function complex_vjp(f, z::AbstractVector{<:Number}, v; cfg::Union{Config,Nothing}=nothing, options...)
    zs = collect(ComplexF64, z)
    vs = v isa Number ? [ComplexF64(v)] : collect(ComplexF64, vec(v))
    grad = Vector{ComplexF64}(undef, length(zs))
    cb = Callback(f, length(vs))
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            GC.@preserve zs vs grad fdvjp_complex_vjp(h, complex_cfunction(), user, Ptr{Cdouble}(pointer(zs)),
                                                       length(zs), length(vs), Ptr{Cdouble}(pointer(vs)),
                                                       Ptr{Cdouble}(pointer(grad)))
        end
    end
    return grad
end
