"""Which level of the OPS survey fed each résidence's fragility indicators (résidence,
commune × QPV, commune or none; rules in fluxcore.fragilite and sql/fragilite/indicateurs.sql),
counted and said in French for the Résidences page."""

from __future__ import annotations

import pandas as pd

from fluxcore.formats import de, fmt_int, fmt_pct

NIVEAUX = ("résidence", "commune × QPV", "commune")
PARTS_RECENTS = {"recents_ressources_faibles": "ressources faibles",
                 "recents_sans_emploi": "sans emploi",
                 "recents_monoparentales": "familles monoparentales",
                 "recents_personnes_seules": "personnes seules",
                 "recents_grandes_familles": "6 personnes et plus",
                 "recents_apl": "APL", "recents_moins_25": "titulaires de moins de 25 ans",
                 "recents_plus_65": "titulaires de 65 ans et plus"}


def _present(x) -> bool:
    return x is not None and not pd.isna(x)


def compter_niveaux(df: pd.DataFrame) -> dict[str | None, int]:
    """Résidences per survey level (`niveau_enquete`), in NIVEAUX order, None = no survey."""
    counts = df["niveau_enquete"].value_counts()
    out: dict[str | None, int] = {n: int(counts.get(n, 0)) for n in NIVEAUX}
    out[None] = int(df["niveau_enquete"].isna().sum())
    return out


def resume_niveaux(df: pd.DataFrame) -> str:
    """« Enquête OPS : niveau résidence pour 12 résidences, commune × QPV pour 3, aucune
    pour 2. » (levels that fed no résidence are left out)."""
    counts = compter_niveaux(df)
    items = [(n, k) for n, k in counts.items() if k]
    if not items:
        return "Enquête OPS : aucune résidence."
    parts = []
    for i, (n, k) in enumerate(items):
        label = "aucune" if n is None else (f"niveau {n}" if i == 0 else n)
        noun = "" if i else (" résidence" if k == 1 else " résidences")
        parts.append(f"{label} pour {fmt_int(k)}{noun}")
    text = "Enquête OPS : " + ", ".join(parts) + "."
    if counts["commune × QPV"] or counts["commune"]:
        text += (" Au niveau de la commune, rotation, vacance et impayés ne sont pas connus "
                 "(comptés à la moyenne).")
    return text


def libelle_enquete(row: pd.Series) -> str:
    """The survey behind one résidence's indicators, for its card: « enquête OPS 2024 au
    niveau commune × QPV (ménages hors QPV de Reims) »."""
    niveau = row.get("niveau_enquete")
    if not _present(niveau):
        return "aucune enquête OPS"
    annee = int(row["annee_enquete"])
    if niveau == "résidence":
        return f"enquête OPS {annee} de la résidence"
    commune = row["nom_commune_enquete"]
    if niveau == "commune":
        return f"enquête OPS {annee} au niveau commune (ménages {de(commune)})"
    cote = "en QPV" if row["en_qpv"] else "hors QPV"
    return f"enquête OPS {annee} au niveau commune × QPV (ménages {cote} {de(commune)})"


def recents(row: pd.Series) -> str | None:
    """The OPS figures on households moved in within two years, where the survey gives them
    for the résidence's commune: « Emménagés récents (OPS 2024, commune × QPV, Reims) :
    ressources faibles 55 %, … » (context only, not in the index); None when absent."""
    if not _present(row.get("niveau_recents")):
        return None
    shares = [f"{label} {fmt_pct(float(row[c]))}" for c, label in PARTS_RECENTS.items()
              if _present(row.get(c))]
    if not shares:
        return None
    return (f"Emménagés depuis moins de deux ans (OPS {int(row['annee_recents'])}, "
            f"{row['niveau_recents']}, {row['nom_commune_recents']}) : "
            f"{', '.join(shares)} — à titre d'information, hors indice.")
