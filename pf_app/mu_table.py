"""Chemical-potential tables: the file between Monte Carlo and free-energy fitting.

Format ``pf_app.mu_table`` version 2 (documented in ``docs/formats.md``), as CSV or HDF5:

* metadata: ``format = pf_app.mu_table``, ``version = 2``, ``order_parameters`` (e.g. ``c, eta``),
  ``energy_unit`` (e.g. ``eV`` or ``V_NN``), ``per_site = true`` (mu are derivatives of the free
  energy *per site*), ``convention`` (free text: pair-energy counting, order-parameter definition),
  ``provenance`` (free text).  In CSV each is a leading line ``# key: value``; in HDF5 an attribute.
* columns (one row per data point): ``kT`` (the thermal energy k_B T, in the table's energy unit),
  one column per order parameter, ``mu_<name>`` per order parameter (required), ``se_mu_<name>``
  (standard error, optional), ``flag_<name>`` integer flags (optional, e.g. ``flag_split`` = 1 when
  the MC box split into domains), and any other numeric columns (kappa, phi, samples, point id...).

Version 1 (``format = pf_app.mutable``, ``version = 1``) is version 2 with the kT column named ``T``;
it is read as version 2 (``T`` -> ``kT``).  A file without ``format``/``version`` metadata (a table
written by hand) is read as version 1.  Any other format name or version is refused.  Writers write
version 2; rows appended to an existing version-1 CSV keep its column names.

For the B2 convention (order parameters ``c, eta``) a row must lie in the physical domain
0 <= c <= sqrt2, |eta| <= min(c, sqrt2 - c).  Rows with NaN or outside the domain are an error that
names the file, the column and the row, unless ``drop_invalid=True``, which drops them and reports
how many.
"""

from __future__ import annotations

import csv
import io
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pf_app.config import ConfigError
from pf_app.atomic_files import atomic_path

FORMAT, VERSION = "pf_app.mu_table", 2
KT = "kT"  # the column of thermal energies k_B T (energy unit of the table)
# format name -> the versions this reader understands
READABLE = {"pf_app.mu_table": (2,), "pf_app.mutable": (1,)}
V1_KT = "T"  # version 1's name of the kT column
SQRT2 = math.sqrt(2.0)
_DOMAIN_TOL = 1e-9


@dataclass
class MuTable:
    """Columns as float arrays of equal length, plus metadata."""

    order_parameters: tuple[str, ...]
    columns: dict[str, np.ndarray]
    meta: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.order_parameters = tuple(self.order_parameters)
        self.columns = {k: np.asarray(v, dtype=float) for k, v in self.columns.items()}

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def x(self) -> np.ndarray:
        """Order parameters, shape (rows, n_order_parameters)."""
        return np.column_stack([self.columns[n] for n in self.order_parameters])

    @property
    def mu(self) -> np.ndarray:
        """Chemical potentials d g / d x_k, shape (rows, n_order_parameters)."""
        return np.column_stack([self.columns[f"mu_{n}"] for n in self.order_parameters])

    def se(self) -> np.ndarray | None:
        """Standard errors of mu, or None if the table has none."""
        names = [f"se_mu_{n}" for n in self.order_parameters]
        if not all(n in self.columns for n in names):
            return None
        return np.column_stack([self.columns[n] for n in names])

    def select(self, mask: np.ndarray) -> "MuTable":
        return MuTable(self.order_parameters, {k: v[mask] for k, v in self.columns.items()}, dict(self.meta))

    def required_columns(self) -> list[str]:
        return [KT, *self.order_parameters, *(f"mu_{n}" for n in self.order_parameters)]


def physical_mask(c: np.ndarray, eta: np.ndarray, tol: float = _DOMAIN_TOL) -> np.ndarray:
    """True where (c, eta) is in the B2 physical domain |eta| <= min(c, sqrt2 - c)."""
    return (c >= -tol) & (c <= SQRT2 + tol) & (np.abs(eta) <= np.minimum(c, SQRT2 - c) + tol)


