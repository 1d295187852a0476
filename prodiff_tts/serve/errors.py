"""OpenAI-style JSON errors: ``{"error": {"message", "type", "code", "param"}}`` for every failure, never a
traceback (a bug is logged here and answered ``500 internal server error``)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("prodiff_tts.serve")

INVALID_REQUEST = "invalid_request_error"


class APIError(Exception):
    """A failure answered as JSON with ``status``: the message is one line for the client."""

    def __init__(self, status: int, message: str, code: str, type: str = INVALID_REQUEST,
                 param: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = int(status)
        self.message = str(message)
        self.code = code
        self.type = type
        self.param = param
        self.headers = headers

    def response(self) -> JSONResponse:
        return error_response(self.status, self.message, self.code, self.type, self.param, self.headers)


def error_response(status: int, message: str, code: str, type: str = INVALID_REQUEST, param: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    one_line = message.strip().splitlines()[0] if message.strip() else code
    body = {"error": {"message": one_line, "type": type, "code": code, "param": param}}
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """JSON errors for APIError, FastAPI's validation errors, 404/405 and anything unexpected."""

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return error_response(400, f"{loc}: {first.get('msg', 'invalid request')}", "invalid_value", param=loc or None)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = f"{request.method} {request.url.path}: {exc.detail}"
        return error_response(exc.status_code, message, code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        # the traceback goes to the server log (uvicorn prints it), never to the client
        log.error("internal error on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        return error_response(500, "internal server error (see the server log)", "internal_error", "server_error")
