"""autograd adapter: a numerical VJP for a function autograd cannot trace.

    from autograd.extend import primitive, defvjp, defvjp_argnums
    from fdvjp.autograd import vjp_numeric

    @primitive
    def solver(a, b): ...                 # any numpy code, a C call, a subprocess ...
    defvjp(solver, vjp_numeric(solver, 0), vjp_numeric(solver, 1))
    # or both arguments in one finite-difference pass, only those autograd asks for:
    defvjp_argnums(solver, vjp_numeric(solver, (0, 1)))

`vjp_numeric(fun, argnum)` is the VJP maker `defvjp` expects: called with the answer and
the arguments, it returns `g -> g^T d fun / d args[argnum]`, computed by fdvjp at
`1 + 2n - 1` evaluations (central): autograd's answer is f(x), so it is not recomputed.
In fdvjp's evaluations the black box receives float64 arrays for floating arguments,
positional or keyword (complex128 for complex ones; integers unchanged, or float64 where
autograd differentiates them), and complex arguments follow autograd's convention (`g
f'(z)` for holomorphic f; `df/dx - i df/dy` for a real loss). The forward call is
autograd's, with the caller's dtypes: its answer is reused as f(x) only when those are
what the black box gets from fdvjp, else f(x) is evaluated again (one more evaluation).
"""

import inspect

import numpy as np

from .config import check_per_argument, validate_options
from .policy import host_array, kind, narrow
from .problem import Problem


def _check_argnums(fun, argnums):
    """Rejects, when the maker is built, an argnum that fun's signature cannot have."""
    for a in argnums:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool) or a < 0:
            raise ValueError(f"fdvjp.autograd.vjp_numeric: argnum must be a non-negative int, got {a!r}")
    raw = getattr(fun, "fun", fun)  # an autograd primitive wraps the raw function as .fun
    try:
        params = inspect.signature(raw).parameters.values()
    except (TypeError, ValueError):
        return  # no signature to check (a builtin, a ufunc)
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for a in argnums:
        if a >= len(positional):
            raise ValueError(f"fdvjp.autograd.vjp_numeric: argnum {a} is out of range for "
                             f"{getattr(raw, '__name__', raw)!r}, which takes {len(positional)} positional "
                             f"argument(s)")


def _boxed(value):
    """Whether autograd is tracing `value` (an outer derivative's box)."""
    from autograd.tracer import isbox

    return isbox(value)


def _per_argnum(value, argnums, name):
    """A per-argument option: one value for a single argnum, else a tuple aligned with them."""
    if value is None:
        return [None] * len(argnums)
    if len(argnums) == 1:
        return [value]
    if not isinstance(value, (tuple, list)) or len(value) != len(argnums):
        raise ValueError(f"fdvjp.autograd.vjp_numeric: {name} needs one entry per argnum {tuple(argnums)}")
    return list(value)


def _host_value(v):
    """A keyword argument as the black box gets it: a NumPy floating (complex) array or
    scalar as float64 (complex128), as positional ones; anything else unchanged."""
    floating = isinstance(v, (np.ndarray, np.generic)) and (
        v.dtype.kind in "fc" or (v.dtype.kind == "V" and v.dtype.names is None))  # bfloat16: "V"
    if floating:
        host = host_array(v)
        return v if host.dtype == v.dtype else host
    return v


def _as_gradient(grad, primal):
    """The gradient in the argument's type: a float for a scalar, the argument's floating
    dtype (complex stays complex) for an array."""
    p = np.asarray(primal)
    if kind(p.dtype) == "int":
        out_dtype = np.float64
    else:
        out_dtype = p.dtype
    grad = narrow(grad, out_dtype, "fdvjp.autograd.vjp_numeric")
    if np.ndim(primal) == 0:
        return complex(grad) if kind(out_dtype) == "complex" else float(grad)
    return grad


