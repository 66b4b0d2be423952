"""Config validation, the CLI's error handling, the mu-table and IDNN weights formats."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from typing import Literal

import numpy as np
import pytest

from pf_app import mu_table
from pf_app.config import ConfigError, bounded, build, load
from pf_app.idnn import weights as idnn_weights
from pf_app.idnn.mechanochem import load_mechanochem


@dataclasses.dataclass(frozen=True)
class _Inner:
    n: int = bounded(4, ge=1)
    kind: Literal["a", "b"] = "a"


@dataclasses.dataclass(frozen=True)
class _Outer:
    dt: float = bounded(1.0, gt=0)
    inner: _Inner = dataclasses.field(default_factory=_Inner)
    sizes: tuple[float, ...] = (1.0, 2.0)

    def check(self, fail):
        if len(self.sizes) not in (2, 3):
            fail("sizes", "2 or 3 lengths", list(self.sizes))


def test_build_types_defaults_and_yaml_scientific_strings():
    cfg = build(_Outer, {"dt": "1e-3", "inner": {"n": 7}})
    assert cfg.dt == 1e-3 and cfg.inner.n == 7 and cfg.inner.kind == "a" and cfg.sizes == (1.0, 2.0)


@pytest.mark.parametrize("data, key, fragment", [
    ({"dt": -1}, "dt", "> 0"),
    ({"dt": "fast"}, "dt", "a number"),
    ({"inner": {"n": 0}}, "inner.n", ">= 1"),
    ({"inner": {"kind": "c"}}, "inner.kind", "one of"),
    ({"inner": {"typo": 1}}, "inner.typo", "one of the keys"),
    ({"sizes": [1, 2, 3, 4]}, "sizes", "2 or 3 lengths"),
    ({"sizes": [1, "x"]}, "sizes[1]", "a number"),
])
def test_build_errors_name_file_key_and_expectation(data, key, fragment):
    with pytest.raises(ConfigError) as exc:
        build(_Outer, data, file="case.yaml")
    assert exc.value.key == key and fragment in str(exc.value) and str(exc.value).startswith("case.yaml: ")


def test_load_reports_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="an existing YAML file"):
        load(_Outer, tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("dt: [1, 2\n")
    with pytest.raises(ConfigError, match="valid YAML"):
        load(_Outer, bad)


def test_cli_help_lists_commands_and_bad_config_exits_2(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pf_app", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "run" in out.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("no_such_key: 1\n")
    out = subprocess.run([sys.executable, "-m", "pf_app", "run", str(bad)], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "bad.yaml: no_such_key" in out.stderr and "Traceback" not in out.stderr


def _table(n=5):
    c = np.full(n, 1 / math.sqrt(2))
    eta = np.linspace(-0.5, 0.5, n)
    cols = {"kT": np.full(n, 0.5), "c": c, "eta": eta, "mu_c": 0.1 * eta, "mu_eta": eta ** 3,
            "se_mu_c": np.full(n, 1e-4), "se_mu_eta": np.full(n, 2e-4), "flag_split": np.arange(n) % 2}
    return mu_table.MuTable(("c", "eta"), cols, {"energy_unit": "V_NN", "provenance": "test"})


@pytest.mark.parametrize("suffix", [".csv", ".h5"])
def test_mu_table_round_trip_is_exact(tmp_path, suffix):
    t = _table()
    mu_table.write(t, tmp_path / f"mu{suffix}")
    r = mu_table.read(tmp_path / f"mu{suffix}")
    assert r.order_parameters == ("c", "eta") and r.meta["energy_unit"] == "V_NN"
    for k, v in t.columns.items():
        np.testing.assert_array_equal(r.columns[k], v)
    np.testing.assert_array_equal(r.se(), np.column_stack([t.columns["se_mu_c"], t.columns["se_mu_eta"]]))


def test_mu_table_append_and_invalid_rows(tmp_path):
    path = tmp_path / "mu.csv"
    mu_table.append_csv(path, _table(3))
    mu_table.append_csv(path, _table(2))
    assert len(mu_table.read(path)) == 5
    t = _table()
    t.columns["mu_eta"][2] = np.nan
    t.columns["eta"][4] = 0.9  # |eta| > min(c, sqrt2 - c)
    mu_table.write(t, path)
    with pytest.raises(ConfigError, match=r"mu_eta\[row 2\].*2 invalid rows"):
        mu_table.read(path)
    with pytest.warns(UserWarning, match="dropped 2 of 5"):
        assert len(mu_table.read(path, drop_invalid=True)) == 3
    t = _table()
    del t.columns["mu_c"]
    mu_table.write(t, path)
    with pytest.raises(ConfigError, match="mu_c: expected a column"):
        mu_table.read(path)


V1_CSV = """# format: pf_app.mutable
# version: 1
# order_parameters: c, eta
# energy_unit: eV
point_id,T,c,eta,mu_c,mu_eta
0,0.09,0.5,0.1,-0.13,-0.0015
1,0.09,0.7,0.3,0.01,-0.004
"""


def _v1_h5(path, table):
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs.update({"format": "pf_app.mutable", "version": 1, "order_parameters": "c, eta", "energy_unit": "eV"})
        for k, v in table.columns.items():
            f.create_dataset("T" if k == "kT" else k, data=v)


def test_mu_table_version_1_reads_as_version_2_with_the_same_values(tmp_path):
    """Format pf_app.mutable v1 names the kT column T; the reader maps it, values untouched, and a rewrite is v2."""
    v1 = tmp_path / "v1.csv"
    v1.write_text(V1_CSV)
    t = mu_table.read(v1)
    assert "T" not in t.columns and (t.meta["format"], t.meta["version"]) == ("pf_app.mu_table", "2")
    np.testing.assert_array_equal(t.columns["kT"], [0.09, 0.09])
    np.testing.assert_array_equal(t.mu, [[-0.13, -0.0015], [0.01, -0.004]])
    mu_table.write(t, tmp_path / "v2.csv")
    text = (tmp_path / "v2.csv").read_text()
    assert "# format: pf_app.mu_table\n# version: 2\n" in text and "\npoint_id,kT,c,eta," in text
    np.testing.assert_array_equal(mu_table.read(tmp_path / "v2.csv").columns["kT"], t.columns["kT"])
    # HDF5 v1, and a hand-written CSV without metadata (read as v1)
    ref = _table()
    _v1_h5(tmp_path / "v1.h5", ref)
    bare = tmp_path / "bare.csv"
    bare.write_text("\n".join(V1_CSV.splitlines()[4:]) + "\n")
    for path, want in ((tmp_path / "v1.h5", ref.columns), (bare, t.columns)):
        got = mu_table.read(path).columns
        assert set(got) == set(want)
        for k, v in want.items():
            np.testing.assert_array_equal(got[k], v)


def test_mu_table_rows_appended_to_a_version_1_file_keep_its_column_names(tmp_path):
    """A campaign resumed after the upgrade appends to its v1 file; the file stays a consistent v1 table."""
    path = tmp_path / "v1.csv"
    path.write_text(V1_CSV)
    row = {"point_id": [2.0], "kT": [0.09], "c": [0.6], "eta": [0.2], "mu_c": [-0.05], "mu_eta": [-0.003]}
    mu_table.append_csv(path, mu_table.MuTable(("c", "eta"), row))
    assert path.read_text().splitlines()[4] == "point_id,T,c,eta,mu_c,mu_eta"
    np.testing.assert_array_equal(mu_table.read(path).columns["kT"], [0.09, 0.09, 0.09])


@pytest.mark.parametrize("fmt, version, key, expected", [
    ("pf_app.mu_table", "3", "version", "2 for format pf_app.mu_table"),
    ("pf_app.mu_table", "two", "version", "2 for format pf_app.mu_table"),
    ("pf_app.mutable", "2", "version", "1 for format pf_app.mutable"),
    ("pf_app.mu_tables", "2", "format", "one of pf_app.mu_table, pf_app.mutable"),
])
def test_mu_table_unknown_format_or_version_is_refused_in_one_line(tmp_path, fmt, version, key, expected):
    path = tmp_path / "future.csv"
    path.write_text(V1_CSV.replace("pf_app.mutable", fmt).replace("# version: 1", f"# version: {version}"))
    with pytest.raises(ConfigError) as err:
        mu_table.read(path)
    assert str(err.value) == f"{path}: {key}: expected {expected}, got {(version if key == 'version' else fmt)!r}"


def test_published_idnn_matches_provenance_facts(published_idnn_dir, tmp_path, network_rounding):
    """Numbers stated in the data's PROVENANCE.md (computed there independently)."""
    w = load_mechanochem(published_idnn_dir)
    s = 1 / math.sqrt(2)
    x = np.array([[s, 0.0], [s, s], [s, -s]])
    g, grad, hess = w.evaluate(x, order=2)
    # PROVENANCE states these to 5 decimals (g) and 3 decimals / 3 figures (Hessian): half a unit of the last digit
    np.testing.assert_allclose(g, [-1.60185, -1.61486, -1.61486], atol=5e-6)
    np.testing.assert_allclose(hess[0, 0, 0], 3.657, atol=5e-4)
    np.testing.assert_allclose(hess[0, 1, 1], -0.0654, atol=5e-5)
    assert hess[0, 0, 1] == hess[0, 1, 0] == 0.0  # d(eta^2)/d eta = 0 at eta = 0: exact zeros
    # g is a function of eta^2: at eta = 0 the eta-derivative is a sum of exact zeros (d(eta^2)/d eta = 0);
    # at eta = +-s it is odd. (-s)^2 == s^2 exactly, but the two rows may be summed in different orders
    # (BLAS kernels), so each may be off by the running rounding bound of its sums, and they differ by twice
    # that: (sum of the layer fan-ins + 4 scalings) * eps * the gradient's terms taken in absolute value.
    assert grad[0, 1] == 0.0
    bound = network_rounding.eps_factor(w) * network_rounding.gradient_terms(w, x[1:2])[0, 1]
    assert abs(grad[1, 1] + grad[2, 1]) <= 2 * bound and abs(grad[1, 1]) > 1e6 * bound
    # JSON round trip reproduces every number bit for bit
    w.save(tmp_path / "b2.idnn.json")
    w2 = idnn_weights.load(tmp_path / "b2.idnn.json")
    x = np.random.default_rng(0).uniform([0.2, -0.2], [1.2, 0.2], (50, 2))
    for a, b in zip(w.evaluate(x, 2), w2.evaluate(x, 2)):
        np.testing.assert_array_equal(a, b)


