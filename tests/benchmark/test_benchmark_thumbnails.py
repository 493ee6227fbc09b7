"""The benchmark report shows the reference's best and worst predicted test tiles, from the store,
and says why a cell is undefined."""

import yaml

from rssqa.benchmark.command import run_benchmark
from rssqa.benchmark.config import BenchmarkConfig
from rssqa.config import load_config
from rssqa.stages import build_store


def test_report_shows_thumbnails_of_the_reference(tiny_dataset, tmp_path, one_thread):
    from tests.conftest import tiny_config_dict

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_config_dict(tiny_dataset, tmp_path / "run")))
    store = build_store(load_config(path), verbose=False)
    config = BenchmarkConfig.from_dict({
        "store": str(store.root), "output": str(tmp_path / "bench"), "seeds": [0], "n_boot": 20,
        "calibration_fraction": 0.34, "reference": "agreement", "verbose": False,
        "assessors": [{"label": "agreement", "name": "agreement"}, {"label": "prior", "name": "prior"}]})
    run_benchmark(config)
    assert (tmp_path / "bench" / "figures" / "thumbnails.png").stat().st_size > 1000
    report = (tmp_path / "bench" / "report.md").read_text()
    assert "thumbnails.png" in report
    assert "n/a (constant prediction)" in report and "nan [nan" not in report  # the prior's SROCC
