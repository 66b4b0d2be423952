"""The ``surrogate`` YAML file as typed dataclasses (see ``inputs/surrogate_cuau.yaml``).

Units: energies are eV per cell inside, reported in meV per cell; charges in electrons per site;
moments in mu_B per site.  Learning rates are Adam step sizes on standardized targets.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

from pf_app.config import bounded, load

TASKS = "ECM"
#: Training methods: single-task E, C, M and every multitask combination.
ALL_METHODS = ("E", "C", "M", "EC", "EM", "CM", "ECM")


@dataclasses.dataclass(frozen=True)
class LatticeConfig:
    """A lattice for labeler data: ``fcc`` n x n x n, ``bcc`` (BCT when ``c_angstrom`` differs; cells
    x fastest), or the cells of the LSMS sets, in their files' site order: ``lsms_cuau`` (FCC
    2 x 2 x 2) and ``lsms_fept`` (BCT 4a x 2a x 2c, c/a = 1.353, two blocks of 2 x 2 x 2 cells);
    the lengths and repeats are then those of the data and the keys below are ignored."""

    kind: Literal["fcc", "bcc", "lsms_cuau", "lsms_fept"] = "lsms_cuau"
    a_angstrom: float = bounded(3.83, gt=0)
    c_angstrom: float | None = None
    repeats: tuple[int, int, int] = (2, 2, 2)


@dataclasses.dataclass(frozen=True)
class LabelerConfig:
    """Demo data from the built-in labeler (``data.source: labeler``)."""

    parameters: Path | None = None  # default: the shipped CuAu fit
    species: tuple[int, int] | None = None  # relabel (A, B), e.g. [26, 78] for FePt
    moment_coefficients_muB: tuple[tuple[float, ...], tuple[float, ...]] | None = None  # illustrative
    n_configurations: int = bounded(5000, ge=10)
    lattice: LatticeConfig = dataclasses.field(default_factory=LatticeConfig)


@dataclasses.dataclass(frozen=True)
class DatasetConfig:
    """The ``data`` section: where the configurations come from and which of them are used."""

    source: Literal["lsms_npz", "lsms_raw", "extxyz", "labeler"] = "lsms_npz"
    path: Path | None = None
    pattern: str = "out*_*"  # lsms_raw: the file names read (a glob): out_<id> and output_<id>
    max_per_composition: int = bounded(1000, ge=1)
    # exact: identical site vectors; symmetry: also images under the lattice's space group
    deduplicate: Literal["none", "exact", "symmetry"] = "symmetry"
    labeler: LabelerConfig = dataclasses.field(default_factory=LabelerConfig)

    def check(self, fail):
        if self.source != "labeler" and self.path is None:
            fail("path", f"a file path for source {self.source!r}", None)


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
    """Shared trunk ``hidden`` widths, then one task-specific hidden layer per task whose widths
    split ``task_width`` evenly among the tasks trained together (as in the seed).

    ``kind``: ``fixed_cell`` (the seed's network: the one-hot species of every site of the data set's
    cell in, E per cell and C, M per site out) or ``local`` (the local-environment network: the same
    trunk and heads applied to every site's periodic neighbourhood, :mod:`.local_environment`, with
    ``shells`` neighbour shells and the pair-class features of the first ``pair_shells`` of them;
    E = the sum of site energies, C and M per site; any cell size)."""

    kind: Literal["fixed_cell", "local"] = "fixed_cell"
    hidden: tuple[int, ...] = (512, 512)
    task_width: int = bounded(512, ge=1)
    activation: str = "gelu"
    alpha: dict[str, float] = dataclasses.field(default_factory=lambda: {"E": 1.0, "C": 1.0, "M": 1.0})
    shells: int = bounded(4, ge=1)  # local: neighbour shells of a site's environment
    pair_shells: int = bounded(0, ge=0)  # local: 0 = counts per shell only (what Monte Carlo tabulates)

    def check(self, fail):
        if any(w < 1 for w in self.hidden):
            fail("hidden", "positive layer widths", list(self.hidden))
        if self.pair_shells > self.shells:
            fail("pair_shells", f"at most shells ({self.shells})", self.pair_shells)
        if set(self.alpha) - set(TASKS) or any(a < 0 for a in self.alpha.values()):
            fail("alpha", "non-negative weights for keys among E, C, M", self.alpha)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Default: the fast recipe (Adam 2e-3 with cosine decay, batch 256, random lattice-symmetry
    augmentation each batch).  The seed's recipe (ReLU, constant Adam 1e-4, batch 64, no
    augmentation) is spelled out in ``inputs/surrogate_cuau_seed_recipe.yaml``.  ``target_val_loss``:
    stop as soon as the validation loss (alpha-weighted MSE of the standardized targets) reaches it,
    e.g. the best validation loss another recipe reached on the same split (time to an accuracy)."""

    learning_rate: float = bounded(2e-3, gt=0)
    schedule: Literal["cosine", "constant"] = "cosine"
    batch_size: int = bounded(256, ge=1)
    epochs: int = bounded(150, ge=1)
    patience: int = bounded(30, ge=1)  # early stopping on the validation loss
    augment: bool = True  # apply a random space-group permutation of the sites to each sample
    threads: int = bounded(1, ge=1)  # TensorFlow intra-op threads per training process
    seed: int = 0
    target_val_loss: float | None = None

    def check(self, fail):
        if self.target_val_loss is not None and not self.target_val_loss > 0:
            fail("target_val_loss", "a number > 0 (or null: train all epochs)", self.target_val_loss)


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """The seed's constructive search: add one hidden layer at a time; for that layer only, try
    ``trials`` random (width, activation) pairs, width a multiple of ``width_step`` up to
    ``max_width``; keep the best width-penalized validation loss ``val_loss + penalty * sum(widths)``;
    stop when it falls below ``threshold`` or at ``max_layers``."""

    enabled: bool = False
    max_layers: int = bounded(4, ge=1)
    trials: int = bounded(4, ge=1)
    width_step: int = bounded(50, ge=1)
    max_width: int = bounded(500, ge=1)
    activations: tuple[str, ...] = ("relu", "gelu", "tanh")
    penalty: float = bounded(1e-6, ge=0)
    threshold: float = bounded(1e-3, ge=0)
    epochs: int = bounded(30, ge=1)
    methods: str = "ECM"


