"""
    FDVJP

Finite-difference vector-Jacobian products of opaque Julia functions, and a reverse-mode
tape mixing them with built-in ops, over the C library libfdvjp (found through
`ENV["FDVJP_LIB"]`, this repository's `target/release`, or the system loader).

    using FDVJP
    grad = vjp(x -> [sum(abs2, x), prod(x)], [1.0, 2.0], [1.0, 0.5])

Functions take and return vectors (or a scalar); an exception thrown inside one is caught
before it reaches C and rethrown after the call. Failures of the library throw
[`FDVJPError`](@ref) with the status and fdvjp's message. `FDVJP.opaque(f, x)` is `f(x)`
with a ChainRulesCore `rrule` (a package extension) that differentiates `f` numerically,
so that Zygote can differentiate through a black box.
"""
module FDVJP

export vjp, jvp, jacobian, vjp_estimate, jvp_estimate, jacobian_estimate, vjp_complex_step,
       jacobian_complex_step, complex_vjp, vjp_batch, jvp_batch, jacobian_batch, Config, FDVJPError, Tape, Var, input, constant, value,
       grad, backward!, set_input!, forward!, clear!, opaque, numeric_rrule

include("library.jl")
include("capi.jl")
include("errors.jl")
include("config.jl")
include("callbacks.jl")
include("derivatives.jl")
include("accuracy.jl")
include("batch.jl")
include("tape.jl")
include("rrule.jl")

end # module FDVJP
