"""autograd adapter: a numerical VJP for a function autograd cannot trace.

    from autograd.extend import primitive, defvjp
    from fdvjp.autograd import vjp_numeric

    @primitive
    def solver(a, b): ...                 # any numpy code, a C call, a subprocess ...
    defvjp(solver, vjp_numeric(solver, 0), vjp_numeric(solver, 1))

`vjp_numeric(fun, argnum)` is the VJP maker `defvjp` expects: called with the answer and
the arguments, it returns `g -> g^T d fun / d args[argnum]`, computed by fdvjp.
"""

import numpy as np

from .derivatives import vjp


def vjp_numeric(fun, argnum=0, config=None, **options):
    """A `defvjp`-ready VJP maker for argument `argnum` of `fun` (options as `fdvjp.vjp`).

    `fun` may be the primitive itself: on plain arrays it runs the raw function.
    """

    def maker(ans, *args, **kwargs):
        primal = args[argnum]

        def partial(x):
            call_args = list(args)
            call_args[argnum] = x
            return fun(*call_args, **kwargs)

        def vjp_of_g(g):
            grad = vjp(partial, primal, np.asarray(g, dtype=np.float64), config=config, **options)
            return grad if np.ndim(primal) else float(grad)

        return vjp_of_g

    return maker
