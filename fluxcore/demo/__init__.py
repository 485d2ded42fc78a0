"""Demo generator: a believable landlord on the real geography of any French départements
(default: 08, 10, 51 and 52, the territory of the RPLS 2019 calibration).

`generate_demo(path, scale, seed, today)` writes a new DuckDB file (built beside the target,
then renamed under the exclusive hold of fluxcore.fichier: nothing half-written,
never under another process). Same seed and reference date → identical tables.
Everything is vectorised numpy; strings are built once, joins happen in DuckDB.
The daily follow-up (fluxcore.suivi) comes last, from the rows written: each orientation's
deadline and the candidates proposed for it (demo/candidatures.py).
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from fluxcore.db import Database, audit
from fluxcore.demo import candidatures, flux, menages, patrimoine, reservataires, sne
from fluxcore.errors import FluxcoreError
from fluxcore.fichier import remplacement
from fluxcore.geo import load_reference, load_zone
from fluxcore.simulation import modele_stocke

# tier: (logements, demandes) — docs/architecture.md#performance
SCALES = {"petit": (3_000, 2_000), "moyen": (15_000, 10_000), "grand": (120_000, 80_000),
          "national": (5_400_000, 2_700_000)}


DEPARTEMENTS = ("08", "10", "51", "52")
# seeded streams, one per step; a new step takes a new stream at the end, so that the draws of
# the others never shift (same seed → same tables as before it)
N_FLUX = 11
FLUX_CANDIDATURES = 10


def _flux(seed: int) -> list[np.random.Generator]:
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(N_FLUX)]


def check_departements(departements) -> tuple[str, ...]:
    """The départements asked for, checked against the reference (French message)."""
    ref = load_reference()
    known = set(ref.communes["code_dep"])
    deps = tuple(sorted({str(d).strip().upper() for d in departements if str(d).strip()}))
    deps = tuple(d.zfill(2) if d.isdigit() and len(d) < 2 else d for d in deps)
    unknown = [d for d in deps if d not in known]
    if not deps or unknown:
        raise FluxcoreError(f"Département inconnu : {', '.join(unknown) or '(aucun)'} "
                            "(attendu : des codes comme 01, 2A, 69, 974).")
    with_shapes = [d for d in deps if load_zone([d]).commune_shapes]
    if len(with_shapes) < len(deps):
        raise FluxcoreError(
            f"Pas de contours de communes pour {', '.join(sorted(set(deps) - set(with_shapes)))}"
            " dans le référentiel : une démonstration y est impossible.")
    return deps


def generate_demo(path: str | Path, scale: str = "moyen", seed: int = 42,
                  today: date | None = None, force: bool = False,
                  departements=DEPARTEMENTS) -> dict[str, int]:
    """Build the demo database at `path` on `departements`; returns the row count of each
    table written."""
    if scale not in SCALES:
        raise FluxcoreError(f"Échelle inconnue « {scale} » (attendu : {', '.join(SCALES)}).")
    departements = check_departements(departements)
    path = Path(path)
    if path.exists() and not force:
        raise FluxcoreError(f"Le fichier « {path} » existe déjà : ajoutez --force pour le "
                            "remplacer.")
    today = today or date.today()
    with remplacement(path) as hold:     # refused if another process has the base open
        tmp = path.with_name(path.name + ".generation")
        for p in (tmp, Path(str(tmp) + ".wal"), Path(str(tmp) + ".lock")):
            p.unlink(missing_ok=True)
        started = time.perf_counter()
        tables = _build_tables(scale, seed, np.datetime64(today, "D"), departements)
        db = Database(tmp)
        try:
            counts = _write(db, tables, seed, np.datetime64(today, "D"))
            with db.transaction() as cur:
                audit(cur, "demo", "demo.generate", None, None,
                      {"echelle": scale, "graine": seed, "date_reference": today.isoformat(),
                       "departements": list(departements),
                       "lignes": counts, "secondes": round(time.perf_counter() - started, 1)})
            # the simulator's model, for its first year now and in the demo's own calendar
            modele_stocke.rafraichir_sans_echec(db, annees={today.year + 1,
                                                            *modele_stocke.annees_par_defaut()},
                                                actor="demo", action=None)
            db.cursor().execute("checkpoint")
        finally:
            db.close()
            Path(str(tmp) + ".lock").unlink(missing_ok=True)
        hold.remplacer(tmp)
    return counts


def _build_tables(scale: str, seed: int, today: np.datetime64,
                  departements: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    n_log, n_dem = SCALES[scale]
    rngs = _flux(seed)
    ref = load_reference()
    zone = load_zone(departements)
    year = int(str(today)[:4])
    years = [year - 3, year - 2, year - 1, year]
    res = patrimoine.build_residences(ref, zone, rngs[0], n_log, years[0], today)
    log = patrimoine.build_logements(res, ref, rngs[1])
    reserv, conv = reservataires.build_reservataires(ref, res, rngs[2], years[0])
    communes, ids, rates = reservataires.slot_matrices(res, conv, reserv)
    commune_of_log = communes.get_indexer(res["commune_insee"].to_numpy()[log["residence_idx"]])
    stock = reservataires.build_stock(log, commune_of_log, ids, rates, rngs[3], today)
    rot = res["rotation"].to_numpy()[log["residence_idx"].to_numpy()] / 100.0
    lib = flux.build_liberations(log, rot, years, today, rngs[4])
    qpv_communes = set("|".join(ref.qpv["insee_com"]).split("|"))
    big = set(ref.communes.loc[ref.communes["population"] >= 40_000, "code_insee"])
    prob, dest = flux.destination_matrix(communes, ids, rates, qpv_communes, big)
    li = lib["logement_idx"].to_numpy()
    ci = commune_of_log[li]
    qpv = res["en_qpv"].to_numpy()[log["residence_idx"].to_numpy()[li]]
    hors_flux = log["hors_flux_motif"].notna().to_numpy()[li]
    ori = flux.build_orientations(lib, ci * 2 + qpv, ci, prob, dest, hors_flux, today, rngs[5])
    epcis = sorted(e for e in res["epci_siren"].unique() if isinstance(e, str))
    seuils = menages.build_seuils(epcis, years, rngs[6])
    att = flux.build_attributions(ori, lib, log, res, seuils, rngs[7])
    qpv_epcis = set(res.loc[res["en_qpv"], "epci_siren"])
    epci_type = ref.epci.set_index("siren_epci")["type"]
    reform = [e for e in epcis if e in qpv_epcis or epci_type.get(e) in ("CA", "CU")]
    weights = patrimoine.demand_weights(patrimoine.commune_weights(ref, zone), res)
    weights = weights.assign(poids=weights["poids"] / weights["poids"].sum())
    return {
        "residence": res, "logement": log, "reservataire": reserv, "convention": conv,
        "derogation": reservataires.build_derogations(conv, year),
        "stock": stock, "liberation": lib, "orientation": ori, "attribution": att,
        "seuil_quartile": seuils,
        "objectif": menages.build_objectifs(reform, qpv_epcis, years),
        "occupation": menages.build_occupation(res, (year - 4, year - 2), rngs[8]),
        "demande": menages.build_demandes(n_dem, weights, today, rngs[9]),
        "grille_cotation": menages.build_grilles(reform, rngs[6], years[0]),
    }


def _write(db: Database, t: dict[str, pd.DataFrame], seed: int,
           today: np.datetime64) -> dict[str, int]:
    res = t["residence"]
    log = t["logement"].assign(idx=np.arange(len(t["logement"])),
                               residence_id=res["residence_id"].to_numpy()[
                                   t["logement"]["residence_idx"].to_numpy()])
    lib = t["liberation"].assign(idx=np.arange(len(t["liberation"])))
    ori = t["orientation"]
    att = t["attribution"]
    crit_cols = ", ".join(f"case when c_{c} then '{c}' end" for c, *_ in menages.CRITERES)
    with db.transaction() as cur:
        for name, frame in (("res_df", res), ("log_df", log), ("lib_df", lib), ("ori_df", ori),
                            ("att_df", att), ("stock_df", t["stock"]),
                            ("dem_df", t["demande"].assign(idx=np.arange(len(t["demande"]))))):
            cur.register(name, frame)
        cur.execute(
            "insert into residence (residence_id, nom, adresse, commune_insee, epci_siren,"
            " departement, qpv_code, en_qpv, latitude, longitude, annee_construction, epsg,"
            " coordonnees_source) select residence_id, nom, adresse, commune_insee, epci_siren,"
            " departement, qpv_code, en_qpv, latitude, longitude, annee_construction, 4326,"
            " 'FICHIER' from res_df")
        # demo only: the latent fragility that drove the generated surveys and move-ins,
        # kept so that tests can check the fragility index finds the fragile résidences
        cur.execute("create table demo_fragilite_latente as select residence_id, "
                    "fragilite as fragilite_latente from res_df")
        cur.execute(
            "create temp table _log as select idx, printf('%s%08d', departement, idx + 1)"
            " as logement_id from log_df")
        cur.execute(
            "insert into logement (logement_id, residence_id, typologie, nb_pieces, surface_m2,"
            " financement, loyer_mensuel, etage, ascenseur, accessible_pmr, date_mise_en_service,"
            " hors_flux_motif) select l.logement_id, d.residence_id, d.typologie,"
            " d.nb_pieces, d.surface_m2, d.financement, d.loyer_mensuel, d.etage, d.ascenseur,"
            " d.accessible_pmr, d.date_mise_en_service, d.hors_flux_motif"
            " from log_df d join _log l using (idx) order by d.idx")
        for name in ("reservataire", "convention", "derogation", "seuil_quartile", "objectif",
                     "occupation", "grille_cotation"):
            cur.register("frame_df", t[name])
            cur.execute(f"insert into {name} by name select * from frame_df")
            cur.unregister("frame_df")
        cur.execute(
            "insert into reservation_stock select l.logement_id, s.reservataire_id, s.type_droit,"
            " s.nb_droits, s.date_fin from stock_df s join _log l on l.idx = s.logement_idx")
        cur.execute(
            "insert into liberation select printf('LIB%09d', b.idx + 1), l.logement_id,"
            " b.date_conge, b.date_liberation, b.motif"
            " from lib_df b join _log l on l.idx = b.logement_idx order by b.idx")
        cur.execute(
            "insert into orientation (orientation_id, liberation_id, destinataire,"
            " date_orientation, statut, decided_by, justification)"
            " select printf('ORI%09d', lib_idx + 1),"
            " printf('LIB%09d', lib_idx + 1), destinataire, date_orientation, statut, 'demo',"
            " justification from ori_df order by lib_idx")
        cur.execute(
            "insert into attribution (attribution_id, orientation_id, logement_id, date_caleol,"
            " date_bail, menage_id, taille_menage, ressources_uc, quartile, prioritaire, dalo,"
            " mutation_interne, relogement, salarie)"
            " select printf('ATT%09d', a.orientation_id_idx + 1),"
            " printf('ORI%09d', a.orientation_id_idx + 1), l.logement_id, a.date_caleol,"
            " a.date_bail, printf('MEN%09d', a.menage_num), a.taille_menage, a.ressources_uc,"
            " a.quartile, a.prioritaire, a.dalo, a.mutation_interne, a.relogement, a.salarie"
            " from att_df a join _log l on l.idx = a.logement_idx order by a.orientation_id_idx")
        cur.execute(
            "insert into demande select printf('DEM%09d', idx + 100000001),"
            " date_depot, commune_souhaitee, typologie_souhaitee, taille_menage, ressources_uc,"
            f" list_filter([{crit_cols}], lambda x: x is not null), statut, date_radiation,"
            " motif_radiation, nb_refus, salarie, agent_public from dem_df order by idx")
        cur.execute("drop table _log")
        sne.inserer_radiations(cur, seed)
        candidatures.inserer_candidatures(cur, _flux(seed)[FLUX_CANDIDATURES], today)
        counts = {}
        for name in ("residence", "logement", "reservataire", "convention", "derogation",
                     "reservation_stock", "liberation", "orientation", "candidature",
                     "attribution", "occupation", "objectif", "seuil_quartile", "demande",
                     "grille_cotation", "radiation_sne"):
            counts[name] = int(cur.execute(f"select count(*) from {name}").fetchall()[0][0])
    return counts
