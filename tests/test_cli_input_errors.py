"""Bad input ends a command with one line ``error: <file>: <key>: expected ..., got ...``, exit status 2,
no traceback and no half-made output folder (issue 10, item 2)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pf_app.cli import main
from pf_app.config import ConfigError
from pf_app.idnn.mechanochem import load_mechanochem


def _one_error_line(stderr: str, file, key: str, fragment: str, tensorflow_log: bool = False) -> str:
    lines = stderr.strip().splitlines()
    if tensorflow_log:  # TensorFlow's import prints its own start-up lines (absl, oneDNN) before ours
        lines = [line for line in lines if line.startswith("error:")] if lines[-1].startswith("error:") else lines
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith(f"error: {file}: {key}: expected") and fragment in lines[0], lines[0]
    return lines[0]


def test_config_error_raised_without_a_file_names_the_commands_config(tmp_path):
    """Trainer checks hold only the parsed config; the CLI names the YAML file the key came from."""
    table = tmp_path / "mu.csv"
    subprocess.run([sys.executable, "-m", "pf_app.idnn.synthetic", str(table), "--points", "200"], check=True)
    out_dir = tmp_path / "out"
    cfg = tmp_path / "train.yaml"
    cfg.write_text(f"data: {{path: {table}}}\nmodel: {{features: ['c', 'eta^2 + q']}}\n"
                   f"output: {{directory: {out_dir}, name: t}}\n")
    out = subprocess.run([sys.executable, "-m", "pf_app", "train", str(cfg), "--quiet"], capture_output=True, text=True)
    assert out.returncode == 2
    _one_error_line(out.stderr, cfg, "model.features[1]", "unknown name 'q'", tensorflow_log=True)
    assert not out_dir.exists()
    assert str(ConfigError(None, "k", "x").in_file("a.yaml")) == "a.yaml: k: expected x"
    assert str(ConfigError("b.yaml", "k", "x").in_file("a.yaml")) == "b.yaml: k: expected x"


# ---- mechanoChemIGA weights folders -----------------------------------------------------------------

def _write_net(folder, files: dict[str, str] | None = None):
    """A valid 2 -> 3 -> 1 network in mechanoChemIGA's text format, with ``files`` replaced."""
    folder.mkdir(exist_ok=True)
    good = {"weights_0.txt": "# 2 3\n0.1 0.2 0.3\n0.4 0.5 0.6\n", "bias_0.txt": "# 3\n0.0\n0.1\n0.2\n",
            "weights_1.txt": "# 3 1\n1.0\n-1.0\n0.5\n"}
    good.update(files or {})
    for name, text in good.items():
        if text is not None:
            (folder / name).write_text(text)
    return folder


def test_mechanochem_weights_folder_loads_a_valid_network(tmp_path):
    w = load_mechanochem(_write_net(tmp_path / "net"))
    assert [l.weights.shape for l in w.layers] == [(2, 3), (3, 1)] and w.layers[1].bias is None
    np.testing.assert_array_equal(w.layers[0].bias, [0.0, 0.1, 0.2])


MALFORMED = [  # (files replaced (None: removed), file named, key, fragment of the expectation)
    ({"bias_0.txt": None}, "bias_0.txt", "<file>", "an existing mechanoChemIGA file (layer 0 bias)"),
    ({"weights_1.txt": "# 3 2\n1 2\n3 4\n5 6\n"}, "weights_1.txt", "line 1", "'# 3 1'"),
    ({"weights_1.txt": "# 2 1\n1\n2\n"}, "weights_1.txt", "line 1", "'# 3 1'"),
    ({"weights_0.txt": "# 2 3\n0.1 0.2 x\n0.4 0.5 0.6\n"}, "weights_0.txt", "values", "numbers after the header"),
    ({"weights_0.txt": "# 2 3\n0.1 0.2\n0.4 0.5 0.6\n"}, "weights_0.txt", "values", "2 x 3 = 6 numbers"),
    ({"weights_0.txt": "0.1 0.2 0.3\n0.4 0.5 0.6\n"}, "weights_0.txt", "line 1", "a header '# rows cols'"),
    ({"bias_0.txt": "# 2\n0.0\n0.1\n"}, "bias_0.txt", "line 1", "'# 3' (one bias per unit"),
    ({"bias_0.txt": "# 3\n0.0\nnan\n0.1\n"}, "bias_0.txt", "values", "finite numbers"),
    ({"weights_2.txt": "# 1 1\n1.0\n", "weights_1.txt": None}, "weights_1.txt", "<file>", "without gaps"),
    ({"weights_x.txt": "# 1 1\n1.0\n"}, "weights_x.txt", "<file name>", "weights_<i>.txt"),
]


