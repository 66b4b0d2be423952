"""Progress lines (pf_app.progress, drawn by tqdm): plain lines in logs, rank 0 only, a final line with the totals."""

from __future__ import annotations

import io

import pytest

from pf_app.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _loop(stream, n=5, every_s=0.0, **kwargs):
    bar = Progress("folds", n, unit="fold", every_s=every_s, stream=stream, initial=0, **kwargs)
    for i in range(1, n + 1):
        bar.update(i, loss=0.5 / i)
    bar.close()
    return stream.getvalue() if hasattr(stream, "getvalue") else None


@pytest.fixture(autouse=True)
def _rank_zero(monkeypatch):
    for name in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)


def test_log_lines_without_a_tty_are_whole_lines_ending_with_the_totals():
    out = _loop(io.StringIO(), every_s=0.0)
    assert "\r" not in out
    lines = out.splitlines()
    assert len(lines) == 6  # one per update (every_s = 0) and the final line
    assert lines[0].startswith("folds: 1/5 (20.0%)") and "fold/s ETA" in lines[0] and "loss=0.5" in lines[0]
    assert lines[-1].startswith("folds: 5/5 (100.0%)") and lines[-1].endswith("in total | loss=0.1")


def test_log_lines_are_throttled_to_every_s_but_the_final_line_is_always_written():
    out = _loop(io.StringIO(), every_s=1e6)
    assert out.splitlines() == [out.strip()] and out.startswith("folds: 5/5 (100.0%)") and "in total" in out


def test_forced_update_prints_now_and_the_callers_eta_replaces_the_rate_estimate():
    stream = io.StringIO()
    bar = Progress("pf", 10.0, unit="time", every_s=1e6, stream=stream)
    bar.update(0.0)  # baseline: nothing to report yet
    assert stream.getvalue() == ""
    bar.update(2.5, force=True, eta_s=3725.0, dt=0.125)
    line = stream.getvalue()
    assert line.startswith("pf: 2.5/10 (25.0%) ") and line.endswith(" time/s ETA 1:02:05 | dt=0.125\n")


def test_terminal_bar_ends_with_the_final_line_and_a_newline():
    out = _loop(_Terminal(), every_s=0.0)
    assert out.endswith("\n") and out.rstrip("\n").rsplit("\r", 1)[-1].startswith("folds: 5/5 (100.0%)")


@pytest.mark.parametrize("variable", ["PMI_RANK", "OMPI_COMM_WORLD_RANK"])
def test_ranks_other_than_zero_print_nothing(monkeypatch, variable):
    monkeypatch.setenv(variable, "1")
    assert _loop(io.StringIO()) == ""
    monkeypatch.setenv(variable, "0")
    assert _loop(io.StringIO()) != ""


def test_disabled_progress_prints_nothing():
    assert _loop(io.StringIO(), enabled=False) == ""


def test_surrogate_epoch_lines_end_with_the_last_epoch_reached():
    """Keras callback: throttled epoch lines, then (early stop at epoch 3 of 200) a final line at 3/200."""
    from pf_app.surrogate.model import _ProgressCallback

    stream = io.StringIO()
    callback = _ProgressCallback(Progress("fold 0 E", 200, unit="epoch", every_s=1e6, stream=stream, initial=0))
    for epoch in range(3):
        callback.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0 / (epoch + 1)})
    assert stream.getvalue() == ""  # within every_s: no line yet
    callback.on_train_end()
    assert stream.getvalue().startswith("fold 0 E: 3/200 (1.5%) ")
    assert stream.getvalue().endswith("in total | loss=0.3333 val_loss=0.6667\n")
