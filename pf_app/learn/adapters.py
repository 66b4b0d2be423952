"""The loop's only contact with the Monte Carlo campaign and the IDNN trainer.

Everything the loop needs from :mod:`pf_app.montecarlo` and :mod:`pf_app.idnn` goes through the
functions here, so that a change of their interfaces is a change of this one file.  Nothing here
re-implements them: a round's Monte Carlo is ``pf_app mc`` on a generated point list, a committee
member is ``pf_app train`` on the loop's table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pf_app import mu_table
from pf_app.config import ConfigError, build

# keys of the train section that the loop sets itself (per member and round)
LOOP_KEYS = ("data.path", "output")


# ---- the IDNN trainer --------------------------------------------------------------------------

def training_config(train: dict, table: Path, seed: int, directory: Path, name: str, file=None):
    """A ``pf_app train`` config: the loop config's ``train`` section on ``table``, with ``seed``
    (initial weights and the member's train/validation split) and output ``directory/name``."""
    from pf_app.idnn.config import IDNNConfig

    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in train.items()}
    data["data"] = {**data.get("data", {}), "path": str(table)}
    data["training"] = {**data.get("training", {}), "seed": int(seed)}
    data["output"] = {"directory": str(directory), "name": name}
    return build(IDNNConfig, data, file=file, key="train")


def check_training_section(train: dict, file) -> None:
    """Refuse keys the loop sets itself; validate the rest as a training config."""
    if "output" in train:
        raise ConfigError(file, "train.output", "no output section (the loop names the member files)", train["output"])
    if "path" in (train.get("data") or {}):
        raise ConfigError(file, "train.data.path", "no path (the loop trains on its own table)",
                          train["data"]["path"])
    training_config(train, Path("table.csv"), 0, Path("."), "check", file)


def with_baseline_map(train: dict, Q: np.ndarray, file=None) -> dict:
    """``train`` with ``model.baseline_Q`` set to the loop's order-parameter map Q (eta = Q x, scale
    folded in) when ``model.baseline`` is ``ideal_mixing`` and no map is given; a given map must be Q."""
    model = train.get("model") or {}
    if model.get("baseline") != "ideal_mixing":
        return train
    given = model.get("baseline_Q")
    if given is None:
        return {**train, "model": {**model, "baseline_Q": np.asarray(Q, float).tolist()}}
    try:
        same = np.allclose(np.asarray(given, float), Q, rtol=0.0, atol=1e-12)
    except ValueError:
        same = False
    if not same:
        raise ConfigError(file, "train.model.baseline_Q", f"the loop's order-parameter map {np.asarray(Q).tolist()} "
                          "(or null: the loop fills it in)", given)
    return train


def with_temperature_input(train: dict, temperature, file=None) -> dict:
    """``train`` with ``model.temperature_input`` true when the loop's domain has a temperature range
    (``temperature`` not None); a train section that says otherwise is an error."""
    model = train.get("model") or {}
    given = model.get("temperature_input")
    if temperature is None:
        if given:
            raise ConfigError(file, "train.model.temperature_input", "false without a temperature range (the "
                              "loop's temperature: {lo, hi})", given)
        return train
    if given is False:
        raise ConfigError(file, "train.model.temperature_input", "true or absent with a temperature range", given)
    return {**train, "model": {**model, "temperature_input": True}}


def excluded_flags(train: dict) -> tuple[str, ...]:
    """The flag columns whose non-zero rows the trainer drops (``train.data.exclude_flags``)."""
    return tuple((train.get("data") or {}).get("exclude_flags") or ())


def train_member(train: dict, table: Path, seed: int, directory: Path, name: str, progress: bool):
    """Train one committee member; writes ``directory/name.idnn.json`` (+ log, plot); returns its weights.

    A member killed while training continues from the trainer's checkpoint (``name.checkpoint.npz``)."""
    from pf_app.idnn.train import train as run_training

    resume = (Path(directory) / f"{name}.checkpoint.npz").exists()
    return run_training(training_config(train, table, seed, directory, name), progress=progress, resume=resume).weights


def weights_path(directory: Path, name: str) -> Path:
    """Where :func:`train_member` writes the weights of ``name``."""
    return Path(directory) / f"{name}.idnn.json"


