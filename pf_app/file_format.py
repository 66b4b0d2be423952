"""Format and version checks of the npz files pf_app writes (checkpoints): a reader refuses what it
does not understand with one line naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pf_app.config import ConfigError


def check_npz_format(path: Path, expected_format: str, expected_version: int, hint: str = "") -> None:
    """Refuse an npz of another ``format`` or ``version``; one written without them (before they were
    added) is taken as version 1 of ``expected_format``.  ``hint`` follows the expected version."""
    with np.load(path) as data:
        found_format = str(data["format"]) if "format" in data else expected_format
        found_version = int(data["version"]) if "version" in data else 1
    if found_format != expected_format:
        raise ConfigError(path, "format", expected_format, found_format)
    if found_version != expected_version:
        raise ConfigError(path, "version", f"{expected_version} for format {expected_format}{hint}", found_version)
