"""The one error shape: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from services.errors import VigilError, not_found  # noqa: F401 - re-exported for routes

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_json(status: int, code: str, message: str, details: Any = None,
               headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 413, 422, 429, 503)
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(VigilError)
    async def _api_error(_: Request, exc: VigilError) -> JSONResponse:
        return error_json(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                   for e in exc.errors()]
        first = details[0] if details else {"field": "body", "message": "invalid"}
        return error_json(422, "invalid_request", f"{first['field']}: {first['message']}", details)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        codes = {401: "not_authenticated", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed"}
        return error_json(exc.status_code, codes.get(exc.status_code, f"http_{exc.status_code}"),
                          str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        # Starlette raises the error again after this answer so the server logs it, and uvicorn
        # then closes the connection: say so, or a client reusing it gets a reset, not a reply.
        return error_json(500, "internal_error", "Something went wrong on our side.",
                          headers={"Connection": "close"})
