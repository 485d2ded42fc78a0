"""The settings as people read and edit them (Données › Paramètres): a short French name, the
unit and bounds of a number, the choices of an enumerated value, the names of the keys and
values of lists and tables, and every value written in French (« 30 % », « oui »).

The settings themselves (defaults, descriptions, references, checks) are in
fluxcore.parametres; a test fails when a setting has no name here.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from fluxcore.codes import CONTINGENTS, FINANCEMENTS, TYPES_RESERVATAIRE
from fluxcore.db import Database
from fluxcore.errors import ParametreError
from fluxcore.formats import fmt_date, fmt_nombre, pluriel
from fluxcore.parametres import BORNES, BY_KEY, CONSERVATION, get_parametre

LIBELLES = {
    "rendu_bailleur_compte_livre": "Logement rendu au bailleur compté comme livré",
    "lecture_hors_qpv_prefet": "Lecture de la règle hors QPV du préfet",
    "prefet_taux_max_pct": "Plafond du préfet",
    "prefet_fonctionnaires_max_pct": "Plafond des agents de l'État",
    "prefet_hors_qpv_min_pct": "Part minimale hors QPV du préfet",
    "garantie_emprunt_max_pct": "Plafond des garanties d'emprunt",
    "garantie_emprunt_base": "Assiette du plafond des garanties d'emprunt",
    "garantie_duree_apres_pret_ans": "Durée des droits après le remboursement du prêt",
    "premieres_mises_en_location_dans_flux": "Premières mises en location dans le flux",
    "rotation_annees_historique": "Années d'historique de la rotation",
    "uc_premier_adulte": "Unités de consommation : premier adulte",
    "uc_autre_14_plus": "Unités de consommation : autre personne de 14 ans ou plus",
    "uc_enfant_moins_14": "Unités de consommation : enfant de moins de 14 ans",
    "cible_q1_hors_qpv_pct": "Cible : premier quartile hors QPV",
    "cible_q234_en_qpv_pct": "Cible : quartiles 2 à 4 en QPV",
    "cible_prioritaires_pct": "Cible : publics prioritaires",
    "periodes_construction": "Périodes de construction du bilan",
    "bailleur_nom": "Nom du bailleur",
    "bilan_echeance": "Échéance du bilan annuel",
    "bilan_alerte_debut": "Début du rappel de l'échéance du bilan",
    "orientation_poids": "Poids des ajustements de l'orientation",
    "fragilite_poids": "Poids des indicateurs de fragilité",
    "fragilite_seuil_fragile": "Seuil « fragile »",
    "fragilite_seuil_surveiller": "Seuil « à surveiller »",
    "fragilite_min_residences": "Résidences enquêtées minimum par EPCI",
    "rpls_codes_financement": "Catégorie de financement de codes RPLS",
    "cotation_criteres_prioritaires": "Critères des publics prioritaires",
    "cotation_plafonds_uc": "Plafonds de ressources par unité de consommation",
    "cotation_occupants_min": "Taille minimale du ménage par typologie",
    "cotation_occupants_max": "Taille maximale du ménage par typologie",
    "cotation_ecart_typologie_max": "Écart maximal de typologie",
    "cotation_taux_effort_max_pct": "Taux d'effort maximal",
    "cotation_attente_mois": "Période du délai d'attente observé",
    "cotation_min_comparables": "Demandes comparables minimum",
    "cotation_rang_bien_cotees_pct": "Centile des demandes bien cotées",
    "sne_tolerance_jours": "Tolérance de date du rapprochement SNE",
    "sne_contingent_par_type": "Contingent SNE de chaque type de réservataire",
    "sne_contingent_par_reservataire": "Contingent SNE propre à un réservataire",
    "sne_siren_bailleur": "SIREN du bailleur",
    "delai_proposition_jours": "Délai de proposition des candidats",
    "nb_candidats_max": "Nombre maximal de candidats",
    "echeance_alerte_jours": "Alerte avant la fin du délai de proposition",
    "reservataire_propose_candidats": "Candidats proposés par les réservataires",
    "avis_envoi_automatique": "Envoi automatique de l'avis de mise à disposition",
    "bailleur_contact": "Contact du bailleur",
    "vacance_alerte_jours": "Alerte de vacance sans orientation",
    "conservation_demandes_mois": "Conservation des demandes radiées",
    "conservation_candidatures_mois": "Conservation des candidatures closes",
    "conservation_menages_ans": "Conservation des données des ménages attributaires",
    "conservation_radiations_sne_mois": "Conservation des radiations du SNE",
    "conservation_journal_ans": "Conservation des détails du journal d'audit",
}
UNITES = {   # (singular, plural)
    "prefet_taux_max_pct": "%", "prefet_fonctionnaires_max_pct": "%",
    "prefet_hors_qpv_min_pct": "%", "garantie_emprunt_max_pct": "%",
    "garantie_duree_apres_pret_ans": ("an", "ans"), "rotation_annees_historique": ("an", "ans"),
    "uc_premier_adulte": "UC", "uc_autre_14_plus": "UC", "uc_enfant_moins_14": "UC",
    "cible_q1_hors_qpv_pct": "%", "cible_q234_en_qpv_pct": "%", "cible_prioritaires_pct": "%",
    "fragilite_seuil_fragile": ("écart-type", "écarts-types"),
    "fragilite_seuil_surveiller": ("écart-type", "écarts-types"),
    "fragilite_min_residences": ("résidence", "résidences"), "cotation_plafonds_uc": "€ par an",
    "cotation_occupants_min": ("personne", "personnes"),
    "cotation_occupants_max": ("personne", "personnes"),
    "cotation_ecart_typologie_max": ("pièce", "pièces"), "cotation_taux_effort_max_pct": "%",
    "cotation_attente_mois": "mois", "cotation_min_comparables": ("demande", "demandes"),
    "cotation_rang_bien_cotees_pct": "%", "sne_tolerance_jours": ("jour", "jours"),
    "delai_proposition_jours": ("jour", "jours"), "nb_candidats_max": ("candidat", "candidats"),
    "echeance_alerte_jours": ("jour", "jours"), "vacance_alerte_jours": ("jour", "jours"),
    "conservation_demandes_mois": "mois", "conservation_candidatures_mois": "mois",
    "conservation_menages_ans": ("an", "ans"), "conservation_radiations_sne_mois": "mois",
    "conservation_journal_ans": ("an", "ans"),
}
CHOIX = {
    "lecture_hors_qpv_prefet": {
        "A": "A : au moins 30 % des logements orientés au préfet sont hors QPV",
        "B": "B : le taux du préfet sur le flux hors QPV atteint 30 %"},
    "garantie_emprunt_base": {
        "territoire": "Flux du territoire de la collectivité garante",
        "departement": "Flux du département"},
}
DATES_MM_JJ = ("bilan_echeance", "bilan_alerte_debut")


def libelle(cle: str) -> str:
    """Short French name of a setting."""
    return LIBELLES.get(cle, "Paramètre")


def bornes(cle: str) -> tuple[float | None, float | None]:
    """(min, max) of a numeric setting: those check_valeur enforces, else 0–100 for a
    percentage and 0 at least for any other number."""
    if cle in BORNES:
        return BORNES[cle]
    return (0, 100) if unite(cle) == "%" else (0, None)


def noms_cles(cle: str) -> dict[str, str]:
    """Names of the keys of a table setting (or of the items of a list setting)."""
    if cle == "orientation_poids":
        from fluxcore.orientation_ajustements import AJUSTEMENTS
        return {"retard": "Déficit sur le dû", **AJUSTEMENTS}
    if cle == "fragilite_poids":
        from fluxcore.fragilite import LIBELLES as INDICATEURS
        return {k: v.removesuffix(" (%)").removesuffix(" (points)")
                for k, v in INDICATEURS.items()}
    if cle == "sne_contingent_par_type":
        return dict(TYPES_RESERVATAIRE.libelles)
    if cle == "cotation_criteres_prioritaires":
        from fluxcore.criteres import LIBELLES as CRITERES
        return dict(CRITERES)
    return {}


def noms_valeurs(cle: str) -> dict[str, str]:
    """Names of the values a table setting's values take (contingents, financements)."""
    if cle in ("sne_contingent_par_type", "sne_contingent_par_reservataire"):
        return dict(CONTINGENTS.libelles)
    if cle == "rpls_codes_financement":
        return {f: f for f in FINANCEMENTS}
    return {}


