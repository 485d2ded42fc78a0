"""The life of an orientation once the destination is chosen (issue « daily work »): the
candidates proposed for the dwelling, the CALEOL and its decisions, the lease, or the
dwelling given back to the bailleur when no candidate came in time (docs/regles.md#rendu-bailleur).

Statuts of an orientation (formats.STATUTS): ORIENTE → CANDIDATS_PROPOSES (candidates
proposed) → CALEOL (the file goes to the commission) → ATTRIBUE (a candidate retained: the
attribution row exists; finished once the lease is signed), or RENDU_BAILLEUR. A candidate
withdrawn leaves the orientation ORIENTE when none is left in play; refused by the CALEOL or
by the household, it leaves it CANDIDATS_PROPOSES when none is left to decide, so that
others may be proposed. In play (counted against nb_candidats_max): PROPOSE, AJOURNE, RETENU.

Deadline (date_limite): date_orientation + the delay of the destinataire's convention
covering the dwelling that day, else the setting delai_proposition_jours; none for an
internal destination (sql/suivi/delais.sql). Fixed when the orientation is recorded
(fluxcore.orientation); computed on the fly for orientations recorded before.

Every write: one transaction, one audit row (French details, `orientation_id` always, so that
the orientation's history reads them back), the role's permission ("orienter"; a réservataire
account only proposes, for itself, when reservataire_propose_candidats allows it), and a check
inside the transaction that the rows are still as the caller saw them (ConflitError).

Modules: commun (codes, errors, deadline, checks shared by the writes), lecture (en_cours,
echeances, dossier), candidats (proposer, retirer, CALEOL), decisions (CALEOL decisions,
household refusal, lease, given back, attributed by the bailleur once given back). Import
from here: `from fluxcore.suivi import …`.
"""

from fluxcore.suivi.candidats import passer_en_caleol, proposer_candidats, retirer_candidat
from fluxcore.suivi.commun import (
    ACTIONS_DOSSIER,
    STATUTS_CANDIDATURE,
    ConflitError,
    SuiviError,
    date_limite,
    fixer_date_limite,
    meme_version,
    modifie_par,
)
from fluxcore.suivi.decisions import (
    attribuer_apres_rendu,
    decision_caleol,
    refus_menage,
    rendre_au_bailleur,
    signer_bail,
)
from fluxcore.suivi.lecture import dossier, echeances, echeances_de, en_cours, nombre_echeances

__all__ = ["ACTIONS_DOSSIER", "STATUTS_CANDIDATURE", "ConflitError", "SuiviError",
           "attribuer_apres_rendu",
           "date_limite", "decision_caleol", "dossier", "echeances", "echeances_de", "en_cours",
           "fixer_date_limite", "meme_version", "modifie_par", "nombre_echeances",
           "passer_en_caleol", "proposer_candidats", "refus_menage", "rendre_au_bailleur",
           "retirer_candidat", "signer_bail"]
