"""Annual statistics on reservations (arrêté du 28 novembre 2011, docs/regles.md#statistiques),
per type of réservataire, the State's agents apart: dwellings made available, charged to the
contingent at attribution, attributions decided, leases signed, refusals, mutations, attributions
charged to no contingent. Part of the bilan (calcul.py runs the query); the page and the
files show `tableau`.

What the data model holds, and so what each figure is (sql/bilan/statistiques.sql):
- made available: libérations of the year whose latest orientation designates the
  réservataire (the bilan's « proposés »); refusals: those it gave back to the bailleur
  (RENDU_BAILLEUR, no candidate in time). A household's refusals are only counted per
  demande (`demande.nb_refus`, undated, tied to no dwelling): they cannot be split by
  contingent; decided attributions without a signed lease show what follows a CALEOL;
- decided / leases: attributions whose CALEOL date / lease date falls in the year, by the
  dwelling's orientation (the row says to whom it was made available);
- charged to the contingent: the decided attributions of a réservataire's dwellings, a
  dwelling it gave back included when it still counts as delivered (setting
  rendu_bailleur_compte_livre), else charged to no contingent; the bailleur's part, the
  subtracted uses (mutations, relogements: outside the flux, R441-5 I) and attributions
  without orientation are charged to no contingent;
- mutations: decided attributions to a household already a tenant (mutation_interne, or a
  dwelling oriented MUTATION), whatever the row.
"""

from __future__ import annotations

import pandas as pd

from fluxcore.codes import CONTINGENT_DU_TYPE, CONTINGENTS
from fluxcore.neutralisation import BOM, csv
from fluxcore.reglages import libelle
from fluxcore.regles import INTERNES

# rows: the contingents, then the dwellings no contingent covers
LIGNES = {**CONTINGENTS.libelles,
          "SOUSTRAITS": "Usages soustraits du flux (mutations, relogements)",
          "SANS_ORIENTATION": "Attributions sans orientation enregistrée"}
RESERVATAIRES = [c for c in CONTINGENTS if c != "NON_RESERVE"]
INDICATEURS = {
    "mis_a_disposition": "Logements mis à disposition (orientés)",
    "rendus": "Refus : logements rendus au bailleur",
    "decidees": "Attributions décidées (CALEOL)",
    "imputees": "dont imputées au contingent",
    "hors_contingent": "dont imputées à aucun contingent",
    "baux": "Baux signés",
    "sans_bail": "Attributions sans bail signé (refus du ménage ou bail à venir)",
    "mutations": "dont mutations internes",
}
COURTS = {"mis_a_disposition": "Mis à disposition", "rendus": "Rendus",
          "decidees": "Décidées", "imputees": "Imputées", "hors_contingent": "Hors contingent",
          "baux": "Baux signés", "sans_bail": "Sans bail", "mutations": "Mutations"}
TOTAL = "TOTAL"


def ligne(destinataire, type_reservataire) -> str:
    """The row of a destination: its type's contingent, the bailleur's non-reserved part, a
    subtracted use, or none recorded (a réservataire of unknown type: « autres »)."""
    if destinataire is None or (isinstance(destinataire, float) and pd.isna(destinataire)):
        return "SANS_ORIENTATION"
    if destinataire == "BAILLEUR":
        return "NON_RESERVE"
    if destinataire in INTERNES:
        return "SOUSTRAITS"
    return CONTINGENT_DU_TYPE.get(type_reservataire, "AUTRES")


