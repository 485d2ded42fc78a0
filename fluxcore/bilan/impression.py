"""The bilan as a printable PDF in French (A4 portrait): synthesis, charts, every crossing,
subtracted dwellings, prévisionnel, method. Same figures as the workbook."""

from __future__ import annotations

from datetime import date

import pandas as pd

from fluxcore.bilan import statistiques as st
from fluxcore.bilan.calcul import DIMENSIONS, Bilan
from fluxcore.bilan.documents import DocumentBilan
from fluxcore.bilan.textes import TYPES, indicateurs
from fluxcore.formats import fmt_date, fmt_int, fmt_num, fmt_pct
from fluxcore.pdf import Document, barres

SECTIONS_RESERVATAIRE = ["Synthèse", "Logements proposés et attribués par catégorie",
                         "Logements soustraits", "Prévisionnel", "Méthode"]


def ecrire_pdf(doc: DocumentBilan) -> bytes:
    pdf = Document(doc.titre, pied=f"{doc.bailleur} — bilan R441-5-1 {doc.annee}")
    pdf.alias_nb_pages()
    pdf.add_page()
    statut = "" if doc.complet else " — BILAN PROVISOIRE, l'année n'est pas terminée"
    pdf.entete(f"Destinataire : {doc.nom}. Expéditeur : {doc.bailleur}. Période du "
               f"01/01/{doc.annee} au {fmt_date(doc.arret)}{statut}. Édité le "
               f"{fmt_date(date.today())}. Article R441-5-1 du code de la construction et de "
               "l'habitation.")
    pdf.titre_section("Synthèse")
    lignes = [[("      " if label.startswith("dont") else "") + label,
               fmt_int(v) if kind == "int" else fmt_num(v)]
              for label, v, kind in indicateurs(doc)]
    pdf.tableau(["Indicateur", "Valeur"], lignes, [130, 40], taille=9)
    pdf.ln(2)
    if doc.genre == "epci":
        _synthese_epci(pdf, doc)
    else:
        _synthese_reservataire(pdf, doc)
    if pdf.will_page_break(45):
        pdf.add_page()
    pdf.titre_section(SECTIONS_RESERVATAIRE[1] if doc.genre == "reservataire" else
                      "Logements libérés et attribués par catégorie")
    for dim, label in DIMENSIONS.items():
        _croisement(pdf, doc, dim, label)
    pdf.titre_section("Logements soustraits")
    s = doc.soustraits
    pdf.tableau(["Catégorie", f"Réalisés {doc.annee}", "dont attribués",
                 f"Prévus {doc.annee + 1}"],
                [[r.libelle, fmt_int(r.realise), fmt_int(r.attribues), fmt_num(r.prevision)]
                 for r in s.itertuples()]
                + [["Total", fmt_int(s["realise"].sum()), fmt_int(s["attribues"].sum()),
                    fmt_num(s["prevision"].sum())]],
                [90, 30, 30, 30], sections={len(s)})
    pdf.titre_section(f"Prévisionnel {doc.annee + 1}")
    p = doc.prevision
    first = "Réservataire" if doc.genre == "epci" else "Périmètre"
    rows = [[r.nom if doc.genre == "epci" else r.perimetre_libelle,
             r.perimetre_libelle if doc.genre == "epci" else r.departement,
             fmt_pct(r.taux_flux, 1), fmt_num(r.flux_net_prevu), fmt_num(r.droits_prevus)]
            for r in p.itertuples()]
    rows.append(["Total", "", "", "", fmt_num(p["droits_prevus"].sum())])
    pdf.tableau([first, "Périmètre" if doc.genre == "epci" else "Département", "Taux",
                 "Flux net prévu", "Droits prévus"], rows, [64, 50, 18, 27, 27],
                sections={len(rows) - 1}, alignements=["L", "L", "R", "R", "R"])
    pdf.titre_section("Méthode")
    for line in doc.notes:
        pdf.paragraphe(f"• {line}", taille=7.5)
    return bytes(pdf.output())


def _synthese_reservataire(pdf: Document, doc: DocumentBilan) -> None:
    s = doc.synthese
    if s.empty:
        pdf.paragraphe(f"Aucune convention de ce réservataire ne couvre un logement du "
                       f"bailleur en {doc.annee}.")
    else:
        rows = [[r.perimetre_libelle, fmt_pct(r.taux_flux, 1), fmt_int(r.entres),
                 fmt_num(r.du), fmt_int(r.orientes), fmt_int(r.attribues), fmt_int(r.rendus),
                 fmt_num(r.ecart)] for r in s.itertuples()]
        pdf.tableau(["Convention (périmètre)", "Taux", "Flux entré", "Dû", "Proposés",
                     "Attribués", "Rendus", "Écart"], rows, [62, 16, 18, 18, 18, 18, 16, 20])
    t = doc.croisements["typologie"]
    if not t["logements"].sum():
        return
    barres(pdf, "Proposés et attribués par typologie", list(t["categorie"]),
           [("Proposés", list(t["logements"])), ("Attribués", list(t["attribues"]))])
    barres(pdf, "Qualité du flux : part de ses logements et part du flux de son périmètre (%)",
           list(t["categorie"]), [("Ses logements", list(t["part"].fillna(0))),
                                  ("Flux du périmètre", list(t["part_flux"].fillna(0)))],
           unite=" %")


