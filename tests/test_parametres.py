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
