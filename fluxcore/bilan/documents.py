"""What each recipient receives: the bilan of one réservataire or of one EPCI, as tables.

A `DocumentBilan` holds plain DataFrames with codes and numbers; the writers (classeur.py,
impression.py) and the page only format them. Every table of a document adds up to the same
headline counts (`chiffres`): each dimension partitions the same libérations.
"""

from __future__ import annotations

import math
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
    cle_categorie,
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
# the destinations of an EPCI's tables in this order: réservataires, bailleur, internal uses,
# dwellings not yet oriented (_groupe)
ORDRE_GROUPES = {"reservataire": 0, "bailleur": 1, "interne": 2, "non_oriente": 3}
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
    noms = {}
    if perimetre is not None and not pd.isna(perimetre):
        code = str(perimetre)       # an EPCI's name, else a commune's (never both: 9 / 5 chars)
        nom = b.epcis.get(code, b.communes.get(code))
        if nom is not None:
            noms[code] = nom
    return libelle_perimetre(perimetre, dep, noms)


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


def _sommes(d: pd.DataFrame, cles: list[str], mesures: list[str]) -> dict[tuple, list[int]]:
    """Σ of `mesures` per distinct value of `cles` (rows with a missing key left out, as a
    groupby does): a document's slice of the detail is small, plain Python is faster than a
    pandas groupby per table."""
    out: dict[tuple, list[int]] = {}
    n = len(cles)
    for row in zip(*(d[c].tolist() for c in (*cles, *mesures))):
        key = row[:n]
        if not all(isinstance(k, str) for k in key):
            continue
        acc = out.get(key)
        if acc is None:
            out[key] = list(row[n:])
        else:
            for i, v in enumerate(row[n:]):
                acc[i] += v
    return out


def _par_dimension(sommes: dict[tuple, list[int]]) -> dict[str, dict]:
    """{(dimension, *rest): sums} → {dimension: {rest: sums}} (rest: one key or a tuple)."""
    out: dict[str, dict] = {dim: {} for dim in DIMENSIONS}
    for (dim, *rest), v in sommes.items():
        out.setdefault(dim, {})[rest[0] if len(rest) == 1 else tuple(rest)] = v
    return out


def _cadre(colonnes: dict[str, list]) -> pd.DataFrame:
    """A table from its columns (Python lists: counts int64, shares float64, texts str). An
    empty one gets the dtypes the former pandas chain gave it (categorie float64)."""
    if len(colonnes["code"]):
        return pd.DataFrame(colonnes)
    return pd.DataFrame({c: pd.Series([], dtype="float64" if c == "categorie"
                                      or c.startswith("part") else "int64"
                                      if c in (*MESURES, "flux") else "str")
                         for c in colonnes})


def _ordre(dim: str, codes: list, labels: list[str]) -> list:
    """Sort key of each category: typologies and bands in their order, communes
    alphabetically whatever their accents and case."""
    if dim == "commune":
        return [_cle(lab) for lab in labels]
    return [cle_categorie(dim, c) for c in codes]


def _croisement(b: Bilan, sommes: dict[str, list[int]], dim: str,
                flux: dict[str, int] | None) -> pd.DataFrame:
    """Categories of one dimension: counts, share of the dwellings, share of the flux.
    `sommes`: category → MESURES (_sommes); `flux`: category → flux of its perimeters."""
    codes = sorted(sommes) if flux is None else sorted(set(sommes) | set(flux))
    labels = [b.libelle(dim, c) for c in codes]
    cles = _ordre(dim, codes, labels)
    rang = sorted(range(len(codes)), key=cles.__getitem__)        # a stable sort
    codes, labels = [codes[i] for i in rang], [labels[i] for i in rang]
    zero = [0] * len(MESURES)
    vals = [sommes.get(c, zero) for c in codes]
    data: dict[str, list] = {"code": codes, "categorie": labels}
    for i, m in enumerate(MESURES):
        data[m] = [int(v[i]) for v in vals]
    total = sum(data["logements"])
    if flux is not None:
        data["flux"] = [int(flux.get(c, 0)) for c in codes]
    data["part"] = [100.0 * n / total if total else float("nan") for n in data["logements"]]
    if flux is not None:
        tf = sum(data["flux"])
        data["part_flux"] = [100.0 * n / tf if tf else float("nan") for n in data["flux"]]
    return _cadre(data)


