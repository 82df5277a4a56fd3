"""
    vjp_estimate(f, x, v; options...) -> (grad, err)

`v' J(x)` by Richardson extrapolation (1 + 14n evaluations) with an estimate of each
entry's absolute error.
"""
function vjp_estimate(f, x::AbstractArray{<:Real}, v; cfg::Union{Config,Nothing}=nothing, options...)
    (xs, dims), vs = flat(x), cotangent(v)
    grad, err = Vector{Float64}(undef, length(xs)), Vector{Float64}(undef, length(xs))
    cb = Callback(shaped(f, dims), length(vs))
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_vjp_estimate(h, real_cfunction(), user, xs, length(xs), length(vs), vs, grad, err)
        end
    end
    return reshape(grad, dims), reshape(err, dims)
end

"""
    jvp_estimate(f, x, u; m, options...) -> (jvp, err)
"""
function jvp_estimate(f, x::AbstractArray{<:Real}, u::AbstractArray{<:Real}; m::Union{Integer,Nothing}=nothing,
                      cfg::Union{Config,Nothing}=nothing, options...)
    (xs, dims), us = flat(x), collect(Float64, vec(u))
    length(us) == length(xs) ||
        throw(DimensionMismatch("FDVJP.jvp_estimate: u has $(length(us)) entries, x $(length(xs))"))
    g = shaped(f, dims)
    m = m === nothing ? length(g(copy(xs))) : Int(m)
    out, err = Vector{Float64}(undef, m), Vector{Float64}(undef, m)
    cb = Callback(g, m)
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
function jacobian_estimate(f, x::AbstractArray{<:Real}; m::Union{Integer,Nothing}=nothing,
                           cfg::Union{Config,Nothing}=nothing, options...)
    xs, dims = flat(x)
    n = length(xs)
    g = shaped(f, dims)
    m = m === nothing ? length(g(copy(xs))) : Int(m)
    buf, err = Vector{Float64}(undef, m * n), Vector{Float64}(undef, m * n)
    cb = Callback(g, m)
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

`v' J(x)` of a real-analytic `f` by complex step: `f` is called with a `ComplexF64` array
of `x`'s shape and must use complex arithmetic throughout; no cancellation (relative error
near 1e-16). The gradient has the shape of `x`.
"""
function vjp_complex_step(f, x::AbstractArray{<:Real}, v; cfg::Union{Config,Nothing}=nothing, options...)
    (xs, dims), vs = flat(x), cotangent(v)
    grad = Vector{Float64}(undef, length(xs))
    cb = Callback(shaped(f, dims), length(vs))
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_vjp_complex_step(h, complex_cfunction(), user, xs, length(xs), length(vs), vs, grad)
        end
    end
    return reshape(grad, dims)
end

"""
    jacobian_complex_step(f, x; m, options...) -> Matrix{Float64}
"""
function jacobian_complex_step(f, x::AbstractArray{<:Real}; m::Union{Integer,Nothing}=nothing,
                               cfg::Union{Config,Nothing}=nothing, options...)
    xs, dims = flat(x)
    n = length(xs)
    g = shaped(f, dims)
    m = m === nothing ? length(g(complex.(xs))) : Int(m)
    buf = Vector{Float64}(undef, m * n)
    cb = Callback(g, m)
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

"""
    jvp_complex_step(f, x, u; m, options...) -> Vector{Float64}

`J(x) u` of a real-analytic `f` by complex step (one complex evaluation of `f` along `u`;
see [`vjp_complex_step`](@ref)).
"""
function jvp_complex_step(f, x::AbstractArray{<:Real}, u::AbstractArray{<:Real}; m::Union{Integer,Nothing}=nothing,
                          cfg::Union{Config,Nothing}=nothing, options...)
    (xs, dims), us = flat(x), collect(Float64, vec(u))
    length(us) == length(xs) ||
        throw(DimensionMismatch("FDVJP.jvp_complex_step: u has $(length(us)) entries, x $(length(xs))"))
    g = shaped(f, dims)
    m = m === nothing ? length(g(complex.(xs))) : Int(m)
    out = Vector{Float64}(undef, m)
    cb = Callback(g, m)
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_jvp_complex_step(h, complex_cfunction(), user, xs, length(xs), m, us, out)
        end
    end
    return out
end

"""
    complex_jvp(f, z, u; m, options...) -> Vector{ComplexF64}

The pushforward of `u` by `f: ℂⁿ → ℂᵐ`: `A u + B conj(u)` with `A = ∂f/∂z`,
`B = ∂f/∂conj(z)` (`A u` for holomorphic f).
"""
function complex_jvp(f, z::AbstractVector{<:Number}, u::AbstractVector{<:Number}; m::Union{Integer,Nothing}=nothing,
                     cfg::Union{Config,Nothing}=nothing, options...)
    zs, us = collect(ComplexF64, z), collect(ComplexF64, u)
    length(us) == length(zs) ||
        throw(DimensionMismatch("FDVJP.complex_jvp: u has $(length(us)) entries, z $(length(zs))"))
    m = m === nothing ? length(f(copy(zs))) : Int(m)
    out = Vector{ComplexF64}(undef, m)
    cb = Callback(f, m)
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            GC.@preserve zs us out fdvjp_complex_jvp(h, complex_cfunction(), user, Ptr{Cdouble}(pointer(zs)),
                                                      length(zs), m, Ptr{Cdouble}(pointer(us)),
                                                      Ptr{Cdouble}(pointer(out)))
        end
    end
    return out
end

"""
    complex_jacobian(f, z; m, options...) -> Matrix{Float64}

The real `2m × 2n` Jacobian of `f: ℂⁿ → ℂᵐ` on interleaved (re, im) parts: rows `2i-1`,
`2i` are `Re fᵢ`, `Im fᵢ`; columns `2j-1`, `2j` are `Re zⱼ`, `Im zⱼ` (see the header's
`fdvjp_complex_jacobian`).
"""
function complex_jacobian(f, z::AbstractVector{<:Number}; m::Union{Integer,Nothing}=nothing,
                          cfg::Union{Config,Nothing}=nothing, options...)
    zs = collect(ComplexF64, z)
    n = length(zs)
    m = m === nothing ? length(f(copy(zs))) : Int(m)
    buf = Vector{Float64}(undef, 4 * m * n)
    cb = Callback(f, m)
    layout = with_config(cfg, options) do h, layout
        with_callback(cb) do user
            GC.@preserve zs fdvjp_complex_jacobian(h, complex_cfunction(), user, Ptr{Cdouble}(pointer(zs)), n, m, buf)
        end
        layout
    end
    return from_layout(buf, 2m, 2n, layout)
end
