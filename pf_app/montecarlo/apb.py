"""The antiphase-boundary (APB) free energy per area and the order-parameter profile of B2 by lattice
Monte Carlo: the Monte Carlo half of the cross-scale check of docs/scale_bridging.md, section 4.

**Slab with one APB.**  A box of L_1 x L_2 x L_3 ordering cells, periodic along axes 2 and 3, and
*antiperiodic* along axis 1: every cluster that crosses the box face normal to axis 1 has its ECI times
(-1)^(sites beyond the face), i.e. the image box beyond that face is the A <-> B exchanged copy.  For
an A-B symmetric expansion (no odd clusters) at equiatomic composition the two B2 variants are
exchanged by A <-> B, so the box holds one APB normal to axis 1, free to move (its periodic twin holds
none).  The free energies of the two boxes differ by the APB's:

    F_ap - F_p = sigma A - kT ln N_positions + ...,     A = (area of the box face),

N_positions = the atomic planes normal to axis 1 (2 L_1 for BCC cells along [100]); the dots are the
capillary-wave entropy of the wall (order kT ln(L_2 L_3) / A per area, not corrected).

**Thermodynamic integration in beta = 1/kT.**  d(beta F)/d beta = <E>, so

    beta (F_ap - F_p)(beta) = integral from beta_0 to beta of (<E>_ap - <E>_p) d beta',

from a beta_0 above T_c, where the two boxes' free energies are equal up to exp(-L_1/xi).  One pass
over a beta grid (trapezoidal rule; the grid holds every reporting temperature) gives sigma at every
temperature of the grid; each grid point runs both boxes in the semi-grand-canonical ensemble at mu = 0
(equiatomic by the A-B symmetry), started from the state of the previous (hotter) point.  Standard
errors: of each <E> from its autocorrelation, propagated through the rule's weights.

**Profile.**  At the reporting temperatures the antiperiodic box's order parameter per layer of
ordering cells normal to axis 1, eta_l = scale (Q x_l)_eta (B2: (x1 - x2)/sqrt2 of the layer), is
recorded every ``profile_every`` sweeps, continued antiperiodically over 2 L_1 layers, centred on the
APB (where the smoothed profile crosses zero upwards) and averaged; a fit eta0 tanh((z - z0)/w) gives
the width w.  Capillary waves of the wall broaden this average profile beyond the intrinsic one.

Outputs (``output.directory``): ``apb_integrand.csv`` (one row per beta: kT, <E> per site of both boxes,
their standard errors; appended as they finish: a rerun continues after the last row), ``apb.json``
(per reporting temperature: sigma raw and corrected, its standard error, the profile and its fit; units
in the file).  Run: ``python -m pf_app.montecarlo.apb inputs/apb_b2.yaml``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pf_app.atomic_files import atomic_path, write_json_atomic
from pf_app.config import ConfigError, bounded, load, to_dict
from pf_app.montecarlo.estimators import detect_equilibration, mean_estimate
from pf_app.montecarlo.hamiltonian import ClusterTables
from pf_app.montecarlo.model import SamplerModel

FORMAT, VERSION = "pf_app.apb", 1


class AntiperiodicTables(ClusterTables):
    """The cluster tables of a supercell whose boundary normal to ``axis`` is antiperiodic: a cluster
    that crosses it has its ECI times (-1)^(number of its sites beyond the face) (``signs``, which the
    base class's energies and local fields apply; the kernel's partner ECIs are multiplied here).  The
    crossing is decided by minimum-image offsets, so every cluster must be shorter than half the box
    along ``axis``."""

    def __init__(self, model: SamplerModel, axis: int = 0):
        super().__init__(model.expansion, model.order_map, model.repeats)
        sc = self.supercell
        box = (np.diag(sc.repeats) @ sc.ordering_cell @ sc.lattice.cell).astype(float)
        frac = sc.positions @ np.linalg.inv(box)
        self.layer_coordinate = frac[:, axis] - np.floor(frac[:, axis] + 1e-9)  # in [0, 1) along axis
        self.planes = len(np.unique(np.round(self.layer_coordinate, 9)))  # atomic planes normal to axis

        def beyond(c: np.ndarray) -> np.ndarray:
            """(n, k) True for sites of each cluster that lie across the face from its first site."""
            d = self.layer_coordinate[c] - self.layer_coordinate[c[:, :1]]
            return np.abs(d) > 0.5

        for a, c in self.clusters.items():  # the base class's energies and local fields apply the signs
            if c.shape[1] > 1:
                self.signs[a] = np.where(beyond(c).sum(axis=1) % 2 == 1, -1.0, 1.0)
        m = sc.n_sites
        for k in (2, 3, 4):
            if len(self.eci[k]):
                owner = np.repeat(np.arange(m), np.diff(self.ptr[k]))
                members = np.column_stack([owner, self.partners[k]])
                self.eci[k] = self.eci[k] * np.where(beyond(members).sum(axis=1) % 2 == 1, -1.0, 1.0)


# ---- configuration -------------------------------------------------------------------------------

@dataclass(frozen=True)
class IntegrationConfig:
    kT_high: float = bounded(gt=0, doc="start of the beta integration, above T_c (energy unit)")
    n: int = bounded(40, ge=4, doc="beta points, evenly spaced from 1/kT_high to 1/min(temperatures)")


@dataclass(frozen=True)
class APBSamplingConfig:
    equilibration_sweeps: int = bounded(2000, ge=0)
    sweeps: int = bounded(20000, ge=100, doc="production sweeps per beta point and box")
    profile_every: int = bounded(10, ge=1, doc="sweeps between profile snapshots (reporting temperatures)")
    seed: int = 1


@dataclass(frozen=True)
class APBOutputConfig:
    directory: Path


@dataclass(frozen=True)
class APBConfig:
    """``model_from``: a ``pf_app mc`` campaign whose lattice, cluster expansion and order parameters are
    used (its supercell and temperatures are not); the APB is normal to the first supercell axis."""

    model_from: Path
    supercell: tuple[int, int, int]
    temperatures: tuple[float, ...]
    integration: IntegrationConfig
    output: APBOutputConfig
    sampling: APBSamplingConfig = field(default_factory=APBSamplingConfig)

    def check(self, fail):
        if not self.model_from.is_file():
            fail("model_from", "an existing pf_app mc campaign file", str(self.model_from))
        if not self.temperatures or min(self.temperatures) <= 0:
            fail("temperatures", "kT values > 0", list(self.temperatures))
        if self.integration.kT_high <= max(self.temperatures):
            fail("integration.kT_high", f"a kT above every reporting temperature (and above T_c)",
                 self.integration.kT_high)
        if min(self.supercell) < 1 or self.supercell[0] < 2:
            fail("supercell", "three repeats >= 1, the first >= 2", list(self.supercell))


def load_apb_config(path: str | Path, overrides: dict | None = None) -> APBConfig:
    return load(APBConfig, path, overrides)


def apb_model(cfg: APBConfig, file) -> SamplerModel:
    """The campaign's model on the APB supercell; refuses what the method does not cover."""
    from pf_app.montecarlo.config import load_campaign
    from pf_app.montecarlo.model import model_of

    campaign = load_campaign(cfg.model_from, {"supercell": list(cfg.supercell)})
    model = model_of(campaign, cfg.model_from)
    if not model.expansion.is_ab_symmetric():
        raise ConfigError(cfg.model_from, "cluster_expansion.ecis", "an A-B symmetric expansion (no singlet or "
                          "triplet ECIs): the antiperiodic box exchanges A and B", "odd clusters")
    if model.order_map.n != 2 or not model.order_map.is_composition[0]:
        raise ConfigError(cfg.model_from, "order_parameters", "two order parameters (composition, B2 order)",
                          list(model.order_map.names))
    return model


