"""What each recipient receives: the bilan of one réservataire or of one EPCI, as tables.

A `DocumentBilan` holds plain DataFrames with codes and numbers; the writers (classeur.py,
impression.py) and the page only format them. Every table of a document adds up to the same
headline counts (`chiffres`): each dimension partitions the same libérations.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from fluxcore.acces import pour_reservataire
from fluxcore.bilan.calcul import (
    DIMENSIONS,
    MESURES,
    Bilan,
    avec_droits_prevus,
    calculer_bilan,
    ordre_categories,
    totaux,
)
from fluxcore.bilan.textes import notes_methode
from fluxcore.codes import DESTINATIONS_BAILLEUR
from fluxcore.db import Database, en_parallele
from fluxcore.errors import BilanError
from fluxcore.formats import STATUTS
from fluxcore.geo import dans_perimetre
from fluxcore.jauges import jauges_conventions, jauges_reservataires
from fluxcore.perimetre import Perimetre
from fluxcore.referentiel import libelle_perimetre
from fluxcore.regles import INTERNES

NON_ORIENTE = "NON_ORIENTE"
BAILLEUR = DESTINATIONS_BAILLEUR.groupes["BAILLEUR"]     # « Bailleur (part non réservée) »


@dataclass
class DocumentBilan:
    genre: str                 # "reservataire" or "epci"
    code: str
    nom: str
    type: str
    annee: int
    arret: date
    complet: bool
    bailleur: str
    chiffres: dict[str, float]
    synthese: pd.DataFrame
    croisements: dict[str, pd.DataFrame]
    soustraits: pd.DataFrame
    prevision: pd.DataFrame
    notes: list[str]
    logements: pd.DataFrame      # the libérations behind the counts (no household data)
    croisements_detail: dict[str, pd.DataFrame] = field(default_factory=dict)  # EPCI only

    @property
    def titre(self) -> str:
        return f"Bilan annuel {self.annee} des attributions — {self.nom}"

    @property
    def nom_fichier(self) -> str:
        """File stem, ASCII: bilan_2025_reservataire_action-logement-services."""
        suffix = "" if self.complet else "_provisoire"
        return f"bilan_{self.annee}_{self.genre}_{slug(self.nom)}{suffix}"


def _cle(text: str) -> str:
    """Alphabetical key ignoring accents and case (Épernay among the E)."""
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()


def slug(text: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:60] or "sans-nom"


def _info(b: Bilan, genre: str, code: str) -> pd.Series:
    d = b.destinataires
    row = d[(d["genre"] == genre) & (d["code"] == code)]
    if row.empty:
        quoi = "réservataire" if genre == "reservataire" else "EPCI"
        raise BilanError(f"Aucun bilan {b.annee} pour le {quoi} « {code} » : il n'a ni "
                         "convention en vigueur ni logement orienté cette année-là.")
    return row.iloc[0]


def _perimetre_label(b: Bilan, dep: str, perimetre) -> str:
    """« Tout le département de la Marne », « Commune de Reims », « CU du Grand Reims »."""
    return libelle_perimetre(perimetre, dep, {**b.communes, **b.epcis})


def _masque_perimetres(df: pd.DataFrame, conv: pd.DataFrame) -> pd.Series:
    """Rows (departement, epci_siren, commune_insee) inside one of the conventions' perimeters."""
    mask = pd.Series(False, index=df.index)
    for c in conv[["departement", "perimetre"]].drop_duplicates().itertuples():
        local = c.perimetre is not None and not pd.isna(c.perimetre)
        inside = df["departement"] == c.departement
        if local:
            inside &= dans_perimetre(c.perimetre, df["commune_insee"], df["epci_siren"])
        mask |= inside
    return mask


