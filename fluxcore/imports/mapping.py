"""Applying a column mapping (fluxcore.imports.correspondance) to a staged sheet, inside the
import transaction: mapped headers renamed to their target columns, the other columns of the
file ignored (one warning lists them), value maps applied to the staged text before typing.
"""

from __future__ import annotations

from fluxcore.formats import accord, pluriel
from fluxcore.imports.correspondance import Correspondance, erreurs
from fluxcore.imports.problems import AVERTISSEMENT, Problems
from fluxcore.imports.reader import Sheet, normalise
from fluxcore.imports.staging import Column


def refusees(corrs: list[Correspondance], schemas: dict[str, dict[str, Column]],
             problems: Problems) -> set[int]:
    """Report the problems of each mapping of a batch once; returns the ids of the invalid."""
    bad: set[int] = set()
    for corr in {id(c): c for c in corrs}.values():
        found = erreurs(corr, schemas.get(corr.table))
        for message in found:
            problems.add(f"correspondance « {corr.nom or 'sans nom'} »", None, None, None,
                         message)
        if found:
            bad.add(id(corr))
    return bad


def _positions(headers: list[str], wanted: str) -> list[int]:
    exact = [i for i, h in enumerate(headers) if h.strip() == wanted.strip()]
    return exact or [i for i, h in enumerate(headers) if normalise(h) == normalise(wanted)
                     and normalise(h)]


def appliquer(cur, sheet: Sheet, corr: Correspondance, problems: Problems) -> bool:
    """Rename the sheet's mapped headers to their target columns (a file column mapped to two
    targets is staged twice), blank the others, then apply the value maps on the staged text.
    False when a mapped header is missing or ambiguous in the file."""
    index: dict[str, int] = {}
    for target, header in corr.colonnes.items():
        found = _positions(sheet.headers, header)
        if len(found) == 1:
            index[target] = found[0]
        else:
            problems.add(sheet.where, 1, header, None,
                         f"colonne « {header} » de la correspondance absente du fichier"
                         if not found else f"colonne « {header} » présente {len(found)} fois "
                         "dans le fichier : correspondance ambiguë")
    if len(index) < len(corr.colonnes):
        return False
    ignored = [h for i, h in enumerate(sheet.headers) if h.strip() and i not in
               index.values()]
    if ignored:
        problems.add(sheet.where, 1, None, None,
                     f"{accord(len(ignored), 'colonne', 'colonnes')} du fichier "
                     f"{pluriel(len(ignored), 'ignorée, absente', 'ignorées, absentes')} de la "
                     f"correspondance : {', '.join(f'« {h} »' for h in ignored)}", AVERTISSEMENT)
    headers = [""] * len(sheet.headers)
    staged: dict[str, str] = {}
    for target, i in index.items():
        if headers[i]:
            j = len(headers)
            cur.execute(f"alter table {sheet.staging} add column c{j} varchar")
            cur.execute(f"update {sheet.staging} set c{j} = c{i}")
            headers.append(target)
            staged[target] = f"c{j}"
        else:
            headers[i] = target
            staged[target] = f"c{i}"
    sheet.headers, sheet.table = headers, corr.table
    _map_values(cur, sheet.staging, staged, corr.valeurs)
    return True


def _map_values(cur, staging: str, staged: dict[str, str],
                valeurs: dict[str, dict[str, str]]) -> None:
    """Replace mapped values in the staged text columns (set-based: one join per column)."""
    rows = [(staged[t], v.strip().lower(), code) for t, vmap in valeurs.items()
            for v, code in vmap.items() if t in staged]
    if not rows:
        return
    table = f"{staging}_valeurs"
    cur.execute(f"create temp table {table} (colonne varchar, valeur varchar, code varchar)")
    cur.executemany(f"insert into {table} values (?, ?, ?)", rows)
    for col in sorted({r[0] for r in rows}):
        cur.execute(f"update {staging} s set {col} = v.code from {table} v "
                    f"where v.colonne = '{col}' and v.valeur = lower(trim(s.{col}))")
