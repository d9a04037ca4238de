"""The OpenAPI document and its Swagger UI page.

FastAPI's own `/openapi.json` builds the document on the event loop, and the
first build is about a second of CPU (the FHIR models' schemas are large):
every live stream and page in the process would wait behind it. Here the
document is built in the thread pool, as any synchronous route is.
"""

from __future__ import annotations

import threading

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

OPENAPI_URL = "/openapi.json"

router = APIRouter(include_in_schema=False)
_building = threading.Lock()  # callers arriving during the first build wait for it, not build too


@router.get(OPENAPI_URL)
def openapi_document(request: Request) -> JSONResponse:
    """The OpenAPI document (built once, off the event loop)."""
    with _building:
        document = request.app.openapi()
    return JSONResponse(document)


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """The Swagger UI page for the document."""
    return get_swagger_ui_html(openapi_url=OPENAPI_URL, title=f"{request.app.title} - Swagger UI")
