"""
    Tape()

A reverse-mode tape owning one `fdvjp_tape` (freed by `close` or the finalizer), and the
Julia functions recorded on it, which it calls again in `backward!` and `forward!`; an
exception thrown inside one of them is rethrown by the call that triggered it.

Variables are arrays of any number of dimensions, with the dims Julia gave them (`size`,
`ndims`, `reshape`, `vec`; see `tape_arrays.jl` for how they map onto the C tape's
row-major shapes), or scalars (0 dimensions: `value` and `grad` give a number). Vars take
Base's arithmetic (`+ - / ^`, unary minus, `exp`, `log`, `sqrt`, `abs`, ...) elementwise,
with a scalar broadcast against an array; the same dotted (`a .* b`, `exp.(a)`); `*` is
Julia's matrix product when the left operand is a matrix (`A * B`, `A * v`, also with a
constant matrix or vector on either side), and elementwise otherwise; `transpose(A)` and
`A'`; `sum`, `LinearAlgebra.dot`, `LinearAlgebra.norm`, `Statistics.mean`, `vcat` of
vectors and scalars, and 1-based linear ranges `a[2:3]`.

    t = FDVJP.Tape()
    x = FDVJP.input(t, [1.0, 2.0])
    y = FDVJP.call(t, black_box, x; m = 3)  # opaque: finite differences in backward
    backward!(t, sum(y * y))
    FDVJP.grad(x)
"""
mutable struct Tape
    handle::Ptr{Cvoid}
    kept::Vector{Callback}  # keeps the callbacks (and their `user` addresses) alive
    function Tape()
        h = fdvjp_tape_new()
        h == C_NULL && throw(OutOfMemoryError())
        return finalizer(free!, new(h, Callback[]))
    end
end

function free!(t::Tape)
    if t.handle != C_NULL
        fdvjp_tape_free(t.handle)  # before the callbacks it points to can be collected
        t.handle = C_NULL
        empty!(t.kept)
    end
    return nothing
end

Base.close(t::Tape) = free!(t)
handle(t::Tape) = t.handle == C_NULL ? throw(ArgumentError("FDVJP.Tape is closed")) : t.handle

"A variable of a tape."
struct Var
    tape::Tape
    id::fdvjp_var
end

Base.show(io::IO, v::Var) = print(io, "Var(", v.id, ", size ", size(v), ")")

"Rethrows a kept callback's exception (it caused the failure), else checks the status."
function finish(t::Tape, status)
    for cb in t.kept
        if cb.error !== nothing
            e, cb.error = cb.error, nothing
            throw(e)
        end
    end
    check(status)
end

function record(call, t::Tape)
    out = Ref{fdvjp_var}(0)
    status = GC.@preserve t call(handle(t), out)
    finish(t, status)
    return Var(t, out[])
end

"""
    input(t, x) -> Var

A differentiable input with x's values and dims: any real array (a matrix stays a
matrix), or a number (a scalar variable).
"""
function input(t::Tape, x::Union{Real,AbstractArray{<:Real}})
    xs = leaf_values(x)
    shape = c_shape(size(xs))
    return record((h, out) -> fdvjp_tape_input_shaped(h, xs, shape, length(shape), out), t)
end

"A constant (not differentiated) with x's values and dims; a number is a scalar, which
broadcasts against arrays in elementwise ops."
function constant(t::Tape, x::Union{Real,AbstractArray{<:Real}})
    xs = leaf_values(x)
    shape = c_shape(size(xs))
    return record((h, out) -> fdvjp_tape_constant_shaped(h, xs, shape, length(shape), out), t)
end

"x's values as a Float64 array of its dims (0 for a number): the memory C reads, under
C's shape for those dims (`c_shape`)."
leaf_values(x) = x isa Real ? fill(Float64(x)) : collect(Float64, x)

as_var(t::Tape, a::Var) = a
as_var(t::Tape, a) = constant(t, a)

"Splits the C view (all arguments concatenated) back into one value per argument, each
in its variable's dims (a number for a scalar)."
function splitter(f, dims)
    offsets = cumsum([0; [prod(d) for d in dims]])
    return x -> f((shaped_value(x[offsets[i]+1:offsets[i+1]], dims[i]) for i in eachindex(dims))...)
end

"The tape copies cfg, progress function included: keep that alive as long as the tape."
keep_progress!(t::Tape, cfg) = (cfg !== nothing && cfg.progress !== nothing && push!(t.kept, cfg.progress); nothing)

