"""fdvjp.gather: many computations, one evaluation of their points per round. Exercised on
plain fdvjp.vjp computations whose executor is the gather's lane (what the JAX wrapper does
under vmap); counts of rounds and points asserted, results bit-identical to serial."""

import numpy as np
import pytest

import fdvjp
from fdvjp.gather import Gather


def f(x):
    return np.array([np.sin(x[0]) * x[1], np.exp(x[2]) - x[0] ** 2])


def evaluate(log):
    def run(submissions):
        log.append(sum(len(points) for _, points in submissions))
        return [np.stack([g(x) for x in points]) for g, points in submissions]

    return run


XS = np.random.default_rng(0).normal(size=(10, 3))
V = np.array([1.0, -0.5])


def test_every_stencil_in_one_round_and_serial_results():
    log = []
    grads = Gather(evaluate(log)).run([lambda lane, x=x: fdvjp.vjp(f, x, V, executor=lane) for x in XS])
    # every computation's f(x) in one round, then every computation's 2n central points
    assert log == [10, 10 * 2 * 3]
    for x, g in zip(XS, grads):
        np.testing.assert_array_equal(g, fdvjp.vjp(f, x, V))


def test_more_computations_than_threads_run_in_waves():
    log = []
    gather = Gather(evaluate(log), width=4)
    grads = gather.run([lambda lane, x=x: fdvjp.vjp(f, x, V, executor=lane) for x in XS])
    assert sum(log) == 10 * 7 and max(log) <= 4 * 6 and gather.rounds == len(log) < 10 * 2
    for x, g in zip(XS, grads):
        np.testing.assert_array_equal(g, fdvjp.vjp(f, x, V))


@pytest.mark.filterwarnings("ignore:invalid value encountered in log:RuntimeWarning")
def test_a_second_round_for_what_needs_more_points():
    # a domain edge: log near 0 sends the column to a one-sided / shrunk stencil, which
    # asks for new points after the stencil's round (f(x), the stencils, then more)
    log = []
    xs = [np.array([1e-9, 1.0]), np.array([2.0, 3.0])]
    g = Gather(evaluate(log)).run([lambda lane, x=x: fdvjp.vjp(np.log, x, [1.0, 1.0], executor=lane) for x in xs])
    assert len(log) > 2 and log[:2] == [2, 2 * 2 * 2]
    for x, got in zip(xs, g):
        np.testing.assert_array_equal(got, fdvjp.vjp(np.log, x, [1.0, 1.0]))


def test_an_evaluation_error_fails_every_waiting_computation_and_is_raised():
    def failing(submissions):
        raise RuntimeError("cluster unavailable")

    with pytest.raises(RuntimeError, match="cluster unavailable"):
        Gather(failing).run([lambda lane, x=x: fdvjp.vjp(f, x, V, executor=lane) for x in XS])


def test_a_task_error_does_not_hold_the_others():
    log = []

    def bad(lane):
        raise ValueError("bad task")

    tasks = [lambda lane, x=x: fdvjp.vjp(f, x, V, executor=lane) for x in XS[:3]] + [bad]
    with pytest.raises(ValueError, match="bad task"):
        Gather(evaluate(log)).run(tasks)
    assert log == [3, 3 * 6]
