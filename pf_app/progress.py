"""Progress lines with rate and ETA for long runs, drawn by tqdm.

* On a terminal: a tqdm bar redrawn in place (at most every ``min(every_s, 0.5)`` seconds).
* Without a TTY (CI logs, batch jobs, redirected stderr): one plain line every ``every_s`` seconds
  (tqdm's ``mininterval``), never a carriage return::

      mc: 12/40 (30.0%) 0.25 points/s ETA 01:52 | T=0.5 c=0.71

* Under mpirun only rank 0 prints (the launcher's rank variable, else ``mpi4py`` when loaded).
* ``close()`` prints a last line with the true totals: what was done, the mean rate and the wall time.

The rate is the mean since the start (``initial``, or the first ``update`` when not given), not a
moving average, so it is honest for a run whose cost per unit is steady; a caller that knows better
(an adaptive time step) passes its own ``eta_s``.
"""

from __future__ import annotations

import os
import sys

from tqdm import tqdm

_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")  # MPICH/Hydra, Open MPI, PMIx launchers
_TERMINAL_REDRAW_S = 0.5  # a terminal bar need not be redrawn more often than this
_LINE = "{desc}: {n_text}/{total_text} ({pct_text}) {rate_text} ETA {eta_text}{extra_text}"
_BAR = "{desc}: {pct_text}|{bar}| {n_text}/{total_text} [{elapsed}<{eta_text}, {rate_text}]{extra_text}"
_FINAL = "{desc}: {n_text}/{total_text} ({pct_text}) {rate_text}, {elapsed} in total{extra_text}"


def process_rank() -> int:
    """This process's MPI rank: from the launcher's environment, else mpi4py's if loaded, else 0."""
    for name in _RANK_VARS:
        if name in os.environ:
            return int(os.environ[name])
    mpi = sys.modules.get("mpi4py.MPI")
    return mpi.COMM_WORLD.Get_rank() if mpi is not None else 0


class _Bar(tqdm):
    """tqdm with our fields (``n_text``, ``eta_text``, ...) and, without a TTY, whole lines."""

    monitor_interval = 0  # no monitor thread: its timed refreshes would break the every_s schedule

    def __init__(self, owner: Progress, **kwargs):
        self.owner = owner
        super().__init__(**kwargs)

    @property
    def format_dict(self):
        d = super().format_dict
        d.update(self.owner._fields(d["n"], d["initial"], d["elapsed"]))
        return d

    def display(self, msg=None, pos=None):
        if self.owner.terminal:
            return super().display(msg, pos)
        if msg is not None:  # tqdm clearing its line: nothing to clear in a log
            return False
        self.fp.write(self.__str__() + "\n")
        self.fp.flush()
        return True


class Progress:
    """A progress bar (terminal) or a log line every ``every_s`` seconds: done/total, rate and ETA.

    ``update(done, force=False, eta_s=None, **extra)`` reports the absolute progress ``done`` (in
    ``unit``, of ``total``); ``extra`` values are shown as ``key=value``; ``eta_s`` replaces the
    estimate from the mean rate; ``force`` prints now. ``close()`` (or leaving a ``with`` block)
    prints the final line.
    """

    def __init__(self, label: str, total: float, *, unit: str = "it", every_s: float = 10.0,
                 stream=None, enabled: bool = True, initial: float | None = None):
        self.label, self.total, self.unit, self.every_s = label, total, unit, every_s
        self.stream = stream or sys.stderr
        self.enabled = enabled and process_rank() == 0
        self.terminal = bool(getattr(self.stream, "isatty", lambda: False)())
        self._baseline_pending = initial is None
        self._eta_s: float | None = None
        self._extra: dict = {}
        self._final = False
        self._bar = _Bar(self, desc=label, total=total, initial=initial or 0, unit=unit, file=self.stream,
                         disable=not self.enabled, leave=self.terminal, miniters=0, smoothing=0,
                         mininterval=min(every_s, _TERMINAL_REDRAW_S) if self.terminal else every_s,
                         delay=1e-9,  # nothing printed at construction (no "0/N ETA ?" line)
                         bar_format=_BAR if self.terminal else _LINE)

    def update(self, done: float, force: bool = False, eta_s: float | None = None, **extra) -> None:
        if not self.enabled or self._final:
            return
        bar = self._bar
        if self._baseline_pending:  # the rate counts from the first reported value
            self._baseline_pending = False
            bar.initial = bar.n = bar.last_print_n = done
        self._eta_s, self._extra = eta_s, extra
        if not bar.update(done - bar.n) and force:
            bar.refresh()
            bar.last_print_n, bar.last_print_t = bar.n, bar._time()

    def close(self) -> None:
        """Print the final line (true totals, mean rate, wall time) once; later updates are ignored."""
        if not self.enabled or self._final:
            return
        self._final = True
        self._eta_s = None
        bar = self._bar
        bar.bar_format = _FINAL
        bar.refresh()
        bar.last_print_t = bar._time()
        bar.close()  # on a terminal tqdm redraws the final line and ends it; in a log it adds nothing

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _fields(self, n: float, initial: float, elapsed_s: float) -> dict:
        """The numbers of one line: progress, percentage, mean rate, ETA and the caller's extras."""
        done = n - initial
        rate = done / elapsed_s if elapsed_s > 0 else 0.0
        eta_s = self._eta_s if self._eta_s is not None else (
            (self.total - n) / rate if rate > 0 else None)
        extra = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in self._extra.items())
        return {"n_text": f"{n:.6g}", "total_text": f"{self.total:.6g}",
                "pct_text": f"{100.0 * n / self.total:.1f}%" if self.total else "?%",
                "rate_text": f"{rate:.3g} {self.unit}/s",
                "eta_text": tqdm.format_interval(max(eta_s, 0.0)) if eta_s is not None else "?",
                "extra_text": f" | {extra}" if extra else ""}
