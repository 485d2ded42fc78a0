"""Hostile argument lists over every subcommand of the CLI (issue 29): each one must end with a
French message on stderr and a non-zero exit code, never a Python traceback, and must not
create the output file it was refused."""

from __future__ import annotations

import argparse
import os
import re

import pytest

from fluxcore.__main__ import build_parser, main
from fluxcore.db import Database
from tests import factory

ANNEES = ["0", "-1", "abc", "99999", "1999", "2101", ""]
DEPARTEMENTS = ["00", "2C", "975x", "100", ""]
EPCIS = ["123", "999999999", "abc"]
COMMUNES = ["00000", "99999", "51"]
ENTIERS = ["abc", "1.5", "", "-1", "99999999999"]
SORTIES = {"--out", "--rapport", "--sortie", "--xlsx", "--zip", "--pdf", "--dossier"}
CREE = {("backup", "--out")}    # backup creates the missing folders of its file
DOSSIERS = {("export", "--out"), ("modeles", "--out"), ("bilan", "--out"),
            ("bench", "--dossier")}
ANGLAIS = re.compile(r"\b(usage|error|invalid|argument[s]? (is|are) required|unrecognized|"
                     r"expected|choose from)\b")


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "petite.duckdb"
    db = Database(path)
    factory.small_year(db)
    db.close()
    return path


def _sous_commandes() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    out = {}
    for nom, p in sub.choices.items():
        inner = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        if inner:                                   # sne rapprocher
            for action, q in inner[0].choices.items():
                out[f"{nom} {action}"] = q
        else:
            out[nom] = p
    return out


def _valeurs_requises(commande: str, parser, base, tmp) -> list[str]:
    """A minimal argument list the command accepts (required arguments filled)."""
    argv = commande.split()
    scenario = tmp / "scenario.json"
    scenario.write_text("{}", encoding="utf-8")
    csv = tmp / "vide.csv"
    csv.write_text("a;b\n", encoding="utf-8")
    for a in parser._actions:
        if not a.required:
            continue
        opt = a.option_strings[0] if a.option_strings else None
        dest = a.dest
        valeur = {"db": str(base), "annee": "2026", "out": str(tmp / f"sortie_{argv[0]}"),
                  "liberation": "B1", "scenario": str(scenario), "source": str(base),
                  "fichiers": str(csv)}.get(dest, "x")
        argv += [opt, valeur] if opt else [valeur]
    if commande == "utilisateur":
        argv += ["--fichier", str(tmp / "comptes.toml"), "--sans-mot-de-passe"]
    if commande == "demo":                  # never build a demo: the file exists
        argv[argv.index("--db") + 1] = str(base)
    if commande == "bench":                 # never run the bench
        argv += ["--scale", "petit", "--dossier", str(tmp / "bench")]
    return argv


def _remplacer(argv: list[str], opt: str, valeur: str) -> list[str]:
    argv = list(argv)
    if opt in argv:
        argv[argv.index(opt) + 1] = valeur
    else:
        argv += [opt, valeur]
    return argv


