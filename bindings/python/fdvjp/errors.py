"""The exception raised when a C call fails: its status code and fdvjp's message."""

import ctypes

from . import _library

OK = 0
NULL_POINTER = 1
INVALID_ARGUMENT = 2
LENGTH_MISMATCH = 3
CALLBACK_FAILED = 4
NONFINITE_AT_X = 5
NONFINITE_PERTURBED = 6
UNKNOWN_VAR = 7
SHAPE_MISMATCH = 8
CANCELLED = 9
OUT_OF_MEMORY = 10
INTERNAL_ERROR = 11


class FdvjpError(RuntimeError):
    """A failed fdvjp call. `status` is the C status code, `status_name` its name (e.g.
    "FDVJP_NONFINITE_AT_X") and `message` the text of `fdvjp_last_error`."""

    def __init__(self, status, message):
        self.status = int(status)
        self.status_name = status_name(status)
        self.message = message
        super().__init__(f"{self.status_name}: {message}")


def status_name(status):
    """The static name fdvjp gives a status code."""
    return _library.lib.fdvjp_status_str(int(status)).decode()


def last_error():
    """This thread's last-error message from fdvjp (empty after a successful call)."""
    size = _library.lib.fdvjp_last_error(None, 0)
    buf = ctypes.create_string_buffer(size + 1)
    _library.lib.fdvjp_last_error(buf, size + 1)
    return buf.value.decode(errors="replace")


def check(status):
    """Raises FdvjpError for a non-zero status, reading the message right away (it is
    thread-local and replaced by the next call)."""
    if status != OK:
        raise FdvjpError(status, last_error())
