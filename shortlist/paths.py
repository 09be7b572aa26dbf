"""How file paths are shown to people: relative to the working folder when under it."""

from __future__ import annotations

import os


def display_path(path: str | os.PathLike[str]) -> str:
    """`path` relative to the current folder when it lies below it, else as given."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel
