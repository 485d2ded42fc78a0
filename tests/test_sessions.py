"""Sessions kept by the server (fluxcore.sessions), the brake on password guessing, and the
sign-in pages and middleware of web.connexion (a small ASGI client in this file, no browser)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import stat
import threading
import time
from http.cookies import SimpleCookie
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from fluxcore import acces, db, sessions
from fluxcore.acces import AccesRefuseError, Compte
from fluxcore.sessions import ConnexionVerrouilleeError, Magasin, Reglages, SessionsError
from tests.apptest import app_sur
from web import connexion

SECRET = "s" * 40
REGLAGES = Reglages(duree=12 * 3600, echecs_verrou=10, minutes_verrou=15)
T0 = 1_790_000_000.0


class Horloge:
    def __init__(self):
        self.t = T0

    def __call__(self):
        return self.t


def _comptes(path):
    path.write_text("".join(
        f'[utilisateurs.{login}]\nrole = "{role}"\n'
        f'mot_de_passe = "{acces.hacher("mdp-" + login, iterations=1000)}"\n\n'
        for login, role in (("marc", "gestionnaire"), ("lea", "lecteur"))), encoding="utf-8")
    return path


@pytest.fixture
def fichier(tmp_path):
    return _comptes(tmp_path / "utilisateurs.toml")


@pytest.fixture
def comptes(fichier):
    return acces.lire_utilisateurs(fichier)


@pytest.fixture
def horloge():
    return Horloge()


@pytest.fixture
def magasin(tmp_path, horloge):
    return Magasin(tmp_path / "sessions.sqlite3", SECRET, REGLAGES, horloge,
                   base=tmp_path)  # a folder: the base cannot open


# -- sessions -------------------------------------------------------------------------------
def test_session_round_trip_keeps_only_the_tokens_hash(magasin, comptes):
    valeur = magasin.ouvrir(comptes["marc"], "10.0.0.1")
    token, _, signature = valeur.partition(".")
    assert len(token) == 43 and len(signature) == 43  # 32 bytes, HMAC-SHA256, base64url
    assert magasin.verifier(valeur, comptes) == comptes["marc"].utilisateur
    assert token.encode() not in magasin.path.read_bytes()
    assert magasin.restant(valeur) == 12 * 3600


def test_forged_or_foreign_cookie_refused(magasin, comptes, tmp_path):
    valeur = magasin.ouvrir(comptes["marc"])
    token, _, signature = valeur.partition(".")
    other = "A" if signature[0] != "A" else "B"
    for forged in (f"{token}.{other}{signature[1:]}", f"{token[:-1]}x.{signature}", token,
                   "", None, "n'importe.quoi"):
        assert magasin.verifier(forged, comptes) is None
    ailleurs = Magasin(tmp_path / "s2.sqlite3", "t" * 40, REGLAGES)
    assert ailleurs.verifier(valeur, comptes) is None
    # a well-signed token that was never opened
    assert magasin.verifier(f"abc.{magasin.signer('abc')}", comptes) is None


def test_session_expires(magasin, comptes, horloge):
    valeur = magasin.ouvrir(comptes["marc"])
    horloge.t = T0 + 12 * 3600 - 1
    assert magasin.verifier(valeur, comptes) is not None
    horloge.t = T0 + 12 * 3600
    assert magasin.verifier(valeur, comptes) is None


def test_sign_out_ends_that_session_and_account_wide(magasin, comptes):
    a, b = magasin.ouvrir(comptes["marc"]), magasin.ouvrir(comptes["marc"])
    c = magasin.ouvrir(comptes["lea"])
    assert magasin.fermer(a) is True and magasin.fermer(a) is False
    assert magasin.verifier(a, comptes) is None
    assert magasin.verifier(b, comptes) is not None
    d = magasin.ouvrir(comptes["marc"])
    assert magasin.fermer_compte("marc") == 2  # b and d
    assert magasin.verifier(b, comptes) is None and magasin.verifier(d, comptes) is None
    assert magasin.verifier(c, comptes) == comptes["lea"].utilisateur


def test_account_removed_disabled_or_new_password_ends_sessions(magasin, comptes, fichier):
    valeur = magasin.ouvrir(comptes["marc"])
    assert magasin.verifier(valeur, {"lea": comptes["lea"]}) is None
    marc = comptes["marc"]
    desactive = SimpleNamespace(utilisateur=marc.utilisateur, empreinte=marc.empreinte,
                                actif=False)
    assert magasin.verifier(valeur, {**comptes, "marc": desactive}) is None
    # a changed role applies at once: the user comes from the accounts given
    admin = Compte(acces.Utilisateur("marc", "marc", "admin"), marc.empreinte)
    assert magasin.verifier(valeur, {**comptes, "marc": admin}).role == "admin"
    acces.ecrire_utilisateur(fichier, "marc", "gestionnaire", "nouveau-mdp")
    assert magasin.verifier(valeur, acces.lire_utilisateurs(fichier)) is None


def test_store_file_is_private_and_secret_kept(tmp_path, comptes):
    old = os.umask(0)
    try:
        path = tmp_path / "d" / "sessions.sqlite3"
        premier = Magasin(path, None, REGLAGES)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    valeur = premier.ouvrir(comptes["lea"])
    # a restarted server (another store object on the file) keeps its random secret
    assert Magasin(path, None, REGLAGES).verifier(valeur, comptes) is not None


def test_settings_errors_are_french(monkeypatch, tmp_path):
    monkeypatch.setenv("FLUX_SECRET", "court-1234")
    with pytest.raises(SessionsError, match=r"^FLUX_SECRET est trop court \(10 caractères\) : "
                                            r"il en faut au moins 32\."):
        sessions.magasin(tmp_path / "u.toml")
    monkeypatch.setenv("FLUX_SECRET", SECRET)
    for valeur in ("douze", "0", "1000"):
        monkeypatch.setenv("FLUX_SESSION_HEURES", valeur)
        with pytest.raises(SessionsError, match=rf"^FLUX_SESSION_HEURES='{valeur}' : indiquez "
                                                r"un nombre de heures entre 0,25 et 720"):
            sessions.magasin(tmp_path / "u.toml")
    monkeypatch.setenv("FLUX_SESSION_HEURES", "8,5")
    monkeypatch.setenv("FLUX_VERROU_ECHECS", "5")
    store = sessions.magasin(tmp_path / "u.toml")
    assert store.path == tmp_path / "u.toml.sessions.sqlite3"
    assert store.reglages == Reglages(8.5 * 3600, 5, 15)
    monkeypatch.setenv("FLUX_SESSIONS", str(tmp_path / "ailleurs.sqlite3"))
    assert sessions.magasin(tmp_path / "u.toml").path == tmp_path / "ailleurs.sqlite3"


def test_short_secret_keeps_the_app_closed(demo_path, monkeypatch, tmp_path, fichier):
    monkeypatch.setenv("FLUX_SECRET", "trop-court")
    at = app_sur(demo_path, monkeypatch, tmp_path, fichier)
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Application fermée"]
    assert "FLUX_SECRET est trop court (10 caractères)" in at.error[0].value
    assert not at.text_input  # no sign-in form


# -- the brake ------------------------------------------------------------------------------
def _essais(magasin, comptes, n, login="marc", adresse="10.0.0.1", mdp="faux"):
    """n failed attempts; the waits asked for."""
    attentes = []
    for _ in range(n):
        with pytest.raises(AccesRefuseError):
            magasin.tenter(comptes, login, mdp, adresse, attendre=attentes.append)
    return attentes


def test_waits_then_lock_at_the_tenth_failure(magasin, comptes, horloge, monkeypatch,
                                              capfd):
    assert _essais(magasin, comptes, 9) == [1, 2, 4, 8, 8, 8]  # attempts 4 to 9
    attentes = []
    with pytest.raises(ConnexionVerrouilleeError) as exc:
        magasin.tenter(comptes, "marc", "faux", "10.0.0.1", attendre=attentes.append)
    assert attentes == [8]
    assert exc.value.fin == T0 + 15 * 60
    assert re.match(r"^Trop de tentatives de connexion échouées : la connexion est bloquée "
                    r"jusqu'à \d{1,2} h \d\d( le \d\d/\d\d/\d{4})?\. Réessayez", str(exc.value))
    # locked: the right password is not even checked, from any address
    verifies = []
    monkeypatch.setattr(acces, "authentifier", lambda *a: verifies.append(a))
    horloge.t = T0 + 15 * 60 - 1
    for adresse in ("10.0.0.1", "10.9.9.9"):
        with pytest.raises(ConnexionVerrouilleeError):
            magasin.tenter(comptes, "marc", "mdp-marc", adresse)
    assert verifies == []
    monkeypatch.undo()
    horloge.t = T0 + 15 * 60
    assert magasin.tenter(comptes, "marc", "mdp-marc", "10.0.0.1") == comptes["marc"]
    assert _essais(magasin, comptes, 4) == [1]  # the success cleared the count
    assert "connexion verrouillée" in capfd.readouterr().err  # the base was not reachable


def test_brake_counts_per_address_and_per_identifier(magasin, comptes):
    # one address trying several identifiers
    assert _essais(magasin, comptes, 2, login="marc") == []
    assert _essais(magasin, comptes, 3, login="inconnu") == [1, 2]
    # the same identifier from another address
    assert _essais(magasin, comptes, 2, login="lea", adresse="10.0.0.2") == []
    assert _essais(magasin, comptes, 2, login="lea", adresse="10.0.0.3") == [1]


def test_old_failures_leave_the_window(magasin, comptes, horloge):
    assert _essais(magasin, comptes, 5) == [1, 2]
    horloge.t = T0 + 15 * 60 + 1
    assert _essais(magasin, comptes, 4) == [1]


def test_parallel_attempts_check_at_most_ten_passwords(magasin, comptes, monkeypatch):
    """20 wrong passwords at once on one identifier (from 20 addresses): each attempt is
    booked before its check, so no more than the lock's 10 passwords are checked."""
    verifies, lock = [], threading.Lock()
    vrai = acces.verifier_mot_de_passe

    def compter(empreinte, mot_de_passe):
        with lock:
            verifies.append(mot_de_passe)
        return vrai(empreinte, mot_de_passe)

    monkeypatch.setattr(acces, "verifier_mot_de_passe", compter)
    depart, refus = threading.Barrier(20), []

    def essayer(i):
        depart.wait()
        try:
            magasin.tenter(comptes, "marc", "faux", f"10.1.0.{i}", attendre=lambda s: None)
        except AccesRefuseError as exc:
            with lock:
                refus.append(type(exc))

    fils = [threading.Thread(target=essayer, args=(i,)) for i in range(20)]
    for f in fils:
        f.start()
    for f in fils:
        f.join()
    assert len(refus) == 20
    assert 1 <= len(verifies) <= 10
    assert refus.count(ConnexionVerrouilleeError) >= 10
    verifies.clear()
    with pytest.raises(ConnexionVerrouilleeError):  # locked: the right password too
        magasin.tenter(comptes, "marc", "mdp-marc", "10.2.0.1", attendre=lambda s: None)
    assert verifies == []