def _soustraits(realise: pd.DataFrame, prevus: pd.DataFrame) -> pd.DataFrame:
    """Per subtracted category: realised (and attributed) this year, forecast next year."""
    r = _sommes(realise, ["destinataire"], ["logements", "attribues"])
    p = prevus.groupby("categorie")["prevision"].sum().to_dict()    # pandas' float sum
    cats = list(INTERNES)
    return pd.DataFrame({
        "categorie": cats, "libelle": [DESTINATIONS_BAILLEUR.libelles.get(c) for c in cats],
        "realise": [int(r.get((c,), [0, 0])[0]) for c in cats],
        "attribues": [int(r.get((c,), [0, 0])[1]) for c in cats],
        "prevision": [float(p.get(c, 0.0)) for c in cats]})


def document_reservataire(b: Bilan, reservataire_id: str) -> DocumentBilan:
    """The bilan of one réservataire: all its conventions, every territory."""
    info = _info(b, "reservataire", reservataire_id)
    d = b.detail[b.detail["destinataire"] == reservataire_id]
    sommes = _par_dimension(_sommes(d, ["dimension", "categorie"], MESURES))
    t = d[d["dimension"] == "typologie"]
    chiffres: dict[str, float] = dict(totaux(t))
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
    f = b.flux[b.flux["reservataire_id"] == reservataire_id]
    flux: dict[str, dict[str, int]] = {dim: {} for dim in DIMENSIONS}
    for dim, cat, n in zip(f["dimension"].tolist(), f["categorie"].tolist(),
                           f["flux"].tolist()):
        if isinstance(cat, str):
            flux.setdefault(dim, {})[cat] = n
    crois = {dim: _croisement(b, sommes[dim], dim, flux[dim]) for dim in DIMENSIONS}
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


@dataclass(frozen=True)
class LecturesEpci:
    """What an EPCI's document reads from the base (the rest is a filter of the bilan): the
    year's gauges per réservataire on its territory, next year's conventions there, and the
    réservataires' names and types. Read by `lectures_epci`, possibly ahead of time (the
    archive reads the next EPCIs' while it writes a document's files)."""

    jauges: pd.DataFrame
    conventions_suivantes: pd.DataFrame
    reservataires: pd.DataFrame


def lectures_epci(db: Database, b: Bilan, epci_siren: str) -> LecturesEpci:
    """The reads of one EPCI's document, run at once (independent queries)."""
    s = b.parametres or None        # the bilan's settings: the same as its own figures
    p = Perimetre(b.annee, epci_siren=epci_siren, aujourdhui=b.arret)
    suivante = Perimetre(b.annee + 1, epci_siren=epci_siren, aujourdhui=date(b.annee + 1, 1, 1))
    return LecturesEpci(*en_parallele(
        lambda: jauges_reservataires(db, p, s),
        lambda: jauges_conventions(db, suivante, s),
        lambda: db.df("select reservataire_id, nom, type from reservataire")))


def document_epci(db: Database, b: Bilan, epci_siren: str,
                  lectures: LecturesEpci | None = None) -> DocumentBilan:
    """The bilan of one EPCI: every dwelling of its territory, per destination. `lectures`:
    its reads if already made (lectures_epci), else they are made here."""
    info = _info(b, "epci", epci_siren)
    lu = lectures or lectures_epci(db, b, epci_siren)
    d = b.detail[b.detail["epci_siren"] == epci_siren].copy()
    d["destinataire"] = d["destinataire"].fillna(NON_ORIENTE)
    noms = _noms_destinations(lu.reservataires, d["destinataire"].unique())
    d["nom"] = d["destinataire"].map(noms)
    d["groupe"] = d["destinataire"].map(_groupe)
    t = d[d["dimension"] == "typologie"]
    by = _sommes(t, ["groupe"], ["logements", "attribues"])
    chiffres: dict[str, float] = {"liberes": int(t["logements"].sum()),
                                  "dans_flux": int(t.loc[t["dans_flux"], "logements"].sum())}
    for g in ("reservataire", "bailleur", "interne", "non_oriente"):
        chiffres[g] = int(by.get((g,), [0])[0])
    chiffres["attribues_reservataires"] = int(by.get(("reservataire",), [0, 0])[1])
    for m in ("attribues", "prioritaires", "dalo", "q1", "quartile_inconnu", "rendus"):
        chiffres[m] = int(t[m].sum())
    synthese = _synthese_epci(b, lu, t)
    prev = lu.conventions_suivantes
    chiffres["du"] = float(synthese.loc[synthese["groupe"] == "reservataire", "du"].sum())
    sommes = _par_dimension(_sommes(d, ["dimension", "categorie"], MESURES))
    crois = {dim: _croisement(b, sommes[dim], dim, None) for dim in DIMENSIONS}
    par_dest = _par_dimension(_sommes(d, ["dimension", "categorie", "destinataire", "nom",
                                          "groupe"], ["logements", "attribues"]))
    detail = {dim: _croisement_destinations(b, par_dest[dim], dim) for dim in DIMENSIONS}
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
    communes = b.communes          # its name, else its code (a plain lookup: ~35 000 names)
    df["commune"] = pd.Series([n if isinstance(n := communes.get(c), str) else c
                               for c in df["commune_insee"].tolist()], index=df.index,
                              dtype="str")
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


