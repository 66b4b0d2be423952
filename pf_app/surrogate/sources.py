"""The data set named by a config's ``data`` section: loaded, de-duplicated, stratified."""

from __future__ import annotations

import numpy as np

from pf_app.config import ConfigError
from pf_app.surrogate.config import DatasetConfig, LatticeConfig
from pf_app.surrogate.datasets import AlloyData, composition_groups, deduplicate, select_per_composition
from pf_app.surrogate.structures import (Lattice, bcc_supercell, fcc_supercell, lsms_cuau_lattice,
                                         lsms_fept_lattice, symmetry_permutations)


def make_lattice(cfg: LatticeConfig, config_file=None) -> Lattice:
    if cfg.kind == "lsms_cuau":
        return lsms_cuau_lattice()
    if cfg.kind == "lsms_fept":
        return lsms_fept_lattice()
    if cfg.kind == "fcc":
        if len(set(cfg.repeats)) != 1:
            raise ConfigError(config_file, "data.labeler.lattice.repeats", "equal repeats for fcc", list(cfg.repeats))
        return fcc_supercell(cfg.a_angstrom, cfg.repeats[0])
    return bcc_supercell(cfg.a_angstrom, cfg.repeats, cfg.c_angstrom)


def load_raw(cfg: DatasetConfig, seed: int, config_file=None, progress: bool = False) -> AlloyData:
    """All configurations of the source, before de-duplication and selection (``config_file``: the
    YAML file named in configuration errors).  A data problem is a :class:`ConfigError` naming the
    data file and what was expected (one line, exit 2 on the command line)."""
    if cfg.source == "labeler":
        from pf_app.surrogate.labelers import SHIPPED_CUAU, LatticeLabeler

        lab = LatticeLabeler.load(cfg.labeler.parameters or SHIPPED_CUAU)
        if cfg.labeler.species or cfg.labeler.moment_coefficients_muB:
            lab = lab.with_species(cfg.labeler.species or lab.species, cfg.labeler.moment_coefficients_muB,
                                   note="moment coefficients from the config (illustrative)")
        lattice = make_lattice(cfg.labeler.lattice, config_file)
        numbers = lab.random_configurations(lattice, cfg.labeler.n_configurations, np.random.default_rng(seed))
        return lab.label(lattice, numbers)
    if not cfg.path.exists():
        raise ConfigError(config_file, "data.path", f"an existing {cfg.source} file", str(cfg.path))
    from pf_app.surrogate.lsms import LsmsGeometryError

    try:
        if cfg.source == "lsms_npz":
            from pf_app.surrogate.lsms import load_lsms_npz

            return load_lsms_npz(cfg.path)
        if cfg.source == "lsms_raw":
            from pf_app.surrogate.lsms import load_lsms_raw

            return load_lsms_raw(cfg.path, pattern=cfg.pattern, progress=progress)
    except LsmsGeometryError as exc:  # one line naming the data file (not the YAML), exit 2
        raise ConfigError(exc.file, exc.key, exc.expected, exc.got) from None
    from pf_app.surrogate.atoms_io import read_extxyz

    try:
        return read_extxyz(cfg.path)
    except ValueError as exc:
        raise ConfigError(cfg.path, "data.path", "extended XYZ structures on one lattice, each with an energy",
                          str(exc)) from None


def load_dataset(cfg: DatasetConfig, seed: int, config_file=None, progress: bool = False) -> tuple[AlloyData, dict]:
    """The selected data set and a summary (counts before/after de-duplication and selection)."""
    data = load_raw(cfg, seed, config_file, progress)
    summary = {"loaded": len(data)}
    if cfg.deduplicate != "none":
        perms = None
        if cfg.deduplicate == "symmetry":
            try:
                perms = symmetry_permutations(data.lattice, progress=progress)
            except ValueError as exc:
                raise ConfigError(cfg.path or config_file, "data.deduplicate",
                                  "a lattice whose space group maps its sites onto each other", str(exc)) from None
        data = deduplicate(data, perms, progress)
    summary["unique"] = len(data)
    keep = select_per_composition(composition_groups(data), cfg.max_per_composition, np.random.default_rng(seed))
    data = data.subset(keep)
    summary["selected"] = len(data)
    summary["compositions"] = int(len(np.unique(composition_groups(data))))
    return data, summary