def test_booked_attempt_refused_when_locked_meanwhile(magasin, comptes):
    """A right password booked before a parallel attempt locked sign-in is refused."""
    for _ in range(9):
        magasin.noter("marc", "10.0.0.1", False)
    essai = magasin.reserver("marc", "10.0.0.1")      # the 10th booking
    assert essai.delai == 8
    with pytest.raises(ConnexionVerrouilleeError):    # the 11th, still in flight: locks
        magasin.reserver("marc", "10.0.0.2")
    with pytest.raises(ConnexionVerrouilleeError):
        magasin.conclure(essai, comptes, "mdp-marc")


def test_lock_is_audited_without_password(tmp_path, empty_template, comptes, horloge):
    base = tmp_path / "base.duckdb"
    shutil.copyfile(empty_template, base)
    store = Magasin(tmp_path / "s.sqlite3", SECRET, REGLAGES, horloge, base=base)
    for _ in range(9):
        store.noter("marc", "10.0.0.7", False)
    assert store.noter("marc", "10.0.0.7", False) == T0 + 900
    try:
        rows = db.partagee(base).df("select actor, action, table_name, entity_id, details "
                                    "from audit_log where action = 'connexion_verrouillee'")
    finally:
        db.liberer_partagee(base)
    assert rows[["actor", "action", "entity_id"]].values.tolist() == [
        ["connexion", "connexion_verrouillee", "marc"]]
    details = rows["details"][0]
    assert '"adresse": "10.0.0.7"' in details and '"echecs": 10' in details
    assert '"motif": ["identifiant", "adresse"]' in details
    assert "mot_de_passe" not in details and "faux" not in details


