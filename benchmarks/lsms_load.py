"""Loading a set of large LSMS cells with symmetry de-duplication: one JSON line.

* ``lsms_load_seconds_1024_sites``: wall seconds of ``load_dataset`` (``source: lsms_raw``, the
  default file pattern, ``deduplicate: symmetry``) on 1,000 LSMS output files ``output_<id>`` of a
  1,024-site BCC cell (8 x 8 x 8 conventional cells, Im-3m: 49,152 symmetry operations), written
  beforehand in the LSMS layout from the built-in labeler (not timed): 950 random configurations
  (B count uniform in 0..1,024) and 50 symmetry images of them, so at most 950 stay (949: two of the
  random ones are images too, e.g. both with one B atom).  Parsing, lattice and space group, site matching,
  the 49,152 permutations and the de-duplication are timed; one process, one BLAS thread.
  ``--quick``: 100 files (95 + 5).  Goal <= 60 s on one core.  Baseline: the loader before issue 23,
  which spent over 15 minutes in the symmetry permutations alone (a dense 1,024 x 1,024 distance
  matrix per operation; the issue's report), 900 s; ratio = baseline / value.  The note gives the
  process CPU seconds (wall seconds depend on the machine's load).

Run: .venv/bin/python benchmarks/lsms_load.py [--quick]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

OLD_LOADER_S = 900.0  # > 15 min in symmetry_permutations alone (issue 23)


def write_set(folder: Path, n_files: int) -> None:
    from pf_app.surrogate.labelers import LatticeLabeler
    from pf_app.surrogate.lsms import write_lsms_files
    from pf_app.surrogate.structures import bcc_supercell, symmetry_permutations

    lattice = bcc_supercell(2.87, (8, 8, 8))
    labeler = LatticeLabeler.load()
    rng = np.random.default_rng(0)
    n_images = n_files // 20
    numbers = labeler.random_configurations(lattice, n_files - n_images, rng)
    perms = symmetry_permutations(lattice)
    images = numbers[rng.integers(0, len(numbers), n_images)]
    images = np.take_along_axis(images, perms[rng.integers(0, len(perms), n_images)], axis=1)
    all_numbers = np.concatenate([numbers, images])
    for start in range(0, n_files, 100):  # 100 configurations at a time
        stop = min(start + 100, n_files)
        write_lsms_files(labeler.label(lattice, all_numbers[start:stop], config_id=np.arange(start, stop)), folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 files instead of 1,000")
    args = parser.parse_args()
    n_files = 100 if args.quick else 1000
    from pf_app.surrogate import structures
    from pf_app.surrogate.config import DatasetConfig
    from pf_app.surrogate.sources import load_dataset

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "lsms_bcc_1024"
        write_set(folder, n_files)
        structures._PERMUTATIONS.clear()  # time the permutations too, not the writer's copy
        cfg = DatasetConfig(source="lsms_raw", path=folder, deduplicate="symmetry", max_per_composition=10 ** 6)
        t0, c0 = time.perf_counter(), time.process_time()
        data, summary = load_dataset(cfg, seed=0, progress=True)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert summary["unique"] <= n_files - n_files // 20, summary  # the images go (and any chance repeat)
    print(json.dumps({"name": "lsms_load_seconds_1024_sites", "value": round(wall, 2), "unit": "s",
                      "baseline": OLD_LOADER_S, "ratio": round(OLD_LOADER_S / wall, 1),
                      "note": f"{n_files} files, {summary['unique']} distinct; process CPU {cpu:.1f} s; "
                              f"load {os.getloadavg()[0]:.1f}"}), flush=True)


if __name__ == "__main__":
    main()
