# ChainRulesCore rrule for FDVJP.opaque: a black box differentiated by finite differences.
module FDVJPChainRulesCoreExt

using FDVJP
using ChainRulesCore

function ChainRulesCore.rrule(::typeof(FDVJP.opaque), f, x::AbstractVector{<:Real})
    y, back = FDVJP.numeric_rrule(f, x)
    opaque_pullback(ȳ) = (NoTangent(), NoTangent(), back(unthunk(ȳ)))
    return y, opaque_pullback
end

end # module FDVJPChainRulesCoreExt
