"""Issue 27: the deployment files of deploy/ are the ones that run.

Fast checks (default run): the Docker image recipe, the systemd unit (`systemd-analyze verify`
when present), the nginx site (`nginx -t` when nginx is installed), the environment file.
Browser check (`-m browser`): deploy/nginx-flux.conf itself (ports, name and certificates
substituted by tools/proxy.py) runs in Debian's nginx in front of `streamlit run serveur.py`;
Chromium opens every page through it (HTTPS, WebSocket), imports a file, downloads the import
templates; nginx refuses an oversized upload with 413 before the application sees it.
The Docker image itself is not built here (no Docker daemon on the CI machine).
"""

from __future__ import annotations

import http.client
import io
import re
import shutil
import ssl
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tools import browser as b
from tools import proxy

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
UNIT = (DEPLOY / "flux.service").read_text(encoding="utf-8")
SITE = (DEPLOY / "nginx-flux.conf").read_text(encoding="utf-8")
ENV = (DEPLOY / "flux.env").read_text(encoding="utf-8")
LIMITE_MO = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))[
    "server"]["maxUploadSize"]
sans_nginx = pytest.mark.skipif(proxy.missing_nginx() is not None,
                                reason=f"nginx absent : {proxy.missing_nginx()}")


def instructions(text: str) -> list[tuple[str, str]]:
    """Dockerfile instructions (keyword, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", re.sub(r"^\s*#.*\n", "", text, flags=re.M))
    return [(m[1].upper(), m[2].strip()) for m in
            re.finditer(r"^\s*([A-Za-z]+)\s+(.*)$", joined, re.M)]


def env_file() -> dict[str, str]:
    return dict(line.split("=", 1) for line in ENV.splitlines()
                if line.strip() and not line.startswith("#"))


# -- Docker image --------------------------------------------------------------------------
def test_dockerfile_runs_the_server_as_a_fixed_unprivileged_user():
    steps = instructions(DOCKERFILE)
    keys = [k for k, _ in steps]
    assert steps[0][0] == "FROM" and steps[0][1].startswith("python:3.11-slim")
    users = [v for k, v in steps if k == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0")
    uid = re.search(r"useradd .*--uid (\d+)", DOCKERFILE)
    assert uid and int(uid[1]) >= 1000 and users[-1] in ("flux", uid[1])
    # the user comes after every installation step and before the command
    assert keys.index("USER") > max(i for i, (k, v) in enumerate(steps)
                                    if k == "RUN" and "pip" in v)
    assert keys.index("USER") < keys.index("CMD")


def test_dockerfile_installs_the_locked_hashes_only():
    runs = [v for k, v in instructions(DOCKERFILE) if k == "RUN"]
    pips = [r for r in runs if "pip install" in r]
    assert len(pips) == 1
    assert "--require-hashes" in pips[0] and "-r requirements.lock" in pips[0]
    assert "requirements.txt" not in DOCKERFILE
    assert not any(re.search(r"\bapt-get install|\bcurl\b|\bwget\b", r) for r in runs)


def test_dockerfile_volume_environment_health_and_command():
    steps = instructions(DOCKERFILE)
    assert ("VOLUME", "/srv/flux") in steps or ("VOLUME", '["/srv/flux"]') in steps
    envs = " ".join(v for k, v in steps if k == "ENV")
    for variable in ("FLUX_DB=/srv/flux/", "FLUX_UTILISATEURS=/srv/flux/",
                     "FLUX_SAUVEGARDES=/srv/flux/sauvegardes"):
        assert variable in envs
    assert not re.search(r"SECRET|MOT_DE_PASSE|PASSWORD", envs)
    expose = [v for k, v in steps if k == "EXPOSE"]
    health = [v for k, v in steps if k == "HEALTHCHECK"]
    assert len(expose) == 1 and len(health) == 1
    port = expose[0].split("/")[0]
    assert f"http://127.0.0.1:{port}/_flux/sante" in health[0]
    assert "urllib" in health[0] and "curl" not in health[0]
    cmd = [v for k, v in steps if k == "CMD"][-1]
    assert '"serveur.py"' in cmd and '"0.0.0.0"' in cmd and f'"{port}"' in cmd


def test_dockerignore_keeps_data_and_secrets_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in (".git", ".venv", "utilisateurs.toml", ".streamlit/secrets.toml",
                    "data/*.duckdb"):
        assert pattern in ignored
    assert "requirements.lock" not in ignored and "data/ref" not in ignored


# -- systemd unit ----------------------------------------------------------------------------
def test_unit_runs_serveur_py_hardened():
    exec_start = re.search(r"^ExecStart=(.*)$", UNIT, re.M)[1]
    assert "streamlit run serveur.py" in exec_start
    assert "--server.address 127.0.0.1" in exec_start
    for line in ("User=flux", "ProtectSystem=strict", "ReadWritePaths=/srv/flux",
                 "ProtectHome=true", "PrivateTmp=true", "NoNewPrivileges=true", "UMask=0077",
                 "EnvironmentFile=/etc/flux/flux.env", "Restart=always"):
        assert re.search(rf"^{re.escape(line)}$", UNIT, re.M), line


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze absent : seul le contrôle statique de l'unité passe")
def test_unit_passes_systemd_analyze_verify(tmp_path):
    """Every directive is one systemd knows. The virtual environment of the server is replaced
    by this Python (verify insists on an existing executable)."""
    unit = tmp_path / "flux.service"
    unit.write_text(UNIT.replace("/opt/flux/.venv/bin/python", sys.executable),
                    encoding="utf-8")
    out = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                         text=True)
    assert (out.returncode, out.stdout + out.stderr) == (0, "")


# -- environment file ------------------------------------------------------------------------
def test_env_file_lists_every_documented_variable():
    env = env_file()
    commented = set(re.findall(r"^#\s*([A-Z_]+)=", ENV, re.M))
    doc = (ROOT / "docs" / "deploiement.md").read_text(encoding="utf-8")
    for variable in ("FLUX_DB", "FLUX_UTILISATEURS", "FLUX_SAUVEGARDES",
                     "FLUX_SAUVEGARDE_HEURES", "FLUX_SAUVEGARDES_GARDER",
                     "FLUX_COPIE_LECTURE_MINUTES", "FLUX_SECRET", "FLUX_SESSIONS",
                     "FLUX_SESSION_HEURES", "FLUX_MEMOIRE", "FLUX_TEMP",
                     "STREAMLIT_SERVER_MAX_UPLOAD_SIZE", "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS"):
        assert variable in env or variable in commented, variable
        assert f"`{variable}`" in doc, variable
    assert all(path.startswith("/srv/flux") for key, path in env.items()
               if key in ("FLUX_DB", "FLUX_UTILISATEURS", "FLUX_SAUVEGARDES"))


# -- nginx site ------------------------------------------------------------------------------
def location(name: str) -> str:
    return re.search(rf"location {re.escape(name)} \{{(.*?)\n    \}}", SITE, re.S)[1]


def test_site_websocket_tls_and_headers():
    assert re.search(r"map \$http_upgrade \$connection_upgrade \{\s*default upgrade;\s*"
                     r"''\s+close;\s*\}", SITE)
    stream = location("= /_stcore/stream")
    for directive in ("proxy_set_header Upgrade $http_upgrade;",
                      "proxy_set_header Connection $connection_upgrade;",
                      "proxy_set_header Host $http_host;",
                      "proxy_set_header X-Forwarded-Proto $scheme;", "proxy_buffering off;"):
        assert directive in stream
    assert "return 301 https://$host$request_uri;" in SITE
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in SITE
    for header in ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options",
                   "Referrer-Policy", "Content-Security-Policy"):
        assert re.search(rf"^\s*add_header {header} .* always;$", SITE, re.M), header
    assert "frame-ancestors 'self'" in SITE
    assert re.findall(r"client_max_body_size (\d+)m;", SITE) == [str(LIMITE_MO + 1)]


def test_test_config_changes_only_ports_names_and_paths(tmp_path):
    """The configuration the browser test runs is the deployed one, directive for directive,
    once ports, server name, certificates and upstream port are put back."""
    conf = proxy.write_test_config(tmp_path, http_port=8710, https_port=8711, app_port=8712,
                                   cert=tmp_path / "c.pem", key=tmp_path / "k.pem")
    ran = conf.read_text(encoding="utf-8").split("# ---- deploy/nginx-flux.conf ----\n")[1]
    back = (ran.removesuffix("}\n")
            .replace("127.0.0.1:8710", "80").replace("127.0.0.1:8711 ssl", "443 ssl")
            .replace("127.0.0.1:8712", "127.0.0.1:8501")
            .replace("server_name 127.0.0.1;", "server_name flux.bailleur.fr;")
            .replace(f"ssl_certificate {tmp_path / 'c.pem'};",
                     "ssl_certificate     /etc/letsencrypt/live/flux.bailleur.fr/fullchain.pem;")
            .replace(f"ssl_certificate_key {tmp_path / 'k.pem'};",
                     "ssl_certificate_key /etc/letsencrypt/live/flux.bailleur.fr/privkey.pem;"))
    without_ipv6 = re.sub(r"^\s*listen \[::\].*\n", "", SITE, flags=re.M)
    assert back == without_ipv6


def test_test_config_refuses_a_site_of_another_form(tmp_path):
    with pytest.raises(ValueError, match="listen 80"):
        proxy.write_test_config(tmp_path, http_port=1, https_port=2, app_port=3,
                                cert=tmp_path / "c", key=tmp_path / "k",
                                site=SITE.replace("listen 80;", "listen 8080;"))


@sans_nginx
def test_site_passes_nginx_t(tmp_path):
    cert, key = proxy.self_signed(tmp_path / "tls")
    conf = proxy.write_test_config(tmp_path, http_port=b.free_port(), https_port=b.free_port(),
                                   app_port=8501, cert=cert, key=key)
    out = proxy.check(conf)
    assert out.returncode == 0, out.stderr


# -- the application behind the proxy, in Chromium -------------------------------------------
@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """Demo database, server on 127.0.0.1, nginx in front: (server, proxy, db, reference)."""
    reason = proxy.missing_nginx() or b.missing_requirements()
    if reason:
        pytest.skip(f"test du proxy impossible : {reason}")
    tmp = tmp_path_factory.mktemp("deploiement")
    db = b.make_demo_db(tmp / "demo.duckdb", scale="petit", seed=7, date="2026-11-23")
    reference = shutil.copy(db, tmp / "reference.duckdb")
    log = Path(__file__).resolve().parent / "_artifacts" / "streamlit-proxy.log"
    with (b.running_server(db, log, address="127.0.0.1") as server,
          proxy.running(tmp / "nginx", server.port) as px):
        yield server, px, db, Path(reference)


@pytest.fixture(scope="module")
def chromium():
    with b.chromium() as browser:
        yield browser


def _context(chromium):
    """A browser context that refuses other hosts and records CSP violations and errors."""
    context = chromium.new_context(viewport={"width": b.WIDTH, "height": 1400},
                                   locale="fr-FR", ignore_https_errors=True,
                                   accept_downloads=True)
    ailleurs = b.refuser_ailleurs(context)
    plaintes: list[str] = []
    context.on("console", lambda m: plaintes.append(m.text)
               if "Content Security Policy" in m.text else None)
    return context, ailleurs, plaintes


def _insecure() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


@pytest.mark.browser
def test_every_page_draws_through_the_proxy(deployed, chromium):
    _, px, _, _ = deployed
    context, ailleurs, plaintes = _context(chromium)
    websockets: list[str] = []
    try:
        page = context.new_page()
        page.on("websocket", lambda ws: websockets.append(ws.url))
        for app_page in b.discover_pages():
            page.goto(px.url + app_page.route)
            b.wait_ready(page)
            if app_page.url_path == "residences":       # the map: workers, tiles, glyphs
                page.locator(b.MAP).first.wait_for(timeout=b.LIMITE_MS)
                b.drawn(page)
            assert page.locator(b.EXCEPTION).count() == 0, (
                app_page.url_path, page.locator(b.EXCEPTION).all_inner_texts())
            h1 = page.locator('[data-testid="stMain"] h1').all_inner_texts()
            assert app_page.title in [t.strip() for t in h1], (app_page.url_path, h1)
    finally:
        context.close()
    assert websockets and all(u.startswith(f"wss://127.0.0.1:{px.https_port}/_stcore/stream")
                              for u in websockets)
    assert (ailleurs, plaintes) == ([], [])
    assert "[error]" not in px.log()


@pytest.mark.browser
def test_upload_and_download_through_the_proxy(deployed, chromium, tmp_path):
    """Data › Import: a CSV uploaded and imported; Data › Templates: the ZIP downloaded is the
    one fluxcore builds."""
    from fluxcore.db import Database
    from fluxcore.exports import template_csv_zip

    _, px, _, reference = deployed
    good = tmp_path / "reservataires.csv"
    good.write_text("reservataire_id;nom;type\nCOM-PX;Commune du proxy;COMMUNE\n",
                    encoding="utf-8")
    route = next(p for p in b.discover_pages() if p.url_path == "donnees").route
    context, ailleurs, plaintes = _context(chromium)
    try:
        page = context.new_page()
        page.goto(px.url + route)
        b.wait_ready(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
            str(good))
        page.get_by_role("button", name="Confirmer l'import").click(timeout=b.LIMITE_MS)
        page.get_by_text("Import effectué : 1 ligne ajoutée").first.wait_for(
            timeout=b.LIMITE_MS)
        b.wait_ready(page)
        page.get_by_role("tab", name="Modèles").click()
        with page.expect_download(timeout=b.LIMITE_MS) as download:
            page.get_by_role("button", name="Modèles CSV (ZIP)").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
    finally:
        context.close()
    assert saved.name == "modeles_import.zip"
    db = Database(reference, read_only=True)
    try:
        expected = zipfile.ZipFile(io.BytesIO(template_csv_zip(db)))
    finally:
        db.close()
    got = zipfile.ZipFile(saved)
    assert got.namelist() == expected.namelist()
    assert "reservataire.csv" in got.namelist()
    for name in got.namelist():
        assert got.read(name) == expected.read(name), name
    assert (ailleurs, plaintes) == ([], [])


@pytest.mark.browser
def test_health_check_and_security_headers_through_the_proxy(deployed):
    _, px, _, _ = deployed
    with urllib.request.urlopen(px.url + "/_flux/sante", context=_insecure()) as r:
        assert (r.status, r.read()) == (200, b"ok")
        assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in r.headers["Content-Security-Policy"]


@pytest.mark.browser
def test_nginx_refuses_an_oversized_upload_with_413(deployed):
    """Content-Length above client_max_body_size: nginx answers 413 from the headers alone,
    before any byte of the body (so 300 Mo are announced, none are sent)."""
    _, px, _, _ = deployed
    conn = http.client.HTTPSConnection("127.0.0.1", px.https_port, context=_insecure(),
                                       timeout=60)
    try:
        conn.putrequest("PUT", "/_stcore/upload_file/session/fichier")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str((LIMITE_MO + 100) * 1024 * 1024))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413
        assert b"413 Request Entity Too Large" in response.read()
    finally:
        conn.close()


@pytest.mark.browser
def test_http_redirects_to_https(deployed):
    _, px, _, _ = deployed
    conn = http.client.HTTPConnection("127.0.0.1", px.http_port, timeout=60)
    try:
        conn.request("GET", "/donnees?x=1")
        response = conn.getresponse()
        assert (response.status, response.getheader("Location")) == (
            301, "https://127.0.0.1/donnees?x=1")
    finally:
        conn.close()


@pytest.mark.browser
def test_sign_in_through_the_proxy_sets_a_secure_cookie(chromium, tmp_path):
    """With a users file: the sign-in page, its redirections and the session cookie work
    through nginx (X-Forwarded-Proto: the cookie is Secure; Host: the port is kept)."""
    if reason := proxy.missing_nginx():
        pytest.skip(f"test du proxy impossible : {reason}")
    db = b.make_demo_db(tmp_path / "demo.duckdb", scale="petit", seed=7, date="2026-11-23")
    comptes = tmp_path / "comptes.toml"
    subprocess.run([sys.executable, "-m", "fluxcore", "utilisateur", "--fichier", str(comptes),
                    "--login", "ines", "--role", "admin", "--nom", "Inès Roy"],
                   input="mdp-ines-2026\n", cwd=ROOT, check=True, capture_output=True,
                   text=True)
    env = {"FLUX_UTILISATEURS": str(comptes), "FLUX_SESSIONS": str(tmp_path / "s.sqlite3")}
    log = Path(__file__).resolve().parent / "_artifacts" / "streamlit-proxy-comptes.log"
    with (b.running_server(db, log, env=env, address="127.0.0.1") as server,
          proxy.running(tmp_path / "nginx", server.port) as px):
        context, ailleurs, plaintes = _context(chromium)
        try:
            page = context.new_page()
            page.goto(px.url + "/jauges", wait_until="domcontentloaded")
            page.locator("h1", has_text="Connexion").wait_for(timeout=b.LIMITE_MS)
            assert page.url == f"{px.url}/_flux/connexion?suite=%2Fjauges"
            page.fill("#identifiant", "ines")
            page.fill("#mot_de_passe", "mdp-ines-2026")
            page.click("button[type=submit]")
            page.wait_for_url(f"{px.url}/jauges", timeout=b.LIMITE_MS)
            b.wait_ready(page)
            page.get_by_text("Connecté : Inès Roy (administrateur)").wait_for(timeout=b.LIMITE_MS)
            cookie = next(c for c in context.cookies() if c["name"] == "flux_session")
            assert (cookie["secure"], cookie["httpOnly"]) == (True, True)
            page.reload()
            b.wait_ready(page)
            page.get_by_text("Connecté : Inès Roy (administrateur)").wait_for(timeout=b.LIMITE_MS)
            assert page.url == f"{px.url}/jauges"
        finally:
            context.close()
    assert (ailleurs, plaintes) == ([], [])
