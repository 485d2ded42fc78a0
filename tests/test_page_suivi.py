"""The Suivi des logements page (AppTest): deadlines as fluxcore.suivi lists them, giving
dwellings back to the bailleur, a dossier walked through its forms (propose → CALEOL →
retained → lease), the deep link ?liberation=, a concurrent change, projector mode without
pseudonymous ids; the dashboard's count and the réservataire's proposals."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from fluxcore import suivi
from fluxcore.acces import hacher
from fluxcore.cotation import candidats_contingent, par_destination
from fluxcore.db import Database
from fluxcore.formats import fmt_int
from fluxcore.orientation import (
    classer_destinations,
    destinations_correction,
    enregistrer_orientation,
)
from fluxcore.parametres import set_parametre
from fluxcore.perimetre import Perimetre
from fluxcore.regles import INTERNES
from fluxcore.suivi.commun import EN_ATTENTE
from fluxcore.tableau_de_bord import vacants_en_attente
from tests.apptest import app_sur

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/suivi.py"


def _app(db_path: Path, monkeypatch, tmp_path, comptes: Path | None = None) -> AppTest:
    if comptes is None:
        return app_sur(db_path, monkeypatch, tmp_path)
    return app_sur(db_path, monkeypatch, tmp_path, comptes)


@pytest.fixture
def app(demo_path, monkeypatch, tmp_path):
    return _app(demo_path, monkeypatch, tmp_path)


@pytest.fixture
def copie(demo_path, tmp_path) -> Path:
    """A private copy of the demo database, for tests that write."""
    path = tmp_path / "copie.duckdb"
    shutil.copy(demo_path, path)
    return path


def _open(at: AppTest, projection: bool = False, liberation: str | None = None) -> AppTest:
    at.session_state["projection"] = projection
    if liberation:
        at.query_params["liberation"] = liberation
    at.run()
    at.switch_page(PAGE).run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _perimetre(at: AppTest) -> Perimetre:
    """The period the page shows: the sidebar's year, today (ui.state.perimetre)."""
    return Perimetre(int(at.session_state["annee"]), aujourdhui=date.today())


def _statut(at: AppTest) -> str:
    """The statut of the open dossier (bold line under its heading)."""
    line = next(m.value for m in at.markdown if m.value.startswith("**"))
    return line.split("**")[1]


def _frames(at: AppTest) -> list:
    return [f.value for f in at.dataframe] + [t.value for t in at.table]


def _orienter(path: Path) -> str:
    """Orient a vacant dwelling to its first-ranked réservataire; returns its liberation_id."""
    db = Database(path)
    try:
        vacants = vacants_en_attente(db, Perimetre(date.today().year, aujourdhui=date.today()))
        for lib in vacants.loc[~vacants["hors_flux"], "liberation_id"]:
            dest = classer_destinations(db, lib, date.today()).destinations
            dest = dest[~dest["destinataire"].isin([*INTERNES, "BAILLEUR"])]
            if len(dest):
                enregistrer_orientation(db, lib, dest["destinataire"].iloc[0], "alice",
                                        "Essai", date.today())
                return lib
    finally:
        db.close()
    raise AssertionError("aucun logement vacant à orienter")


@pytest.mark.parametrize("projection", [False, True], ids=["normal", "projection"])
def test_page_opens_and_lists_the_deadlines_of_fluxcore(app, demo_db, projection):
    _open(app, projection)
    assert [t.value for t in app.title] == ["Suivi des logements"]
    jours = app.number_input(key="s_jours").value
    attendu = suivi.echeances(demo_db, _perimetre(app), jours)
    assert len(attendu) and attendu["en_retard"].any() and (~attendu["en_retard"]).any()
    table = next(f for f in _frames(app) if "Échéance" in f.columns)
    assert table["Logement"].tolist() == attendu["logement_id"].tolist()   # overdue first
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Délais dépassés"] == fmt_int(attendu["en_retard"].sum())
    assert metrics[f"Échéance sous {jours} j"] == fmt_int((~attendu["en_retard"]).sum())
    assert metrics["Orientations en cours"] == fmt_int(len(suivi.en_cours(demo_db,
                                                                          _perimetre(app))))