def vjp_numeric(fun, argnum=0, config=None, executor=None, steps=None, typical=None, bounds=None, **options):
    """A `defvjp`-ready VJP maker for argument `argnum` of `fun` (an int), or, for a tuple
    of argnums, a `defvjp_argnums`-ready maker computing the requested ones together.

    steps, typical, bounds: per argument (one value for an int argnum, a tuple aligned
    with the argnums otherwise): steps / typical scalars or arrays broadcast to the
    argument, bounds a (lower, upper) pair. executor: a `concurrent.futures.Executor` for
    the perturbed points. Other options: as `fdvjp.vjp` (or `config=`). `fun` may be the
    primitive itself: on plain arrays it runs the raw function.
    """
    single = isinstance(argnum, (int, np.integer)) and not isinstance(argnum, bool)
    argnums = (argnum,) if single else tuple(argnum)
    _check_argnums(fun, argnums)
    validate_options(options, config, "fdvjp.autograd.vjp_numeric")
    for name, value in (("steps", steps), ("typical", typical), ("bounds", bounds)):
        check_per_argument(value, name, "fdvjp.autograd.vjp_numeric")
    per = {name: _per_argnum(value, argnums, name)
           for name, value in (("steps", steps), ("typical", typical), ("bounds", bounds))}

    # An autograd primitive on plain arrays runs its raw function after looking for boxed
    # arguments (~10 us per evaluation); the perturbed points are never boxed: call it directly.
    raw = fun.fun if getattr(fun, "_is_autograd_primitive", False) and callable(getattr(fun, "fun", None)) else fun

    def gradients(wanted, ans, args, kwargs, g):
        if any(_boxed(a) for a in (g, ans, *args, *kwargs.values())):
            raise NotImplementedError(
                "fdvjp.autograd.vjp_numeric gives first derivatives only: autograd is differentiating "
                "through it again (grad of grad, hessian, jacobian of grad). Use fdvjp.jax.numeric_vjp "
                "for second derivatives (jax.hessian), or fdvjp.jacobian of a gradient you compute")

        host_kwargs = {k: _host_value(v) for k, v in kwargs.items()}

        def call(leaves):
            return [raw(*leaves, **host_kwargs)]

        # Integer arguments autograd asks for are differentiated as floats, as autograd itself
        # does (d/db sum(b sin 1) at b = [1, 2, 3] is 0.84 each; they got 0: probe10 finding 7).
        primal = args
        args = [np.asarray(a, dtype=np.float64) if i in wanted and kind(np.asarray(a).dtype) == "int"
                and np.asarray(a).dtype != np.bool_ else a for i, a in enumerate(args)]
        # autograd's answer is f at the caller's dtypes: f(x) only if the black box gets the
        # same now (float16 / float32 arguments inside f rounded it: reused, the gradient was
        # 4.5e-4 / 6.5e-7 off, as the rounding read as a jump of f; probe F6).
        same = (all(np.asarray(p).dtype == host_array(a).dtype for p, a in zip(primal, args))
                and all(host_kwargs[k] is v for k, v in kwargs.items()))

        leaf_options = [None] * len(args)
        for a in wanted:
            j = argnums.index(a)
            opts = {name: values[j] for name, values in per.items() if values[j] is not None}
            leaf_options[a] = opts or None
        problem = Problem(call, list(args), wanted, outs=[ans] if same else None, leaf_options=leaf_options,
                          config=config, executor=executor, options=options)
        grads = dict(zip(problem.diff, problem.vjp([g])))
        return [_as_gradient(grads.get(a, np.zeros(np.shape(args[a]))), args[a]) for a in wanted]

    if single:
        def maker(ans, *args, **kwargs):
            if argnum >= len(args):
                raise ValueError(f"fdvjp.autograd.vjp_numeric: argnum {argnum} but the call has {len(args)} arguments")
            return lambda g: gradients((argnum,), ans, args, kwargs, g)[0]

        return maker

    def maker_argnums(wanted, ans, args, kwargs):
        wanted = tuple(wanted)
        unknown = [a for a in wanted if a not in argnums]
        if unknown:
            raise ValueError(f"fdvjp.autograd.vjp_numeric: autograd asks for argument(s) {unknown}, "
                             f"the maker covers {argnums}")
        return lambda g: tuple(gradients(wanted, ans, args, kwargs, g))

    return maker_argnums
