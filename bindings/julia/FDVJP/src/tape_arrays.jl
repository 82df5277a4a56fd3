# Tape variables as Julia arrays. The C tape's shapes are row-major: its array of shape
# `[d_k, ..., d_1]` is laid out in memory exactly as Julia's column-major array of dims
# `(d_1, ..., d_k)`. So a Julia array goes to C as its own memory under its dims reversed,
# and comes back the same way: no element is ever moved, and every dims shown to the user
# are Julia's. What follows from it:
# - elementwise ops, sums, norms, `dot` and `set_input!` see the same elements in the same
#   order on both sides;
# - `reshape` keeps the memory order on both sides, so C's reshape under the reversed dims
#   is Julia's `reshape`; a range `a[2:3]` is Julia's linear (column-major) indexing;
# - C's matrix `[k, m]` holding a Julia `m×k` matrix A is A', so Julia's `A * B` is C's
#   `matmul(B, A)` ((A B)' = B' A'), and `A * v` goes through v as a `k×1` matrix.

"The C shape (row-major) whose memory is that of a Julia array of dims `dims`."
c_shape(dims) = Csize_t[reverse(Tuple(dims))...]

"A Julia value from C's buffer already in Julia's dims: a number for 0 dimensions."
shaped_value(buf::AbstractArray) = ndims(buf) == 0 ? buf[] : buf
shaped_value(flat::AbstractVector, dims::Tuple) = isempty(dims) ? flat[1] : reshape(flat, dims)

"The one size_t that `query(tape handle, id, out)` writes for a variable."
function var_count(query, a::Var)
    out = Ref{Csize_t}(0)
    check(GC.@preserve a query(handle(a.tape), a.id, out))
    return Int(out[])
end

"The number of elements of a variable."
Base.length(a::Var) = var_count((h, id, out) -> fdvjp_tape_len(h, id, out), a)

"The number of dimensions of a variable (0 for a scalar)."
Base.ndims(a::Var) = var_count((h, id, out) -> fdvjp_tape_ndim(h, id, out), a)

"A variable's dims, as Julia gave them (`()` for a scalar)."
function Base.size(a::Var)
    shape = zeros(Csize_t, ndims(a))
    check(GC.@preserve a fdvjp_tape_shape(handle(a.tape), a.id, shape, length(shape)))
    return Tuple(Int.(reverse(shape)))
end
Base.size(a::Var, d::Integer) = (dims = size(a); d <= length(dims) ? dims[d] : 1)

"""
    reshape(a, dims...) -> Var

`a`'s elements, in the same (column-major) order, under new dims with as many elements,
as Julia's `reshape` (a differentiable node; `reshape(a, ())` of one element is a scalar).
"""
function Base.reshape(a::Var, dims::Tuple{Vararg{Integer}})
    shape = c_shape(dims)
    return record((h, out) -> fdvjp_tape_reshape(h, a.id, shape, length(shape), out), a.tape)
end
Base.reshape(a::Var, dims::Integer...) = reshape(a, dims)
Base.vec(a::Var) = reshape(a, (length(a),))

"""
    matmul(A, B) -> Var

Julia's matrix product `A * B` of a matrix variable `A` (m×k) with a matrix (k×n) or
vector (k) variable `B`, giving m×n or m. `A * B` calls it when A is a matrix.
"""
function matmul(a::Var, b::Var)
    ndims(a) == 2 || throw(DimensionMismatch("FDVJP.matmul: A has dims $(size(a)), not a matrix's"))
    nb = ndims(b)
    nb in (1, 2) || throw(DimensionMismatch("FDVJP.matmul: B has dims $(size(b)), not a matrix's or a vector's"))
    size(a, 2) == size(b, 1) ||
        throw(DimensionMismatch("FDVJP.matmul: A has dims $(size(a)), B has dims $(size(b))"))
    nb == 1 && return vec(matmul(a, reshape(b, (length(b), 1))))
    return record((h, out) -> fdvjp_tape_matmul(h, b.id, a.id, out), a.tape)
end

Base.:*(a::Var, b::Var) = ndims(a) == 2 ? matmul(a, b) : binary(FDVJP_OP_MUL, a, b)
Base.:*(a::AbstractMatrix{<:Real}, b::Var) = matmul(constant(b.tape, a), b)
Base.:*(a::Var, b::AbstractVecOrMat{<:Real}) = matmul(a, constant(a.tape, b))

"""
    transpose(A) -> Var

As Julia's: the n×m transpose of an m×n matrix variable, an exact linear node (its
adjoint transposes back); a vector of n becomes a 1×n matrix (so `v' * A` and `v' * w`
are matrix products), a scalar stays itself. `A'` is the same for real values.
"""
function Base.transpose(a::Var)
    nd = ndims(a)
    nd == 0 && return a
    nd == 1 && return reshape(a, (1, length(a)))
    nd == 2 || throw(DimensionMismatch("FDVJP: transpose of a variable of dims $(size(a))"))
    m, n = size(a)
    t = call_vjp(a.tape, x -> vec(permutedims(x)), (x, y, v) -> vec(permutedims(reshape(v, n, m))), a; m=m * n)
    return reshape(t, (n, m))
end
Base.adjoint(a::Var) = transpose(a)
