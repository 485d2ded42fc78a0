"""Settings: every one documented, typed, changed with an audit row."""

from __future__ import annotations

import json

import pytest

from fluxcore.errors import ParametreError
from fluxcore.parametres import PARAMETRES, get_parametre, get_parametres, set_parametre


def test_every_setting_is_documented(empty_db):
    for p in PARAMETRES:
        assert len(p.description) > 20, p.cle
        assert p.reference, p.cle
    keys = set(empty_db.df("select cle from parametre")["cle"])
    assert keys == {p.cle for p in PARAMETRES}


def test_domain_defaults(empty_db):
    values = get_parametres(empty_db)
    assert values["lecture_hors_qpv_prefet"] == "A"
    assert values["prefet_taux_max_pct"] == 30.0
    assert values["prefet_fonctionnaires_max_pct"] == 5.0
    assert values["garantie_emprunt_max_pct"] == 20.0
    assert values["cible_q1_hors_qpv_pct"] == 25.0
    assert values["cible_q234_en_qpv_pct"] == 50.0
    assert values["rendu_bailleur_compte_livre"] is True
    assert values["bilan_echeance"] == "02-28"


def test_set_parametre_is_audited(empty_db):
    set_parametre(empty_db, "lecture_hors_qpv_prefet", "B", actor="bob")
    assert get_parametre(empty_db, "lecture_hors_qpv_prefet") == "B"
    row = empty_db.one("select actor, action, entity_id, details from audit_log "
                       "where action = 'parametre.set'")
    assert row[:3] == ("bob", "parametre.set", "lecture_hors_qpv_prefet")
    assert json.loads(row[3]) == {"avant": "A", "apres": "B"}


@pytest.mark.parametrize(("cle", "valeur"), [
    ("lecture_hors_qpv_prefet", "C"), ("prefet_taux_max_pct", "trente"),
    ("rendu_bailleur_compte_livre", 1), ("inconnu", 3)])
def test_invalid_values_are_refused_in_french(empty_db, cle, valeur):
    with pytest.raises(ParametreError):
        set_parametre(empty_db, cle, valeur)


def test_an_untouched_former_default_is_brought_up_to_date(empty_db):
    from fluxcore.db import apply_migrations
    from fluxcore.parametres import ANCIENS_DEFAUTS, BY_KEY

    old = ANCIENS_DEFAUTS["cotation_criteres_prioritaires"][0]
    with empty_db.transaction() as cur:
        cur.execute("update parametre set valeur = ?, updated_by = 'defaut' where cle = ?",
                    [json.dumps(old), "cotation_criteres_prioritaires"])
        cur.execute("update parametre set valeur = ?, updated_by = 'bob' where cle = ?",
                    [json.dumps(["DALO"]), "prefet_taux_max_pct"])
    apply_migrations(empty_db)
    new = get_parametre(empty_db, "cotation_criteres_prioritaires")
    assert new == BY_KEY["cotation_criteres_prioritaires"].defaut
    assert {"HEBERGE_TIERS", "DIFFICULTES_CUMULEES", "SORTIE_PROSTITUTION",
            "TRAITE_ETRES_HUMAINS"} <= set(new) and set(old) < set(new)
    row = empty_db.one("select actor, entity_id, details from audit_log "
                       "where action = 'parametre.defaut'")
    assert row[:2] == ("defaut", "cotation_criteres_prioritaires")
    assert json.loads(row[2])["avant"] == old
    # a list someone chose is never replaced
    set_parametre(empty_db, "cotation_criteres_prioritaires", old[:3], actor="bob")
    apply_migrations(empty_db)
    assert get_parametre(empty_db, "cotation_criteres_prioritaires") == old[:3]


# Settings the user interface applies itself, with the file that reads them (a banner and an
# alert threshold of the screens; fluxcore has no call behind them).
LUS_PAR_L_INTERFACE = {
    "bilan_alerte_debut": "ui/components.py",        # bandeau d'échéance du bilan
    "vacance_alerte_jours": "pages/tableau_de_bord.py",  # vacants signalés au tableau de bord
}
# Settings shown but read by no code: none (a setting that does nothing misleads its reader).
AFFICHES_SEULEMENT: dict[str, str] = {}


def _litteraux_sql(text: str) -> set[str]:
    """Quoted literals of SQL text, comments left out (`where cle = 'x'` reads x)."""
    import re

    code = "\n".join(line.split("--")[0] for line in text.splitlines())
    return set(re.findall(r"'([^']*)'", code))


def _chaines_python(path) -> set[str]:
    """String constants of a module, docstrings and comments left out — `s["cle"]` counts,
    a sentence naming the setting does not — and the literals of SQL written in them."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    found = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
             and isinstance(n.value, str) and id(n) not in docstrings}
    return found.union(*(_litteraux_sql(x) for x in found))


def _chaines_sql(path) -> set[str]:
    return _litteraux_sql(path.read_text(encoding="utf-8"))


def test_every_setting_is_read_by_the_code():
    """For every setting, some code reads it by its key: fluxcore's modules and queries (not
    parametres.py, which declares them, nor the migrations, which only create the table),
    or for the few listed above the screen that applies it."""
    from pathlib import Path

    from fluxcore.parametres import BY_KEY

    root = Path(__file__).resolve().parent.parent
    lus: set[str] = set()
    for path in (root / "fluxcore").rglob("*.py"):
        if path.name != "parametres.py":
            lus |= _chaines_python(path)
    for path in (root / "fluxcore" / "sql").rglob("*.sql"):
        if "migrations" not in path.parts:
            lus |= _chaines_sql(path)
    for cle, fichier in LUS_PAR_L_INTERFACE.items():
        assert cle in _chaines_python(root / fichier), (cle, fichier)
    ignores = set(LUS_PAR_L_INTERFACE) | set(AFFICHES_SEULEMENT)
    assert ignores <= set(BY_KEY)
    jamais_lus = sorted(cle for cle in BY_KEY if cle not in lus and cle not in ignores)
    assert not jamais_lus, f"paramètres lus par aucun code : {jamais_lus}"
