const NOISE_MODES = Dict(:auto => FDVJP_NOISE_AUTO, :estimate => FDVJP_NOISE_ESTIMATE, :off => FDVJP_NOISE_OFF)
const SCHEMES = Dict(:central => FDVJP_CENTRAL, :forward => FDVJP_FORWARD, :backward => FDVJP_BACKWARD,
                     :central4 => FDVJP_CENTRAL4)

"""
    Config(; scheme=:central, relative_step, steps, typical, bounds=(lower, upper), adaptive,
             threads, batch_size, progress, sparsity=(rows, cols), layout, noise, noise_mode)

Options of a computation, owning one `fdvjp_config` (freed by `close` or the finalizer).
Sparsity indices are 0-based, as in C. `progress(done, total)` is told how many
evaluations are done; returning `false` cancels (`FDVJP_CANCELLED`). With `threads > 1`
your function is called from fdvjp's own threads (Julia 1.9 adopts them), so it must be
thread-safe. `noise` declares f's absolute noise level (a number for every output, or one
per output); `noise_mode` is `:auto` (default), `:estimate` or `:off`. `learn_sparsity=true`
learns the Jacobian's pattern at the first `vjp`/`jacobian` (or each tape node's first
pull-back) and uses it, verified on every call (see [`detect_sparsity!`](@ref)). Invalid
values throw `FDVJPError`.
"""
mutable struct Config
    handle::Ptr{Cvoid}
    layout::Int32
    progress::Any  # the Callback of the progress function, kept alive with the config
    function Config(; options...)
        h = fdvjp_config_new()
        h == C_NULL && throw(OutOfMemoryError())
        cfg = finalizer(free!, new(h, FDVJP_ROW_MAJOR, nothing))
        for (option, value) in options
            set!(cfg, option, value)
        end
        return cfg
    end
end

function free!(cfg::Config)
    if cfg.handle != C_NULL
        fdvjp_config_free(cfg.handle)
        cfg.handle = C_NULL
    end
    return nothing
end

Base.close(cfg::Config) = free!(cfg)

handle(cfg::Config) = cfg.handle == C_NULL ? throw(ArgumentError("FDVJP.Config is closed")) : cfg.handle
handle(::Nothing) = C_NULL

doubles(values) = values === nothing ? Float64[] : collect(Float64, values)

"Sets one option of a config (see [`Config`](@ref)); returns the config."
function set!(cfg::Config, option::Symbol, value)
    h = handle(cfg)
    GC.@preserve cfg begin
        if option === :scheme
            code = value isa Symbol ? get(SCHEMES, value, nothing) : Int32(value)
            code === nothing && throw(ArgumentError("FDVJP.Config: unknown scheme $(repr(value))"))
            check(fdvjp_config_set_scheme(h, code))
        elseif option === :layout
            code = value === :row_major ? FDVJP_ROW_MAJOR : value === :col_major ? FDVJP_COL_MAJOR : Int32(value)
            check(fdvjp_config_set_layout(h, code))
            cfg.layout = code
        elseif option === :relative_step
            check(fdvjp_config_set_relative_step(h, Float64(value)))
        elseif option === :steps
            steps = doubles(value)
            check(fdvjp_config_set_steps(h, steps, length(steps)))
        elseif option === :typical
            typical = doubles(value)
            check(fdvjp_config_set_typical(h, typical, length(typical)))
        elseif option === :bounds
            lower, upper = value === nothing ? (Float64[], Float64[]) : (doubles(value[1]), doubles(value[2]))
            length(lower) == length(upper) ||
                throw(DimensionMismatch("FDVJP.Config: bounds of lengths $(length(lower)) and $(length(upper))"))
            check(fdvjp_config_set_bounds(h, lower, upper, length(lower)))
        elseif option === :sparsity
            rows, cols = value === nothing ? (Csize_t[], Csize_t[]) :
                         (collect(Csize_t, value[1]), collect(Csize_t, value[2]))
            length(rows) == length(cols) ||
                throw(DimensionMismatch("FDVJP.Config: sparsity rows and cols differ in length"))
            check(fdvjp_config_set_sparsity(h, rows, cols, length(rows)))
        elseif option === :learn_sparsity
            check(fdvjp_config_set_learn_sparsity(h, Int32(value ? 1 : 0)))
        elseif option === :adaptive
            check(fdvjp_config_set_adaptive(h, Int32(value ? 1 : 0)))
        elseif option === :threads
            check(fdvjp_config_set_threads(h, value))
        elseif option === :batch_size
            check(fdvjp_config_set_batch_size(h, value))
        elseif option === :noise
            levels = value isa Real ? [Float64(value)] : doubles(value)
            check(fdvjp_config_set_noise(h, isempty(levels) ? C_NULL : levels, length(levels)))
        elseif option === :noise_mode
            code = value isa Symbol ? get(NOISE_MODES, value, nothing) : Int32(value)
            code === nothing && throw(ArgumentError("FDVJP.Config: unknown noise_mode $(repr(value))"))
            check(fdvjp_config_set_noise_mode(h, code))
        elseif option === :progress
            cb = value === nothing ? nothing : Callback(value, 0)
            user = cb === nothing ? C_NULL : pointer_from_objref(cb)
            f = cb === nothing ? C_NULL : progress_cfunction()
            check(fdvjp_config_set_progress(h, f, user))
            cfg.progress = cb
        else
            throw(ArgumentError("FDVJP.Config: unknown option $(repr(option))"))
        end
    end
    return cfg
end

"(the config to use or nothing, whether the caller must free it)"
function resolve(cfg, options)
    isempty(options) && return (cfg, false)
    cfg === nothing || throw(ArgumentError("FDVJP: pass either cfg or keyword options, not both"))
    return (Config(; options...), true)
end
