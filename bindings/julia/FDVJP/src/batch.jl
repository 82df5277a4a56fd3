# Batch functions: f gets k points as the columns of an n×k matrix and returns the m×k
# matrix of their values, so it can vectorize, or hand the points to a GPU, MPI ranks or a
# cluster queue. The config's `batch_size` bounds k.

"`vjp` with a batch function `f(points::Matrix) -> m×k values`."
function vjp_batch(f, x::AbstractVector{<:Real}, v; cfg::Union{Config,Nothing}=nothing, options...)
    xs, vs = collect(Float64, x), cotangent(v)
    grad = Vector{Float64}(undef, length(xs))
    cb = Callback(f, length(vs))
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_vjp_batch(h, batch_cfunction(), user, xs, length(xs), length(vs), vs, grad)
        end
    end
    return grad
end

"`jvp` with a batch function; `m` is f's number of outputs."
function jvp_batch(f, x::AbstractVector{<:Real}, u::AbstractVector{<:Real}, m::Integer;
                   cfg::Union{Config,Nothing}=nothing, options...)
    xs, us = collect(Float64, x), collect(Float64, u)
    out = Vector{Float64}(undef, m)
    cb = Callback(f, m)
    with_config(cfg, options) do h, _
        with_callback(cb) do user
            fdvjp_jvp_batch(h, batch_cfunction(), user, xs, length(xs), m, us, out)
        end
    end
    return out
end

"The m×n Jacobian with a batch function."
function jacobian_batch(f, x::AbstractVector{<:Real}, m::Integer; cfg::Union{Config,Nothing}=nothing, options...)
    xs = collect(Float64, x)
    n = length(xs)
    buf = Vector{Float64}(undef, m * n)
    cb = Callback(f, m)
    layout = with_config(cfg, options) do h, layout
        with_callback(cb) do user
            fdvjp_jacobian_batch(h, batch_cfunction(), user, xs, n, m, buf)
        end
        layout
    end
    return from_layout(buf, m, n, layout)
end
