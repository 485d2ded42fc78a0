"""What serveur.py mounts next to the Streamlit app: routes, middleware, lifespan."""

from __future__ import annotations

from contextlib import asynccontextmanager

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from fluxcore.db import fermer_partagees

PREFIXE = "/_flux"


async def sante(request: Request) -> PlainTextResponse:
    """Health check (Docker HEALTHCHECK, the proxy, monitoring): 200 « ok » while serving."""
    return PlainTextResponse("ok")


def routes() -> list[BaseRoute]:
    return [Route(f"{PREFIXE}/sante", sante, methods=["GET", "HEAD"])]


def middleware() -> list[Middleware]:
    return []


@asynccontextmanager
async def lifespan(app):
    try:
        yield
    finally:
        # uvicorn re-raises SIGTERM once shut down (no atexit): close the shared databases
        # here, so that the file alone holds every write (checkpoint)
        fermer_partagees()
