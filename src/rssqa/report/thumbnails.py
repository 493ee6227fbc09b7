"""Thumbnails of test tiles for the reports: what a predicted OA of 0.63 looks like.

One row per tile (the tiles whose pick has the highest and the lowest predicted accuracy), one
column each for the image, the true mask and every method's mask, titled with predicted and true
OA; the assessor's pick is framed in green. Seeing the best and worst predicted tiles side by side
shows whether low scores go with visibly bad segmentations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rssqa.data.classmap import ClassMap


@dataclass
class TileSample:
    """Tiles to draw, from a store's split: images N x s x s x 3, masks (truth) N x s x s or None,
    predictions method -> N x s x s, predicted and true OA N x M, the pick per tile."""

    images: np.ndarray
    masks: np.ndarray | None
    predictions: dict[str, np.ndarray]
    predicted: np.ndarray
    true: np.ndarray | None
    methods: list[str]
    picks: np.ndarray  # column index of the recommended method per tile


def extreme_tiles(sample: TileSample, count: int = 3) -> list[tuple[str, int]]:
    """(label, tile index) of the ``count`` tiles whose pick is predicted best, then worst."""
    picked = sample.predicted[np.arange(len(sample.picks)), sample.picks]
    order = np.argsort(-picked, kind="stable")
    count = min(count, len(order) // 2) or min(1, len(order))
    best = [(f"best predicted #{k + 1}", int(i)) for k, i in enumerate(order[:count])]
    worst = [(f"worst predicted #{k + 1}", int(i)) for k, i in enumerate(order[::-1][:count])]
    return best + [w for w in worst if w[1] not in {i for _, i in best}]


def draw_thumbnails(sample: TileSample, classmap: ClassMap, path: str | Path,
                    count: int = 3) -> Path:
    """Save the grid of the best- and worst-predicted tiles as a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = extreme_tiles(sample, count)
    columns = ["image"] + (["true mask"] if sample.masks is not None else []) + sample.methods
    figure, axes = plt.subplots(len(rows), len(columns), squeeze=False,
                                figsize=(1.9 * len(columns), 2.0 * len(rows)))
    for row, (label, tile) in enumerate(rows):
        panels = [sample.images[tile]]
        if sample.masks is not None:
            panels.append(classmap.decode(sample.masks[tile]))
        panels += [classmap.decode(sample.predictions[m][tile]) for m in sample.methods]
        for column, (name, panel) in enumerate(zip(columns, panels)):
            axis = axes[row, column]
            axis.imshow(panel, interpolation="nearest")
            axis.set_xticks([]), axis.set_yticks([])
            axis.set_title(_title(sample, tile, name), fontsize=8)
            if name in sample.methods and sample.methods.index(name) == sample.picks[tile]:
                for spine in axis.spines.values():
                    spine.set_edgecolor("#1f9d55"), spine.set_linewidth(3)
        axes[row, 0].set_ylabel(label, fontsize=8)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def _title(sample: TileSample, tile: int, name: str) -> str:
    if name not in sample.methods:
        return name
    column = sample.methods.index(name)
    title = f"{name}\npred {sample.predicted[tile, column]:.2f}"
    if sample.true is not None:
        title += f" · true {sample.true[tile, column]:.2f}"
    return title + (" (pick)" if column == sample.picks[tile] else "")
