"""The limits a server runs under, in one place, with defaults that are safe on a laptop."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rssqa.errors import InputError

_MB = 1024 * 1024


@dataclass(frozen=True)
class ServeSettings:
    """Limits on what one upload may cost and how much work runs at once.

    max_bytes: largest accepted request body (the file plus multipart overhead), checked while
        it streams in, so a huge upload is cut off before it fills memory.
    max_pixels: largest accepted width x height, read from the file header before decoding, so a
        small file that decompresses into a giant image (a "bomb") is refused cheaply.
    workers: assessments that run at once; further uploads wait in a queue instead of each
        holding a copy of the models' activations.
    max_queue: uploads allowed to wait; beyond it the server answers 429 (try again) rather than
        accumulating requests without bound.
    level: coverage of the conformal intervals shown, when the assessor has a calibration.
    """

    max_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 4096 * 4096
    workers: int = 1
    max_queue: int = 64
    level: float = 0.9

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pixels", "workers", "max_queue"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not 0 < self.level < 1:
            raise ValueError(f"level must be in (0, 1), not {self.level}")

    @classmethod
    def from_options(cls, max_upload_mb: float, max_pixels: int, workers: int) -> ServeSettings:
        """The settings of ``rssqa serve``'s options; a value out of range is an InputError
        naming the option and its range, raised before anything loads."""
        if not (math.isfinite(max_upload_mb) and max_upload_mb > 0):
            raise InputError(None, f"--max-upload-mb must be a positive number of megabytes, not "
                             f"{max_upload_mb:g}", "e.g. --max-upload-mb 50 (the default)")
        if max_pixels < 1:
            raise InputError(None, f"--max-pixels must be at least 1, not {max_pixels}",
                             f"e.g. --max-pixels {cls.max_pixels} (the default, 4096 x 4096)")
        if workers < 1:
            raise InputError(None, f"--workers must be at least 1, not {workers}",
                             "e.g. --workers 1 (the default): further images wait in a queue")
        return cls(max_bytes=max(1, int(max_upload_mb * _MB)), max_pixels=max_pixels,
                   workers=workers)
