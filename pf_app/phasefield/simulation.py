"""The time loop: solve, accept or retry, log, write fields, pictures and checkpoints.

A failed solve (divergence, NaN, too many Newton iterations) or a step whose estimated error is
above the tolerance restores the last accepted state and retries with a smaller dt (each attempt is a
row of ``rejected.csv``, with its wall time); below ``dt_min`` the run writes a checkpoint and stops
with :class:`StepSizeTooSmall` (the CLI reports it and exits with status 3).  Steps are shortened to
land exactly on ``output.times`` and ``t_end``.  SIGINT and SIGTERM stop the run after the attempt in
progress: every rank agrees (an all-reduce per attempt), a checkpoint is written and the summary says
which signal stopped it.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field

import numpy as np
from mpi4py import MPI

from dolfinx import fem

from pf_app.config import ConfigError
from pf_app.freeenergy.base import build_free_energy, use_quadrature
from pf_app.progress import Progress
from pf_app.phasefield.boundary import check_periodic_closure, named_facets
from pf_app.phasefield.case import AXES, Case
from pf_app.phasefield.eta import AdaptiveEta
from pf_app.phasefield.initial import set_initial_state, warn_if_not_periodic
from pf_app.phasefield.mesh import build_mesh
from pf_app.phasefield.model import PhaseFieldModel
from pf_app.phasefield.output import RunOutput
from pf_app.phasefield.layout import SystemLayout
from pf_app.phasefield.solver import NewtonSolver
from pf_app.phasefield.timestepping import StepController, error_constant

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
LANDING_RTOL = 1e-9  # a step within this fraction of dt of a target time lands on it


class StepSizeTooSmall(RuntimeError):
    """dt fell below dt_min; the last accepted state is in the checkpoint."""


@dataclass
class RunState:
    """Everything a resumed run needs besides the fields (saved in the checkpoint)."""

    step: int = 0
    t: float = 0.0
    dt: float = 0.0
    dt_prev: float | None = None
    dt_prev2: float | None = None
    rejected: int = 0  # rejected attempts since t = 0 (all segments)
    newton_iterations: int = 0  # Newton iterations since t = 0, rejected attempts included
    controller: dict = field(default_factory=dict)


@dataclass
class RunSummary:
    steps: int
    t: float
    newton_iterations: int
    rejected: int
    wall_seconds: float
    energy: float
    mass: float
    rejected_total: int = 0
    stopped_by: str | None = None  # the signal's name when SIGINT/SIGTERM stopped the run


class StopSignals:
    """Record SIGINT/SIGTERM instead of dying inside PETSc (whose own handler prints a crash trace
    and aborts): Python's handler replaces PETSc's for these two signals while the run lasts."""

    def __init__(self):
        self.received: int | None = None
        self._previous = {}

    def __enter__(self) -> StopSignals:
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.received = signum

    def __exit__(self, *exc) -> None:
        for sig, old in self._previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)


class Simulation:
    """All objects of one run; ``advance`` takes accepted steps until t_end or max_steps."""

    def __init__(self, case: Case, comm: MPI.Comm = MPI.COMM_WORLD):
        cfg = case.config
        self.case, self.cfg = case, cfg
        try:
            self.tagged = build_mesh(cfg.mesh, comm)
            # the case's periodic axes and those a gmsh file's periodic entities declare
            self.periodic_axes = tuple(sorted({AXES.index(a) for a in cfg.periodic} | set(self.tagged.periodic_axes)))
            facets = named_facets(cfg, self.tagged, self.periodic_axes)
        except ConfigError as exc:
            raise exc.in_file(case.source) from None
        self.mesh = self.tagged.mesh
        fe = build_free_energy(cfg.free_energy, cfg.variables, file=case.source)
        self.model = PhaseFieldModel(self.mesh, cfg, fe, use_quadrature(cfg.free_energy, fe), facets, self.periodic_axes)
        self.layout = SystemLayout(self.model.V, self.model.V0, self.periodic_axes)
        try:
            check_periodic_closure(self.model.dirichlet, self.layout)
        except ConfigError as exc:
            raise exc.in_file(case.source) from None
        self.controller = StepController(cfg.time, cfg.solver.rtol)
        max_it = self.controller.slow_iterations if cfg.time.adapt == "newton" else cfg.solver.max_it
        self.solver = NewtonSolver(self.model, self.layout, cfg.solver, max_it)
        self.u_nm2 = fem.Function(self.model.V, name="u_nm2")  # third state of the BDF2 error estimate
        self.state = RunState(dt=cfg.time.dt)

    def history(self) -> dict:
        m = self.model
        return {"u_n": m.u_n, "u_nm1": m.u_nm1, "u_nm2": self.u_nm2}

    def start(self, output: RunOutput, resume: bool) -> None:
        m = self.model
        if resume:
            saved = output.load_checkpoint(self.history())
            self.state = RunState(**{k: saved[k] for k in RunState.__dataclass_fields__ if k in saved})
            self.controller.restore(saved.get("controller", {}))
            output.start_logs(keep_until_step=self.state.step)
            return
        self.set_initial_state(warn=True)
        output.start_logs(keep_until_step=None)
        self._record(output, iterations=0, wall=0.0, at_output_time=0.0 in self.cfg.output.times)
        output.save_checkpoint(self._checkpoint_state(), self.history())

    def set_initial_state(self, warn: bool = False) -> None:
        """The case's initial fields in u_n (and u_nm1, u_nm2, u), made exactly periodic on periodic
        axes (the average over each node's copies); ``warn``: say so when a formula was not periodic."""
        m = self.model
        set_initial_state(m, self.cfg.initial)
        if self.periodic_axes:
            if warn:
                warn_if_not_periodic(self.mesh, self.cfg.initial, list(self.periodic_axes))
            self.solver.set_initial_guess(m.u_n)
            self.layout.prolong(self.solver.x, m.u_n)
        if m.elastic is not None:  # the displacement in equilibrium with the initial fields
            from pf_app.elasticity.coupling import equilibrate

            m.u.x.array[:] = m.u_n.x.array
            equilibrate(m, self.layout)
            m.u_n.x.array[:] = m.u.x.array
        for f in (m.u_nm1, self.u_nm2, m.u):
            f.x.array[:] = m.u_n.x.array

    def _checkpoint_state(self) -> dict:
        s = self.state
        return {"step": s.step, "t": s.t, "dt": s.dt, "dt_prev": s.dt_prev, "dt_prev2": s.dt_prev2,
                "rejected": s.rejected, "newton_iterations": s.newton_iterations,
                "controller": self.controller.state()}

    def _record(self, output: RunOutput, iterations: int, wall: float, at_output_time: bool) -> dict:
        m, s, out = self.model, self.state, self.cfg.output
        m.u.x.array[:] = m.u_n.x.array  # diagnostics of the accepted state
        row = {"step": s.step, "t": s.t, "dt": s.dt_prev or 0.0, "energy": m.energy(), "mass": m.mass(),
               "newton_iterations": iterations, "rejected": s.rejected, "wall_seconds": wall}
        for name, v in zip(self.cfg.fields.order_parameters, m.mean_abs_order()):
            row[f"mean_abs_{name}"] = v
        output.log_energy(row)
        if at_output_time or (out.fields_every and s.step % out.fields_every == 0):
            output.write_fields(s.t)
        if at_output_time or (out.png_every and s.step % out.png_every == 0):
            output.snapshot(s.step, s.t)
        return row

    def _error_estimate(self, dt: float, predicted: np.ndarray) -> tuple[float, int]:
        """(local truncation error of c and eta in the configured norm, its order), from the step's
        ``predicted`` state (:meth:`_predictor`, also Newton's start).

        Milne's device: the distance of the solution from the polynomial through the last accepted
        states (linear, or quadratic for BDF2 once three exist), times the constant of
        :func:`error_constant` that turns it into the step's own error."""
        s, m = self.state, self.model
        constant, order = error_constant(dt, s.dt_prev, self._dt_prev2())
        n = m.V.dofmap.index_map.size_local * m.n_fields
        u = m.u.x.array[:n].reshape(-1, m.n_fields)
        pred = predicted[:n].reshape(-1, m.n_fields)
        cols = list(m.evolving)
        diff = (u - pred)[:, cols]
        if self.cfg.time.error.norm == "max":
            norm = self.mesh.comm.allreduce(float(np.max(np.abs(diff), initial=0.0)), op=MPI.MAX)
        else:
            total = self.mesh.comm.allreduce(np.array([np.sum(diff * diff), diff.size], float), op=MPI.SUM)
            norm = float(np.sqrt(total[0] / total[1]))
        return abs(constant) * norm, order

    def _dt_prev2(self) -> float | None:
        """The step before the previous one, where the scheme's predictor uses it (BDF2)."""
        return self.state.dt_prev2 if self.cfg.time.scheme == "bdf2" else None

    def _predictor(self, dt: float) -> np.ndarray:
        """All dofs of the polynomial through the last accepted states, at t + dt: linear through
        u_{n-1}, u_n (backward Euler, or BDF2 before three states exist), else quadratic through
        u_{n-2}, u_{n-1}, u_n.  Needs one earlier step (``dt_prev``)."""
        s, m = self.state, self.model
        dt_prev2 = self._dt_prev2()
        un, unm1, unm2 = (f.x.array for f in (m.u_n, m.u_nm1, self.u_nm2))
        t0, t1, t2, t = -(s.dt_prev + (dt_prev2 or 0.0)), -s.dt_prev, 0.0, dt
        if dt_prev2 is None:
            return un + (t - t2) / (t2 - t1) * (un - unm1)
        # Lagrange polynomial through (t0, u_{n-2}), (t1, u_{n-1}), (t2, u_n) at t
        return (unm2 * ((t - t1) * (t - t2) / ((t0 - t1) * (t0 - t2)))
                + unm1 * ((t - t0) * (t - t2) / ((t1 - t0) * (t1 - t2)))
                + un * ((t - t0) * (t - t1) / ((t2 - t0) * (t2 - t1))))

    def _targets(self) -> list[float]:
        """Times the steps must land on, after the current time: output times, then t_end."""
        t, t_end = self.state.t, self.cfg.time.t_end
        return [x for x in self.cfg.output.times if t < x < t_end] + [t_end]

    def _step_length(self, target: float) -> tuple[float, bool]:
        """(dt, lands on target): the proposed dt, shortened to land exactly on the next target.

        With error control a target less than two steps away is reached in two equal steps, so no
        sliver of a step (and no wild BDF2 step ratio) follows."""
        dt, remaining = self.state.dt, target - self.state.t
        if remaining <= dt * (1 + LANDING_RTOL):
            return remaining, True
        if self.cfg.time.adapt == "error" and remaining < 2 * dt:
            return remaining / 2, False
        return dt, False

    def advance(self, output: RunOutput, progress: bool, stop: StopSignals | None = None) -> RunSummary:
        cfg, m, s, comm = self.cfg.time, self.model, self.state, self.mesh.comm
        t_end = cfg.t_end
        bar = Progress(f"{self.case.config.name}", t_end, unit="time", every_s=self.cfg.output.progress_seconds,
                       enabled=progress and comm.rank == 0)
        if progress and comm.rank == 0:
            print(self.solver.description, flush=True)
        wall0, first_step, its0, rejected0 = time.perf_counter(), s.step, s.newton_iterations, s.rejected
        eta = AdaptiveEta(wall0, s.t, fixed=cfg.adapt == "fixed")
        # a row's wall time: everything since the previous row's (its output and checkpoint included)
        # except the rejected attempts, which rejected.csv charges; the two add up to the loop's time
        mark, rejected_wall = wall0, 0.0
        stopped_by = None
        while s.t < t_end * (1 - 1e-12) and s.step - first_step < cfg.max_steps:
            received = comm.allreduce(stop.received or 0, op=MPI.MAX) if stop is not None else 0
            if received:  # every rank leaves at the same step
                stopped_by = signal.Signals(received).name
                break
            target = self._targets()[0]
            dt, lands = self._step_length(target)
            t_attempt = time.perf_counter()
            m.set_step(dt, s.dt_prev, cfg.scheme)
            m.t.value = target if lands else s.t + dt  # sources and boundary values at the end of the step
            # with error control (once a step exists) Newton starts from the error estimate's predictor
            predicted = self._predictor(dt) if cfg.adapt == "error" and s.dt_prev is not None else None
            m.u.x.array[:] = m.u_n.x.array if predicted is None else predicted
            converged, its = self.solver.solve()
            s.newton_iterations += its
            error = self._error_estimate(dt, predicted) if converged and predicted is not None else None
            decision = self.controller.decide(dt, its, error) if converged else None
            if decision is None or not decision.accept:
                s.rejected += 1
                proposal = decision.dt_next if decision is not None else self.controller.failed(dt)
                wall = time.perf_counter() - t_attempt
                rejected_wall += wall
                output.log_rejected({"step": s.step + 1, "t": s.t, "dt": dt, "newton_iterations": its,
                                     "error": error[0] if error else "", "reason": decision.reason if decision
                                     else self.solver.failure(), "wall_seconds": wall})
                s.dt = proposal
                if s.dt < cfg.dt_min:
                    output.save_checkpoint(self._checkpoint_state(), self.history())
                    raise StepSizeTooSmall(f"dt = {s.dt:.3g} < dt_min = {cfg.dt_min:.3g} at t = {s.t:.6g} "
                                           f"(step {s.step}); the last accepted state is in {output.dir}/checkpoint.npz")
                continue
            self.u_nm2.x.array[:] = m.u_nm1.x.array
            m.u_nm1.x.array[:] = m.u_n.x.array
            m.u_n.x.array[:] = m.u.x.array
            proposed = s.dt
            s.t = target if lands else s.t + dt
            s.step += 1
            s.dt_prev2, s.dt_prev = s.dt_prev, dt
            # error control sizes the next step from this one; the other rules keep the step they had
            # proposed before it was shortened to land on a target
            s.dt = decision.dt_next if cfg.adapt == "error" else decision.dt_next * proposed / dt
            now = time.perf_counter()
            row = self._record(output, its, now - mark - rejected_wall,
                               at_output_time=lands and target in self.cfg.output.times)
            if s.step % self.cfg.output.checkpoint_every == 0:
                output.save_checkpoint(self._checkpoint_state(), self.history())
            mark, rejected_wall = now, 0.0
            eta.add(time.perf_counter(), s.t, dt)
            bar.update(s.t, eta_s=eta.seconds_left(t_end), step=s.step, dt=dt, newton=s.newton_iterations,
                       rejected=s.rejected, energy=row["energy"])
        output.save_checkpoint(self._checkpoint_state(), self.history())
        out = self.cfg.output
        if out.fields_every and s.step % out.fields_every:
            output.write_fields(s.t)  # always keep the final state
        if out.png_every and s.step % out.png_every:
            output.snapshot(s.step, s.t)
        bar.update(s.t, step=s.step, dt=s.dt_prev or s.dt, newton=s.newton_iterations, rejected=s.rejected)
        bar.close()
        m.u.x.array[:] = m.u_n.x.array
        return RunSummary(s.step - first_step, s.t, s.newton_iterations - its0, s.rejected - rejected0,
                          time.perf_counter() - wall0, m.energy(), m.mass(), s.rejected, stopped_by)


def simulate(case: Case, resume: bool = False, progress: bool = True, output_type: type = RunOutput) -> RunSummary:
    """Run a case from its start or its checkpoint; results go to ``case.output_dir`` (written by
    ``output_type``, a :class:`RunOutput` that may add files, e.g. :mod:`pf_app.elasticity.pfhub4`)."""
    with StopSignals() as stop:
        sim = Simulation(case)
        output = output_type(case.output_dir, sim.model, case.config, resume)
        try:
            sim.start(output, resume)
            return sim.advance(output, progress, stop)
        finally:
            output.close()
