"""Password sign-in on the server: the sign-in page, sign-out, and the middleware that sends
a visitor without a live session to it (fluxcore.sessions keeps the sessions and the brake).

Only with a users file (mode « fichier »): open mode and OIDC never see these pages. The
session cookie is signed, HttpOnly, SameSite=Lax, Secure over HTTPS; the sign-in form
carries a signed double-submit token against login CSRF. Everything here is plain Starlette:
no Streamlit script API."""

from __future__ import annotations

import html
import secrets
from urllib.parse import parse_qs, quote, urlsplit

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from fluxcore import connexion, sessions
from fluxcore.acces import AccesRefuseError
from fluxcore.errors import FluxcoreError

PREFIXE = "/_flux"
PAGE_CONNEXION, PAGE_DECONNEXION = sessions.PAGE_CONNEXION, sessions.PAGE_DECONNEXION
CSRF = "flux_csrf"
CORPS_MAX = 16_384  # bytes of a sign-in form
# Streamlit's own paths (assets, stream, uploads, media, components) and ours: never redirected
LIBRES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", f"{PREFIXE}/",
          "/auth/", "/oauth2callback")
ENTETES = {"Cache-Control": "no-store", "X-Frame-Options": "DENY",
           "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                      "form-action 'self'; frame-ancestors 'none'"}


def _oidc() -> bool:
    from streamlit.runtime.secrets import secrets_singleton  # the server's secrets, no script

    return connexion.oidc_configure(secrets_singleton)


def configuration() -> connexion.Configuration:
    return connexion.configuration(_oidc)


def _contexte():
    """(accounts, store) in mode « fichier »; None in open or OIDC mode; FluxcoreError with
    the operator's message when a setting must be corrected."""
    conf = configuration()
    if conf.erreur:
        raise connexion.ConfigurationError(conf.erreur)
    if conf.mode != "fichier":
        return None
    return connexion.comptes(conf), sessions.magasin(conf.fichier)


def suite_valide(suite: str | None) -> str:
    """A path of this site to reopen after sign-in; « / » for anything else (another
    origin, a scheme, our own pages)."""
    suite = (suite or "").strip()
    parts = urlsplit(suite)
    if (not suite.startswith("/") or suite.startswith("//") or "\\" in suite
            or parts.scheme or parts.netloc or any(ord(c) < 0x20 for c in suite)
            or suite.startswith(PREFIXE)):
        return "/"
    return suite


def _https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _adresse(request: Request) -> str | None:
    """The visitor's address (uvicorn already took it from X-Forwarded-For when the proxy is
    trusted: FORWARDED_ALLOW_IPS, 127.0.0.1 by default)."""
    return request.client.host if request.client else None


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int,
            path: str = "/", samesite: str = "lax") -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True,
                        samesite=samesite, secure=_https(request))


