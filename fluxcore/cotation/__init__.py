"""Cotation de la demande (docs/regles.md#cotation): versioned grids per EPCI, scores in SQL,
eligibility and ranking of candidates for a dwelling, what a demandeur is owed (R441-2-17) and
the review of well-scored demandes left unsatisfied."""

from fluxcore.cotation.candidats import (
    CONTINGENTS,
    Candidats,
    candidats,
    candidats_contingent,
    par_destination,
)
from fluxcore.cotation.grille import (
    enregistrer_grille,
    epcis_cotation,
    grille,
    modele_grille,
    valider_lignes,
    versions_grille,
)
from fluxcore.cotation.position import Position, position_demandeur
from fluxcore.cotation.scores import (
    attentes,
    distribution,
    nombre_scores,
    non_satisfaites,
    scores,
)

__all__ = ["CONTINGENTS", "Candidats", "Position", "attentes", "candidats",
           "candidats_contingent", "distribution", "enregistrer_grille", "epcis_cotation",
           "grille", "modele_grille", "nombre_scores", "non_satisfaites", "par_destination",
           "position_demandeur", "scores", "valider_lignes", "versions_grille"]