def _synthese_epci(pdf: Document, doc: DocumentBilan) -> None:
    s = doc.synthese
    rows = [[r.nom, TYPES.get(r.type, r.type), "–" if pd.isna(r.taux) else fmt_pct(r.taux, 1),
             "–" if pd.isna(r.du) else fmt_num(r.du), fmt_int(r.logements),
             fmt_int(r.attribues), fmt_int(r.prioritaires), fmt_int(r.q1)]
            for r in s.itertuples()]
    pdf.tableau(["Destination", "Type", "Taux", "Dû", "Proposés", "Attribués", "Prioritaires",
                 "1er quart."], rows, [56, 38, 14, 14, 16, 16, 16, 16], taille=7.5,
                alignements=["L", "L", *["R"] * 6])
    if not doc.chiffres["liberes"]:
        return
    groupes = s.groupby("groupe")["logements"].sum()
    labels = {"reservataire": "Réservataires", "bailleur": "Bailleur",
              "interne": "Soustraits", "non_oriente": "Non orientés"}
    barres(pdf, f"Destination des logements libérés en {doc.annee}", list(labels.values()),
           [("Logements", [int(groupes.get(k, 0)) for k in labels])], hauteur=45)
    t = doc.croisements["typologie"]
    barres(pdf, "Libérés et attribués par typologie", list(t["categorie"]),
           [("Libérés", list(t["logements"])), ("Attribués", list(t["attribues"]))])


def _croisement(pdf: Document, doc: DocumentBilan, dim: str, label: str) -> None:
    t = doc.croisements[dim]
    needed = (len(t) + 2) * 8 * 0.52 + 8
    if needed < 200 and pdf.will_page_break(needed):
        pdf.add_page()
    pdf.set_font("Liberation", "B", 9)
    pdf.cell(0, 6, label, new_x="LMARGIN", new_y="NEXT")
    reservataire = doc.genre == "reservataire"
    heads = ["Catégorie", "Proposés" if reservataire else "Libérés", "Attribués",
             "Prioritaires", "1er quartile", "Rendus", "Part"]
    widths = [56, 19, 19, 20, 20, 16, 18]
    if reservataire:
        heads.append("Part du flux")
        widths = [48, 17, 17, 19, 19, 15, 16, 20]
    rows = []
    for r in t.itertuples():
        row = [r.categorie, fmt_int(r.logements), fmt_int(r.attribues), fmt_int(r.prioritaires),
               fmt_int(r.q1), fmt_int(r.rendus), fmt_pct(r.part, 1)]
        if reservataire:
            row.append(fmt_pct(r.part_flux, 1))
        rows.append(row)
    total = ["Total", fmt_int(t["logements"].sum()), fmt_int(t["attribues"].sum()),
             fmt_int(t["prioritaires"].sum()), fmt_int(t["q1"].sum()),
             fmt_int(t["rendus"].sum()), "100 %" if len(t) else "–"]
    if reservataire:
        total.append("100 %" if t["flux"].sum() else "–")
    pdf.tableau(heads, [*rows, total], widths, taille=8, sections={len(rows)})
    pdf.ln(1.5)


def ecrire_pdf_statistiques(b: Bilan) -> bytes:
    """The annual statistics on reservations (arrêté du 28 novembre 2011): one table for the
    whole patrimoine, then one per département (A4 landscape)."""
    titre = f"Statistiques annuelles des réservations {b.annee}"
    pdf = Document(titre, orientation="L", pied=f"{b.bailleur} — arrêté du 28 novembre 2011")
    pdf.alias_nb_pages()
    pdf.add_page()
    statut = "" if b.complet else " — PROVISOIRE, l'année n'est pas terminée"
    pdf.entete(f"{b.bailleur}. Période du 01/01/{b.annee} au {fmt_date(b.arret)}{statut}. "
               "Par type de réservataire, les agents de l'État à part (arrêté du 28 novembre "
               "2011 ; contingents du SNE).")
    deps = sorted(b.statistiques["departement"].unique()) if len(b.statistiques) else []
    for dep in [None, *deps]:
        nom = ("Tout le patrimoine" if dep is None
               else f"Département {dep} {b.departements.get(dep, '')}".strip())
        if pdf.will_page_break(70):
            pdf.add_page()
        pdf.titre_section(nom)
        t = st.tableau(b.statistiques, dep)
        rows = [[r.libelle, *(fmt_int(getattr(r, c)) for c in st.INDICATEURS)]
                for r in t.itertuples()]
        pdf.tableau(["Type de réservataire", *st.COURTS.values()], rows,
                    [85] + [24] * len(st.INDICATEURS), taille=8, sections={len(rows) - 1})
    pdf.titre_section("Définitions")
    for code, label in st.INDICATEURS.items():
        pdf.paragraphe(f"• {st.COURTS[code]} : {label}.", taille=7.5)
    for line in st.notes(bool(b.reglages["rendu_bailleur_compte_livre"])):
        pdf.paragraphe(f"• {line}", taille=7.5)
    return bytes(pdf.output())
