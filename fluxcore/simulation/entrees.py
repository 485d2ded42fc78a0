"""What a simulation reads from the base, once per département and period.

`charger_entrees` runs a handful of set-based queries; every scenario change afterwards is
computed in memory from these tables (a negotiator moves a slider: no SQL). `entrees_simples`
builds the same object by hand for a one-territory example (docs/regles.md#exemples).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from fluxcore.db import Database, en_parallele, load_sql
from fluxcore.parametres import BY_KEY, get_parametres
from fluxcore.referentiel import libelle_perimetre

COLONNES_DEROGATION = ("derogation_id", "departement", "arrete", "date_debut", "date_fin",
                       "taux_max", "taux_agents_max")
REGLAGES = ("prefet_taux_max_pct", "prefet_fonctionnaires_max_pct", "prefet_hors_qpv_min_pct",
            "garantie_emprunt_max_pct", "garantie_emprunt_base", "lecture_hors_qpv_prefet",
            "premieres_mises_en_location_dans_flux", "rotation_annees_historique",
            "garantie_duree_apres_pret_ans")


@dataclass
class Entrees:
    """Inputs of the simulation of one département over a period.

    parc: commune_insee, epci_siren, typologie, en_qpv, annee, parc, premieres
    observe: commune_insee, epci_siren, typologie, en_qpv, parc_observe, liberations_observees
    soustraits: commune_insee, epci_siren, categorie, par_an (observed mean per year)
    stock: reservataire_id, commune_insee, epci_siren, type_droit, date_fin, logements,
        nb_droits (in force on 1 January of the first year)
    conventions: reservataire_id, nom, type, perimetre, taux_flux, garantie_emprunt,
        date_signature, fin_droits (loan guarantee: end of the loan + N years), debut_droits
        (a convention starting after 1 January of the first year), … en_vigueur
    derogations: the préfectoral dérogations of the département touching the period
        (derogation_id, departement, arrete, date_debut, date_fin, taux_max, taux_agents_max)
    vacance: per flux dwelling in service on 1 January of the first year: commune_insee,
        epci_siren, typologie, en_qpv, p (vacancy probability of the model); may be empty
    """

    departement: str
    annee_debut: int
    annee_fin: int
    parc: pd.DataFrame
    observe: pd.DataFrame
    soustraits: pd.DataFrame
    stock: pd.DataFrame
    conventions: pd.DataFrame
    reglages: dict = field(default_factory=dict)
    communes: dict[str, str] = field(default_factory=dict)
    vacance: pd.DataFrame = field(default_factory=pd.DataFrame)
    modele: object | None = None  # fluxcore.simulation.modele.ModeleVacance
    derogations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=list(COLONNES_DEROGATION)))
    epcis: dict[str, str] = field(default_factory=dict)     # names of the EPCI (SIREN)

    def libelle_perimetre(self, perimetre: str | None) -> str:
        """A line's perimeter in words: « Commune d'Épernay », « CU du Grand Reims », « Tout
        le département de la Marne »."""
        return libelle_perimetre(perimetre, self.departement, {**self.communes, **self.epcis})

    @property
    def annees(self) -> list[int]:
        return list(range(self.annee_debut, self.annee_fin + 1))


def reglages_par_defaut() -> dict:
    return {k: BY_KEY[k].defaut for k in REGLAGES}


def charger_entrees(db: Database, departement: str, annee_debut: int, annee_fin: int,
                    modele: bool = True) -> Entrees:
    """Read everything a simulation of `departement` over annee_debut..annee_fin needs; with
    `modele`, the vacancy model kept with the base (fitted now if its inputs changed since).
    The reads are independent: they run at once (fluxcore.db.en_parallele)."""
    reglages = {k: v for k, v in get_parametres(db).items() if k in REGLAGES}
    nb = int(reglages["rotation_annees_historique"])
    p = {"dep": departement, "debut": annee_debut, "fin": annee_fin, "annee": annee_debut,
         "nb": nb}

    def requete(name: str) -> Callable[[], pd.DataFrame]:
        return lambda: db.df(load_sql(f"simulation/{name}"), p)

    modeles = []
    if modele:  # the model kept with the base, and the fingerprint of its inputs now
        from fluxcore.simulation import modele_stocke  # sklearn only when a fit is needed

        modeles = [lambda: modele_stocke.lire(db, departement, annee_debut, nb),
                   lambda: modele_stocke.empreinte(db, departement, annee_debut, nb)]
    # the longest first: two cores share them
    observe, *stored, conventions, stock, soustraits, parc, derogations, noms, epcis = (
        en_parallele(requete("observe"), *modeles, requete("conventions"), requete("stock"),
                     requete("soustraits"), requete("parc"), requete("derogations"),
                     lambda: db.df("select code_insee, nom from ref_commune "
                                   "where departement = ?", [departement]),
                     lambda: _noms_epci(db, departement)))
    if parc.empty or int(parc["parc"].sum() + parc["premieres"].sum()) == 0:
        from fluxcore.errors import FluxcoreError

        raise FluxcoreError(f"Aucun logement du flux dans le département « {departement} » : "
                            "importez le patrimoine avant de simuler.")
    e = Entrees(departement, annee_debut, annee_fin, _typed(parc), _typed(observe), soustraits,
                stock, conventions, reglages, dict(zip(noms["code_insee"], noms["nom"])),
                derogations=derogations, epcis=epcis)
    if modele:
        from fluxcore.simulation.modele import estimer_modele

        stocke = modele_stocke.valide(*stored)
        e.modele = stocke if stocke is not None else estimer_modele(db, departement,
                                                                    annee_debut, nb)
        e.vacance = e.modele.predictions
    from fluxcore.simulation.calcul import cube  # calcul builds on this module

    cube(e)  # the arrays travel with the object (cached by the page)
    return e


def _noms_epci(db: Database, departement: str) -> dict[str, str]:
    df = db.df("select epci_siren, nom from ref_epci where epci_siren in (select epci_siren "
               "from ref_commune where departement = ?)", [departement])
    return dict(zip(df["epci_siren"], df["nom"]))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df["en_qpv"] = df["en_qpv"].astype(bool)
    for col in df.columns:
        if col in ("parc", "premieres", "parc_observe", "liberations_observees"):
            df[col] = df[col].astype("int64")
    return df


def entrees_simples(annees: list[int], parc: dict[tuple[str, bool], int] | int,
                    rotation_pct: dict[tuple[str, bool], float] | float | None = None,
                    premieres: int = 0, soustraits: dict[str, float] | None = None,
                    stock: dict[str, int] | None = None,
                    uniques: dict[str, tuple[float, int]] | None = None,
                    conventions: list[dict] | None = None) -> Entrees:
    """One commune ('00001') with a given parc per segment (or a total, taken as T3 hors
    QPV), observed rotation in percent, first lettings and subtractions per year, droits de
    suite per réservataire and droits uniques {réservataire: (droits, années restantes)}."""
    if isinstance(parc, int):
        parc = {("T3", False): parc}
    rot = rotation_pct if isinstance(rotation_pct, dict) else {
        k: float(rotation_pct or 0.0) for k in parc}
    first = next(iter(parc))
    rows, obs = [], []
    for (typ, qpv), n in parc.items():
        rows += [{"commune_insee": "00001", "epci_siren": "000000001", "typologie": typ,
                  "en_qpv": qpv, "annee": a, "parc": n,
                  "premieres": premieres if (typ, qpv) == first else 0} for a in annees]
        obs.append({"commune_insee": "00001", "epci_siren": "000000001", "typologie": typ,
                    "en_qpv": qpv, "parc_observe": 100 * n,
                    "liberations_observees": round(n * rot.get((typ, qpv), 0.0))})
    parc_df = pd.DataFrame(rows)
    sous = pd.DataFrame([{"commune_insee": "00001", "epci_siren": "000000001", "categorie": c,
                          "par_an": float(v)} for c, v in (soustraits or {}).items()],
                        columns=["commune_insee", "epci_siren", "categorie", "par_an"])
    st = [{"reservataire_id": r, "commune_insee": "00001", "epci_siren": "000000001",
           "type_droit": "SUITE", "date_fin": None, "logements": n, "nb_droits": n}
          for r, n in (stock or {}).items()]
    st += [{"reservataire_id": r, "commune_insee": "00001", "epci_siren": "000000001",
            "type_droit": "UNIQUE", "date_fin": pd.Timestamp(annees[0] + int(ans), 1, 1),
            "logements": 1, "nb_droits": d} for r, (d, ans) in (uniques or {}).items()]
    stock_df = pd.DataFrame(st, columns=["reservataire_id", "commune_insee", "epci_siren",
                                         "type_droit", "date_fin", "logements", "nb_droits"])
    conv = pd.DataFrame(conventions or [], columns=[
        "reservataire_id", "nom", "type", "perimetre", "taux_flux", "garantie_emprunt",
        "date_signature", "fin_droits", "debut_droits", "annee_debut", "annee_fin",
        "en_vigueur"])
    return Entrees("00", annees[0], annees[-1], parc_df, pd.DataFrame(obs), sous, stock_df,
                   conv, reglages_par_defaut(), {"00001": "Commune exemple"})
