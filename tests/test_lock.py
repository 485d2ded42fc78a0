"""The lock files (issue 27): every name of requirements*.txt pinned to an exact version that
respects its lower bound, every pin with its sha256 hashes, both files agreeing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

RACINE = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)")


def _bornes(nom: str) -> dict[str, Requirement]:
    out = {}
    for ligne in (RACINE / nom).read_text(encoding="utf-8").splitlines():
        ligne = ligne.split("#")[0].strip()
        if ligne and not ligne.startswith("-"):
            r = Requirement(ligne)
            out[canonicalize_name(r.name)] = r
    return out


def _verrou(nom: str) -> dict[str, tuple[str, int]]:
    """name → (version, number of hashes) of a lock file."""
    pins: dict[str, tuple[str, int]] = {}
    courant = None
    for ligne in (RACINE / nom).read_text(encoding="utf-8").splitlines():
        m = PIN.match(ligne)
        if m:
            courant = canonicalize_name(m.group(1))
            assert courant not in pins, f"{nom} : {courant} épinglé deux fois"
            pins[courant] = (m.group(2), 0)
        elif ligne.strip().startswith("--hash=sha256:"):
            assert re.fullmatch(r"--hash=sha256:[0-9a-f]{64}( \\)?", ligne.strip()), ligne
            pins[courant] = (pins[courant][0], pins[courant][1] + 1)
    return pins


@pytest.mark.parametrize(("source", "verrou"), [("requirements.txt", "requirements.lock"),
                                                ("requirements-dev.txt", "requirements-dev.lock")])
def test_lock_pins_every_requirement_within_its_bound(source, verrou):
    pins = _verrou(verrou)
    bornes = _bornes(source) | (_bornes("requirements.txt") if "dev" in source else {})
    for nom, req in bornes.items():
        assert nom in pins, f"{verrou} : {nom} absent"
        assert req.specifier.contains(Version(pins[nom][0])), (nom, pins[nom][0], req)
    sans = [n for n, (_, h) in pins.items() if h == 0]
    assert not sans, f"{verrou} : sans empreinte : {sans}"
    assert len(pins) > len(bornes)       # the transitive dependencies too


def test_both_locks_agree():
    run, dev = _verrou("requirements.lock"), _verrou("requirements-dev.lock")
    assert set(run) <= set(dev)
    assert {n: v for n, (v, _) in run.items()} == {n: dev[n][0] for n in run}


def test_make_installs_from_the_locks_with_hashes():
    makefile = (RACINE / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--require-hashes \\\n\t\t-r requirements-dev.lock" in makefile
