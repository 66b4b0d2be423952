"""Elasticity in the phase-field Newton system (pf_app.elasticity.coupling): the exact Jacobian, the
energy's decay, Eshelby's inclusion through the coupled solver, mean stresses and prescribed
displacements, the iterative solver against LU, and a zero misfit leaving the chemistry as it was."""

from __future__ import annotations

import numpy as np
import pytest

from pfcase import mpirun, read_energy, read_state, run_case, write_case

C0 = 0.7071067811865476
#: inhomogeneous stiffness (a rotated cubic crystal and an isotropic phase, weights in eta and c) and an
#: eigenstrain nonlinear in c and eta with shear and out-of-plane parts: every term of the driving forces
RICH = {"parameters": {"d": 0.05, "c0": C0, "t": 0.02},
        "eigenstrain": {"xx": "d*(c - c0) + t*eta^2", "yy": "d*(c - c0) - t*eta^2", "zz": "0.01*c", "xy": "0.01*eta*c"},
        "stiffness": [{"kind": "cubic", "C11": 250.0, "C12": 150.0, "C44": 100.0, "euler_bunge_deg": [20, 10, 0],
                       "weight": "1 - eta^2"},
                      {"kind": "isotropic", "E": 200.0, "nu": 0.3, "weight": "eta^2 + c"}]}
NOISE = {"c": {"kind": "random_uniform", "value": C0, "low": -0.05, "high": 0.05, "seed": 1},
         "eta": {"kind": "random_uniform", "low": -0.05, "high": 0.05, "seed": 3}}
#: Newton to 1e-11 and GMRES to 1e-10 (as tests/phasefield/test_pf_iterative_solver.py): two linear solvers
#: then give trajectories within cond(J) x 1e-11 per step, cond(J) < 1e4 on these meshes: 1e-6 over 10 steps
TIGHT = {"rtol": 1e-11, "atol": 1e-14, "linear_rtol": 1e-10, "reuse_factorization": 0}
STATE_TOL = 1e-6


def _started(path):
    from pf_app.phasefield.case import load_case
    from pf_app.phasefield.simulation import Simulation

    sim = Simulation(load_case(path))
    sim.set_initial_state()
    return sim


def _jacobian_cases():
    yield "2d_traction_free_bdf2", dict(periodic=[], mesh={"lengths": [1.0, 1.0], "cells": [5, 5]},
                                        elasticity={**RICH, "boundary": {"kind": "traction_free"}})
    yield "3d_periodic", dict(periodic=["x", "y", "z"], mesh={"lengths": [1.0, 1.0, 1.0], "cells": [3, 3, 3]},
                              elasticity={**RICH, "eigenstrain": {**RICH["eigenstrain"], "yz": "0.01*eta"},
                                          "boundary": {"kind": "periodic",
                                                       "mean_strain": {k: 0.001 for k in ("xx", "yy", "zz", "yz", "xz", "xy")}}})


@pytest.mark.parametrize("name,changes", list(_jacobian_cases()), ids=[n for n, _ in _jacobian_cases()])
def test_coupled_jacobian_equals_central_differences_of_the_residual(tmp_path, name, changes):
    """J v against (R(x + h v) - R(x - h v)) / 2h at a random state, BDF2 coefficients, all fields
    perturbed.  The central difference's error is h^2/6 R''' v^3 plus rounding eps |R| / h: with
    h = 1e-4 and the fields' polynomial terms of degree <= 6 with O(1-100) coefficients, both are below
    1e-8 relative (measured 2e-10); a wrong or missing block (e.g. a driving force's dependence on u)
    is an O(1) error."""
    sim = _started(write_case(tmp_path, name, solver={"linear": "lu"}, initial=NOISE,
                              time={"scheme": "bdf2", "dt": 0.5}, **changes))
    m, solver = sim.model, sim.solver
    m.set_step(0.5, 0.7, "bdf2")
    rng = np.random.default_rng(0)
    x = solver.x.duplicate()
    x.setArray(rng.uniform(-0.1, 0.1, x.getLocalSize()) + 0.5)
    solver._jacobian(None, x, solver.jacobian.matrix, None)
    v = x.duplicate()
    v.setArray(rng.uniform(-1.0, 1.0, x.getLocalSize()))
    Jv = x.duplicate()
    solver.jacobian.matrix.mult(v, Jv)
    h = 1e-4
    plus, minus = x.duplicate(), x.duplicate()
    solver._residual(None, x + h * v, plus)
    solver._residual(None, x - h * v, minus)
    fd = (plus - minus) / (2 * h)
    assert (fd - Jv).norm() <= 1e-8 * Jv.norm()
    # vanishing blocks stay None: d(c row)/du and d(u rows)/dmu
    first = m.elastic.first
    blocks = m.jacobian_blocks
    assert all(blocks[0][first + a].combined is None for a in range(m.elastic.dim))
    assert all(blocks[first + a][1].combined is None for a in range(m.elastic.dim))
    assert all(blocks[1][first + a].combined is not None for a in range(m.elastic.dim))  # W_c depends on u


