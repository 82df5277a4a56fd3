"""`Var`: a value recorded on a `Tape`, with numpy-like operators that record more ops, and
NumPy's own functions and ufuncs (`np.exp(v)`, `np.sum(v)`, `w @ v`, `v[[0, 2]]`, `v.T`:
see `numpy_protocol`)."""

from . import numpy_protocol


class Var:
    """A variable of a Tape: `id` is the C `fdvjp_var`. Arithmetic with Vars, numbers and
    arrays records built-in ops (numbers and arrays become constants)."""

    __array_priority__ = 1000  # numpy defers to Var's reflected operators
    __array_ufunc__ = numpy_protocol.array_ufunc
    __array_function__ = numpy_protocol.array_function

    def __array__(self, *args, **kwargs):
        raise TypeError("fdvjp.Var: numpy.asarray would cut the variable off the tape; use .value for "
                        "its current value")

    def __init__(self, tape, id):
        self.tape = tape
        self.id = id

    @property
    def shape(self):
        return self.tape.shape(self)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return self.tape.size(self)

    def __len__(self):
        shape = self.shape
        if not shape:
            raise TypeError("fdvjp.Var: len() of a scalar")
        return shape[0]

    @property
    def T(self):
        """The transpose (reversed axes), an exact linear node."""
        return numpy_protocol.transpose(self.tape, self)

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else (axes or None)
        return numpy_protocol.transpose(self.tape, self, axes)

    @property
    def value(self):
        """The current value as a numpy array."""
        return self.tape.value(self)

    @property
    def grad(self):
        """The last backward's gradient with respect to this input."""
        return self.tape.grad(self)

    def __repr__(self):
        return f"Var(id={self.id}, shape={self.shape})"

    def __add__(self, other):
        return self.tape.binary("add", self, other)

    def __radd__(self, other):
        return self.tape.binary("add", other, self)

    def __sub__(self, other):
        return self.tape.binary("sub", self, other)

    def __rsub__(self, other):
        return self.tape.binary("sub", other, self)

    def __mul__(self, other):
        return self.tape.binary("mul", self, other)

    def __rmul__(self, other):
        return self.tape.binary("mul", other, self)

    def __truediv__(self, other):
        return self.tape.binary("div", self, other)

    def __rtruediv__(self, other):
        return self.tape.binary("div", other, self)

    def __pow__(self, other):
        if isinstance(other, (int, float)):
            return self.tape.pow_scalar(self, other)
        return self.tape.binary("pow", self, other)

    def __rpow__(self, other):
        return self.tape.binary("pow", other, self)

    def __neg__(self):
        return self.tape.unary("neg", self)

    def __matmul__(self, other):
        return numpy_protocol.matmul(self.tape, self, other)

    def __rmatmul__(self, other):
        return numpy_protocol.matmul(self.tape, other, self)

    def __abs__(self):
        return self.tape.unary("abs", self)

    def exp(self):
        return self.tape.unary("exp", self)

    def log(self):
        return self.tape.unary("log", self)

    def log1p(self):
        return self.tape.unary("log1p", self)

    def sqrt(self):
        return self.tape.unary("sqrt", self)

    def sin(self):
        return self.tape.unary("sin", self)

    def cos(self):
        return self.tape.unary("cos", self)

    def tan(self):
        return self.tape.unary("tan", self)

    def tanh(self):
        return self.tape.unary("tanh", self)

    def square(self):
        return self.tape.unary("square", self)

    def sum(self):
        return self.tape.reduce("sum", self)

    def mean(self):
        return self.tape.reduce("mean", self)

    def norm(self):
        return self.tape.reduce("norm2", self)

    def dot(self, other):
        return self.tape.dot(self, other)

    def reshape(self, *shape):
        return self.tape.reshape(self, shape[0] if len(shape) == 1 else shape)

    def __getitem__(self, index):
        """v[i] and contiguous v[a:b] of a vector as C slices; any other NumPy index (fancy,
        strided, multi-dimensional) as an exact gather node."""
        return numpy_protocol.getitem(self, index)
