"""Caption purification: score every pair of the noisy pool with CLIP_Sem and flag low scorers.

Threshold rule. CLIP_Sem's cosine similarities have no fixed scale (they depend on the model and
on the kind of captions), so the threshold is calibrated, not fixed: it is the ``false_flag_rate``
quantile of CLIP_Sem's scores on *held-out clean pairs*, pairs of images CLIP_Sem never trained on
with captions known to be right (the high-quality captions of the calibration images). A caption
is flagged when it matches its image worse than all but ``false_flag_rate`` of known-good captions
match theirs. By construction about ``false_flag_rate`` of clean pool captions are flagged too;
that costs little, since a flagged caption is rewritten, not dropped. The paper thresholds the
CLIP_Sem score as well; its exact cut-off is not given, so this rule is our own.
"""

from __future__ import annotations

import numpy as np


def calibrated_threshold(clean_scores: np.ndarray, false_flag_rate: float = 0.1) -> float:
    """The score below which ``false_flag_rate`` of held-out clean pairs fall."""
    clean_scores = np.asarray(clean_scores, dtype=float)
    if clean_scores.size == 0:
        raise ValueError("calibration needs at least one held-out clean pair")
    if not 0 < false_flag_rate < 1:
        raise ValueError(f"false_flag_rate must lie in (0, 1), got {false_flag_rate}")
    return float(np.quantile(clean_scores, false_flag_rate))


def flag_low_scores(scores: np.ndarray, threshold: float) -> np.ndarray:
    """True where a pair scores below ``threshold``: its caption goes to refinement."""
    return np.asarray(scores, dtype=float) < threshold


def precision(flags: np.ndarray, is_noisy: np.ndarray) -> float:
    """Share of flagged captions that are noisy (NaN when nothing is flagged)."""
    flags, is_noisy = np.asarray(flags, bool), np.asarray(is_noisy, bool)
    return float((flags & is_noisy).sum() / flags.sum()) if flags.any() else float("nan")


def recall(flags: np.ndarray, is_noisy: np.ndarray) -> float:
    """Share of noisy captions that are flagged (NaN when there is no noisy caption)."""
    flags, is_noisy = np.asarray(flags, bool), np.asarray(is_noisy, bool)
    return float((flags & is_noisy).sum() / is_noisy.sum()) if is_noisy.any() else float("nan")
