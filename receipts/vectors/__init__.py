"""Receipt test vectors (``receipts.json``), shipped with the package for other implementations.

``python -m receipts.vectors --write`` regenerates the file; ``--check`` regenerates it
in memory and exits 1 if any byte differs from the stored file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from receipts.vectors.generate import build_vectors

__all__ = ["VECTORS_PATH", "build_vectors", "check_vectors"]

VECTORS_PATH: Final = Path(__file__).with_name("receipts.json")


def check_vectors(path: Path = VECTORS_PATH) -> list[str]:
    """Differences between the stored vectors and freshly built ones; empty when in sync."""
    fresh = build_vectors()
    try:
        stored = path.read_bytes()
    except FileNotFoundError:
        return [f"{path.name} is missing"]
    if stored == fresh:
        return []
    stored_lines = stored.decode("utf-8", "replace").splitlines()
    fresh_lines = fresh.decode("utf-8").splitlines()
    for number, (old, new) in enumerate(zip(stored_lines, fresh_lines, strict=False), start=1):
        if old != new:
            return [f"{path.name} line {number}: stored {old.strip()!r}, built {new.strip()!r}"]
    return [f"{path.name}: {len(stored_lines)} lines stored, {len(fresh_lines)} built"]