def beta_grid(cfg: APBConfig) -> np.ndarray:
    """Evenly spaced beta from 1/kT_high to 1/min(temperatures), with every 1/temperature added; sorted."""
    b = np.linspace(1.0 / cfg.integration.kT_high, 1.0 / min(cfg.temperatures), cfg.integration.n)
    return np.unique(np.round(np.concatenate([b, 1.0 / np.asarray(cfg.temperatures)]), 12))


# ---- sampling ------------------------------------------------------------------------------------

def layer_order(model: SamplerModel, tables: ClusterTables, sigma: np.ndarray) -> np.ndarray:
    """The ordering parameter per layer of ordering cells normal to the first axis, (L_1,)."""
    sc = tables.supercell
    L1 = sc.repeats[0]
    layer = sc.ordering_cell_coordinates()[:, 0]
    key = layer * sc.n_sublattices + sc.sublattice
    n = np.bincount(key, minlength=L1 * sc.n_sublattices).reshape(L1, sc.n_sublattices)
    b = np.bincount(key, weights=(sigma == 1).astype(float), minlength=L1 * sc.n_sublattices)
    x = b.reshape(L1, sc.n_sublattices) / n
    return model.order_map.eta(x)[:, 1]


def centred_profile(eta_layers: np.ndarray) -> np.ndarray | None:
    """The layer profile continued antiperiodically over 2 L_1 layers and rolled so that its upward
    zero crossing (3-layer running mean) sits between layers L_1 - 1 and L_1; None without one."""
    ext = np.concatenate([eta_layers, -eta_layers])
    smooth = (np.roll(ext, 1) + ext + np.roll(ext, -1)) / 3.0
    up = np.flatnonzero((smooth < 0) & (np.roll(smooth, -1) >= 0))
    if len(up) != 1:
        return None
    return np.roll(ext, len(eta_layers) - 1 - int(up[0]))


