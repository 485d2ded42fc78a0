"""Command line: python -m fluxcore <commande> [options]

Commands
  demo     build a demo database on the real geography of 08, 10, 51, 52
  check    integrity report of a database (exit code 1 if an error is found)
  migrate  create the file or bring its schema up to date
  info     row counts per table and schema version
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date

from fluxcore.errors import FluxcoreError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"date invalide « {text} » (attendu AAAA-MM-JJ)") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fluxcore",
        description="Gestion en flux des réservations de logements sociaux — outils en ligne "
                    "de commande.")
    sub = parser.add_subparsers(dest="commande", required=True, metavar="COMMANDE")

    demo = sub.add_parser("demo", help="générer une base de démonstration")
    demo.add_argument("--db", required=True, help="fichier DuckDB à créer")
    demo.add_argument("--scale", default="moyen", choices=["petit", "moyen", "grand", "national"],
                      help="échelle (défaut : moyen, 15 000 logements)")
    demo.add_argument("--seed", type=int, default=42, help="graine (même graine → mêmes tables)")
    demo.add_argument("--date", type=_date, default=None,
                      help="date de référence AAAA-MM-JJ (défaut : aujourd'hui)")
    demo.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe")

    check = sub.add_parser("check", help="contrôler l'intégrité d'une base")
    check.add_argument("--db", required=True)
    check.add_argument("--format", choices=["texte", "json"], default="texte")

    mig = sub.add_parser("migrate", help="créer la base ou mettre son schéma à jour")
    mig.add_argument("--db", required=True)

    info = sub.add_parser("info", help="nombre de lignes par table")
    info.add_argument("--db", required=True)
    return parser


def cmd_demo(args) -> int:
    from fluxcore.demo import generate_demo

    started = time.perf_counter()
    counts = generate_demo(args.db, args.scale, args.seed, args.date, force=args.force)
    print(f"Base de démonstration « {args.db} » (échelle {args.scale}, graine {args.seed}) "
          f"créée en {time.perf_counter() - started:.1f} s :")
    for table, n in counts.items():
        print(f"  {table:<20} {n:>10,}".replace(",", "\u202f"))
    return 0


def cmd_check(args) -> int:
    from fluxcore.check import ERREUR, has_errors, run_checks
    from fluxcore.db import Database

    db = Database(args.db, read_only=True)
    report = run_checks(db)
    if args.format == "json":
        print(json.dumps(report.to_dict(orient="records"), ensure_ascii=False, indent=2))
    else:
        for r in report.itertuples():
            mark = "OK " if r.nombre == 0 else ("ERR" if r.niveau == ERREUR else "AVT")
            line = f"[{mark}] {r.libelle} ({r.table}) : {r.nombre}"
            print(line + (f" — ex. {r.exemples}" if r.nombre else ""))
        errors = int(((report["niveau"] == ERREUR) & (report["nombre"] > 0)).sum())
        print(f"\n{len(report)} contrôles, {errors} en erreur.")
    return 1 if has_errors(report) else 0


def cmd_migrate(args) -> int:
    from fluxcore.db import Database, apply_migrations

    db = Database(args.db, migrate=False)
    done = apply_migrations(db)
    print(f"Base « {args.db} » à jour" + (f" (migrations appliquées : {done})." if done else "."))
    return 0


def cmd_info(args) -> int:
    from fluxcore.db import Database, row_counts

    db = Database(args.db, read_only=True)
    version = db.scalar("select max(version) from schema_version")
    print(f"Base « {args.db} », schéma version {version}")
    for r in row_counts(db).itertuples():
        print(f"  {r.table_name:<20} {r.lignes:>10,}".replace(",", "\u202f"))
    return 0


COMMANDS = {"demo": cmd_demo, "check": cmd_check, "migrate": cmd_migrate, "info": cmd_info}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.commande](args)
    except FluxcoreError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
