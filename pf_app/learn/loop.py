"""``pf_app learn``: rounds of (choose points -> ask the oracle -> train an IDNN committee -> evaluate).

Files (``output.directory``; formats in ``docs/formats.md``, section "Active-learning rounds")::

    config.yaml                  the resolved config and the loop key (hash of what decides the points)
    history.csv                  one row per finished round (points, errors, spread, times)
    <name>.idnn.json             the last round's exported committee model
    rounds/r000/points.csv       the round's targets and why each was chosen (written before asking)
    rounds/r000/oracle.csv       the oracle's answers (Monte Carlo: also oracle_mc.csv, its raw table)
    rounds/r000/table.csv        every answer so far: what the committee was trained on
    rounds/r000/models/          member<k>.idnn.json (+ training logs, curves)
    rounds/r000/<name>.idnn.json the committee's export (mean network or closest member)
    rounds/r000/report.json      the round's numbers; committee.png, points.png its figures

Resume: run the same command again.  A round with ``report.json`` is finished and is read back; in
an unfinished round the saved points are asked again only where ``oracle.csv`` (or the Monte Carlo
table) has no answer yet, and members whose weights exist are not retrained.  So a kill anywhere
costs at most the point and the member that were running, and no point is asked twice.
The stop targets and budgets (``stop``) may be changed between runs; other keys may not.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import yaml

from pf_app import mu_table
from pf_app.atomic_files import write_json_atomic, write_text_atomic
from pf_app.config import ConfigError, to_dict
from pf_app.learn import adapters
from pf_app.learn.committee import Committee
from pf_app.learn.oracles import make_oracle, target_columns
from pf_app.learn.report import round_figures
from pf_app.learn.sampling import Choice, State, choose, domain_of, evaluate, predict, sobol_block
from pf_app.progress import Progress

OUTSIDE_FLAG = "flag_outside_domain"  # an answer measured outside the domain: kept, not learned
OUTSIDE_TOLERANCE = 0.5  # of the margin


def loop_key(cfg) -> str:
    """Hash of the settings that decide the points and models (not output, run, or stop)."""
    data = {k: v for k, v in to_dict(cfg).items() if k not in ("output", "run", "stop")}
    return hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _check_or_write_config(cfg, out: Path, key: str) -> None:
    path = out / "config.yaml"
    if path.exists():
        old = (yaml.safe_load(path.read_text()) or {}).get("loop_key")
        if old != key:
            raise ConfigError(path, "loop_key", f"a loop with these settings (key {key}); choose another "
                              "output.directory or delete the old one", old)
    write_text_atomic(path, yaml.safe_dump({"loop_key": key, **to_dict(cfg)}, sort_keys=False))


def _concat(a: mu_table.MuTable | None, b: mu_table.MuTable) -> mu_table.MuTable:
    if a is None:
        return b
    missing = [k for k in a.columns if k not in b.columns]
    if missing:
        raise ValueError(f"oracle answers lack column {missing[0]}")
    return mu_table.MuTable(a.order_parameters, {k: np.concatenate([a.columns[k], b.columns[k]]) for k in a.columns},
                            a.meta)


def flag_outside(answers: mu_table.MuTable, domain) -> mu_table.MuTable:
    """``answers`` with the column OUTSIDE_FLAG: 1 where the measured point's sublattice fractions lie
    more than OUTSIDE_TOLERANCE x margin outside [margin, 1 - margin] (a Monte Carlo box aimed with a
    poor mu guess can run to x_s ~ 0, where mu ~ kT ln x_s diverges; the loop models g on the domain)."""
    tol = OUTSIDE_TOLERANCE * domain.lo
    f = domain.map.fractions(answers.x)
    outside = np.any((f < domain.lo - tol) | (f > domain.hi + tol), axis=1)
    return mu_table.MuTable(answers.order_parameters, {**answers.columns, OUTSIDE_FLAG: outside.astype(float)},
                            answers.meta)


def learnable(table: mu_table.MuTable, flags: tuple[str, ...]) -> np.ndarray:
    """Rows the trainer keeps: no non-zero exclusion flag (a flag the table lacks excludes nothing)."""
    keep = np.ones(len(table), bool)
    for name in flags:
        if name in table.columns:
            keep &= table.columns[name] == 0
    return keep


def _targets(table: mu_table.MuTable, domain) -> np.ndarray:
    """The asked-for points of the rows (the target order parameters, then the rows' kT if it varies)."""
    t = np.column_stack([table.columns[n] for n in target_columns(table.order_parameters)])
    return t if domain.kT_range is None else np.column_stack([t, table.columns["kT"]])


def _point_columns(domain) -> list[str]:
    """Columns of points.csv that hold a point: target_<name> per order parameter, then kT."""
    return target_columns(domain.names) + ([] if domain.kT_range is None else ["kT"])


def _write_points(path: Path, choice: Choice, first_id: int, committee, domain) -> None:
    names = domain.names
    cols = {"point_id": first_id + np.arange(len(choice.points))}
    cols.update({n: choice.points[:, k] for k, n in enumerate(_point_columns(domain))})
    cols["reason"] = choice.reasons
    if committee is not None and len(choice.points):
        p = predict(committee, domain, choice.points)
        for k, name in enumerate(names):
            cols[f"mu_pred_{name}"], cols[f"std_mu_{name}"] = p.mu_mean[:, k], p.mu_std[:, k]
    names = list(cols)
    lines = [",".join(names)] + [",".join(str(cols[n][i]) for n in names) for i in range(len(choice.points))]
    write_text_atomic(path, "\n".join(lines) + "\n")


def _read_points(path: Path, domain) -> Choice:
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    idx, ir = [header.index(n) for n in _point_columns(domain)], header.index("reason")
    pts = np.array([[float(r[i]) for i in idx] for r in rows]).reshape(-1, domain.dim)
    return Choice(pts, [r[ir] for r in rows])


def _mse(model, domain, x, mu) -> tuple[float, list[float]]:
    err = evaluate(model, domain, x, 1)[1] - mu
    per = (err ** 2).mean(axis=0)
    return float(per.sum()), [float(v) for v in per]


class _Round:
    """Paths of one round."""

    def __init__(self, out: Path, index: int, name: str):
        self.index = index
        self.dir = out / "rounds" / f"r{index:03d}"
        self.points = self.dir / "points.csv"
        self.oracle = self.dir / "oracle.csv"
        self.table = self.dir / "table.csv"
        self.models = self.dir / "models"
        self.export = self.dir / f"{name}.idnn.json"
        self.report = self.dir / "report.json"


def run_loop(cfg, file, progress: bool = True) -> dict:
    """Run (or resume) the loop of a :class:`pf_app.learn.config.LearnConfig`; returns the summary."""
    out = Path(cfg.output.directory)
    domain = domain_of(cfg)
    oracle = make_oracle(cfg, file, progress, domain)  # input errors surface before anything is written
    key = loop_key(cfg)
    out.mkdir(parents=True, exist_ok=True)
    _check_or_write_config(cfg, out, key)
    held = oracle.held_out()
    flags = (*adapters.excluded_flags(cfg.train), OUTSIDE_FLAG)
    train = {**cfg.train, "data": {**(cfg.train.get("data") or {}), "exclude_flags": list(flags)}}
    train = adapters.with_baseline_map(train, domain.map.Q, file)  # model.baseline: ideal_mixing's sublattices
    train = adapters.with_temperature_input(train, cfg.temperature, file)  # g(x; kT) over a temperature range
    base_seed = int((cfg.train.get("training") or {}).get("seed", 0))
    eval_points = domain.from_unit(sobol_block(cfg.points.seed + 1, 0, cfg.points.candidates, domain.dim))
    stop = cfg.stop
    bar = Progress("learn", stop.max_points, unit="points", every_s=cfg.run.progress_every_s, enabled=progress)
    state, table, history, stopped_by, started = State(), None, [], None, False
    t_start = time.perf_counter()
    for r in range(stop.max_rounds):
        rd = _Round(out, r, cfg.output.name)
        spent = 0 if table is None else len(table)
        if spent >= stop.max_points:
            stopped_by = "max_points"
            break
        if not rd.report.exists() and not started:
            bar.update(spent)  # the rate counts this run's points only
            started = True
        t0 = time.perf_counter()
        # 1. the round's points (saved before asking, so a resumed round asks for the same ones)
        if rd.points.exists():
            choice = _read_points(rd.points, domain)
        else:
            choice = choose(r, cfg.points, state, domain)
            n = min(len(choice.points), stop.max_points - spent)
            choice = Choice(choice.points[:n], choice.reasons[:n])
            _write_points(rd.points, choice, spent, state.committee, domain)
        # 2. the oracle's answers (resumable inside the round)
        guess = None if r == 0 else _Round(out, r - 1, cfg.output.name).export
        answers = flag_outside(oracle.answer(choice.points, spent, guess, rd.oracle, table), domain)
        t_oracle = time.perf_counter() - t0
        prev_model = state.mean_model
        table = _concat(table, answers)
        mu_table.write(table, rd.table)
        if started:
            bar.update(len(table), round=r, stage="training")
        keep = learnable(table, flags)
        new = learnable(answers, flags)
        # 3. the committee (members already on disk are read back)
        t1 = time.perf_counter()
        members = []
        for k in range(cfg.committee.members):
            path = adapters.weights_path(rd.models, f"member{k}")
            if path.exists():
                members.append(adapters.load_model(path))
            else:
                members.append(adapters.train_member(train, rd.table, base_seed + k, rd.models, f"member{k}",
                                                     progress))
        committee = Committee(members)
        t_train = time.perf_counter() - t1
        # 4. evaluation, export, report
        if rd.report.exists():
            report = json.loads(rd.report.read_text())
            model = adapters.load_model(rd.export)
        else:
            eta_eval, kT_eval = domain.split(eval_points)
            model = committee.export(cfg.committee.export, eta_eval,
                                     {"created_by": "pf_app learn", "round": r, "config": str(file),
                                      "committee": [str(adapters.weights_path(rd.models, f"member{k}"))
                                                    for k in range(len(members))],
                                      "export": cfg.committee.export, "loop_key": key}, kT=kT_eval)
            model.save(rd.export)
            report = _evaluate(r, domain, table, keep, answers, new, choice, committee, model, prev_model, held,
                               eval_points, t_oracle, t_train, time.perf_counter() - t_start)
            write_json_atomic(rd.report, report)
            round_figures(rd.dir, committee, model, table, keep, choice, domain)
        history.append(report)
        _write_history(out / "history.csv", history)
        # 5. what the next round needs
        mu_learned = table.mu[keep]
        new_points = domain.points_of(answers)[new]
        state = State(committee=committee, mean_model=model, new_points=new_points,
                      new_errors=_scaled_errors(prev_model if prev_model is not None else model, domain, new_points,
                                                answers.mu[new], mu_learned),
                      failed_targets=_targets(table, domain)[~keep], asked=_targets(table, domain),
                      mu_scale=_rms(mu_learned),
                      sobol_used=state.sobol_used + sum(1 for x in choice.reasons if x == "sobol"))
        if started:
            bar.update(len(table), force=True, round=r, val_mse=report["validation_mse"], spread=report["spread"])
        stopped_by = _stop_reason(stop, report)
        if stopped_by:
            break
    else:
        stopped_by = "max_rounds"
    if started:
        bar.close()
    if not history:
        raise ConfigError(file, "stop.max_points", "a budget above the points already spent", stop.max_points)
    final = out / f"{cfg.output.name}.idnn.json"
    last = _Round(out, history[-1]["round"], cfg.output.name)
    adapters.load_model(last.export).save(final)
    summary = {"stopped_by": stopped_by, "rounds": len(history), "points": history[-1]["points"],
               "learnable_points": history[-1]["learnable_points"], "validation_mse": history[-1]["validation_mse"],
               "spread": history[-1]["spread"], "model": str(final), "history": str(out / "history.csv")}
    write_json_atomic(out / "summary.json", summary)
    return summary


def _rms(mu: np.ndarray) -> np.ndarray:
    s = np.sqrt((mu ** 2).mean(axis=0)) if len(mu) else np.ones(mu.shape[1])
    return np.where(s > 0, s, 1.0)


def _scaled_errors(model, domain, x, mu, mu_learned) -> np.ndarray:
    """sqrt(sum_k ((mu_pred_k - mu_k)/s_k)^2) per point (n, dim), s_k the RMS of the learned mu_k."""
    if len(x) == 0:
        return np.zeros(0)
    return np.sqrt((((evaluate(model, domain, x, 1)[1] - mu) / _rms(mu_learned)) ** 2).sum(axis=1))


def _evaluate(r, domain, table, keep, answers, new, choice, committee, model, prev_model, held, eval_points,
              t_oracle, t_train, wall) -> dict:
    pred = predict(committee, domain, eval_points)
    spread = float(np.sqrt((pred.mu_std ** 2).sum(axis=1).mean()))
    member_val = [float(m.provenance.get("final_errors", {}).get("validation", {}).get("mse_mu", np.nan))
                  for m in committee.members]
    report = {"round": r, "points": len(table), "points_this_round": len(answers),
              "learnable_points": int(keep.sum()), "learnable_this_round": int(new.sum()),
              "reasons": {x: choice.reasons.count(x) for x in dict.fromkeys(choice.reasons)},
              "members_validation_mse": member_val, "members_validation_mse_mean": float(np.nanmean(member_val)),
              "spread": spread, "spread_unit": "energy per site (RMS over the domain of the members' std of mu)",
              "oracle_seconds": t_oracle, "training_seconds": t_train, "wall_seconds": wall}
    if prev_model is not None and new.any():
        report["prospective_mse"] = _mse(prev_model, domain, domain.points_of(answers)[new], answers.mu[new])[0]
    if held is not None:
        report["held_out_mse"], report["held_out_mse_per_component"] = _mse(model, domain, *held)
        report["held_out_rows"] = len(held[0])
    report["validation_mse"] = report.get("held_out_mse", report["members_validation_mse_mean"])
    return report


def _stop_reason(stop, report) -> str | None:
    """'targets reached' when every set target (validation MSE, spread) holds; else a spent budget."""
    targets = [(t, report[k]) for t, k in ((stop.val_mse, "validation_mse"), (stop.spread, "spread")) if t is not None]
    if targets and all(v <= t for t, v in targets):
        return "targets reached"
    if report["points"] >= stop.max_points:
        return "max_points"
    return None


def _write_history(path: Path, history: list[dict]) -> None:
    names = ["round", "points", "learnable_points", "validation_mse", "members_validation_mse_mean",
             "held_out_mse", "prospective_mse", "spread", "oracle_seconds", "training_seconds", "wall_seconds"]
    lines = [",".join(names)] + [",".join(str(h.get(n, "")) for n in names) for h in history]
    write_text_atomic(path, "\n".join(lines) + "\n")