def unite(cle: str, n: float | None = None) -> str:
    """The unit of a numeric setting, agreeing with `n` (plural from 2 on): « jours »."""
    u = UNITES.get(cle, "")
    return pluriel(n if n is not None else 2, *u) if isinstance(u, tuple) else u


def _nombre(x: float, cle: str) -> str:
    text, u = fmt_nombre(x), unite(cle, x)
    if not u:
        return text
    return f"{text}\u202f%" if u == "%" else f"{text} {u}"


def texte_valeur(cle: str, valeur: Any) -> str:
    """A setting's value in French: « 30 % », « oui », « 28/02 », « Déficit sur le dû : 0,4 ;
    … », « — » when empty."""
    if isinstance(valeur, bool):
        return "oui" if valeur else "non"
    if isinstance(valeur, (int, float)):
        return "jamais purgé" if cle in CONSERVATION and valeur == 0 else _nombre(valeur, cle)
    if isinstance(valeur, str):
        if cle in CHOIX:
            return CHOIX[cle].get(valeur, valeur)
        if cle in DATES_MM_JJ and len(valeur) == 5:
            return f"{valeur[3:]}/{valeur[:2]}"
        return valeur or "—"
    if isinstance(valeur, list):
        noms = noms_cles(cle)
        return ", ".join(noms.get(str(v), str(v)) for v in valeur) or "—"
    if isinstance(valeur, dict):
        cles, valeurs = noms_cles(cle), noms_valeurs(cle)
        parts = [f"{cles.get(k, k)} : " + (valeurs.get(v, v) if isinstance(v, str)
                                           else _nombre(v, cle)) for k, v in valeur.items()]
        return " ; ".join(parts) or "—"
    return "—" if valeur is None else str(valeur)


