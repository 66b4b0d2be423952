"""The remaining wall time of an adaptive run, for the progress line.

An adaptive run's cost is its number of steps times the cost of a step, and its steps grow with the
simulated time t: in coarsening every rate falls roughly like 1/t, so the step the error or Newton
rule takes grows roughly like t (a constant number of steps per decade of t), faster while a
structure relaxes to equilibrium and slower while it is being created.  The estimate:

* fits dt = c t^a to the accepted steps of the last decade of t (at least ``MIN_STEPS`` of them)
  robustly (Theil-Sen: medians, not least squares), with the exponent a clipped to [``A_MIN``, ``A_MAX``];
* counts the steps left to t_end as the integral of dt(t)^-1 from now to t_end;
* charges each the mean wall time per step over the same window (rejected attempts, output and
  checkpoints included).

A window of a decade of t, not of a few steps, keeps single events (a merger of domains halving the
steps for a while, a step shortened to land on an output time) from swinging the estimate by orders
of magnitude; how close it came to the time actually taken on the shipped cases is measured in
docs/phasefield.md (*Progress and ETA*).
"""

from __future__ import annotations

import collections
import math

import numpy as np

WINDOW_DECADES = 1.0  # the steps of the last decade of t (and at least MIN_STEPS) make the estimate
MIN_STEPS = 10
A_MIN, A_MAX = 0.5, 2.0  # the exponent of dt ~ t^a, clipped
MAX_PAIRS_POINTS = 400  # the robust fit uses at most this many of the window's steps (evenly spaced)


class AdaptiveEta:
    """Collects (wall seconds, t, dt) of accepted steps; ``seconds_left(t_end)``.  ``fixed``: the steps
    do not grow (adapt: fixed), a = 0."""

    def __init__(self, wall: float, t: float, fixed: bool = False):
        self.start = (wall, t)
        self.steps: collections.deque = collections.deque()
        self.exponents = (0.0, 0.0) if fixed else (A_MIN, A_MAX)

    def add(self, wall: float, t: float, dt: float) -> None:
        self.steps.append((wall, t, dt))
        while len(self.steps) > MIN_STEPS and self.steps[0][1] < t / 10 ** WINDOW_DECADES:
            self.start = self.steps.popleft()[:2]

    def seconds_left(self, t_end: float) -> float | None:
        if len(self.steps) < MIN_STEPS:
            return None
        wall0 = self.start[0]
        wall1, t1, _ = self.steps[-1]
        times = np.array([s[1] for s in self.steps])
        dts = np.array([s[2] for s in self.steps])
        if times[0] <= 0 or np.ptp(np.log(times)) == 0:
            return None
        a, log_c = robust_power_law(np.log(times), np.log(dts), *self.exponents)
        steps_left = steps_to(t1, t_end, a, log_c)
        return steps_left * (wall1 - wall0) / len(self.steps)


def robust_power_law(log_t: np.ndarray, log_dt: np.ndarray, a_min: float, a_max: float) -> tuple[float, float]:
    """(a, log c) of dt = c t^a by Theil and Sen's estimator: the median of the slopes between pairs of
    steps (clipped to [a_min, a_max]) and the median intercept, so that a minority of steps off the
    trend (an event, a step shortened to land on an output time) does not move it."""
    stride = max(1, len(log_t) // MAX_PAIRS_POINTS)
    x, y = log_t[::stride], log_dt[::stride]
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    slopes = (y[j] - y[i])[dx > 0] / dx[dx > 0]
    a = float(np.median(slopes)) if len(slopes) else 1.0
    a = min(max(a, a_min), a_max)
    return a, float(np.median(log_dt - a * log_t))


def steps_to(t1: float, t_end: float, a: float, log_c: float) -> float:
    """Steps of dt = c t^a from t1 to t_end: the integral of t^-a / c."""
    if t_end <= t1:
        return 0.0
    if abs(a - 1.0) < 1e-9:
        return math.log(t_end / t1) / math.exp(log_c)
    return (t_end ** (1 - a) - t1 ** (1 - a)) / ((1 - a) * math.exp(log_c))
