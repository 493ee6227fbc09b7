"""The CLIP-RS pipeline's stages, in order (a light module: the command line names them in its help)."""

STAGES = ("crops", "captions", "base", "clip_sem", "purify", "refine", "clip_rs", "clip_noisy", "evaluate")
