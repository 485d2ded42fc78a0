"""The CLI's side of the bilan: write every file under a folder and print a summary."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fluxcore.bilan.archive import generer
from fluxcore.bilan.calcul import calculer_bilan
from fluxcore.bilan.statistiques import tableau
from fluxcore.db import Database
from fluxcore.formats import fmt_date, fmt_int, fmt_num


def ecrire_bilan(db: Database, annee: int, dossier: Path, aujourdhui: date | None = None,
                 pdf: bool = True, bavard: bool = False) -> tuple[str, bool]:
    """Generate and write the files of `annee`; returns (summary text, all checks passed)."""
    b = calculer_bilan(db, annee, aujourdhui)

    def progress(i: int, n: int, nom: str) -> None:
        if bavard:
            print(f"  [{i}/{n}] {nom}", flush=True)

    paquet = generer(db, b, pdf=pdf, progression=progress)
    paths = paquet.ecrire(dossier)
    r = paquet.recapitulatif
    lines = [f"Bilan annuel {annee} (R441-5-1) — {b.bailleur} — arrêté au {fmt_date(b.arret)}"
             + ("" if b.complet else " (PROVISOIRE : l'année n'est pas terminée)"),
             f"{fmt_int(len(b.logements))} logements libérés ; "
             f"{fmt_int((r['genre'] == 'reservataire').sum())} réservataires, "
             f"{fmt_int((r['genre'] == 'epci').sum())} EPCI ; {len(paths)} fichiers dans "
             f"{dossier}", ""]
    for genre, titre in (("reservataire", "Réservataires"), ("epci", "EPCI")):
        sub = r[r["genre"] == genre]
        lines.append(f"{titre} ({'proposés' if genre == 'reservataire' else 'libérés'} / "
                     "attribués / prioritaires / dû) :")
        for x in sub.itertuples():
            lines.append(f"  {x.nom[:48]:<48} {fmt_int(x.logements):>7} {fmt_int(x.attribues):>7}"
                         f" {fmt_int(x.prioritaires):>7} {fmt_num(x.du):>9}")
        lines.append("")
    lines.append("Statistiques des réservations, tout le patrimoine (mis à disposition / "
                 "décidées / imputées / à aucun contingent / baux / mutations) :")
    for x in tableau(b.statistiques).itertuples():
        lines.append(f"  {x.libelle[:48]:<48} {fmt_int(x.mis_a_disposition):>7} "
                     f"{fmt_int(x.decidees):>7} {fmt_int(x.imputees):>7} "
                     f"{fmt_int(x.hors_contingent):>7} {fmt_int(x.baux):>7} "
                     f"{fmt_int(x.mutations):>7}")
    lines.append("")
    ok = bool(paquet.rapprochements["ok"].all())
    lines.append("Rapprochements des totaux :")
    for c in paquet.rapprochements.itertuples():
        lines.append(f"  {'ok ' if c.ok else 'NON'} {c.controle} : {fmt_int(c.valeur)} / "
                     f"{fmt_int(c.reference)}")
    lines.append(f"Archive : {dossier / (paquet.racine + '.zip')}")
    return "\n".join(lines), ok
