"""`Tape`: reverse-mode recording of numpy-valued computations that mix built-in ops with
opaque Python functions (differentiated by finite differences) and functions with their
own VJP, over the C `fdvjp_tape`.

    with fdvjp.Tape() as t:
        x = t.input([1.0, 2.0])
        y = t.call(black_box, x, m=3)          # opaque: finite differences in backward
        loss = (y * y).sum()
        t.backward(loss)
        t.grad(x)

The tape keeps the Python functions given to `call` / `call_vjp` and calls them again in
`backward` and `forward`; an exception raised inside one of them is re-raised by the tape
method that triggered it.
"""

import ctypes

import numpy as np

from . import _library
from .callback import Trampoline
from .config import resolve
from .derivatives import as_input, check_count, pointer
from .errors import FdvjpError, check
from .policy import check_numeric, narrow, result_dtype, strong_dtype
from .report import record
from .var import Var

UNARY = {"neg": 0, "exp": 1, "log": 2, "log1p": 3, "sqrt": 4, "sin": 5, "cos": 6, "tan": 7,
         "tanh": 8, "abs": 9, "square": 10}
BINARY = {"add": 0, "sub": 1, "mul": 2, "div": 3, "pow": 4}
REDUCE = {"sum": 0, "mean": 1, "norm2": 2}


def _sizes(shape):
    return (ctypes.c_size_t * max(len(shape), 1))(*shape)


class _SplitArgs:
    """Adapts f(*arrays) to the C view f(concatenated flat x)."""

    def __init__(self, f, shapes):
        self.f = f
        self.shapes = shapes
        self.offsets = np.cumsum([0] + [int(np.prod(s)) for s in shapes])

    def split(self, x):
        return [x[a:b].reshape(s) for a, b, s in zip(self.offsets[:-1], self.offsets[1:], self.shapes)]

    def __call__(self, x):
        return self.f(*self.split(x))


class _AdjointTrampoline:
    """A Python VJP `vjp(v, y, *args) -> gradient per arg` as an `fdvjp_vjp_fn`."""

    def __init__(self, vjp, split):
        self.vjp = vjp
        self.split = split
        self.error = None
        self.c_function = _library.VJP_FUNCTION(self._call)

    def _call(self, _user, x, n, y, m, v, grad):
        try:
            xs = np.ctypeslib.as_array(x, shape=(n,)).copy() if n else np.zeros(0)
            ys = np.ctypeslib.as_array(y, shape=(m,)).copy() if m else np.zeros(0)
            vs = np.ctypeslib.as_array(v, shape=(m,)).copy() if m else np.zeros(0)
            grads = self.vjp(vs, ys, *self.split.split(xs))
            if len(self.split.shapes) == 1 and not isinstance(grads, (tuple, list)):
                grads = [grads]
            flat = np.concatenate([check_numeric(g, "the VJP's gradients").astype(np.float64).reshape(-1)
                                   for g in grads] or [np.zeros(0)])
            if flat.size != n:
                raise ValueError(f"fdvjp: the VJP returned {flat.size} values where {n} were expected")
            if n:
                np.ctypeslib.as_array(grad, shape=(n,))[:] = flat
            return 0
        except BaseException as e:  # noqa: BLE001 - nothing may cross the C boundary
            if self.error is None:
                self.error = e
            return 1

    def reraise(self, failure=None):
        Trampoline.reraise(self, failure)


