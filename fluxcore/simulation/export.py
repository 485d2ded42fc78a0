"""The comparison files handed out in the meeting: an XLSX workbook and a one-page PDF."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd

from fluxcore.formats import fmt_date
from fluxcore.neutralisation import classeur
from fluxcore.pdf import Document
from fluxcore.simulation.comparaison import CTRL, FIXES, FLUX, HYP, RESERVATAIRES, formater
from fluxcore.simulation.resultats import Resultats, ligne
from fluxcore.simulation.scenario import METHODES


def export_xlsx(comp: pd.DataFrame, resultats: list[Resultats], titre: str) -> bytes:
    """Workbook: « Comparaison » (numbers kept as numbers), one « Droits » sheet per
    scenario (per réservataire and year) and « Notes » (method and settings)."""
    buf = io.BytesIO()
    wb = classeur(buf, {"in_memory": True})   # texts neutralised, never formulas
    f_title = wb.add_format({"bold": True, "font_size": 14, "font_color": "#005AA0"})
    f_head = wb.add_format({"bold": True, "bg_color": "#E1E9F2", "border": 1, "text_wrap": True})
    f_rub = wb.add_format({"bold": True, "top": 1})
    f_num = wb.add_format({"num_format": "# ##0.0"})
    f_pct = wb.add_format({"num_format": '0.0" %"'})
    f_ko = wb.add_format({"bold": True, "font_color": "#BE2800"})
    f_ok = wb.add_format({"font_color": "#006E50"})
    noms = [c for c in comp.columns if c not in FIXES]
    ws = wb.add_worksheet("Comparaison")
    ws.write(0, 0, titre, f_title)
    ws.write(1, 0, f"Édité le {fmt_date(date.today())} — valeurs moyennes par an sur la "
                   "période ; taux en % du flux net du périmètre de chaque réservataire.")
    ws.write_row(3, 0, ["Rubrique", "Indicateur", *noms], f_head)
    previous = None
    for i, row in enumerate(comp.itertuples(index=False), start=4):
        d = row._asdict()
        ws.write(i, 0, d["rubrique"] if d["rubrique"] != previous else "",
                 f_rub if d["rubrique"] != previous else None)
        previous = d["rubrique"]
        ws.write(i, 1, d["indicateur"])
        for j, nom in enumerate(noms, start=2):
            v = row[comp.columns.get_loc(nom)]
            if v is None or (isinstance(v, float) and pd.isna(v)):
                ws.write_blank(i, j, None)
            elif d["format"] in ("num", "pct"):
                ws.write_number(i, j, float(v), f_num if d["format"] == "num" else f_pct)
            else:
                text = str(v)
                ws.write_string(i, j, text, f_ko if text.startswith("Non conforme") else
                                f_ok if text.startswith("Conforme") else None)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 44)
    ws.set_column(2, 1 + len(noms), 26)
    ws.freeze_panes(4, 2)
    used = {"comparaison", "notes"}
    for nom, r in zip(noms, resultats):
        _feuille_droits(wb, _nom_feuille(f"Droits – {nom}", used), r, f_head, f_num, f_pct,
                        f_title)
    notes = wb.add_worksheet("Notes")
    for i, line in enumerate(NOTES):
        notes.write(i, 0, line)
    notes.set_column(0, 0, 120)
    wb.close()
    return buf.getvalue()


def _nom_feuille(name: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name (≤ 31 characters, none of []:*?/\\)."""
    clean = "".join("-" if ch in "[]:*?/\\" else ch for ch in name).strip("'") or "Feuille"
    out, k = clean[:31], 2
    while out.lower() in used:
        suffix = f" ({k})"
        out, k = clean[:31 - len(suffix)] + suffix, k + 1
    used.add(out.lower())
    return out