def test_total_free_energy_decreases_and_mass_is_conserved(tmp_path):
    """Backward Euler is a discrete gradient flow of F = integral of g + gradient + elastic energy for
    small enough dt (dt = 1 here, as in tests/phasefield/test_pf_conservation.py): F never increases
    (to rounding, 1e-14 of its scale) while the elastic energy is a finite part of it; the mass is
    conserved to rounding (the c row tested with 1)."""
    el = {**RICH, "boundary": {"kind": "periodic", "mean_strain": {"xx": 0.0, "yy": 0.0, "xy": 0.0}}}
    path = write_case(tmp_path, elasticity=el, initial=NOISE, solver={"linear": "lu"},
                      time={"t_end": 20.0, "dt": 1.0, "adapt": "fixed", "scheme": "backward_euler"})
    case, summary = run_case(path)
    e = read_energy(case.output_dir)
    assert summary.rejected == 0 and len(e["step"]) == 21
    scale = np.max(np.abs(e["energy"]))
    assert np.all(np.diff(e["energy"]) <= 1e-14 * scale)
    assert e["energy"][-1] < 0.95 * e["energy"][0]  # the noise relaxed (the plane-strain zz misfit keeps a floor)
    assert np.all(e["elastic_energy"] > 0) and e["elastic_energy"][-1] > 1e-3 * e["energy"][-1]
    assert np.max(np.abs(e["mass"] - e["mass"][0])) <= 1e-12 * e["mass"][0]


def test_zero_misfit_leaves_the_chemistry_as_without_elasticity(tmp_path):
    """No eigenstrain and one stiffness: the displacement stays zero and the elastic terms vanish, so c,
    mu and eta follow the run without an elasticity block (the same discrete equations; another
    linear system size, so agreement to the Newton tolerance, STATE_TOL as for iterative vs LU).
    A shifted row or a wrong history field would be an O(1) difference."""
    base = dict(initial=NOISE, solver=TIGHT | {"linear": "lu"}, time={"scheme": "bdf2", "t_end": 10.0})
    plain, _ = run_case(write_case(tmp_path, "plain", **base))
    coupled, _ = run_case(write_case(tmp_path, "coupled", elasticity={
        "stiffness": [{"kind": "isotropic", "E": 100.0, "nu": 0.3}],
        "boundary": {"kind": "periodic", "mean_strain": {"xx": 0.0, "yy": 0.0, "xy": 0.0}}}, **base))
    _, u_plain = read_state(plain.output_dir)
    _, u_coupled = read_state(coupled.output_dir)
    np.testing.assert_allclose(u_coupled[:, :3], u_plain, atol=STATE_TOL, rtol=0)
    assert np.max(np.abs(u_coupled[:, 3:])) < 1e-12  # the displacement (exactly zero load)
    assert np.ptp(u_plain[:, 2]) > 100 * STATE_TOL  # eta moved: the comparison is not vacuous
    e = read_energy(coupled.output_dir)
    assert np.max(np.abs(e["elastic_energy"])) < 1e-20


def test_eshelby_inclusion_through_the_coupled_solver():
    """The smeared circular inclusion of tests/test_elasticity_eshelby.py as a phase-field case (c the
    tanh profile, a mobility of 1e-12 so c stays put, one Newton-solved step): the core stress is that
    of the standalone mechanical solver on the same discrete problem (LU rounding x cond ~1e-10; c
    moves by M dt ~ 1e-12) and the exact stress of the profile to the P1 error 1e-2 (phase A's bound)."""
    from pf_app.elasticity import verification

    measured, exact, _ = verification.coupled_circular_inclusion()
    standalone = verification.circular_inclusion(degree=1, width=0.02)
    scale = np.max(np.abs(exact))
    np.testing.assert_allclose(measured, standalone.measured, rtol=0, atol=1e-8 * scale)
    np.testing.assert_allclose(measured, exact, rtol=0, atol=1e-2 * scale)


