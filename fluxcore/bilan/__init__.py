"""Bilan annuel and prévisionnel (R441-5-1): figures, per-recipient documents, files."""

from fluxcore.bilan.calcul import DIMENSIONS, Bilan, calculer_bilan
from fluxcore.bilan.documents import (
    DocumentBilan,
    bilan_reservataire,
    document_epci,
    document_reservataire,
)

__all__ = ["DIMENSIONS", "Bilan", "DocumentBilan", "bilan_reservataire", "calculer_bilan",
           "document_epci",
           "document_reservataire"]
