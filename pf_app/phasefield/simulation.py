"""The time loop: solve, accept or retry, log, write fields, pictures and checkpoints.

A failed solve (divergence, NaN, too many Newton iterations) restores the last accepted state and
retries with a smaller dt; below ``dt_min`` the run writes a checkpoint and stops with
:class:`StepSizeTooSmall` (the CLI reports it and exits with status 3).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from mpi4py import MPI

from pf_app.freeenergy.base import build_free_energy, use_quadrature
from pf_app.progress import Progress
from pf_app.phasefield.case import AXES, Case
from pf_app.phasefield.initial import set_initial_state
from pf_app.phasefield.mesh import build_mesh
from pf_app.phasefield.model import PhaseFieldModel
from pf_app.phasefield.output import RunOutput
from pf_app.phasefield.periodic import PeriodicMap
from pf_app.phasefield.solver import NewtonSolver
from pf_app.phasefield.timestepping import StepController


class StepSizeTooSmall(RuntimeError):
    """dt fell below dt_min; the last accepted state is in the checkpoint."""


@dataclass
class RunState:
    step: int = 0
    t: float = 0.0
    dt: float = 0.0
    dt_prev: float | None = None
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


class Simulation:
    """All objects of one run; ``advance`` takes accepted steps until t_end or max_steps."""

    def __init__(self, case: Case, comm: MPI.Comm = MPI.COMM_WORLD):
        cfg = case.config
        self.case, self.cfg = case, cfg
        self.mesh = build_mesh(cfg.mesh, comm)
        fe = build_free_energy(cfg.free_energy, cfg.variables, file=case.source)
        self.model = PhaseFieldModel(self.mesh, cfg, fe, use_quadrature(cfg.free_energy, fe))
        axes = tuple(AXES.index(a) for a in cfg.periodic)
        self.periodic = PeriodicMap(self.model.V, axes) if axes else None
        max_it = cfg.time.newton.slow_iterations if cfg.time.adapt == "newton" else cfg.solver.max_it
        self.solver = NewtonSolver(self.model, self.periodic, cfg.solver, max_it)
        self.controller = StepController(cfg.time)
        self.state = RunState(dt=cfg.time.dt)

    def start(self, output: RunOutput, resume: bool) -> None:
        m = self.model
        if resume:
            saved = output.load_checkpoint()
            self.state = RunState(**{k: saved[k] for k in ("step", "t", "dt", "dt_prev")})
            self.controller.restore(saved.get("controller", {}))
            output.start_energy_log(keep_until_step=self.state.step)
            return
        set_initial_state(m, self.cfg.initial)
        if self.periodic is not None:  # make the start exactly periodic (average over copies)
            self.solver.set_initial_guess(m.u_n)
            self.periodic.prolong(self.solver.x, m.u_n)
        m.u_nm1.x.array[:] = m.u_n.x.array
        m.u.x.array[:] = m.u_n.x.array
        output.start_energy_log(keep_until_step=None)
        self._record(output, iterations=0, wall=0.0)
        output.save_checkpoint(self._checkpoint_state())

    def _checkpoint_state(self) -> dict:
        s = self.state
        return {"step": s.step, "t": s.t, "dt": s.dt, "dt_prev": s.dt_prev, "controller": self.controller.state()}

    def _record(self, output: RunOutput, iterations: int, wall: float) -> dict:
        m, s, out = self.model, self.state, self.cfg.output
        m.u.x.array[:] = m.u_n.x.array  # diagnostics of the accepted state
        row = {"step": s.step, "t": s.t, "dt": s.dt_prev or 0.0, "energy": m.energy(), "mass": m.mass(),
               "newton_iterations": iterations, "wall_seconds": wall}
        for name, v in zip(self.cfg.fields.order_parameters, m.mean_abs_order()):
            row[f"mean_abs_{name}"] = v
        output.log_energy(row)
        if out.fields_every and s.step % out.fields_every == 0:
            output.write_fields(s.t)
        if out.png_every and s.step % out.png_every == 0:
            output.snapshot(s.step, s.t)
        return row

    def _error_estimate(self, dt: float) -> float | None:
        """RMS of (u - linear predictor) over c and eta, scaled to a first-order local error."""
        s, m = self.state, self.model
        if s.dt_prev is None:
            return None
        n = m.V.dofmap.index_map.size_local * m.n_fields
        u, un, unm1 = (f.x.array[:n].reshape(-1, m.n_fields) for f in (m.u, m.u_n, m.u_nm1))
        pred = un + (dt / s.dt_prev) * (un - unm1)
        cols = [0, *range(2, m.n_fields)]
        diff = (u - pred)[:, cols]
        total = self.mesh.comm.allreduce(np.array([np.sum(diff * diff), diff.size], float), op=MPI.SUM)
        return dt / (dt + s.dt_prev) * float(np.sqrt(total[0] / total[1]))

    def advance(self, output: RunOutput, progress: bool) -> RunSummary:
        cfg, m, s = self.cfg.time, self.model, self.state
        t_end = cfg.t_end
        bar = Progress(f"{self.case.config.name}", t_end, unit="time", every_s=self.cfg.output.progress_seconds,
                       enabled=progress and self.mesh.comm.rank == 0)
        wall0, total_its, rejected, first_step = time.perf_counter(), 0, 0, s.step
        row = None
        while s.t < t_end * (1 - 1e-12) and s.step - first_step < cfg.max_steps:
            dt = min(s.dt, t_end - s.t)
            t_step = time.perf_counter()
            m.set_step(dt, s.dt_prev, cfg.scheme)
            m.u.x.array[:] = m.u_n.x.array
            converged, its = self.solver.solve()
            total_its += its
            if converged:
                decision = self.controller.decide(dt, its, self._error_estimate(dt) if cfg.adapt == "error" else None)
            else:
                decision = None
            if decision is None or not decision.accept:
                rejected += 1
                s.dt = decision.dt_next if decision is not None else self.controller.failed(dt)
                if s.dt < cfg.dt_min:
                    output.save_checkpoint(self._checkpoint_state())
                    raise StepSizeTooSmall(f"dt = {s.dt:.3g} < dt_min = {cfg.dt_min:.3g} at t = {s.t:.6g} "
                                           f"(step {s.step}); the last accepted state is in {output.dir}/checkpoint.npz")
                continue
            m.u_nm1.x.array[:] = m.u_n.x.array
            m.u_n.x.array[:] = m.u.x.array
            s.t += dt
            s.step += 1
            s.dt_prev = dt
            s.dt = decision.dt_next
            row = self._record(output, its, time.perf_counter() - t_step)
            if s.step % self.cfg.output.checkpoint_every == 0:
                output.save_checkpoint(self._checkpoint_state())
            bar.update(s.t, step=s.step, dt=dt, newton=its, energy=row["energy"])
        output.save_checkpoint(self._checkpoint_state())
        out = self.cfg.output
        if out.fields_every and s.step % out.fields_every:
            output.write_fields(s.t)  # always keep the final state
        if out.png_every and s.step % out.png_every:
            output.snapshot(s.step, s.t)
        bar.update(s.t, force=True, step=s.step, dt=s.dt_prev or s.dt)
        m.u.x.array[:] = m.u_n.x.array
        return RunSummary(s.step - first_step, s.t, total_its, rejected, time.perf_counter() - wall0,
                          m.energy(), m.mass())


def simulate(case: Case, resume: bool = False, progress: bool = True) -> RunSummary:
    """Run a case from its start or its checkpoint; results go to ``case.output_dir``."""
    sim = Simulation(case)
    output = RunOutput(case.output_dir, sim.model, case.config, resume)
    try:
        sim.start(output, resume)
        return sim.advance(output, progress)
    finally:
        output.close()