def statistiques(brut: pd.DataFrame, rendu_compte_livre: bool) -> pd.DataFrame:
    """Per département and row (every row, in order, zeros included): the indicators of
    INDICATEURS, from the query's counts per destination."""
    df = brut.assign(ligne=[ligne(d, t) for d, t in zip(brut["destinataire"], brut["type"])])
    cols = ["mis_a_disposition", "rendus", "decidees", "decidees_rendues", "baux", "sans_bail",
            "mutations"]
    g = df.groupby(["departement", "ligne"])[cols].sum()
    deps = sorted(df["departement"].dropna().unique())
    g = g.reindex(pd.MultiIndex.from_product([deps, list(LIGNES)],
                                             names=["departement", "ligne"]), fill_value=0)
    g = g.reset_index()
    reserve = g["ligne"].isin(RESERVATAIRES)
    hors = g["decidees_rendues"] if not rendu_compte_livre else 0
    g["hors_contingent"] = (hors * reserve).where(reserve, g["decidees"]).astype(int)
    g["imputees"] = g["decidees"] - g["hors_contingent"]
    g.insert(2, "libelle", g["ligne"].map(LIGNES))
    return g[["departement", "ligne", "libelle", *INDICATEURS]]


def tableau(stats: pd.DataFrame, departement: str | None = None) -> pd.DataFrame:
    """The statistics of one département (None: the whole patrimoine), one row per line of
    LIGNES and a TOTAL row."""
    df = stats if departement is None else stats[stats["departement"] == departement]
    out = df.groupby("ligne", sort=False)[list(INDICATEURS)].sum().reindex(
        list(LIGNES), fill_value=0).reset_index()
    out.insert(1, "libelle", out["ligne"].map(LIGNES))
    total = out[list(INDICATEURS)].sum()
    out.loc[len(out)] = {"ligne": TOTAL, "libelle": "Total", **total.to_dict()}
    out[list(INDICATEURS)] = out[list(INDICATEURS)].astype(int)
    return out


def notes(rendu_compte_livre: bool) -> list[str]:
    """What each figure is, in French (files and page)."""
    return [
        "Mis à disposition : logements du flux libérés dans l'année dont la dernière "
        "orientation désigne le réservataire (les « proposés » du bilan) ; logements hors "
        "flux (défense, sécurité intérieure, santé) exclus.",
        "Refus : logements rendus au bailleur faute de candidat dans le délai. Les refus des "
        "ménages ne sont enregistrés que par demande (nombre de refus, sans date ni "
        "logement) et ne peuvent pas être rapportés à un contingent ; les attributions sans "
        "bail signé en gardent la trace après la CALEOL.",
        "Attributions décidées : décisions de CALEOL datées de l'année ; baux signés : baux "
        "datés de l'année, quelle que soit la date de la décision. La ligne est celle du "
        "réservataire à qui le logement a été orienté ; les agents de l'État à part.",
        "Imputées au contingent : attributions décidées sur les logements d'un réservataire, "
        "y compris un logement qu'il a rendu, qui compte comme livré : "
        + ("oui" if rendu_compte_livre else "non") + " (paramètre « "
        + libelle("rendu_bailleur_compte_livre") + " »). La part non réservée du bailleur, "
        "les usages soustraits "
        "du flux (mutations, relogements : R441-5) et les attributions sans orientation ne "
        "sont imputés à aucun contingent.",
        "Mutations internes : attributions décidées à un ménage déjà locataire du bailleur "
        "(mutation interne, ou logement orienté en mutation), quelle que soit la ligne.",
    ]


def texte_csv(stats: pd.DataFrame, departements: dict[str, str]) -> str:
    """Every département's table and the whole patrimoine's, French Excel CSV
    (fluxcore.neutralisation.csv) preceded by its BOM (encode it as UTF-8): departement, nom,
    contingent, libellé, the indicators."""
    parts = []
    for dep in [*sorted(stats["departement"].unique()), None]:
        t = tableau(stats, dep)
        t.insert(0, "nom", "Tout le patrimoine" if dep is None else departements.get(dep, dep))
        t.insert(0, "departement", dep or "")
        parts.append(t)
    out = pd.concat(parts, ignore_index=True).rename(
        columns={"ligne": "contingent", "libelle": "libellé", **INDICATEURS})
    return BOM + csv(out)