def sample_box(model, tables, kT: float, sigma: np.ndarray, rng_state: np.ndarray, cfg: APBSamplingConfig,
               profile: bool) -> tuple[dict, np.ndarray, np.ndarray]:
    """Equilibrate and sample one box at kT (SGC, mu = 0): mean energy per site and its standard error,
    the centred profiles (profile=True) and the final state (sigma, rng)."""
    from pf_app.montecarlo.sampler import Ensemble, Sampler

    n = model.order_map.n
    s = Sampler(model, Ensemble(kT, mu=(0.0,) * n), sigma, rng_state, tables=tables)
    if cfg.equilibration_sweeps:
        s.run(cfg.equilibration_sweeps)
    col = s.columns.index("energy")
    energies, profiles = [], []
    step = cfg.profile_every if profile else cfg.sweeps
    done = 0
    while done < cfg.sweeps:
        k = min(step, cfg.sweeps - done)
        energies.append(s.run(k)[:, col])
        done += k
        if profile:
            p = centred_profile(layer_order(model, tables, s.sigma))
            if p is not None:
                profiles.append(p)
    e = np.concatenate(energies)
    e = e[detect_equilibration([e]):]
    est = mean_estimate(e)
    return ({"energy": est.mean, "se_energy": est.se, "tau_sweeps": est.tau, "sweeps": len(e),
             "acceptance": s.accepted / max(s.attempts, 1)}, np.array(profiles), (s.sigma.copy(), s.rng.copy()))


