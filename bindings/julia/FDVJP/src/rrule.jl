"""
    numeric_rrule(f, x; options...) -> (y, pullback)

`y = f(x)` and `pullback(ȳ) = ȳ' J(x)` computed by [`vjp`](@ref): the pieces of a
ChainRules `rrule` for a function no AD system can see.
"""
function numeric_rrule(f, x::AbstractVector{<:Real}; options...)
    y = f(x)
    pullback(ȳ) = vjp(f, x, ȳ; options...)
    return y, pullback
end

"""
    opaque(f, x)

`f(x)`, differentiated numerically: with ChainRulesCore loaded (e.g. by Zygote), the
package extension gives it an `rrule` built from [`numeric_rrule`](@ref), so
`Zygote.gradient(x -> sum(opaque(black_box, x)), x)` works for any black box.
"""
opaque(f, x::AbstractVector{<:Real}) = f(x)