def test_window_of_days_is_adjustable(app, demo_db):
    _open(app)
    app.number_input(key="s_jours").set_value(30).run()
    _ok(app)
    attendu = suivi.echeances(demo_db, _perimetre(app), 30)
    table = next(f for f in _frames(app) if "Échéance" in f.columns)
    assert table["Logement"].tolist() == attendu["logement_id"].tolist()
    assert len(attendu) > len(suivi.echeances(demo_db, _perimetre(app), 7))


def test_filters_narrow_the_orientations_in_progress(app, demo_db):
    _open(app)
    encours = suivi.en_cours(demo_db, _perimetre(app))
    app.multiselect(key="s_f_statut").set_value(["CALEOL"]).run()
    _ok(app)
    table = _frames(app)[1]
    assert len(table) == (encours["statut"] == "CALEOL").sum() > 0
    assert set(table["Statut"]) == {"Passé en CALEOL"}
    assert len(app.selectbox(key="s_liberation").options) == len(table)
    lib = encours.loc[encours["statut"] == "CALEOL", "liberation_id"].iloc[0]
    app.selectbox(key="s_liberation").set_value(lib).run()
    _ok(app)
    assert app.query_params["liberation"] == lib     # the address can be shared


def test_rendre_au_bailleur_writes_the_selection_and_the_list_shrinks(copie, monkeypatch,
                                                                      tmp_path):
    at = _open(_app(copie, monkeypatch, tmp_path))
    box = at.multiselect(key="s_rendre")
    ech = suivi.echeances(Database(copie), _perimetre(at), 7)
    assert box.value == ech.loc[ech["en_retard"], "orientation_id"].tolist()  # default
    choix = ech["orientation_id"].iloc[:2].tolist()
    box.set_value(choix)
    at.button(key="s_rendre_ok").click().run()          # not confirmed: nothing written
    assert [e.value for e in at.error] == [
        "Cochez la confirmation pour rendre ces logements au bailleur."]
    at.checkbox(key="s_rendre_sur").check()
    at.button(key="s_rendre_ok").click().run()
    _ok(at)
    assert [t.value for t in at.toast] == [
        "2 logements rendus au bailleur : ils restent comptés comme livrés à leur "
        "réservataire (paramètre rendu_bailleur_compte_livre)."]
    table = next(f for f in _frames(at) if "Échéance" in f.columns)
    assert len(table) == len(ech) - 2
    db = Database(copie)
    statuts = db.df("select orientation_id, statut from orientation where orientation_id in "
                    "(select unnest(?))", [choix])
    assert set(statuts["statut"]) == {"RENDU_BAILLEUR"}
    assert db.scalar("select count(*) from audit_log where action = 'suivi.rendre'") == 2


