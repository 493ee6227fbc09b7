"""The benchmark: baselines, ablations, seeds, bootstrap statistics, conformal coverage and one
HTML report, from one YAML protocol (``rssqa benchmark CONFIG``)."""

from rssqa.benchmark.config import BenchmarkConfig, RunSpec
from rssqa.benchmark.runner import BenchmarkData, RunResult

__all__ = ["BenchmarkConfig", "BenchmarkData", "RunResult", "RunSpec"]
