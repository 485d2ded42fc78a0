"""Rapprochement SNE: the contingent the national register records at each attribution against
the landlord's own orientations (docs/sne.md).

At a radiation for attribution the landlord records in the SNE the dwelling's RPLS id, the
date (the lease's signature), the DALO status, the accord collectif and the contingent charged
(CCH R441-2-9; arrêté du 17 septembre 2012). The State, the EPCI and the réservataires read
each réservataire's results from those records, known to be unreliable. `rapprocher` pairs
the radiations of a year with the product's attributions (sql/sne/rapprochement.sql: the
numéro unique when the attribution carries it, else the same dwelling and the nearest dates)
and says for each line what disagrees and what to correct:

- CONFORME: same dwelling, the contingent the orientation implies, dates within the tolerance
  (setting sne_tolerance_jours), same year, same DALO status (when the SNE gives one);
- CONTINGENT_DIFFERENT: the SNE charges another contingent than the orientation's
  destinataire implies (setting sne_contingent_par_type, sne_contingent_par_reservataire; the
  bailleur's own uses are « non réservé », a dwelling given back to the bailleur follows
  rendu_bailleur_compte_livre); RESERVATAIRE_DIFFERENT: the same contingent, but the extract
  names another réservataire than the orientation's;
- DATES_ELOIGNEES, AUTRE_ANNEE (within the tolerance, but each side counts it in another
  year), DALO_DIFFERENT, BAIL_NON_DATE (paired with an attribution whose lease date the product
  lacks), LOGEMENT_DIFFERENT (same numéro unique, another dwelling);
- ABSENTE_DU_SNE: a lease signed in the product with no radiation;
- SANS_ATTRIBUTION: a radiation on a dwelling the product knows, with no attribution;
  SANS_ORIENTATION: paired with an attribution that has no orientation;
- LOGEMENT_INCONNU: a radiation whose RPLS id names no dwelling of the product.

Per réservataire: the attributions « selon le bailleur » (leases of the year whose orientation
designates it) and « selon le SNE » (radiations of the year charged to it: the réservataire the
extract names, else the orientation's when the contingents agree, else the only réservataire
of that contingent with a convention over the dwelling's place, the most local first); every
unit of gap is a line of the list.
"""

from __future__ import annotations

import io
import string
import zipfile
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from fluxcore.codes import BAILLEUR, CONTINGENTS, DESTINATIONS_BAILLEUR
from fluxcore.db import Database, load_sql
from fluxcore.neutralisation import excel_writer
from fluxcore.parametres import get_parametres
from fluxcore.perimetre import Perimetre

# how far apart a radiation and a lease of the same dwelling may be and still be paired
FENETRE_JOURS = 183
# a motif of radiation for attribution (« Attribution d'un logement », « Signature du bail »);
# an empty motif counts as one (lower case, no accents)
MOTIF_ATTRIBUTION = r"attribu|\bbail\b"
BAILLEUR_LIBELLE = DESTINATIONS_BAILLEUR.libelles[BAILLEUR]

