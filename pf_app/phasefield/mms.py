"""Manufactured solutions: a case run on a prescribed sequence of steps, and the L2 error of a field
against an exact formula in x, y, z, t.

The observed order of accuracy of a discretization is measured by running a case whose sources make
a chosen function the exact solution (PFHub benchmark 7, ``inputs/pfhub_7a.yaml``) on a sequence of
meshes or of time steps; ``benchmarks/mms_convergence.py`` and ``tests/phasefield/test_pf_mms.py`` use
these functions.  The steps are given, not chosen by a step controller: each is taken with the case's
scheme (variable-step BDF2 uses the ratio to the previous step), Newton converged to the case's
tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import ufl
from mpi4py import MPI

from dolfinx import fem

from pf_app.config import load_yaml
from pf_app.phasefield.case import Case, load_case
from pf_app.phasefield.initial import set_initial_state
from pf_app.phasefield.simulation import Simulation
from pf_app.phasefield.sources import space_time


#: Orders measured on small meshes (the tests, ``--quick``): PFHub 7's formulas with a wider interface and
#: longer waves along it, resolved by 8 to 64 cells per unit length, and a faster sway in time
GENTLE = {"kappa": 4e-3, "B1": 2.0, "B2": 4.0}
#: The spatial study freezes the solution in time (alpha = 1/4 + A2 sin(B2 pi x)): the schemes are exact
#: for a steady solution, so the error left is the spatial one
FROZEN = {"A1": 0.0, "C2": 0.0}
#: Relative lengths of neighbouring steps in the variable-step study (ratios 0.5 to 1.8)
STEP_PATTERN = (1.0, 1.8, 0.9, 1.5, 0.8)
NEWTON = ["solver.rtol=1e-12", "solver.atol=1e-14"]  # well below the smallest differences measured


class StepFailed(RuntimeError):
    """Newton did not converge on a prescribed step."""


def run_steps(case: Case, steps: Sequence[float], comm: MPI.Comm = MPI.COMM_WORLD) -> Simulation:
    """Start ``case`` and take exactly the given steps; returns the simulation at the last step's
    end (``sim.model.u_n``, time ``sim.model.t``)."""
    sim = Simulation(case, comm)
    m, scheme = sim.model, case.config.time.scheme
    sim.set_initial_state()  # made exactly periodic, as a run does
    t, dt_prev = 0.0, None
    for dt in steps:
        m.set_step(dt, dt_prev, scheme)
        m.t.value = t + dt
        m.u.x.array[:] = m.u_n.x.array
        converged, _ = sim.solver.solve()
        if not converged:
            raise StepFailed(f"step {dt:.3g} at t = {t:.6g}: {sim.solver.failure()}")
        m.u_nm1.x.array[:] = m.u_n.x.array
        m.u_n.x.array[:] = m.u.x.array
        t, dt_prev = t + dt, dt
    return sim


def l2_error(sim: Simulation, field: str, exact: str, parameters: dict[str, float], degree: int = 10) -> float:
    """|| u_field - exact ||_L2 over the domain at the model's time (quadrature of ``degree``)."""
    m = sim.model
    u = m.u_n[m.field_names().index(field)]
    e = u - space_time(exact, parameters, m.mesh, m.t)
    local = fem.assemble_scalar(fem.form(e * e * ufl.dx(domain=m.mesh, metadata={"quadrature_degree": degree})))
    return float(np.sqrt(m.mesh.comm.allreduce(local, op=MPI.SUM)))


def observed_order(sizes: Sequence[float], errors: Sequence[float]) -> float:
    """The least-squares slope p of log(error) = p log(size) + b (PFHub 7's definition)."""
    return float(np.polyfit(np.log(sizes), np.log(errors), 1)[0])


def parameter_overrides(case_file: str | Path, values: dict[str, float]) -> list[str]:
    """``--set`` strings giving each formula parameter in ``values`` its value in every ``parameters``
    block of the case that has it (initial fields, sources, boundaries: a manufactured solution's
    constants appear in all of them), and ``kappa`` to ``gradient.kappa_eta`` too."""
    data, out = load_yaml(case_file), []

    def walk(node, key):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "parameters" and isinstance(v, dict):
                    out.extend(f"{key}parameters.{name}={values[name]!r}" for name in v if name in values)
                else:
                    walk(v, f"{key}{k}.")

    walk(data, "")
    if "kappa" in values:  # PFHub 7's kappa is the equation's gradient coefficient as well
        out.append(f"gradient.kappa_eta={values['kappa']!r}")
    return out


def uniform_steps(t_end: float, n: int) -> list[float]:
    return [t_end / n] * n


def patterned_steps(t_end: float, pattern: Sequence[float], repeats: int) -> list[float]:
    """A non-uniform step sequence: ``pattern`` (relative lengths) repeated, scaled to end at t_end;
    doubling ``repeats`` halves every step and keeps the ratios of neighbouring steps."""
    steps = np.tile(np.asarray(pattern, float), repeats)
    return list(steps * t_end / steps.sum())


