"""Print the README « Performance » table from a bench JSON file.

    python -m fluxcore bench --scale grand --out bench-grand.json
    python tools/bench_readme.py bench-grand.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# run as a script (tools/ first on the path): the repository's fluxcore, for its formats
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from fluxcore.formats import fmt_num


def ms(x: float | None) -> str:
    if x is None:
        return "–"
    if x >= 1000:
        return f"{fmt_num(x / 1000, 2)} s"
    return f"{x:.0f} ms"


def main(path: str) -> None:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    print("| appel | médiane | p95 | cible | pandas | ratio | mémoire |")
    print("|---|---|---|---|---|---|---|")
    for m in data["mesures"]:
        cible = ms(m["cible_ms"])
        if m["ok"] is False:
            cible = f"**{cible} (non atteint)**"
        ratio = "–" if m["ratio"] is None else f"×{fmt_num(m['ratio'], 1)}"
        mem = "–" if m["memoire_mo"] is None else f"{m['memoire_mo']:.0f} Mo"
        print(f"| {m['nom']} | {ms(m['mediane_ms'])} | {ms(m['p95_ms'])} | {cible} | "
              f"{ms(m['pandas_ms'])} | {ratio} | {mem} |")
    print(f"\nPic de mémoire du processus : {data['pic_memoire_mo']:.0f} Mo ; "
          f"{data['coeurs']} cœurs, Python {data['python']}.")


if __name__ == "__main__":
    main(sys.argv[1])