# statut → (label, what to correct); the order is the order of the lists
STATUTS: dict[str, tuple[str, str]] = {
    "CONTINGENT_DIFFERENT": ("Contingent différent",
                             "Corriger le contingent dans le SNE : {contingent_sne_libelle} → "
                             "{contingent_outil_libelle}"),
    "RESERVATAIRE_DIFFERENT": ("Réservataire différent",
                               "Corriger le réservataire dans le SNE : {reservataire_sne_nom} → "
                               "{reservataire_outil_nom} (même contingent)"),
    "ABSENTE_DU_SNE": ("Absente du SNE",
                       "Radier la demande pour attribution dans le SNE (logement RPLS {rpls}, "
                       "bail du {date_bail}, contingent {contingent_outil_libelle})"),
    "SANS_ATTRIBUTION": ("Radiation sans attribution dans l'outil",
                         "Vérifier le logement dans le SNE ; si la radiation est juste, "
                         "enregistrer l'attribution dans l'outil (logement {logement})"),
    "LOGEMENT_INCONNU": ("Logement inconnu de l'outil",
                         "Corriger l'identifiant RPLS « {logement_rpls} » dans le SNE, ou "
                         "importer le logement dans l'outil"),
    "LOGEMENT_DIFFERENT": ("Logement différent",
                           "Corriger l'identifiant RPLS dans le SNE : « {logement_rpls} » → "
                           "« {rpls} »"),
    "SANS_ORIENTATION": ("Attribution sans orientation",
                         "Enregistrer l'orientation du logement dans l'outil (le SNE impute "
                         "{contingent_sne_libelle})"),
    "DATES_ELOIGNEES": ("Dates éloignées",
                        "Vérifier la date de radiation dans le SNE ({date_radiation}) ou la "
                        "date du bail dans l'outil ({date_bail}) : {ecart_jours} jours d'écart"),
    "AUTRE_ANNEE": ("Année différente",
                    "Bail du {date_bail} dans l'outil, radiation du {date_radiation} au SNE : "
                    "compté sur deux années différentes"),
    "DALO_DIFFERENT": ("Mention DALO différente",
                       "Corriger la mention DALO dans le SNE ({dalo_sne} → {dalo_outil}), ou "
                       "dans l'outil"),
    "BAIL_NON_DATE": ("Bail non daté dans l'outil",
                      "Saisir la date de signature du bail dans l'outil (radiation du "
                      "{date_radiation})"),
    "CONFORME": ("Concordant", ""),
}
ECARTS = [s for s in STATUTS if s != "CONFORME"]
# LOGEMENT_INCONNU when the radiation gives no RPLS id at all
SANS_IDENTIFIANT_RPLS = ("Saisir dans le SNE l'identifiant RPLS du logement attribué (la "
                         "radiation n'en a pas)")
CONTINGENT_NON_RENSEIGNE = "non renseigné"


@dataclass
class Rapprochement:
    """The reconciliation of one year and territory."""
    perimetre: Perimetre
    tolerance: int
    lignes: pd.DataFrame                   # one per attribution or radiation (see the SQL)
    par_reservataire: pd.DataFrame         # cle, libelle, contingent, selon_bailleur, …
    ecartees: dict[str, int] = field(default_factory=dict)   # radiations set aside, and why
    importees: int = 0                     # radiations in the base (all years)
    territoire: str = "Tout le patrimoine"  # the territory, named

    @property
    def synthese(self) -> pd.DataFrame:
        """Lines per statut, in the order of STATUTS (statut, libelle, lignes)."""
        counts = self.lignes["statut"].value_counts()
        return pd.DataFrame([(s, lab, int(counts.get(s, 0))) for s, (lab, _) in STATUTS.items()],
                            columns=["statut", "libelle", "lignes"])

    @property
    def ecarts(self) -> pd.DataFrame:
        return self.lignes[self.lignes["statut"] != "CONFORME"]

    @property
    def concordance_pct(self) -> float | None:
        """Share of the year's lines (paired or not) that agree entirely."""
        n = len(self.lignes)
        return None if n == 0 else 100.0 * int((self.lignes["statut"] == "CONFORME").sum()) / n


def parametres_contingent(s: dict) -> dict:
    """The parameters of the expected-contingent rule (sql/sne/contingents.sql and
    sql/sne/contingent_attendu.sql) from the settings `s`: $types, $type_contingents,
    $res_ids, $res_contingents, $compte_rendu. The demo's radiations use the same."""
    types = dict(s["sne_contingent_par_type"])
    propres = dict(s["sne_contingent_par_reservataire"])
    return {"types": list(types), "type_contingents": list(types.values()),
            "res_ids": list(propres), "res_contingents": list(propres.values()),
            "compte_rendu": bool(s["rendu_bailleur_compte_livre"])}


def _parametres(db: Database, p: Perimetre, s: dict) -> dict:
    return {**p.params(), "debut": date(p.annee, 1, 1), "fin": date(p.annee, 12, 31),
            "tolerance": int(s["sne_tolerance_jours"]), "fenetre": FENETRE_JOURS,
            **parametres_contingent(s), "sirens": list(s["sne_siren_bailleur"]),
            "motif_attribution": MOTIF_ATTRIBUTION}


