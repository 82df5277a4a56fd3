"""
    FDVJP

Finite-difference vector-Jacobian products of opaque Julia functions, and a reverse-mode
tape mixing them with built-in ops, over the C library libfdvjp (found through the
`libfdvjp` preference, see [`set_library!`](@ref), then `ENV["FDVJP_LIB"]`, this
repository's `target/release`, or the system loader).

    using FDVJP
    grad = FDVJP.vjp(x -> [sum(abs2, x), prod(x)], [1.0, 2.0], [1.0, 0.5])

Only names that cannot clash with other packages are exported (`FDVJPError`, `FDVJPTape`,
`FDVJPConfig`); everything else is used qualified, `FDVJP.jacobian`, or imported by name,
`using FDVJP: vjp`. (The `fdvjp_*` names are the C API's thin wrappers, not exported.) Functions take any `AbstractArray{<:Real}` (the function
sees it in its own shape, gradients come back in it) and return an array or a number; an
exception thrown inside one is caught before it reaches C and rethrown after the call. Failures of the library throw
[`FDVJPError`](@ref) with the status and fdvjp's message. `FDVJP.opaque(f, x)` is `f(x)`
with a ChainRulesCore `rrule` (a package extension) that differentiates `f` numerically,
so that Zygote can differentiate through a black box.
"""
module FDVJP

using LinearAlgebra: LinearAlgebra
using Preferences: @load_preference, @set_preferences!, @delete_preferences!
using Statistics: Statistics

# Exported: only names no other package uses. `FDVJP.vjp`, `FDVJP.jacobian`, `FDVJP.Tape`,
# ... stay available qualified (`jacobian` would clash with Zygote's, `grad`, `value`,
# `input` with many packages').
export FDVJPError, FDVJPTape, FDVJPConfig

include("library.jl")
include("capi.jl")
include("errors.jl")
include("config.jl")
include("config_get.jl")
include("callbacks.jl")
include("derivatives.jl")
include("accuracy.jl")
include("batch.jl")
include("tape.jl")
include("tape_ops.jl")
include("tape_arrays.jl")
include("rrule.jl")

"The exported spellings of `FDVJP.Tape` and `FDVJP.Config` (the same types)."
const FDVJPTape = Tape
const FDVJPConfig = Config

end # module FDVJP
