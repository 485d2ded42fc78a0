"""What serveur.py mounts next to the Streamlit app: routes, middleware, lifespan."""

from __future__ import annotations

from contextlib import asynccontextmanager

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from fluxcore import sessions
from fluxcore.db import fermer_partagees
from web import connexion

PREFIXE = "/_flux"


async def sante(request: Request) -> PlainTextResponse:
    """Health check (Docker HEALTHCHECK, the proxy, monitoring): 200 « ok » while serving."""
    return PlainTextResponse("ok")


def routes() -> list[BaseRoute]:
    return [Route(f"{PREFIXE}/sante", sante, methods=["GET", "HEAD"]), *connexion.routes()]


def middleware() -> list[Middleware]:
    # the app's scripts now take the signed-in user from the session cookie (ui.auth)
    sessions.activer_serveur()
    return [Middleware(connexion.ExigerSession)]


@asynccontextmanager
async def lifespan(app):
    from web import taches  # scheduled backups, read copy, purge (docs/sauvegardes.md)

    taches.demarrer()
    try:
        yield
    finally:
        taches.arreter()     # after the round in progress, before the bases are closed
        # uvicorn re-raises SIGTERM once shut down (no atexit): close the shared databases
        # here, so that the file alone holds every write (checkpoint)
        fermer_partagees()