def rapprocher(db: Database, p: Perimetre, settings: dict | None = None) -> Rapprochement:
    """Pair the year's SNE radiations with the product's attributions in the territory of
    `p` (the whole year, whatever p.aujourdhui)."""
    s = settings or get_parametres(db)
    params = _parametres(db, p, s)
    lignes = db.df(load_sql("sne/rapprochement"), params)
    noms = _noms(db)
    lignes = _libelles(lignes, noms)
    codes = [c for c in lignes["commune_insee"].dropna().unique()]
    communes = db.df("select code_insee, nom from ref_commune where code_insee in "
                     "(select unnest(?))", [codes]) if codes else pd.DataFrame()
    lignes["commune"] = lignes["commune_insee"].map(
        dict(zip(communes.get("code_insee", []), communes.get("nom", [])))).fillna(
        lignes["commune_insee"])
    return Rapprochement(p, params["tolerance"], lignes, _par_reservataire(lignes, noms),
                         _ecartees(db, params), int(db.scalar(
                             "select count(*) from radiation_sne") or 0), _territoire(db, p))


def _territoire(db: Database, p: Perimetre) -> str:
    """The territory of `p` by its name (« Marne », « CU du Grand Reims », « Reims »)."""
    for code, sql in ((p.commune_insee, "select nom from ref_commune where code_insee = ?"),
                      (p.epci_siren, "select nom from ref_epci where epci_siren = ?"),
                      (p.departement, "select nom from ref_departement where departement = ?")):
        if code:
            return p.libelle({code: db.scalar(sql, [code]) or code})
    return p.libelle()


def _noms(db: Database) -> dict[str, str]:
    df = db.df("select reservataire_id, nom from reservataire")
    out = dict(zip(df["reservataire_id"], df["nom"]))
    out[BAILLEUR] = BAILLEUR_LIBELLE
    for code, label in CONTINGENTS.libelles.items():
        out[f"SNE:{code}"] = f"{label} (réservataire non identifié)"
    return out


def _libelles(df: pd.DataFrame, noms: dict[str, str]) -> pd.DataFrame:
    """Labels of the statuts, contingents and réservataires, and the correction of each
    line (vectorised: a national year is 450 000 lines)."""
    df = df.copy()
    df["libelle_statut"] = df["statut"].map({k: v[0] for k, v in STATUTS.items()})
    libelles = CONTINGENTS.libelles
    df["contingent_outil_libelle"] = df["contingent_outil"].map(libelles).fillna("–")
    sne = df["contingent_sne"].map(libelles).where(
        df["contingent_renseigne"].fillna(False).astype(bool),
        f"{libelles['NON_RESERVE']} ({CONTINGENT_NON_RENSEIGNE})")
    df["contingent_sne_libelle"] = sne.where(df["numero_unique"].notna(), "–")
    df["reservataire_outil_nom"] = df["reservataire_outil"].map(noms).fillna(
        df["reservataire_outil"]).fillna("–")
    df["reservataire_sne_nom"] = df["reservataire_sne"].map(noms).fillna(
        df["reservataire_sne"]).fillna("–")
    df["correction"] = _corrections(df)
    return df


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%d/%m/%Y").fillna("–")


def _oui_non(s: pd.Series) -> pd.Series:
    v = s.astype("boolean")
    return pd.Series(np.where(v.isna(), "non renseigné", np.where(v.fillna(False), "oui", "non")),
                     index=s.index)


