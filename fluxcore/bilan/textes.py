"""Words of the bilan: headline indicators, method notes, display labels, CLI summary line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fluxcore.bilan.calcul import Bilan
from fluxcore.codes import BAILLEUR, DESTINATIONS_BAILLEUR, TYPES_RESERVATAIRE
from fluxcore.formats import fmt_date
from fluxcore.reglages import libelle

if TYPE_CHECKING:
    from fluxcore.bilan.documents import DocumentBilan

def notes_methode(b: Bilan, genre: str) -> list[str]:
    """What the figures mean and which settings produced them (Notes sheet, PDF footer)."""
    r = b.reglages
    bornes = ", ".join(str(x) for x in r["periodes_construction"])
    lines = [
        f"Bilan annuel {b.annee} et prévisionnel {b.annee + 1} (article R441-5-1 du CCH).",
        f"Période : du 01/01/{b.annee} au {fmt_date(b.arret)}"
        + ("." if b.complet else " — bilan provisoire, l'année n'est pas terminée."),
        "Logements proposés (orientés) : logements libérés pendant l'année dont la dernière "
        "orientation désigne le réservataire.",
        "Attribués : parmi eux, ceux dont l'orientation a abouti à une attribution. Publics "
        "prioritaires : ménages DALO ou prioritaires (L441-1). Premier quartile : quartile "
        "renseigné, sinon ressources par UC sous le seuil de l'EPCI de l'année.",
        "Rendus au bailleur : aucun candidat proposé dans le délai ; ils comptent comme livrés "
        "au réservataire : " + ("oui" if r["rendu_bailleur_compte_livre"] else "non")
        + f" (paramètre « {libelle('rendu_bailleur_compte_livre')} »).",
        "Dû : taux de la convention × logements entrés dans le flux de son périmètre "
        "(libérations non utilisées pour une catégorie soustraite ; premières mises en "
        "location " + ("incluses" if r["premieres_mises_en_location_dans_flux"] else "exclues")
        + ").",
        f"Périodes de construction : bornes {bornes} (paramètre "
        f"« {libelle('periodes_construction')} ») ; "
        "année de construction de la résidence, à défaut année de mise en service.",
        f"Prévisionnel {b.annee + 1} : soustraits prévus = moyenne annuelle des "
        f"{r['rotation_annees_historique']} années précédentes par catégorie ; flux net prévu "
        "= parc × rotation observée par segment (typologie × QPV) + premières mises en "
        "location − soustraits ; droits prévus = taux × flux net prévu du périmètre.",
    ]
    if genre == "epci":
        lines.append("Territoire de l'EPCI : tous les logements du flux du bailleur situés "
                     "dans ses communes, quelle que soit leur destination.")
    return lines


# the type column of the synthesis: réservataire types by their group label, the bailleur by
# its short one, and the bilan's own lines
TYPES = {**TYPES_RESERVATAIRE.groupes, BAILLEUR: DESTINATIONS_BAILLEUR.courts[BAILLEUR],
         "USAGE_INTERNE": "Usage interne (soustrait)", "NON_ORIENTE": "Non orienté"}


def _inconnus(c: dict) -> list[tuple[str, float, str]]:
    """The line « quartile inconnu », shown only when some attributions lack it."""
    n = c.get("quartile_inconnu", 0)
    return [("dont quartile inconnu (ni quartile ni ressources/UC avec seuil)", n, "int")] \
        if n else []


def indicateurs(doc: DocumentBilan) -> list[tuple[str, float, str]]:
    """Headline figures of a document: (label, value, format "int" | "num")."""
    c, n, n1 = doc.chiffres, doc.annee, doc.annee + 1
    if doc.genre == "epci":
        return [
            (f"Logements libérés en {n} sur le territoire", c["liberes"], "int"),
            ("dont entrés dans le flux", c["dans_flux"], "int"),
            ("Orientés aux réservataires", c["reservataire"], "int"),
            ("dont attribués", c["attribues_reservataires"], "int"),
            ("Gardés par le bailleur (part non réservée)", c["bailleur"], "int"),
            ("Utilisés pour une catégorie soustraite", c["interne"], "int"),
            ("Pas encore orientés", c["non_oriente"], "int"),
            ("Attributions, toutes destinations", c["attribues"], "int"),
            ("dont publics prioritaires (DALO ou L441-1)", c["prioritaires"], "int"),
            ("dont ménages DALO", c["dalo"], "int"),
            ("dont premier quartile", c["q1"], "int"),
            *_inconnus(c),
            ("Rendus au bailleur faute de candidat", c["rendus"], "int"),
            ("Dû aux réservataires (taux × flux entré)", c["du"], "num"),
            (f"Flux net prévu {n1} (conventions départementales)", c["flux_net_prevu"], "num"),
            (f"Droits prévus {n1} des réservataires", c["droits_prevus"], "num"),
        ]
    return [
        (f"Logements proposés (orientés) en {n}", c["logements"], "int"),
        ("dont attribués", c["attribues"], "int"),
        ("dont à des publics prioritaires (DALO ou L441-1)", c["prioritaires"], "int"),
        ("dont à des ménages DALO", c["dalo"], "int"),
        ("dont au premier quartile", c["q1"], "int"),
        *_inconnus(c),
        ("Rendus au bailleur faute de candidat", c["rendus"], "int"),
        ("Encore en cours (orientés, candidats, CALEOL)", c["en_cours"], "int"),
        *([("Hors flux (premières mises en location exclues du flux)", c["hors_flux"], "int")]
          if c.get("hors_flux") else []),
        ("Dû (taux × flux entré sur son périmètre)", c["du"], "num"),
        ("Livrés (dans le flux)", c["livres"], "int"),
        ("Écart livrés − dû", c["ecart"], "num"),
        (f"Droits prévus {n1} (taux × flux net prévu × part de l'année couverte)",
         c["droits_prevus"], "num"),
    ]