def test_periodic_box_holds_the_prescribed_mean_stress(tmp_path):
    """Vegard's eigenstrain in c and one cubic stiffness: the mean strain follows from the mean stress in
    closed form (docs/elasticity.md), so after any step <sigma> is the prescribed one, here xx = 0.3 and
    zero for yy and xy, to rounding x condition (1e-10 of the stress scale C d = 12)."""
    from pf_app.elasticity.solver import CellStress

    el = {"parameters": {"d": 0.05, "c0": C0}, "eigenstrain": {k: "d*(c - c0)" for k in ("xx", "yy", "zz")},
          "stiffness": [{"kind": "cubic", "C11": 250.0, "C12": 150.0, "C44": 100.0, "euler_bunge_deg": [30, 0, 0]}],
          "boundary": {"kind": "periodic", "mean_stress": {"xx": 0.3}}}
    path = write_case(tmp_path, elasticity=el, initial=NOISE | {"c": {**NOISE["c"], "value": 0.6}},
                      time={"t_end": 3.0, "dt": 1.0, "adapt": "fixed"}, solver={"linear": "lu"})
    sim = _started(path)
    m = sim.model
    for _ in range(3):
        m.set_step(1.0, None, "backward_euler")
        m.u.x.array[:] = m.u_n.x.array
        assert sim.solver.solve()[0]
        m.u_n.x.array[:] = m.u.x.array
    mean = CellStress(m.mesh, m.elastic.stress, m.elastic.dx).mean()
    np.testing.assert_allclose(mean[[0, 1, 5]], [0.3, 0.0, 0.0], rtol=0, atol=1e-10 * 12)
    assert abs(m.elastic.mean_strain.value[0, 0]) > 1e-4  # E moved: the box is not held


def test_named_boundaries_prescribe_displacements(tmp_path):
    """A plane-strain bar pulled by ``boundaries.<name>.dirichlet: {u_x: ...}`` on its ends, sides free,
    uniform c: sigma_xx = E delta / ((1 - nu^2) L), sigma_yy = 0, sigma_zz = nu sigma_xx, which P1
    represents exactly (rounding x cond ~(L/h)^2: 1e-9).  The ends fix u_x and the rotation; the y
    translation is pinned."""
    from pf_app.elasticity.solver import CellStress

    E, nu, delta, L = 100.0, 0.3, 0.002, 2.0
    path = write_case(tmp_path, periodic=[], mesh={"lengths": [L, 0.5], "cells": [16, 4]},
                      initial={"c": {"kind": "constant", "value": C0}, "eta": {"kind": "constant", "value": 0.0}},
                      boundaries={"left": {"where": "x < 1e-9", "dirichlet": {"u_x": 0.0}},
                                  "right": {"where": "x > 2 - 1e-9", "dirichlet": {"u_x": delta}}},
                      elasticity={"stiffness": [{"kind": "isotropic", "E": E, "nu": nu}]},
                      time={"t_end": 1.0, "dt": 1.0}, solver={"linear": "lu"})
    case, _ = run_case(path)
    sim = _started(path)
    m = sim.model
    pins = sum(len(bc.dof_indices()[0]) for bc in m.dirichlet.by_field.get(m.elastic.first + 1, []))
    assert pins == 1  # u_y pinned once (the y translation), no u_y boundary
    integral, volume = CellStress(m.mesh, m.elastic.stress, m.elastic.dx).integrals()
    s = E * delta / ((1 - nu * nu) * L)
    np.testing.assert_allclose(integral / volume[:, None], np.tile([s, 0, nu * s, 0, 0, 0], (len(volume), 1)),
                               atol=1e-9 * s)
    _, state = read_state(case.output_dir)  # the run's end state: the same field
    assert abs(np.max(state[:, 3]) - delta) < 1e-12


def _iterative_cases():
    el = {**RICH, "boundary": {"kind": "periodic", "mean_strain": {"xx": 0.0, "yy": 0.0, "xy": 0.0}}}
    yield "2d_periodic", dict(elasticity=el, initial=NOISE, time={"t_end": 10.0, "dt": 1.0, "adapt": "fixed"})
    yield "3d_periodic", dict(elasticity={**RICH, "boundary": {"kind": "periodic", "mean_strain": {
        k: 0.0 for k in ("xx", "yy", "zz", "yz", "xz", "xy")}}}, initial=NOISE, periodic=["x", "y", "z"],
        mesh={"lengths": [1.0, 1.0, 1.0], "cells": [6, 6, 6]}, time={"t_end": 4.0, "dt": 1.0, "adapt": "fixed"})


