"""Alloy configurations on one lattice, their targets, and the seed's data handling.

:class:`AlloyData` holds N configurations of a :class:`~.structures.Lattice` with M sites:
species per site and three targets -- total energy [eV per cell], charge transfer [electrons per
site] and magnetic moment [mu_B per site].  The functions below de-duplicate, select at most N
configurations per composition, split within each composition (train/validation/test 81/9/10 as the
seed) or into per-composition k folds, and standardize each quantity with an exact inverse.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pf_app.surrogate.structures import Lattice


@dataclasses.dataclass(frozen=True)
class AlloyData:
    """N configurations on ``lattice``: ``numbers`` (N, M) atomic numbers in the lattice site order,
    ``energy_eV`` (N,) total energy per cell, ``charge_e`` (N, M) charge transfer (electrons gained,
    e.g. LSMS ``qtotws - Z``), ``moment_muB`` (N, M) site moments, ``config_id`` (N,) source ids."""

    lattice: Lattice
    numbers: np.ndarray
    energy_eV: np.ndarray
    charge_e: np.ndarray
    moment_muB: np.ndarray
    config_id: np.ndarray

    def __post_init__(self):
        n, m = self.numbers.shape
        if m != self.lattice.n_sites:
            raise ValueError(f"{m} species per configuration but {self.lattice.n_sites} lattice sites")
        for name, shape in (("energy_eV", (n,)), ("charge_e", (n, m)), ("moment_muB", (n, m)),
                            ("config_id", (n,))):
            if np.shape(getattr(self, name)) != shape:
                raise ValueError(f"{name} has shape {np.shape(getattr(self, name))}, expected {shape}")

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def species(self) -> tuple[int, ...]:
        """Atomic numbers present, ascending (the one-hot order)."""
        return tuple(int(z) for z in np.unique(self.numbers))

    def subset(self, index) -> "AlloyData":
        return dataclasses.replace(self, numbers=self.numbers[index], energy_eV=self.energy_eV[index],
                                   charge_e=self.charge_e[index], moment_muB=self.moment_muB[index],
                                   config_id=self.config_id[index])

    def counts(self, species: tuple[int, ...] | None = None) -> np.ndarray:
        """(N, S) number of atoms of each species per configuration."""
        species = species or self.species
        return np.stack([(self.numbers == z).sum(axis=1) for z in species], axis=1)


def reference_energies_eV(data: AlloyData) -> dict[int, float]:
    """Energy per atom [eV] of each pure element: from its pure configuration when present, else
    (documented fallback) from a least-squares fit of the energy linear in the species counts."""
    species = data.species
    counts = data.counts(species)
    refs = {}
    fit = np.linalg.lstsq(counts.astype(float), data.energy_eV, rcond=None)[0]
    for s, z in enumerate(species):
        pure = np.flatnonzero(counts[:, s] == data.lattice.n_sites)
        refs[z] = float(data.energy_eV[pure[0]] / data.lattice.n_sites) if len(pure) else float(fit[s])
    return refs


def mixing_energy_eV(data: AlloyData, references: dict[int, float]) -> np.ndarray:
    """Total energy minus the pure-element references weighted by composition [eV per cell]."""
    species = tuple(references)
    return data.energy_eV - data.counts(species) @ np.array([references[z] for z in species])


def deduplicate(data: AlloyData, perms: np.ndarray | None = None, progress: bool = False) -> AlloyData:
    """Keep the first occurrence of each configuration (order of ``data`` preserved).

    Without ``perms`` only identical site vectors count as repeats (LSMS CuAu: 3,007).  With the
    lattice's space-group permutations (:func:`~.structures.symmetry_permutations`) configurations
    that are images of each other by a symmetry count as repeats too: they are the same physical
    configuration (LSMS CuAu: 28,979 distinct vectors but 18,265 distinct configurations, energies
    equal within 0.06 meV/cell), and leaving them in lets a test configuration's image sit in training.
    Small cells (a configuration packs into 52 bits) compare :func:`canonical_keys`; larger ones
    (a 1,024-site cell has 49,152 operations) :func:`distinct_by_search`.
    """
    if perms is None:
        _, first = np.unique(data.numbers, axis=0, return_index=True)
        return data.subset(np.sort(first))
    if _key_bits(data.numbers) * data.numbers.shape[1] <= 52:
        _, first = np.unique(canonical_keys(data.numbers, perms), return_index=True)
        return data.subset(np.sort(first))
    return data.subset(distinct_by_search(data, perms, progress))


def _key_bits(numbers: np.ndarray) -> int:
    return max(1, int(np.ceil(np.log2(len(np.unique(numbers))))))


def symmetry_invariants(data: AlloyData, n_shells: int = 3) -> np.ndarray:
    """(N, S + 2 K) integers equal for configurations related by any lattice symmetry: the species
    counts, and per neighbour shell k the number of pairs (each bond counted from both ends) of equal
    species and the sum of products of the species codes over pairs."""
    from pf_app.surrogate.neighbours import first_shells

    codes = np.searchsorted(np.unique(data.numbers), data.numbers).astype(np.int16)
    pairs = first_shells(data.lattice.cell, data.lattice.positions, n_shells)
    ends = [(pairs.centre[pairs.shell == k], pairs.neighbour[pairs.shell == k]) for k in range(n_shells)]
    out = []
    for chunk in np.array_split(codes, max(1, len(codes) // 256)):  # ~1e7 pair entries at a time
        columns = [np.stack([(chunk == c).sum(axis=1) for c in range(codes.max() + 1)], axis=1)]
        for i, j in ends:
            columns.append(np.stack([(chunk[:, i] == chunk[:, j]).sum(axis=1),
                                     (chunk[:, i].astype(np.int32) * chunk[:, j]).sum(axis=1)], axis=1))
        out.append(np.hstack(columns))
    return np.concatenate(out)


def images_of_each_other(a: np.ndarray, b: np.ndarray, perms: np.ndarray, block: int = 8) -> bool:
    """True when ``b[perms[g]] == a`` for some operation g, i.e. a and b (site species (M,)) are
    symmetry images.  A sieve over the operations: the sites are taken ``block`` at a time, the
    sites of a's rarest species first, and only the operations that agree on every site so far are
    kept, so a test costs ~G log G + M, not G M."""
    _, species, counts = np.unique(a, return_inverse=True, return_counts=True)
    order = np.argsort(counts[species], kind="stable")
    candidates = np.arange(len(perms))
    for start in range(0, len(a), block):
        cols = order[start:start + block]
        candidates = candidates[(b[perms[candidates[:, None], cols]] == a[cols]).all(axis=1)]
        if not len(candidates):
            return False
    return True


def distinct_by_search(data: AlloyData, perms: np.ndarray, progress: bool = False) -> np.ndarray:
    """Sorted indices of the first configuration of every symmetry class: configurations are
    grouped by :func:`symmetry_invariants` (equal for images), and within a group each is compared
    (:func:`images_of_each_other`) with the classes found so far."""
    from pf_app.progress import Progress

    _, group = np.unique(symmetry_invariants(data), axis=0, return_inverse=True)
    group = group.ravel()
    found: dict[int, list[int]] = {}
    keep = []
    with Progress("symmetry de-duplication", len(data), unit="config", every_s=10, enabled=progress,
                  initial=0) as bar:
        for n, row in enumerate(data.numbers):
            classes = found.setdefault(int(group[n]), [])
            if not any(images_of_each_other(row, data.numbers[r], perms) for r in classes):
                classes.append(n)
                keep.append(n)
            bar.update(n + 1)
    return np.array(keep, dtype=np.int64)


def canonical_keys(numbers: np.ndarray, perms: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """(N,) integer equal for configurations related by one of ``perms``: the smallest packed code
    (``ceil(log2 S)`` bits per site) over all permuted site vectors.  Exact while the code fits
    in 52 bits (binary alloys up to 52 sites, ternary/quaternary up to 26)."""
    species = np.unique(numbers)
    m = numbers.shape[1]
    bits = _key_bits(numbers)
    if bits * m > 52:
        raise ValueError(f"symmetry keys need {bits * m} bits; at most 52 fit (float64 mantissa)")
    codes = np.searchsorted(species, numbers).astype(np.float64)
    # key under perm p: sum_i codes[:, p[i]] 2^(bits i)  ->  codes @ W[:, p], W[p[i], p] = 2^(bits i)
    weights = np.zeros((m, len(perms)))
    np.put_along_axis(weights, perms.T, (2.0 ** (bits * np.arange(m)))[:, None], axis=0)
    return np.concatenate([(codes[i:i + chunk] @ weights).min(axis=1) for i in range(0, len(codes), chunk)]
                          ).astype(np.int64)


def composition_groups(data: AlloyData) -> np.ndarray:
    """(N,) integer label of each configuration's composition (equal species counts, equal label)."""
    return np.unique(data.counts(), axis=0, return_inverse=True)[1].ravel()


