"""
    Tape()

A reverse-mode tape owning one `fdvjp_tape` (freed by `close` or the finalizer), and the
Julia functions recorded on it, which it calls again in `backward!` and `forward!`; an
exception thrown inside one of them is rethrown by the call that triggered it. Tapes hold
vectors (values are flattened). Vars take Base's arithmetic (`+ - * / ^`, unary minus,
`exp`, `log`, `sqrt`, `abs`, ...), `sum`, `LinearAlgebra.dot`, `LinearAlgebra.norm`,
`Statistics.mean`, `vcat` and 1-based ranges `a[2:3]`.

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

Base.show(io::IO, v::Var) = print(io, "Var(", v.id, ", length ", length(v), ")")

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

"A differentiable input: any real array, flattened (column-major)."
input(t::Tape, x::AbstractArray{<:Real}) =
    (xs = collect(Float64, x); record((h, out) -> fdvjp_tape_input(h, xs, length(xs), out), t))

"A constant array (not differentiated), flattened."
constant(t::Tape, x::AbstractArray{<:Real}) =
    (xs = collect(Float64, x); record((h, out) -> fdvjp_tape_constant(h, xs, length(xs), out), t))

"A constant scalar (0-dimensional), which broadcasts in elementwise ops."
function constant(t::Tape, x::Real)
    xs = [Float64(x)]
    return record((h, out) -> fdvjp_tape_constant_shaped(h, xs, C_NULL, 0, out), t)
end

as_var(t::Tape, a::Var) = a
as_var(t::Tape, a) = constant(t, a)

"Splits the C view (all arguments concatenated) back into one vector per argument."
function splitter(f, lengths)
    offsets = cumsum([0; lengths])
    return x -> f((x[offsets[i]+1:offsets[i+1]] for i in eachindex(lengths))...)
end

"The tape copies cfg, progress function included: keep that alive as long as the tape."
keep_progress!(t::Tape, cfg) = (cfg !== nothing && cfg.progress !== nothing && push!(t.kept, cfg.progress); nothing)

"""
    call(t, f, args...; m, cfg=nothing) -> Var

Records `y = f(arg values...)` (a vector of m values) as an opaque node, differentiated
by finite differences with `cfg`'s options. Without `m`, f is evaluated once more.
"""
function call(t::Tape, f, args...; m::Union{Integer,Nothing}=nothing, cfg::Union{Config,Nothing}=nothing)
    vars = Var[as_var(t, a) for a in args]
    m = m === nothing ? length(f((value(v) for v in vars)...)) : Int(m)
    cb = Callback(splitter(f, [length(v) for v in vars]), m)
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
the concatenated argument values x (used in backward instead of finite differences).
"""
function call_vjp(t::Tape, f, adjoint, args...; m::Union{Integer,Nothing}=nothing)
    vars = Var[as_var(t, a) for a in args]
    m = m === nothing ? length(f((value(v) for v in vars)...)) : Int(m)
    cb = Callback(splitter(f, [length(v) for v in vars]), adjoint, m, nothing)
    push!(t.kept, cb)
    ids = fdvjp_var[v.id for v in vars]
    return record(t) do h, out
        fdvjp_tape_call_vjp(h, real_cfunction(), adjoint_cfunction(), pointer_from_objref(cb), ids, length(ids),
                            m, out)
    end
end

unary(op, a::Var) = record((h, out) -> fdvjp_tape_unary(h, op, a.id, out), a.tape)
binary(op, a::Var, b::Var) = record((h, out) -> fdvjp_tape_binary(h, op, a.id, b.id, out), a.tape)
reduce_var(op, a::Var) = record((h, out) -> fdvjp_tape_reduce(h, op, a.id, out), a.tape)

for (f, op) in ((:+, FDVJP_OP_ADD), (:-, FDVJP_OP_SUB), (:*, FDVJP_OP_MUL), (:/, FDVJP_OP_DIV))
    @eval Base.$f(a::Var, b::Var) = binary($op, a, b)
    @eval Base.$f(a::Var, b::Real) = binary($op, a, constant(a.tape, b))
    @eval Base.$f(a::Real, b::Var) = binary($op, constant(b.tape, a), b)