def _cas(base, tmp) -> list[tuple[str, list[str], str | None]]:
    """(identifiant, argv, chemin qui ne doit pas être créé)."""
    manquant = tmp / "nulle_part" / "sous"
    dossier = tmp / "un_dossier"
    dossier.mkdir(exist_ok=True)
    fichier = tmp / "un_fichier.txt"
    fichier.write_text("x", encoding="utf-8")
    cas = [("vide", [], None), ("commande inconnue", ["zzz"], None),
           ("option seule", ["--db", "x"], None), ("sne sans action", ["sne"], None),
           ("sne action inconnue", ["sne", "zzz"], None)]
    for commande, parser in _sous_commandes().items():
        ok = _valeurs_requises(commande, parser, base, tmp)
        cas.append((f"{commande} inconnue", [*ok, "--option-inconnue"], None))
        cas.append((f"{commande} nul", [*ok, "--db", "a\0b"], None))
        for a in parser._actions:
            if not a.option_strings or a.nargs == 0 or a.dest == "help":
                continue
            opt = a.option_strings[0]
            cas.append((f"{commande} {opt} sans valeur", [*commande.split(), opt], None))
            if a.choices:
                cas.append((f"{commande} {opt} choix", _remplacer(ok, opt, "zzz"), None))
            if opt == "--annee":
                cas += [(f"{commande} --annee {v}", _remplacer(ok, opt, v), None)
                        for v in ANNEES]
            elif getattr(a.type, "__name__", "") in ("int", "entier"):
                cas += [(f"{commande} {opt} {v}", _remplacer(ok, opt, v), None)
                        for v in ENTIERS]
            elif opt == "--departement":
                cas += [(f"{commande} --departement {v}", _remplacer(ok, opt, v), None)
                        for v in DEPARTEMENTS]
            elif opt == "--epci":
                cas += [(f"{commande} --epci {v}", _remplacer(ok, opt, v), None) for v in EPCIS]
            elif opt == "--commune":
                cas += [(f"{commande} --commune {v}", _remplacer(ok, opt, v), None)
                        for v in COMMUNES]
            elif opt == "--date":
                cas += [(f"{commande} --date {v}", _remplacer(ok, opt, v), None)
                        for v in ("23/11/2026", "2026-02-30", "")]
            if opt in SORTIES and (commande, opt) not in CREE:
                cible = manquant / "sortie.bin"
                cas.append((f"{commande} {opt} dossier manquant",
                            _remplacer(ok, opt, str(cible)), str(cible)))
                cas.append((f"{commande} {opt} nul", _remplacer(ok, opt, str(tmp / "a\0b")),
                            None))
                if (commande, opt) in DOSSIERS:
                    cas.append((f"{commande} {opt} fichier existant",
                                _remplacer(ok, opt, str(fichier)), None))
                else:
                    cas.append((f"{commande} {opt} dossier existant",
                                _remplacer(ok, opt, str(dossier)), None))
        if commande == "backup":
            cas.append(("backup --out sous un fichier",
                        _remplacer(ok, "--out", str(fichier / "b.duckdb")), None))
        if "--db" in ok:
            cas += [(f"{commande} --db dossier", _remplacer(ok, "--db", str(dossier)), None),
                    (f"{commande} --db manquant",
                     _remplacer(ok, "--db", str(manquant / "x.duckdb")), str(manquant))]
        if commande in ("restore", "recuperer"):
            opt = "--from" if commande == "restore" else "--depuis"
            cas += [(f"{commande} {opt} absent", _remplacer(ok, opt, str(tmp / "absent")),
                     None),
                    (f"{commande} {opt} dossier", _remplacer(ok, opt, str(dossier)), None)]
    return cas


def test_chaque_sous_commande_est_couverte():
    noms = set(_sous_commandes())
    assert {"jauges", "objectifs", "import", "export", "bilan", "sne rapprocher"} <= noms