def _croisement(b: Bilan, d: pd.DataFrame, dim: str, flux: pd.DataFrame | None) -> pd.DataFrame:
    """Categories of one dimension: counts, share of the dwellings, share of the flux."""
    g = d[d["dimension"] == dim].groupby("categorie", as_index=False)[MESURES].sum()
    if flux is not None:
        f = flux[flux["dimension"] == dim][["categorie", "flux"]]
        g = g.merge(f, on="categorie", how="outer").fillna(0)
    g[MESURES] = g[MESURES].astype(int)
    total = g["logements"].sum()
    g["part"] = 100.0 * g["logements"] / total if total else float("nan")
    if flux is not None:
        g["flux"] = g["flux"].astype(int)
        tf = g["flux"].sum()
        g["part_flux"] = 100.0 * g["flux"] / tf if tf else float("nan")
    g = g.rename(columns={"categorie": "code"})
    g.insert(1, "categorie", [b.libelle(dim, c) for c in g["code"]])
    key = ordre_categories(dim, g["code"]) if dim != "commune" else g["categorie"].map(_cle)
    return g.assign(_k=key.values).sort_values("_k").drop(columns="_k").reset_index(drop=True)


def _soustraits(realise: pd.DataFrame, prevus: pd.DataFrame) -> pd.DataFrame:
    r = realise.groupby("destinataire")[["logements", "attribues"]].sum()
    p = prevus.groupby("categorie")["prevision"].sum()
    out = pd.DataFrame({"categorie": list(INTERNES)})
    out["libelle"] = out["categorie"].map(DESTINATIONS_BAILLEUR.libelles)
    out["realise"] = out["categorie"].map(r["logements"]).fillna(0).astype(int)
    out["attribues"] = out["categorie"].map(r["attribues"]).fillna(0).astype(int)
    out["prevision"] = out["categorie"].map(p).fillna(0.0).astype(float)
    return out


def document_reservataire(b: Bilan, reservataire_id: str) -> DocumentBilan:
    """The bilan of one réservataire: all its conventions, every territory."""
    info = _info(b, "reservataire", reservataire_id)
    d = b.detail[b.detail["destinataire"] == reservataire_id]
    chiffres: dict[str, float] = dict(totaux(d))
    t = d[d["dimension"] == "typologie"]
    chiffres["hors_flux"] = int(t.loc[~t["dans_flux"], "logements"].sum())
    conv = b.conventions[b.conventions["reservataire_id"] == reservataire_id].copy()
    conv["perimetre_libelle"] = [_perimetre_label(b, c.departement, c.perimetre)
                                 for c in conv.itertuples()]
    compte = bool(b.reglages["rendu_bailleur_compte_livre"])
    conv["livres"] = conv["orientes"] - (0 if compte else conv["rendus"])
    conv["ecart"] = conv["livres"] - conv["du"]
    chiffres["du"] = float(conv["du"].sum())
    livres = int(t.loc[t["dans_flux"], "logements"].sum()) - (
        0 if compte else int(t.loc[t["dans_flux"], "rendus"].sum()))
    chiffres["livres"], chiffres["ecart"] = livres, livres - chiffres["du"]
    synthese = conv[["departement", "perimetre", "perimetre_libelle", "taux_flux", "entres",
                     "du", "orientes", "attribues", "rendus", "en_cours", "livres",
                     "ecart"]].reset_index(drop=True)
    flux = b.flux[b.flux["reservataire_id"] == reservataire_id]
    crois = {dim: _croisement(b, d, dim, flux) for dim in DIMENSIONS}
    prev = b.prevision[b.prevision["reservataire_id"] == reservataire_id].copy()
    prev["perimetre_libelle"] = [_perimetre_label(b, c.departement, c.perimetre)
                                 for c in prev.itertuples()]
    prevision = prev[["departement", "perimetre", "perimetre_libelle", "taux_flux",
                      "flux_net_prevu", "droits_prevus"]].reset_index(drop=True)
    chiffres["droits_prevus"] = float(prevision["droits_prevus"].sum())
    perims = pd.concat([conv[["departement", "perimetre"]], prev[["departement", "perimetre"]]])
    internes = _lignes_internes(b)
    sous = _soustraits(internes[_masque_perimetres(internes, perims)],
                       b.soustraits_prevus[_masque_perimetres(b.soustraits_prevus, perims)])
    return DocumentBilan(
        "reservataire", reservataire_id, str(info["nom"]), str(info["type"]), b.annee, b.arret,
        b.complet, b.bailleur, chiffres, synthese, crois, sous, prevision,
        notes_methode(b, "reservataire"),
        _logements(b, b.logements["destinataire"] == reservataire_id))


