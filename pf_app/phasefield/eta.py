"""The remaining wall time of an adaptive run, for the progress line.

An adaptive run's cost is its number of steps times the cost of a step, and its steps grow with the
simulated time t: in coarsening every rate falls roughly like 1/t, so the step the error or Newton
rule takes grows roughly like t (a constant number of steps per decade of t), faster while a
structure relaxes to equilibrium and slower while it is being created.  The estimate, over the
accepted steps of the last decade of t (at least ``MIN_STEPS`` of them):

* the exponent a of dt = c t^a is fitted robustly (Theil-Sen: the median of pairwise slopes, not least
  squares) to dt as a function of log t, sampled at ``LOG_T_SAMPLES`` evenly spaced values of log t
  (each step's dt over the stretch of t it covers), and clipped to [``A_MIN``, ``A_MAX``]: an event (a
  merger of domains that shortens the steps for a while) weighs by the stretch of t it lasts, not by
  its many steps;
* the amplitude c is the one with which the power law takes as many steps over the window as the run
  did, events included, so that their share of the steps carries forward;
* the steps left to t_end are the integral of dt(t)^-1 from now to t_end, each charged the mean wall
  time per step over the window (rejected attempts, output and checkpoints included).

A window of a decade of t, not of a few steps, keeps single events from swinging the estimate by
orders of magnitude.  No extrapolation foresees the end of coarsening in a finite box (after the last
merger the steps grow by orders of magnitude); how close the estimate came to the time actually taken
on the shipped cases is measured in docs/phasefield.md (*Progress and ETA*).
"""

from __future__ import annotations

import collections
import math

import numpy as np

WINDOW_DECADES = 1.0  # the steps of the last decade of t (and at least MIN_STEPS) make the estimate
MIN_STEPS = 10
A_MIN, A_MAX = 0.5, 2.0  # the exponent of dt ~ t^a, clipped
LOG_T_SAMPLES = 64  # values of log t at which the window's dt is sampled for the robust fit


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
        log_t = np.log(times)
        samples = np.linspace(log_t[0], log_t[-1], LOG_T_SAMPLES)
        covering = np.minimum(np.searchsorted(log_t, samples), len(times) - 1)  # the step ending there
        a = theil_sen_slope(samples, np.log(dts[covering]), *self.exponents)
        # the amplitude with which dt = c t^a takes the window's len - 1 steps from its first t to t1
        log_c = math.log(steps_to(times[0], t1, a, 0.0) / (len(times) - 1))
        return steps_to(t1, t_end, a, log_c) * (wall1 - wall0) / len(self.steps)


def theil_sen_slope(x: np.ndarray, y: np.ndarray, lo: float, hi: float) -> float:
    """The median of the slopes between all pairs of points (Theil and Sen), clipped to [lo, hi]: a
    minority of points off the trend does not move it."""
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    slopes = (y[j] - y[i])[dx > 0] / dx[dx > 0]
    a = float(np.median(slopes)) if len(slopes) else 1.0
    return min(max(a, lo), hi)


def steps_to(t1: float, t_end: float, a: float, log_c: float) -> float:
    """Steps of dt = c t^a from t1 to t_end: the integral of t^-a / c."""
    if t_end <= t1:
        return 0.0
    if abs(a - 1.0) < 1e-9:
        return math.log(t_end / t1) / math.exp(log_c)
    return (t_end ** (1 - a) - t1 ** (1 - a)) / ((1 - a) * math.exp(log_c))