@dataclass
class Study:
    """Step or mesh sizes, the L2 errors (or differences) there, and the fitted order."""

    sizes: list[float]
    errors: list[float]

    @property
    def order(self) -> float:
        return observed_order(self.sizes, self.errors)


def manufactured_solution(case_file) -> tuple[str, str, dict[str, float]]:
    """(field, exact solution, its parameters) of a manufactured-solution case: the Dirichlet value of
    its first boundary with one (``inputs/pfhub_7a.yaml`` gives the exact solution on its boundaries)."""
    for spec in load_yaml(case_file).get("boundaries", {}).values():
        for field, text in spec.get("dirichlet", {}).items():
            return field, str(text), dict(spec.get("parameters", {}))
    raise ValueError(f"{case_file}: no Dirichlet value to take the exact solution from")


def space_order(case_file, degree: int, cells: Sequence[int], parameters: dict[str, float] | None = None,
                t_end: float = 1.0, n_steps: int = 4, comm: MPI.Comm = MPI.COMM_WORLD) -> Study:
    """L2 errors of the frozen manufactured solution (:data:`FROZEN`) on meshes of ``cells`` per unit
    length (the case's lengths times them), Lagrange ``degree``, at t_end."""
    values = {**(parameters or {}), **FROZEN}
    field, exact, exact_parameters = manufactured_solution(case_file)
    overrides = [*parameter_overrides(case_file, values), f"fields.degree={degree}", f"time.t_end={t_end}", *NEWTON]
    lengths = load_case(case_file, output="/dev/null").config.mesh.lengths
    meshes = [tuple(max(1, round(n * length)) for length in lengths) for n in cells]
    return Study(*space_errors(case_file, meshes, uniform_steps(t_end, n_steps), field, exact,
                               {**exact_parameters, **values}, overrides, comm))


def time_order(case_file, scheme: str, cells: int, steps: Sequence[int], parameters: dict[str, float] | None = None,
               variable: bool = False, t_end: float = 1.0, comm: MPI.Comm = MPI.COMM_WORLD) -> Study:
    """Differences of successive runs with ``steps`` steps to t_end (each count twice the one before) on
    one mesh of ``cells`` per unit length; uniform steps, or :data:`STEP_PATTERN` repeated (``variable``)."""
    field, _, _ = manufactured_solution(case_file)
    lengths = load_case(case_file, output="/dev/null").config.mesh.lengths
    overrides = [*parameter_overrides(case_file, parameters or {}), f"time.scheme={scheme}", *NEWTON,
                 f"mesh.cells={[max(1, round(cells * length)) for length in lengths]}"]
    if variable:
        sequences = [patterned_steps(t_end, STEP_PATTERN, n // len(STEP_PATTERN)) for n in steps]
    else:
        sequences = [uniform_steps(t_end, n) for n in steps]
    return Study(*time_differences(case_file, sequences, field, overrides, comm))


def space_errors(case_file, cells: Sequence[tuple[int, ...]], steps: Sequence[float], field: str, exact: str,
                 parameters: dict[str, float], overrides: Sequence[str] = (), comm: MPI.Comm = MPI.COMM_WORLD):
    """(h, L2 error) on each mesh of ``cells`` (h = the first length over the first cell count)."""
    sizes, errors = [], []
    for n in cells:
        case = load_case(case_file, [*overrides, f"mesh.cells={list(n)}"], output="/dev/null")
        sim = run_steps(case, steps, comm)
        sizes.append(case.config.mesh.lengths[0] / n[0])
        errors.append(l2_error(sim, field, exact, parameters))
    return sizes, errors


def time_differences(case_file, sequences: Sequence[Sequence[float]], field: str, overrides: Sequence[str] = (),
                     comm: MPI.Comm = MPI.COMM_WORLD):
    """(largest step, || u - u_next ||_L2) for each sequence but the last: the difference from the run
    on the next, finer sequence, all on one mesh, so the spatial error cancels; for an error C dt^p
    the differences are C (1 - 2^-p) dt^p when each sequence halves the steps of the one before."""
    case = load_case(case_file, list(overrides), output="/dev/null")
    previous, differences = None, []
    for steps in sequences:
        m = run_steps(case, steps, comm).model
        state = (m.V.tabulate_dof_coordinates(), m.u_n.x.array.copy())
        if previous is not None:  # the same case on the same ranks: the same mesh and dof numbering
            assert np.array_equal(previous[0], state[0]), "the runs' dofs differ"
            d = fem.Function(m.V)
            d.x.array[:] = previous[1] - state[1]
            k = m.field_names().index(field)
            local = fem.assemble_scalar(fem.form(d[k] * d[k] * ufl.dx(domain=m.mesh)))
            differences.append(float(np.sqrt(comm.allreduce(local, op=MPI.SUM))))
        previous = state
    return [max(s) for s in sequences[:-1]], differences
