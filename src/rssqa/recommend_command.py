"""``rssqa recommend`` on files: which inputs, which outputs, and the promise about the rest.

Every file the run will write is known before a model loads. The run refuses to start when one
of them is a file rssqa did not write (by the output folder's manifest, see
:mod:`rssqa.owned_outputs`), or an earlier run's result without ``--overwrite``; it refuses an
output folder that is, or is inside, the input folder, so a rerun never assesses its own outputs.
After a run that produced something, ``--overwrite`` deletes the earlier run's files that this run
did not write again, and only those.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from rssqa import finished_images
from rssqa.errors import InputError, check_writable_folder
from rssqa.owned_outputs import OwnedFolder
from rssqa.recommend import TABLES, find_images, image_outputs, output_names, subfolders

SCENE_SUFFIXES = (".tif", ".tiff")


@dataclass
class Inputs:
    """The files to assess, each with its (label, output stem); scenes are GeoTIFFs."""

    paths: list[Path]
    names: list[tuple[str, str]]
    ignored_folders: list[Path] = field(default_factory=list)

    def scenes(self) -> list[tuple[Path, str]]:
        return [(p, key) for p, (_, key) in zip(self.paths, self.names) if is_scene(p)]

    def images(self) -> tuple[list[Path], list[tuple[str, str]]]:
        pairs = [(p, n) for p, n in zip(self.paths, self.names) if not is_scene(p)]
        return [p for p, _ in pairs], [n for _, n in pairs]


def is_scene(path: Path) -> bool:
    return Path(path).suffix.lower() in SCENE_SUFFIXES


def output_folder(out: str | None, default: Path, target: Path) -> Path:
    """The folder to write into: ``out`` (``default`` when not given), refused when empty, not
    writable, or the input folder itself or inside it."""
    if out is not None and not out.strip():
        raise InputError(None, "--out is empty", "give the folder to write the results into")
    folder = check_writable_folder(Path(out) if out is not None else default)
    target = Path(target)
    if target.is_dir() and _inside(folder, target):
        raise InputError(folder, f"the output folder is inside the input folder {target}",
                         "choose an --out outside it, so results are never mistaken for inputs")
    return folder


def _inside(folder: Path, parent: Path) -> bool:
    folder, parent = Path(os.path.abspath(folder)).resolve(), parent.resolve()
    return folder == parent or parent in folder.parents


def collect_inputs(target: Path, out: Path, recursive: bool) -> Inputs:
    target = Path(target)
    paths = find_images(target, recursive=recursive, exclude=out)
    root = target if target.is_dir() else None
    ignored = subfolders(target) if root is not None and not recursive else []
    return Inputs(paths, output_names(paths, root), ignored)


def planned_outputs(inputs: Inputs, scene_outputs) -> dict[Path, list[str]]:
    """Input -> the file names it will produce; ``scene_outputs(path, key)`` names a scene's."""
    plan = {path: (scene_outputs(path, key) if is_scene(path) else image_outputs(key))
            for path, (_, key) in zip(inputs.paths, inputs.names)}
    return plan


def check_plan(owned: OwnedFolder, plan: dict[Path, list[str]], image_stems: list[str],
               overwrite: bool) -> list[str]:
    """Every name the run may write, after refusing a plan that would replace a file rssqa did
    not write, or (without ``overwrite``) an earlier run's image results: those of the images
    (by output stem, ``image_stems``) that an interrupted run recorded are work to resume, not
    results. Scenes are not refused: a finished scene is reused and an unfinished one resumed."""
    has_images = bool(image_stems)
    names = [name for outputs in plan.values() for name in outputs] + (list(TABLES) if has_images else [])
    foreign = owned.foreign(names)
    if foreign:
        listed = ", ".join(p.name for p in foreign[:3]) + (f" and {len(foreign) - 3} more"
                                                           if len(foreign) > 3 else "")
        raise InputError(owned.folder, f"holds {len(foreign)} file(s) that rssqa did not write "
                         f"but would write now: {listed}",
                         "move them away or choose another --out; nothing was changed")
    resumable = finished_images.unfinished(owned.folder, image_stems)
    image_names = {n for path, outputs in plan.items() if not is_scene(path) for n in outputs} \
        - {n for stem in resumable for n in image_outputs(stem)}
    replaced = [p for p in owned.earlier() if p.name in image_names or p.name in TABLES] \
        if has_images else []
    if replaced and not overwrite:
        raise InputError(owned.folder, f"holds {len(replaced)} file(s) of an earlier `rssqa "
                         "recommend`", "pass --overwrite to replace them, or choose another --out")
    return names