def validate(table: MuTable, file: str | Path, drop_invalid: bool = False) -> MuTable:
    """Check columns, NaN and the physical domain; return the table (rows dropped on request)."""
    for name in table.required_columns():
        if name not in table.columns:
            raise ConfigError(file, name, f"a column {name!r} (required: {', '.join(table.required_columns())})",
                              "missing column")
    bad = np.zeros(len(table), bool)
    reasons = []
    for name in table.required_columns():
        nan = ~np.isfinite(table.columns[name])
        if nan.any():
            reasons.append((name, int(np.argmax(nan)), "a finite number", table.columns[name][np.argmax(nan)]))
        bad |= nan
    if table.order_parameters[:2] == ("c", "eta"):
        c, eta = table.columns["c"], table.columns["eta"]
        outside = ~physical_mask(c, eta) & ~bad
        if outside.any():
            i = int(np.argmax(outside))
            reasons.append(("eta", i, "|eta| <= min(c, sqrt2 - c) with 0 <= c <= sqrt2", (c[i], eta[i])))
        bad |= outside
    if not bad.any():
        return table
    if not drop_invalid:
        name, row, expected, got = reasons[0]
        raise ConfigError(file, f"{name}[row {row}]",
                          f"{expected} ({int(bad.sum())} invalid rows; pass drop_invalid to drop them)", got)
    warnings.warn(f"{file}: dropped {int(bad.sum())} of {len(table)} rows (NaN or outside the physical domain)",
                  stacklevel=2)
    return table.select(~bad)


def read(path: str | Path, drop_invalid: bool = False) -> MuTable:
    """Read a CSV (``.csv``) or HDF5 (``.h5``/``.hdf5``) chemical-potential table and validate it."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(path, "<file>", "an existing chemical-potential table (.csv or .h5)", str(path))
    table = _read_h5(path) if path.suffix in (".h5", ".hdf5") else _read_csv(path)
    return validate(_as_current_version(table, path), path, drop_invalid)


def file_version(meta: dict[str, str], file: str | Path) -> int:
    """The format version a file's metadata declares (1 when it has none); refuses unknown formats/versions."""
    name = meta.get("format")
    if name is None and "version" not in meta:
        return 1
    if name not in READABLE:
        raise ConfigError(file, "format", f"one of {', '.join(READABLE)}", name)
    try:
        version = int(str(meta.get("version", "1")).strip())
    except ValueError:
        version = None
    if version not in READABLE[name]:
        raise ConfigError(file, "version", f"{' or '.join(map(str, READABLE[name]))} for format {name}",
                          meta.get("version"))
    return version


def _as_current_version(table: MuTable, file: Path) -> MuTable:
    """The table as version 2: a version-1 kT column ``T`` becomes ``kT``; metadata names the current format."""
    if file_version(table.meta, file) == 1 and V1_KT in table.columns and KT not in table.columns:
        table.columns = {(KT if k == V1_KT else k): v for k, v in table.columns.items()}
    table.meta.update({"format": FORMAT, "version": str(VERSION)})
    return table


