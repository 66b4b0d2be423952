"""Long runs: the step rules, output at chosen times, logs that survive a kill, stopping on a signal,
and the warning for a non-periodic initial formula."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

from pfcase import read_energy, run_case, write_case


def test_newton_thresholds_follow_the_tolerance():
    """A quadratically converging Newton needs about log2(1 + log10(1/rtol)) iterations from a
    start whose first iteration gains a factor 10: 4 at 1e-9 (fast below 5), 3 at 1e-6 (the seed's
    4 = 'fewer than 4'), 2 at 1e-3."""
    from pf_app.phasefield.timestepping import newton_thresholds

    assert newton_thresholds(1e-9) == (5, 10)
    assert newton_thresholds(1e-6) == (4, 8)
    assert newton_thresholds(1e-3) == (3, 6)


def test_newton_rule_grows_dt_at_the_default_tolerance(tmp_path):
    """With the default solver.rtol and no thresholds set, steps that Newton solves in its usual
    3-4 iterations count as fast, so dt grows (the seed's thresholds, 'fewer than 4', never fired
    at this tolerance on PFHub 1a)."""
    path = write_case(tmp_path, time={"t_end": 40.0, "dt": 0.5, "adapt": "newton", "newton": {"grow_after": 2}})
    case, _ = run_case(path)
    e = read_energy(case.output_dir)
    its, dts = e["newton_iterations"][1:], e["dt"][1:]
    assert np.max(its[:4]) >= 3, its  # the steps are not trivially converged ones
    assert dts[-2] > 4 * dts[0], dts  # grew (the last step is shortened to land on t_end)
    assert np.all(np.diff(dts[:-1]) >= 0), dts  # no rejection on the way


def test_output_lands_exactly_on_requested_times(tmp_path, monkeypatch):
    """Error-controlled BDF2 shortens steps to land on output.times: a row, fields and PNGs at
    exactly those times (bitwise), none elsewhere; free_energy.csv is 'time,free_energy'.  (The
    renderer is replaced by a recorder: pictures themselves are tested in tests/e2e.)"""
    import pf_app.phasefield.output as output

    rendered = []
    monkeypatch.setattr(output, "render_in_subprocess", lambda parts, name, png, t: rendered.append((png.name, t)))
    times = [0.37, 1.0, 2.718281828]
    path = write_case(tmp_path, time={"scheme": "bdf2", "adapt": "error", "t_end": 3.0, "dt": 0.05,
                                      "error": {"tolerance": 1e-3}},
                      output={"fields_every": 0, "png_every": 0, "times": times})
    case, _ = run_case(path)
    e = read_energy(case.output_dir)
    for t in times + [3.0]:
        assert t in set(e["t"]), (t, e["t"])
    assert np.all(np.diff(e["t"]) > 0)
    assert (case.output_dir / "fields.bp").is_dir()
    steps = [int(s) for s, t in zip(e["step"], e["t"]) if t in times]
    assert [r for r in rendered if r[0].startswith("eta")] == [(f"eta_{s:06d}.png", t) for s, t in zip(steps, times)]
    with open(case.output_dir / "free_energy.csv") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["time", "free_energy"] and len(rows) == len(e["t"]) + 1
    np.testing.assert_array_equal([float(r[0]) for r in rows[1:]], e["t"])


def test_no_field_file_when_field_output_is_off(tmp_path):
    path = write_case(tmp_path, time={"t_end": 2.0}, output={"fields_every": 0, "png_every": 0})
    case, _ = run_case(path)
    assert not list(case.output_dir.glob("fields*.bp"))


def test_killed_run_leaves_no_half_row_after_resume(tmp_path):
    """A run killed while appending a row leaves a partial last line (beyond the checkpoint):
    --resume drops it, and the log is one complete row per step, rejected count included."""
    time_cfg = {"scheme": "bdf2", "adapt": "error", "t_end": 6.0, "dt": 0.5, "error": {"tolerance": 3e-4}}
    out = {"checkpoint_every": 3, "fields_every": 0, "png_every": 0, "progress_seconds": 1000}
    path = write_case(tmp_path, time=time_cfg, output=out)
    case, _ = run_case(path, overrides=["time.max_steps=7"])
    with open(case.output_dir / "energy.csv", "a") as fh:
        fh.write("8,2.31")  # what a kill in the middle of a write leaves
    case, summary = run_case(path, resume=True)
    with open(case.output_dir / "energy.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(None not in r and all(v not in (None, "") for v in r.values()) for r in rows), rows[-2:]
    steps = [int(r["step"]) for r in rows]
    assert steps == list(range(len(rows)))
    assert float(rows[-1]["t"]) == 6.0
    assert int(rows[-1]["rejected"]) == summary.rejected_total


@pytest.mark.parametrize("ranks", [1, 2])
def test_sigterm_writes_a_checkpoint_and_exits_nonzero_without_a_trace(tmp_path, ranks):
    """SIGTERM (to the process, or to mpirun, which forwards it to every rank) stops the run after
    the attempt in progress: exit status 128 + 15, a summary, no PETSc crash report or Python
    traceback, and a checkpoint that --resume continues from."""
    path = write_case(tmp_path, time={"t_end": 1.0e5, "dt": 0.5, "adapt": "fixed"},
                      mesh={"lengths": [1.0, 1.0], "cells": [24, 24]},
                      output={"checkpoint_every": 1000, "fields_every": 0, "png_every": 0,
                              "progress_seconds": 1000})
    out_dir = tmp_path / "out_case"
    cmd = [sys.executable, "-m", "pf_app", "run", str(path)]
    if ranks > 1:
        cmd = [str(__import__("pathlib").Path(sys.executable).parent / "mpirun"), "-n", str(ranks), *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # wait for a few steps after the start
        energy = out_dir / "energy.csv"
        if energy.exists() and len(energy.read_text().splitlines()) > 4:
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, (proc.returncode, stderr)
    assert "PETSC ERROR" not in stderr and "Traceback" not in stderr, stderr
    assert "stopped by SIGTERM" in stderr
    e = read_energy(out_dir)
    data = np.load(out_dir / "checkpoint.npz")
    import yaml

    state = yaml.safe_load(str(data["state"]))
    assert state["step"] == int(e["step"][-1]) and state["t"] == e["t"][-1]
    case, summary = run_case(path, resume=True, overrides=[f"time.t_end={state['t'] + 1.0}"])
    assert summary.steps == 2 and summary.t == pytest.approx(state["t"] + 1.0)


def test_periodicity_warning(tmp_path):
    """The published PFHub formula (cos(0.105 x) ...) is not periodic on a box of length 1; a
    formula with the box's period is, to rounding."""
    import dolfinx_solver  # noqa: F401
    from mpi4py import MPI

    import dolfinx
    from pf_app.phasefield.case import InitialField
    from pf_app.phasefield.initial import NonPeriodicInitialWarning, warn_if_not_periodic

    mesh = dolfinx.mesh.create_unit_square(MPI.COMM_WORLD, 8, 8)
    periodic = {"c": InitialField(kind="formula", formula="0.5 + 0.1*cos(2*pi*x)*sin(4*pi*y)")}
    not_periodic = {"c": InitialField(kind="formula", formula="0.5 + 0.01*cos(0.105*x)*cos(0.11*y)")}
    with pytest.warns(NonPeriodicInitialWarning, match="initial.c: .* not periodic along x, y ") as seen:
        warn_if_not_periodic(mesh, not_periodic, [0, 1])
    assert len(seen) == 1  # once, however many faces differ
    with warnings.catch_warnings():
        warnings.simplefilter("error", NonPeriodicInitialWarning)
        assert warn_if_not_periodic(mesh, periodic, [0, 1]) == []
        assert warn_if_not_periodic(mesh, not_periodic, []) == []  # no periodic axis, nothing to say