@pour_reservataire(argument="reservataire_id")
def bilan_reservataire(db: Database, annee: int, reservataire_id: str,
                       aujourdhui: date | None = None) -> DocumentBilan:
    """One réservataire's bilan of `annee`, without the other recipients' figures (what a
    réservataire account may download)."""
    b = calculer_bilan(db, annee, aujourdhui)
    if reservataire_id not in set(b.destinataires.loc[
            b.destinataires["genre"] == "reservataire", "code"]):
        raise BilanError(f"Le réservataire « {reservataire_id} » n'a aucune convention en "
                         f"vigueur en {annee} : pas de bilan pour cette année.")
    return document_reservataire(b, reservataire_id)


def document(db: Database, b: Bilan, genre: str, code: str) -> DocumentBilan:
    """The document of a recipient: genre "reservataire" or "epci"."""
    return document_epci(db, b, code) if genre == "epci" else document_reservataire(b, code)


def _lignes_internes(b: Bilan) -> pd.DataFrame:
    """Internal uses of the year per commune, with the columns of a perimeter mask."""
    d = b.detail
    out = d[(d["dimension"] == "commune") & d["destinataire"].isin(INTERNES)]
    return out.rename(columns={"categorie": "commune_insee"})


def document_epci(db: Database, b: Bilan, epci_siren: str) -> DocumentBilan:
    """The bilan of one EPCI: every dwelling of its territory, per destination."""
    info = _info(b, "epci", epci_siren)
    d = b.detail[b.detail["epci_siren"] == epci_siren].copy()
    d["destinataire"] = d["destinataire"].fillna(NON_ORIENTE)
    noms = _noms_destinations(db, d["destinataire"].unique())
    d["nom"] = d["destinataire"].map(noms)
    d["groupe"] = d["destinataire"].map(_groupe)
    t = d[d["dimension"] == "typologie"]
    by = t.groupby("groupe")[MESURES].sum()
    chiffres: dict[str, float] = {"liberes": int(t["logements"].sum()),
                                  "dans_flux": int(t.loc[t["dans_flux"], "logements"].sum())}
    for g in ("reservataire", "bailleur", "interne", "non_oriente"):
        chiffres[g] = int(by["logements"].get(g, 0))
    chiffres["attribues_reservataires"] = int(by["attribues"].get("reservataire", 0))
    for m in ("attribues", "prioritaires", "dalo", "q1", "quartile_inconnu", "rendus"):
        chiffres[m] = int(t[m].sum())
    p = Perimetre(b.annee, epci_siren=epci_siren, aujourdhui=b.arret)
    # the year's gauges and next year's conventions: two independent reads at once
    synthese, prev = en_parallele(
        lambda: _synthese_epci(db, b, p, t),
        lambda: jauges_conventions(db, Perimetre(b.annee + 1, epci_siren=epci_siren,
                                                 aujourdhui=date(b.annee + 1, 1, 1))))
    chiffres["du"] = float(synthese.loc[synthese["groupe"] == "reservataire", "du"].sum())
    crois = {dim: _croisement(b, d, dim, None) for dim in DIMENSIONS}
    detail = {dim: _croisement_destinations(b, d, dim) for dim in DIMENSIONS}
    prev = avec_droits_prevus(prev)
    prev["perimetre_libelle"] = [
        "Départementale (sur le territoire)" if pd.isna(c.perimetre)
        else _perimetre_label(b, c.departement, c.perimetre) for c in prev.itertuples()]
    prevision = prev[["reservataire_id", "nom", "type", "departement", "perimetre",
                      "perimetre_libelle", "taux_flux", "flux_net_prevu",
                      "droits_prevus"]].reset_index(drop=True)
    whole = prev[prev["perimetre"].isna()].drop_duplicates("departement")
    chiffres["flux_net_prevu"] = (float(whole["flux_net_prevu"].sum()) if len(whole)
                                  else float("nan"))
    chiffres["droits_prevus"] = float(prevision["droits_prevus"].sum())
    internes = _lignes_internes(b)
    sp = b.soustraits_prevus
    sous = _soustraits(internes[internes["epci_siren"] == epci_siren],
                       sp[sp["epci_siren"] == epci_siren])
    return DocumentBilan(
        "epci", epci_siren, str(info["nom"]), "EPCI", b.annee, b.arret, b.complet,
        b.bailleur, chiffres, synthese, crois, sous, prevision, notes_methode(b, "epci"),
        _logements(b, b.logements["epci_siren"] == epci_siren, noms).drop(
            columns=["logement_id", "residence"]), detail)