def write(table: MuTable, path: str | Path) -> None:
    """Write atomically; the format follows the suffix (.csv or .h5/.hdf5)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix in (".h5", ".hdf5"):
            _write_h5(table, tmp)
        else:
            tmp.write_text(_csv_header(table) + _csv_rows(table, list(table.columns)))


def append_csv(path: str | Path, table: MuTable) -> None:
    """Append rows to a CSV table (creating it with its header), flushed to disk for safe resume.

    The column order of an existing file wins; a row missing one of its columns is an error.
    """
    path = Path(path)
    if not path.exists():
        write(table, path)
        return
    existing = _csv_column_names(path)
    if file_version(_parse_meta(_csv_comment_lines(path)), path) == 1 and V1_KT in existing and KT in table.columns:
        table = MuTable(table.order_parameters, {(V1_KT if k == KT else k): v for k, v in table.columns.items()})
    missing = [c for c in existing if c not in table.columns]
    if missing:
        raise ConfigError(path, missing[0], "the same columns as the existing table", "missing column")
    with open(path, "a") as fh:
        fh.write(_csv_rows(table, existing))
        fh.flush()
        os.fsync(fh.fileno())


def _csv_header(table: MuTable) -> str:
    meta = {"format": FORMAT, "version": str(VERSION), "order_parameters": ", ".join(table.order_parameters)}
    meta.update({k: v for k, v in table.meta.items() if k not in meta})
    lines = [f"# {k}: {str(v).replace(chr(10), ' ')}" for k, v in meta.items()]
    return "\n".join(lines) + "\n" + ",".join(table.columns) + "\n"


def _csv_rows(table: MuTable, names: list[str]) -> str:
    buf = io.StringIO()
    cols = [table.columns[n] for n in names]
    for row in zip(*cols):
        buf.write(",".join(_fmt(n, v) for n, v in zip(names, row)) + "\n")
    return buf.getvalue()


def _fmt(name: str, v: float) -> str:
    if name.startswith("flag_") and np.isfinite(v):
        return str(int(v))
    return repr(float(v))


def _parse_meta(lines: list[str]) -> dict[str, str]:
    meta = {}
    for line in lines:
        key, _, value = line.lstrip("#").strip().partition(":")
        meta[key.strip()] = value.strip()
    return meta


def _csv_comment_lines(path: Path) -> list[str]:
    """The leading ``# key: value`` lines."""
    lines = []
    with open(path) as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            lines.append(line)
    return lines


def _csv_column_names(path: Path) -> list[str]:
    with open(path) as fh:
        for line in fh:
            if not line.startswith("#"):
                return [c.strip() for c in line.strip().split(",")]
    return []


def _read_csv(path: Path) -> MuTable:
    text = path.read_text().splitlines()
    comments = [l for l in text if l.startswith("#")]
    body = [l for l in text if l.strip() and not l.startswith("#")]
    meta = _parse_meta(comments)
    if not body:
        raise ConfigError(path, "<header>", "a CSV header line with column names", "empty file")
    reader = csv.reader(body)
    names = [n.strip() for n in next(reader)]
    rows = list(reader)
    cols: dict[str, list[float]] = {n: [] for n in names}
    for i, row in enumerate(rows):
        if len(row) != len(names):
            raise ConfigError(path, f"row {i}", f"{len(names)} comma-separated values", len(row))
        for n, v in zip(names, row):
            try:
                cols[n].append(float(v) if v.strip() else math.nan)
            except ValueError:
                raise ConfigError(path, f"{n}[row {i}]", "a number", v) from None
    return MuTable(_order_parameters(meta, names, path), cols, meta)


def _order_parameters(meta: dict, names: list[str], path) -> tuple[str, ...]:
    if "order_parameters" in meta:
        return tuple(s.strip() for s in str(meta["order_parameters"]).split(",") if s.strip())
    ops = tuple(n[3:] for n in names if n.startswith("mu_"))
    if not ops:
        raise ConfigError(path, "order_parameters", "metadata 'order_parameters' or columns named mu_<name>",
                          "neither")
    return ops


def _write_h5(table: MuTable, path: Path) -> None:
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs.update({"format": FORMAT, "version": VERSION, "order_parameters": ", ".join(table.order_parameters)})
        f.attrs.update({k: str(v) for k, v in table.meta.items() if k not in ("format", "version", "order_parameters")})
        f.attrs["column_order"] = ", ".join(table.columns)
        for k, v in table.columns.items():
            f.create_dataset(k, data=v)


def _read_h5(path: Path) -> MuTable:
    import h5py

    with h5py.File(path, "r") as f:
        meta = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in f.attrs.items()}
        order = [s.strip() for s in meta.pop("column_order", "").split(",") if s.strip()] or list(f.keys())
        cols = {k: np.asarray(f[k][()], float) for k in order}
    return MuTable(_order_parameters(meta, list(cols), path), cols, meta)
