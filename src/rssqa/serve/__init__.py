"""``rssqa serve``: a local web page and JSON API that assess uploaded images with a trained
experiment (pool + encoder + assessor), so an analyst can try rssqa on one image without writing
a config or reading CSVs.

Kept apart from the rest of the package so that FastAPI and uvicorn are imported only by the
``serve`` command: ``rssqa --help`` and the pipeline never pay for them.
"""