class Tape:
    """A reverse-mode tape (see the module docstring). Free it with `close()`, a `with`
    block, or the collector; `Var`s of a closed or cleared tape are invalid."""

    def __init__(self):
        self._handle = _library.function("fdvjp_tape_new")()
        if not self._handle:
            raise MemoryError("fdvjp_tape_new returned NULL")
        self._callbacks = []  # trampolines the C tape may call until freed or cleared

    @property
    def handle(self):
        if self._handle is None:
            raise ValueError("fdvjp.Tape is closed")
        return self._handle

    def close(self):
        if self._handle is not None:
            _library.lib.fdvjp_tape_free(self._handle)
            self._handle = None
            self._callbacks = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None) is not None and _library is not None:
            self.close()

    def _checked(self, status):
        """Raises a callback's exception if one caused the failure, else FdvjpError."""
        failure = None
        if status != 0:
            try:
                check(status)
            except FdvjpError as e:
                failure = e
        record()  # a backward's or replay's finite differences report too (after the message is read)
        for callback in self._callbacks:
            callback.reraise(failure)
        if failure is not None:
            raise failure

    def _keep_progress(self, cfg):
        """The tape copies the config, progress callback included: keep its trampoline alive
        (and its exceptions visible) for as long as the tape."""
        if cfg is not None and cfg.progress is not None:
            self._callbacks.append(cfg.progress)

    def _new_var(self, entry, *args):
        out = _library.c_var()
        self._checked(entry(self.handle, *args, ctypes.byref(out)))
        return Var(self, out.value)

    # ------------------------------------------------------------ leaves

    def input(self, x):
        """A differentiable input with x's values and shape; its `grad` comes back in x's
        floating dtype (float32 in, float32 gradient; the tape computes in float64)."""
        var = self._leaf("fdvjp_tape_input_shaped", x)
        dtype = strong_dtype(x)
        if dtype is not None:
            if not hasattr(self, "_grad_dtypes"):
                self._grad_dtypes = {}
            self._grad_dtypes[var.id] = result_dtype([dtype])
        return var

    def constant(self, x):
        """A constant: takes part in ops, is not differentiated."""
        return self._leaf("fdvjp_tape_constant_shaped", x)

    def _leaf(self, name, x):
        x = as_input(x, where="fdvjp.Tape")
        return self._new_var(_library.function(name), pointer(x), _sizes(x.shape), x.ndim)

    def _as_var(self, a):
        return a if isinstance(a, Var) else self.constant(a)

    # ------------------------------------------------------------ functions

    def call(self, f, *args, m=None, config=None, **options):
        """Records y = f(*arrays of args' shapes) (y: m values, flattened) as a vector var;
        differentiated by finite differences with the config's options. Without `m`, f is
        evaluated once more on the args' values to learn it."""
        m = check_count(m, "fdvjp.Tape.call")
        args = [self._as_var(a) for a in args]
        split = _SplitArgs(f, [a.shape for a in args])
        if m is None:
            m = int(np.size(f(*[a.value for a in args])))
        trampoline = Trampoline(split, (sum(int(np.prod(a.shape)) for a in args),), m)
        self._callbacks.append(trampoline)
        cfg, owned = resolve(config, options)
        self._keep_progress(cfg)
        try:
            ids = (_library.c_var * max(len(args), 1))(*[a.id for a in args])
            return self._new_var(_library.function("fdvjp_tape_call"), cfg.handle if cfg else None,
                                 trampoline.c_function, None, ids, len(args), m)
        finally:
            if owned:
                cfg.close()

    def call_batch(self, f, *args, m, config=None, **options):
        """As `call` with a batch function: f gets a (k, n) array of points (the args
        concatenated per row) and returns a (k, m) array; the node's Jacobian hands over up
        to the config's batch size points at a time."""
        from .batch import BatchTrampoline

        m = check_count(m, "fdvjp.Tape.call_batch", required=True)
        args = [self._as_var(a) for a in args]
        n = sum(int(np.prod(a.shape)) for a in args)
        trampoline = BatchTrampoline(f, (n,), m)
        self._callbacks.append(trampoline)
        cfg, owned = resolve(config, options)
        self._keep_progress(cfg)
        try:
            ids = (_library.c_var * max(len(args), 1))(*[a.id for a in args])
            return self._new_var(_library.function("fdvjp_tape_call_batch"), cfg.handle if cfg else None,
                                 trampoline.c_function, None, ids, len(args), m)
        finally:
            if owned:
                cfg.close()

    def call_vjp(self, f, vjp, *args, m=None):
        """Records y = f(*arrays) with its own VJP: `vjp(v, y, *arrays)` returns the gradient
        for each arg (v^T dy/darg), used in backward instead of finite differences."""
        m = check_count(m, "fdvjp.Tape.call_vjp")
        args = [self._as_var(a) for a in args]
        split = _SplitArgs(f, [a.shape for a in args])
        if m is None:
            m = int(np.size(f(*[a.value for a in args])))
        trampoline = Trampoline(split, (sum(int(np.prod(a.shape)) for a in args),), m)
        adjoint = _AdjointTrampoline(vjp, split)
        self._callbacks += [trampoline, adjoint]
        ids = (_library.c_var * max(len(args), 1))(*[a.id for a in args])
        return self._new_var(_library.function("fdvjp_tape_call_vjp"), trampoline.c_function,
                             adjoint.c_function, None, ids, len(args), m)

    # ------------------------------------------------------------ built-in ops

    def unary(self, op, a):
        return self._new_var(_library.function("fdvjp_tape_unary"), UNARY[op], self._as_var(a).id)

    def binary(self, op, a, b):
        return self._new_var(_library.function("fdvjp_tape_binary"), BINARY[op], self._as_var(a).id,
                             self._as_var(b).id)

    def reduce(self, op, a):
        return self._new_var(_library.function("fdvjp_tape_reduce"), REDUCE[op], self._as_var(a).id)

    def pow_scalar(self, a, p):
        return self._new_var(_library.function("fdvjp_tape_pow_scalar"), self._as_var(a).id, float(p))

    def dot(self, a, b):
        return self._new_var(_library.function("fdvjp_tape_dot"), self._as_var(a).id, self._as_var(b).id)

    def matmul(self, a, b):
        return self._new_var(_library.function("fdvjp_tape_matmul"), self._as_var(a).id, self._as_var(b).id)

    def reshape(self, a, shape):
        shape = tuple(int(s) for s in np.atleast_1d(shape)) if np.ndim(shape) else (int(shape),)
        return self._new_var(_library.function("fdvjp_tape_reshape"), self._as_var(a).id, _sizes(shape), len(shape))

    def slice(self, a, start, length):
        return self._new_var(_library.function("fdvjp_tape_slice"), self._as_var(a).id, int(start), int(length))

    def concat(self, *vars):
        ids = [self._as_var(v).id for v in vars]
        array = (_library.c_var * max(len(ids), 1))(*ids)
        return self._new_var(_library.function("fdvjp_tape_concat"), array, len(ids))

    # ------------------------------------------------------------ values and gradients

    def shape(self, v):
        ndim = ctypes.c_size_t()
        check(_library.function("fdvjp_tape_ndim")(self.handle, v.id, ctypes.byref(ndim)))
        shape = _sizes([0] * ndim.value)
        check(_library.function("fdvjp_tape_shape")(self.handle, v.id, shape, ndim.value))
        return tuple(shape[: ndim.value])

    def size(self, v):
        """The number of elements of `v` (fdvjp_tape_len)."""
        n = ctypes.c_size_t()
        check(_library.function("fdvjp_tape_len")(self.handle, v.id, ctypes.byref(n)))
        return n.value

    def value(self, v):
        shape = self.shape(v)
        out = np.empty(int(np.prod(shape)))
        check(_library.function("fdvjp_tape_value")(self.handle, v.id, pointer(out), out.size))
        return out.reshape(shape)

    def backward(self, out, seed=None):
        """Gradients of <seed, out> for every input (seed None: out must be a scalar)."""
        if seed is None:
            self._checked(_library.function("fdvjp_tape_backward")(self.handle, out.id, None, 0))
        else:
            s = as_input(seed, name="seed", where="fdvjp.Tape.backward").reshape(-1)
            self._checked(_library.function("fdvjp_tape_backward")(self.handle, out.id, pointer(s), s.size))

    def grad(self, input):
        """The last backward's gradient with respect to `input`, in its shape."""
        shape = self.shape(input)
        out = np.empty(int(np.prod(shape)))
        check(_library.function("fdvjp_tape_grad")(self.handle, input.id, pointer(out), out.size))
        dtype = getattr(self, "_grad_dtypes", {}).get(input.id)
        out = out.reshape(shape)
        return out if dtype is None or dtype == out.dtype else narrow(out, dtype, "fdvjp.Tape.grad")

    def set_input(self, input, x):
        """New values for an input (its shape is kept); call `forward()` to replay."""
        x = as_input(x, where="fdvjp.Tape.set_input").reshape(-1)
        check(_library.function("fdvjp_tape_set_input")(self.handle, input.id, pointer(x), x.size))

    def forward(self):
        """Replays every node at the current inputs (opaque functions are called again)."""
        self._checked(_library.function("fdvjp_tape_forward")(self.handle))

    def clear(self):
        """Empties the tape; every Var issued so far becomes unknown."""
        check(_library.function("fdvjp_tape_clear")(self.handle))
        self._callbacks = []