@dataclasses.dataclass(frozen=True)
class CVConfig:
    k: int = bounded(5, ge=2)
    workers: int = bounded(2, ge=1)
    executor: Literal["process", "mpi"] = "process"
    folds: tuple[int, ...] | None = None  # run only these fold indices (default: all k; []: none)
    validation_fraction: float = bounded(0.1, gt=0, lt=1)


@dataclasses.dataclass(frozen=True)
class OutputConfig:
    directory: Path = Path("results/surrogate")
    final_models: bool = True  # train and save one model per method on the 81/9/10 split (Keras)
    write_extxyz: bool = False  # the selected data set, for reuse with other codes


@dataclasses.dataclass(frozen=True)
class SurrogateConfig:
    data: DatasetConfig = dataclasses.field(default_factory=DatasetConfig)
    methods: tuple[str, ...] = ALL_METHODS
    model: NetworkConfig = dataclasses.field(default_factory=NetworkConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    search: SearchConfig = dataclasses.field(default_factory=SearchConfig)
    cv: CVConfig = dataclasses.field(default_factory=CVConfig)
    output: OutputConfig = dataclasses.field(default_factory=OutputConfig)
    seed: int = 0  # selection and splits

    def check(self, fail):
        for i, m in enumerate(self.methods):
            if not m or any(t not in TASKS for t in m) or len(set(m)) != len(m):
                fail(f"methods[{i}]", "a combination of the letters E, C, M such as 'EC'", m)
        if self.cv.folds == () and not self.output.final_models:
            fail("cv.folds", "at least one fold, or output.final_models: true (otherwise nothing is trained)", [])


def load_config(path: str | Path, overrides: dict | None = None) -> SurrogateConfig:
    return load(SurrogateConfig, path, overrides)
