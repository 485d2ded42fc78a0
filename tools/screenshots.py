"""Screenshots of every page of the app, in normal and projector mode, with headless Chromium.

Usage (from the repository root):

    .venv/bin/python tools/screenshots.py --db data/demo.duckdb --out docs/screenshots \
        [--pages tableau-de-bord,donnees]

Writes, for each page, `<url_path>.png` (1280×2400), `<url_path>-projection.png` (1280×720,
what a projector shows first) and `<url_path>-projection-full.png` (1280 wide, ≥ 2400 high,
sized to the content). Needs /usr/bin/chromium (Debian package `chromium`) and the playwright
Python package.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools import browser as b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="fichier DuckDB à afficher")
    parser.add_argument("--out", type=Path, required=True, help="dossier des PNG")
    parser.add_argument("--pages", default="",
                        help="url_path séparés par des virgules (défaut : toutes les pages)")
    args = parser.parse_args(argv)

    if (why := b.missing_requirements()) is not None:
        parser.error(why)
    if not args.db.is_file():
        parser.error(f"base introuvable : {args.db}")
    pages = b.discover_pages()
    if args.pages:
        wanted = [w.strip() for w in args.pages.split(",") if w.strip()]
        known = {p.url_path: p for p in pages}
        if unknown := [w for w in wanted if w not in known]:
            parser.error(f"pages inconnues : {', '.join(unknown)} "
                         f"(connues : {', '.join(known)})")
        pages = [known[w] for w in wanted]

    failures = 0
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, \
            b.running_server(args.db.resolve(), Path(tmp) / "streamlit.log") as server, \
            b.chromium() as browser:
        for page in pages:
            for projection in (False, True):
                seen = b.shoot(browser, server.url, page, args.out, projection)
                problems = list(seen.exceptions)
                if page.title not in seen.h1:
                    problems.append(f"titre {page.title!r} absent (h1 : {seen.h1})")
                failures += bool(problems)
                for shot in seen.screenshots:
                    print(shot)
                for problem in problems:
                    print(f"  ! {seen.url} : {problem}", file=sys.stderr)
    print(f"{len(pages)} page(s) en {time.monotonic() - start:.1f} s", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
