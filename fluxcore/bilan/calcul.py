"""The figures of the annual bilan (R441-5-1, docs/regles.md#bilan), for the whole
patrimoine at once.

For year N−1 (`annee`): every libération of the year with its latest orientation, counted per
destination, EPCI and category of each dimension (typologie, financement, QPV/hors QPV,
commune, période de construction), with the attributions, the households' priority and first
quartile, the dwellings returned to the bailleur; the flux of each réservataire's perimeters
for the quality comparison; the gauges per convention (rate, flux entered, owed). For year N:
the forecast of subtracted dwellings per category and the forecast flux per convention, its
forecast owed prorated to the days the convention is in force (fluxcore.conventions). The
annual statistics on reservations per type of réservataire (arrêté du 28 novembre 2011,
statistiques.py), per département.
One query per kind of figure; each recipient's document (documents.py) is a filter of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from fluxcore.bilan.statistiques import statistiques
from fluxcore.codes import FINANCEMENTS
from fluxcore.db import Database, en_parallele, load_sql
from fluxcore.errors import BilanError
from fluxcore.jauges import jauges_conventions
from fluxcore.parametres import get_parametres
from fluxcore.perimetre import Perimetre
from fluxcore.referentiel import noms

DIMENSIONS = {"typologie": "Typologie", "financement": "Financement",
              "qpv": "QPV / hors QPV", "commune": "Commune",
              "construction": "Période de construction"}
MESURES = ["logements", "attribues", "rendus", "en_cours", "prioritaires", "dalo", "q1",
           "quartile_inconnu"]
QPV = {"QPV": "En QPV", "HORS_QPV": "Hors QPV"}
TYPOLOGIES = ["T1", "T2", "T3", "T4", "T5", "T6"]


@dataclass(frozen=True)
class Bilan:
    """Everything the bilan of one year needs, for every recipient."""

    annee: int
    arret: date                 # last day counted (31/12 once the year is over)
    complet: bool               # False: provisional bilan of the current year
    bailleur: str
    reglages: dict
    destinataires: pd.DataFrame  # genre (reservataire|epci), code, nom, type, territoire
    detail: pd.DataFrame         # bilan/detail.sql
    logements: pd.DataFrame      # bilan/logements.sql: the libérations behind the counts
    flux: pd.DataFrame           # bilan/flux_perimetre.sql
    conventions: pd.DataFrame    # gauges per convention of year N−1 (jauges_conventions)
    prevision: pd.DataFrame      # rights of year N with flux_net_prevu, part_annee,
    #                              droits_prevus (avec_droits_prevus)
    soustraits_prevus: pd.DataFrame  # departement, epci_siren, commune_insee, categorie, prevision
    communes: dict[str, str]     # INSEE code → name
    epcis: dict[str, str]        # SIREN → name
    departements: dict[str, str]
    # arrêté du 28 novembre 2011: per département and type of réservataire (statistiques.py)
    statistiques: pd.DataFrame = field(default_factory=pd.DataFrame)
    # every setting as read for this bilan (get_parametres): the documents' own reads use them
    parametres: dict = field(default_factory=dict, repr=False)

    @property
    def annee_prevision(self) -> int:
        return self.annee + 1

    def libelle(self, dimension: str, code: str) -> str:
        """Display label of a category of a dimension."""
        if dimension == "qpv":
            return QPV.get(code, code)
        if dimension == "commune":
            return self.communes.get(code, code)
        if dimension == "construction":
            return libelle_periode(code, self.reglages["periodes_construction"])
        return code


def libelle_periode(code: str, bornes: list[int]) -> str:
    """Band index (as produced by the SQL) → « Avant 1949 », « 1949–1974 », « Depuis 2013 »."""
    if code == "INCONNUE":
        return "Année inconnue"
    i = int(code)
    if i == 0:
        return f"Avant {bornes[0]}"
    if i >= len(bornes):
        return f"Depuis {bornes[-1]}"
    return f"{bornes[i - 1]}–{bornes[i] - 1}"


_RANGS = {"typologie": {t: i for i, t in enumerate(TYPOLOGIES)},
          "financement": {f: i for i, f in enumerate(FINANCEMENTS)},
          "qpv": {"QPV": 0, "HORS_QPV": 1}}


def cle_categorie(dimension: str, code):
    """Sort key of one category of a dimension (typologies and bands in their order, an
    unknown code last; other dimensions: the code itself)."""
    if dimension in _RANGS:
        return _RANGS[dimension].get(code, 99)
    if dimension == "construction":
        return 999 if code == "INCONNUE" else int(code)
    return code


def ordre_categories(dimension: str, codes: pd.Series) -> pd.Series:
    """Sort key of the categories of a dimension (typologies and bands in their order)."""
    if dimension == "commune":
        return codes
    return codes.map(lambda c: cle_categorie(dimension, c))


def calculer_bilan(db: Database, annee: int, aujourdhui: date | None = None) -> Bilan:
    """The bilan of `annee` (N−1) and the prévisionnel of `annee + 1`, whole patrimoine.

    `aujourdhui` (default: today) stops a year still running: the bilan is then provisional.
    """
    ref = aujourdhui or date.today()
    if annee > ref.year:
        raise BilanError(f"L'année {annee} n'a pas commencé : pas de bilan possible.")
    s = get_parametres(db)
    p = Perimetre(annee, aujourdhui=ref)
    bornes = [int(b) for b in s["periodes_construction"]]
    params = {**p.params(), "nb": int(s["rotation_annees_historique"]),
              "premieres": bool(s["premieres_mises_en_location_dans_flux"]), "bornes": bornes}
    detail, flux, logements, conv, prev, sous, dest, stats = en_parallele(
        lambda: db.df(load_sql("bilan/detail"), params),
        lambda: db.df(load_sql("bilan/flux_perimetre"), params),
        lambda: db.df(load_sql("bilan/logements"), params),
        lambda: jauges_conventions(db, p, s),
        lambda: jauges_conventions(db, Perimetre(annee + 1, aujourdhui=date(annee + 1, 1, 1)),
                                   s),
        lambda: db.df(load_sql("bilan/soustraits_prevus"),
                      {"annee": annee + 1, "nb": int(s["rotation_annees_historique"])}),
        lambda: db.df(load_sql("bilan/destinataires"), p.params()),
        lambda: db.df(load_sql("bilan/statistiques"), params))
    prev = avec_droits_prevus(prev)
    return Bilan(
        annee=annee, arret=p.date_arret, complet=p.annee_complete,
        bailleur=str(s.get("bailleur_nom") or "").strip() or "Le bailleur",
        reglages={k: s[k] for k in ("periodes_construction", "rendu_bailleur_compte_livre",
                                    "premieres_mises_en_location_dans_flux",
                                    "rotation_annees_historique", "bilan_echeance")},
        destinataires=dest, detail=detail, logements=logements, flux=flux, conventions=conv,
        prevision=prev, soustraits_prevus=sous,
        communes=noms(db, "ref_commune").to_dict(),
        epcis=noms(db, "ref_epci").to_dict(),
        departements=db.df("select departement, nom from ref_departement")
        .set_index("departement")["nom"].to_dict(),
        statistiques=statistiques(stats, bool(s["rendu_bailleur_compte_livre"])),
        parametres=dict(s))


def avec_droits_prevus(prev: pd.DataFrame) -> pd.DataFrame:
    """Next year's gauges per right (jauges_conventions of N) with droits_prevus = rate ×
    forecast flux of its perimeter × the part of the year it covers (fluxcore.conventions:
    20 % of 365 from 01/04 to 31/12 → 55)."""
    return prev.assign(droits_prevus=prev["taux_flux"] / 100.0 * prev["flux_net_prevu"]
                       * prev["part_annee"])


def totaux(detail: pd.DataFrame) -> dict[str, int]:
    """Headline counts of a slice of the detail (every dimension partitions the same
    libérations: the typologie rows are added up)."""
    t = detail[detail["dimension"] == "typologie"]
    return {m: int(t[m].sum()) for m in MESURES}