def _page(titre: str, corps: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(GABARIT.format(titre=html.escape(titre), corps=corps), status,
                        headers=ENTETES)


def _formulaire(request: Request, magasin: sessions.Magasin, suite: str, login: str = "",
                message: str = "", info: str = "", status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    jeton = f"{token}.{magasin.signer(token, 'csrf')}"
    alerte = f'<p class="erreur" role="alert">{html.escape(message)}</p>' if message else ""
    if info:
        alerte += f'<p class="info">{html.escape(info)}</p>'
    corps = FORMULAIRE.format(alerte=alerte, action=PAGE_CONNEXION, jeton=html.escape(jeton),
                              suite=html.escape(suite), login=html.escape(login))
    response = _page("Connexion", corps, status)
    _cookie(response, request, CSRF, jeton, 3600, path=PREFIXE, samesite="strict")
    return response


def _fermee(message: str) -> HTMLResponse:
    return _page("Application fermée", f'<h1>Application fermée</h1><p class="erreur">'
                 f"<strong>Configuration de la connexion à corriger</strong> : "
                 f"{html.escape(message)}</p>", 503)


async def _corps(request: Request) -> bytes | None:
    """The form's body, or None past CORPS_MAX: refused on its Content-Length before any
    read, else read only until the limit is passed."""
    try:
        annonce = int(request.headers.get("content-length") or 0)
    except ValueError:
        annonce = CORPS_MAX + 1
    if annonce > CORPS_MAX:
        return None
    body = b""
    async for morceau in request.stream():
        body += morceau
        if len(body) > CORPS_MAX:
            return None
    return body


def _trop_gros() -> HTMLResponse:
    return _page("Connexion", "<h1>Connexion</h1><p class=\"erreur\" role=\"alert\">"
                 "Le formulaire envoyé est trop volumineux pour une connexion : "
                 f'<a href="{PAGE_CONNEXION}">rouvrez la page de connexion</a> et saisissez '
                 "seulement votre identifiant et votre mot de passe.</p>", 413)


async def page_connexion(request: Request) -> Response:
    suite = suite_valide(request.query_params.get("suite"))
    try:
        ctx = await run_in_threadpool(_contexte)
    except FluxcoreError as exc:
        return _fermee(str(exc))
    if ctx is None:
        return RedirectResponse("/", 303)  # open or OIDC: Streamlit's own screens
    accounts, magasin = ctx
    valeur = request.cookies.get(sessions.COOKIE)
    if valeur and await run_in_threadpool(magasin.verifier, valeur, accounts):
        return RedirectResponse(suite, 303)  # already signed in (another tab)
    info = "Vous êtes déconnecté." if request.query_params.get("fin") == "1" else ""
    return _formulaire(request, magasin, suite, info=info)


async def se_connecter(request: Request) -> Response:
    try:
        ctx = await run_in_threadpool(_contexte)
    except FluxcoreError as exc:
        return _fermee(str(exc))
    if ctx is None:
        return RedirectResponse("/", 303)
    accounts, magasin = ctx
    body = await _corps(request)
    if body is None:
        return _trop_gros()
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                         keep_blank_values=True).items()}
    suite = suite_valide(form.get("suite"))
    login = form.get("identifiant", "")[:200]
    envoye, garde = form.get("jeton", ""), request.cookies.get(CSRF, "")
    if (not envoye or not secrets.compare_digest(envoye, garde)
            or magasin.signe(envoye, "csrf") is None):
        return _formulaire(request, magasin, suite, login, status=403, message=(
            "Le formulaire a expiré ou ne vient pas de ce site : saisissez de nouveau votre "
            "identifiant et votre mot de passe."))
    adresse = _adresse(request)
    try:  # the attempt is booked first; its wait (1 to 8 s) holds no worker thread
        essai = await run_in_threadpool(magasin.reserver, login, adresse)
        if essai.delai:
            await anyio.sleep(essai.delai)
        compte = await run_in_threadpool(magasin.conclure, essai, accounts,
                                         form.get("mot_de_passe", ""))
    except sessions.ConnexionVerrouilleeError as exc:
        return _formulaire(request, magasin, suite, login, str(exc), status=429)
    except AccesRefuseError as exc:
        return _formulaire(request, magasin, suite, login, str(exc), status=401)
    valeur = await run_in_threadpool(magasin.ouvrir, compte, adresse)
    response = RedirectResponse(suite, 303, headers={"Cache-Control": "no-store"})
    _cookie(response, request, sessions.COOKIE, valeur, int(magasin.reglages.duree))
    response.delete_cookie(CSRF, path=PREFIXE)
    return response


async def se_deconnecter(request: Request) -> Response:
    """End the session (every tab) and clear the cookie. A sign-out link followed from
    another site only gets a confirmation button."""
    if request.method == "GET" and request.headers.get("sec-fetch-site") == "cross-site":
        return _page("Déconnexion", CONFIRMATION.format(action=PAGE_DECONNEXION))
    valeur = request.cookies.get(sessions.COOKIE)
    if valeur:
        try:
            ctx = await run_in_threadpool(_contexte)
        except FluxcoreError:
            ctx = None
        if ctx is not None:
            await run_in_threadpool(ctx[1].fermer, valeur)
    response = RedirectResponse(f"{PAGE_CONNEXION}?fin=1", 303)
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="lax",
                           secure=_https(request))
    return response