@pytest.mark.parametrize("files, named, key, fragment", MALFORMED, ids=[f"{m[1]}-{m[3][:12]}" for m in MALFORMED])
def test_malformed_mechanochem_weights_name_the_file(tmp_path, files, named, key, fragment):
    folder = _write_net(tmp_path / "net", files)
    with pytest.raises(ConfigError) as err:
        load_mechanochem(folder)
    assert str(err.value).startswith(f"{folder / named}: {key}: expected") and fragment in str(err.value)


def test_mechanochem_folder_missing_is_an_input_error(tmp_path):
    with pytest.raises(ConfigError, match="<folder>: expected a folder of mechanoChemIGA"):
        load_mechanochem(tmp_path / "nowhere")


# ---- phase-field runs ---------------------------------------------------------------------------------

def _case(tmp_path, body: str, free_energy: str = "{kind: formula, formula: 'c**2 + eta**2'}"):
    path = tmp_path / "case.yaml"
    path.write_text(f"mesh: {{cells: [4, 4]}}\nfree_energy: {free_energy}\n"
                    f"output: {{directory: {tmp_path / 'out'}, fields_every: 0}}\n{body}")
    return path


def _run_fails(path, capsys, *extra) -> str:
    assert main(["run", str(path), "--quiet", *extra]) == 2
    return capsys.readouterr().err


def test_run_with_a_malformed_mechanochem_folder_is_one_line_naming_the_file(tmp_path, capsys):
    folder = _write_net(tmp_path / "net", {"weights_1.txt": "# 3 2\n1 2\n3 4\n5 6\n"})
    path = _case(tmp_path, "", free_energy=f"{{kind: mechanochem, path: {folder}}}")
    _one_error_line(_run_fails(path, capsys), folder / "weights_1.txt", "line 1", "'# 3 1'")
    assert not (tmp_path / "out").exists()


def test_resume_without_a_checkpoint_leaves_no_folder(tmp_path, capsys):
    path = _case(tmp_path, "")
    _one_error_line(_run_fails(path, capsys, "--resume"), tmp_path / "out" / "checkpoint.npz", "<file>",
                    "a checkpoint to resume from")
    assert not (tmp_path / "out").exists()


FORMULAS = [  # (case lines, key, fragment)
    ("mobility: {kind: formula, formula_c: 'c*(1-', formula_eta: '1'}", "mobility.formula_c", "does not parse"),
    ("mobility: {kind: formula, formula_c: '1', formula_eta: 'L0*eta'}", "mobility.formula_eta", "unknown name 'L0'"),
    ("initial: {c: {kind: formula, formula: 'sin(q*x)'}}", "initial.c.formula", "unknown name 'q'"),
    ("initial: {eta: {kind: formula, formula: '0.1*z'}}", "initial.eta.formula", "unknown name 'z'"),  # 2D mesh
    ("initial: {eta: {kind: formula, formula: 'x +* y'}}", "initial.eta.formula", "does not parse"),
]


@pytest.mark.parametrize("body, key, fragment", FORMULAS, ids=[f[1] + "-" + f[2][:10] for f in FORMULAS])
def test_bad_mobility_or_initial_formula_is_one_line_naming_the_key(tmp_path, capsys, body, key, fragment):
    path = _case(tmp_path, body + "\n")
    _one_error_line(_run_fails(path, capsys), path, key, fragment)
    assert not (tmp_path / "out").exists()


def test_warnings_on_the_command_line_are_one_line_naming_the_category():
    import warnings

    from pf_app.cli import one_line_warning
    from pf_app.phasefield.initial import NonPeriodicInitialWarning

    text = one_line_warning("initial.c: the formula is not periodic along x", NonPeriodicInitialWarning,
                            "/some/library/file.py", 63, "warnings.warn(text)")
    assert text == "warning: initial.c: the formula is not periodic along x [NonPeriodicInitialWarning]\n"
    saved = warnings.formatwarning
    try:
        assert main(["info"]) == 0
        assert warnings.formatwarning is one_line_warning  # the CLI installs it for every command
    finally:
        warnings.formatwarning = saved