def test_bare_app_form_goes_through_the_brake(demo_path, monkeypatch, tmp_path, fichier):
    from tests.test_pages import _login

    monkeypatch.setenv("FLUX_SECRET", SECRET)
    at = app_sur(demo_path, monkeypatch, tmp_path, fichier)
    at.run()
    store = sessions.magasin(fichier)
    for _ in range(10):
        store.noter("marc", None, False)
    _login(at, "marc", "mdp-marc")
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Connexion"]
    assert at.error[0].value.startswith("Trop de tentatives de connexion échouées")
    _login(at, "lea", "mdp-lea")  # same address (the test's): locked too
    assert at.error[0].value.startswith("Trop de tentatives de connexion échouées")


# -- the server's pages -----------------------------------------------------------------------
class Reponse:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        self.status_code, self.liste, self.text = status, headers, body.decode()
        self.headers = {k: v for k, v in headers}

    def set_cookies(self) -> list[str]:
        return [v for k, v in self.liste if k == "set-cookie"]


class Client:
    """A browser's minimum over an ASGI app, run in this thread: one cookie jar (paths
    ignored, Max-Age=0 deletes), no redirect followed. (starlette.testclient needs httpx,
    which the project does not install.)"""

    def __init__(self, app):
        self.app, self.cookies = app, {}

    def get(self, path, params=None, headers=None):
        return self.request("GET", path + ("?" + urlencode(params) if params else ""),
                            headers=headers)

    def post(self, path, data, headers=None):
        return self.request("POST", path, urlencode(data).encode(), {
            "content-type": "application/x-www-form-urlencoded", **(headers or {})})

    def request(self, method, target, body=b"", headers=None):
        path, _, query = target.partition("?")
        entetes = {"host": "testserver", **(headers or {})}
        if self.cookies:
            entetes["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": query.encode(), "root_path": "",
                 "headers": [(k.lower().encode(), v.encode()) for k, v in entetes.items()],
                 "client": ("testclient", 50000), "server": ("testserver", 80)}
        morceaux = body if isinstance(body, list) else [body]
        sent = []
        messages = [{"type": "http.request", "body": m, "more_body": i < len(morceaux) - 1}
                    for i, m in enumerate(morceaux)]
        self.lus = 0  # body messages the app read

        async def receive():
            if messages:
                self.lus += 1
                return messages.pop(0)
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        asyncio.run(self.app(scope, receive, send))
        start = next(m for m in sent if m["type"] == "http.response.start")
        reponse = Reponse(start["status"], [(k.decode(), v.decode()) for k, v in
                                            start["headers"]],
                          b"".join(m.get("body", b"") for m in sent
                                   if m["type"] == "http.response.body"))
        for header in reponse.set_cookies():
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return reponse


