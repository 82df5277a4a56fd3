"""A black box of several arguments, seen by the C library as one flat function.

The autograd and JAX adapters (and anything else with several arguments) go through
`Problem`: it holds the arguments' values (after the dtype policy of `policy.py`), the
indices of those being differentiated (only they are perturbed: the others stay fixed at
their values), per-argument options, and f's value at the point when the caller already
has it (reused, never recomputed). It computes, in the convention of JAX and autograd:

- `jvp(tangents)`: the output tangents `A u + B conj(u)` (A = df/dz, B = df/dconj(z));
- `vjp(cotangents)`: `sum_i A_ij c_i + conj(B_ij) conj(c_i)` per differentiated argument,
  i.e. `ct * f'(z)` for holomorphic f and `df/dx - i df/dy` for a real loss (what
  `jax.grad` and `autograd.grad` return for complex inputs).

Which C entry point: when every differentiated argument is complex (and no executor is
used), the complex-function entry points `fdvjp_complex_*` with z = the differentiated
arguments concatenated; otherwise the real ones over the interleaved real view (complex
arguments and outputs as re/im pairs), which is the same arithmetic (the complex entry
points are documented as the real ones on that view), so mixed real/complex arguments
work and real arguments are never given imaginary parts. JAX's and autograd's VJP is the
transpose of the real JVP with cotangents conjugated: `vjp(c) = conj(V(conj(c)))` with V
the real VJP (ChainRules' convention) on that view.
"""

import numpy as np

from .config import real_numbers
from .policy import check_numeric, host_array, kind

EPS = np.finfo(np.float64).eps
#: The relative step of each scheme (DESIGN.md section 4), for the default steps of
#: arguments without `steps` when another argument has them.
RELATIVE_STEP = {"central": EPS ** (1 / 3), "forward": EPS**0.5, "backward": EPS**0.5, "central4": EPS**0.2}


class FlatFunction:
    """`f(*leaves)` as a function of the flat vector of the differentiated leaves: real
    mode takes and returns float64 vectors (complex values as re/im pairs); complex mode
    takes complex128 z and returns complex128 w. Picklable when `call` is (it is what an
    executor's workers receive)."""

    def __init__(self, call, leaves, diff, out_complex, complex_mode):
        self.call = call
        self.leaves = leaves
        self.diff = diff
        self.out_complex = out_complex
        self.complex_mode = complex_mode
        # fast paths of __call__ (per evaluation): one real argument differentiated (the
        # point is a view of x), one real output (f's answer is the flat vector)
        self._one_real_leaf = (len(diff) == 1 and not complex_mode
                               and kind(leaves[diff[0]].dtype) != "complex")
        self._one_real_out = len(out_complex) == 1 and not out_complex[0] and not complex_mode

    # ---------------------------------------------------------------- inputs
    def pack(self, values):
        """The differentiated values (one per index of `diff`) as the flat vector."""
        parts = []
        for value in values:
            a = np.asarray(value)
            if self.complex_mode:
                parts.append(a.astype(np.complex128).reshape(-1))
            elif kind(a.dtype) == "complex":
                parts.append(np.ascontiguousarray(a, dtype=np.complex128).reshape(-1).view(np.float64))
            else:
                parts.append(a.astype(np.float64).reshape(-1))
        dtype = np.complex128 if self.complex_mode else np.float64
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    def unpack(self, vector):
        """The flat vector cut back into one array per differentiated leaf (its shape;
        complex128 for complex leaves, float64 otherwise)."""
        out, at = [], 0
        for i in self.diff:
            leaf = self.leaves[i]
            size = leaf.size
            if self.complex_mode:
                out.append(vector[at:at + size].reshape(leaf.shape))
                at += size
            elif kind(leaf.dtype) == "complex":
                out.append(np.ascontiguousarray(vector[at:at + 2 * size]).view(np.complex128).reshape(leaf.shape))
                at += 2 * size
            else:
                out.append(vector[at:at + size].reshape(leaf.shape))
                at += size
        return out

    # ---------------------------------------------------------------- outputs
    def pack_out(self, outs):
        parts = []
        for y, is_complex in zip(outs, self.out_complex):
            y = np.asarray(y)
            if self.complex_mode:
                parts.append(y.astype(np.complex128).reshape(-1))
            elif is_complex:
                parts.append(np.ascontiguousarray(y, dtype=np.complex128).reshape(-1).view(np.float64))
            else:
                if kind(y.dtype) == "complex":
                    raise TypeError("fdvjp: the function returned a complex value where its declared "
                                    "result (result_shape) is real; declare a complex dtype")
                parts.append(y.astype(np.float64).reshape(-1))
        dtype = np.complex128 if self.complex_mode else np.float64
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    def unpack_out(self, vector, shapes):
        out, at = [], 0
        for shape, is_complex in zip(shapes, self.out_complex):
            size = int(np.prod(shape))
            if self.complex_mode:
                part = vector[at:at + size]
                out.append((part if is_complex else part.real).reshape(shape))
                at += size
            elif is_complex:
                out.append(np.ascontiguousarray(vector[at:at + 2 * size]).view(np.complex128).reshape(shape))
                at += 2 * size
            else:
                out.append(vector[at:at + size].reshape(shape))
                at += size
        return out

    def leaves_at(self, x):
        """Every leaf at the flat point x (the differentiated ones taken from x)."""
        leaves = list(self.leaves)
        if self._one_real_leaf:
            leaves[self.diff[0]] = x.reshape(self.leaves[self.diff[0]].shape)  # one real argument: a view
        else:
            for i, value in zip(self.diff, self.unpack(x)):
                leaves[i] = value
        return leaves

    def __call__(self, x):
        return self.flat_out(self.call(self.leaves_at(x)))

    def flat_out(self, outs):
        """f's outputs (a list, one per output leaf) as the flat vector fdvjp sees."""
        if any(y is None for y in outs):
            raise TypeError("fdvjp: the function returned None (a missing `return`?); it must return "
                            "its value: an array or a number")
        for y in outs:
            if type(y) is not np.float64:
                check_numeric(y, "the function's values")  # pack_out's float64 cast read "1.0" as 1.0
        if self._one_real_out:
            y = outs[0]
            if type(y) is np.float64:  # a scalar loss: passed on as is (the trampoline's fast path)
                return y
            y = np.asarray(y)
            if y.dtype.kind != "c":
                return y.reshape(-1)
        return self.pack_out(outs)


