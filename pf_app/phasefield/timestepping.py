"""Adaptive time-step controllers: fixed, a Newton-iteration rule, and local-error control.

Each controller answers two questions after a solve: accept the step or not, and the next dt.
Its state (e.g. the count of consecutive fast steps) is part of a checkpoint, so a resumed run takes
exactly the steps of an uninterrupted one.

* ``newton``: grow dt after ``grow_after`` consecutive steps that Newton solved in fewer than
  ``fast_iterations`` iterations; reject at ``slow_iterations``.  Unset thresholds follow the Newton
  tolerance (:func:`newton_thresholds`); the seed's rule is ``fast_iterations: 4, slow_iterations: 10``.
* ``error``: the local truncation error of the step is estimated from the distance of the solution
  to a polynomial predictor through the last accepted states (Milne's device, :func:`error_constant`)
  and kept at ``tolerance``: dt_next = dt * safety * (tolerance / error)^(1/(p+1)) for an estimate of
  order p, and a step whose error exceeds the tolerance is redone with that smaller dt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pf_app.phasefield.case import TimeConfig

FIRST_CONTRACTION = 0.1  # relative residual after Newton's first iteration from the previous state


def newton_thresholds(rtol: float) -> tuple[int, int]:
    """(fast_iterations, slow_iterations) for a Newton relative tolerance ``rtol``.

    Quadratic convergence from a start whose first iteration leaves a relative residual a = 0.1
    leaves a^(2^k - 1) after k iterations, so a well-sized step needs
    k = ceil(log2(1 + log(rtol) / log(a))) iterations (4 at rtol = 1e-9, 3 at 1e-6).  A step solved in at most k iterations is fast
    (fast_iterations = k + 1); one needing 2 (k + 1) or more is too large (slow_iterations).
    """
    k = max(1, math.ceil(math.log2(1.0 + math.log(rtol) / math.log(FIRST_CONTRACTION)) - 1e-12))
    return k + 1, 2 * (k + 1)


def error_constant(dt: float, dt_prev: float, dt_prev2: float | None) -> tuple[float, int]:
    """(C, p): local truncation error = C * (u - predictor) for an estimate of order p.

    p = 1 (backward Euler, or the first BDF2 step; linear predictor through u_{n-1}, u_n): for
    u = t^2/2 the step's error is dt^2/2 and the predictor's dt (dt + dt_prev)/2, so
    C = dt / (2 dt + dt_prev).  p = 2 (variable-step BDF2; quadratic predictor through u_{n-2},
    u_{n-1}, u_n): for u = t^3/6 the predictor misses by dt (dt + dt_prev)(dt + dt_prev + dt_prev2)/6
    and the BDF2 error is ``lte`` below, so C = lte / (lte + miss) (2/11 at constant steps).
    """
    if dt_prev2 is None:
        return dt / (2.0 * dt + dt_prev), 1
    h, k, q = dt, dt_prev, dt_prev2
    w = h / k
    a0, a2 = (1 + 2 * w) / (1 + w), w * w / (1 + w)
    lte = (a2 * k ** 3 / 6 + h ** 3 / 2) / a0 - h ** 3 / 6  # BDF2 applied to u' = t^2/2 from exact history
    miss = h * (h + k) * (h + k + q) / 6
    return lte / (lte + miss), 2


@dataclass
class Decision:
    accept: bool
    dt_next: float
    reason: str = ""  # why a step was rejected: "error", "slow" (too many Newton iterations)


class StepController:
    def __init__(self, cfg: TimeConfig, rtol: float):
        self.cfg = cfg
        rule = cfg.newton
        auto_fast, auto_slow = newton_thresholds(rtol)
        self.fast_iterations = rule.fast_iterations or auto_fast
        self.slow_iterations = rule.slow_iterations or max(auto_slow, self.fast_iterations + 1)
        self.fast_streak = 0

    def state(self) -> dict:
        return {"fast_streak": self.fast_streak}

    def restore(self, state: dict) -> None:
        self.fast_streak = int(state.get("fast_streak", 0))

    def _clip(self, dt: float) -> float:
        return min(dt, self.cfg.dt_max)

    def failed(self, dt: float) -> float:
        """Next dt after a diverged or NaN solve."""
        self.fast_streak = 0
        if self.cfg.adapt == "error":
            return dt * self.cfg.error.min_shrink
        return dt * self.cfg.newton.shrink_factor

    def decide(self, dt: float, iterations: int, error: tuple[float, int] | None) -> Decision:
        """``error``: (estimated local error, its order p), or None when there is no history yet."""
        cfg = self.cfg
        if cfg.adapt == "fixed":
            return Decision(True, self._clip(cfg.dt))
        if cfg.adapt == "newton":
            rule = cfg.newton
            if iterations >= self.slow_iterations:
                return Decision(False, self.failed(dt), "slow")
            self.fast_streak = self.fast_streak + 1 if iterations < self.fast_iterations else 0
            if self.fast_streak >= rule.grow_after:
                self.fast_streak = 0
                return Decision(True, self._clip(dt * rule.grow_factor))
            return Decision(True, dt)
        rule = cfg.error
        if error is None:  # first step: no history for an estimate
            return Decision(True, dt)
        estimate, order = error
        ratio = rule.safety * (rule.tolerance / max(estimate, 1e-300)) ** (1.0 / (order + 1))
        if estimate > rule.tolerance:
            return Decision(False, dt * max(rule.min_shrink, min(ratio, rule.safety)), "error")
        return Decision(True, self._clip(dt * min(rule.max_growth, ratio)))
