# Where libfdvjp is: $FDVJP_LIB, else this repository's target/release build, else the
# system loader's "libfdvjp". Read when the package is precompiled: after changing
# FDVJP_LIB, force recompilation (e.g. `Base.compilecache(Base.PkgId(FDVJP))`).
const libfdvjp = let explicit = get(ENV, "FDVJP_LIB", "")
    built = normpath(joinpath(@__DIR__, "..", "..", "..", "..", "target", "release", "libfdvjp.so"))
    !isempty(explicit) ? explicit : isfile(built) ? built : "libfdvjp"
end
