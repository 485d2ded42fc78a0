"""The validation report of an import: every problem with its file, line, column and value.

A rule that hits many rows keeps the first `limit` of them in detail and the exact count of the
others, so a million-line file with one systematic mistake gives a readable report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from fluxcore.formats import accord

ERREUR, AVERTISSEMENT = "ERREUR", "AVERTISSEMENT"
COLUMNS = ["niveau", "fichier", "ligne", "colonne", "valeur", "probleme"]


@dataclass
class Problems:
    limit: int = 200
    rows: list[dict] = field(default_factory=list)
    hidden: dict[tuple, int] = field(default_factory=dict)   # (file, column, message) -> n

    def add(self, fichier: str, ligne: int | None, colonne: str | None, valeur,
            probleme: str, niveau: str = ERREUR) -> None:
        self.rows.append({"niveau": niveau, "fichier": fichier, "ligne": ligne,
                          "colonne": colonne, "valeur": None if valeur is None else str(valeur),
                          "probleme": probleme})

    def add_many(self, fichier: str, found: list[tuple], total: int, colonne: str | None,
                 probleme: str, niveau: str = ERREUR) -> None:
        """`found` = (ligne, valeur) pairs, at most `limit`; `total` = how many rows in all."""
        for ligne, valeur in found[: self.limit]:
            self.add(fichier, ligne, colonne, valeur, probleme, niveau)
        if total > self.limit:
            self.hidden[(niveau, fichier, colonne, probleme)] = total - self.limit

    @property
    def errors(self) -> int:
        shown = sum(r["niveau"] == ERREUR for r in self.rows)
        return shown + sum(n for k, n in self.hidden.items() if k[0] == ERREUR)

    @property
    def warnings(self) -> int:
        shown = sum(r["niveau"] == AVERTISSEMENT for r in self.rows)
        return shown + sum(n for k, n in self.hidden.items() if k[0] == AVERTISSEMENT)

    def frame(self) -> pd.DataFrame:
        """Every problem, errors first; one extra line per rule that was cut."""
        rows = list(self.rows) + [
            {"niveau": niveau, "fichier": fichier, "ligne": None, "colonne": colonne,
             "valeur": None,
             "probleme": f"… et {accord(n, 'autre ligne', 'autres lignes')} : {probleme}"}
            for (niveau, fichier, colonne, probleme), n in self.hidden.items()]
        df = pd.DataFrame(rows, columns=COLUMNS)
        df["ligne"] = df["ligne"].astype("Int64")
        order = df["niveau"].map({ERREUR: 0, AVERTISSEMENT: 1})
        return df.assign(_o=order).sort_values(["_o", "fichier", "ligne"], kind="stable",
                                               na_position="last").drop(columns="_o") \
            .reset_index(drop=True)

    def text(self) -> str:
        """The report in French, one problem per line (for the command line)."""
        lines = []
        for r in self.frame().itertuples():
            where = r.fichier + (f", ligne {r.ligne}" if pd.notna(r.ligne) else "")
            where += f", colonne « {r.colonne} »" if pd.notna(r.colonne) and r.colonne else ""
            value = f" : valeur « {r.valeur} »" if pd.notna(r.valeur) else ""
            tag = "ERREUR" if r.niveau == ERREUR else "AVERTISSEMENT"
            lines.append(f"[{tag}] {where}{value} — {r.probleme}")
        return "\n".join(lines)
