"""Many fdvjp computations, one evaluation of their points per round.

A vmapped JAX derivative is one fdvjp computation per batch element. With a vectorized
black box (`numeric_vjp(..., vectorized=True)`: f takes a leading axis of points) the
points of all those computations should reach f in ONE call, not one call per stencil.
The C library has no multi-point driver, but every computation already hands its stencil
over in one piece through the batch entry points (`fdvjp_vjp_batch`, ...). `Gather` runs
the computations side by side, one thread each (the C call releases the GIL), lets each
batch callback deposit its points and wait, and when every running computation is waiting
(or finished) evaluates everything deposited in one call. So a vmapped gradient over 64
points costs one call of f for all 64 stencils (more only when a computation needs a
second round: a refined column, a fall-back at a NaN).

Results are those of each computation on its own: fdvjp's arithmetic does not depend on
who evaluates f or with which other points (the batch entry points are bit-identical to
the serial ones), provided f gives the same value for a point whatever else is in the
batch.
"""

import queue
import threading

#: The most computations run at once (threads); more points are served in waves, each
#: wave costing its own round(s) of evaluation.
WIDTH = 256


class _Workers:
    """Threads kept for the gathers: `start(job)` runs job() on an idle one, or on a new
    one when none is idle, never queueing it behind busy ones (a job waits for its
    gather's round, which waits for every started job: a queue could deadlock two
    gathers). Reused because `Thread.start` waits until the new thread runs: ~1 ms each
    on a loaded machine, 64 ms for a batch of 64."""

    def __init__(self):
        self._lock = threading.Lock()
        self._idle = []

    def start(self, job):
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), daemon=True, name="fdvjp-gather").start()
        inbox.put(job)

    def _serve(self, inbox):
        while True:
            job = inbox.get()
            try:
                job()
            finally:
                with self._lock:
                    self._idle.append(inbox)


_WORKERS = _Workers()


class _Submission:
    __slots__ = ("f", "points", "values", "error", "done")

    def __init__(self, f, points):
        self.f = f
        self.points = points
        self.values = None
        self.error = None
        self.done = threading.Event()  # its own: waking one waiter, not all of them


class Lane:
    """What one computation is given as its `executor`: its batch function deposits the
    points in the gather (see `derivatives.make_trampoline`)."""

    def __init__(self, gather):
        self.gather = gather

    def batch_function(self, f):
        return lambda points: self.gather.submit(f, points)


class Gather:
    """`run(tasks)` runs `task(lane)` for every task (a computation whose executor is
    `lane`) and returns their results in order, re-raising the first exception. Points are
    evaluated by `evaluate([(f, points), ...]) -> [values, ...]` (one (k, m) array per
    submission), called on the caller's thread once per round."""

    def __init__(self, evaluate, width=WIDTH):
        self.evaluate = evaluate
        self.width = max(1, int(width))
        self.rounds = 0
        self._cond = threading.Condition()
        self._pending = []
        self._running = 0

    def submit(self, f, points):
        """Called by a computation's batch function: waits for the round's evaluation."""
        s = _Submission(f, points)
        with self._cond:
            self._pending.append(s)
            self._wake_if_ready()
        s.done.wait()
        if s.error is not None:
            raise s.error
        return s.values

    def _wake_if_ready(self):
        """(lock held) Wakes the caller's thread when the round can close."""
        if self._running == 0 or len(self._pending) == self._running:
            self._cond.notify()

    def run(self, tasks):
        tasks = list(tasks)
        results = [None] * len(tasks)
        lane = Lane(self)
        following = iter(range(len(tasks)))

        def worker(i):
            while i is not None:
                try:
                    results[i] = (True, tasks[i](lane))
                except BaseException as e:  # noqa: BLE001 - re-raised by the caller's thread
                    results[i] = (False, e)
                with self._cond:  # the next task starts before this one stops counting:
                    i = next(following, None)  # no round closes early in between
                    if i is None:
                        self._running -= 1
                        self._wake_if_ready()

        with self._cond:
            starts = [i for _, i in zip(range(self.width), following)]
            self._running = len(starts)
        for i in starts:
            _WORKERS.start(lambda i=i: worker(i))
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._running == 0 or len(self._pending) == self._running)
                if not self._pending:
                    break
                batch, self._pending = self._pending, []
            self.rounds += 1
            try:
                values = self.evaluate([(s.f, s.points) for s in batch])
                for s, v in zip(batch, values):
                    s.values = v
            except BaseException as e:  # noqa: BLE001 - every waiting computation fails with it
                for s in batch:
                    s.error = e
            for s in batch:
                s.done.set()
        for ok, value in results:
            if not ok:
                raise value
        return [value for _, value in results]
