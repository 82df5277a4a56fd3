"""fdvjp for Python: finite-difference VJPs, JVPs and Jacobians of black-box functions
on numpy arrays, over the C library libfdvjp (located through $FDVJP_LIB, the repository's
target/release, or the system loader).

    import numpy as np, fdvjp
    grad = fdvjp.vjp(lambda x: np.sin(x), np.array([0.0, 1.0]), np.ones(2))

Adapters for autograd (`fdvjp.autograd`) and JAX (`fdvjp.jax`) live in submodules, imported
on demand so that neither is a dependency.
"""

from ._library import path as library_path
from .config import Config
from .derivatives import jacobian, jvp, vjp
from .errors import FdvjpError, last_error, status_name

__all__ = ["Config", "FdvjpError", "jacobian", "jvp", "last_error", "library_path", "status_name", "vjp"]