def broadcast_option(value, leaf, name):
    """A per-argument option (scalar or array) as one float64 per element of `leaf`."""
    try:
        return np.broadcast_to(real_numbers(value, name, "fdvjp"), leaf.shape).reshape(-1)
    except ValueError:
        raise ValueError(f"fdvjp: {name} of shape {np.shape(value)} does not fit an argument "
                         f"of shape {leaf.shape}") from None


def _full_precision(y):
    """Whether an output array holds f's values as the black box gave them (float64,
    complex128 or integers), not rounded to a lower precision."""
    return y.dtype in (np.float64, np.complex128) or y.dtype.kind in "iub"


class Problem:
    """One differentiation problem: see the module docstring.

    call(leaves) -> list of outputs (NumPy arrays; the black box, on policy dtypes);
    leaves: the arguments (any dtype; converted by `host_array`); diff: indices of the
    leaves to differentiate (integer leaves are dropped from it); outs: f(leaves) when
    known (reused); leaf_options: per leaf None or a dict with `typical`, `steps`,
    `bounds` = (lower, upper) (scalars or arrays broadcast to the leaf, None = default);
    options / config / executor: as for `fdvjp.vjp`.
    """

    def __init__(self, call, leaves, diff, outs=None, out_complex=None, leaf_options=None,
                 config=None, executor=None, options=None, real_view=False, out_shapes=None):
        self.leaves = [host_array(a) for a in leaves]
        self.diff = tuple(i for i in diff if kind(self.leaves[i].dtype) != "int")
        self.outs = None if outs is None else [np.asarray(y) for y in outs]
        if self.outs is not None and not all(_full_precision(y) for y in self.outs):
            # A primal answer cast back to the caller's lower precision (float32 with JAX's
            # x64 off) is not f(x): reused, its rounding would look like noise to the step
            # logic (which reads f(x) in its second differences). Evaluate f(x) instead.
            self.outs = None
        if out_complex is None:
            if self.outs is None:
                self.outs = [np.asarray(y) for y in call(list(self.leaves))]
            out_complex = [kind(y.dtype) == "complex" for y in self.outs]
        complex_mode = (executor is None and not real_view and bool(self.diff)
                        and all(kind(self.leaves[i].dtype) == "complex" for i in self.diff))
        self.f = FlatFunction(call, self.leaves, self.diff, list(out_complex), complex_mode)
        self.config = config
        self.executor = executor
        self.options = dict(options or {})
        self.leaf_options = leaf_options or [None] * len(self.leaves)
        self.x0 = self.f.pack([self.leaves[i] for i in self.diff])
        # f's output shapes when the caller knows them without f(x) (JAX's avals): f(x) is
        # then left to the C library, inside its batches (one call of a vectorized f)
        self.out_shapes = None if out_shapes is None else [tuple(s) for s in out_shapes]

    def _fx(self):
        """f(x) for the entry points' `fx=`; None where it is not finite, so that the C
        library evaluates f(x) again and reports it as f's (`fx` is not the user's here)."""
        if self.outs is None:
            return None
        fx = self.f.pack_out(self.outs)
        return fx if np.all(np.isfinite(fx)) else None

    def _per_element(self):
        """Options with the per-argument arrays of the differentiated leaves concatenated
        (complex leaves: each value twice, for the real and the imaginary direction)."""
        chosen = [self.leaf_options[i] or {} for i in self.diff]
        options = dict(self.options)
        if not any(chosen):
            return options

        def per(name, default):
            """The option over the flat vector; `default(leaf, opts)` gives one value per
            real component (two per complex element) where the leaf has none."""
            parts = []
            for i, opts in zip(self.diff, chosen):
                leaf = self.leaves[i]
                value = opts.get(name)
                if value is None:
                    parts.append(default(leaf, opts))
                else:
                    a = broadcast_option(value, leaf, name)
                    parts.append(np.repeat(a, 2) if kind(leaf.dtype) == "complex" else a)
            return np.concatenate(parts)

        def components(leaf):
            """|each real component| of the leaf, in the order of the flat vector."""
            flat = leaf.reshape(-1)
            if kind(leaf.dtype) == "complex":
                return np.abs(np.ascontiguousarray(flat, dtype=np.complex128).view(np.float64))
            return np.abs(flat.astype(np.float64))

        def typical_of(leaf, opts):
            if opts.get("typical") is None:
                return np.ones(components(leaf).size)
            a = broadcast_option(opts["typical"], leaf, "typical")
            return np.repeat(a, 2) if kind(leaf.dtype) == "complex" else a

        if any(o.get("typical") is not None for o in chosen):
            options["typical"] = per("typical", typical_of)
        if any(o.get("steps") is not None for o in chosen):
            # Arguments without steps get the default rule's h = r max(|x|, typ) (the C
            # library takes steps for all elements or none).
            r = options.get("relative_step") or RELATIVE_STEP[options.get("scheme", "central")]
            options["steps"] = per("steps", lambda leaf, o: r * np.maximum(components(leaf), typical_of(leaf, o)))
        if any(o.get("bounds") is not None for o in chosen):
            def side(k, fill):
                def get(leaf, o):
                    b = o.get("bounds")
                    value = None if b is None else b[k]
                    a = np.full(leaf.size, fill) if value is None else broadcast_option(value, leaf, "bounds")
                    return np.repeat(a, 2) if kind(leaf.dtype) == "complex" else a
                return get

            lower = np.concatenate([side(0, -np.inf)(self.leaves[i], o) for i, o in zip(self.diff, chosen)])
            upper = np.concatenate([side(1, np.inf)(self.leaves[i], o) for i, o in zip(self.diff, chosen)])
            options["bounds"] = (lower, upper)
        return options

    def _kwargs(self):
        if self.config is not None:
            if any(self.leaf_options[i] for i in self.diff):
                raise TypeError("fdvjp: pass either config= or per-argument options, not both")
            return {"config": self.config}
        return self._per_element()

    def vjp(self, cotangents):
        """Cotangents of the outputs (one per output; None = zero) -> one gradient per
        differentiated leaf, in JAX's and autograd's convention (module docstring)."""
        from .complex_functions import complex_vjp
        from .derivatives import vjp

        if not self.diff:
            return []
        shapes = self._out_shapes()
        cts = [np.zeros(s) if c is None else np.conj(np.asarray(c)) for c, s in zip(cotangents, shapes)]
        v = self.f.pack_out(cts)
        if self.f.complex_mode:
            g = complex_vjp(self.f, self.x0, v, fx=self._fx(), **self._kwargs())
        else:
            g = vjp(self.f, self.x0, v, executor=self.executor, fx=self._fx(), **self._kwargs())
        return [np.conj(a) if kind(a.dtype) == "complex" else a for a in self.f.unpack(g)]

    def jvp(self, tangents):
        """Tangents of the differentiated leaves (one per index of `diff`) -> one tangent
        per output."""
        from .complex_functions import complex_jvp
        from .derivatives import jvp

        shapes = self._out_shapes()
        if not self.diff:
            return [np.zeros(s, dtype=np.complex128 if c else np.float64) for s, c in zip(shapes, self.f.out_complex)]
        u = self.f.pack(tangents)
        m = sum(int(np.prod(s)) * (2 if c and not self.f.complex_mode else 1) for s, c in zip(shapes, self.f.out_complex))
        if self.f.complex_mode:
            out = complex_jvp(self.f, self.x0, u, m=m, fx=self._fx(), **self._kwargs())
        else:
            out = jvp(self.f, self.x0, u, m=m, executor=self.executor, fx=self._fx(), **self._kwargs())
        return self.f.unpack_out(out, shapes)

    def estimated(self, mode, linear):
        """(values, err) of `jvp(linear)` (mode "jvp") or `vjp(linear)` ("vjp") by the
        Richardson drivers (`fdvjp_*_estimate`): accurate to ~1e-13 relative on smooth f
        where the plain difference gives ~1e-10, with a per-entry error estimate; err has
        the values' structure. Real arguments only (None otherwise: the caller differences
        as usual). The second derivatives of `fdvjp.jax` difference this (`_Derived`)."""
        from .estimate import jvp_estimate, vjp_estimate

        if self.f.complex_mode or any(kind(self.leaves[i].dtype) == "complex" for i in self.diff):
            return None
        shapes = self._out_shapes()
        if any(self.f.out_complex):
            return None
        kwargs = self._kwargs()
        if mode == "jvp":
            if not self.diff:
                return None
            m = sum(int(np.prod(s)) for s in shapes)
            out, err = jvp_estimate(self.f, self.x0, self.f.pack(linear), m=m, **kwargs)
            return self.f.unpack_out(out, shapes), self.f.unpack_out(err, shapes)
        if not self.diff:
            return None
        cts = [np.zeros(s) if c is None else np.asarray(c) for c, s in zip(linear, shapes)]
        g, err = vjp_estimate(self.f, self.x0, self.f.pack_out(cts), **kwargs)
        return self.f.unpack(g), self.f.unpack(err)

    def _jacobian(self):
        """The real Jacobian of the flat function (real view), f(x) reused."""
        from .derivatives import jacobian

        if self.f.complex_mode:
            raise ValueError("fdvjp: _jacobian needs the real view (real_view=True)")
        shapes = self._out_shapes()
        m = sum(int(np.prod(s)) * (2 if c else 1) for s, c in zip(shapes, self.f.out_complex))
        return jacobian(self.f, self.x0, m=m, executor=self.executor, fx=self._fx(), **self._kwargs())

    def vjp_many(self, cotangent_sets):
        """`vjp` for several cotangents at the same point from one Jacobian (1 + 2n
        evaluations in all, f(x) reused: instead of 2n per cotangent)."""
        if not self.diff:
            return [[] for _ in cotangent_sets]
        jac = self._jacobian()
        shapes = self._out_shapes()
        out = []
        for cotangents in cotangent_sets:
            cts = [np.zeros(s) if c is None else np.conj(np.asarray(c)) for c, s in zip(cotangents, shapes)]
            g = self.f.pack_out(cts) @ jac
            out.append([np.conj(a) if kind(a.dtype) == "complex" else a for a in self.f.unpack(g)])
        return out

    def jvp_many(self, tangent_sets):
        """`jvp` for several tangents at the same point from one Jacobian."""
        shapes = self._out_shapes()
        if not self.diff:
            return [self.jvp(t) for t in tangent_sets]
        jac = self._jacobian()
        return [self.f.unpack_out(jac @ self.f.pack(t), shapes) for t in tangent_sets]

    def _out_shapes(self):
        if self.outs is None and self.out_shapes is not None:
            return self.out_shapes
        if self.outs is None:
            self.outs = [np.asarray(y) for y in self.f.call(list(self.leaves))]
        return [y.shape for y in self.outs]
