"""Every recipient's files at once: XLSX + PDF per réservataire and per EPCI, a recap workbook
with the reconciliation of the totals, the annual statistics on reservations (also as CSV
and PDF) and the reconciliation with the SNE's radiations (fluxcore.sne), and a ZIP of
everything."""

from __future__ import annotations

import contextvars
import io
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from fluxcore.bilan import statistiques as st
from fluxcore.bilan.calcul import Bilan
from fluxcore.bilan.classeur import ecrire_xlsx
from fluxcore.bilan.documents import (
    DocumentBilan,
    LecturesEpci,
    document_epci,
    document_reservataire,
    lectures_epci,
    slug,
)
from fluxcore.bilan.impression import ecrire_pdf, ecrire_pdf_statistiques
from fluxcore.db import Database
from fluxcore.formats import fmt_int
from fluxcore.neutralisation import excel_writer, octets
from fluxcore.perimetre import Perimetre
from fluxcore.regles import INTERNES
from fluxcore.sne import Rapprochement, rapprocher
from fluxcore.sne import recapitulatif as recapitulatif_sne

Progression = Callable[[int, int, str], None]


@dataclass
class Paquet:
    """Files of one bilan: relative path → bytes, the recap and the reconciliation checks."""

    annee: int
    fichiers: dict[str, bytes] = field(default_factory=dict)
    recapitulatif: pd.DataFrame = field(default_factory=pd.DataFrame)
    rapprochements: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the year's reconciliation with the SNE, whole patrimoine; None: no radiation of the year
    sne: Rapprochement | None = None

    @property
    def racine(self) -> str:
        return f"bilan_{self.annee}"

    def zip(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in self.fichiers.items():
                z.writestr(f"{self.racine}/{name}", data)
        return buf.getvalue()

    def ecrire(self, dossier: Path) -> list[Path]:
        """Write every file under `dossier` (created) and the ZIP next to them."""
        out = []
        for name, data in self.fichiers.items():
            path = Path(dossier) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            out.append(path)
        archive = Path(dossier) / f"{self.racine}.zip"
        archive.write_bytes(self.zip())
        return [*out, archive]


def generer(db: Database, b: Bilan, pdf: bool = True,
            progression: Progression | None = None) -> Paquet:
    """Build every file; `progression(done, total, label)` is called after each recipient."""
    paquet = Paquet(b.annee)
    dest = b.destinataires
    total = len(dest)
    docs, used = [], set()
    with _LecturesAvance(db, b, dest.loc[dest["genre"] == "epci", "code"].tolist()) as lu:
        for i, r in enumerate(dest.itertuples(), start=1):
            doc = (document_epci(db, b, r.code, lu.lectures(r.code)) if r.genre == "epci"
                   else document_reservataire(b, r.code))
            stem = _ajouter(paquet, doc, used, pdf)
            docs.append((doc, stem))
            if progression:
                progression(i, total, doc.nom)
    paquet.recapitulatif = recapitulatif(docs)
    paquet.rapprochements = rapprochements(b, [d for d, _ in docs])
    paquet.sne = rapprochement_sne(db, b)
    paquet.fichiers[f"bilan_{b.annee}_recapitulatif.xlsx"] = _recap_xlsx(paquet, b)
    stem = f"bilan_{b.annee}_statistiques_reservations"
    paquet.fichiers[f"{stem}.csv"] = octets(st.texte_csv(b.statistiques, b.departements))
    if pdf:
        paquet.fichiers[f"{stem}.pdf"] = ecrire_pdf_statistiques(b)
    return paquet


class _LecturesAvance:
    """The EPCIs' reads (documents.lectures_epci: DuckDB queries, which release the GIL) made
    one EPCI after the other in a background thread, ahead of the documents: while this
    thread computes and writes a document's files, the base answers the next EPCIs' queries.
    Each read runs in a copy of the caller's context (signed-in user, access scope); a read's
    error is raised when its document asks for it; reads not yet started when the loop ends
    (an error) are cancelled."""

    def __init__(self, db: Database, b: Bilan, epcis: list[str]):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fluxcore-bilan")
        self._futures = {
            code: self._pool.submit(contextvars.copy_context().run, lectures_epci, db, b, code)
            for code in dict.fromkeys(epcis)}

    def lectures(self, code: str) -> LecturesEpci | None:
        future = self._futures.get(code)
        return None if future is None else future.result()

    def __enter__(self) -> _LecturesAvance:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _ajouter(paquet: Paquet, doc: DocumentBilan, used: set[str], pdf: bool) -> str:
    """Write a recipient's XLSX (and PDF) into the package; returns its path without suffix."""
    stem = doc.nom_fichier
    if stem in used:  # two recipients with the same name
        stem = f"{stem}_{slug(doc.code)}"
    used.add(stem)
    folder = "reservataires" if doc.genre == "reservataire" else "epci"
    paquet.fichiers[f"{folder}/{stem}.xlsx"] = ecrire_xlsx(doc)
    if pdf:
        paquet.fichiers[f"{folder}/{stem}.pdf"] = ecrire_pdf(doc)
    return f"{folder}/{stem}"


def rapprochement_sne(db: Database, b: Bilan) -> Rapprochement | None:
    """The SNE's radiations of the bilan's year against its attributions, over the bilan's
    territory (the whole patrimoine, the whole year); None when no radiation of the year is
    imported (the recap then says the reconciliation was not made)."""
    if not db.scalar("select count(*) from radiation_sne where year(date_radiation) = ?",
                     [b.annee]):
        return None
    return rapprocher(db, Perimetre(b.annee, aujourdhui=b.arret))


def recapitulatif(docs: list[tuple[DocumentBilan, str]]) -> pd.DataFrame:
    rows = []
    for doc, stem in docs:
        c = doc.chiffres
        rows.append({"genre": doc.genre, "code": doc.code, "nom": doc.nom, "fichier": stem,
                     "logements": c["liberes"] if doc.genre == "epci" else c["logements"],
                     "attribues": c["attribues"], "prioritaires": c["prioritaires"],
                     "q1": c["q1"], "rendus": c["rendus"], "du": c["du"],
                     "droits_prevus": c["droits_prevus"]})
    return pd.DataFrame(rows)


def rapprochements(b: Bilan, docs: list[DocumentBilan]) -> pd.DataFrame:
    """Checks that the files add up: each line compares two ways of counting the same thing."""
    logs = b.logements
    res = [d for d in docs if d.genre == "reservataire"]
    epci = [d for d in docs if d.genre == "epci"]
    ids = {d.code for d in res}
    to_res = logs["destinataire"].isin(ids)
    sans_epci = logs["epci_siren"].isna()
    checks = [
        ("Libérations de l'année : liste des logements = détail par typologie",
         len(logs), int(b.detail.loc[b.detail["dimension"] == "typologie", "logements"].sum())),
        ("Proposés aux réservataires : fichiers réservataires = liste des logements",
         sum(int(d.chiffres["logements"]) for d in res), int(to_res.sum())),
        ("Libérés : fichiers EPCI + logements hors EPCI = toutes les libérations",
         sum(int(d.chiffres["liberes"]) for d in epci) + int(sans_epci.sum()), len(logs)),
        ("Orientés aux réservataires : fichiers EPCI + hors EPCI = fichiers réservataires",
         sum(int(d.chiffres["reservataire"]) for d in epci) + int((to_res & sans_epci).sum()),
         sum(int(d.chiffres["logements"]) for d in res)),
        ("Attribués par les réservataires : fichiers EPCI + hors EPCI = fichiers réservataires",
         sum(int(d.chiffres["attribues_reservataires"]) for d in epci)
         + int((to_res & sans_epci & (logs["statut"] == "ATTRIBUE")).sum()),
         sum(int(d.chiffres["attribues"]) for d in res)),
        ("Soustraits réalisés : fichiers EPCI + hors EPCI = liste des logements",
         sum(int(d.soustraits["realise"].sum()) for d in epci)
         + int((logs["destinataire"].isin(INTERNES) & sans_epci).sum()),
         int(logs["destinataire"].isin(INTERNES).sum())),
        ("Mis à disposition des réservataires : statistiques par type = fichiers "
         "réservataires", int(b.statistiques.loc[b.statistiques["ligne"].isin(
             st.RESERVATAIRES), "mis_a_disposition"].sum()),
         sum(int(d.chiffres["logements"]) for d in res)),
        ("Attributions décidées : imputées à un contingent + à aucun = décidées",
         int(b.statistiques[["imputees", "hors_contingent"]].sum().sum()),
         int(b.statistiques["decidees"].sum())),
    ]
    for d in res:  # every crossing of a file adds up to its headline
        for dim, t in d.croisements.items():
            if int(t["logements"].sum()) != int(d.chiffres["logements"]):
                checks.append((f"{d.nom} : total {dim} = proposés",
                               int(t["logements"].sum()), int(d.chiffres["logements"])))
    out = pd.DataFrame(checks, columns=["controle", "valeur", "reference"])
    out["ok"] = out["valeur"] == out["reference"]
    return out


COLONNES_LOGEMENTS = {
    "logement_id": "Logement", "residence": "Résidence", "commune_insee": "Commune (INSEE)",
    "departement": "Département", "epci_siren": "EPCI (SIREN)", "typologie": "Typologie",
    "financement": "Financement", "en_qpv": "QPV", "annee_construction":
    "Année de construction", "date_liberation": "Date de libération", "destinataire":
    "Destination (code)", "statut": "Statut", "dans_flux": "Dans le flux"}


def _recap_xlsx(paquet: Paquet, b: Bilan) -> bytes:
    buf = io.BytesIO()
    labels = {"genre": "Destinataire", "code": "Code", "nom": "Nom", "fichier": "Fichier",
              "logements": "Proposés (réservataire) / libérés (EPCI)", "attribues": "Attribués",
              "prioritaires": "dont prioritaires", "q1": "dont 1er quartile",
              "rendus": "Rendus au bailleur", "du": "Dû", "droits_prevus":
              f"Droits prévus {b.annee + 1}"}
    with excel_writer(buf) as xw:     # texts neutralised, never formulas
        recap = paquet.recapitulatif.rename(columns=labels)
        recap["Destinataire"] = recap["Destinataire"].map({"reservataire": "Réservataire",
                                                           "epci": "EPCI"})
        recap.to_excel(xw, sheet_name="Récapitulatif", index=False)
        paquet.rapprochements.assign(ok=paquet.rapprochements["ok"].map(
            {True: "oui", False: "NON"})).rename(columns={
                "controle": "Contrôle", "valeur": "Valeur", "reference": "Référence",
                "ok": "Concordant"}).to_excel(xw, sheet_name="Rapprochements", index=False)
        logs = b.logements.drop(columns=["liberation_id"]).rename(columns=COLONNES_LOGEMENTS)
        logs["Date de libération"] = pd.to_datetime(logs["Date de libération"]).dt.date
        logs["QPV"] = logs["QPV"].map({True: "oui", False: "non"})
        logs["Dans le flux"] = logs["Dans le flux"].map({True: "oui", False: "non"})
        _feuille(xw, "Libérations", logs)
        _statistiques_xlsx(xw, b)
        _sne_xlsx(xw, b, paquet.sne)
        for name, width in (("Récapitulatif", 26), ("Rapprochements", 30), ("Libérations", 16),
                            ("Statistiques réservations", 16), (SNE_FEUILLE, 18)):
            xw.sheets[name].set_column(0, 12, width)
        xw.sheets["Statistiques réservations"].set_column(1, 1, 48)
        xw.sheets[SNE_FEUILLE].set_column(0, 0, 52)
    return buf.getvalue()


def _feuille(xw: pd.ExcelWriter, name: str, df: pd.DataFrame) -> None:
    """`df.to_excel(xw, sheet_name=name, index=False)` for a long table, the same cells at a
    fraction of the cost: pandas writes the header, the body is written column by column (a
    missing value or an empty text leaves the cell empty, a date is a date in pandas' date
    format, a number a number, anything else a text, neutralised by the sheet)."""
    df.head(0).to_excel(xw, sheet_name=name, index=False)
    ws = xw.sheets[name]
    formats: dict[str, object] = {}

    def fmt(num_format: str):
        if num_format not in formats:
            formats[num_format] = xw.book.add_format({"num_format": num_format})
        return formats[num_format]

    for j in range(df.shape[1]):
        for i, v in enumerate(df.iloc[:, j].tolist(), start=1):
            if v is None or (not isinstance(v, str) and pd.isna(v)) or v == "":
                continue
            if isinstance(v, bool):
                ws.write_boolean(i, j, v)
            elif isinstance(v, int | float):
                ws.write_number(i, j, v)
            elif isinstance(v, datetime):
                ws.write_datetime(i, j, v, fmt(xw.datetime_format))
            elif isinstance(v, date):
                ws.write_datetime(i, j, v, fmt(xw.date_format))
            else:
                ws.write_string(i, j, str(v))


SNE_FEUILLE = "Rapprochement SNE"
SNE_LIGNE_TABLEAU = 3       # row (from 0) of the recap's header on the sheet


def _sne_xlsx(xw: pd.ExcelWriter, b: Bilan, r: Rapprochement | None) -> None:
    """Sheet « Rapprochement SNE »: a title, the concordance and the tolerance, then per
    réservataire the attributions according to the bailleur and to the SNE (sne.recapitulatif)
    and the lines per statut; or the sentence saying no radiation of the year is imported."""
    titre = f"Rapprochement avec le SNE {b.annee} — Tout le patrimoine"
    if r is None:
        pd.DataFrame({"": [titre, f"Aucune radiation SNE importée pour {b.annee} : "
                                  "rapprochement non fait",
                           "Importer l'extrait SNE des radiations pour attribution (page "
                           "Données › Importer ou python -m fluxcore import), puis régénérer "
                           "le bilan (docs/sne.md)."]}).to_excel(
            xw, sheet_name=SNE_FEUILLE, index=False, header=False)
        return
    conformes = int((r.lignes["statut"] == "CONFORME").sum())
    recap = recapitulatif_sne(r)
    recap.to_excel(xw, sheet_name=SNE_FEUILLE, startrow=SNE_LIGNE_TABLEAU, index=False)
    ws = xw.sheets[SNE_FEUILLE]
    ws.write_string(0, 0, titre)
    ws.write_string(1, 0, "Concordance (% des lignes rapprochées)")
    if r.concordance_pct is None:
        ws.write_string(1, 1, "–")
    else:
        ws.write_number(1, 1, round(r.concordance_pct, 1))
    ws.write_string(1, 2, "Tolérance sur les dates (jours)")
    ws.write_number(1, 3, r.tolerance)
    ws.write_string(2, 0, f"{fmt_int(conformes)} lignes concordantes sur "
                          f"{fmt_int(len(r.lignes))} ; radiations de l'année au SNE : "
                          f"{fmt_int(int(r.lignes['compte_sne'].sum()))}, baux de l'année "
                          f"dans l'outil : {fmt_int(int(r.lignes['compte_outil'].sum()))}"
                    .replace("\u202f", " "))
    row = SNE_LIGNE_TABLEAU + len(recap) + 2
    r.synthese.drop(columns="statut").rename(columns={
        "libelle": "Statut", "lignes": "Lignes"}).to_excel(
        xw, sheet_name=SNE_FEUILLE, startrow=row, index=False)
    row += len(r.synthese) + 2
    ecartees = r.ecartees
    notes = [
        "Selon le bailleur : baux signés dans l'année dont l'orientation désigne le "
        "réservataire ; selon le SNE : radiations pour attribution de l'année imputées à son "
        "contingent. Écart = SNE − bailleur ; lignes à corriger : écarts qui le touchent.",
        f"Radiations de {b.annee} écartées : {ecartees.get('autre_motif', 0)} pour un autre "
        f"motif que l'attribution, {ecartees.get('autre_bailleur', 0)} d'un autre bailleur "
        "(SIREN).",
        f"Détail et corrections : python -m fluxcore sne rapprocher --annee {b.annee} --zip "
        "FICHIER (un classeur par réservataire) ; méthode : docs/sne.md."]
    pd.DataFrame({"": notes}).to_excel(xw, sheet_name=SNE_FEUILLE, startrow=row, index=False,
                                       header=False)


def _statistiques_xlsx(xw: pd.ExcelWriter, b: Bilan) -> None:
    """Sheet « Statistiques réservations »: the whole patrimoine, then each département, one
    block each (arrêté du 28 novembre 2011), then the definitions."""
    name, row = "Statistiques réservations", 0
    deps = sorted(b.statistiques["departement"].unique()) if len(b.statistiques) else []
    for dep in [None, *deps]:
        t = st.tableau(b.statistiques, dep).drop(columns="ligne").rename(
            columns={"libelle": "Type de réservataire", **st.INDICATEURS})
        titre = ("Tout le patrimoine" if dep is None
                 else f"Département {dep} {b.departements.get(dep, '')}".strip())
        pd.DataFrame({"": [f"Statistiques annuelles des réservations {b.annee} — {titre}"]}
                     ).to_excel(xw, sheet_name=name, startrow=row, index=False, header=False)
        t.to_excel(xw, sheet_name=name, startrow=row + 1, index=False)
        row += len(t) + 3
    pd.DataFrame({"": st.notes(bool(b.reglages["rendu_bailleur_compte_livre"]))}).to_excel(
        xw, sheet_name=name, startrow=row, index=False, header=False)
