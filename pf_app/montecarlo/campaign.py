"""``pf_app mc <config>``: many state points, in parallel, appended to a resumable mu table.

Tasks are (temperature x point) in a fixed order; ``point_id`` is the index in that order.  An
umbrella list with ``umbrella.points.kT`` runs each point at its own temperature instead (the
temperature as a coordinate of the point, e.g. for the active-learning loop over (c, eta, kT)).  Finished
rows are appended to ``output.table`` (CSV, pf_app.mu_table format; the optional HDF5 copy follows
within HDF5_REFRESH_S seconds and at the end) as they arrive, so a killed
campaign resumes: ids already in the table are skipped and a point interrupted mid-run continues
from its checkpoint in ``<table>.checkpoints/``.  The table's metadata holds a hash of the campaign
settings; resuming into a table of a different campaign is an error.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import warnings
from pathlib import Path

import numpy as np

from pf_app import mu_table
from pf_app.config import ConfigError, to_dict
from pf_app.atomic_files import write_text_atomic
from pf_app.progress import Progress
from pf_app.montecarlo.config import CampaignConfig, values_of
from pf_app.montecarlo.homogeneity import default_block
from pf_app.montecarlo.meanfield import MeanField
from pf_app.montecarlo.model import SamplerModel, model_of
from pf_app.montecarlo.parallel import launched_by_mpirun, resolve_backend, run_tasks
from pf_app.montecarlo.sampler import Ensemble, PointSettings, PointTask, cluster_tables, run_point
from pf_app.montecarlo.targets import guess_mu, kappa_for_targets, physical_points

HDF5_REFRESH_S = 30.0  # the HDF5 copy is rewritten (atomically) at most this often while running, and at the end
CONVENTION = ("sigma = +1 for the second listed species of a site, -1 for the first; x_s = fraction of the "
              "second species on sublattice s of the ordering cell; order parameters eta = Q x (Q in the "
              "provenance); E = M V0 + sum_(orbits a) V_a sum_(clusters of a, each once) prod_i sigma_i; "
              "energy and mu per sampled site; column kT = k_B T in energy_unit")


def campaign_key(cfg: CampaignConfig) -> str:
    """Hash of everything that decides the rows (not output paths or how it is run).  Keys added after
    tables were written leave the hash unchanged at their defaults (so those tables still resume)."""
    data = {k: v for k, v in to_dict(cfg).items() if k not in ("output", "run")}
    if not data["umbrella"]["points"]["kT"]:
        del data["umbrella"]["points"]["kT"]
    return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def settings_of(cfg: CampaignConfig, model: SamplerModel) -> PointSettings:
    h = cfg.homogeneity
    return PointSettings(model, cfg.sampling, h.block or default_block(cfg.supercell),
                         h.bimodality_threshold, h.excess_variance_threshold,
                         checkpoint_dir=checkpoint_dir(cfg), campaign_key=campaign_key(cfg))


def checkpoint_dir(cfg: CampaignConfig) -> Path:
    return cfg.output.table.with_suffix(".checkpoints")


def _clip_start(model: SamplerModel, eta) -> tuple[float, ...]:
    return tuple(float(v) for v in np.clip(model.order_map.fractions(eta), 0, 1))


def _combinations(cfg: CampaignConfig) -> list[tuple[float, ...]]:
    """Every combination of the SGC exchange potentials, in the order of the order parameters."""
    lists = [values_of(cfg.sgc.mu.get(n, [0.0])) for n in cfg.order_parameters.names]
    grids = np.meshgrid(*lists, indexing="ij")
    return [tuple(float(g.ravel()[i]) for g in grids) for i in range(grids[0].size)]


def build_tasks(cfg: CampaignConfig, file: str | Path, model: SamplerModel) -> list[PointTask]:
    """All state points of the campaign, in their fixed order."""
    tasks, omap = [], model.order_map
    mean_field = MeanField(cluster_tables(model), omap)
    names = omap.names
    per_point = cfg.ensemble == "umbrella" and bool(cfg.umbrella.points.kT)
    for kT in (cfg.umbrella.points.kT[:1] if per_point else values_of(cfg.temperatures)):
        if cfg.ensemble == "umbrella":
            u = cfg.umbrella
            phi = np.broadcast_to(np.asarray(u.phi, float), (omap.n,))
            pts = physical_points(u.points, omap, file, "umbrella.points", check_domain=u.points_are == "target")
            kTs = np.asarray(u.points.kT, float) if per_point else np.full(len(pts), kT)
            if u.points_are == "target":
                kappa = kappa_for_targets(pts, phi, guess_mu(pts, kTs, u.guess, omap, mean_field))
            else:
                kappa = pts
            for p, k, t in zip(pts, kappa, kTs):
                ens = Ensemble(float(t), tuple(float(v) for v in phi), tuple(float(v) for v in k))
                extra = ({f"target_{n}": float(v) for n, v in zip(names, p)} if u.points_are == "target" else {})
                tasks.append(PointTask(len(tasks), ens, _clip_start(model, p), len(tasks), extra))
        else:
            for mu in _combinations(cfg):
                start = mean_field.state(kT, mu, ordered=cfg.sgc.initial == "ordered")
                tasks.append(PointTask(len(tasks), Ensemble(kT, mu=mu), start, len(tasks)))
    return tasks


def finished_ids(cfg: CampaignConfig, key: str) -> set[int]:
    """point_id values already in the output table (empty when there is none)."""
    path = cfg.output.table
    if not path.exists():
        return set()
    _drop_partial_last_line(path)
    table = mu_table.read(path)
    if table.meta.get("campaign") != key:
        raise ConfigError(path, "campaign", f"a table written by this campaign (hash {key}); choose another "
                          "output.table or delete the old one", table.meta.get("campaign", "no hash"))
    return {int(i) for i in table.columns.get("point_id", [])}


def _drop_partial_last_line(path: Path) -> None:
    """A kill during an append can leave a row without its newline: remove that row (it is rerun)."""
    text = path.read_text()
    if text and not text.endswith("\n"):
        warnings.warn(f"{path}: dropping an incomplete last row (interrupted write); its point is rerun",
                      stacklevel=2)
        write_text_atomic(path, text[: text.rfind("\n") + 1])


def table_meta(cfg: CampaignConfig, file: str | Path, key: str, model: SamplerModel) -> dict:
    ce, omap = model.expansion, model.order_map
    ecis = {f"{i}": v for i, v in enumerate(ce.ecis) if v != 0.0}
    return {"energy_unit": ce.energy_unit, "per_site": "true", "convention": CONVENTION,
            "ensemble": cfg.ensemble, "campaign": key,
            "provenance": f"pf_app mc {file}; supercell {list(cfg.supercell)} x ordering cell "
                          f"{omap.cell.tolist()}; Q {np.round(omap.Q, 12).tolist()}; cutoffs "
                          f"{list(ce.space.cutoffs)}; non-zero ECIs by orbit index {ecis}"}


def _run_one(job: tuple[PointSettings, PointTask]) -> dict:
    return run_point(*job)


def run_campaign(cfg: CampaignConfig, file: str | Path, progress: bool = True) -> int:
    """Run the missing points of a campaign; returns the number of rows written by this call."""
    if launched_by_mpirun() and resolve_backend(cfg.run.backend) != "mpi":
        raise ConfigError(file, "run.backend", "'auto' or 'mpi' when started by mpirun with several ranks "
                          "(otherwise every rank would run the whole campaign)", cfg.run.backend)
    key = campaign_key(cfg)
    model = model_of(cfg, file)
    tasks = build_tasks(cfg, file, model)
    done = finished_ids(cfg, key)
    pending = [t for t in tasks if t.point_id not in done]
    settings = settings_of(cfg, model)
    meta = table_meta(cfg, file, key, model)
    bar = Progress("mc", len(pending), unit="points", every_s=cfg.run.progress_every_s, enabled=progress)
    written = []

    hdf5_written = [time.monotonic()]

    def on_result(row: dict) -> None:
        mu_table.append_csv(cfg.output.table, mu_table.MuTable(model.order_map.names,
                                                              {k: [v] for k, v in row.items()}, meta))
        written.append(row["point_id"])
        if cfg.output.hdf5 is not None and time.monotonic() - hdf5_written[0] > HDF5_REFRESH_S:
            mu_table.write(mu_table.read(cfg.output.table), cfg.output.hdf5)
            hdf5_written[0] = time.monotonic()
        shown = {n: row[n] for n in model.order_map.names}
        bar.update(len(written), kT=row[mu_table.KT], **shown,
                   s=row["seconds"], split=row["flag_split"], unconverged=row["flag_unconverged"])

    if pending:
        settings.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    bar.update(0)
    is_root = run_tasks(_run_one, [(settings, t) for t in pending], on_result, cfg.run.backend, cfg.run.workers)
    bar.close()  # the final line: points done, mean rate, wall time (rank 0 only)
    if not is_root:
        return 0
    if settings.checkpoint_dir.is_dir() and not any(settings.checkpoint_dir.iterdir()):
        shutil.rmtree(settings.checkpoint_dir)
    finish_outputs(cfg)
    return len(written)


def finish_outputs(cfg: CampaignConfig) -> None:
    """The HDF5 copy and (semi-grand-canonical campaigns) the plots, from the complete table."""
    if not cfg.output.table.exists():
        return
    table = mu_table.read(cfg.output.table)
    if cfg.output.hdf5 is not None:
        mu_table.write(table, cfg.output.hdf5)
    if cfg.output.plots is not None and cfg.ensemble == "sgc" and table.order_parameters[:2] == ("c", "eta"):
        from pf_app.montecarlo.phase_diagram import plot_all

        plot_all(table, cfg.output.plots)

