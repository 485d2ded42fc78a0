"""The maintained state (fluxcore.etat): fait_liberation and fait_parc equal their definition
after every write, `check` sees when they do not, `reconstruire` repairs them, and random
sequences of the product's writes never leave them behind."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from datetime import date, timedelta

import pytest

from fluxcore import etat, suivi
from fluxcore.check import run_checks
from fluxcore.db import Database
from fluxcore.errors import FluxcoreError
from fluxcore.imports import import_paths
from fluxcore.orientation import (
    classer_destinations,
    corriger_orientation,
    destinations_correction,
    enregistrer_orientation,
)
from fluxcore.parametres import get_parametre, set_parametre
from tests.test_suivi import (
    TODAY,
    marne,  # noqa: F401  (fixture)
)

D = date


def _etat_check(db: Database) -> tuple[int, str]:
    report = run_checks(db).set_index("code")
    return int(report.loc["etat_maintenu", "nombre"]), report.loc["etat_maintenu", "exemples"]


def _copie(src, tmp_path) -> Database:
    path = tmp_path / "copie.duckdb"
    shutil.copyfile(src, path)
    return Database(path)


def test_state_equals_its_definition_on_the_demo(demo_db):
    assert etat.ecarts(demo_db) == []
    n_lib = demo_db.scalar("select count(*) from liberation b join logement using (logement_id)"
                           " join residence using (residence_id)")
    assert demo_db.scalar("select count(*) from fait_liberation") == n_lib
    assert demo_db.scalar("select count(distinct liberation_id) from fait_liberation") == n_lib
    assert (demo_db.scalar("select sum(logements) from fait_parc")
            == demo_db.scalar("select count(*) from logement"))
    # the latest orientation is the one stored
    assert demo_db.scalar(
        "select count(*) from fait_liberation f join orientation o using (orientation_id) "
        "where o.destinataire <> f.destinataire or o.statut <> f.statut") == 0


def test_a_corrupted_state_fails_check_and_reconstruire_repairs_it(demo_path, tmp_path):
    db = _copie(demo_path, tmp_path)
    assert _etat_check(db) == (0, "")
    ids = [r[0] for r in db.cursor().execute(
        "select liberation_id from fait_liberation where orientation_id is not null "
        "order by liberation_id limit 3").fetchall()]
    cur = db.cursor()      # written behind fluxcore's back (no transaction of its own)
    cur.execute("update fait_liberation set statut = 'RENDU_BAILLEUR' where liberation_id = ?",
                [ids[0]])
    cur.execute("delete from fait_liberation where liberation_id = ?", [ids[1]])
    cur.execute("insert into fait_liberation select * from fait_liberation "
                "where liberation_id = ?", [ids[2]])
    cur.execute("update fait_parc set logements = logements + 1 where rowid = "
                "(select min(rowid) from fait_parc)")
    commune, typo = cur.execute("select commune_insee, typologie from fait_parc "
                                "where rowid = (select min(rowid) from fait_parc)").fetchone()
    cur.close()
    n, exemples = _etat_check(db)
    assert n == 4
    assert exemples.split(", ")[:3] == sorted(ids)
    assert f"parc {commune} {typo}" in exemples
    db.close()

    cli = [sys.executable, "-m", "fluxcore"]
    out = subprocess.run([*cli, "check", "--db", str(tmp_path / "copie.duckdb")],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "[ERR] État maintenu" in out.stdout
    out = subprocess.run([*cli, "reconstruire", "--db", str(tmp_path / "copie.duckdb")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "(4 éléments différaient du recalcul complet)" in out.stdout
    db = Database(tmp_path / "copie.duckdb")
    assert _etat_check(db) == (0, "")
    assert db.scalar("select count(*) from audit_log where action = 'etat.reconstruire'") == 1
    db.close()


def test_a_wrong_declaration_is_caught_by_check(marne):  # noqa: F811
    """A write that says it touched nothing of the flux but did: check sees it (the
    declarations are not trusted blindly)."""
    with marne.transaction() as cur:
        cur.execute("update orientation set statut = 'RENDU_BAILLEUR' "
                    "where orientation_id = 'O26-02'")
        etat.sans_effet(cur)
    n, exemples = _etat_check(marne)
    lib = marne.scalar("select liberation_id from orientation where orientation_id = 'O26-02'")
    assert (n, exemples) == (1, lib)
    # any write that does not declare its scope brings the whole state back in step
    with marne.transaction() as cur:
        cur.execute("select 1")
    assert _etat_check(marne) == (0, "")


def test_a_failed_write_leaves_data_and_state_together(marne):  # noqa: F811
    before = marne.df("select * from fait_liberation order by liberation_id")
    with pytest.raises(FluxcoreError), marne.transaction() as cur:
        cur.execute("delete from orientation")
        raise FluxcoreError("interrompu")
    assert marne.df("select * from fait_liberation order by liberation_id").equals(before)
    assert etat.ecarts(marne) == []


# -- random sequences of the product's writes ------------------------------------------------
def _une(db: Database, rng: random.Random, sql: str, params=None):
    rows = [r[0] for r in db.cursor().execute(sql, params or []).fetchall()]
    return rng.choice(sorted(rows)) if rows else None


def _orienter(db, rng, _n, _tmp):
    lib = _une(db, rng, "select f.liberation_id from fait_liberation f "
                        "where f.orientation_id is null and f.hors_flux_motif is null "
                        "and f.date_liberation <= ?", [TODAY])
    if lib is None:
        return "rien à orienter"
    dest = classer_destinations(db, lib, TODAY).destinations["destinataire"].tolist()
    enregistrer_orientation(db, lib, rng.choice(dest), "Alice", "", aujourdhui=TODAY)
    return f"orienter {lib}"


def _corriger(db, rng, _n, _tmp):
    lib = _une(db, rng, "select f.liberation_id from fait_liberation f "
                        "where f.statut = 'ORIENTE' and f.hors_flux_motif is null")
    if lib is None:
        return "rien à corriger"
    autres = list(destinations_correction(db, lib, TODAY))
    if not autres:
        return "aucune autre destination"
    corriger_orientation(db, lib, rng.choice(autres), "Bob", "erreur de saisie")
    return f"corriger {lib}"


def _rendre(db, rng, _n, _tmp):
    oid = _une(db, rng, "select o.orientation_id from orientation o join reservataire r "
                        "on r.reservataire_id = o.destinataire where o.statut = 'ORIENTE'")
    if oid is None:
        return "rien à rendre"
    suivi.rendre_au_bailleur(db, [oid], "Chloé", "aucun candidat", date_rendu=TODAY)
    return f"rendre {oid}"


def _candidats_jusqu_au_bail(db, rng, _n, _tmp):
    oid = _une(db, rng, "select o.orientation_id from orientation o join reservataire r "
                        "on r.reservataire_id = o.destinataire where o.statut = 'ORIENTE' "
                        "and not exists (select 1 from candidature c "
                        "where c.orientation_id = o.orientation_id)")
    libres = [r[0] for r in db.cursor().execute(
        "select demande_id from demande where statut = 'ACTIVE' and demande_id not in "
        "(select demande_id from candidature) order by 1").fetchall()]
    if oid is None or not libres:
        return "pas de candidat possible"
    jour = db.scalar("select date_orientation from orientation where orientation_id = ?",
                     [oid])
    ids = suivi.proposer_candidats(db, oid, [rng.choice(libres)], "Alice",
                                   date_proposition=jour)
    if rng.random() < 0.3:
        suivi.retirer_candidat(db, ids[0], "Alice", "désistement", jour)
        return f"proposer puis retirer {oid}"
    suivi.passer_en_caleol(db, oid, jour, "Alice")
    att = suivi.decision_caleol(db, ids[0], "RETENU", jour, "Alice")
    if rng.random() < 0.5:
        suivi.signer_bail(db, att, jour + timedelta(days=3), "Alice")
    else:
        suivi.refus_menage(db, ids[0], "logement trop loin", jour, "Alice")
    return f"candidat {oid}"


def _ecriture_brute(db, rng, n, _tmp):
    """A write with no declaration (an import-like change of any source table)."""
    choix = rng.randrange(5)
    with db.transaction() as cur:
        if choix == 0:
            lgt = _une(db, rng, "select logement_id from logement")
            cur.execute("insert into liberation values (?, ?, null, ?, ?)",
                        [f"RND-{n}", lgt, TODAY - timedelta(days=rng.randrange(400)),
                         rng.choice(["DEPART", "PREMIERE_LOCATION", None])])
        elif choix == 1:
            cur.execute("delete from orientation where orientation_id = ?",
                        [_une(db, rng, "select orientation_id from orientation")])
        elif choix == 2:
            cur.execute("update logement set typologie = ?, hors_flux_motif = ? "
                        "where logement_id = ?",
                        [rng.choice(["T1", "T2", "T5"]), rng.choice([None, None, "SANTE"]),
                         _une(db, rng, "select logement_id from logement")])
        elif choix == 3:
            cur.execute("update residence set en_qpv = not en_qpv where residence_id = ?",
                        [_une(db, rng, "select residence_id from residence")])
        else:
            lib = _une(db, rng, "select liberation_id from liberation")
            cur.execute("insert into orientation (orientation_id, liberation_id, destinataire,"
                        " date_orientation, statut) values (?, ?, 'MUTATION', ?, 'ATTRIBUE')",
                        [f"RND-O-{n}", lib, TODAY - timedelta(days=rng.randrange(30))])
    return f"écriture brute {choix}"


def _importer(db, rng, n, tmp):
    lgt = _une(db, rng, "select logement_id from logement")
    path = tmp / f"liberations-{n}.csv"
    jour = TODAY - timedelta(days=rng.randrange(200))
    path.write_text("liberation_id;logement_id;date_liberation;motif\n"
                    f"IMP-{n};{lgt};{jour:%d/%m/%Y};DEPART\n", encoding="utf-8")
    result = import_paths(db, [path], actor="test")
    assert result.ok, result.problems
    return f"importer IMP-{n}"


def _parametre(db, rng, _n, _tmp):
    valeur = not bool(get_parametre(db, "premieres_mises_en_location_dans_flux"))
    set_parametre(db, "premieres_mises_en_location_dans_flux", valeur, "test")
    return "paramètre"


OPERATIONS = (_orienter, _orienter, _corriger, _rendre, _candidats_jusqu_au_bail,
              _ecriture_brute, _importer, _parametre)


@pytest.mark.parametrize("graine", [1, 2, 3])
def test_random_write_sequences_keep_the_state(marne, tmp_path, graine):  # noqa: F811
    rng = random.Random(graine)
    faits = []
    for n in range(14):
        op = rng.choice(OPERATIONS)
        faits.append(op(marne, rng, n, tmp_path))
        assert etat.ecarts(marne) == [], f"après {faits}"
    faites = [f for f in faits if not f.startswith(("rien", "aucune", "pas de"))]
    assert len(faites) >= 8, faits
    assert marne.scalar("select count(*) from fait_liberation") == marne.scalar(
        "select count(*) from liberation join logement using (logement_id) "
        "join residence using (residence_id)")
