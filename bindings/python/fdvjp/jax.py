"""JAX adapter: a black-box numpy function as a differentiable JAX function.

    from fdvjp.jax import numeric_vjp
    f = numeric_vjp(black_box)            # black_box: numpy arrays in, numpy array out
    jax.grad(lambda x, y: f(x, y) ** 2)(x, y)

The forward pass runs `black_box` through `jax.pure_callback`; the backward pass computes
the VJP for every argument with fdvjp (in float64) through another callback, attached with
`jax.custom_vjp`. Works under `jax.jit`; the result shape must be declared unless it is a
scalar.
"""

import jax
import jax.numpy as jnp
import numpy as np

from .derivatives import vjp


def numeric_vjp(fun, result_shape=(), config=None, **options):
    """Wraps `fun(*arrays) -> array` for JAX with a finite-difference VJP.

    `result_shape` is the shape of fun's output (a tuple; default a scalar); its dtype is
    that of the arguments. Options are those of `fdvjp.vjp`.
    """
    result_shape = tuple(result_shape)

    def out_spec(args):
        dtype = jnp.result_type(*args)
        return jax.ShapeDtypeStruct(result_shape, dtype)

    def host_forward(*args):
        dtype = np.result_type(*(np.asarray(a).dtype for a in args))
        return np.asarray(fun(*args), dtype=dtype).reshape(result_shape)

    def host_backward(g, *args):
        grads = []
        for i, primal in enumerate(args):

            def partial(x, i=i):
                call_args = list(args)
                call_args[i] = x
                return fun(*call_args)

            grad = vjp(partial, np.asarray(primal, dtype=np.float64), np.asarray(g, dtype=np.float64),
                       config=config, **options)
            grads.append(grad.astype(primal.dtype))
        return tuple(grads)

    @jax.custom_vjp
    def wrapped(*args):
        return jax.pure_callback(host_forward, out_spec(args), *args, vmap_method="sequential")

    def forward(*args):
        return wrapped(*args), args

    def backward(args, g):
        specs = tuple(jax.ShapeDtypeStruct(jnp.shape(a), jnp.result_type(a)) for a in args)
        return jax.pure_callback(host_backward, specs, g, *args, vmap_method="sequential")

    wrapped.defvjp(forward, backward)
    return wrapped
