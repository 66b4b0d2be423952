"""Adaptive time-step controllers: fixed, the seed's Newton-iteration rule, and local-error control.

Each controller answers two questions after a solve: accept the step or not, and the next dt.
Its state (e.g. the count of consecutive fast steps) is part of a checkpoint, so a resumed run takes
exactly the steps of an uninterrupted one.
"""

from __future__ import annotations

from dataclasses import dataclass

from pf_app.phasefield.case import TimeConfig


@dataclass
class Decision:
    accept: bool
    dt_next: float


class StepController:
    def __init__(self, cfg: TimeConfig):
        self.cfg = cfg
        self.fast_streak = 0

    def state(self) -> dict:
        return {"fast_streak": self.fast_streak}

    def restore(self, state: dict) -> None:
        self.fast_streak = int(state.get("fast_streak", 0))

    def _clip(self, dt: float) -> float:
        return min(dt, self.cfg.dt_max)

    def failed(self, dt: float) -> float:
        """Next dt after a diverged or NaN solve (or too many iterations)."""
        self.fast_streak = 0
        return dt * self.cfg.newton.shrink_factor

    def decide(self, dt: float, iterations: int, error: float | None) -> Decision:
        cfg = self.cfg
        if cfg.adapt == "fixed":
            return Decision(True, self._clip(cfg.dt))
        if cfg.adapt == "newton":
            rule = cfg.newton
            if iterations >= rule.slow_iterations:
                return Decision(False, self.failed(dt))
            self.fast_streak = self.fast_streak + 1 if iterations < rule.fast_iterations else 0
            if self.fast_streak >= rule.grow_after:
                self.fast_streak = 0
                return Decision(True, self._clip(dt * rule.grow_factor))
            return Decision(True, dt)
        rule = cfg.error
        if error is None:  # first step: no history for an estimate
            return Decision(True, dt)
        ratio = rule.safety * (rule.tolerance / max(error, 1e-300)) ** 0.5
        if error > rule.tolerance:
            return Decision(False, dt * max(rule.min_shrink, ratio))
        return Decision(True, self._clip(dt * min(rule.max_growth, ratio)))
