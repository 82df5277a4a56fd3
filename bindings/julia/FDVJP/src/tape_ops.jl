# Built-in ops of tape variables: Base's arithmetic and functions, elementwise, also
# dotted; reductions, ranges and vcat. `*` of a matrix and `transpose` are in tape_arrays.jl.

unary(op, a::Var) = record((h, out) -> fdvjp_tape_unary(h, op, a.id, out), a.tape)
reduce_var(op, a::Var) = record((h, out) -> fdvjp_tape_reduce(h, op, a.id, out), a.tape)

"`a op b` elementwise; operands of other dims (neither a scalar) throw DimensionMismatch
naming Julia's dims (C's message would name its reversed shapes)."
function binary(op, a::Var, b::Var)
    try
        return record((h, out) -> fdvjp_tape_binary(h, op, a.id, b.id, out), a.tape)
    catch e
        e isa FDVJPError && e.status == FDVJP_SHAPE_MISMATCH || rethrow()
        throw(DimensionMismatch("FDVJP: an elementwise op of dims $(size(a)) and $(size(b)): the dims must " *
                                "be equal, or one operand a scalar"))
    end
end

# `*` is elementwise here only with a number; Var * Var is in tape_arrays.jl.
for (f, op) in ((:+, FDVJP_OP_ADD), (:-, FDVJP_OP_SUB), (:*, FDVJP_OP_MUL), (:/, FDVJP_OP_DIV))
    f == :* || @eval Base.$f(a::Var, b::Var) = binary($op, a, b)
    @eval Base.$f(a::Var, b::Real) = binary($op, a, constant(a.tape, b))
    @eval Base.$f(a::Real, b::Var) = binary($op, constant(b.tape, a), b)
end
# Dotted forms (`a .* b`, `a .+ 1`): each returns a Var at once (Base's `materialize`
# passes a non-Broadcasted value through), so a fused expression records one node per op.
for (f, op) in ((:+, FDVJP_OP_ADD), (:-, FDVJP_OP_SUB), (:*, FDVJP_OP_MUL), (:/, FDVJP_OP_DIV),
                (:^, FDVJP_OP_POW))
    @eval Base.broadcasted(::typeof($f), a::Var, b::Var) = binary($op, a, b)
    f == :^ || @eval Base.broadcasted(::typeof($f), a::Var, b::Real) = binary($op, a, constant(a.tape, b))
    @eval Base.broadcasted(::typeof($f), a::Real, b::Var) = binary($op, constant(b.tape, a), b)
end
Base.broadcasted(::typeof(^), a::Var, p::Real) = a^p  # the scalar power: exact derivative p a^(p-1)
Base.broadcasted(::typeof(Base.literal_pow), ::typeof(^), a::Var, ::Val{p}) where {p} = a^p
for (f, op) in ((:exp, FDVJP_OP_EXP), (:log, FDVJP_OP_LOG), (:log1p, FDVJP_OP_LOG1P), (:sqrt, FDVJP_OP_SQRT),
                (:sin, FDVJP_OP_SIN), (:cos, FDVJP_OP_COS), (:tan, FDVJP_OP_TAN), (:tanh, FDVJP_OP_TANH),
                (:abs, FDVJP_OP_ABS), (:-, FDVJP_OP_NEG), (:abs2, FDVJP_OP_SQUARE))
    @eval Base.$f(a::Var) = unary($op, a)
    @eval Base.broadcasted(::typeof($f), a::Var) = unary($op, a)
end
Base.:+(a::Var) = a
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

Elements `first : first+len-1` of the variable in Julia's linear (column-major) order,
counting from 1 as Julia does (a vector variable); also written `a[first:last]`.
"""
function slice(a::Var, first::Integer, len::Integer)
    first >= 1 || throw(BoundsError(a, first))
    len >= 0 || throw(ArgumentError("FDVJP.slice: len = $len is negative"))
    return record((h, out) -> fdvjp_tape_slice(h, a.id, first - 1, len, out), a.tape)
end
Base.getindex(a::Var, r::AbstractUnitRange{<:Integer}) = slice(a, first(r), length(r))
Base.firstindex(::Var) = 1
Base.lastindex(a::Var) = length(a)

"""
The concatenation of vector and scalar variables of one tape (a vector variable):
`vcat(a, b, ...)`. A matrix is refused (Julia's vcat would stack its rows): `vec(A)`
gives its elements.
"""
function Base.vcat(a::Var, vars::Var...)
    for v in (a, vars...)
        ndims(v) <= 1 || throw(ArgumentError("FDVJP: vcat of a variable of dims $(size(v)); use vec(A)"))
    end
    ids = fdvjp_var[v.id for v in (a, vars...)]
    return record((h, out) -> fdvjp_tape_concat(h, ids, length(ids), out), a.tape)
end

