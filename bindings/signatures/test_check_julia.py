"""The Julia signature check passes on the package and catches each kind of mistake it is
meant to catch (so that its passing means something)."""

import c_header
import check_julia

FUNCTIONS = c_header.functions()
GOOD = """
fdvjp_vjp(cfg, f, user, x, n, m, v, grad) =
    ccall((:fdvjp_vjp, libfdvjp), Int32,
          (Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Csize_t, Ptr{Cdouble}, Ptr{Cdouble}),
          cfg, f, user, x, n, m, v, grad)  # a comment with (parentheses, and commas)
fdvjp_tape_len(t, v, len) = ccall((:fdvjp_tape_len, libfdvjp), Int32, (Ptr{Cvoid}, fdvjp_var, Ref{Csize_t}), t, v, len)
"""


def problems(source):
    return check_julia.check_source(source, "test.jl", FUNCTIONS)[0]


def test_the_package_passes():
    found, _, count = check_julia.check_package()
    assert count >= 50, count
    assert found == []


def test_a_correct_source_passes():
    assert problems(GOOD) == []


def test_missing_function_is_caught():
    assert any("fdvjp_vjpp is not a function" in p for p in problems(GOOD.replace(":fdvjp_vjp,", ":fdvjp_vjpp,")))


def test_wrong_number_of_argument_types_is_caught():
    bad = GOOD.replace("Ptr{Cdouble}, Ptr{Cdouble}),", "Ptr{Cdouble}),", 1)
    assert any("takes 8 arguments, ccall declares 7" in p for p in problems(bad))


def test_wrong_argument_type_is_caught():
    bad = GOOD.replace("Csize_t, Csize_t, Ptr{Cdouble}", "Csize_t, Int32, Ptr{Cdouble}", 1)
    assert any("argument m is size_t in C, ccall declares Int32" in p for p in problems(bad))
    bad = GOOD.replace("fdvjp_var, Ref{Csize_t}", "Csize_t, Ref{Csize_t}")
    assert any("argument v is var in C" in p for p in problems(bad))
    bad = GOOD.replace("Ptr{Cvoid}, Ptr{Cdouble}, Csize_t", "Ptr{Cvoid}, Cdouble, Csize_t", 1)
    assert any("argument x is double* in C" in p for p in problems(bad))


def test_wrong_return_type_and_argument_count_are_caught():
    bad = GOOD.replace("libfdvjp), Int32,\n", "libfdvjp), Cvoid,\n", 1)
    assert any("returns int32, ccall says Cvoid" in p for p in problems(bad))
    bad = GOOD.replace("cfg, f, user, x, n, m, v, grad)", "cfg, f, user, x, n, m, v)")
    assert any("8 types declared but 7 arguments passed" in p for p in problems(bad))


def test_wrong_library_is_caught():
    assert any("not libfdvjp" in p for p in problems(GOOD.replace("(:fdvjp_tape_len, libfdvjp)", "(:fdvjp_tape_len, \"libm\")")))


# The package's own code calls the generated wrappers; those calls are checked too.
OWN = """
function reshaped(a, dims)
    shape = c_shape(dims)
    ids = fdvjp_var[a.id]
    return record((h, out) -> fdvjp_tape_reshape(h, a.id, shape, length(shape), out), a.tape)
end
ndims_of(a) = (nd = Ref{Csize_t}(0); check(fdvjp_tape_ndim(handle(a.tape), a.id, nd)); nd[])
"The docs may name fdvjp_tape_reshape(t, a) with any arguments."
"""


def wrapper_problems(source):
    return check_julia.check_wrapper_calls(source, "own.jl", FUNCTIONS)


def test_the_package_s_own_calls_are_checked():
    assert wrapper_problems(OWN) == ([], 2)
    # the tape's files (shapes, matmul, reshape included) each pass, with every call counted
    results = [wrapper_problems(p.read_text()) for p in sorted(check_julia.PACKAGE.glob("src/tape*.jl"))]
    assert [p for problems, _ in results for p in problems] == []
    assert sum(count for _, count in results) >= 25


def test_a_wrapper_call_with_a_wrong_argument_count_is_caught():
    bad = OWN.replace("shape, length(shape), out)", "shape, out)")
    assert any("fdvjp_tape_reshape takes 5 arguments, the call passes 4" in p for p in wrapper_problems(bad)[0])


def test_a_wrapper_call_with_an_evidently_wrong_argument_is_caught():
    def caught(old, new, what):
        problems = wrapper_problems(OWN.replace(old, new, 1))[0]
        assert any(what in p for p in problems), problems

    caught("shape = c_shape(dims)", "shape = Int[reverse(dims)...]", "argument shape is size_t* in C")
    caught("shape = c_shape(dims)", "shape = collect(Float64, dims)", "argument shape is size_t* in C")
    caught("(h, a.id, shape", "(h, ids, shape", "argument a is var in C")
    caught("(h, a.id, shape", "(h, C_NULL, shape", "argument a is var in C")
    caught("shape, length(shape), out)", "shape, 1.5, out)", "argument ndim is size_t in C")
    caught("(handle(a.tape), a.id, nd)", "(handle(a.tape), a.id, ids)", "argument ndim is size_t* in C")


def test_an_unknown_fdvjp_name_is_caught():
    assert any("fdvjp_tape_ndims is not a function" in p
               for p in wrapper_problems(OWN.replace("fdvjp_tape_ndim(", "fdvjp_tape_ndims("))[0])
