"""The coupled-model tests build phase-field cases with the phase-field tests' helpers (tests/phasefield/pfcase.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "phasefield"))