def routes() -> list[BaseRoute]:
    return [Route(PAGE_CONNEXION, page_connexion, methods=["GET", "HEAD"]),
            Route(PAGE_CONNEXION, se_connecter, methods=["POST"]),
            Route(PAGE_DECONNEXION, se_deconnecter, methods=["GET", "POST"])]


def _page_html(scope: Scope) -> bool:
    """A request for one of the app's pages (not an asset, an API or our own pages)."""
    path = scope.get("path", "")
    last = path.rsplit("/", 1)[-1]
    return (scope["type"] == "http" and scope.get("method") in ("GET", "HEAD")
            and not path.startswith(LIBRES) and "." not in last)


def _valide(cookie: str | None) -> bool:
    """Whether a page may be served: a live session, or no password sign-in to ask for."""
    try:
        ctx = _contexte()
    except FluxcoreError:
        return True  # the app itself shows the operator's message and stays closed
    return ctx is None or (cookie is not None and ctx[1].verifier(cookie, ctx[0]) is not None)


class ExigerSession:
    """ASGI middleware: a page asked without a live session is redirected (303) to the
    sign-in page, which reopens it after. The app checks the session again at every run
    (ui.auth): this only spares the visitor an empty app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _page_html(scope):
            request = Request(scope)
            if not await run_in_threadpool(_valide, request.cookies.get(sessions.COOKIE)):
                target = scope.get("path", "/")
                if scope.get("query_string"):
                    target += "?" + scope["query_string"].decode("latin-1")
                response = RedirectResponse(
                    f"{PAGE_CONNEXION}?suite={quote(target, safe='')}", 303,
                    headers={"Cache-Control": "no-store"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


GABARIT = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{titre} — Gestion en flux des réservations</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
  background: #f4f6f8; color: #1f2933; font-size: 1.05rem; }}
main {{ max-width: 26rem; margin: 8vh auto; background: #fff; padding: 2rem 2.25rem;
  border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }}
h1 {{ font-size: 1.6rem; margin: 0 0 .25rem; }}
.sous-titre {{ color: #52606d; margin: 0 0 1.5rem; font-size: .95rem; }}
label {{ display: block; font-weight: 600; margin: 1rem 0 .35rem; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box;
  padding: .6rem .7rem; font-size: 1rem; border: 1px solid #9aa5b1; border-radius: 6px; }}
input:focus, button:focus {{ outline: 3px solid #7cb4f0; outline-offset: 1px; }}
button {{ margin-top: 1.5rem; width: 100%; padding: .7rem; font-size: 1rem; font-weight: 600;
  color: #fff; background: #1f5fa8; border: 0; border-radius: 6px; cursor: pointer; }}
button:hover {{ background: #184c87; }}
.erreur {{ background: #fdecea; color: #8a1c12; padding: .75rem 1rem; border-radius: 6px; }}
.info {{ background: #e8f1fb; color: #184c87; padding: .75rem 1rem; border-radius: 6px; }}
</style></head>
<body><main>{corps}</main></body></html>
"""

FORMULAIRE = """<h1>Connexion</h1>
<p class="sous-titre">Gestion en flux des réservations — accès réservé aux comptes de
l'équipe.</p>
{alerte}
<form method="post" action="{action}">
<input type="hidden" name="jeton" value="{jeton}">
<input type="hidden" name="suite" value="{suite}">
<label for="identifiant">Identifiant</label>
<input type="text" id="identifiant" name="identifiant" value="{login}" autocomplete="username"
  autocapitalize="none" spellcheck="false" required autofocus>
<label for="mot_de_passe">Mot de passe</label>
<input type="password" id="mot_de_passe" name="mot_de_passe" autocomplete="current-password"
  required>
<button type="submit">Se connecter</button>
</form>
"""

CONFIRMATION = """<h1>Déconnexion</h1>
<p>Voulez-vous vous déconnecter de la gestion en flux des réservations ?</p>
<form method="post" action="{action}"><button type="submit">Se déconnecter</button></form>
"""
