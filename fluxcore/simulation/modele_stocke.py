"""The vacancy model kept with the base (migration 010), so that the simulator's first view
reads it instead of fitting it.

`rafraichir_modeles` fits the model of every département of the base for the years the
simulator opens on and stores it, in one audited transaction: after every import, at the end
of the demo generation and after a change of a setting the model reads (`PARAMETRES`). Only a
model whose inputs changed is fitted again. Each stored model carries the fingerprint
(`empreinte`) of what its fit read: the rows of sql/simulation/historique_sources (counts and
sums of row hashes, sql/simulation/empreinte_modele), the setting, and the code and libraries
of the fit. The simulator (fluxcore.simulation.entrees.charger_entrees: `lire`, `empreinte`,
`valide`) uses a stored model only when the base still gives the same fingerprint, and fits
on the fly otherwise (as before: slow, never wrong). The fit is deterministic (sorted rows,
seeded sample), so a stored model is, to the byte, what a fit on the fly gives.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from fluxcore import etat, formats
from fluxcore.acces import acteur
from fluxcore.db import Database, audit, bind, default_actor, load_sql
from fluxcore.errors import EcritureConcurrenteError
from fluxcore.formats import accord, fmt_num, pluriel
from fluxcore.parametres import BY_KEY
from fluxcore.simulation import modele
from fluxcore.simulation.modele import ModeleVacance

logger = logging.getLogger(__name__)
PARAMETRES = ("rotation_annees_historique",)     # the settings the model reads
BIBLIOTHEQUES = ("scikit-learn", "scipy", "numpy", "pandas", "duckdb")
TABLES = ("modele_vacance_prediction", "modele_vacance_calibration",
          "modele_vacance_coefficient", "modele_vacance")
COLONNES_PREDICTION = ["logement_id", "commune_insee", "epci_siren", "typologie", "en_qpv", "p"]


def annees_par_defaut() -> tuple[int, ...]:
    """The first year the simulator opens on (pages/simulateur.py: next year)."""
    return (date.today().year + 1,)


# -- fingerprint ------------------------------------------------------------------------------

@cache
def _code() -> str:
    """What makes a fit besides the data: the fit's code and texts, its query (with the rules
    it includes) and the libraries."""
    h = hashlib.sha256(Path(modele.__file__).read_bytes())
    h.update(Path(formats.__file__).read_bytes())
    h.update(load_sql("simulation/historique_logements").encode())
    for lib in BIBLIOTHEQUES:
        h.update(f"|{lib}={metadata.version(lib)}".encode())
    return h.hexdigest()


def empreinte(con: Database | duckdb.DuckDBPyConnection, departement: str, annee: int,
              nb: int) -> str:
    """The fingerprint of the inputs of the model of (departement, annee, nb) in the base."""
    sql = load_sql("simulation/empreinte_modele")
    p = {"dep": departement, "annee": int(annee), "nb": int(nb)}
    row = (con.one(sql, p) if isinstance(con, Database)
           else con.execute(sql, bind(sql, p)).fetchone())
    text = "|".join(str(v) for v in (_code(), departement, int(annee), int(nb), *row))
    return hashlib.sha256(text.encode()).hexdigest()


# -- reading ----------------------------------------------------------------------------------

def modele_enregistre(db: Database, departement: str, annee: int,
                      nb: int) -> ModeleVacance | None:
    """The stored model of (departement, annee, nb) when the base still gives the fingerprint
    it was fitted on; None otherwise (none stored, or inputs changed since)."""
    return valide(lire(db, departement, annee, nb), empreinte(db, departement, annee, nb))


def lire(db: Database, departement: str, annee: int,
         nb: int) -> tuple[str, ModeleVacance] | None:
    """The stored model of (departement, annee, nb) and its fingerprint, unchecked (see
    `valide`); None when there is none, or when a refit committed while it was read."""
    try:
        head = db.one("select modele_id, estime, message, n_apprentissage, annees_observees, "
                      "taux_moyen, brier, brier_reference, auc, n_predictions, n_calibration, "
                      "n_coefficients, empreinte from modele_vacance where departement = ? "
                      "and annee = ? and nb = ?", [departement, int(annee), int(nb)])
    except duckdb.CatalogException:     # a base opened without migrating
        return None
    if head is None:
        return None
    mid = head[0]
    pred = _lire_arrow(db, "select logement_id, commune_insee, epci_siren, typologie, en_qpv, "
                           "p from modele_vacance_prediction where modele_id = ? order by rang",
                       [mid])
    if len(pred) and pred["epci_siren"].isna().all():    # the fit's own type for no EPCI
        pred["epci_siren"] = pd.Series([None] * len(pred), dtype=object)
    cal = db.df("select decile, n, predit, observe from modele_vacance_calibration "
                "where modele_id = ? order by decile", [mid])
    coef = db.df("select variable, coef, odds_ratio from modele_vacance_coefficient "
                 "where modele_id = ? order by rang", [mid])
    # each read is its own snapshot: a refit committed in between leaves them incomplete
    if (len(pred), len(cal), len(coef)) != tuple(head[9:12]):
        return None
    return head[12], ModeleVacance(
        bool(head[1]), head[2], pred, int(head[3]), [int(a) for a in head[4]],
        float(head[5]), *(None if v is None else float(v) for v in head[6:9]),
        calibration=cal if len(cal) else pd.DataFrame(),
        coefficients=coef if len(coef) else pd.DataFrame())


def valide(lu: tuple[str, ModeleVacance] | None, emp: str) -> ModeleVacance | None:
    """The model read by `lire` if it was fitted on inputs of fingerprint `emp`, else None.
    Read and fingerprint may come from different moments: a model is a function of its
    fingerprint (same inputs, same fit), so a match is always the right model."""
    return lu[1] if lu is not None and lu[0] == emp else None


def _lire_arrow(db: Database, sql: str, params: list) -> pd.DataFrame:
    """A read through Arrow: the same frame as Database.df, text columns three times
    faster."""
    cur = db._read_cursor(sql)      # the role's read rule applies
    try:
        return cur.sql(sql, params=params).to_arrow_table().to_pandas()
    finally:
        cur.close()


def modeles_a_reestimer(db: Database) -> list[str]:
    """The stored models the simulator would not use, in words (for fluxcore.check): inputs
    changed since the fit, rows missing, or two models for one key. Such a model is never
    used (the simulator fits on the fly); the next refit replaces it."""
    try:
        heads = db.df("select modele_id, departement, annee, nb, empreinte, n_predictions, "
                      "n_calibration, n_coefficients, count(*) over (partition by "
                      "departement, annee, nb) as fois from modele_vacance "
                      "order by departement, annee, nb, modele_id")
    except duckdb.CatalogException:
        return []
    counts = db.df("select modele_id, (select count(*) from modele_vacance_prediction p "
                   "where p.modele_id = m.modele_id) as p, (select count(*) from "
                   "modele_vacance_calibration c where c.modele_id = m.modele_id) as c, "
                   "(select count(*) from modele_vacance_coefficient k where k.modele_id = "
                   "m.modele_id) as k from modele_vacance m").set_index("modele_id")
    out = []
    for h in heads.itertuples():
        where = f"{h.departement} ({h.annee}, {accord(h.nb, 'an', 'ans')} d'historique)"
        if h.fois > 1:
            out.append(f"{where} : {h.fois} modèles pour la même période")
        elif tuple(counts.loc[h.modele_id]) != (h.n_predictions, h.n_calibration,
                                               h.n_coefficients):
            out.append(f"{where} : lignes manquantes")
        elif h.empreinte != empreinte(db, h.departement, h.annee, h.nb):
            out.append(f"{where} : données changées depuis l'estimation")
    return out


# -- writing ----------------------------------------------------------------------------------

def rafraichir_modeles(db: Database, annees: Iterable[int] | None = None,
                       actor: str | None = None, action: str | None = None,
                       force: bool = False) -> list[tuple[str, int]]:
    """Fit and store the model of every département of the base (with a flux dwelling) for
    `annees` (default: the simulator's first year), with the current setting, in one audited
    transaction (`action`: the write it follows, for a signed-in user's role); models of other
    keys are deleted. A model whose fingerprint is unchanged is kept as it is, unless `force`.
    Returns the (département, year) fitted.

    The fits (~1,5 s per département at `grand`) run without the write lock, so that users
    go on orienting meanwhile; the commit takes it, and happens only if nothing else was
    written since (Database.transaction_sans_verrou) — otherwise all is done again under it."""
    annees = sorted({int(a) for a in (annees or annees_par_defaut())})
    actor = acteur(db, actor) or default_actor()
    try:
        return _rafraichir(db.transaction_sans_verrou, annees, actor, action, force)
    except EcritureConcurrenteError:
        return _rafraichir(db.transaction, annees, actor, action, force)


def _rafraichir(transaction, annees: list[int], actor: str, action: str | None,
                force: bool) -> list[tuple[str, int]]:
    debut = time.perf_counter()
    with transaction(action) as cur:
        etat.sans_effet(cur)        # none of the state's sources written
        nb = _nb(cur)
        deps = [r[0] for r in cur.execute(
            "select distinct r.departement from logement l join residence r using "
            "(residence_id) where l.hors_flux_motif is null order by 1").fetchall()]
        stored = {(d, a, n): e for d, a, n, e in cur.execute(
            "select departement, annee, nb, empreinte from modele_vacance").fetchall()}
        wanted = {(d, a, nb): empreinte(cur, d, a, nb) for d in deps for a in annees}
        todo = [k for k, e in wanted.items() if force or stored.get(k) != e]
        for key in [k for k in stored if k not in wanted] + [k for k in todo if k in stored]:
            _supprimer(cur, key)
        for key in todo:
            m = modele.ajuster(modele.historique(cur, *key), key[1])
            if len(m.predictions):
                _ecrire(cur, key, wanted[key], m, actor)
        if todo or set(stored) - set(wanted):
            secondes = round(time.perf_counter() - debut, 1)
            audit(cur, actor, "simulation.modele", "modele_vacance", None, {
                "resume": _resume(todo, annees, nb, secondes),
                "departements": sorted({d for d, _, _ in todo}), "annees": annees, "nb": nb,
                "secondes": secondes})
    return [(d, a) for d, a, _ in todo]


def rafraichir_sans_echec(db: Database, **kwargs) -> str | None:
    """rafraichir_modeles, never raising: None when done, else the reason in French (logged).
    The write that called it stays committed; the simulator fits on the fly meanwhile."""
    try:
        rafraichir_modeles(db, **kwargs)
    except Exception as exc:     # the model is a cache: its failure never undoes a write
        logger.warning("Modèle de vacance non réestimé : %s", exc, exc_info=True)
        return ("Le modèle de vacance du simulateur n'a pas pu être réestimé "
                f"({type(exc).__name__} : {exc}) ; les données sont bien enregistrées et le "
                "simulateur l'estimera à sa première ouverture.")
    return None


def apres_import(db: Database, result, actor: str | None, progress=None) -> None:
    """After an import batch: refit when it was committed; a failure becomes a warning of
    the import's report (fluxcore.imports.ImportResult), the import stays."""
    if not result.applied:
        return
    if progress is not None:
        progress(0.95, "Modèle de vacance du simulateur")
    message = rafraichir_sans_echec(db, actor=actor, action="importer")
    if message:
        from fluxcore.imports.problems import AVERTISSEMENT

        result.problems.add("lot", None, None, None, message, AVERTISSEMENT)


def apres_reglage(db: Database, cle: str, actor: str | None = None) -> None:
    """After a setting was saved: refit when the model reads it (a failure is logged)."""
    if cle in PARAMETRES:
        rafraichir_sans_echec(db, actor=actor, action="parametrer")


def _nb(cur: duckdb.DuckDBPyConnection) -> int:
    row = cur.execute("select valeur from parametre where cle = 'rotation_annees_historique'"
                      ).fetchone()
    return int(BY_KEY["rotation_annees_historique"].defaut if row is None
               else json.loads(row[0]))


def _supprimer(cur: duckdb.DuckDBPyConnection, key: tuple[str, int, int]) -> None:
    ids = "select modele_id from modele_vacance where departement = ? and annee = ? and nb = ?"
    for table in TABLES[:3]:
        cur.execute(f"delete from {table} where modele_id in ({ids})", list(key))
    cur.execute("delete from modele_vacance where departement = ? and annee = ? and nb = ?",
                list(key))


def _ecrire(cur: duckdb.DuckDBPyConnection, key: tuple[str, int, int], emp: str,
            m: ModeleVacance, actor: str) -> None:
    mid = cur.execute("select nextval('modele_vacance_seq')").fetchone()[0]
    pred = m.predictions[COLONNES_PREDICTION].assign(
        modele_id=mid, rang=np.arange(len(m.predictions), dtype=np.int32))
    cal = m.calibration.reindex(columns=["decile", "n", "predit", "observe"])
    coef = m.coefficients.reindex(columns=["variable", "coef", "odds_ratio"])
    cur.execute(
        "insert into modele_vacance (modele_id, departement, annee, nb, empreinte, estime, "
        "message, n_apprentissage, annees_observees, taux_moyen, brier, brier_reference, auc, "
        "n_predictions, n_calibration, n_coefficients, estime_le, estime_par) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [mid, *key, emp, bool(m.estime), m.message, int(m.n_apprentissage),
         [int(a) for a in m.annees_observees], float(m.taux_moyen), m.brier,
         m.brier_reference, m.auc, len(pred), len(cal), len(coef), datetime.now(), actor])
    for table, df, cols in (
            ("modele_vacance_prediction", pred, "modele_id, rang, " + ", ".join(
                COLONNES_PREDICTION)),
            ("modele_vacance_calibration", cal.assign(modele_id=mid),
             "modele_id, decile, n, predit, observe"),
            ("modele_vacance_coefficient",
             coef.assign(modele_id=mid, rang=np.arange(len(coef), dtype=np.int32)),
             "modele_id, rang, variable, coef, odds_ratio")):
        if len(df):
            cur.register("_modele_lignes", df)
            try:
                cur.execute(f"insert into {table} ({cols}) select {cols} from _modele_lignes")
            finally:
                cur.unregister("_modele_lignes")


def _resume(todo: list[tuple[str, int, int]], annees: list[int], nb: int,
            secondes: float) -> str:
    deps = sorted({d for d, _, _ in todo})
    if not deps:
        return "Modèles de vacance du simulateur retirés (départements sans logement du flux)."
    return (f"Modèle de vacance du simulateur réestimé pour {', '.join(map(str, annees))} "
            f"(historique de {accord(nb, 'an', 'ans')}), "
            f"{pluriel(len(deps), 'département', 'départements')} {', '.join(deps)} "
            f"({fmt_num(secondes, 1)} s).")
