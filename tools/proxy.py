"""Debian's nginx in front of a test server, configured by deploy/nginx-flux.conf itself.

`write_test_config` turns the deployed site file into a complete nginx configuration that an
unprivileged test can run: the same directives, with only the listening ports, the server
name, the certificate paths and the upstream port substituted, wrapped in the main context
(pid, logs and temporary files under a test directory). Every substitution must match, so a
change of form in the deployed file fails loudly instead of testing something else.
Used by tests/test_deploiement.py. No pytest import here.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx-flux.conf"
NGINX = Path("/usr/sbin/nginx")
APP_PORT = 8501          # the application's port in the deployed files
SERVER_NAME = "flux.bailleur.fr"


def missing_nginx() -> str | None:
    """Why nginx cannot run here, or None."""
    if not NGINX.exists():
        return f"{NGINX} absent (apt-get install nginx-light ; .ci/run l'installe)"
    return None


def self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A throwaway certificate for `host` (an IP address), valid two days: (cert, key)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def _sub(pattern: str, repl: str, text: str, count: int) -> str:
    """re.subn that insists on exactly `count` matches (multiline)."""
    out, n = re.subn(pattern, repl, text, flags=re.M)
    if n != count:
        raise ValueError(f"{SITE.name} : {n} occurrence(s) de {pattern!r}, {count} attendue(s)"
                         " ; adaptez tools/proxy.py à la nouvelle forme du fichier")
    return out


def write_test_config(directory: Path, *, http_port: int, https_port: int, app_port: int,
                       cert: Path, key: Path, site: str | None = None,
                       host: str = "127.0.0.1") -> Path:
    """Write `directory/nginx.conf`: the site file (`site`, by default deploy/nginx-flux.conf)
    with its own directives, listening on host:http_port (the HTTP → HTTPS redirection) and
    host:https_port (TLS with `cert`/`key`), proxying to host:app_port, answering to `host`
    instead of the production name; pid, logs and temporary files in `directory`.
    IPv6 listens are dropped (the test runs on 127.0.0.1 only). Returns the file."""
    text = SITE.read_text(encoding="utf-8") if site is None else site
    text = _sub(r"^\s*listen \[::\]:(80|443)( ssl)?;\n", "", text, 2)
    text = _sub(r"^(\s*)listen 80;", rf"\g<1>listen {host}:{http_port};", text, 1)
    text = _sub(r"^(\s*)listen 443 ssl;", rf"\g<1>listen {host}:{https_port} ssl;", text, 1)
    text = _sub(rf"server_name {re.escape(SERVER_NAME)};", f"server_name {host};", text, 2)
    text = _sub(r"^(\s*)ssl_certificate\s+\S+;", rf"\g<1>ssl_certificate {cert};", text, 1)
    text = _sub(r"^(\s*)ssl_certificate_key\s+\S+;", rf"\g<1>ssl_certificate_key {key};",
                text, 1)
    text = _sub(rf"proxy_pass http://127\.0\.0\.1:{APP_PORT};",
                f"proxy_pass http://{host}:{app_port};", text, 3)
    directory.mkdir(parents=True, exist_ok=True)
    temp = {kind: directory / kind for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    # as root, workers would run as nobody, who cannot enter the test's private directory
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} notice;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    access_log {directory / 'access.log'};\n"
        + "".join(f"    {kind}_temp_path {path};\n" for kind, path in temp.items())
        + "    # ---- deploy/nginx-flux.conf ----\n"
        + text + "}\n", encoding="utf-8")
    return conf


def check(conf: Path) -> subprocess.CompletedProcess:
    """`nginx -t` on a configuration written by write_test_config."""
    return subprocess.run([str(NGINX), "-t", "-p", str(conf.parent), "-c", str(conf),
                           "-e", str(conf.parent / "error.log")],
                          capture_output=True, text=True)


@dataclass
class Proxy:
    proc: subprocess.Popen
    conf: Path
    http_port: int
    https_port: int
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.https_port}"

    def log(self) -> str:
        path = self.conf.parent / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()          # SIGTERM: nginx's fast shutdown
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _listening(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def start(conf: Path, http_port: int, https_port: int, timeout: float = 30,
          host: str = "127.0.0.1") -> Proxy:
    """Run nginx in the foreground on `conf`; return once both ports accept connections."""
    out = open(conf.parent / "nginx.out", "w")  # noqa: SIM115 (kept open for the process)
    proc = subprocess.Popen([str(NGINX), "-p", str(conf.parent), "-c", str(conf),
                             "-e", str(conf.parent / "error.log")],
                            stdout=out, stderr=subprocess.STDOUT)
    out.close()
    proxy = Proxy(proc, conf, http_port, https_port, host)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx s'est arrêté (code {proc.returncode}) :\n"
                               + (conf.parent / "nginx.out").read_text() + proxy.log())
        if _listening(host, http_port) and _listening(host, https_port):
            return proxy
        time.sleep(0.1)
    proxy.stop()
    raise TimeoutError(f"nginx n'écoute pas après {timeout} s :\n{proxy.log()}")


@contextlib.contextmanager
def running(directory: Path, app_port: int, **ports) -> Iterator[Proxy]:
    """nginx from deploy/nginx-flux.conf in front of 127.0.0.1:app_port, on free ports (or
    `http_port=`, `https_port=`), with a fresh self-signed certificate; stopped on exit."""
    from tools.browser import free_port

    http_port = ports.get("http_port") or free_port()
    https_port = ports.get("https_port") or free_port()
    cert, key = self_signed(directory / "tls")
    conf = write_test_config(directory, http_port=http_port, https_port=https_port,
                              app_port=app_port, cert=cert, key=key)
    proxy = start(conf, http_port, https_port)
    try:
        yield proxy
    finally:
        proxy.stop()
