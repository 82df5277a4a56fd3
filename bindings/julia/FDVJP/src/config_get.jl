# Reading a Config back from the C library (fdvjp_config_get_*), and the library's version.

const SCHEME_NAMES = Dict(v => k for (k, v) in SCHEMES)
const NOISE_MODE_NAMES = Dict(v => k for (k, v) in NOISE_MODES)

# An option's k arrays (each of one stored length): the length first, then the copy.
function stored_arrays(getter, h, k::Int, ::Type{T}) where {T}
    count = Ref{Csize_t}(0)
    nulls = ntuple(_ -> Ptr{T}(C_NULL), k)
    check(getter(h, nulls..., Csize_t(0), count))
    arrays = ntuple(_ -> Vector{T}(undef, count[]), k)
    count[] == 0 || check(getter(h, arrays..., count[], count))
    return arrays
end

function stored_scalar(getter, h, ::Type{T}) where {T}
    out = Ref{T}(zero(T))
    check(getter(h, out))
    return out[]
end

"""
    FDVJP.getoption(cfg::Config, option::Symbol)

The value of `option` (a [`Config`](@ref) keyword) as the C config stores it: `:scheme` and
`:noise_mode` as symbols, `:adaptive` and `:learn_sparsity` as Bools, arrays as vectors (`nothing` when unset),
`:bounds` and `:sparsity` as pairs of vectors (sparsity: the distinct 0-based entries by
column, then row), `:progress` as whether one is registered.
"""
function getoption(cfg::Config, option::Symbol)
    h = handle(cfg)
    value = GC.@preserve cfg stored_option(h, option)
    return value
end

"The option behind the live config handle `h` (see [`getoption`](@ref))."
function stored_option(h, option::Symbol)
    option === :scheme && return SCHEME_NAMES[stored_scalar(fdvjp_config_get_scheme, h, Int32)]
    option === :layout && return stored_scalar(fdvjp_config_get_layout, h, Int32)
    option === :relative_step && return stored_scalar(fdvjp_config_get_relative_step, h, Cdouble)
    option === :adaptive && return stored_scalar(fdvjp_config_get_adaptive, h, Int32) != 0
    option === :learn_sparsity && return stored_scalar(fdvjp_config_get_learn_sparsity, h, Int32) != 0
    option === :threads && return Int(stored_scalar(fdvjp_config_get_threads, h, Csize_t))
    option === :batch_size && return Int(stored_scalar(fdvjp_config_get_batch_size, h, Csize_t))
    option === :noise_mode && return NOISE_MODE_NAMES[stored_scalar(fdvjp_config_get_noise_mode, h, Int32)]
    getter = option === :steps ? fdvjp_config_get_steps : option === :typical ? fdvjp_config_get_typical :
             option === :noise ? fdvjp_config_get_noise : nothing
    if getter !== nothing
        (values,) = stored_arrays(getter, h, 1, Cdouble)
        return isempty(values) ? nothing : values
    end
    if option === :bounds || option === :sparsity
        pair = option === :bounds ? stored_arrays(fdvjp_config_get_bounds, h, 2, Cdouble) :
               stored_arrays(fdvjp_config_get_sparsity, h, 2, Csize_t)
        return isempty(pair[1]) ? nothing : pair
    end
    if option === :progress
        f = Ref{Ptr{Cvoid}}(C_NULL)
        user = Ref{Ptr{Cvoid}}(C_NULL)
        check(fdvjp_config_get_progress(h, f, user))
        return f[] != C_NULL
    end
    throw(ArgumentError("FDVJP.getoption: unknown option $(repr(option))"))
end

"""
    FDVJP.version() -> (major, minor, patch, text)

The loaded library's version (compare with `FDVJP_VERSION_*`, the header's).
"""
function version()
    major, minor, patch = Ref{Int32}(0), Ref{Int32}(0), Ref{Int32}(0)
    text = unsafe_string(fdvjp_version(major, minor, patch))
    return (Int(major[]), Int(minor[]), Int(patch[]), text)
end
