"""``rssqa demo``: the whole chain on the embedded, downscaled Dubai copy.

Pool training on tiles 1, 3, 5, 7 -> SQED on tiles 2, 4, 6, 8 -> RS-SQA and baselines fitted on the
SQED train split -> evaluation on its test split -> recommendation on the test source images, all
gathered in one HTML report.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rich.console import Console

from rssqa.config import builtin_config, load_config
from rssqa.data.labelled import load_source
from rssqa.files import write_run_record
from rssqa.stages import build_store, default_assessors, evaluate_assessors, train_assessors


def run_demo(out: Path, verbose: bool = True, console: Console | None = None) -> Path:
    console = console or Console()
    config = load_config(builtin_config("demo"))
    config = dataclasses.replace(config, output=str(out))
    write_run_record(config.output_dir, "demo", config.to_dict(), config.seed)

    console.rule("1-2. segmentation pool and SQED store")
    store = build_store(config, verbose=verbose)
    console.print("Mean accuracy of each method on the assessment tiles (the paper's Table 1):")
    console.print(store.summary().to_string())

    console.rule("3. assessors on the SQED train split")
    names = default_assessors(config)
    train_assessors(config, store, names, verbose=verbose)

    console.rule("4. evaluation on the SQED test split")
    summary, per_method, predictions = evaluate_assessors(config, store, names, n_boot=500,
                                                          verbose=False)
    console.print(per_method.to_string(index=False))
    console.print(summary.to_string(index=False))
    selection = _selection_summary(config)
    for line in selection["sentences"]:
        console.print(line)
    console.print("Per whole source image:")
    console.print(selection["images"].to_string(index=False))

    console.rule("5. recommendation on the test source images")
    recommendations = _recommend_test_images(config, store, verbose)
    console.print(recommendations.loc[recommendations["recommended"],
                                      ["image", "method", "predicted_oa"]].to_string(index=False))
    thumbnails = _draw_thumbnails(config, store, predictions[config.assessor.name])
    report = _write_report(config, store, summary, per_method, recommendations, selection,
                           thumbnails)
    console.print(f"report: {report}")
    return report


def _recommend_test_images(config, store, verbose: bool):
    """The recommendation for each test source image, written (as ``rssqa recommend`` writes it)
    into ``<output>/recommend``, whose files rssqa owns by its manifest."""
    from rssqa.errors import InputError
    from rssqa.experiment import open_experiment
    from rssqa.owned_outputs import OwnedFolder
    from rssqa.recommend import TABLES, Recommender, image_outputs, output_names

    samples, _ = load_source(config)
    test_sources = set(store.tiles.loc[store.tiles["split"] == "test", "source_id"])
    paths = [s.image_path for s in samples if s.source_id in test_sources]
    names, out = output_names(paths), config.layout.root / "recommend"
    planned = [n for _, key in names for n in image_outputs(key)] + list(TABLES)
    owned = OwnedFolder(out)
    if owned.foreign(planned):
        raise InputError(out, "holds files rssqa did not write under the demo's output names",
                         "move them away, or run the demo with another --out")
    recommender = Recommender.of(open_experiment(config))
    with owned.writing(planned) as written:
        table = recommender.run(paths, out, verbose=verbose, names=names)
        written += recommender.written
    return table


def _selection_summary(config) -> dict:
    """What following each assessor's picks gains against always using the single best solver:
    the image-level table, the references, and a plain verdict for the demo's assessor."""
    import pandas as pd

    from rssqa.report.evaluation import format_selection_records, references_sentence, selection_verdict

    reports = config.layout.reports
    tiles = pd.read_csv(reports / "selection.csv")
    images = pd.read_csv(reports / "selection_images.csv")
    sentences = [references_sentence(tiles), references_sentence(images)]
    for records in (tiles, images):
        ours = records.loc[records["assessor"] == config.assessor.name]
        if not ours.empty:
            sentences.append(selection_verdict(ours.iloc[0], config.assessor.name))
    return {"tiles": format_selection_records(tiles), "images": format_selection_records(images),
            "sentences": sentences}


def _draw_thumbnails(config, store, predicted) -> Path:
    """The test tiles whose pick the config's assessor predicts best and worst, drawn with the
    truth and every method's mask (see rssqa.report.thumbnails)."""
    import numpy as np

    from rssqa.assess.registry import load_assessor
    from rssqa.report.thumbnails import TileSample, draw_thumbnails

    layout = config.layout
    index = store.split_index("test")
    assessor = load_assessor(layout.assessors / config.assessor.name)
    sample = TileSample(
        images=np.asarray(store.array("images")[index]), masks=np.asarray(store.array("masks")[index]),
        predictions={m: np.asarray(store.array(f"pred_{m}")[index]) for m in store.methods},
        predicted=predicted, true=store.labels(config.target)[index], methods=list(store.methods),
        picks=np.argmax(assessor.selection_scores(predicted), axis=1))
    return draw_thumbnails(sample, store.classmap,
                           layout.reports / f"thumbnails_{config.assessor.name}.png")


def _write_report(config, store, summary, per_method, recommendations, selection,
                  thumbnails: Path) -> Path:
    from rssqa.report.html import Section, write_html_report

    layout = config.layout
    picks = recommendations.loc[recommendations["recommended"], ["image", "method", "predicted_oa"]]
    sections = [
        Section("Segmentation pool", "Mean overall accuracy (OA), mIoU and F1 of each method on the "
                "assessment tiles, by SQED split.", tables=[("", store.summary().reset_index())]),
        Section("Quality assessment on the test split",
                "Intervals are 95% percentile-bootstrap intervals over test tiles. n/a: a "
                "correlation is undefined for an assessor whose predictions do not vary across "
                "tiles (the prior predicts one value per method).",
                tables=[("Recommendation", summary), ("Per method", per_method)],
                figures=[(f"{config.assessor.name}: predicted against true OA",
                          layout.reports / f"scatter_{config.assessor.name}.png")]),
        Section("What the scores look like",
                f"Test tiles whose recommended method {config.assessor.name} predicts best and "
                "worst: the image, the true mask, and every method's segmentation with its "
                "predicted and true OA; the recommended one is framed in green.",
                figures=[(f"{config.assessor.name}: best and worst predicted test tiles", thumbnails)]),
        Section("Following the recommendations against always using one method",
                "\n\n".join([*selection["sentences"],
                               "SBS: the method best on average on the SQED train split, which "
                               "needs no test label. VBS: the per-unit oracle. Regret: VBS OA minus "
                               "OA of picks. Gap closed: share of the SBS-to-VBS gap the picks "
                               "recover (1 oracle, 0 no better than the SBS, below 0 worse). "
                               "p vs SBS: paired bootstrap test of OA of picks minus SBS OA."]),
                tables=[("Per test tile", selection["tiles"]),
                        ("Per whole source image", selection["images"])]),
        Section("Recommendations for the test source images",
                "The method RS-SQA recommends for each whole image, with its predicted OA; the "
                "segmentations are in the recommend/ folder.", tables=[("", picks)]),
    ]
    return write_html_report(layout.reports / "demo_report.html", "rssqa demo", sections)