def _noms_destinations(rv: pd.DataFrame, codes) -> dict[str, str]:
    """Display name of each destination code (`rv`: the réservataires' ids and names)."""
    noms = dict(zip(rv["reservataire_id"], rv["nom"]))
    noms.update(DESTINATIONS_BAILLEUR.groupes)      # the bailleur as its share of the flux
    noms[NON_ORIENTE] = "Pas encore orienté"
    return {c: noms.get(c, c) for c in codes}


def _manque(v) -> bool:
    """A missing value as pandas sees one (None or NaN)."""
    return v is None or (isinstance(v, float) and math.isnan(v))


def _synthese_epci(b: Bilan, lu: LecturesEpci, t: pd.DataFrame) -> pd.DataFrame:
    """One row per destination on the territory: owed (gauges), counts (detail): the
    destinations of the gauges and of the counts (in the order of their codes), the
    réservataires first by owed then proposed (decreasing), then the bailleur, the internal
    uses and the dwellings not yet oriented."""
    j = lu.jauges
    jauge = {r: (nom, typ, taux, du) for r, nom, typ, taux, du in zip(
        j["reservataire_id"].tolist(), j["nom"].tolist(), j["type"].tolist(),
        j["taux"].tolist(), j["du"].tolist())}
    counts = _sommes(t, ["destinataire", "nom", "groupe"], MESURES)
    compte = {dest: v for (dest, _, _), v in counts.items()}
    nom_compte = {dest: nom for (dest, nom, _) in counts}
    rv = lu.reservataires
    types = dict(zip(rv["reservataire_id"].tolist(), rv["type"].tolist()))
    autres = {"interne": "USAGE_INTERNE", "non_oriente": "NON_ORIENTE"}
    rendus_livres = bool(b.reglages["rendu_bailleur_compte_livre"])
    flux = _sommes(t[t["dans_flux"]], ["destinataire"], ["logements", "rendus"])
    nan = float("nan")
    rows = []
    for dest in sorted(set(jauge) | set(compte)):
        nom, typ, taux, du = jauge.get(dest, (nan, nan, nan, nan))
        groupe = _groupe(dest)
        if dest == "BAILLEUR":
            nom = BAILLEUR
        elif _manque(nom):
            nom = nom_compte.get(dest, nan)
        if _manque(typ):
            typ = types.get(dest, nan)
            if _manque(typ):
                typ = autres.get(groupe, nan)
        f = flux.get((dest,), [0, 0])
        livres = float(f[0]) - (0 if rendus_livres else float(f[1]))
        rows.append([dest, nom, typ, taux, du, groupe,
                     *(int(v) for v in compte.get(dest, [0] * len(MESURES))),
                     nan if _manque(du) else livres - du])
    rows.sort(key=lambda r: (ORDRE_GROUPES[r[5]], _manque(r[4]),
                             0.0 if _manque(r[4]) else -r[4], -r[6]))
    # (a stable sort: rows equal on these keep the order of their codes)
    return pd.DataFrame(rows, columns=["destinataire", "nom", "type", "taux", "du", "groupe",
                                       *MESURES, "ecart"])


def _croisement_destinations(b: Bilan, sommes: dict[tuple, list[int]], dim: str
                             ) -> pd.DataFrame:
    """Long table: category × destination, with proposed and attributed counts, categories in
    their order and the largest destination first. `sommes`: (category, destinataire, nom,
    groupe) → (logements, attribues)."""
    keys = sorted(sommes)
    labels = [b.libelle(dim, k[0]) for k in keys]
    cles = _ordre(dim, [k[0] for k in keys], labels)
    rang = sorted(range(len(keys)), key=lambda i: (cles[i], -sommes[keys[i]][0]))  # stable
    return _cadre({"code": [keys[i][0] for i in rang], "categorie": [labels[i] for i in rang],
                   "destinataire": [keys[i][1] for i in rang],
                   "nom": [keys[i][2] for i in rang], "groupe": [keys[i][3] for i in rang],
                   "logements": [int(sommes[keys[i]][0]) for i in rang],
                   "attribues": [int(sommes[keys[i]][1]) for i in rang]})