def test_a_dossier_walked_through_its_forms(copie, monkeypatch, tmp_path):
    lib = _orienter(copie)
    at = _open(_app(copie, monkeypatch, tmp_path), liberation=lib)
    assert at.selectbox(key="s_liberation").value == lib
    assert [e.label for e in at.expander][:2] == ["Proposer des candidats",
                                                  "Rendre le logement au bailleur"]
    db = Database(copie)
    cand, dest = par_destination(db, lib, date.today())
    oid, destinataire = db.one("select orientation_id, destinataire from orientation "
                               "where liberation_id = ?", [lib])
    db.close()
    contingent = dest.set_index("destinataire").at[destinataire, "contingent"]
    classes = candidats_contingent(cand, contingent)["demande_id"].tolist()
    box = at.multiselect(key=f"s_proposer_{lib}")
    assert [o.split(" · ")[0] for o in box.options[:3]] == [
        f"{i}. {d}" for i, d in enumerate(classes[:3], 1)]
    box.set_value(classes[:2])
    at.button(key=f"s_ok_proposer_{lib}").click().run()
    _ok(at)
    assert [t.value for t in at.toast] == ["2 candidats proposés."]
    assert _statut(at) == "Candidats proposés"

    at.date_input(key=f"s_date_caleol_{lib}").set_value(date.today())
    at.button(key=f"s_ok_caleol_{lib}").click().run()
    _ok(at)
    assert _statut(at) == "Passé en CALEOL"

    premier = at.selectbox(key=f"s_cand_decider_{lib}")
    assert premier.options == [f"Candidat 1 · {classes[0]} (proposé)",
                               f"Candidat 2 · {classes[1]} (proposé)"]
    at.radio(key=f"s_decision_{lib}").set_value("RETENU")
    at.button(key=f"s_ok_decider_{lib}").click().run()
    _ok(at)
    assert [t.value for t in at.toast] == ["Décision enregistrée : retenu par la CALEOL."]
    assert "Enregistrer la signature du bail" in [e.label for e in at.expander]

    at.button(key=f"s_ok_bail_{lib}").click().run()
    _ok(at)
    db = Database(copie)
    assert db.one("select statut from orientation where orientation_id = ?", [oid]) == (
        "ATTRIBUE",)
    assert db.one("select menage_id, date_bail from attribution where orientation_id = ?",
                  [oid]) == (classes[0], date.today())
    candidats = next(f for f in _frames(at) if "Demande" in f.columns)
    assert candidats["Statut"].tolist()[0] == "Retenu par la CALEOL"
    etapes = next(f for f in _frames(at) if "Étape" in f.columns)["Étape"].tolist()
    assert etapes[-4:] == ["Candidats proposés", "Passage en CALEOL", "Décision de la CALEOL",
                           "Bail signé"]


def test_deep_link_opens_that_dossier(app, demo_db):
    encours = suivi.en_cours(demo_db, Perimetre(date.today().year, aujourdhui=date.today()))
    lib = encours["liberation_id"].iloc[-1]
    _open(app, liberation=lib)
    assert app.selectbox(key="s_liberation").value == lib
    dos = suivi.dossier(demo_db, lib, date.today())
    lg = dos["logement"]
    assert any(m.value.startswith(f"### {lg['typologie']} ·") for m in app.markdown)
    assert any(f"Logement {lg['logement_id']}" in c.value for c in app.caption)
    assert _statut(app) == dos["orientation"]["statut_libelle"]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Candidats en lice"] == (f"{dos['orientation']['nb_candidats']} / "
                                            f"{dos['orientation']['nb_candidats_max']}")
    assert app.query_params["liberation"] == lib     # the address keeps the dossier open


def test_unknown_deep_link_is_explained(app):
    app.query_params["liberation"] = "LIB-INCONNUE"
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception
    assert [e.value for e in app.error] == ["Libération inconnue : « LIB-INCONNUE »."]