def select_per_composition(groups: np.ndarray, max_per_composition: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices keeping at most ``max_per_composition`` random members of each composition."""
    keep = [rng.permutation(np.flatnonzero(groups == g))[:max_per_composition] for g in np.unique(groups)]
    return np.sort(np.concatenate(keep))


def split_per_composition(groups: np.ndarray, rng: np.random.Generator,
                          fractions: tuple[float, float] = (0.09, 0.10)) -> dict[str, np.ndarray]:
    """Train/validation/test indices made within each composition (default 81/9/10 as the seed).

    ``fractions`` are (validation, test); each composition contributes ``round(n * f)`` members, so a
    composition with only a few members stays in training.
    """
    parts = {"train": [], "validation": [], "test": []}
    for g in np.unique(groups):
        members = rng.permutation(np.flatnonzero(groups == g))
        n_val, n_test = (int(round(len(members) * f)) for f in fractions)
        parts["test"].append(members[:n_test])
        parts["validation"].append(members[n_test:n_test + n_val])
        parts["train"].append(members[n_test + n_val:])
    return {k: np.sort(np.concatenate(v)) for k, v in parts.items()}


def kfold_per_composition(groups: np.ndarray, k: int, rng: np.random.Generator,
                          validation_fraction: float = 0.1) -> list[dict[str, np.ndarray]]:
    """k cross-validation folds made within each composition: fold f tests the f-th of k parts of
    every composition and trains on the rest (minus ``validation_fraction`` of each composition's
    remainder for early stopping).  A composition with fewer than k members cannot be in every test
    fold; it is then kept in the training set of every fold (never tested)."""
    chunks = {g: np.array_split(rng.permutation(np.flatnonzero(groups == g)), k) for g in np.unique(groups)}
    folds = []
    for f in range(k):
        parts = {"train": [], "validation": [], "test": []}
        for g, pieces in chunks.items():
            if sum(map(len, pieces)) < k:
                parts["train"].append(np.concatenate(pieces))
                continue
            rest = rng.permutation(np.concatenate([p for i, p in enumerate(pieces) if i != f]))
            n_val = int(round(len(rest) * validation_fraction))
            parts["test"].append(pieces[f])
            parts["validation"].append(rest[:n_val])
            parts["train"].append(rest[n_val:])
        folds.append({key: np.sort(np.concatenate(v)) for key, v in parts.items()})
    return folds


@dataclasses.dataclass(frozen=True)
class Standardizer:
    """Per-quantity affine scaling ``z = (y - mean) / std`` (one mean and std per quantity, over all
    configurations and sites); a constant quantity (CuAu moments are all zero) gets ``std = 1``."""

    mean: dict[str, float]
    std: dict[str, float]

    @classmethod
    def fit(cls, targets: dict[str, np.ndarray]) -> "Standardizer":
        mean = {t: float(np.mean(y)) for t, y in targets.items()}
        std = {t: float(np.std(y)) for t, y in targets.items()}
        return cls(mean, {t: s if s > 1e-12 * max(1.0, abs(mean[t])) else 1.0 for t, s in std.items()})

    def transform(self, targets: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {t: ((y - self.mean[t]) / self.std[t]).astype(np.float32) for t, y in targets.items()}

    def inverse(self, scaled: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {t: np.asarray(z, dtype=float) * self.std[t] + self.mean[t] for t, z in scaled.items()}

    def to_dict(self) -> dict:
        return {"mean": self.mean, "std": self.std}
