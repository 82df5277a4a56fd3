"""
    FDVJPError(status, message)

A failed fdvjp call: `status` is the C status code (e.g. `FDVJP_NONFINITE_AT_X`) and
`message` the text of `fdvjp_last_error`, naming the function, argument and value.
"""
struct FDVJPError <: Exception
    status::Int32
    message::String
end

"The static name of a status code, e.g. \"FDVJP_NULL_POINTER\"."
status_name(status::Integer) = unsafe_string(fdvjp_status_str(Int32(status)))

Base.showerror(io::IO, e::FDVJPError) = print(io, "FDVJPError: ", status_name(e.status), ": ", e.message)

"This thread's last-error message (empty after a successful call)."
function last_error()
    n = fdvjp_last_error(C_NULL, 0)
    buf = Vector{UInt8}(undef, n + 1)
    n = fdvjp_last_error(buf, length(buf))
    return String(buf[1:n])
end

"Throws an `FDVJPError` for a non-zero status, reading the thread-local message at once."
check(status::Integer) = status == FDVJP_OK ? nothing : throw(FDVJPError(status, last_error()))

"""
    FDVJP.last_report() -> FDVJP.fdvjp_report

What the last finite-difference computation on this thread did: `evaluations`,
`directions`, the directions refined and why (`refined_large`, `refined_rounding`,
`refined_noise`), fall-backs, `error_bound` (NaN when `unbounded_directions > 0`: some
direction has no bound), `noise_level` and its `noise_source` (`completed == 0` for a
failed computation). Fields as in fdvjp.h's `fdvjp_report`.
"""
function last_report()
    out = Ref{fdvjp_report}()
    check(fdvjp_last_report(out, sizeof(fdvjp_report)))
    return out[]
end

"The noise level of each output of f in the last computation on this thread (0 where none)."
function last_report_noise()
    levels = Vector{Float64}(undef, fdvjp_last_report_noise(C_NULL, 0))
    n = fdvjp_last_report_noise(levels, length(levels))
    return levels[1:min(n, length(levels))]
end
