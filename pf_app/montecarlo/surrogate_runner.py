"""``pf_app mc <file>`` with ``kind: surrogate_mc``: Metropolis and Wang-Landau on a data set's own
cell with a surrogate (or pair-model) energy, per composition.

Output folder (written atomically, after the energy model loaded): ``config.yaml`` (resolved),
``metropolis.csv`` (per composition and temperature: mean energy, heat capacity from the energy
fluctuations and order parameter, each the mean over independent walkers with its standard error,
acceptance), ``dos_<n_B>.csv`` (Wang-Landau bins: energy, ln g, microcanonical order parameter),
``thermodynamics_<n_B>.csv`` (E, C_v, Q vs T from g(E): the mean over ``wang_landau.repeats``
independent runs with its standard error), ``heat_capacity.png``, ``summary.json`` (the C_v peak
temperature per composition from both methods; Wang-Landau: each run's peak, their mean and standard
error).  Units: eV per cell, k_B per cell.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import yaml
from scipy.constants import physical_constants

from pf_app.atomic_files import write_json_atomic, write_text_atomic
from pf_app.config import ConfigError, to_dict
from pf_app.montecarlo.cell_order import LongRangeOrder
from pf_app.montecarlo.fixed_cell_mc import WalkerState, metropolis, random_occupations
from pf_app.montecarlo.surrogate_config import SurrogateMCConfig
from pf_app.montecarlo.wang_landau import wang_landau
from pf_app.progress import Progress
from pf_app.surrogate.report import to_csv

K_B_EV_PER_K = physical_constants["Boltzmann constant in eV/K"][0]


def build_energy(cfg: SurrogateMCConfig, config_file=None):
    """The energy model named in the config (network from its files, or the pair model fitted)."""
    from pf_app.montecarlo.energy_models import NetworkEnergy, PairEnergy

    if cfg.energy.kind == "network":
        if not cfg.energy.path.is_file():
            raise ConfigError(config_file, "energy.path", "an existing .keras file saved by pf_app surrogate",
                              str(cfg.energy.path))
        return NetworkEnergy.from_files(cfg.energy.path)
    from pf_app.surrogate.datasets import mixing_energy_eV, reference_energies_eV
    from pf_app.surrogate.pairmodel import LinearPairModel
    from pf_app.surrogate.sources import load_dataset

    data, _ = load_dataset(cfg.data, cfg.seed, config_file)
    if len(data.species) != 2:
        raise ConfigError(config_file, "data", "a binary data set", list(data.species))
    model = LinearPairModel(data.lattice, data.species, cfg.energy.n_shells).fit(
        data.numbers, mixing_energy_eV(data, reference_energies_eV(data)))
    return PairEnergy(model)


def standard_error(values, axis: int = 0):
    """Standard error of the mean of independent ``values`` along ``axis`` (nan for a single value)."""
    values = np.asarray(values, dtype=float)
    n = values.shape[axis]
    if n < 2:
        return np.full(values.shape[:axis] + values.shape[axis + 1:], np.nan)[()]
    return values.std(axis=axis, ddof=1) / np.sqrt(n)


def metropolis_rows(energy, n_b: int, cfg: SurrogateMCConfig, order: LongRangeOrder, rng, progress) -> list[dict]:
    """All temperatures of one composition as replicas of one batch of walkers."""
    m = cfg.metropolis
    temps = np.repeat(np.asarray(m.temperatures_K, dtype=float), m.walkers_per_temperature)
    kT = K_B_EV_PER_K * temps
    state = WalkerState.start(random_occupations(len(temps), energy.lattice.n_sites, n_b, rng), energy)
    seed = int(rng.integers(2 ** 63))
    if m.equilibration_steps:
        metropolis(energy, state, kT, m.equilibration_steps, seed)
    run = metropolis(energy, state, kT, m.steps, seed + 1, m.sample_every, keep_configurations=True)
    q = np.array([order(c) for c in run.samples])  # (n_samples, W)
    e = run.energy_samples_eV
    rows = []
    for t in m.temperatures_K:
        w = np.flatnonzero(temps == t)
        kt = K_B_EV_PER_K * t
        cv = e[:, w].var(axis=0) / kt ** 2  # per walker, k_B per cell
        rows.append({"n_B": n_b, "T_K": t, "kT_eV": kt, "walkers": len(w),
                     "energy_eV": e[:, w].mean(), "energy_se_eV": standard_error(e[:, w].mean(axis=0)),
                     "heat_capacity_kB": cv.mean(), "heat_capacity_se_kB": standard_error(cv),
                     "order_parameter": q[:, w].mean(), "order_parameter_se": standard_error(q[:, w].mean(axis=0)),
                     "acceptance": run.acceptance[w].mean()})
    progress()
    return rows


def quench(energy, n_b: int, wl, rng, sign: float = 1.0) -> tuple[np.ndarray, WalkerState]:
    """Anneal ``wl.walkers`` random configurations on ``sign`` x E (kT from their spread down to 1e-3
    of it, in 10 stages of ``wl.quench_steps / 10`` swaps): their random-start energies [eV] and the
    final walkers."""
    signed = (lambda occ: sign * energy(occ))
    state = WalkerState.start(random_occupations(wl.walkers, energy.lattice.n_sites, n_b, rng), signed)
    random_e = sign * state.energy_eV.copy()
    spread = float(np.std(state.energy_eV)) or 1.0
    for kT in spread * np.logspace(0, -3, 10):
        metropolis(signed, state, kT, max(1, wl.quench_steps // 10), int(rng.integers(2 ** 63)))
    return random_e, state


def quench_ends(energy, n_b: int, cfg: SurrogateMCConfig, rng) -> tuple[float, float, np.ndarray]:
    """The Wang-Landau energy range [eV], padded by ``margin`` of its span, and the walkers' starts
    (W, M).  Low end: the lowest energy of a quench of E.  High end: the highest of a quench of -E,
    or with ``upper_sigma`` the random configurations' mean + upper_sigma x std.  Starts: the quenches'
    final configurations, alternately low and high (only low with ``upper_sigma``), so that stage 1
    sees the ends of the range at once."""
    wl = cfg.wang_landau
    random_e, low = quench(energy, n_b, wl, rng)
    lo = float(low.energy_eV.min())
    if wl.upper_sigma is not None:
        hi = float(random_e.mean() + wl.upper_sigma * random_e.std(ddof=1))
        starts = low.occ
    else:
        _, high = quench(energy, n_b, wl, rng, sign=-1.0)
        hi = -float(high.energy_eV.min())
        starts = np.where((np.arange(wl.walkers) % 2 == 0)[:, None], low.occ, high.occ)
    pad = wl.margin * (hi - lo)
    return lo - pad, hi + pad, starts


def wang_landau_runs(energy, n_b: int, cfg: SurrogateMCConfig, order: LongRangeOrder, rng, progress,
                     tick) -> tuple[tuple[float, float], list]:
    """The energy range [eV] (one quench for all runs, so their bins coincide) and the densities of
    states of ``wang_landau.repeats`` independent runs (each with its own random streams, all starting
    from the quenches' configurations)."""
    wl = cfg.wang_landau
    lo, hi, starts = quench_ends(energy, n_b, cfg, rng)
    runs = []
    for r in range(wl.repeats):
        state = WalkerState.start(starts, energy)
        # the 1/t stage ends at step n_bins / (walkers ln f_final) whatever stage 1 did: a true total
        bar = Progress(f"Wang-Landau {n_b} B, run {r + 1}/{wl.repeats}",
                       int(np.ceil(wl.bins / (wl.walkers * wl.ln_f_final))), unit="step", every_s=30,
                       enabled=progress)
        runs.append(wang_landau(energy, state, lo, hi, wl.bins, int(rng.integers(2 ** 63)), wl.ln_f_final,
                                wl.flatness, wl.check_every, observable=order, max_steps=wl.max_steps,
                                progress=lambda ln_f, step: bar.update(step, ln_f=ln_f)))
        bar.close()
        tick()
    return (lo, hi), runs


def thermodynamics_rows(runs: list, temps_K: np.ndarray) -> tuple[list[dict], np.ndarray]:
    """E, C_v and Q vs T: the mean over the runs with the standard error; and each run's C_v peak [K]."""
    per_run = [dos.thermodynamics(K_B_EV_PER_K * temps_K) for dos in runs]
    stacked = {k: np.array([th[k] for th in per_run]) for k in ("energy_eV", "heat_capacity_kB", "order_parameter")}
    mean = {k: v.mean(axis=0) for k, v in stacked.items()}
    se = {k: standard_error(v) for k, v in stacked.items()}
    rows = [{"T_K": t, "energy_eV": mean["energy_eV"][i], "energy_se_eV": se["energy_eV"][i],
             "heat_capacity_kB": mean["heat_capacity_kB"][i], "heat_capacity_se_kB": se["heat_capacity_kB"][i],
             "order_parameter": mean["order_parameter"][i], "order_parameter_se": se["order_parameter"][i]}
            for i, t in enumerate(temps_K)]
    return rows, temps_K[np.argmax(stacked["heat_capacity_kB"], axis=1)]


def run_surrogate_mc(cfg: SurrogateMCConfig, output: Path, progress: bool = True, config_file=None) -> dict:
    t_start, cpu_start = time.perf_counter(), time.process_time()
    energy = build_energy(cfg, config_file)
    n_sites = energy.lattice.n_sites
    for i, n_b in enumerate(cfg.compositions):
        if not 0 < n_b < n_sites:
            raise ConfigError(config_file, f"compositions[{i}]", f"a number of B atoms in 1..{n_sites - 1}", n_b)
    output.mkdir(parents=True, exist_ok=True)
    write_text_atomic(output / "config.yaml", yaml.safe_dump(to_dict(cfg), sort_keys=False))
    order = LongRangeOrder(energy.lattice)
    rng = np.random.default_rng(cfg.seed)
    summary = {"lattice": energy.lattice.name, "species": list(energy.species), "energy": cfg.energy.kind,
               "compositions": {}}
    jobs = len(cfg.compositions) * (cfg.metropolis.enabled + cfg.wang_landau.enabled * cfg.wang_landau.repeats)
    bar = Progress("surrogate mc", jobs, unit="run", every_s=0, enabled=progress, initial=0)
    done = [0]

    def tick():
        done[0] += 1
        bar.update(done[0])

    mc_rows, thermo = [], {}
    for n_b in cfg.compositions:
        entry = summary["compositions"][str(n_b)] = {}
        if cfg.metropolis.enabled:
            rows = metropolis_rows(energy, n_b, cfg, order, rng, tick)
            mc_rows += rows
            peak = max(rows, key=lambda r: r["heat_capacity_kB"])
            entry.update(metropolis_cv_peak_T_K=peak["T_K"], metropolis_cv_peak_kB=peak["heat_capacity_kB"],
                         metropolis_cv_peak_se_kB=peak["heat_capacity_se_kB"])
        if cfg.wang_landau.enabled:
            (lo, hi), runs = wang_landau_runs(energy, n_b, cfg, order, rng, progress, tick)
            t_first, t_last, count = cfg.wang_landau.temperatures_K
            rows, peaks = thermodynamics_rows(runs, np.linspace(t_first, t_last, int(count)))
            thermo[n_b] = rows
            write_text_atomic(output / f"dos_{n_b}.csv", to_csv([
                {"run": r, "energy_eV": c, "ln_g": g, "order_parameter": q}
                for r, dos in enumerate(runs) for c, g, q in zip(dos.centres, dos.ln_g, dos.observable_mean)]))
            write_text_atomic(output / f"thermodynamics_{n_b}.csv", to_csv(rows))
            se = float(standard_error(peaks))
            entry.update(wang_landau_cv_peak_T_K=float(peaks.mean()),
                         wang_landau_cv_peak_T_se_K=se if np.isfinite(se) else None,  # None: a single run
                         wang_landau_cv_peak_T_K_runs=peaks.tolist(),
                         wang_landau_steps_per_walker=[dos.steps for dos in runs],
                         wang_landau_final_ln_f=[dos.ln_f for dos in runs], energy_range_eV=[lo, hi])
    bar.close()
    if mc_rows:
        write_text_atomic(output / "metropolis.csv", to_csv(mc_rows))
    _plot(output / "heat_capacity.png", mc_rows, thermo)
    summary["wall_seconds"] = time.perf_counter() - t_start
    summary["cpu_seconds"] = time.process_time() - cpu_start
    write_json_atomic(output / "summary.json", summary)
    return summary


def _plot(path, mc_rows, thermo) -> None:
    from pf_app.viz.figures import save_figure, subplots

    fig, ax = subplots(figsize=(5, 3.5))
    for i, (n_b, rows) in enumerate(thermo.items()):
        t, cv, se = (np.array([r[k] for r in rows]) for k in ("T_K", "heat_capacity_kB", "heat_capacity_se_kB"))
        ax.plot(t, cv, f"C{i}-", lw=1, label=f"Wang-Landau, {n_b} B")
        ax.fill_between(t, cv - se, cv + se, color=f"C{i}", alpha=0.3, lw=0)  # nan (one run): no band
    for i, n_b in enumerate(sorted({r["n_B"] for r in mc_rows})):
        rows = [r for r in mc_rows if r["n_B"] == n_b]
        ax.errorbar([r["T_K"] for r in rows], [r["heat_capacity_kB"] for r in rows],
                    [r["heat_capacity_se_kB"] for r in rows], fmt=f"C{i}o", ms=3, label=f"Metropolis, {n_b} B")
    ax.set_xlabel("T [K]")
    ax.set_ylabel("C_v [k_B per cell]")
    ax.legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)


def run_from_args(args) -> int:
    """The ``mc`` command's entry for ``kind: surrogate_mc`` files (``--set``, ``--quiet``)."""
    import os

    from pf_app.config import parse_overrides
    from pf_app.montecarlo.surrogate_config import load_mc_config

    cfg = load_mc_config(args.config, parse_overrides(args.set))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    summary = run_surrogate_mc(cfg, cfg.output.directory, progress=not args.quiet, config_file=args.config)
    for n_b, entry in summary["compositions"].items():
        print(f"{n_b} B: " + ", ".join(f"{k} = {v}" for k, v in entry.items() if "peak" in k))
    print(f"results in {cfg.output.directory}")
    return 0
