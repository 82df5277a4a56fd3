"""fdvjp for Python: finite-difference VJPs, JVPs and Jacobians of black-box functions
on numpy arrays, and a reverse-mode Tape mixing them with built-in ops, over the C library
libfdvjp (located through $FDVJP_LIB, the repository's target/release, or the system
loader).

    import numpy as np, fdvjp
    grad = fdvjp.vjp(lambda x: np.sin(x), np.array([0.0, 1.0]), np.ones(2))

Adapters for autograd (`fdvjp.autograd`) and JAX (`fdvjp.jax`) live in submodules, imported
on demand so that neither is a dependency.
"""

from ._library import path as library_path
from .batch import jacobian_batch, jvp_batch, vjp_batch
from .complex_functions import complex_jacobian, complex_jvp, complex_vjp
from .complex_step import jacobian_complex_step, jvp_complex_step, vjp_complex_step
from .config import Config
from .config_get import version
from .derivatives import jacobian, jvp, vjp
from .errors import FdvjpError, last_error, status_name
from .estimate import jacobian_estimate, jvp_estimate, vjp_estimate
from .report import Report, last_report
from .tape import Tape
from .var import Var

__all__ = [
    "Config",
    "FdvjpError",
    "Report",
    "Tape",
    "Var",
    "complex_jacobian",
    "complex_jvp",
    "complex_vjp",
    "jacobian",
    "jacobian_batch",
    "jacobian_complex_step",
    "jacobian_estimate",
    "jvp",
    "jvp_batch",
    "jvp_complex_step",
    "jvp_estimate",
    "last_error",
    "last_report",
    "library_path",
    "status_name",
    "vjp",
    "vjp_batch",
    "vjp_complex_step",
    "version",
    "vjp_estimate",
]
