"""NumPy on tape variables: `np.exp(v)`, `np.sum(v)`, `w @ v`, `v[[0, 2]]`, `v.T`, ...

`Var.__array_ufunc__` maps NumPy's ufuncs onto the tape's built-in ops and
`Var.__array_function__` its functions; anything else raises a TypeError naming the
operation (never a silent conversion of the Var to an array, which would cut it off the
tape). Indexing and transposition the C tape has no op for are recorded as exact linear
nodes (a custom-VJP call whose adjoint scatters / transposes back), so their gradients are
exact and they replay with the tape.
"""

import numpy as np

UFUNC_UNARY = {
    np.negative: "neg", np.exp: "exp", np.log: "log", np.log1p: "log1p", np.sqrt: "sqrt", np.sin: "sin",
    np.cos: "cos", np.tan: "tan", np.tanh: "tanh", np.absolute: "abs", np.square: "square",
}
UFUNC_BINARY = {np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "div", np.power: "pow"}


def _unsupported(what):
    return TypeError(f"fdvjp.Var: {what} is not supported on tape variables (supported: the ufuncs "
                     f"{sorted(f.__name__ for f in list(UFUNC_UNARY) + list(UFUNC_BINARY))}, matmul, and "
                     f"the functions {sorted(f.__name__ for f in FUNCTIONS)})")


def _tape_of(values):
    from .var import Var

    for v in values:
        if isinstance(v, Var):
            return v.tape
    raise TypeError("fdvjp.Var: no tape variable among the operands")


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    name = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    if method != "__call__" or kwargs:
        raise _unsupported(name + (f" with {sorted(kwargs)}" if kwargs else ""))
    tape = _tape_of(inputs)
    if ufunc in UFUNC_UNARY and len(inputs) == 1:
        return tape.unary(UFUNC_UNARY[ufunc], inputs[0])
    if ufunc is np.power and np.ndim(inputs[1]) == 0 and not hasattr(inputs[1], "tape"):
        return tape.pow_scalar(inputs[0], float(inputs[1]))
    if ufunc in UFUNC_BINARY and len(inputs) == 2:
        return tape.binary(UFUNC_BINARY[ufunc], *inputs)
    if ufunc is np.matmul:
        return matmul(tape, *inputs)
    raise _unsupported(name)


def _shape(a):
    return a.shape if hasattr(a, "tape") else np.shape(a)


def matmul(tape, a, b):
    """NumPy's matmul for 1-D and 2-D operands on the C ops (matrix @ matrix or vector)."""
    sa, sb = _shape(a), _shape(b)
    if len(sa) == 1 and len(sb) == 1:
        return tape.dot(a, b)
    if len(sa) == 2 and len(sb) in (1, 2):
        return tape.matmul(a, b)
    if len(sa) == 1 and len(sb) == 2:  # a @ B = B^T a
        bt = transpose(tape, b) if hasattr(b, "tape") else np.ascontiguousarray(np.transpose(b))
        return tape.matmul(bt, a)
    raise _unsupported(f"numpy.matmul of shapes {sa} and {sb}")


def _linear(tape, forward, adjoint, a, shape):
    """An exact linear node y = forward(a) (shape `shape`) with v -> adjoint(v)."""
    node = tape.call_vjp(lambda x: np.asarray(forward(x)).reshape(-1), lambda v, y, x: adjoint(v), a,
                         m=int(np.prod(shape)))
    return tape.reshape(node, shape)


def transpose(tape, a, axes=None):
    shape = a.shape
    if len(shape) < 2 and axes is None:
        return a
    axes = tuple(reversed(range(len(shape)))) if axes is None else tuple(axes)
    inverse = np.argsort(axes)
    out_shape = tuple(shape[i] for i in axes)
    return _linear(tape, lambda x: np.transpose(x, axes),
                   lambda v: np.transpose(v.reshape(out_shape), inverse), a, out_shape)


def getitem(a, index):
    """a[index] for any NumPy index: contiguous ranges as C slices, the rest (fancy,
    strided, multi-dimensional) as an exact gather node whose adjoint scatters back."""
    tape = a.tape
    shape = a.shape
    if isinstance(index, (int, np.integer)) and len(shape) <= 1:
        n = int(np.prod(shape))
        i = int(index) + n if index < 0 else int(index)
        if not 0 <= i < n:
            raise IndexError(f"fdvjp.Var: index {index} out of range for {n} elements")
        return tape.reshape(tape.slice(a, i, 1), ())
    if isinstance(index, slice) and len(shape) == 1:
        start, stop, step = index.indices(shape[0])
        if step == 1:
            return tape.slice(a, start, max(stop - start, 0))
    probe = np.zeros(shape)[index]  # raises NumPy's own IndexError for a bad index
    out_shape = probe.shape

    def scatter(v):
        g = np.zeros(shape)
        np.add.at(g, index, v.reshape(out_shape))
        return g

    return _linear(tape, lambda x: x[index], scatter, a, out_shape)


def _sum(a, axis=None, **kw):
    if axis is not None or kw:
        raise _unsupported(f"numpy.sum with {'axis' if axis is not None else sorted(kw)}")
    return a.tape.reduce("sum", a)


def _mean(a, axis=None, **kw):
    if axis is not None or kw:
        raise _unsupported(f"numpy.mean with {'axis' if axis is not None else sorted(kw)}")
    return a.tape.reduce("mean", a)


def _norm(a, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2, "fro") or axis is not None or keepdims:
        raise _unsupported("numpy.linalg.norm with ord/axis/keepdims")
    return a.tape.reduce("norm2", a)


def _dot(a, b):
    tape = _tape_of((a, b))
    return matmul(tape, a, b) if len(_shape(a)) == 2 else (tape.dot(a, b) if len(_shape(b)) == 1
                                                           else matmul(tape, a, b))


def _reshape(a, shape, *args, **kw):
    if args or kw:
        raise _unsupported("numpy.reshape with order")
    return a.tape.reshape(a, shape)


def _concatenate(arrays, axis=0, **kw):
    arrays = list(arrays)
    tape = _tape_of(arrays)
    if kw or axis != 0 or any(len(_shape(x)) != 1 for x in arrays):
        raise _unsupported("numpy.concatenate other than of 1-D arrays along axis 0")
    return tape.concat(*arrays)


FUNCTIONS = {
    np.sum: _sum, np.mean: _mean, np.linalg.norm: _norm, np.dot: _dot,
    np.reshape: _reshape, np.concatenate: _concatenate,
    np.transpose: lambda a, axes=None: transpose(a.tape, a, axes),
    np.matmul: lambda a, b: matmul(_tape_of((a, b)), a, b),
}


def array_function(self, func, types, args, kwargs):
    implementation = FUNCTIONS.get(func)
    if implementation is None:
        raise _unsupported(f"numpy.{getattr(func, '__name__', func)}")
    return implementation(*args, **kwargs)
