"""g(c, eta; kT) at temperatures it was not trained on: chemical potentials, wells, order above T_c.

Data: the B2 umbrella campaign at 13 temperatures (data/b2_temperature/b2_mu_T.csv, L = 6 boxes, rows
whose box split excluded); the IDNN (models/b2_idnn_temperature.json, inputs/idnn_b2_temperature.yaml)
trained on nine of them.  Prints one JSON object per line ({"name", "value", "unit", "baseline", "ratio"}):

* ``idnn_temperature_heldout_mu_rmse``: RMSE of mu (sqrt of the mean over rows of sum_k err_k^2, eV)
  on every learnable row at the four held-out temperatures (value) against the same on the trainer's
  validation rows at the training temperatures (baseline); ratio = held-out / training (goal <= 2);
* the same per held-out temperature (``..._kT<value>``), and the Monte Carlo noise floor (RMS of the
  rows' standard errors, same norm) for scale;
* ``idnn_temperature_well_eta_kT<value>``: the learned well along c = 1/sqrt2 (the eta > 0 minimum of
  g(1/sqrt2, eta; kT)) against the unbiased Monte Carlo <|eta|> of the same L = 6 box
  (data/b2_temperature/b2_sgc_T.csv, inputs/mc_b2_sgc_temperatures.yaml) at every temperature; above
  kT_c = 0.1271 eV the learned well must be at eta = 0 (the box's <|eta|> there is the finite-size
  fluctuation, ~ M^-1/2, not order).

    .venv/bin/python benchmarks/idnn_temperature_heldout.py            # the shipped model
    .venv/bin/python benchmarks/idnn_temperature_heldout.py --train    # retrain it first (~10 min)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from pf_app import mu_table  # noqa: E402
from pf_app.config import load  # noqa: E402
from pf_app.idnn.config import IDNNConfig  # noqa: E402
from pf_app.idnn.data import load_fit_data  # noqa: E402
from pf_app.idnn.weights import load as load_weights  # noqa: E402

CONFIG = REPO / "inputs" / "idnn_b2_temperature.yaml"
MODEL = REPO / "models" / "b2_idnn_temperature.json"
SGC = REPO / "data" / "b2_temperature" / "b2_sgc_T.csv"
KT_C = 0.1271  # eV: the nearest-neighbour BCC model's order-disorder temperature at x = 1/2 (V_1 / 0.157373)


def rmse(err: np.ndarray) -> float:
    return float(math.sqrt((err ** 2).sum(axis=1).mean())) if len(err) else float("nan")


def line(name, value, unit, baseline, ratio=None):
    print(json.dumps({"name": name, "value": value, "unit": unit, "baseline": baseline,
                      "ratio": ratio if ratio is not None else (value / baseline if baseline else None)}))


def well(weights, kT: float) -> float:
    """The eta >= 0 minimum of g(1/sqrt2, eta; kT) on a grid of step 5e-4 (the B2 domain at x = 1/2)."""
    eta = np.linspace(0.0, 0.7, 1401)
    g = weights.evaluate(np.column_stack([np.full_like(eta, 2 ** -0.5), eta]), 0, kT)
    return float(eta[int(np.argmin(g))])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", action="store_true", help="retrain the model from the config first")
    ap.add_argument("--model", type=Path, default=MODEL)
    args = ap.parse_args()
    cfg = load(IDNNConfig, CONFIG)
    model_path = args.model
    if args.train:
        import dataclasses

        from pf_app.idnn.train import train

        tmp = Path(tempfile.mkdtemp(prefix="idnn_T_"))
        cfg = dataclasses.replace(cfg, output=dataclasses.replace(cfg.output, directory=tmp))
        model_path = train(cfg, progress=False).paths["weights"]
    w = load_weights(model_path)
    data = load_fit_data(cfg.data, cfg.training.seed, by_temperature=True)
    train_rmse = rmse(w.evaluate(data.x_val, 1, data.kT_val)[1] - data.mu_val)

    table = mu_table.read(cfg.data.path)
    trained = np.array(cfg.data.temperatures)
    kT = table.columns["kT"]
    held_rows = ~np.isclose(kT[:, None], trained[None, :], rtol=1e-9, atol=0).any(axis=1)
    for flag in cfg.data.exclude_flags:
        held_rows &= table.columns[flag] == 0
    held = table.select(held_rows)
    err = w.evaluate(held.x, 1, held.columns["kT"])[1] - held.mu
    held_rmse = rmse(err)
    line("idnn_temperature_heldout_mu_rmse", held_rmse, "eV", train_rmse)
    se = held.se()
    line("idnn_temperature_mc_noise_mu_rms", rmse(se), "eV", train_rmse)
    for t in np.unique(held.columns["kT"]):
        rows = held.columns["kT"] == t
        line(f"idnn_temperature_heldout_mu_rmse_kT{t:g}", rmse(err[rows]), "eV", train_rmse)
    if SGC.exists():
        sgc = mu_table.read(SGC)
        for t, order, se_order in zip(sgc.columns["kT"], sgc.columns["abs_eta"], sgc.columns["se_abs_eta"]):
            learned = well(w, float(t))
            kind = "held_out" if not np.isclose(trained, t, rtol=1e-9, atol=0).any() else "trained"
            print(json.dumps({"name": f"idnn_temperature_well_eta_kT{t:g}", "value": learned, "unit": "eta",
                              "baseline": float(order), "ratio": learned / float(order) if order else None,
                              "baseline_se": float(se_order), "temperature": kind, "above_kT_c": bool(t > KT_C)}))


if __name__ == "__main__":
    main()
