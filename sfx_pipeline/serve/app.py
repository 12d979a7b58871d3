"""The HTTP surface: Starlette routes over `Service`.

    GET  /health           liveness: the process answers (no token)
    GET  /ready            readiness: 200 once the model is loaded, else 503 (no token)
    GET  /metrics          Prometheus text format
    GET  /v1/info          the model, its identity, the decoder, the caps
    POST /v1/generate      {"key", "generation"} -> a `wire` envelope
    GET|HEAD|PUT /cas/<key>  the shared cache (Bazel's and ccache's HTTP cache protocol)

Starlette because it is a small, maintained ASGI toolkit (the base of FastAPI) that runs
under uvicorn here and, unchanged, as a Ray Serve ingress. Every refusal is a status code
with a JSON body {"error", "fix"}; everything but health and readiness needs the token.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sfx_pipeline.serve import metrics
from sfx_pipeline.serve.intake import Refusal
from sfx_pipeline.serve.service import Service

ENVELOPE = "application/octet-stream"


def make_app(service: Service) -> Starlette:
    registry = metrics.registry_for(service)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        service.ready_or_refuse()
        return JSONResponse({"ready": True})

    async def metrics_page(request: Request) -> Response:
        service.authorize(request.headers.get("authorization"))
        return Response(metrics.render(registry), media_type=metrics.CONTENT_TYPE)

    async def info(request: Request) -> Response:
        service.authorize(request.headers.get("authorization"))
        service.ready_or_refuse()  # the reproducibility promise depends on where the model loaded
        return JSONResponse(service.info())

    async def generate(request: Request) -> Response:
        service.authorize(request.headers.get("authorization"))
        client = request.client.host if request.client else "unknown"
        with service.slot_for(client):
            body = await _read(request, service.limits.max_request)
            data = await service.generate(_json(body))
        return Response(data, media_type=ENVELOPE)

    async def cas(request: Request) -> Response:
        service.authorize(request.headers.get("authorization"))
        key = request.path_params["key"]
        if request.method == "PUT":
            body = await _read(request, service.limits.max_upload)
            created = service.cas_put(key, body)
            return Response(status_code=201 if created else 204)
        if request.method == "HEAD":
            found = service.cas_has(key)
            return Response(status_code=200 if found else 404, media_type=ENVELOPE)
        data = service.cas_get(key)
        if data is None:
            raise Refusal(404, f"no entry for {key}")
        return Response(data, media_type=ENVELOPE)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refusal)
        service.refused[exc.status] += 1
        if request.method == "HEAD":
            return Response(status_code=exc.status, headers=exc.headers)
        return JSONResponse(exc.to_json(), status_code=exc.status, headers=exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return await refused(request, Refusal(exc.status_code, str(exc.detail), _route_fix(exc.status_code),
                                              dict(exc.headers or {})))

    routes = [
        Route("/health", health),
        Route("/ready", ready),
        Route("/metrics", metrics_page),
        Route("/v1/info", info),
        Route("/v1/generate", generate, methods=["POST"]),
        Route("/cas/{key}", cas, methods=["GET", "HEAD", "PUT"]),
    ]
    return Starlette(routes=routes, exception_handlers={Refusal: refused, HTTPException: http_error})


async def _read(request: Request, limit: int) -> bytes:
    """The body, refusing more than `limit` bytes whatever Content-Length claims."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Refusal(413, f"the body is {declared} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Refusal(413, f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _json(body: bytes) -> Any:
    import json

    try:
        return json.loads(body)
    except ValueError as exc:
        raise Refusal(400, f"the body is not JSON: {exc}") from None


def _route_fix(status: int) -> str:
    if status == 404:
        return "known paths: /health, /ready, /metrics, /v1/info, /v1/generate, /cas/<key>"
    if status == 405:
        return "/v1/generate takes POST; /cas/<key> takes GET, HEAD and PUT"
    return ""
