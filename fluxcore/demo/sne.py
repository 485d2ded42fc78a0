"""Demo SNE radiations: what a landlord's extract would hold for the demo's leases, with the
kinds of errors the register is known for (docs/sne.md), drawn from a hash of each
attribution id and the seed (same seed → same radiations).

Of the signed leases: 3 % never radiated; of the rest, about 4 % charged to another contingent,
2 % radiated 45 to 135 days late, 1,5 % with a mistyped RPLS id, 1,5 % with the other DALO
mention; 1 % of dwellings radiated a second time, long before, for an attribution the
product does not hold; 1 % of demandes radiated for another motif (abandon: set aside). The
landlord's system carries the numéro unique of about 60 % of the radiated leases. The
contingent a lease should carry is the product's rule (sql/sne/contingent_attendu.sql, with the
base's settings), the one the reconciliation checks.
"""

from __future__ import annotations

import json

from fluxcore.codes import CONTINGENTS
from fluxcore.db import bind, load_sql
from fluxcore.parametres import PARAMETRES
from fluxcore.sne import parametres_contingent

COLONNES = ("numero_unique, date_radiation, logement_rpls, contingent, dalo, accord_collectif, "
            "mutation, commune_insee, motif_radiation")


def inserer_radiations(cur, graine: int) -> None:
    """Fill radiation_sne from the demo's signed leases (inside the demo's transaction)."""
    valeurs = dict(cur.execute("select cle, valeur from parametre").fetchall())
    reglages = {p.cle: json.loads(valeurs[p.cle]) if p.cle in valeurs else p.defaut
                for p in PARAMETRES}
    sql = load_sql("demo/radiations")
    params = {"graine": str(graine), "tous": list(CONTINGENTS), **parametres_contingent(reglages)}
    cur.execute(sql, bind(sql, params))
    cur.execute(f"insert into radiation_sne ({COLONNES}) select {COLONNES} from _radiation")
    # the landlord's system carries the numéro unique of 60 % of the leases it radiated
    cur.execute("update attribution a set numero_unique = r.numero_unique from _radiation r "
                "where r.attribution_id = a.attribution_id and r.u < 0.63")
    cur.execute("drop table _radiation")
