"""Settings of the rules (docs/regles.md): every value the texts leave to reading or local choice.

Each setting has a default, a French description and its legal reference; the `parametre` table
holds the current value (JSON). Pages show the value where it is applied.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fluxcore import criteres, etat
from fluxcore.acces import pour_reservataire
from fluxcore.codes import CONTINGENT_DU_TYPE, CONTINGENTS, FINANCEMENTS
from fluxcore.errors import ParametreError


@dataclass(frozen=True)
class Parametre:
    cle: str
    defaut: Any
    description: str
    reference: str


PARAMETRES: tuple[Parametre, ...] = (
    Parametre("rendu_bailleur_compte_livre", True,
              "Un logement rendu au bailleur faute de candidat proposé à temps compte comme "
              "livré au réservataire.", "R441-5-3 ; convention de réservation"),
    Parametre("lecture_hors_qpv_prefet", "A",
              "Lecture de la règle des 30 % hors QPV du préfet : A = au moins 30 % des logements "
              "orientés au préfet sont hors QPV ; B = le taux du préfet sur le flux hors QPV est "
              "d'au moins 30 %.", "R441-5-2"),
    Parametre("prefet_taux_max_pct", 30.0,
              "Part maximale du flux annuel réservée au préfet (tous contingents).", "R441-5-2"),
    Parametre("prefet_fonctionnaires_max_pct", 5.0,
              "Part maximale du flux annuel pour les agents civils et militaires de l'État.",
              "R441-5-2"),
    Parametre("prefet_hors_qpv_min_pct", 30.0,
              "Part minimale hors QPV du contingent préfectoral, sauf stipulation contraire.",
              "R441-5-2"),
    Parametre("garantie_emprunt_max_pct", 20.0,
              "Part maximale du flux réservée en contrepartie d'une garantie d'emprunt.",
              "R441-5-2"),
    Parametre("garantie_emprunt_base", "territoire",
              "Assiette de la limite des 20 % : « territoire » = flux sur le territoire de la "
              "collectivité garante ; « departement » = flux départemental.", "R441-5-2"),
    Parametre("garantie_duree_apres_pret_ans", 5,
              "Durée (années) des droits liés à une garantie d'emprunt après le remboursement.",
              "R441-5-1"),
    Parametre("premieres_mises_en_location_dans_flux", True,
              "Les premières mises en location des programmes neufs entrent dans le flux.",
              "R441-5 (modèle des praticiens)"),
    Parametre("rotation_annees_historique", 3,
              "Nombre d'années passées utilisées pour estimer la rotation par segment.",
              "R441-5 (modèle des praticiens)"),
    Parametre("uc_premier_adulte", 1.0, "Unités de consommation du premier adulte.",
              "Échelle OCDE modifiée (arrêté quartiles)"),
    Parametre("uc_autre_14_plus", 0.5,
              "Unités de consommation par autre personne de 14 ans ou plus.",
              "Échelle OCDE modifiée (arrêté quartiles)"),
    Parametre("uc_enfant_moins_14", 0.3, "Unités de consommation par enfant de moins de 14 ans.",
              "Échelle OCDE modifiée (arrêté quartiles)"),
    Parametre("cible_q1_hors_qpv_pct", 25.0,
              "Part minimale des baux signés hors QPV pour le premier quartile ou les relogés "
              "RU/ORCOD (défaut légal, la CIA peut l'adapter).", "L441-1"),
    Parametre("cible_q234_en_qpv_pct", 50.0,
              "Part minimale des attributions en QPV aux quartiles 2 à 4 (défaut légal).",
              "L441-1"),
    Parametre("cible_prioritaires_pct", 25.0,
              "Part minimale des attributions de chaque réservataire (hors préfet) et du "
              "bailleur aux publics prioritaires.", "L441-1"),
    Parametre("periodes_construction", [1949, 1975, 1990, 2005, 2013],
              "Bornes des périodes de construction du bilan (années de début des tranches).",
              "R441-5-1"),
    Parametre("bailleur_nom", "",
              "Nom du bailleur, en tête des bilans annuels et de leurs fichiers.", "R441-5-1"),
    Parametre("bilan_echeance", "02-28", "Échéance annuelle d'envoi du bilan (MM-JJ).",
              "R441-5-1"),
    Parametre("bilan_alerte_debut", "02-01",
              "Date (MM-JJ) à partir de laquelle le tableau de bord rappelle l'échéance du bilan.",
              "Choix du produit"),
    Parametre("orientation_poids",
              {"retard": 0.40, "prefet_hors_qpv": 0.15, "qualite": 0.15, "cil": 0.15,
               "fragilite": 0.05},
              "Poids des ajustements du classement des destinations d'un logement libéré, "
              "rapportés au poids du retard sur le dû (qui mène toujours le classement) : règle "
              "hors QPV du préfet, qualité du flux, objectifs CIL, fragilité de la résidence.",
              "Choix du produit (aide à la décision, jamais automatique)"),
    Parametre("fragilite_poids",
              {"part_ressources_faibles": 0.20, "part_sans_emploi": 0.15,
               "part_monoparentales": 0.10, "taux_impayes": 0.15, "taux_vacance": 0.10,
               "taux_rotation": 0.10, "entrees_q1_pct": 0.10, "evol_ressources_faibles": 0.10},
              "Poids des indicateurs de l'indice de fragilité d'une résidence (chaque indicateur "
              "est d'abord centré-réduit par rapport aux résidences de l'EPCI).",
              "Choix du produit (enquête OPS ; docs/regles.md §11)"),
    Parametre("fragilite_seuil_fragile", 0.75,
              "Indice (en écarts-types) à partir duquel une résidence est classée « fragile ».",
              "Choix du produit"),
    Parametre("fragilite_seuil_surveiller", 0.25,
              "Indice (en écarts-types) à partir duquel une résidence est « à surveiller ».",
              "Choix du produit"),
    Parametre("fragilite_min_residences", 10,
              "Nombre minimal de résidences enquêtées d'un EPCI pour s'y comparer ; en dessous, "
              "la référence est tout le parc.", "Choix du produit"),
    Parametre("rpls_codes_financement", {},
              "Surcharge, code par code, de la catégorie donnée par la nomenclature RPLS des "
              "financements (FINAN : 10 et 11 → PLAI ; 12, 13, 50 à 53 → PLUS ; 14, 17, 55 → "
              "PLS ; 16, 54 → PLI ; 49, 99 → AUTRE), ex. {\"49\": \"PLUS\"} pour classer en "
              "PLUS les « autres financements » d'un patrimoine connu. Le code du fichier est "
              "conservé sur le logement.", "Nomenclature RPLS FINAN (docs/imports.md)"),
    Parametre("cotation_criteres_prioritaires", list(criteres.PRIORITAIRES),
              "Codes de critère d'une demande qui en font un public prioritaire (L441-1 ou "
              "DALO) : candidats possibles sur le contingent du préfet, et ce que la position "
              "d'un demandeur lui dit de sa priorité. Défaut : DALO et les publics de l'article "
              "L441-1 (fluxcore/criteres.py).", "L441-1 ; R441-5"),
    Parametre("cotation_plafonds_uc",
              {"PLAI": 13400.0, "PLUS": 24300.0, "PLS": 31600.0, "PLI": 33800.0},
              "Plafond de ressources par unité de consommation (€ par an) selon le "
              "financement du logement ; un financement absent (AUTRE) n'a pas de plafond. "
              "Défaut : ordre de grandeur du plafond d'une personne seule hors Île-de-France, "
              "à remplacer par les plafonds de l'arrêté en vigueur.",
              "R441-1 ; arrêté annuel des plafonds"),
    Parametre("cotation_occupants_min", {"T1": 1, "T2": 1, "T3": 2, "T4": 3, "T5": 4, "T6": 5},
              "Taille minimale du ménage pour chaque typologie (adéquation du logement).",
              "Choix local (charte d'attribution)"),
    Parametre("cotation_occupants_max", {"T1": 2, "T2": 3, "T3": 5, "T4": 6, "T5": 8, "T6": 20},
              "Taille maximale du ménage pour chaque typologie (adéquation du logement).",
              "Choix local (charte d'attribution)"),
    Parametre("cotation_ecart_typologie_max", 1,
              "Écart maximal (en pièces) entre la typologie souhaitée par la demande et celle "
              "du logement proposé (1 : un T3 peut être proposé à qui souhaite un T2 ou un T4).",
              "Choix local (charte d'attribution)"),
    Parametre("cotation_taux_effort_max_pct", 40.0,
              "Taux d'effort maximal : loyer hors charges et hors APL sur les ressources du "
              "ménage (ressources par UC × UC estimées : deux adultes puis enfants de moins "
              "de 14 ans).", "R441-3-1 (appréciation du taux d'effort)"),
    Parametre("cotation_attente_mois", 24,
              "Période (mois) sur laquelle le délai d'attente observé est mesuré : ancienneté "
              "médiane des demandes satisfaites.", "R441-2-17"),
    Parametre("cotation_min_comparables", 10,
              "Nombre minimal de demandes comparables (même typologie et même commune) ; en "
              "dessous, la comparaison s'élargit à l'EPCI puis à tout le territoire.",
              "Choix du produit"),
    Parametre("cotation_rang_bien_cotees_pct", 90.0,
              "Centile de score (dans l'EPCI) à partir duquel une demande est « bien cotée » "
              "pour la revue des demandes non satisfaites.", "Choix du produit"),
    Parametre("sne_tolerance_jours", 30,
              "Rapprochement SNE : écart maximal (jours) entre la date de radiation enregistrée "
              "au SNE et la date de signature du bail dans l'outil ; au-delà, la ligne est "
              "signalée (« dates éloignées »).", "Arrêté du 17 septembre 2012 (radiation dès "
              "la signature du bail) ; choix du produit pour le délai de saisie"),
    Parametre("sne_contingent_par_type", dict(CONTINGENT_DU_TYPE),
              "Rapprochement SNE : contingent du SNE auquel l'attribution d'un logement orienté "
              "à un réservataire doit être imputée, selon le type du réservataire (préfet → État "
              "publics prioritaires, préfet agents → État fonctionnaires, Action Logement et "
              "employeurs → employeurs, communes, EPCI, département, région → collectivités, "
              "autres → autre contingent). Les usages du bailleur (part non réservée, "
              "mutations, relogements) sont toujours « non réservé ».",
              "CCH R441-2-9 ; arrêté du 17 septembre 2012 §6.2"),
    Parametre("sne_contingent_par_reservataire", {},
              "Rapprochement SNE : contingent propre à un réservataire, qui remplace celui de son "
              "type, ex. {\"CIL-EMPLOYEUR\": \"AUTRES\"}.",
              "Choix local (conventions de réservation)"),
    Parametre("sne_siren_bailleur", [],
              "Rapprochement SNE : SIREN du bailleur (un ou plusieurs) ; les radiations d'un "
              "extrait enregistrées par un autre organisme sont écartées. Vide : toutes les "
              "radiations importées sont celles du bailleur.", "Arrêté du 17 septembre 2012 §6.2"),
    Parametre("delai_proposition_jours", 30,
              "Délai (jours) laissé au réservataire pour proposer ses candidats une fois le "
              "logement mis à sa disposition, quand sa convention n'en fixe pas ; passé ce "
              "délai, le logement peut être rendu au bailleur.",
              "Convention de réservation (R441-5 ; défaut du produit)"),
    Parametre("nb_candidats_max", 3,
              "Nombre de candidats qu'un réservataire peut proposer pour un logement, quand sa "
              "convention n'en fixe pas (la CALEOL examine au moins trois demandes par "
              "logement, sauf insuffisance de candidats).", "L441-2 ; convention de réservation"),
    Parametre("echeance_alerte_jours", 7,
              "Nombre de jours avant la fin du délai de proposition à partir duquel un logement "
              "apparaît dans les échéances proches.", "Choix du produit"),
    Parametre("reservataire_propose_candidats", False,
              "Les comptes réservataires peuvent proposer eux-mêmes leurs candidats pour les "
              "logements mis à leur disposition.", "Choix du bailleur"),
    Parametre("avis_envoi_automatique", True,
              "L'avis de mise à disposition part par courriel dès l'orientation enregistrée "
              "(si un serveur d'envoi est configuré et l'adresse du réservataire connue) ; "
              "sinon il est proposé au téléchargement.", "Choix du bailleur"),
    Parametre("bailleur_contact", "",
              "Contact du bailleur cité dans les avis de mise à disposition (service, "
              "téléphone, adresse électronique).", "Choix du bailleur"),
    Parametre("vacance_alerte_jours", 30,
              "Délai (jours) au-delà duquel un logement libéré sans orientation est signalé.",
              "Choix du produit"),
    # retention of personal data (fluxcore.retention, docs/donnees-personnelles.md); 0: never
    Parametre("conservation_demandes_mois", 12,
              "Durée (mois) de conservation d'une demande radiée (attribuée, non renouvelée, "
              "abandonnée…) après sa date de radiation ; ensuite la purge la supprime. 0 : "
              "jamais purgée. Les demandes satisfaites plus anciennes ne comptent plus dans le "
              "délai d'attente observé de la cotation.",
              "Décret n° 2017-917 du 9 mai 2017, art. 4 : données du SNE conservées un an "
              "après la radiation (R441-2-8)"),
    Parametre("conservation_candidatures_mois", 12,
              "Durée (mois) de conservation d'une candidature close (retenue, refusée, "
              "retirée) après la décision ; ensuite la purge la supprime, comme toute "
              "candidature d'une demande purgée. 0 : jamais purgée.",
              "Choix du produit, aligné sur la conservation des demandes (décret n° 2017-917, "
              "art. 4)"),
    Parametre("conservation_menages_ans", 5,
              "Durée (années) de conservation des données du ménage d'une attribution après "
              "le bail (à défaut la CALEOL) : taille, ressources, quartile, publics "
              "prioritaires, DALO, salarié, relogement, identifiants du ménage et de la "
              "demande sont effacés ; le logement, les dates et l'orientation restent. 0 : "
              "jamais effacées.",
              "Choix du produit (aucune durée officielle trouvée) : bilan annuel R441-5-1 et "
              "suivi pluriannuel des objectifs L441-1"),
    Parametre("conservation_radiations_sne_mois", 24,
              "Durée (mois) de conservation d'une radiation importée de l'extrait SNE après "
              "sa date de radiation ; ensuite la purge la supprime. 0 : jamais purgée.",
              "Choix du produit : rapprochement de l'année N jusqu'au bilan de N+1 "
              "(R441-5-1)"),
    Parametre("conservation_journal_ans", 1,
              "Durée (années) après laquelle les détails d'une ligne du journal d'audit qui "
              "peuvent citer un ménage ou une demande sont effacés (l'action, la date, "
              "l'auteur et la table restent). 0 : jamais effacés.",
              "Recommandation de la CNIL relative aux mesures de journalisation (octobre "
              "2021) : six mois à un an"),
)

BY_KEY = {p.cle: p for p in PARAMETRES}
# bounds of the numeric settings that have some (check_valeur; the settings form uses them)
BORNES: dict[str, tuple[float, float]] = {
    "cotation_rang_bien_cotees_pct": (0, 100), "cotation_min_comparables": (1, 10_000),
    "cotation_attente_mois": (1, 240), "cotation_ecart_typologie_max": (0, 5),
    "cotation_taux_effort_max_pct": (1, 100), "sne_tolerance_jours": (0, 366),
    "delai_proposition_jours": (1, 365), "nb_candidats_max": (1, 20),
    "echeance_alerte_jours": (0, 90),
    "conservation_demandes_mois": (0, 600), "conservation_candidatures_mois": (0, 600),
    "conservation_menages_ans": (0, 100), "conservation_radiations_sne_mois": (0, 600),
    "conservation_journal_ans": (0, 100)}
# retention settings (fluxcore.retention): whole numbers, 0 = never purged
CONSERVATION = ("conservation_demandes_mois", "conservation_candidatures_mois",
                "conservation_menages_ans", "conservation_radiations_sne_mois",
                "conservation_journal_ans")


# Former defaults replaced because they misread the texts: a database still holding one that
# nobody changed (updated_by "defaut") takes the new default when it is opened (audited).
ANCIENS_DEFAUTS: dict[str, tuple] = {
    # the L441-1 list lacked « hébergées par des tiers » (j), the combined difficulties (b),
    # the way out of prostitution (g) and the victims of trafficking (h)
    "cotation_criteres_prioritaires": (
        ["DALO", "SANS_LOGEMENT", "VIOLENCES", "EXPULSION", "HEBERGEMENT_STRUCTURE",
         "HANDICAP", "LOGEMENT_INDIGNE", "SORTIE_SOIN", "SUROCCUPATION", "REPRISE_EMPLOI"],),
}


def _actualiser_defauts(cur) -> None:
    from fluxcore.db import audit

    for cle, anciens in ANCIENS_DEFAUTS.items():
        row = cur.execute("select valeur, updated_by from parametre where cle = ?",
                          [cle]).fetchall()
        if not row or row[0][1] != "defaut" or json.loads(row[0][0]) not in anciens:
            continue
        new = BY_KEY[cle].defaut
        cur.execute("update parametre set valeur = ?, updated_at = ? where cle = ?",
                    [json.dumps(new), datetime.now(), cle])
        audit(cur, "defaut", "parametre.defaut", "parametre", cle,
              {"avant": json.loads(row[0][0]), "apres": new})


def seed_parametres(cur) -> list[str]:
    """Insert every missing setting with its default, bring an untouched former default up
    to date (ANCIENS_DEFAUTS); returns the keys added."""
    _actualiser_defauts(cur)
    present = {r[0] for r in cur.execute("select cle from parametre").fetchall()}
    added = []
    for p in PARAMETRES:
        if p.cle in present:
            continue
        cur.execute(
            "insert into parametre (cle, valeur, description, reference, updated_at, updated_by) "
            "values (?, ?, ?, ?, ?, ?)",
            [p.cle, json.dumps(p.defaut), p.description, p.reference, datetime.now(), "defaut"])
        added.append(p.cle)
    return added


def get_parametre(db, cle: str) -> Any:
    """Current value of a setting (the default if the row is missing)."""
    if cle not in BY_KEY:
        raise ParametreError(f"Paramètre inconnu : « {cle} ».")
    raw = db.scalar("select valeur from parametre where cle = ?", [cle])
    return BY_KEY[cle].defaut if raw is None else json.loads(raw)


@pour_reservataire()
def get_parametres(db) -> dict[str, Any]:
    """Every setting as a dict key -> value."""
    rows = db.df("select cle, valeur from parametre")
    values = {p.cle: p.defaut for p in PARAMETRES}
    values.update({c: json.loads(v) for c, v in zip(rows["cle"], rows["valeur"]) if c in BY_KEY})
    return values


def check_valeur(cle: str, valeur: Any) -> None:
    """Raise ParametreError unless `valeur` suits setting `cle` (same type as its default)."""
    if cle not in BY_KEY:
        raise ParametreError(f"Paramètre inconnu : « {cle} ».")
    defaut = BY_KEY[cle].defaut
    if isinstance(defaut, bool) != isinstance(valeur, bool) or (
        isinstance(defaut, (int, float)) and not isinstance(valeur, (int, float))
    ) or (isinstance(defaut, str) and not isinstance(valeur, str)):
        raise ParametreError(
            f"Valeur invalide pour « {cle} » : {valeur!r} (attendu : du même type que "
            f"{defaut!r}).")
    if cle == "rpls_codes_financement":
        if not isinstance(valeur, dict) or not all(
                v in FINANCEMENTS for v in valeur.values()):
            raise ParametreError("Chaque code FINAN doit correspondre à "
                                 f"{', '.join(FINANCEMENTS.codes[:-1])} ou "
                                 f"{FINANCEMENTS.codes[-1]}.")
        return
    if cle in ("sne_contingent_par_type", "sne_contingent_par_reservataire"):
        if not isinstance(valeur, dict) or not all(
                isinstance(k, str) and k.strip() and v in CONTINGENTS for k, v in valeur.items()):
            raise ParametreError("Chaque contingent doit être l'un de "
                                 f"{', '.join(CONTINGENTS)}.")
        if cle == "sne_contingent_par_type" and set(valeur) != set(defaut):
            raise ParametreError(f"Il faut un contingent pour chacun des types {sorted(defaut)}.")
        return
    if cle == "sne_siren_bailleur":
        if not isinstance(valeur, list) or not all(
                isinstance(v, str) and len(v) == 9 and v.isdigit() for v in valeur):
            raise ParametreError("Les SIREN du bailleur sont une liste de codes à 9 chiffres, "
                                 'par exemple ["123456789"].')
        return
    if isinstance(defaut, dict) and (not isinstance(valeur, dict) or set(valeur) != set(
            defaut) or not all(isinstance(v, (int, float)) and v >= 0 for v in valeur.values())):
        raise ParametreError(
            f"Valeur invalide pour « {cle} » : il faut les clés {sorted(defaut)} avec des "
            "nombres positifs.")
    if cle == "periodes_construction" and (
            not isinstance(valeur, list) or not valeur
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in valeur)
            or any(a >= b for a, b in itertools.pairwise(valeur))):
        raise ParametreError("Les périodes de construction sont une liste d'années "
                             "croissantes, par exemple [1949, 1975, 1990, 2005, 2013].")
    if cle == "cotation_criteres_prioritaires" and (
            not isinstance(valeur, list)
            or not all(isinstance(v, str) and v.strip() for v in valeur)):
        raise ParametreError("Les critères prioritaires sont une liste de codes, par exemple "
                             '["DALO", "SANS_LOGEMENT"].')
    if cle in CONSERVATION and not float(valeur).is_integer():
        raise ParametreError(f"« {cle} » est un nombre entier (0 : jamais purgé).")
    if cle in BORNES and not BORNES[cle][0] <= valeur <= BORNES[cle][1]:
        raise ParametreError(f"« {cle} » doit être compris entre {BORNES[cle][0]} et "
                             f"{BORNES[cle][1]}.")
    if cle in ("cotation_occupants_min", "cotation_occupants_max") and not all(
            float(v).is_integer() and v >= 1 for v in valeur.values()):
        raise ParametreError("Les tailles de ménage sont des nombres entiers d'au moins 1.")
    if cle == "lecture_hors_qpv_prefet" and valeur not in ("A", "B"):
        raise ParametreError("La lecture hors QPV doit valoir « A » ou « B ».")


def set_parametre(db, cle: str, valeur: Any, actor: str | None = None) -> None:
    """Change a setting, checking its type against the default; audited."""
    from fluxcore.acces import acteur, exiger
    from fluxcore.db import audit

    exiger(db, "parametrer")
    actor = acteur(db, actor)
    check_valeur(cle, valeur)
    old = get_parametre(db, cle)
    with db.transaction("parametrer") as cur:
        etat.sans_effet(cur)   # none of etat.SOURCES written
        cur.execute("update parametre set valeur = ?, updated_at = ?, updated_by = ? where cle = ?",
                    [json.dumps(valeur), datetime.now(), actor, cle])
        audit(cur, actor, "parametre.set", "parametre", cle, {"avant": old, "apres": valeur})
    from fluxcore.simulation import modele_stocke  # the simulator builds on this module

    modele_stocke.apres_reglage(db, cle, actor)   # refit when the model reads it, never fails