def changement(cle: str, avant: Any, apres: Any, noms: dict[str, str] | None = None) -> str:
    """What a change of a setting did, in French: « 30 % → 27,5 % »; for a table, only the
    entries that changed (« Qualité du flux : 0,15 → 0,2 »); for a list, what was added and
    removed. `noms`: names of the réservataires a table may have as keys."""
    if isinstance(avant, dict) and isinstance(apres, dict):
        cles, vide = {**(noms or {}), **noms_cles(cle)}, "(aucun)"
        parts = [f"{cles.get(k, k)} : {_un(cle, avant.get(k), vide)} → "
                 f"{_un(cle, apres.get(k), vide)}"
                 for k in [*avant, *(k for k in apres if k not in avant)]
                 if avant.get(k) != apres.get(k)]
        return " ; ".join(parts) or "aucun changement"
    if isinstance(avant, list) and isinstance(apres, list) and cle != "periodes_construction":
        noms = noms_cles(cle)
        plus = [noms.get(str(v), str(v)) for v in apres if v not in avant]
        moins = [noms.get(str(v), str(v)) for v in avant if v not in apres]
        parts = ([f"ajouté : {', '.join(plus)}"] if plus else []) + (
            [f"retiré : {', '.join(moins)}"] if moins else [])
        return " ; ".join(parts) or "aucun changement"
    return f"{texte_valeur(cle, avant)} → {texte_valeur(cle, apres)}"


def _un(cle: str, v: Any, vide: str) -> str:
    if v is None:
        return vide
    return noms_valeurs(cle).get(v, v) if isinstance(v, str) else _nombre(v, cle)


def liste_parametres(db: Database) -> pd.DataFrame:
    """Every setting: cle, libelle, valeur (French text), description, reference,
    modifie_le, modifie_par (« (défaut) » when nobody changed it)."""
    df = db.df("select cle, valeur, description, reference, updated_at, updated_by "
               "from parametre order by cle")
    df = df[df["cle"].isin(BY_KEY)].copy()
    df.insert(1, "libelle", [libelle(c) for c in df["cle"]])
    df["valeur"] = [texte_valeur(c, json.loads(v)) for c, v in zip(df["cle"], df["valeur"])]
    df["modifie_le"] = [fmt_date(t.date()) for t in df.pop("updated_at")]
    df["modifie_par"] = ["(défaut)" if u == "defaut" else u
                         for u in df.pop("updated_by")]
    return df.sort_values("libelle", key=lambda s: s.str.lower()).reset_index(drop=True)


def valeur_saisie(cle: str, texte: str):
    """A setting typed as text (command line, tests): JSON (30, true, [1, 2], {"a": 1}) or
    French text for numbers (« 30,5 »), oui/non for booleans, plain text for text settings."""
    defaut = BY_KEY[cle].defaut if cle in BY_KEY else None
    texte = texte.strip()
    if isinstance(defaut, bool):
        low = texte.lower()
        if low in ("oui", "vrai", "true", "1"):
            return True
        if low in ("non", "faux", "false", "0"):
            return False
        raise ParametreError(f"« {texte} » : attendu oui ou non.")
    if isinstance(defaut, (int, float)):
        try:
            number = float(texte.replace("\u202f", "").replace(" ", "").replace(",", "."))
        except ValueError as exc:
            raise ParametreError(f"« {texte} » : attendu un nombre.") from exc
        return int(number) if isinstance(defaut, int) and number.is_integer() else number
    if isinstance(defaut, str):
        return texte
    try:
        return json.loads(texte)
    except json.JSONDecodeError as exc:
        raise ParametreError(
            f"« {texte} » : attendu une valeur au format JSON (ex. [1949, 1975] ou "
            '{"retard": 0.4}).') from exc


def valeur_json(db: Database, cle: str) -> str:
    """Current value of a setting as editable text (JSON, French decimal for numbers)."""
    value = get_parametre(db, cle)
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float)):
        return fmt_nombre(value, None)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def date_mm_jj(texte: str) -> str:
    """« 28/02 » (or « 28/2 », « 02-28 ») → « 02-28 », the stored form of a yearly date."""
    t = texte.strip()
    try:
        if "/" in t:
            jour, mois = (int(x) for x in t.split("/"))
        else:
            mois, jour = (int(x) for x in t.split("-"))
        pd.Timestamp(2024, mois, jour)          # a leap year: 29/02 is a date
    except (ValueError, TypeError) as exc:
        raise ParametreError(f"« {texte} » : attendu un jour et un mois, par exemple "
                             "28/02.") from exc
    return f"{mois:02d}-{jour:02d}"


def noms_reservataires(db: Database) -> dict[str, str]:
    """Réservataire id → name, by name (the keys of sne_contingent_par_reservataire)."""
    df = db.df("select reservataire_id, nom from reservataire order by nom, reservataire_id")
    return dict(zip(df["reservataire_id"], df["nom"]))