@pytest.fixture
def client(monkeypatch, tmp_path, fichier):
    monkeypatch.setenv("FLUX_UTILISATEURS", str(fichier))
    monkeypatch.setenv("FLUX_SESSIONS", str(tmp_path / "web.sqlite3"))
    monkeypatch.setenv("FLUX_SECRET", SECRET)
    monkeypatch.setenv("FLUX_DB", str(tmp_path))  # no base: locks go to stderr
    for name in ("FLUX_SESSION_HEURES", "FLUX_VERROU_ECHECS", "FLUX_VERROU_MINUTES"):
        monkeypatch.delenv(name, raising=False)

    async def page(request):
        return PlainTextResponse(f"page {request.url.path}")

    app = Starlette(routes=[*connexion.routes(), Route("/", page), Route("/jauges", page),
                            Route("/_stcore/health", page), Route("/static/app.js", page)],
                    middleware=[Middleware(connexion.ExigerSession)])
    return Client(app)


def _jeton(client, suite="/jauges"):
    r = client.get("/_flux/connexion", params={"suite": suite})
    assert r.status_code == 200
    assert any(c.startswith("flux_csrf=") for c in r.set_cookies())
    return re.search(r'name="jeton" value="([^"]+)"', r.text)[1]


def _poster(client, login="marc", mdp="mdp-marc", suite="/jauges", jeton=None, **kw):
    jeton = _jeton(client, suite) if jeton is None else jeton
    return client.post("/_flux/connexion", {"identifiant": login, "mot_de_passe": mdp,
                                             "suite": suite, "jeton": jeton}, **kw)


def test_pages_need_a_session_assets_do_not(client):
    r = client.get("/jauges?annee=2026")
    assert r.status_code == 303
    assert r.headers["location"] == "/_flux/connexion?suite=%2Fjauges%3Fannee%3D2026"
    assert client.get("/_stcore/health").text == "page /_stcore/health"
    assert client.get("/static/app.js").status_code == 200
    page = client.get("/_flux/connexion")
    assert page.headers["content-type"].startswith("text/html")
    assert 'lang="fr"' in page.text and "Identifiant" in page.text and "http" not in page.text