def _corrections(df: pd.DataFrame) -> pd.Series:
    """What to correct, and where, for each line (empty when it agrees): STATUTS' texts,
    written for the discrepancies only."""
    out = pd.Series("", index=df.index, dtype=object)
    d = df[df["statut"] != "CONFORME"]
    if d.empty:
        return out
    ecart = d["ecart_jours"].astype("Int64").astype(str)
    champs = {
        "contingent_sne_libelle": d["contingent_sne_libelle"],
        "contingent_outil_libelle": d["contingent_outil_libelle"],
        "logement": d["logement_id"].fillna("–"), "logement_rpls": d["logement_rpls"].fillna("–"),
        "rpls": d["rpls_outil"].fillna("–"),
        "reservataire_sne_nom": d["reservataire_sne_nom"],
        "reservataire_outil_nom": d["reservataire_outil_nom"],
        "date_bail": _dates(d["date_outil"]), "date_radiation": _dates(d["date_radiation"]),
        "ecart_jours": ecart.where(d["ecart_jours"].notna(), "–"),
        "dalo_sne": _oui_non(d["dalo_sne"]), "dalo_outil": _oui_non(d["dalo_outil"]),
    }
    sans_rpls = ((d["statut"] == "LOGEMENT_INCONNU") & d["logement_rpls"].isna()).to_numpy()
    for statut, (_, template) in STATUTS.items():
        mask = (d["statut"] == statut).to_numpy() & ~sans_rpls
        if not template or not mask.any():
            continue
        text = pd.Series("", index=d.index[mask], dtype=object)
        for literal, name, _, _ in string.Formatter().parse(template):
            text = text + literal
            if name:
                text = text + champs[name][mask].astype(str)
        out.loc[text.index] = text
    out.loc[d.index[sans_rpls]] = SANS_IDENTIFIANT_RPLS
    return out


def correction(row: dict) -> str:
    """What to correct for one line (a dict of the columns of `Rapprochement.lignes`)."""
    return str(_corrections(pd.DataFrame([row])).iloc[0])


def _par_reservataire(lignes: pd.DataFrame, noms: dict[str, str]) -> pd.DataFrame:
    """Per réservataire (and the bailleur, and contingents whose réservataire the SNE does not
    say): counts on each side, the lines both count for it with nothing to correct
    (concordantes), the gap and the lines to correct that name it on either side."""
    cols = ["cle", "libelle", "selon_bailleur", "selon_sne", "ecart", "concordantes",
            "a_corriger"]
    if lignes.empty:
        return pd.DataFrame(columns=cols)
    outil, sne_ = lignes["reservataire_outil"], lignes["reservataire_sne"]
    bail = outil[lignes["compte_outil"]].value_counts()
    sne = sne_[lignes["compte_sne"]].value_counts()
    meme = (outil == sne_).to_numpy()
    ecart = (lignes["statut"] != "CONFORME").to_numpy()
    concord = outil[lignes["compte_outil"] & lignes["compte_sne"] & meme & ~ecart].value_counts()
    # a line to correct counts once for each réservataire it touches
    touche = outil[ecart].value_counts().add(sne_[ecart & ~meme].value_counts(), fill_value=0)
    keys = sorted(set(bail.index) | set(sne.index) | set(touche.index),
                  key=lambda k: (k == BAILLEUR, k.startswith("SNE:"), noms.get(k, k)))
    out = pd.DataFrame({"cle": keys})
    out["libelle"] = out["cle"].map(lambda k: noms.get(k, k))
    for name, series in (("selon_bailleur", bail), ("selon_sne", sne),
                         ("concordantes", concord), ("a_corriger", touche)):
        out[name] = out["cle"].map(series).fillna(0).astype(int)
    out["ecart"] = out["selon_sne"] - out["selon_bailleur"]
    return out[cols]


def _ecartees(db: Database, params: dict) -> dict[str, int]:
    """Radiations of the year (whole base) the reconciliation sets aside, and why: the same
    rule as the pairing's (sql/sne/radiations.sql)."""
    row = db.df(load_sql("sne/ecartees"), params)
    return {"autre_motif": int(row["autre_motif"].iloc[0] or 0),
            "autre_bailleur": int(row["autre_bailleur"].iloc[0] or 0)}


# -- exports --------------------------------------------------------------------------------
COLONNES_EXPORT = {
    "libelle_statut": "Écart", "correction": "Correction à faire",
    "numero_unique": "Numéro unique (SNE)", "date_radiation": "Date de radiation (SNE)",
    "logement_rpls": "Identifiant RPLS (SNE)", "contingent_sne_libelle": "Contingent (SNE)",
    "reservataire_sne_nom": "Réservataire selon le SNE", "dalo_sne": "DALO (SNE)",
    "attribution_id": "Attribution (outil)", "logement_id": "Logement (outil)",
    "commune": "Commune", "date_outil": "Bail (outil)",
    "orientation_id": "Orientation (outil)", "reservataire_outil_nom": "Orienté à (outil)",
    "contingent_outil_libelle": "Contingent attendu (outil)", "dalo_outil": "DALO (outil)",
    "ecart_jours": "Écart (jours)",
}