def test_corrected_then_given_back_then_attributed_by_the_bailleur(copie, monkeypatch,
                                                                   tmp_path):
    lib = _orienter(copie)
    oid = f"OR-{lib}"
    db = Database(copie)
    avant = db.scalar("select destinataire from orientation where orientation_id = ?", [oid])
    possibles = destinations_correction(db, lib, date.today())
    db.close()
    at = _open(_app(copie, monkeypatch, tmp_path), liberation=lib)
    assert "Corriger la destination" in [e.label for e in at.expander]
    box = at.selectbox(key=f"s_dest_corriger_{lib}")
    assert box.options == list(possibles.values())          # names, the current one excluded
    code = next(c for c in possibles if c not in (*INTERNES, "BAILLEUR"))
    box.set_value(code)
    at.text_input(key=f"s_motif_corriger_{lib}").set_value("Erreur de contingent")
    at.button(key=f"s_ok_corriger_{lib}").click().run()
    _ok(at)
    assert [t.value for t in at.toast] == [
        f"Orientation corrigée : nouvelle destination « {possibles[code]} »."]
    db = Database(copie)
    assert db.one("select destinataire from orientation where orientation_id = ?",
                  [oid]) == (code,) != (avant,)
    db.close()

    at.checkbox(key=f"s_sur_{lib}").check()
    at.button(key=f"s_ok_rendre_{lib}").click().run()
    _ok(at)
    assert _statut(at) == "Rendu au bailleur"
    assert at.selectbox(key="s_liberation").value == lib     # still followed: no lease yet
    assert at.expander[0].label == "Attribuer à un candidat du bailleur"
    db = Database(copie)
    demande = db.scalar("select min(demande_id) from demande where statut = 'ACTIVE'")
    db.close()
    at.text_input(key=f"s_demande_attr_{lib}").set_value(demande)
    at.button(key=f"s_ok_attr_{lib}").click().run()
    _ok(at)
    assert [t.value for t in at.toast] == [
        "Attribution enregistrée : reste à enregistrer la signature du bail."]
    at.button(key=f"s_ok_bail_{lib}").click().run()
    _ok(at)
    db = Database(copie)
    assert db.one("select o.statut, a.menage_id, a.date_bail from orientation o join "
                  "attribution a using (orientation_id) where orientation_id = ?",
                  [oid]) == ("RENDU_BAILLEUR", demande, date.today())
    etapes = next(f for f in _frames(at) if "Étape" in f.columns)["Étape"].tolist()
    assert etapes[-3:] == ["Logement rendu au bailleur",
                           "Attribution à un candidat du bailleur", "Bail signé"]


def test_a_change_made_meanwhile_is_refused(copie, monkeypatch, tmp_path):
    lib = _orienter(copie)
    at = _open(_app(copie, monkeypatch, tmp_path), liberation=lib)
    box = at.multiselect(key=f"s_proposer_{lib}")
    premier = box.options[0].split(" · ")[0].split(". ")[1]
    # a colleague proposes another candidate while the page is open
    autre = box.options[1].split(" · ")[0].split(". ")[1]
    suivi.proposer_candidats(Database(copie), f"OR-{lib}", [autre], auteur="bob")
    box.set_value([premier])
    at.button(key=f"s_ok_proposer_{lib}").click().run()
    assert not at.exception
    erreurs = [e.value for e in at.error]
    assert len(erreurs) == 1 and "a été modifié par bob" in erreurs[0], erreurs
    assert "rien n'a été enregistré" in erreurs[0]


def test_projection_shows_counts_and_statuses_only(copie, monkeypatch, tmp_path):
    lib = _orienter(copie)
    db = Database(copie)
    cand, _ = par_destination(db, lib, date.today())
    ids = cand.eligibles["demande_id"].head(2).tolist()
    suivi.proposer_candidats(db, f"OR-{lib}", ids, auteur="alice")
    db.close()
    at = _open(_app(copie, monkeypatch, tmp_path), projection=True, liberation=lib)
    assert any("Proposé : **2**" in m.value for m in at.markdown)
    textes = [m.value for m in at.markdown] + [c.value for c in at.caption]
    textes += [str(f.to_dict()) for f in _frames(at)]
    textes += [o for w in [*at.selectbox, *at.multiselect] for o in w.options]
    assert not [t for t in textes if "DEM1" in t], "identifiant pseudonyme en projection"
    assert at.selectbox(key=f"s_cand_retirer_{lib}").options[0] == "Candidat 1 (proposé)"


def test_dashboard_shows_the_deadlines_count(app, demo_db):
    app.run()
    _ok(app)
    nb = suivi.nombre_echeances(demo_db, _perimetre(app))
    assert nb["en_retard"] > 1
    texte = (f"Délais de proposition des réservataires : {fmt_int(nb['en_retard'])} "
             f"dépassés, {fmt_int(nb['proches'])} arrivant à échéance sous 7 jours.")
    assert [w.value for w in app.warning if w.value.startswith("Délais")] == [texte]
    assert [(e.proto.page, e.proto.label) for e in app.get("page_link")] == [
        ("suivi", "Voir le suivi des logements")]