def test_sign_in_sets_a_private_cookie_then_signs_out_everywhere(client):
    r = _poster(client)
    assert (r.status_code, r.headers["location"]) == (303, "/jauges")
    cookie = next(v for v in r.set_cookies() if v.startswith("flux_session="))
    attributs = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/", "max-age=43200"} <= attributs
    assert "secure" not in attributs
    valeur = client.cookies["flux_session"]
    assert client.get("/jauges").text == "page /jauges"
    # a second tab: the same cookie, and the sign-in page sends it straight on
    assert client.get("/_flux/connexion?suite=/").headers["location"] == "/"
    r = client.get("/_flux/deconnexion")
    assert (r.status_code, r.headers["location"]) == (303, "/_flux/connexion?fin=1")
    assert "flux_session" not in client.cookies
    client.cookies["flux_session"] = valeur  # another tab still holding it
    assert client.get("/jauges").status_code == 303
    assert "Vous êtes déconnecté." in client.get("/_flux/connexion?fin=1").text


def test_secure_cookie_behind_an_https_proxy(client):
    r = _poster(client, headers={"X-Forwarded-Proto": "https"})
    cookie = next(v for v in r.set_cookies() if v.startswith("flux_session="))
    assert "secure" in cookie.lower()


@pytest.mark.parametrize("suite", ["https://evil.example/", "//evil.example/x",
                                   "/\\evil.example", "javascript:alert(1)", "jauges",
                                   "/_flux/deconnexion"])
def test_next_page_stays_on_this_site(client, suite):
    r = _poster(client, suite=suite)
    assert (r.status_code, r.headers["location"]) == (303, "/")


def test_login_csrf_refused(client):
    jeton = _jeton(client)
    for forged in ("", "abc.def", jeton + "x"):
        r = _poster(client, jeton=forged)
        assert r.status_code == 403 and "flux_session" not in client.cookies
        assert "Le formulaire a expiré ou ne vient pas de ce site" in r.text
    # the cookie half missing (a form posted from another site)
    del client.cookies["flux_csrf"]
    assert client.post("/_flux/connexion", {"identifiant": "marc", "jeton": jeton,
                                            "mot_de_passe": "mdp-marc"}).status_code == 403


def test_wrong_password_then_lock_on_the_page(client, tmp_path, fichier):
    r = _poster(client, mdp="faux")
    assert r.status_code == 401 and "Identifiant ou mot de passe incorrect." in r.text
    assert 'value="marc"' in r.text and "faux" not in r.text
    store = sessions.magasin(fichier)
    for _ in range(9):
        store.noter("marc", "testclient", False)
    r = _poster(client)
    assert r.status_code == 429 and "la connexion est bloquée jusqu" in r.text
    assert "flux_session" not in client.cookies


def test_open_mode_has_no_sign_in(client, monkeypatch):
    monkeypatch.setenv("FLUX_UTILISATEURS", "aucun")
    assert client.get("/jauges").text == "page /jauges"
    assert client.get("/_flux/connexion").headers["location"] == "/"


def test_oversized_form_refused_before_reading(client):
    jeton = _jeton(client)
    r = client.request("POST", "/_flux/connexion", b"x" * 100, {
        "content-type": "application/x-www-form-urlencoded", "content-length": "200000000"})
    assert r.status_code == 413 and client.lus == 0
    assert "Le formulaire envoyé est trop volumineux" in r.text and 'lang="fr"' in r.text
    # no Content-Length (chunked): read only until the limit is passed
    debut = urlencode({"identifiant": "marc", "mot_de_passe": "mdp-marc", "jeton": jeton})
    r = client.request("POST", "/_flux/connexion", [debut.encode()] + [b"x" * 10_000] * 50,
                       {"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and client.lus == 3
    assert "flux_session" not in client.cookies
    assert _poster(client).status_code == 303  # a normal form still signs in


def test_server_waits_without_holding_a_thread(client, monkeypatch):
    """The brake's wait on the server is an async sleep, never time.sleep in a worker."""
    attentes = []

    async def dormir(delai):
        attentes.append(delai)

    def interdit(delai):
        raise AssertionError("time.sleep on the server")

    monkeypatch.setattr(connexion.anyio, "sleep", dormir)
    monkeypatch.setattr(time, "sleep", interdit)
    statuts = [_poster(client, mdp="faux").status_code for _ in range(5)]
    assert statuts == [401] * 5 and attentes == [1.0, 2.0]
    assert _poster(client).status_code == 303 and attentes == [1.0, 2.0, 4.0]
