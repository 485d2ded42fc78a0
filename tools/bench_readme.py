"""Print the README « Performance » table from bench JSON files: one scale, or `grand` and
`national` side by side (same calls, same order: the lines are matched by position).

    python -m fluxcore bench --scale grand --out bench-grand.json
    python -m fluxcore bench --scale national --repeat 5 --out bench-national.json
    python tools/bench_readme.py bench-grand.json bench-national.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# run as a script (tools/ first on the path): the repository's fluxcore, for its formats
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fluxcore.formats import fmt_duree_ms as ms
from fluxcore.formats import fmt_num


def _cible(m: dict) -> str:
    if m["cible_ms"] is None:
        return "–"
    text = ms(m["cible_ms"])
    return text if m["ok"] is not False or m["mediane_ms"] <= m["cible_ms"] else \
        f"**{text} (non atteint)**"


def _pandas(m: dict) -> str:
    if m["ratio"] is None:
        return "–"
    text = f"{ms(m['pandas_ms'])} (×{fmt_num(m['ratio'], 1)})"
    vise = m.get("ratio_vise")
    return f"**{text}, < ×{vise:.0f}**" if vise and m["ratio"] < vise else text


def _nom(nom: str) -> str:
    """The call's name without the figures that depend on the scale."""
    return re.sub(r"\s*\([^)]*\d[^)]*\)", "", nom).strip()


def _detail(nom: str) -> str:
    """The figures `_nom` takes out, in brackets after a measure: « (157 fichiers) »."""
    return "".join(f" ({m})" for m in re.findall(r"\(([^)]*\d[^)]*)\)", nom))


def _machine(data: dict) -> str:
    return (f"{data['echelle']} : pic de mémoire du processus du banc "
            f"{data['pic_memoire_mo']:.0f} Mo")


def une_echelle(data: dict) -> list[str]:
    out = ["| appel | médiane | p95 | cible | pandas (ratio) | mémoire |",
           "|---|---|---|---|---|---|"]
    for m in data["mesures"]:
        mem = "–" if m["memoire_mo"] is None else f"{m['memoire_mo']:.0f} Mo"
        out.append(f"| {m['nom']} | {ms(m['mediane_ms'])} | {ms(m['p95_ms'])} | {_cible(m)} | "
                   f"{_pandas(m)} | {mem} |")
    out.append(f"\n{_machine(data)} ; {data['coeurs']} cœurs, Python {data['python']}.")
    return out


def cote_a_cote(a: dict, b: dict) -> list[str]:
    ea, eb = a["echelle"], b["echelle"]
    out = [f"| appel | {ea} : médiane | cible | pandas (ratio) | {eb} : médiane | cible | "
           "pandas (ratio) |", "|---|---|---|---|---|---|---|"]
    for ma, mb in zip(a["mesures"], b["mesures"], strict=False):
        nom = ma["nom"] if ma["nom"] == mb["nom"] else _nom(ma["nom"])
        da = "" if nom == ma["nom"] else _detail(ma["nom"])
        db = "" if ma["nom"] == mb["nom"] else _detail(mb["nom"])
        out.append(f"| {nom} | {ms(ma['mediane_ms'])}{da} | {_cible(ma)} | {_pandas(ma)} | "
                   f"{ms(mb['mediane_ms'])}{db} | {_cible(mb)} | {_pandas(mb)} |")
    out.append(f"\n{_machine(a)} ; {_machine(b)} ; {a['coeurs']} cœurs, Python {a['python']}.")
    return out


def main(paths: list[str]) -> None:
    data = [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]
    lines = une_echelle(data[0]) if len(data) == 1 else cote_a_cote(data[0], data[1])
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("Usage : python tools/bench_readme.py BANC-GRAND.json [BANC-NATIONAL.json]")
    main(sys.argv[1:])