@pytest.mark.parametrize("name,changes", list(_iterative_cases()), ids=[n for n, _ in _iterative_cases()])
def test_iterative_solver_with_the_displacement_block_follows_lu(tmp_path, name, changes):
    """The same Newton iteration with the block preconditioner (displacement block by GAMG) and with LU:
    trajectories within STATE_TOL (module constants) of each field's scale (measured: 1e-16)."""
    runs = {}
    for linear in ("lu", "iterative"):
        case, summary = run_case(write_case(tmp_path, linear, solver=TIGHT | {"linear": linear}, **changes))
        runs[linear] = (read_state(case.output_dir)[1], summary)
    (u_lu, s_lu), (u_it, s_it) = runs["lu"], runs["iterative"]
    assert s_it.steps == s_lu.steps and s_it.rejected == s_lu.rejected == 0
    np.testing.assert_allclose(u_it[:, :3], u_lu[:, :3], atol=STATE_TOL, rtol=0)
    scale = np.max(np.abs(u_lu[:, 3:]))  # the displacement (~1e-5): the same relative agreement
    assert scale > 1e-6
    np.testing.assert_allclose(u_it[:, 3:], u_lu[:, 3:], atol=STATE_TOL * scale, rtol=0)


@pytest.mark.parametrize("change,key", [
    ({"boundary": {"kind": "displacement", "displacement": [{"boundary": "xmin", "x": 0.0}]}}, "elasticity.boundary.kind"),
    ({"degree": 2}, "elasticity.degree"),
    ({"boundary": {"kind": "traction_free"}}, "elasticity.boundary.kind"),
    ({"stiffness": [{"kind": "isotropic", "E": 1.0, "nu": 0.3, "weight": "1 - eta"}, {"kind": "isotropic", "E": 2.0,
      "nu": 0.3, "weight": "eta"}], "boundary": {"kind": "periodic"}}, "elasticity.boundary.mean_strain.xx"),
    ({"eigenstrain": {"xx": "eta"}, "boundary": {"kind": "periodic"}}, "elasticity.boundary.mean_strain.xx"),
    ({"eigenstrain": {"yz": "c"}}, "elasticity.eigenstrain.yz"),
])
def test_case_errors_name_the_key(tmp_path, change, key):
    from pf_app.config import ConfigError
    from pf_app.phasefield.case import load_case

    el = {"stiffness": [{"kind": "isotropic", "E": 100.0, "nu": 0.3}],
          "boundary": {"kind": "periodic", "mean_strain": {"xx": 0.0, "yy": 0.0, "xy": 0.0}}, **change}
    with pytest.raises(ConfigError) as err:
        load_case(write_case(tmp_path, elasticity=el))
    assert f": {key}: expected" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.mpi
def test_two_ranks_reproduce_the_serial_coupled_run(tmp_path):
    """A traction-free box (rigid modes pinned at the same nodes on any partition) with a prescribed
    displacement, the rich law, two BDF2 steps: 2 ranks solve the same discrete problem; MUMPS orders
    its sums differently (1e-9 relative, as tests/phasefield/test_pf_parallel_and_apb.py), so the states agree to
    1e-8 of their scale."""
    cfg = dict(periodic=[], mesh={"lengths": [1.0, 1.0], "cells": [12, 12]}, initial=NOISE,
               elasticity={**RICH, "boundary": {"kind": "traction_free"}},
               boundaries={"bottom": {"where": "y < 1e-9", "dirichlet": {"u_y": 0.0}}},
               time={"t_end": 2.0, "dt": 1.0, "scheme": "bdf2", "adapt": "fixed"}, solver={"linear": "lu"})
    serial, _ = run_case(write_case(tmp_path, "serial", **cfg))
    out = mpirun(["-m", "pf_app", "run", str(write_case(tmp_path, "parallel", **cfg)), "--quiet"])
    assert out.returncode == 0, out.stderr[-3000:]
    u1, u2 = read_state(serial.output_dir)[1], read_state(tmp_path / "out_parallel")[1]
    np.testing.assert_allclose(u2, u1, rtol=0, atol=1e-8 * np.max(np.abs(u1)))
    assert np.max(np.abs(u1[:, 3:])) > 1e-4  # a displacement to compare
