"""README screenshots: the main pages at 1280×720, normal and projector mode, in docs/captures.

Usage (from the repository root):

    .venv/bin/python tools/captures.py [--db FILE] [--out docs/captures]

Without --db, the browser smoke test's demonstration is generated in a temporary folder
(scale « petit », seed 7, dated 23/11/2026), so that the pictures only change when the app does.
The smoke test writes the same files when FLUX_CAPTURES=1 is set:
`FLUX_CAPTURES=1 .venv/bin/python -m pytest tests/test_browser.py -q`.
Needs /usr/bin/chromium (Debian package `chromium`) and the playwright Python package.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools import browser as b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="fichier DuckDB (défaut : démonstration du test)")
    parser.add_argument("--out", type=Path, default=b.CAPTURES, help="dossier des PNG")
    args = parser.parse_args(argv)
    if (why := b.missing_requirements()) is not None:
        parser.error(why)
    pages = [p for p in b.discover_pages() if p.url_path in b.CAPTURE_PAGES]
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or b.make_demo_db(Path(tmp) / "demo.duckdb", scale="petit", seed=7,
                                       date="2026-11-23")
        with b.running_server(db.resolve(), Path(tmp) / "streamlit.log") as server, \
                b.chromium() as browser:
            for page in pages:
                for projection in (False, True):
                    path = b.capture(browser, server.url, page, args.out, projection)
                    print(f"{path} ({path.stat().st_size // 1024} ko)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