def test_idnn_derivatives_match_finite_differences(published_idnn_dir, network_rounding):
    w = load_mechanochem(published_idnn_dir)
    x = np.random.default_rng(1).uniform([0.3, -0.25], [1.1, 0.25], (20, 2))
    g, grad, hess = w.evaluate(x, 2)
    h = 1e-6
    # Central differences: each evaluation is within (fan-ins + 4) eps of the size of its terms, so the
    # rounding part is 2 (fan-ins + 4) eps |terms| / (2 h); the truncation part, h^2/6 times the third
    # derivative (< 40 on this box), is < 1e-11 and covered by the factor 2.
    rounding = network_rounding.eps_factor(w) / h
    atol_grad = 2 * rounding * np.max(network_rounding.value_terms(w, x))
    atol_hess = 2 * rounding * np.max(network_rounding.gradient_terms(w, x))
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        gp, gradp = w.evaluate(x + e, 1)
        gm, gradm = w.evaluate(x - e, 1)
        np.testing.assert_allclose((gp - gm) / (2 * h), grad[:, k], rtol=0, atol=atol_grad)
        np.testing.assert_allclose((gradp - gradm) / (2 * h), hess[:, :, k], rtol=0, atol=atol_hess)


def test_idnn_json_errors_name_the_key(tmp_path, published_idnn_dir):
    doc = load_mechanochem(published_idnn_dir).to_json()
    doc["layers"][1]["activation"] = "relu6"
    p = tmp_path / "w.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match=r"layers\[1\].activation"):
        idnn_weights.load(p)
