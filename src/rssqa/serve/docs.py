"""``/docs``: Swagger UI served from the installed ``swagger-ui-bundle`` package, never from a
CDN, so the API's documentation works on a machine without internet.

That package ships Swagger UI 4, which reads OpenAPI 3.0 but not the 3.1 that FastAPI writes; the
page is therefore handed ``/docs/openapi-3.0.json``, the same document with the few 3.1 spellings
it uses rewritten in 3.0 terms. ``/openapi.json`` stays the 3.1 original for other tools.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_STATIC = "/static/swagger-ui"
DOCS_SCHEMA = "/docs/openapi-3.0.json"


def add_offline_docs(app: FastAPI) -> None:
    """Mount the bundle's files and add ``/docs`` and its 3.0 schema (the app is made with
    ``docs_url=None, redoc_url=None``: ReDoc has no offline bundle here)."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount(SWAGGER_STATIC, StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=DOCS_SCHEMA, title=f"{app.title} API",
            swagger_js_url=f"{SWAGGER_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_STATIC}/favicon-32x32.png")

    @app.get(DOCS_SCHEMA, include_in_schema=False)
    def schema_for_docs() -> dict:
        return {**as_openapi_30(app.openapi()), "openapi": "3.0.3"}


def as_openapi_30(node: Any) -> Any:
    """A copy of an OpenAPI 3.1 document with 3.1-only schema spellings in 3.0 form: a ``null``
    choice in ``anyOf`` becomes ``nullable``, ``const`` a one-value ``enum``, ``examples`` one
    ``example``, ``contentMediaType`` (an uploaded file) ``format: binary``."""
    if isinstance(node, list):
        return [as_openapi_30(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: as_openapi_30(value) for key, value in node.items()}
    choices = node.get("anyOf")
    if isinstance(choices, list) and {"type": "null"} in choices:
        rest = [choice for choice in choices if choice != {"type": "null"}]
        node.pop("anyOf")
        # 3.0 ignores siblings of $ref, so a lone reference is wrapped in allOf.
        single = rest[0] if len(rest) == 1 and "$ref" not in rest[0] else None
        node.update(single if single is not None else {"allOf" if len(rest) == 1 else "anyOf": rest})
        node["nullable"] = True
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if isinstance(node.get("examples"), list) and "type" in node:
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    if node.pop("contentMediaType", None) is not None:
        node["format"] = "binary"
    return node
