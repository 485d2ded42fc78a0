"""Regenerate the lock files requirements.lock and requirements-dev.lock.

Usage (from the repository root; needs PyPI, nothing else):

    python3 tools/verrouiller.py             # same versions as the current locks where
                                             # they still fit requirements*.txt
    python3 tools/verrouiller.py --upgrade   # the newest versions the lower bounds allow
    make lock                                # the same as the first line

What it writes: every dependency, direct and transitive, pinned to one exact version with the
sha256 of EVERY file PyPI publishes for that version (`--hash=sha256:…`), so that
`pip install --require-hashes -r requirements.lock` gives the same packages on any machine
(`make run`, `make test`, CI, the server) and refuses a file that was altered. The resolution
is universal (uv's `--universal`) from Python 3.11 up: one file serves Linux x86_64 with
Python 3.11, 3.12 and 3.13, the platforms the project supports (and the others, by markers).

requirements.txt and requirements-dev.txt keep their lower bounds: they are for whoever
installs the package into an environment of their own.

The tool is uv (`uv pip compile`), installed from PyPI into a throwaway virtual environment in
the system's temporary folder, outside the project: nothing is added to .venv. The existing
lock files are uv's preferences (versions kept unless --upgrade or a bound moved), and
requirements-dev.lock is resolved with requirements.lock as constraints, so that both files
pin the same version of every package they share.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

RACINE = Path(__file__).resolve().parent.parent
UV_VERSION = "uv>=0.5"
PYTHON_MIN = "3.11"
VERROUS = (("requirements.txt", "requirements.lock", None),
           ("requirements-dev.txt", "requirements-dev.lock", "requirements.lock"))


def uv_jetable(dossier: Path) -> Path:
    """uv installed from PyPI into a virtual environment in `dossier` (deleted afterwards)."""
    env = dossier / "venv-uv"
    venv.create(env, with_pip=True)
    subprocess.run([str(env / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", UV_VERSION], check=True)
    return env / "bin" / "uv"


def compiler(uv: Path, source: str, sortie: str, contrainte: str | None,
             upgrade: bool) -> None:
    commande = [str(uv), "pip", "compile", source, "--output-file", sortie,
                "--generate-hashes", "--universal", "--python-version", PYTHON_MIN,
                "--no-build", "--quiet",
                "--custom-compile-command", "python3 tools/verrouiller.py"]
    if contrainte:
        commande += ["--constraint", contrainte]
    if upgrade:
        commande.append("--upgrade")
    # uv alone decides the index (PyPI): no pip configuration of this machine leaks in
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "UV_INDEX", "UV_EXTRA_INDEX", "UV_FIND_LINKS"))}
    subprocess.run(commande, cwd=RACINE, env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Régénérer requirements.lock et "
                                                 "requirements-dev.lock (versions exactes et "
                                                 "empreintes sha256).")
    parser.add_argument("--upgrade", action="store_true",
                        help="prendre les versions les plus récentes permises par les bornes")
    parser.add_argument("--uv", help="chemin d'un uv déjà installé (sinon : installé dans un "
                                     "environnement jetable)")
    args = parser.parse_args(argv)
    dossier = Path(tempfile.mkdtemp(prefix="verrouiller-"))
    try:
        trouve = args.uv or shutil.which("uv")
        uv = Path(trouve) if trouve else uv_jetable(dossier)
        for source, sortie, contrainte in VERROUS:
            compiler(uv, source, sortie, contrainte, args.upgrade)
            print(f"{sortie} écrit.")
    except subprocess.CalledProcessError as exc:
        print(f"Erreur : la commande « {' '.join(map(str, exc.cmd))} » a échoué "
              f"(code {exc.returncode}) ; les fichiers .lock sont inchangés ou partiels : "
              "vérifiez l'accès à PyPI, puis relancez.", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(dossier, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