def _feuille_droits(wb, name: str, r: Resultats, f_head, f_num, f_pct, f_title) -> None:
    ws = wb.add_worksheet(name)
    ws.write(0, 0, f"{r.scenario.nom} — droits par réservataire et par an", f_title)
    annees = r.scenario.annees
    ws.write_row(2, 0, ["Réservataire", "Périmètre", "Méthode", "Taux", *map(str, annees),
                        "Total", "Comment le taux est obtenu"], f_head)
    for i, t in enumerate(r.reservataires.itertuples(), start=3):
        ws.write(i, 0, t.nom)
        ws.write(i, 1, t.perimetre_libelle)
        ws.write(i, 2, METHODES[t.methode])
        ws.write_number(i, 3, float(t.taux_pct), f_pct)
        d = ligne(r.droits, t.reservataire_id, t.perimetre).set_index("annee")["droits"]
        for j, a in enumerate(annees, start=4):
            ws.write_number(i, j, float(d.get(a, 0.0)), f_num)
        ws.write_number(i, 4 + len(annees), float(t.droits_total), f_num)
        ws.write(i, 5 + len(annees), t.base)
    last = 3 + len(r.reservataires)
    ws.write(last + 1, 0, "Flux net du département", f_head)
    for j, a in enumerate(annees, start=4):
        ws.write_number(last + 1, j, float(r.annees.loc[r.annees["annee"] == a,
                                                         "flux_net"].iloc[0]), f_num)
    ws.set_column(0, 0, 40)
    ws.set_column(1, 2, 22)
    ws.set_column(3, 4 + len(annees), 11)
    ws.set_column(5 + len(annees), 5 + len(annees), 80)


NOTES = [
    "Méthode (R441-5, R441-5-2 du CCH)",
    "libérations estimées = Σ segments (typologie × QPV) parc au 1er janvier × taux de rotation",
    "flux brut = libérations + premières mises en location (si elles entrent dans le flux)",
    "flux net = flux brut − soustraits (mutations, relogements NPNRU, ORCOD, LHI, ventes)",
    "droits d'un réservataire = taux × flux net de son périmètre ; part du bailleur = le reste",
    "Part du stock réservé : logements réservés (droits de suite en vigueur) / patrimoine du "
    "périmètre au 1er janvier de la première année.",
    "Droits uniques : droits restants / années restantes / flux net moyen de la période.",
    "Rotation observée : les années précédant la période (paramètre "
    "rotation_annees_historique), hors premières mises en location.",
    "Fourchette P10–P90 : simulation de Monte-Carlo des libérations de la première année "
    "(modèle de vacance par logement, graine fixée : résultats reproductibles).",
    "Contrôles : préfet ≤ 30 % dont agents ≤ 5 %, année par année, sauf pendant une dérogation "
    "préfectorale datée (un an au plus, à son taux), part hors QPV du préfet (lecture A ou B), "
    "garanties d'emprunt ≤ 20 %, somme des taux ≤ 100 % par commune.",
]


def export_pdf(comp: pd.DataFrame, titre: str) -> bytes:
    """One landscape page (more only if the scenarios have many réservataires)."""
    text = formater(comp)
    noms = [c for c in text.columns if c not in ("rubrique", "indicateur")]
    doc = Document(titre, orientation="L", pied="Simulateur de négociation")
    doc.alias_nb_pages()
    doc.add_page()
    doc.entete("Comparaison de scénarios — moyennes par an sur la période ; taux en % du flux "
               "net du périmètre de chaque réservataire ; P10–P90 : 8 chances sur 10 d'être "
               "dans la fourchette.")
    lignes, sections = [], set()
    for rubrique, g in text.groupby("rubrique", sort=False):
        sections.add(len(lignes))
        if rubrique in (HYP, FLUX, CTRL):
            lignes.append([rubrique, *[""] * len(noms)])
            lignes += [[f"   {r.indicateur}", *r[2:]] for r in g.itertuples(index=False)]
            continue
        if not any(lig[0] == RESERVATAIRES for lig in lignes):
            lignes.append([RESERVATAIRES, *[""] * len(noms)])
        else:
            sections.discard(len(lignes))
        by = g.set_index("indicateur")
        cells = []
        for nom in noms:
            taux, droits = by.at["Taux", nom], by.at["Droits par an", nom]
            cell = "–" if taux == "–" else f"{taux} · {droits} par an"
            if "Droits la 1re année : fourchette P10–P90" in by.index:
                cell += f" ({by.at['Droits la 1re année : fourchette P10–P90', nom]})"
            cells.append(cell)
        lignes.append([f"   {rubrique}", *cells])
    rows = len(lignes) + 1
    size = max(5.5, min(9.0, 150.0 / rows / 0.52))
    width = doc.w - doc.l_margin - doc.r_margin
    first = min(95.0, width * 0.4)
    doc.tableau(["Indicateur", *noms], lignes,
                [first, *[(width - first) / len(noms)] * len(noms)], taille=size,
                sections=sections)
    doc.ln(2)
    doc.paragraphe("Méthode : " + " ; ".join(NOTES[1:5]) + ".", taille=7)
    return bytes(doc.output())
