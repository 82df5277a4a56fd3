"""`Var.size` is the library's element count (fdvjp_tape_len): the product of the shape,
1 for a scalar."""

import numpy as np

import fdvjp


def test_var_size_is_the_element_count():
    with fdvjp.Tape() as t:
        a = t.input(np.arange(6.0).reshape(2, 3))
        assert a.size == 6 and a.shape == (2, 3)
        s = t.input(np.float64(2.0))
        assert s.size == 1 and s.shape == ()
        e = t.input(np.zeros(0))
        assert e.size == 0
