"""The demo data shipped inside the package: all 72 Dubai images, downscaled (see its README)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from rssqa.data.sources.dubai import DubaiSource
from rssqa.errors import InputError


def demo_data_root() -> Path:
    """Folder of the embedded Dubai demo data (``images/``, ``masks/``, ``README.md``)."""
    root = Path(str(files("rssqa").joinpath("demo_data", "dubai")))
    if not (root / "images").is_dir():
        raise InputError(root, "the embedded demo data is missing",
                         "reinstall rssqa, or rebuild it with scripts/make_demo_data.py")
    return root


def demo_source() -> DubaiSource:
    """The demo data as a source: 72 samples in 8 tile groups."""
    return DubaiSource(demo_data_root())
