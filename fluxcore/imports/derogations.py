"""The legacy column convention.derogation_fin in an imported file (before the table
`derogation`): each end date becomes a one-year dérogation of the convention's département
(fluxcore/sql/derogation/reprise.sql, the rule of migration 006), said in a warning."""

from __future__ import annotations

from fluxcore.db import load_sql
from fluxcore.formats import accord, pluriel
from fluxcore.imports.problems import AVERTISSEMENT, Problems

COLONNES = "derogation_id, departement, arrete, date_debut, date_fin, taux_max"


def reprendre(cur, targets, problems: Problems) -> None:
    """After the upsert: create the dérogations of the old column, once (existing kept)."""
    files = [t for t in targets if t.table == "convention" and "derogation_fin" in t.present]
    if not files:
        return
    ids = [r[0] for r in cur.execute(
        f"insert into derogation ({COLONNES}) select {COLONNES} from "
        f"({load_sql('derogation/reprise')}) returning derogation_id").fetchall()]
    if ids:
        shown = ", ".join(sorted(ids)[:5]) + (" …" if len(ids) > 5 else "")
        problems.add(files[0].sheet.where, None, "derogation_fin", None,
                     "ancienne colonne : "
                     f"{accord(len(ids), 'dérogation préfectorale', 'dérogations préfectorales')}"
                     " d'un an finissant à cette date "
                     f"{pluriel(len(ids), 'créée', 'créées')} dans la table derogation "
                     f"({shown}), au "
                     "taux total du préfet ; importez désormais la table derogation (arrêté, "
                     "dates, taux)", AVERTISSEMENT)