def lignes_export(r: Rapprochement, cle: str | None = None,
                  ecarts_seulement: bool = False) -> pd.DataFrame:
    """The lines as the files show them: French headers; one réservataire's lines (either
    side) when `cle` is given."""
    df = r.lignes
    if cle is not None:
        df = df[(df["reservataire_outil"] == cle) | (df["reservataire_sne"] == cle)]
    if ecarts_seulement:
        df = df[df["statut"] != "CONFORME"]
    out = df[list(COLONNES_EXPORT)].copy()
    for c in ("date_radiation", "date_outil"):
        out[c] = pd.to_datetime(out[c]).dt.date
    for c in ("dalo_sne", "dalo_outil"):
        out[c] = out[c].map(lambda v: None if v is None or pd.isna(v) else ("oui" if v else "non"))
    return out.rename(columns=COLONNES_EXPORT)


def _nom_fichier(texte: str) -> str:
    import re
    import unicodedata

    plain = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "_", plain).strip("_")[:60] or "reservataire"


def classeur_xlsx(r: Rapprochement, cle: str | None = None) -> bytes:
    """An XLSX to send a réservataire (or to work from): the counts, then its lines with the
    correction to make. Cells are written as values, never as formulas."""
    buf = io.BytesIO()
    counts = r.par_reservataire
    if cle is not None:
        counts = counts[counts["cle"] == cle]
    counts = counts.drop(columns="cle").rename(columns={
        "libelle": "Réservataire", "selon_bailleur": "Selon le bailleur",
        "selon_sne": "Selon le SNE", "ecart": "Écart (SNE − bailleur)",
        "concordantes": "Concordantes", "a_corriger": "Lignes à corriger"})
    titre = (f"Rapprochement SNE {r.perimetre.annee} — {r.territoire} — tolérance "
             f"{r.tolerance} jours")
    with excel_writer(buf) as xw:     # texts neutralised (fluxcore.neutralisation)
        counts.to_excel(xw, sheet_name="Synthèse", index=False, startrow=2)
        ws = xw.sheets["Synthèse"]
        ws.write_string(0, 0, titre)
        ws.set_column(0, 0, 48)
        ws.set_column(1, 5, 18)
        for nom, ecarts in (("Écarts", True), ("Toutes les lignes", False)):
            lignes = lignes_export(r, cle, ecarts_seulement=ecarts)
            lignes.to_excel(xw, sheet_name=nom, index=False)
            sheet = xw.sheets[nom]
            sheet.set_column(0, 0, 26)
            sheet.set_column(1, 1, 80)
            sheet.set_column(2, len(lignes.columns) - 1, 20)
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(len(lignes), 1), len(lignes.columns) - 1)
    return buf.getvalue()


def classeurs_zip(r: Rapprochement) -> bytes:
    """One workbook per réservataire (the bailleur's and the unidentified contingents'
    included), plus the whole reconciliation."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        annee = r.perimetre.annee
        z.writestr(f"rapprochement_sne_{annee}_complet.xlsx", classeur_xlsx(r))
        vus: set[str] = set()
        for cle, libelle in zip(r.par_reservataire["cle"], r.par_reservataire["libelle"]):
            nom = _nom_fichier(libelle)
            if nom.lower() in vus:             # two réservataires of the same name
                nom = f"{nom}_{_nom_fichier(cle)}"
            vus.add(nom.lower())
            z.writestr(f"rapprochement_sne_{annee}_{nom}.xlsx", classeur_xlsx(r, cle))
    return buf.getvalue()


def recapitulatif(r: Rapprochement) -> pd.DataFrame:
    """The figures the bilan's recap sheet shows: per réservataire, the landlord's count, the
    SNE's, the gap and the lines to correct."""
    return r.par_reservataire.drop(columns="cle").rename(columns={
        "libelle": "Réservataire", "selon_bailleur": "Attributions selon le bailleur",
        "selon_sne": "Attributions selon le SNE", "ecart": "Écart (SNE − bailleur)",
        "concordantes": "Concordantes", "a_corriger": "Lignes à corriger"})