end
for (f, op) in ((:exp, FDVJP_OP_EXP), (:log, FDVJP_OP_LOG), (:log1p, FDVJP_OP_LOG1P), (:sqrt, FDVJP_OP_SQRT),
                (:sin, FDVJP_OP_SIN), (:cos, FDVJP_OP_COS), (:tan, FDVJP_OP_TAN), (:tanh, FDVJP_OP_TANH),
                (:abs, FDVJP_OP_ABS), (:-, FDVJP_OP_NEG))
    @eval Base.$f(a::Var) = unary($op, a)
end
Base.:+(a::Var) = a
Base.abs2(a::Var) = unary(FDVJP_OP_SQUARE, a)
# a^p for a number p: the tape's scalar power (exact derivative p a^(p-1)); the Integer
# method settles the ambiguity with Base's a^p for integer literals.
Base.:^(a::Var, p::Real) = record((h, out) -> fdvjp_tape_pow_scalar(h, a.id, Float64(p), out), a.tape)
Base.:^(a::Var, p::Integer) = a^Float64(p)
Base.:^(a::Var, b::Var) = binary(FDVJP_OP_POW, a, b)
Base.:^(a::Real, b::Var) = binary(FDVJP_OP_POW, constant(b.tape, a), b)
Base.sum(a::Var) = reduce_var(FDVJP_REDUCE_SUM, a)
"The mean of a variable's elements (a scalar variable): a method of `Statistics.mean`."
Statistics.mean(a::Var) = reduce_var(FDVJP_REDUCE_MEAN, a)
"The Euclidean norm of a variable (a scalar variable): a method of `LinearAlgebra.norm` (p = 2 only)."
function LinearAlgebra.norm(a::Var, p::Real=2)
    p == 2 || throw(ArgumentError("FDVJP: norm of a tape variable supports p = 2 only, got p = $p"))
    return reduce_var(FDVJP_REDUCE_NORM2, a)
end
"The inner product of two variables of the same shape (a scalar variable): `LinearAlgebra.dot`."
LinearAlgebra.dot(a::Var, b::Var) = record((h, out) -> fdvjp_tape_dot(h, a.id, b.id, out), a.tape)

"""
    slice(a, first, len) -> Var

Elements `first : first+len-1` of the flattened variable, counting from 1 as Julia does
(a vector variable); also written `a[first:last]`.
"""
function slice(a::Var, first::Integer, len::Integer)
    first >= 1 || throw(BoundsError(a, first))
    len >= 0 || throw(ArgumentError("FDVJP.slice: len = $len is negative"))
    return record((h, out) -> fdvjp_tape_slice(h, a.id, first - 1, len, out), a.tape)
end
Base.getindex(a::Var, r::AbstractUnitRange{<:Integer}) = slice(a, first(r), length(r))
Base.firstindex(::Var) = 1
Base.lastindex(a::Var) = length(a)

"The concatenation of variables of one tape (a vector variable): `vcat(a, b, ...)`."
function Base.vcat(a::Var, vars::Var...)
    ids = fdvjp_var[v.id for v in (a, vars...)]
    return record((h, out) -> fdvjp_tape_concat(h, ids, length(ids), out), a.tape)
end

function Base.length(a::Var)
    len = Ref{Csize_t}(0)
    check(GC.@preserve a fdvjp_tape_len(handle(a.tape), a.id, len))
    return Int(len[])
end

"A variable's current value (flattened)."
function value(a::Var)
    out = Vector{Float64}(undef, length(a))
    check(GC.@preserve a fdvjp_tape_value(handle(a.tape), a.id, out, length(out)))
    return out
end

"The last backward's gradient with respect to an input."
function grad(a::Var)
    out = Vector{Float64}(undef, length(a))
    check(GC.@preserve a fdvjp_tape_grad(handle(a.tape), a.id, out, length(out)))
    return out
end

"Gradients of `<seed, out>` for every input; without seed, `out` must be a scalar."
function backward!(t::Tape, out::Var; seed=nothing)
    if seed === nothing
        status = GC.@preserve t fdvjp_tape_backward(handle(t), out.id, C_NULL, 0)
    else
        s = collect(Float64, seed)
        status = GC.@preserve t fdvjp_tape_backward(handle(t), out.id, s, length(s))
    end
    finish(t, status)
end

"New values for an input (call `forward!` to replay)."
function set_input!(a::Var, x::AbstractArray{<:Real})
    xs = collect(Float64, vec(x))
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
