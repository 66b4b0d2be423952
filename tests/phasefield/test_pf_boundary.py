"""Boundary conditions on named boundaries (issue 25, item 2): a prescribed flux of c, Dirichlet
values of c and eta (constant or changing in time), on gmsh physical groups and on coordinate tests,
and one-line errors for names a mesh does not have."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pfcase import read_energy, read_state, run_case, write_case

REPO = Path(__file__).resolve().parents[2]
MESHES = REPO / "meshes"
NEWTON_RTOL = 1e-9  # solver.rtol: residuals reach 1e-9 of their start, so the fields are exact to ~1e-10


def _case(tmp_path, name="case", **changes):
    """Pure Cahn-Hilliard on a unit square (no order parameter) unless changed."""
    base = dict(mesh={"lengths": [1.0, 1.0], "cells": [8, 8]}, periodic=[], fields={"order_parameters": []},
                free_energy={"kind": "formula", "formula": "0.5*c**2"}, mobility={"kind": "constant", "M": 1.0},
                gradient={"kappa_c": 1e-2, "kappa_eta": 0.0},
                initial={"c": {"kind": "constant", "value": 0.5}},
                time={"scheme": "backward_euler", "t_end": 1.0, "dt": 0.25, "adapt": "fixed"})
    base.update(changes)
    return write_case(tmp_path, name, **base)


def test_prescribed_flux_on_a_physical_group_drains_mass_at_its_rate(tmp_path):
    """A flux j(t) = 0.2 + 0.4 t out through the rim of meshes/disc.msh (a gmsh physical group):
    summing the c rows of the weak form (the test functions add up to 1) gives exactly
    d/dt integral(c) = -j |rim|, so backward Euler's mass after each step is the previous one minus
    dt j(t_{n+1}) |rim| (j at the end of the step), to the Newton tolerance."""
    pytest.importorskip("gmsh", reason="gmsh is an optional extra")
    from pf_app.phasefield.case import load_case
    from pf_app.phasefield.simulation import Simulation

    path = _case(tmp_path, mesh={"file": str(MESHES / "disc.msh")},
                 boundaries={"rim": {"flux": "a + b*t", "parameters": {"a": 0.2, "b": 0.4}}})
    case, _ = run_case(path)
    e = read_energy(case.output_dir)
    sim = Simulation(load_case(path))
    import ufl
    from mpi4py import MPI

    from dolfinx import fem

    rim = sim.mesh.comm.allreduce(fem.assemble_scalar(fem.form(fem.Constant(sim.mesh, 1.0) * ufl.ds(domain=sim.mesh))),
                                  op=MPI.SUM)
    expected = e["mass"][0] - np.cumsum(0.25 * (0.2 + 0.4 * e["t"][1:]) * rim)
    np.testing.assert_allclose(e["mass"][1:], expected, rtol=0, atol=1e3 * NEWTON_RTOL * abs(e["mass"][0]))


def test_dirichlet_values_give_the_linear_steady_state(tmp_path):
    """Allen-Cahn without a bulk term is diffusion, d eta/dt = L kappa lap eta: with eta = 0 on x = 0
    and 1 on x = 1 (coordinate tests) and no flux elsewhere its steady state is eta = x, which P1
    represents exactly; 40 backward-Euler steps of dt = 100 (kappa = 0.1: the slowest mode decays by
    (1 + 0.1 pi^2 * 100)^-40 ~ 1e-60) leave it to the Newton tolerance."""
    path = _case(tmp_path, fields={"order_parameters": ["eta"]}, free_energy={"kind": "formula", "formula": "0*eta"},
                 mobility={"kind": "constant", "M": 1.0, "L": 1.0}, gradient={"kappa_c": 1e-2, "kappa_eta": 0.1},
                 initial={"c": {"kind": "constant", "value": 0.5}, "eta": {"kind": "formula", "formula": "0.5 + 0.3*sin(7*y)"}},
                 boundaries={"left": {"where": "x < 1e-9", "dirichlet": {"eta": 0}},
                             "right": {"where": "x > 1 - 1e-9", "dirichlet": {"eta": "1.0"}}},
                 time={"scheme": "backward_euler", "t_end": 4000.0, "dt": 100.0, "adapt": "fixed"})
    case, _ = run_case(path)
    coords, u = read_state(case.output_dir)
    np.testing.assert_allclose(u[:, 2], coords[:, 0], atol=1e-8)


def test_time_dependent_dirichlet_value_of_c_is_held_on_its_boundary(tmp_path):
    """c = 0.5 + 0.1 t on the bottom (y < 1e-9), evaluated at the end of each step: after the last
    step (t = 1) every bottom node holds 0.6; the other walls stay no-flux (mass moves in through
    the bottom only)."""
    path = _case(tmp_path, boundaries={"bottom": {"where": "y < 1e-9", "dirichlet": {"c": "0.5 + 0.1*t"}}})
    case, _ = run_case(path)
    coords, u = read_state(case.output_dir)
    bottom = coords[:, 1] < 1e-9
    assert bottom.sum() == 9
    np.testing.assert_allclose(u[bottom, 0], 0.6, atol=1e-12)
    e = read_energy(case.output_dir)
    assert e["mass"][-1] > e["mass"][0]  # c rose at the bottom and diffused in


def _error(tmp_path, **changes) -> str:
    from pf_app.config import ConfigError
    from pf_app.phasefield.case import load_case
    from pf_app.phasefield.simulation import Simulation

    path = _case(tmp_path, **changes)
    with pytest.raises(ConfigError) as exc:
        Simulation(load_case(path))
    message = str(exc.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message


def test_boundary_errors_are_one_line_naming_the_key(tmp_path):
    """Names a mesh does not have, fields without an equation, conditions on periodic faces,
    tests no facet passes: one line each, naming the case file and the key."""
    eta = {"fields": {"order_parameters": ["eta"]}, "free_energy": {"kind": "formula", "formula": "eta**2"},
           "initial": {}}
    assert "boundaries.inlet.where: expected a coordinate test" in _error(
        tmp_path, boundaries={"inlet": {"dirichlet": {"c": 1}}})
    assert "boundaries.left.dirichlet.mu: expected a field among c, eta" in _error(
        tmp_path, **eta, boundaries={"left": {"where": "x < 1e-9", "dirichlet": {"mu": 1}}})
    assert "boundaries.left: expected a boundary off the periodic faces (x periodic)" in _error(
        tmp_path, periodic=["x"], boundaries={"left": {"where": "x < 1e-9", "dirichlet": {"c": 1}}})
    assert "boundaries: expected Dirichlet boundaries whose periodic images carry the same condition" in _error(
        tmp_path, periodic=["x"], boundaries={"part": {"where": "y < 1e-9 and x < 0.5", "dirichlet": {"c": 1}}})
    assert "boundaries.left.where: expected a test that some boundary facets pass" in _error(
        tmp_path, boundaries={"left": {"where": "x < -1", "dirichlet": {"c": 1}}})
    assert "boundaries.left.where: expected comparisons" in _error(
        tmp_path, boundaries={"left": {"where": "x + 1", "dirichlet": {"c": 1}}})
    assert "boundaries.left.flux: expected no flux where c has a Dirichlet value" in _error(
        tmp_path, boundaries={"left": {"where": "x < 1e-9", "dirichlet": {"c": 1}, "flux": 0.1}})
    assert "boundaries.left.flux: expected a formula in x, y, z, t" in _error(
        tmp_path, boundaries={"left": {"where": "x < 1e-9", "flux": "q*x"}})


def test_a_name_the_gmsh_mesh_does_not_have_lists_the_names_it_has(tmp_path):
    pytest.importorskip("gmsh", reason="gmsh is an optional extra")
    message = _error(tmp_path, mesh={"file": str(MESHES / "pfhub_1c.msh")}, boundaries={"inlet": {"flux": 0.1}})
    assert ("boundaries.inlet: expected a physical group of the mesh's facets (bar_left, bar_right, bottom, "
            "sides, top) or a 'where' test such as 'x < 1e-9', got 'inlet'") in message


def test_a_flux_on_interior_facets_is_an_error(tmp_path):
    """The sphere's surface in meshes/sphere_in_box.msh is a named group of interior facets: a
    Dirichlet value may sit there, a boundary flux may not."""
    pytest.importorskip("gmsh", reason="gmsh is an optional extra")
    message = _error(tmp_path, mesh={"file": str(MESHES / "sphere_in_box.msh")}, boundaries={"interface": {"flux": 0.1}})
    assert "boundaries.interface.flux: expected a boundary of the domain (interface has interior facets)" in message