def _run_steps(dt_at, t0: float, t_end: float, n: int, eta):
    """Take n steps of dt_at(t) at 1 s of wall time each, reporting them to ``eta``; (t, steps left)."""
    t, wall = t0, 0.0
    for _ in range(n):
        dt = dt_at(t)
        t, wall = t + dt, wall + 1.0
        eta.add(wall, t, dt)
    left, tt = 0, t
    while tt < t_end:
        tt += dt_at(tt)
        left += 1
    return t, left


@pytest.mark.parametrize("growth", [0.5, 1.0, 1.5])
def test_eta_counts_the_steps_left_when_dt_grows_as_a_power_of_t(growth):
    """dt = c t^a at 1 s per step: after a decade of t the ETA is the number of steps actually left,
    within 3 % (the discrete steps against the integral of 1/dt: their ratio is 1 + O(dt/t), and dt/t
    stays at or below ~1 %, up to 10 % over the last steps for a = 1.5)."""
    from pf_app.phasefield.eta import AdaptiveEta

    t_end = 1.0e4
    eta = AdaptiveEta(0.0, 1.0)
    c = {0.5: 0.01, 1.0: 0.01, 1.5: 0.001}[growth]  # dt/t <= 1 % (10 % for 1.5 at t_end)
    dt_at = lambda t: c * t ** growth  # noqa: E731
    n = {0.5: 1000, 1.0: 300, 1.5: 1600}[growth]  # to t ~ 20-70: a decade of history, well before t_end
    t, left = _run_steps(dt_at, 1.0, t_end, n, eta)
    assert 10.0 < t < 100.0, t
    assert eta.seconds_left(t_end) == pytest.approx(left, rel=0.03)


def test_eta_of_fixed_steps_is_exact():
    from pf_app.phasefield.eta import AdaptiveEta

    eta = AdaptiveEta(0.0, 0.0, fixed=True)
    _run_steps(lambda t: 0.5, 0.0, 100.0, 20, eta)  # t = 10 after 20 steps: 180 steps of 0.5 left
    assert eta.seconds_left(100.0) == pytest.approx(180.0, rel=1e-9)


def test_eta_is_not_swung_by_an_event():
    """dt ~ t with an event (a merger: 10 steps at a tenth of the trend) in the last decade: the ETA
    moves by less than 2 x against the same run without it (a fit over the last 10 steps would
    divide the steps' growth by ~10 and multiply the ETA accordingly)."""
    from pf_app.phasefield.eta import AdaptiveEta

    plain, event = AdaptiveEta(0.0, 1.0), AdaptiveEta(0.0, 1.0)
    _run_steps(lambda t: 0.02 * t, 1.0, 1e6, 300, plain)
    t, wall = 1.0, 0.0
    for i in range(300):
        dt = 0.02 * t * (0.1 if 280 <= i < 290 else 1.0)
        t, wall = t + dt, wall + 1.0
        event.add(wall, t, dt)
    ratio = event.seconds_left(1e6) / plain.seconds_left(1e6)
    assert 0.5 < ratio < 2.0, ratio


def test_max_norm_error_control_is_stricter_than_rms(tmp_path):
    """The largest nodal error is at least the RMS one, so at the same tolerance the max-norm
    controller takes at least as many (smaller) steps, and more on a field with local structure."""
    steps = {}
    for norm in ("rms", "max"):
        path = write_case(tmp_path, norm, time={"scheme": "bdf2", "adapt": "error", "t_end": 20.0, "dt": 0.1,
                                                "error": {"tolerance": 1e-3, "norm": norm}})
        steps[norm] = run_case(path)[1].steps
    assert steps["max"] > steps["rms"], steps