def _logements(b: Bilan, mask: pd.Series, noms: dict | None = None) -> pd.DataFrame:
    """The recipient's libérations, labelled for reading."""
    df = b.logements[mask].copy()
    df["commune"] = df["commune_insee"].map(b.communes).fillna(df["commune_insee"])
    df["qpv"] = df["en_qpv"].map({True: "En QPV", False: "Hors QPV"})
    dest = df["destinataire"].fillna(NON_ORIENTE)
    names = noms or {}
    df["destination"] = [names.get(c, c) for c in dest]
    df["statut_libelle"] = df["statut"].map(STATUTS).fillna("Pas encore orienté")
    return df.reset_index(drop=True)


def _groupe(dest: str) -> str:
    if dest == NON_ORIENTE:
        return "non_oriente"
    if dest == "BAILLEUR":
        return "bailleur"
    return "interne" if dest in INTERNES else "reservataire"


def _noms_destinations(db: Database, codes) -> dict[str, str]:
    rv = db.df("select reservataire_id, nom from reservataire")
    noms = dict(zip(rv["reservataire_id"], rv["nom"]))
    noms.update(DESTINATIONS_BAILLEUR.groupes)      # the bailleur as its share of the flux
    noms[NON_ORIENTE] = "Pas encore orienté"
    return {c: noms.get(c, c) for c in codes}


def _synthese_epci(db: Database, b: Bilan, p: Perimetre, t: pd.DataFrame) -> pd.DataFrame:
    """One row per destination on the territory: owed (gauges), counts (detail)."""
    j = jauges_reservataires(db, p).rename(columns={"reservataire_id": "destinataire"})
    counts = t.groupby(["destinataire", "nom", "groupe"], as_index=False)[MESURES].sum()
    out = j[["destinataire", "nom", "type", "taux", "du"]].merge(
        counts.drop(columns="nom"), on="destinataire", how="outer")
    out["nom"] = out["nom"].fillna(out["destinataire"].map(dict(zip(counts["destinataire"],
                                                                    counts["nom"]))))
    out["groupe"] = out["destinataire"].map(_groupe)
    out.loc[out["destinataire"] == "BAILLEUR", "nom"] = BAILLEUR
    types = db.df("select reservataire_id, type from reservataire")
    out["type"] = out["type"].fillna(out["destinataire"].map(
        dict(zip(types["reservataire_id"], types["type"])))).fillna(out["groupe"].map(
            {"interne": "USAGE_INTERNE", "non_oriente": "NON_ORIENTE"}))
    out[MESURES] = out[MESURES].fillna(0).astype(int)
    compte = bool(b.reglages["rendu_bailleur_compte_livre"])
    f = t[t["dans_flux"]].groupby("destinataire")[["logements", "rendus"]].sum()
    dans = out["destinataire"].map(f["logements"]).fillna(0)
    livres = dans - (0 if compte else out["destinataire"].map(f["rendus"]).fillna(0))
    out["ecart"] = (livres - out["du"]).where(out["du"].notna())
    order = {"reservataire": 0, "bailleur": 1, "interne": 2, "non_oriente": 3}
    out = out.assign(_g=out["groupe"].map(order)).sort_values(
        ["_g", "du", "logements"], ascending=[True, False, False])
    return out.drop(columns="_g").reset_index(drop=True)


def _croisement_destinations(b: Bilan, d: pd.DataFrame, dim: str) -> pd.DataFrame:
    """Long table: category × destination, with proposed and attributed counts."""
    g = d[d["dimension"] == dim].groupby(["categorie", "destinataire", "nom", "groupe"],
                                         as_index=False)[["logements", "attribues"]].sum()
    g = g.rename(columns={"categorie": "code"})
    g.insert(1, "categorie", [b.libelle(dim, c) for c in g["code"]])
    key = ordre_categories(dim, g["code"]) if dim != "commune" else g["categorie"].map(_cle)
    return g.assign(_k=key.values).sort_values(["_k", "logements"], ascending=[True, False]
                                               ).drop(columns="_k").reset_index(drop=True)
