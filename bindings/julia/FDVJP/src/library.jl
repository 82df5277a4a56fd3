# Where libfdvjp is, in order: the `libfdvjp` preference (Preferences.jl, in the active
# project's LocalPreferences.toml; set it with `FDVJP.set_library!(path)`), `ENV["FDVJP_LIB"]`,
# this repository's target/release build, else the system loader's "libfdvjp". Preferences
# are tracked by the package cache, so changing one recompiles FDVJP; the ENV fall-back is
# read at precompilation like any constant.
const libfdvjp = let preferred = @load_preference("libfdvjp", "")
    explicit = get(ENV, "FDVJP_LIB", "")
    built = normpath(joinpath(@__DIR__, "..", "..", "..", "..", "target", "release", "libfdvjp.so"))
    !isempty(preferred) ? preferred : !isempty(explicit) ? explicit : isfile(built) ? built : "libfdvjp"
end

"""
    FDVJP.set_library!(path)
    FDVJP.set_library!(nothing)

Records `path` as the library to load (the `libfdvjp` preference of the active project);
`nothing` removes it. Takes effect when Julia restarts (FDVJP is recompiled).
"""
function set_library!(path::Union{AbstractString,Nothing})
    if path === nothing
        @delete_preferences!("libfdvjp")
    else
        @set_preferences!("libfdvjp" => String(path))
    end
    @info "FDVJP will load $(path === nothing ? "the default library" : path) after Julia restarts"
    return nothing
end