def ordered_state(tables: ClusterTables, apb: bool) -> np.ndarray:
    """Perfect B2 order (sublattice 0 = +1); ``apb``: with the order reversed in the box's second half."""
    sc = tables.supercell
    sigma = np.where(sc.sublattice == 0, 1, -1).astype(np.int8)
    if apb:
        sigma[sc.ordering_cell_coordinates()[:, 0] >= sc.repeats[0] // 2] *= -1
    return sigma


def tanh_fit(z: np.ndarray, eta: np.ndarray) -> dict:
    """Least-squares eta0 tanh((z - z0)/w) to a centred profile (z in the cell's length unit)."""
    from scipy.optimize import curve_fit

    f = lambda z, e0, z0, w: e0 * np.tanh((z - z0) / w)
    (e0, z0, w), cov = curve_fit(f, z, eta, p0=(max(abs(eta).max(), 1e-3), 0.0, 1.0))
    return {"eta0": float(e0), "z0": float(z0), "width": float(abs(w)), "se_width": float(np.sqrt(cov[2, 2])),
            "rms_residual": float(np.sqrt(np.mean((f(z, e0, z0, w) - eta) ** 2)))}


def run_apb(cfg: APBConfig, file, progress: bool = True) -> dict:
    """Run (or continue) the integration and write the outputs; returns the summary (apb.json)."""
    from pf_app.montecarlo import kernels
    from pf_app.progress import Progress

    model = apb_model(cfg, file)
    periodic = ClusterTables(model.expansion, model.order_map, model.repeats)
    twisted = AntiperiodicTables(model)
    out = Path(cfg.output.directory)
    out.mkdir(parents=True, exist_ok=True)
    betas = beta_grid(cfg)
    rows = _read_rows(out / "apb_integrand.csv", cfg)
    reporting = {float(np.round(1.0 / t, 12)): t for t in cfg.temperatures}
    states = {"p": (ordered_state(periodic, False), kernels.seed_rng(cfg.sampling.seed, 0)),
              "ap": (ordered_state(twisted, True), kernels.seed_rng(cfg.sampling.seed, 1))}
    profiles = {}
    bar = Progress("apb", len(betas), unit="temperatures", enabled=progress, initial=len(rows))
    for i, beta in enumerate(betas):
        kT = 1.0 / beta
        is_report = float(np.round(beta, 12)) in reporting
        if i < len(rows) and not (is_report and not profile_path(out, kT).exists()):
            continue
        row = {"kT": kT, "beta": beta}
        for name, tables in (("p", periodic), ("ap", twisted)):
            stats, prof, states[name] = sample_box(model, tables, kT, *states[name], cfg.sampling,
                                                   profile=is_report and name == "ap")
            row.update({f"{k}_{name}": v for k, v in stats.items()})
            if is_report and name == "ap":
                save_profile(profile_path(out, kT), prof)
        if i >= len(rows):
            rows.append(row)
            _append_row(out / "apb_integrand.csv", row, cfg)
        bar.update(i + 1, kT=kT, dE=(row["energy_ap"] - row["energy_p"]) * periodic.supercell.n_sites)
    bar.close()
    return summarize(cfg, model, rows, out, twisted.planes)


def summarize(cfg: APBConfig, model: SamplerModel, rows: list[dict], out: Path, planes: int) -> dict:
    """sigma at the reporting temperatures from the integrand rows, the profiles and their fits."""
    sc_cell = np.diag(model.repeats) @ model.order_map.cell @ model.expansion.space.lattice.cell
    area = float(np.linalg.norm(np.cross(sc_cell[1], sc_cell[2])))
    layer = float(abs(np.linalg.det(sc_cell)) / area / model.repeats[0])  # spacing of ordering-cell layers
    m = int(round(abs(np.linalg.det(sc_cell)) / abs(np.linalg.det(model.expansion.space.lattice.cell))
                  * len(model.expansion.space.lattice.active)))
    beta = np.array([r["beta"] for r in rows])
    d_e = m * np.array([r["energy_ap"] - r["energy_p"] for r in rows])  # total energy difference
    se = m * np.hypot([r["se_energy_ap"] for r in rows], [r["se_energy_p"] for r in rows])
    n_positions = planes  # where the APB can sit: the atomic planes normal to the first axis (docstring)
    result = {"format": FORMAT, "version": VERSION, "energy_unit": model.expansion.energy_unit,
              "units": {"sigma": f"{model.expansion.energy_unit} per (length unit of the cell)^2",
                        "z": "length unit of the cell, along the APB normal", "eta": "order parameter of the map"},
              "box": {"supercell": list(model.repeats), "area": area, "sites": m, "layer_spacing": layer,
                      "apb_positions": n_positions},
              "method": "thermodynamic integration in beta of E(antiperiodic) - E(periodic); trapezoidal rule",
              "config": to_dict(cfg), "temperatures": []}
    for kT in cfg.temperatures:
        j = int(np.argmin(np.abs(beta - 1.0 / kT)))
        if abs(beta[j] - 1.0 / kT) > 1e-9 or j >= len(rows):
            continue
        w = _trapezoid_weights(beta[: j + 1])
        integral = float(w @ d_e[: j + 1])
        se_int = float(np.sqrt((w ** 2) @ se[: j + 1] ** 2))
        coarse = _coarse_integral(beta[: j + 1], d_e[: j + 1])
        d_f = kT * integral
        entry = {"kT": kT, "delta_F": d_f, "se_delta_F": kT * se_int,
                 "sigma_raw": d_f / area, "sigma": (d_f + kT * np.log(n_positions)) / area,
                 "se_sigma": kT * se_int / area,
                 "discretization_sigma": None if coarse is None else abs(kT * (integral - coarse)) / area}
        path = profile_path(out, kT)
        if path.exists():
            with np.load(path) as f:
                mean, se_eta, snapshots = f["eta"], f["se_eta"], int(f["snapshots"])
            if snapshots:
                z = (np.arange(len(mean)) - len(mean) / 2 + 0.5) * layer
                entry["profile"] = {"z": z.tolist(), "eta": mean.tolist(), "se_eta": se_eta.tolist(),
                                    "snapshots": snapshots}
                inner = np.abs(z) <= model.repeats[0] * layer / 2
                entry["tanh_fit"] = tanh_fit(z[inner], mean[inner])
        result["temperatures"].append(entry)
    write_json_atomic(out / "apb.json", result)
    return result


def profile_path(out: Path, kT: float) -> Path:
    return out / f"profile_kT{kT:.6g}.npz"


def save_profile(path: Path, profiles: np.ndarray) -> None:
    """The mean centred profile (2 L_1,), its standard error (snapshots as independent: an underestimate
    by sqrt(2 tau) for correlated snapshots) and the number of snapshots."""
    n = len(profiles)
    mean = profiles.mean(axis=0) if n else np.zeros(0)
    se = profiles.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros_like(mean)
    with atomic_path(path) as tmp:
        np.savez(tmp, eta=mean, se_eta=se, snapshots=n)


def _trapezoid_weights(x: np.ndarray) -> np.ndarray:
    w = np.zeros(len(x))
    if len(x) > 1:
        h = np.diff(x)
        w[:-1] += h / 2
        w[1:] += h / 2
    return w


def _coarse_integral(x: np.ndarray, y: np.ndarray) -> float | None:
    """The trapezoidal rule on every other point (both ends kept): its difference from the full rule
    estimates the discretization error (x 4/3 for a smooth integrand; reported as the difference)."""
    if len(x) < 5:
        return None
    keep = np.r_[np.arange(0, len(x) - 1, 2), len(x) - 1]
    return float(_trapezoid_weights(x[keep]) @ y[keep])


_COLUMNS = ("kT", "beta", *(f"{k}_{b}" for b in ("p", "ap") for k in
                            ("energy", "se_energy", "tau_sweeps", "sweeps", "acceptance")))


def _append_row(path: Path, row: dict, cfg: APBConfig) -> None:
    new = not path.exists()
    with open(path, "a") as fh:
        if new:
            fh.write(f"# format: {FORMAT}_integrand\n# config: {json.dumps(to_dict(cfg), sort_keys=True)}\n")
            fh.write(",".join(_COLUMNS) + "\n")
        fh.write(",".join(repr(float(row[c])) for c in _COLUMNS) + "\n")


def _read_rows(path: Path, cfg: APBConfig) -> list[dict]:
    """Finished rows of an earlier run of the same config (another config's file is an error)."""
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    written = json.loads(lines[1].partition(": ")[2])
    if written != json.loads(json.dumps(to_dict(cfg), sort_keys=True)):
        raise ConfigError(path, "config", "the integrand of this config (choose another output.directory)",
                          "another config")
    header = lines[2].split(",")
    rows = []
    for line in lines[3:]:
        values = line.split(",")
        if len(values) == len(header):
            rows.append(dict(zip(header, map(float, values))))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pf_app.montecarlo.apb", description=__doc__.split("\n\n")[0])
    ap.add_argument("config", help="APB config, e.g. inputs/apb_b2.yaml")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    try:
        cfg = load_apb_config(args.config)
        result = run_apb(cfg, args.config, progress=not args.quiet)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    for t in result["temperatures"]:
        fit = t.get("tanh_fit", {})
        print(json.dumps({"kT": t["kT"], "sigma": t["sigma"], "se_sigma": t["se_sigma"], "sigma_raw": t["sigma_raw"],
                          "width": fit.get("width"), "eta0": fit.get("eta0")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