def _comptes(path: Path, rid: str) -> Path:
    """Two accounts: res (réservataire `rid`) and lea (lecteur); password « mdp-<login> »."""
    path.write_text(f'[utilisateurs.res]\nrole = "reservataire"\nreservataire_id = "{rid}"\n'
                    f'mot_de_passe = "{hacher("mdp-res", iterations=1000)}"\n\n'
                    f'[utilisateurs.lea]\nrole = "lecteur"\n'
                    f'mot_de_passe = "{hacher("mdp-lea", iterations=1000)}"\n',
                    encoding="utf-8")
    return path


def _login(at: AppTest, login: str = "res") -> AppTest:
    at.run()
    at.text_input(key="auth_login").set_value(login)
    at.text_input(key="auth_mdp").set_value(f"mdp-{login}")
    at.button[0].click().run()
    _ok(at)
    return at


def test_reservataire_proposes_its_candidates_when_allowed(copie, monkeypatch, tmp_path):
    db = Database(copie)
    encours = suivi.en_cours(db, Perimetre(date.today().year, aujourdhui=date.today()))
    attente = encours[encours["statut"].isin(EN_ATTENTE)
                      & encours["destinataire"].str.startswith("PREF-")]
    # room for two more candidates (the demo's dwellings already have some)
    place = attente[attente["nb_candidats"] + 2 <= attente["nb_candidats_max"]]
    rid, oid = place[["destinataire", "orientation_id"]].iloc[0]
    demandes = db.df("select demande_id from demande where statut = 'ACTIVE' and demande_id "
                     "not in (select demande_id from candidature where orientation_id = ?) "
                     "order by demande_id limit 2", [oid])["demande_id"].tolist()
    db.close()
    comptes = _comptes(tmp_path / "comptes.toml", rid)

    at = _login(_app(copie, monkeypatch, tmp_path, comptes))       # setting off (default)
    assert any(m.value.startswith("Le bailleur enregistre les candidats") for m in at.markdown)
    assert "r_logement" not in [s.key for s in at.selectbox]

    db = Database(copie)
    set_parametre(db, "reservataire_propose_candidats", True)
    db.close()
    at = _login(_app(copie, monkeypatch, tmp_path, comptes))
    box = at.selectbox(key="r_logement")
    mine = attente.loc[(attente["destinataire"] == rid)
                       & (attente["nb_candidats"] < attente["nb_candidats_max"])]
    assert len(box.options) == len(mine)
    box.set_value(oid)
    at.text_input(key="r_demandes").set_value(", ".join(demandes))
    at.button(key="r_proposer").click().run()
    _ok(at)
    assert [t.value for t in at.toast] == ["2 candidats proposés."]
    db = Database(copie)
    rows = db.df("select demande_id, origine, propose_par from candidature "
                 "where orientation_id = ? and propose_par = 'res' order by rang", [oid])
    assert rows.values.tolist() == [[d, "RESERVATAIRE", "res"] for d in demandes]


def test_reader_sees_the_follow_up_without_any_write_control(demo_path, demo_db, monkeypatch,
                                                             tmp_path):
    comptes = _comptes(tmp_path / "comptes.toml", "AL")
    at = _login(_app(demo_path, monkeypatch, tmp_path, comptes), "lea")
    lib = suivi.echeances(demo_db, _perimetre(at))["liberation_id"].iloc[0]
    at.query_params["liberation"] = lib
    at.switch_page(PAGE).run()
    _ok(at)
    assert next(f for f in _frames(at) if "Échéance" in f.columns).shape[0] > 0
    assert not at.get("form") and "s_rendre" not in [m.key for m in at.multiselect]
    assert any("ne permet pas de faire avancer un dossier" in i.value for i in at.info)
