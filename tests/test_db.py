"""Migrations, the data-model contract, transactions, audit and the file lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from fluxcore.db import (
    CONTRACT_TABLES,
    Database,
    apply_migrations,
    audit,
    list_migrations,
    table_columns,
)
from fluxcore.errors import DatabaseError, DatabaseLockedError

# docs/donnees.md: table and column names are a contract
CONTRACT = {
    "residence": "residence_id nom adresse commune_insee epci_siren departement qpv_code en_qpv "
                 "latitude longitude annee_construction",
    "logement": "logement_id residence_id typologie nb_pieces surface_m2 financement "
                "loyer_mensuel etage ascenseur accessible_pmr date_mise_en_service "
                "hors_flux_motif",
    "reservataire": "reservataire_id nom type territoire",
    "convention": "convention_id reservataire_id departement perimetre annee_debut annee_fin "
                  "taux_flux garantie_emprunt date_signature",
    "reservation_stock": "logement_id reservataire_id type_droit nb_droits date_fin",
    "liberation": "liberation_id logement_id date_conge date_liberation motif",
    "orientation": "orientation_id liberation_id destinataire date_orientation statut "
                   "decided_by justification",
    "attribution": "attribution_id orientation_id logement_id date_caleol date_bail menage_id "
                   "taille_menage ressources_uc quartile prioritaire dalo mutation_interne "
                   "relogement salarie",
    "occupation": "residence_id annee nb_menages part_ressources_faibles part_monoparentales "
                  "part_sans_emploi part_apl part_personnes_seules part_grandes_familles "
                  "part_moins_25 part_plus_65 taux_rotation taux_vacance taux_impayes",
    "objectif": "epci_siren annee indicateur reservataire_id cible_pct",
    "seuil_quartile": "epci_siren annee seuil_q1_uc",
    "demande": "demande_id date_depot commune_souhaitee typologie_souhaitee taille_menage "
               "ressources_uc criteres statut date_radiation motif_radiation",
    "grille_cotation": "epci_siren version critere points",
}


def test_every_contract_table_and_column_exists(empty_db):
    for table in CONTRACT_TABLES:
        assert table_columns(empty_db, table), f"table {table} manquante"
    for table, cols in CONTRACT.items():
        missing = set(cols.split()) - set(table_columns(empty_db, table))
        assert not missing, f"{table}: colonnes manquantes {missing}"


def test_migrations_recorded_and_idempotent(empty_db):
    versions = empty_db.df("select version from schema_version order by 1")["version"].tolist()
    files = [v for v, _name, _path in list_migrations()]
    assert versions == files and files[:9] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert apply_migrations(empty_db) == []
    assert empty_db.scalar("select count(*) from schema_version") == len(files)


def test_reference_names_seeded(empty_db):
    assert empty_db.scalar("select nom from ref_commune where code_insee = '08105'") == (
        "Charleville-Mézières")
    assert empty_db.scalar("select count(*) from ref_epci") == 1255
    assert empty_db.scalar("select count(*) from ref_qpv") == 1584
    assert empty_db.scalar("select count(*) from ref_commune") == 35014
    assert empty_db.scalar("select count(*) from ref_commune where type = 'ARRONDISSEMENT'") \
        == 45
    assert empty_db.scalar("select count(*) from ref_commune_ancien") == 4240
    assert empty_db.scalar("select commune_mere('69383') || ' ' || commune_mere('51454') || "
                           "' ' || commune_2026('93059') || ' ' || commune_2026('51454')") == (
        "69123 51454 93066 51454")


def test_reference_reseeded_when_data_ref_changes(empty_db):
    """A base filled from an older data/ref is refilled at the next opening."""
    with empty_db.transaction() as cur:
        cur.execute("delete from ref_commune where departement <> '51'")
        cur.execute("update ref_version set version = 'ancienne'")
    assert empty_db.scalar("select count(*) from ref_commune") < 1000
    apply_migrations(empty_db)
    assert empty_db.scalar("select count(*) from ref_commune") == 35014
    apply_migrations(empty_db)
    assert empty_db.scalar("select count(*) from audit_log where action = 'referentiel.seed'") \
        == 2


def test_transaction_rolls_back_everything(empty_db):
    before = empty_db.version()
    with pytest.raises(RuntimeError), empty_db.transaction() as cur:
        cur.execute("insert into reservataire (reservataire_id, nom, type, territoire, "
                    "repris_par_prefet) values ('X', 'X', 'AUTRE', NULL, false)")
        audit(cur, "test", "reservataire.create", "reservataire", "X")
        raise RuntimeError("échec")
    assert empty_db.scalar("select count(*) from reservataire") == 0
    assert empty_db.version() == before


def test_audit_row_written_with_the_change(empty_db):
    with empty_db.transaction() as cur:
        cur.execute("insert into reservataire (reservataire_id, nom, type, territoire, "
                    "repris_par_prefet) values ('X', 'X', 'AUTRE', NULL, false)")
        audit(cur, "alice", "reservataire.create", "reservataire", "X", {"nom": "X"})
    row = empty_db.one("select actor, action, entity_id, details from audit_log "
                       "order by audit_id desc limit 1")
    assert row == ("alice", "reservataire.create", "X", '{"nom": "X"}')


def test_cursors_from_several_threads(empty_db):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: empty_db.scalar("select ? * 2", [i]), range(64)))
    assert results == [i * 2 for i in range(64)]


def test_read_only_missing_file_says_so(tmp_path):
    with pytest.raises(DatabaseError, match="n'existe pas"):
        Database(tmp_path / "absent.duckdb", read_only=True)


def test_second_process_gets_a_french_lock_message(tmp_path):
    path = tmp_path / "verrou.duckdb"
    holder = Database(path)
    code = textwrap.dedent(f"""
        from fluxcore.db import Database
        from fluxcore.errors import DatabaseLockedError
        try:
            Database({str(path)!r}, read_only=True)
        except DatabaseLockedError as exc:
            print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=600, cwd=".")
    holder.close()
    assert "est verrouillée" in out.stdout
    assert "Arrêtez l'application" in out.stdout
    assert "Traceback" not in out.stderr
    assert DatabaseLockedError.__doc__