def _lancer(argv, capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:           # argparse may still exit: the code must be non-zero
        code = exc.code
    return code, capsys.readouterr().err


def test_arguments_hostiles(base, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FLUX_UTILISATEURS", str(tmp_path / "comptes.toml"))
    monkeypatch.delenv("FLUX_DEBUG", raising=False)
    echecs = []
    cas = _cas(base, tmp_path)
    assert len(cas) > 150
    for nom, argv, interdit in cas:
        code, err = _lancer(argv, capsys)
        if not code:
            echecs.append(f"{nom}: code {code!r} ({argv})")
        elif "Traceback" in err or not err.strip():
            echecs.append(f"{nom}: stderr {err[-300:]!r}")
        elif ANGLAIS.search(err.lower().replace("usage :", "")):
            echecs.append(f"{nom}: anglais {err[-300:]!r}")
        if interdit and os.path.lexists(interdit):
            echecs.append(f"{nom}: {interdit} créé")
        assert (tmp_path / "nulle_part").exists() is False, nom
    assert not echecs, "\n".join(echecs)


def test_un_appel_correct_marche_toujours(base, tmp_path, capsys):
    assert main(["jauges", "--db", str(base), "--annee", "2026", "--departement", "51",
                 "--date", "2026-11-23", "--format", "csv"]) == 0
    assert "BAILLEUR;" in capsys.readouterr().out
    assert main(["jauges", "--db", str(base), "--annee", "2026", "--epci", " 200069250",
                 "--format", "json"]) == 0
    assert main(["objectifs", "--db", str(base), "--annee", "2026", "--epci", "200067213",
                 "--format", "json"]) == 0
    assert main(["export", "--db", str(base), "--out", str(tmp_path / "exp")]) == 0
    assert (tmp_path / "exp" / "logement.csv").exists()
    assert main(["backup", "--db", str(base), "--out", str(tmp_path / "b.duckdb")]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("argv", [
    ["objectifs", "--annee", "2026", "--epci", "200054781"],       # Métropole du Grand Paris
    ["objectifs", "--annee", "2026", "--departement", "75"],
    ["jauges", "--annee", "2026", "--departement", "75"],
    ["jauges", "--annee", "2026", "--commune", "75056"],
    ["fragilite", "--epci", "200054781"]])
def test_territoire_connu_hors_patrimoine(base, capsys, argv):
    code, err = _lancer([*argv, "--db", str(base)], capsys)
    assert code == 2 and "aucune résidence du patrimoine" in err and "Traceback" not in err


def test_base_vide(tmp_path, capsys):
    db = tmp_path / "vide.duckdb"
    assert main(["migrate", "--db", str(db)]) == 0
    for argv in (["objectifs", "--annee", "2026"],
                 ["bilan", "--annee", "2025", "--out", str(tmp_path / "bilan")]):
        code, err = _lancer([*argv, "--db", str(db)], capsys)
        assert code == 2 and "Traceback" not in err and "Erreur" in err, argv


def test_rapport_refuse_avant_import(tmp_path, capsys):
    db = tmp_path / "i.duckdb"
    assert main(["migrate", "--db", str(db)]) == 0
    src = tmp_path / "reservataire.csv"
    src.write_text("reservataire_id;nom;type;territoire\nX;Préfet;PREFET;51\n", encoding="utf-8")
    code, err = _lancer(["import", "--db", str(db), str(src), "--rapport",
                         str(tmp_path / "absent" / "r.csv")], capsys)
    assert code and "Traceback" not in err and "rapport" in err
    d = Database(db, read_only=True)
    try:
        assert d.scalar("select count(*) from reservataire") == 0
    finally:
        d.close()


def test_erreur_inattendue_en_francais(base, capsys, monkeypatch):
    import fluxcore.__main__ as cli

    def boum(args):
        raise RuntimeError("boum")

    monkeypatch.setitem(cli.COMMANDS, "info", boum)
    monkeypatch.delenv("FLUX_DEBUG", raising=False)
    code, err = _lancer(["info", "--db", str(base)], capsys)
    assert code and "Traceback" not in err and "inattendue" in err

    import duckdb

    for exc in (MemoryError(), duckdb.OutOfMemoryException("Out of Memory Error")):
        def oom(args, exc=exc):
            raise exc

        monkeypatch.setitem(cli.COMMANDS, "info", oom)
        code, err = _lancer(["info", "--db", str(base)], capsys)
        assert code and "mémoire insuffisante" in err and "Traceback" not in err
    monkeypatch.setenv("FLUX_DEBUG", "1")
    code, err = _lancer(["info", "--db", str(base)], capsys)
    assert code and "Traceback" in err and "mémoire insuffisante" in err