def load_model(path: Path):
    from pf_app.idnn import weights

    return weights.load(path)


def model_class():
    from pf_app.idnn.weights import IDNNWeights, Layer

    return IDNNWeights, Layer


def held_out_rows(training_config_file: Path) -> tuple[np.ndarray, np.ndarray]:
    """(x, mu) of the validation rows of a ``pf_app train`` config (the shipped IDNN's held-out rows)."""
    from pf_app.config import load
    from pf_app.idnn.config import IDNNConfig
    from pf_app.idnn.data import load_fit_data

    cfg = load(IDNNConfig, training_config_file)
    data = load_fit_data(cfg.data, cfg.training.seed, cfg.loss.anchors)
    return data.x_val, data.mu_val


def exact_free_energy(name: str, file=None):
    """A known free energy of :mod:`pf_app.idnn.synthetic` by name (``evaluate(x, order)`` interface)."""
    from pf_app.idnn import synthetic

    fe = getattr(synthetic, name, None)
    if not hasattr(fe, "order_parameters"):
        raise ConfigError(file, "oracle.free_energy", "a free energy of pf_app.idnn.synthetic (landau_b2, "
                          "landau_l12)", name)
    return fe


def exact_table(free_energy, x: np.ndarray, kT=None) -> mu_table.MuTable:
    """Exact derivatives of ``free_energy`` at ``x`` (and ``kT``, one per row, for a temperature-dependent
    one) as a table (column ``g`` holds the values)."""
    from pf_app.idnn.synthetic import derivative_table

    if kT is None:
        return derivative_table(free_energy, x, free_energy.order_parameters)
    return derivative_table(free_energy, x, free_energy.order_parameters, temperature=kT)


# ---- the Monte Carlo campaign ------------------------------------------------------------------

def _campaign(path: Path, overrides: dict | None = None):
    from pf_app.montecarlo.config import load_campaign

    return load_campaign(path, overrides)


def campaign_order_parameters(path: Path, overrides: dict):
    """The campaign template's ``order_parameters`` section (Q, scale, names: eta = scale Q x)."""
    return _campaign(path, dict(overrides)).order_parameters


def check_campaign(path: Path, overrides: dict, per_point_temperatures: bool = False) -> None:
    """The campaign template (with ``overrides``) must be an umbrella campaign at one temperature
    (``per_point_temperatures``: any; the loop gives each point its own kT)."""
    from pf_app.montecarlo.config import values_of

    cfg = _campaign(path, dict(overrides))
    if cfg.ensemble != "umbrella":
        raise ConfigError(path, "ensemble", "'umbrella' (the loop needs mu at chosen points)", cfg.ensemble)
    temps = values_of(cfg.temperatures) if cfg.temperatures is not None else []
    if len(temps) != 1 and not per_point_temperatures:
        raise ConfigError(path, "temperatures", "one temperature (the loop learns g at one T)", temps)


def run_campaign_points(path: Path, overrides: dict, targets: np.ndarray, guess: Path | None, table: Path,
                        progress: bool, kT: np.ndarray | None = None) -> mu_table.MuTable:
    """Umbrella Monte Carlo (campaign ``path`` with ``overrides``) aimed at ``targets`` (n, d),
    appended to ``table`` (resumable: points already there are skipped, an interrupted point
    continues from its checkpoint); ``kT`` (n,): each point at its own temperature.

    The campaign aims with kappa = target + mu_guess / (2 phi); ``guess`` is the current committee's
    exported IDNN (None: the template's own guess, e.g. mean field, for round 0)."""
    from pf_app.montecarlo.campaign import run_campaign

    points = {"kind": "list", "values": [[float(v) for v in t] for t in targets]}
    if kT is not None:
        points["kT"] = [float(t) for t in kT]
    overrides = {**overrides, "umbrella.points": points, "umbrella.points_are": "target", "output.table": str(table),
                 "output.hdf5": None, "output.plots": None}
    if kT is not None:
        overrides["temperatures"] = None
    if guess is not None:
        overrides["umbrella.guess"] = str(guess)
    run_campaign(_campaign(path, overrides), path, progress=progress)
    return mu_table.read(table)
