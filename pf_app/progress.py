"""Progress lines with rate and ETA for long runs."""

from __future__ import annotations

import sys
import time


class Progress:
    """A log line every ``every_s`` seconds: done/total, rate and ETA (for runs without a TTY bar).

    ``update(done, **extra)`` prints ``label: done/total (pct) rate/s ETA ... | key=value ...``.
    """

    def __init__(self, label: str, total: float, *, unit: str = "it", every_s: float = 10.0,
                 stream=None, enabled: bool = True):
        self.label, self.total, self.unit, self.every_s = label, total, unit, every_s
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.t0 = self.last = time.perf_counter()
        self.done0 = None

    def update(self, done: float, force: bool = False, **extra) -> None:
        now = time.perf_counter()
        if self.done0 is None:
            self.done0 = done
        if not self.enabled or (not force and now - self.last < self.every_s):
            return
        self.last = now
        elapsed = now - self.t0
        rate = (done - self.done0) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else float("inf")
        pct = 100.0 * done / self.total if self.total else 0.0
        tail = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in extra.items())
        print(f"{self.label}: {done:.6g}/{self.total:.6g} ({pct:.1f}%) {rate:.3g} {self.unit}/s "
              f"ETA {_fmt_seconds(eta)}" + (f" | {tail}" if tail else ""), file=self.stream, flush=True)


def _fmt_seconds(s: float) -> str:
    if s == float("inf"):
        return "?"
    s = int(s)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"
