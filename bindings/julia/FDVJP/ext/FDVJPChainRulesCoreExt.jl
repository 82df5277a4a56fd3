# ChainRulesCore rrule for FDVJP.opaque: a black box differentiated by finite differences.
# Cotangents may be thunks (unthunked), ZeroTangent or NoTangent (no evaluation at all: the
# gradients are zero), or arrays/numbers of the output's shape.
module FDVJPChainRulesCoreExt

using FDVJP
using ChainRulesCore

function ChainRulesCore.rrule(::typeof(FDVJP.opaque), f, x::Union{Real,AbstractArray{<:Real}},
                              params::Union{Real,AbstractArray{<:Real}}...)
    y, back = FDVJP.opaque_rrule(f, x, params...)
    function opaque_pullback(ȳ)
        dy = unthunk(ȳ)
        grads = dy isa ChainRulesCore.AbstractZero ? map(_ -> ZeroTangent(), (x, params...)) : back(dy)
        # f itself: captured variables are not differentiated (see FDVJP.opaque's docs)
        return (NoTangent(), NoTangent(), grads...)
    end
    return y, opaque_pullback
end

end # module FDVJPChainRulesCoreExt
