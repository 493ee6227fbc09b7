"""The FastAPI application: the page, ``POST /api/assess``, ``GET /api/info`` and, for GeoTIFF
uploads, ``GET /api/download/{token}/{filename}``.

Built around an already loaded :class:`Experiment` so tests and the benchmark can serve any
experiment, and so loading (tens of seconds) happens once, before the first request.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from functools import partial
from importlib import resources

from fastapi import FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from rssqa.errors import RssqaError
from rssqa.serve.docs import add_offline_docs
from rssqa.serve.downloads import DownloadStore, write_scene_downloads
from rssqa.serve.engine import Experiment
from rssqa.serve.limits import BodyLimit
from rssqa.serve.results import assessed_grid, assessment_payload
from rssqa.serve.schema import Assessment
from rssqa.serve.settings import ServeSettings
from rssqa.serve.upload import (
    ACCEPTED_FORMATS,
    UploadError,
    decode_upload,
    display_name,
    is_georeferenced,
)
from rssqa.serve.workers import BoundedWorkers

log = logging.getLogger("rssqa.serve")

# The page runs only its own script and shows only its own and data: images.
_PAGE_POLICY = ("default-src 'self'; img-src 'self' data: blob:; script-src 'self'; "
                "style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                "frame-ancestors 'none'")


def create_app(experiment: Experiment, settings: ServeSettings | None = None) -> FastAPI:
    settings = settings or ServeSettings()
    workers = BoundedWorkers(settings.workers, settings.max_queue)
    downloads = DownloadStore()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        downloads.open()  # the server's own temporary folder, gone with the server
        try:
            yield
        finally:
            workers.shutdown()
            downloads.close()

    app = FastAPI(title="rssqa", version="1", lifespan=lifespan, summary="Label-free quality "
                  "assessment of remote-sensing segmentation: which model to trust on this image.",
                  docs_url=None, redoc_url=None)  # /docs is served offline by add_offline_docs
    app.state.experiment, app.state.settings, app.state.workers = experiment, settings, workers
    app.state.downloads = downloads
    app.add_middleware(BodyLimit, max_bytes=settings.max_bytes)
    static = resources.files("rssqa.serve") / "static"
    add_offline_docs(app)  # mounted before /static, which would otherwise take its paths
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    _add_error_handlers(app)
    _add_routes(app, experiment, settings, workers, downloads)
    _add_download_route(app, downloads)
    return app


def _add_routes(app: FastAPI, experiment: Experiment, settings: ServeSettings,
                workers: BoundedWorkers, downloads: DownloadStore) -> None:
    page = Environment(loader=PackageLoader("rssqa.serve", "templates"),
                       autoescape=select_autoescape()).get_template("index.html")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        html = page.render(info=_info(experiment, settings))
        return HTMLResponse(html, headers={"Content-Security-Policy": _PAGE_POLICY,
                                           "X-Content-Type-Options": "nosniff"})

    @app.get("/api/info", summary="The experiment being served and the upload limits")
    def info() -> dict:
        return _info(experiment, settings)

    @app.post("/api/assess", summary="Score every method on one image and recommend one",
              response_model=Assessment, response_model_exclude_unset=True,
              responses={413: {"description": "file or image too large"},
                         415: {"description": "not a PNG, JPEG or TIFF image"},
                         422: {"description": "damaged image"}, 429: {"description": "queue full"}})
    async def assess(file: UploadFile = File(..., description="a PNG, JPEG or TIFF image"),
                     images: bool = Query(True, description="include the pictures (data: URIs)")
                     ) -> dict:
        data = await file.read()
        name = display_name(file.filename)
        return await workers.run(_assess_bytes, experiment, settings, downloads, data, name,
                                 images)


def _add_download_route(app: FastAPI, downloads: DownloadStore) -> None:
    @app.get("/api/download/{token}/{filename}", summary="A georeferenced file written for a "
             "GeoTIFF upload (the links are in its answer's `downloads`)",
             response_class=FileResponse, responses={404: {"description": "no such file"}})
    def download(token: str, filename: str) -> FileResponse:
        found = downloads.find(token, filename)
        if found is None or not found[0].is_file():  # is_file: its folder may have been dropped
            raise HTTPException(404, "no such file: it was never written, or it belonged to an "
                                "older upload and was removed; upload the image again")
        path, record = found
        return FileResponse(path, media_type=record.media_type, filename=record.name,
                            headers={"X-Content-Type-Options": "nosniff"})


def _assess_bytes(experiment: Experiment, settings: ServeSettings, downloads: DownloadStore,
                  data: bytes, name: str, images: bool) -> dict:
    """Decode (on the worker, so a big decode also waits its turn), assess and package; a
    GeoTIFF's scene outputs are written on the same worker, so they queue with the rest."""
    pixels = decode_upload(data, settings.max_pixels, experiment.raster, name)
    georeferenced = is_georeferenced(data)
    result, seconds = experiment.assess(pixels, name, tile_picks=georeferenced)
    files = None
    if georeferenced:  # the scene files are written from this assessment, not a second one
        files = write_scene_downloads(downloads, partial(experiment.write_scene, assessed=result),
                                      data, name, assessed_grid(result).overlap)
    return assessment_payload(experiment, result, pixels, seconds, images=images, downloads=files)


def _info(experiment: Experiment, settings: ServeSettings) -> dict:
    return {"experiment": experiment.name, "assessor": experiment.assessor_name,
            "methods": experiment.methods, "default": experiment.recommender.assessor.default_method,
            "tile_size": experiment.tile_size, "interval_note": experiment.interval_note,
            "classes": [{"name": n, "colour": c} for n, c in
                        zip(experiment.classmap.names, experiment.classmap.colours)],
            "limits": {"max_bytes": settings.max_bytes, "max_pixels": settings.max_pixels,
                       "formats": list(ACCEPTED_FORMATS), "workers": settings.workers}}


def _add_error_handlers(app: FastAPI) -> None:
    """Client mistakes get their status and one sentence; anything else a plain 500 sentence,
    with the traceback only in the server's log."""

    @app.exception_handler(UploadError)
    async def upload_error(request: Request, error: UploadError) -> JSONResponse:
        return JSONResponse({"detail": error.message}, status_code=error.status)

    @app.exception_handler(RssqaError)
    async def input_error(request: Request, error: RssqaError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("assessment failed")
        return JSONResponse({"detail": "the server failed on this request; its log has the "
                             "details"}, status_code=500)
