"""Where the public benchmark data lies: ``../shared/data`` beside the project's checkout.

Tests that read it skip cleanly when it is absent; nothing in the package reads it.
"""

from __future__ import annotations

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """A path under the shared data folder (which may not exist)."""
    return SHARED_DATA.joinpath(*parts)
