"""
    numeric_rrule(f, x; options...) -> (y, pullback)

`y = f(x)` and `pullback(ȳ) = ȳ' J(x)` (in the shape of `x`) computed by [`vjp`](@ref):
the pieces of a ChainRules `rrule` for a function no AD system can see. `x` is any
`AbstractArray{<:Real}`.
"""
function numeric_rrule(f, x::AbstractArray{<:Real}; options...)
    y = f(x)
    pullback(ȳ) = vjp(f, x, ȳ; options...)
    return y, pullback
end

"""
    opaque(f, x)
    opaque(f, x, params...)

`f(x)` (or `f(x, params...)`), differentiated numerically: with ChainRulesCore loaded
(e.g. by Zygote), the package extension gives it an `rrule` built from [`vjp`](@ref), so
`Zygote.gradient(x -> sum(opaque(black_box, x)), x)` works for any black box. `x` and the
`params` are real arrays or numbers, each keeping its shape.

**Captured parameters get no gradient.** In `opaque(x -> f(x, p), x)` the closure's `p`
is invisible to fdvjp, which differentiates with respect to `x` only: the pullback gives
the closure `NoTangent()` and a gradient with respect to `p` is silently zero. Pass such
parameters as arguments instead, `opaque(f, x, p)`: all arguments are then perturbed
(one finite-difference VJP over their concatenation) and each gets its own gradient.
"""
opaque(f, x::Union{Real,AbstractArray{<:Real}}, params::Union{Real,AbstractArray{<:Real}}...) = f(x, params...)

"""
The arguments of `opaque` as one flat vector, and the function that rebuilds them
(numbers stay numbers, arrays keep their shapes).
"""
function packed(args)
    lengths = [length(a) for a in args]
    offsets = cumsum([0; lengths])
    flatargs = reduce(vcat, [collect(Float64, vec(a isa Number ? [a] : a)) for a in args]; init=Float64[])
    unpack(v) = ntuple(length(args)) do i
        part = v[offsets[i]+1:offsets[i+1]]
        args[i] isa Number ? part[1] : reshape(part, size(args[i]))
    end
    return flatargs, unpack
end

"""
    opaque_rrule(f, args...) -> (y, pullback)

The rrule of `opaque(f, args...)` without ChainRulesCore's types: `pullback(ȳ)` returns
one gradient per argument (in its shape), or `nothing` for a zero cotangent (`ȳ ===
nothing`, the extension maps `ZeroTangent`/`NoTangent` to it).
"""
function opaque_rrule(f, args...; options...)
    y = f(args...)
    flatargs, unpack = packed(args)
    g = xs -> f(unpack(xs)...)
    function pullback(ȳ)
        ȳ === nothing && return map(a -> a isa Number ? 0.0 : zeros(size(a)), args)
        return unpack(vjp(g, flatargs, ȳ; options...))
    end
    return y, pullback
end