"""
    call(t, f, args...; m, cfg=nothing) -> Var

Records `y = f(arg values...)` (a vector of m values) as an opaque node, differentiated
by finite differences with `cfg`'s options. f gets each argument in its dims (a number
for a scalar), as `value` gives it. Without `m`, f is evaluated once more.
"""
function call(t::Tape, f, args...; m::Union{Integer,Nothing}=nothing, cfg::Union{Config,Nothing}=nothing)
    vars = Var[as_var(t, a) for a in args]
    m = m === nothing ? length(f((value(v) for v in vars)...)) : Int(m)
    cb = Callback(splitter(f, [size(v) for v in vars]), m)
    push!(t.kept, cb)
    keep_progress!(t, cfg)
    ids = fdvjp_var[v.id for v in vars]
    return GC.@preserve cfg begin  # the tape copies cfg during the call
        record(t) do h, out
            fdvjp_tape_call(h, handle(cfg), real_cfunction(), pointer_from_objref(cb), ids, length(ids), m, out)
        end
    end
end

"""
    call_batch(t, f, args...; m, cfg=nothing) -> Var

As [`call`](@ref) with a batch function: `f` gets an n×k matrix of points (the args'
values concatenated, one column per point) and returns the m×k matrix of values.
"""
function call_batch(t::Tape, f, args...; m::Integer, cfg::Union{Config,Nothing}=nothing)
    vars = Var[as_var(t, a) for a in args]
    cb = Callback(f, Int(m))
    push!(t.kept, cb)
    keep_progress!(t, cfg)
    ids = fdvjp_var[v.id for v in vars]
    return GC.@preserve cfg begin
        record(t) do h, out
            fdvjp_tape_call_batch(h, handle(cfg), batch_cfunction(), pointer_from_objref(cb), ids, length(ids), m,
                                  out)
        end
    end
end

"""
    call_vjp(t, f, adjoint, args...; m) -> Var

Records `y = f(arg values...)` with its own VJP: `adjoint(x, y, v)` returns `v' J(x)` for
the concatenated argument values x, flattened column-major (used in backward instead of
finite differences). f gets each argument in its dims, as in [`call`](@ref).
"""
function call_vjp(t::Tape, f, adjoint, args...; m::Union{Integer,Nothing}=nothing)
    vars = Var[as_var(t, a) for a in args]
    m = m === nothing ? length(f((value(v) for v in vars)...)) : Int(m)
    cb = Callback(splitter(f, [size(v) for v in vars]), adjoint, m, nothing)
    push!(t.kept, cb)
    ids = fdvjp_var[v.id for v in vars]
    return record(t) do h, out
        fdvjp_tape_call_vjp(h, real_cfunction(), adjoint_cfunction(), pointer_from_objref(cb), ids, length(ids),
                            m, out)
    end
end

"A variable's current value: an array of its dims, or a number for a scalar."
function value(a::Var)
    out = Array{Float64}(undef, size(a))
    check(GC.@preserve a fdvjp_tape_value(handle(a.tape), a.id, out, length(out)))
    return shaped_value(out)
end

"The last backward's gradient with respect to an input, in the input's dims (a number
for a scalar input)."
function grad(a::Var)
    out = Array{Float64}(undef, size(a))
    check(GC.@preserve a fdvjp_tape_grad(handle(a.tape), a.id, out, length(out)))
    return shaped_value(out)
end

"Gradients of `<seed, out>` for every input; without seed, `out` must have one element.
A seed has out's elements (in out's dims, or flattened column-major)."
function backward!(t::Tape, out::Var; seed=nothing)
    if seed === nothing
        status = GC.@preserve t fdvjp_tape_backward(handle(t), out.id, C_NULL, 0)
    else
        s = collect(Float64, seed)
        status = GC.@preserve t fdvjp_tape_backward(handle(t), out.id, s, length(s))
    end
    finish(t, status)
end

"New values for an input, as many as it has (its dims are kept; an array of other dims
is read column-major); call `forward!` to replay."
function set_input!(a::Var, x::Union{Real,AbstractArray{<:Real}})
    xs = x isa Real ? [Float64(x)] : collect(Float64, vec(x))
    check(GC.@preserve a fdvjp_tape_set_input(handle(a.tape), a.id, xs, length(xs)))
end

"Replays every node at the current inputs (recorded functions are called again)."
forward!(t::Tape) = finish(t, GC.@preserve t fdvjp_tape_forward(handle(t)))

"Empties the tape: every variable issued so far becomes unknown."
function clear!(t::Tape)
    check(GC.@preserve t fdvjp_tape_clear(handle(t)))
    empty!(t.kept)
    return t
end
