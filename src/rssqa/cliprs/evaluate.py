"""How good is a CLIP on held-out remote-sensing images, and how good is the caption filter.

- Image-text retrieval: every held-out crop has a few mask captions; image->text R@k counts a
  crop as found when one of its own caption texts is among the k best captions, text->image R@k
  counts a caption as found when one of the k best crops carries that caption text. Matching is by
  text, not by row, because two crops can share a caption word for word.
- Zero-shot class presence: for each crop and class, "present" when the image is closer to
  "A satellite image showing <class>." than to "A satellite image with no <class>."; the truth is
  the mask's share >= PRESENCE_SHARE. Reported as accuracy and as balanced accuracy (mean over
  classes of the mean of the present and absent recalls; chance = 0.5), since bare land is
  present almost everywhere.
- The filter's precision and recall at catching the injected noisy captions.

Intervals are 95 % percentile bootstraps over *source images* (rssqa.metrics.bootstrap applied to
whole images): crops of one image share ground and are not independent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rssqa.cliprs.captions import CLASS_PHRASES, PRESENCE_SHARE, SILENT_CLASSES
from rssqa.cliprs.embed import ClipEmbedder
from rssqa.cliprs.purify import precision, recall
from rssqa.metrics.bootstrap import Interval, bootstrap_ci


def by_group_ci(statistic: Callable[..., float], groups: Sequence[str], *arrays: np.ndarray,
                n_boot: int = 1000, seed: int = 0) -> Interval:
    """Bootstrap interval of ``statistic(*arrays)`` resampling whole groups (rows share a group)."""
    groups = np.asarray(groups)
    arrays = tuple(np.asarray(a) for a in arrays)
    unique = np.unique(groups)
    rows = {g: np.flatnonzero(groups == g) for g in unique}

    def on_groups(chosen: np.ndarray) -> float:
        index = np.concatenate([rows[g] for g in chosen])
        return statistic(*(a[index] for a in arrays))

    return bootstrap_ci(on_groups, unique, n_boot=n_boot, seed=seed)


def retrieval_hits(image_emb: np.ndarray, text_emb: np.ndarray, captions: Sequence[str],
                   owners: Sequence[int], ks: Sequence[int] = (1, 5)) -> tuple[np.ndarray, np.ndarray]:
    """Hit indicators: (N_images x len(ks) for image->text, N_captions x len(ks) for text->image).

    ``owners[j]`` is the image row caption ``j`` belongs to.
    """
    captions, owners = np.asarray(captions, dtype=object), np.asarray(owners)
    texts_of = [set(captions[owners == i]) for i in range(len(image_emb))]
    sim = image_emb @ text_emb.T  # images x captions
    i2t = np.zeros((len(image_emb), len(ks)), bool)
    t2i = np.zeros((len(captions), len(ks)), bool)
    for a, k in enumerate(ks):
        top_captions = np.argsort(-sim, axis=1)[:, :k]
        i2t[:, a] = [bool(texts_of[i] & set(captions[top])) for i, top in enumerate(top_captions)]
        top_images = np.argsort(-sim.T, axis=1)[:, :k]
        t2i[:, a] = [any(captions[j] in texts_of[i] for i in top) for j, top in enumerate(top_images)]
    return i2t, t2i


def presence_prompts(class_names: Sequence[str]) -> tuple[list[int], list[str], list[str]]:
    """(speakable class indices, "present" prompts, "absent" prompts)."""
    classes = [k for k, n in enumerate(class_names) if n not in SILENT_CLASSES]
    phrase = [CLASS_PHRASES.get(class_names[k], class_names[k].lower()) for k in classes]
    return (classes, [f"A satellite image showing {p}." for p in phrase],
            [f"A satellite image with no {p}." for p in phrase])


def zero_shot_presence(image_emb: np.ndarray, positive_emb: np.ndarray, negative_emb: np.ndarray,
                       shares: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(predicted, true) presence, both N x C, for C classes with prompt embeddings C x D and
    true class shares N x C."""
    predicted = image_emb @ positive_emb.T > image_emb @ negative_emb.T
    return predicted, shares >= PRESENCE_SHARE


def balanced_accuracy(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Mean over classes (columns) of (recall on present + recall on absent) / 2; a class seen in
    only one state counts by that state's recall."""
    scores = []
    for c in range(truth.shape[1]):
        recalls = [np.mean(predicted[truth[:, c] == state, c] == state)
                   for state in (True, False) if (truth[:, c] == state).any()]
        scores.append(np.mean(recalls))
    return float(np.mean(scores))


def evaluate_clip(embedder: ClipEmbedder, image_paths: Sequence[str], image_groups: Sequence[str],
                  shares: np.ndarray, captions: Sequence[str], owners: Sequence[int],
                  class_names: Sequence[str], n_boot: int = 1000, seed: int = 0) -> dict[str, Interval]:
    """Retrieval and zero-shot presence of one model on held-out crops (see module docstring)."""
    image_emb = embedder.images(image_paths)
    text_emb = embedder.texts(captions)
    i2t, t2i = retrieval_hits(image_emb, text_emb, captions, owners)
    caption_groups = np.asarray(image_groups)[np.asarray(owners)]
    classes, positive, negative = presence_prompts(class_names)
    predicted, truth = zero_shot_presence(image_emb, embedder.texts(positive), embedder.texts(negative),
                                          np.asarray(shares)[:, classes])

    def ci(statistic, groups, *arrays):
        return by_group_ci(statistic, groups, *arrays, n_boot=n_boot, seed=seed)

    return {
        "image_to_text_R@1": ci(np.mean, image_groups, i2t[:, 0]),
        "image_to_text_R@5": ci(np.mean, image_groups, i2t[:, 1]),
        "text_to_image_R@1": ci(np.mean, caption_groups, t2i[:, 0]),
        "text_to_image_R@5": ci(np.mean, caption_groups, t2i[:, 1]),
        "presence_accuracy": ci(lambda p, t: float(np.mean(p == t)), image_groups, predicted, truth),
        "presence_balanced_accuracy": ci(balanced_accuracy, image_groups, predicted, truth),
    }


def evaluate_filter(flags: np.ndarray, is_noisy: np.ndarray, groups: Sequence[str],
                    n_boot: int = 1000, seed: int = 0) -> dict[str, Interval]:
    """Precision and recall of the purification filter against the injected noise."""
    return {
        "filter_precision": by_group_ci(precision, groups, flags, is_noisy, n_boot=n_boot, seed=seed),
        "filter_recall": by_group_ci(recall, groups, flags, is_noisy, n_boot=n_boot, seed=seed),
    }
