# Julia functions as C callbacks. A trampoline is a top-level function turned into a C
# function pointer by @cfunction; the Julia function travels as the `user` pointer
# (pointer_from_objref of a Callback, kept alive by GC.@preserve or by the tape that
# keeps it). No exception may unwind through C frames: the trampoline stores the first
# one, returns non-zero so that fdvjp aborts, and the caller rethrows it.

mutable struct Callback
    f::Any          # x -> y
    adjoint::Any    # (x, y, v) -> v' J(x), for a tape call with its own VJP
    m::Int          # number of outputs of f
    error::Any      # the first exception thrown inside a callback, or nothing
end

Callback(f, m::Integer) = Callback(f, nothing, Int(m), nothing)

"Copies f's result (a number or any collection of m values) into C's output buffer."
function store_output!(y::Ptr{T}, m::Int, out) where {T}
    if out isa Number
        m == 1 || throw(DimensionMismatch("FDVJP: the function returned a scalar where $m values were expected"))
        unsafe_store!(y, convert(T, out))
    else
        length(out) == m ||
            throw(DimensionMismatch("FDVJP: the function returned $(length(out)) values where $m were expected"))
        ys = unsafe_wrap(Array, y, m)
        for (i, value) in enumerate(out)
            ys[i] = value
        end
    end
    return nothing
end

function capture!(cb::Callback, e)
    cb.error === nothing && (cb.error = e)
    return Int32(1)
end

function real_trampoline(user::Ptr{Cvoid}, x::Ptr{Cdouble}, n::Csize_t, y::Ptr{Cdouble}, m::Csize_t)::Int32
    cb = unsafe_pointer_to_objref(user)::Callback
    try
        xs = copy(unsafe_wrap(Array, x, Int(n)))  # C's buffer lives only for this call
        store_output!(y, Int(m), cb.f(xs))
        return Int32(0)
    catch e
        return capture!(cb, e)
    end
end

# fdvjp_cfn: interleaved re/im doubles, the memory of Vector{ComplexF64}.
function complex_trampoline(user::Ptr{Cvoid}, z::Ptr{Cdouble}, n::Csize_t, w::Ptr{Cdouble}, m::Csize_t)::Int32
    cb = unsafe_pointer_to_objref(user)::Callback
    try
        zs = copy(unsafe_wrap(Array, Ptr{ComplexF64}(z), Int(n)))
        store_output!(Ptr{ComplexF64}(w), Int(m), cb.f(zs))
        return Int32(0)
    catch e
        return capture!(cb, e)
    end
end

function adjoint_trampoline(user::Ptr{Cvoid}, x::Ptr{Cdouble}, n::Csize_t, y::Ptr{Cdouble}, m::Csize_t,
                            v::Ptr{Cdouble}, grad::Ptr{Cdouble})::Int32
    cb = unsafe_pointer_to_objref(user)::Callback
    try
        xs = copy(unsafe_wrap(Array, x, Int(n)))
        ys = copy(unsafe_wrap(Array, y, Int(m)))
        vs = copy(unsafe_wrap(Array, v, Int(m)))
        store_output!(grad, Int(n), cb.adjoint(xs, ys, vs))
        return Int32(0)
    catch e
        return capture!(cb, e)
    end
end

# fdvjp_batch_fn: k points of n values (columns of an n×k matrix, Julia's own layout),
# their values the columns of an m×k matrix.
function batch_trampoline(user::Ptr{Cvoid}, xs::Ptr{Cdouble}, n::Csize_t, k::Csize_t, ys::Ptr{Cdouble},
                          m::Csize_t)::Int32
    cb = unsafe_pointer_to_objref(user)::Callback
    try
        points = copy(unsafe_wrap(Array, xs, (Int(n), Int(k))))
        store_output!(ys, Int(m) * Int(k), cb.f(points))
        return Int32(0)
    catch e
        return capture!(cb, e)
    end
end

# fdvjp_progress_fn: `false` from the Julia function (or an exception) cancels.
function progress_trampoline(user::Ptr{Cvoid}, done::Csize_t, total::Csize_t)::Int32
    cb = unsafe_pointer_to_objref(user)::Callback
    try
        return cb.f(Int(done), Int(total)) === false ? Int32(1) : Int32(0)
    catch e
        return capture!(cb, e)
    end
end

batch_cfunction() =
    @cfunction(batch_trampoline, Int32, (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Csize_t))
progress_cfunction() = @cfunction(progress_trampoline, Int32, (Ptr{Cvoid}, Csize_t, Csize_t))
real_cfunction() = @cfunction(real_trampoline, Int32, (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t))
complex_cfunction() =
    @cfunction(complex_trampoline, Int32, (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t))
adjoint_cfunction() = @cfunction(adjoint_trampoline, Int32,
                                 (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}, Csize_t, Ptr{Cdouble},
                                  Ptr{Cdouble}))

"""
    with_callback(call, cb) -> nothing

Runs `call(user)` with `user` the address of `cb`, kept alive for the call; then rethrows
the callback's exception (it caused the failure) or throws for a non-zero status.
"""
function with_callback(call, cb::Callback)
    status = GC.@preserve cb call(pointer_from_objref(cb))
    if cb.error !== nothing
        e, cb.error = cb.error, nothing
        throw(e)
    end
    check(status)
    return nothing
end
