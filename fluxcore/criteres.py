"""Criterion codes a demande carries (docs/regles.md#criteres), stated once: DALO, the priority
publics of article L441-1 of the CCH with the letter of the article, and the usual local criteria of
cotation grids, each with its French label, in display order.

The default of the setting `cotation_criteres_prioritaires` (who may be housed on the
préfet's contingent, and whom the 25 % objective counts) and the labels of the cotation
grids come from here; so does the sentence telling a demandeur whether his demande is
prioritaire (R441-2-17). No import from the rest of the package: parametres reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Critere:
    code: str
    libelle: str
    article: str | None   # « L441-1 b » for a priority public; None for a local criterion


DALO = "DALO"

CRITERES: tuple[Critere, ...] = (
    Critere(DALO, "Ménage DALO, reconnu prioritaire et à loger d'urgence", "L441-2-3"),
    Critere("HANDICAP", "Personne en situation de handicap ou famille en ayant une à charge",
            "L441-1 a"),
    Critere("SORTIE_SOIN", "Sortie d'appartement de coordination thérapeutique", "L441-1 a bis"),
    Critere("DIFFICULTES_CUMULEES",
            "Mal logé ou défavorisé, difficultés particulières de logement d'ordre financier "
            "ou tenant aux conditions d'existence", "L441-1 b"),
    Critere("HEBERGEMENT_STRUCTURE", "Hébergé en structure ou logement temporaire",
            "L441-1 c"),
    Critere("REPRISE_EMPLOI", "Reprise d'activité après chômage de longue durée", "L441-1 d"),
    Critere("LOGEMENT_INDIGNE", "Exposé à une situation d'habitat indigne", "L441-1 e"),
    Critere("VIOLENCES", "Victime de violences au sein du couple ou de la famille", "L441-1 f"),
    Critere("SORTIE_PROSTITUTION", "Engagé dans un parcours de sortie de la prostitution",
            "L441-1 g"),
    Critere("TRAITE_ETRES_HUMAINS", "Victime de traite des êtres humains ou de proxénétisme",
            "L441-1 h"),
    Critere("SUROCCUPATION", "Enfant mineur à charge, logement suroccupé ou non décent",
            "L441-1 i"),
    Critere("SANS_LOGEMENT", "Sans logement ou hébergé en structure d'urgence", "L441-1 j"),
    Critere("HEBERGE_TIERS", "Hébergé chez un tiers ou la famille", "L441-1 j"),
    Critere("EXPULSION", "Menacé d'expulsion sans relogement", "L441-1 k"),
    Critere("TAUX_EFFORT", "Taux d'effort trop élevé", None),
    Critere("PARENT_ISOLE", "Parent isolé", None),
    Critere("MUTATION_PRO", "Mutation professionnelle", None),
    Critere("RAPPROCHEMENT_TRAVAIL", "Rapprochement domicile-travail", None),
    Critere("DECOHABITATION", "Décohabitation contrainte", None),
)
LIBELLES = {c.code: c.libelle for c in CRITERES}
ARTICLES = {c.code: c.article for c in CRITERES if c.article}
# DALO and every L441-1 public: the default of the setting cotation_criteres_prioritaires
PRIORITAIRES = tuple(c.code for c in CRITERES if c.article)


def criteres_prioritaires(criteres: Iterable[str] | None,
                          prioritaires: Iterable[str]) -> list[str]:
    """The demande's criteria that make it prioritaire, in its own order, once each: those
    of the setting's list, and DALO always (the préfet designates DALO households)."""
    codes = set(prioritaires) | {DALO}
    return [c for c in dict.fromkeys([] if criteres is None else criteres) if c in codes]
