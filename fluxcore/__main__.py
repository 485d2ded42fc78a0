"""Command line: python -m fluxcore <commande> [options]

Commands
  demo     build a demo database on the real geography of any départements (default 08, 10,
           51, 52)
  check    integrity report of a database (exit code 1 if an error is found)
  migrate  create the file or bring its schema up to date
  info     row counts per table and schema version
  jauges   flux gauges per réservataire for a year (text, CSV or JSON)
  orienter rank the destinations of a vacated dwelling; record the decision with --choisir
  bench    time the calls behind each page at a scale tier
  fragilite fragility index of résidences (CSV by default)
  objectifs CIL objectives per EPCI: achieved, target, still needed, year-end need
  import   import CSV/XLSX/RPLS files (all or nothing; exit code 1 with the report if invalid),
           with --correspondance for a file of another system (column mapping)
  correspondances  list, show or delete the saved column mappings
  export   write every table as canonical CSV (re-importable as is)
  modeles  write the empty templates (one CSV per table, one workbook)
  backup   copy the database to a file;  restore  replace it by a backup (refused while
           another process has the base open)
  recuperer  a base that no longer opens (WAL of another state): open it without the WAL
           (--sans-wal) or restore a backup (--depuis)
  simuler  run negotiation scenarios from a JSON file (text or JSON; XLSX/PDF comparison)
  bilan    annual bilan (R441-5-1): XLSX + PDF per réservataire and EPCI, recap, ZIP
  coter    cotation: every score, a demandeur's position, the candidates of a dwelling
  purger   purge the personal data past its retention (settings conservation_*), audited;
           --controle only counts; --identifiant erases one person's data now
  sne rapprocher  the SNE's radiations for attribution of a year against the attributions
           (text, CSV or JSON; XLSX or one workbook per réservataire in a ZIP); the extract
           itself is imported by `import` (recognised by its headers)

While the application holds the base, the read-only commands (info, check, export, modeles,
bilan, jauges, objectifs, fragilite, coter, sne rapprocher, and orienter, correspondances,
simuler, purger --controle when they write nothing) read the server's latest consistent
copy instead, and say so on stderr (--copies DOSSIER or $FLUX_SAUVEGARDES; fluxcore.copies,
docs/sauvegardes.md); `backup --depuis-copie` copies it. Commands that write keep refusing.

Every CSV (--format csv, --rapport, --sortie, export, modeles) is written for French Excel
by fluxcore.neutralisation (`;`, decimal comma, oui/non, ISO dates, UTF-8 with BOM). On
standard output the BOM is written when it is a file or a pipe (`> jauges.csv` opens right
in Excel), not to a terminal. A reader that closes the pipe early (`| head -1`) ends the
command quietly (see `main`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from datetime import date

from fluxcore.errors import FluxcoreError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"date invalide « {text} » (attendu AAAA-MM-JJ)") from exc


ANNEE_MIN, ANNEE_MAX = 2000, 2100     # the years the import specs accept (spec.py bounds)


def _annee(text: str) -> int:
    """--annee: an integer between ANNEE_MIN and ANNEE_MAX."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not ANNEE_MIN <= value <= ANNEE_MAX:
        raise argparse.ArgumentTypeError(f"année invalide « {text} » (attendu un nombre entre "
                                         f"{ANNEE_MIN} et {ANNEE_MAX})")
    return value


def _entier(mini: int, maxi: int):
    """Type of an integer option bounded to [mini, maxi], refused in French."""
    def lire(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not mini <= value <= maxi:
            raise argparse.ArgumentTypeError(f"nombre entier invalide « {text} » (attendu "
                                             f"entre {mini} et {maxi})")
        return value
    lire.__name__ = "entier"
    return lire


_ARGPARSE_FR = [
    (r"the following arguments are required: (.*)", r"arguments obligatoires manquants : \1"),
    (r"unrecognized arguments: (.*)", r"arguments non reconnus : \1"),
    (r"ambiguous option: (.*) could match (.*)", r"option ambiguë : \1 peut désigner \2"),
    (r"one of the arguments (.*) is required", r"un des arguments \1 est obligatoire"),
    (r"expected one argument", "une valeur est attendue"),
    (r"expected at least one argument", "au moins une valeur est attendue"),
    (r"expected at most one argument", "une valeur au plus est attendue"),
    (r"invalid int value: (.*)", r"nombre entier invalide : \1"),
    (r"invalid choice: (.*) \(choose from (.*)\)", r"choix invalide : \1 (valeurs possibles : "
                                                 r"\2)"),
    (r"invalid .* value: (.*)", r"valeur invalide : \1"),
    (r"not allowed with argument (.*)", r"incompatible avec l'argument \1"),
    (r"ignored explicit argument (.*)", r"valeur inattendue : \1"),
]


def _argparse_fr(message: str) -> str:
    """argparse's (English) error messages in French."""
    m = re.fullmatch(r"argument (\S+?): (.*)", message, re.S)
    if m:
        return f"argument {m.group(1)} : {_argparse_fr(m.group(2))}"
    for motif, fr in _ARGPARSE_FR:
        if re.fullmatch(motif, message, re.S):
            return re.sub(motif, fr, message, count=1, flags=re.S)
    return message


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage, help headings and errors are in French."""

    def format_usage(self) -> str:
        return super().format_usage().replace("usage: ", "Usage : ", 1)

    def format_help(self) -> str:
        return (super().format_help().replace("usage: ", "Usage : ", 1)
                .replace("positional arguments:", "arguments positionnels :")
                .replace("\noptions:", "\noptions :")
                .replace("show this help message and exit", "afficher cette aide et quitter"))

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"Erreur : {_argparse_fr(message)}\n")


AIDE_FORMAT = ("csv : pour Excel en français (séparateur ;, virgule décimale, oui/non, dates "
               "AAAA-MM-JJ), en UTF-8 avec BOM quand la sortie est redirigée (« > fichier.csv » "
               "s'ouvre tel quel dans Excel)")


def _scope(parser: argparse.ArgumentParser, annee: bool = True, commune: bool = False,
           formats: tuple[str, ...] = ("texte", "csv", "json"), default: str = "texte") -> None:
    """Arguments shared by the commands that read a territory at a date."""
    parser.add_argument("--db", required=True)
    if annee:
        parser.add_argument("--annee", type=_annee, required=True)
    parser.add_argument("--departement")
    parser.add_argument("--epci")
    if commune:
        parser.add_argument("--commune")
    parser.add_argument("--date", type=_date, default=None,
                        help="date de référence (défaut : aujourd'hui)")
    parser.add_argument("--format", choices=list(formats), default=default,
                        help=AIDE_FORMAT if "csv" in formats else None)


class _Version(argparse.Action):
    """--version: the application's version and the schema version its code brings."""

    def __call__(self, parser, namespace, values, option_string=None):
        from fluxcore.version import libelle_application, version_code

        print(f"Gestion en flux {libelle_application()} · schéma {version_code()}")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m fluxcore",
        description="Gestion en flux des réservations de logements sociaux — outils en ligne "
                    "de commande.")
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="afficher la version de l'application et celle du schéma")
    sub = parser.add_subparsers(dest="commande", required=True, metavar="COMMANDE")

    demo = sub.add_parser("demo", help="générer une base de démonstration")
    demo.add_argument("--db", required=True, help="fichier DuckDB à créer")
    demo.add_argument("--scale", default="moyen", choices=["petit", "moyen", "grand", "national"],
                      help="échelle (défaut : moyen, 15 000 logements)")
    demo.add_argument("--seed", type=_entier(0, 2**32 - 1), default=42,
                      help="graine (même graine → mêmes tables)")
    demo.add_argument("--date", type=_date, default=None,
                      help="date de référence AAAA-MM-JJ (défaut : aujourd'hui)")
    demo.add_argument("--force", action="store_true", help="remplacer le fichier s'il existe")
    demo.add_argument("--departements", default="08,10,51,52",
                      help="départements du bailleur, séparés par des virgules (ex. 69,01 ; "
                           "974) ; par défaut 08,10,51,52")

    check = sub.add_parser("check", help="contrôler l'intégrité d'une base")
    check.add_argument("--db", required=True)
    check.add_argument("--format", choices=["texte", "json"], default="texte")

    mig = sub.add_parser("migrate", help="créer la base ou mettre son schéma à jour")
    mig.add_argument("--db", required=True)

    info = sub.add_parser("info", help="nombre de lignes par table")
    info.add_argument("--db", required=True)

    _scope(sub.add_parser("jauges", help="jauges de flux par réservataire"), commune=True)

    ori = sub.add_parser("orienter", help="classer les destinations d'un logement libéré")
    ori.add_argument("--db", required=True)
    ori.add_argument("--liberation", required=True, help="identifiant de la libération")
    ori.add_argument("--date", type=_date, default=None)
    ori.add_argument("--format", choices=["texte", "json"], default="texte")
    ori.add_argument("--choisir", metavar="DEST", help="enregistrer cette destination")
    ori.add_argument("--auteur", help="auteur de la décision (avec --choisir)")
    ori.add_argument("--justification", default="", help="justification (avec --choisir)")
    bench = sub.add_parser("bench", help="mesurer les temps de calcul des pages")
    bench.add_argument("--scale", default="grand",
                       choices=["petit", "moyen", "grand", "national"])
    bench.add_argument("--repeat", type=_entier(1, 10_000), default=10)
    bench.add_argument("--out", help="fichier JSON des résultats")
    bench.add_argument("--dossier", default="data", help="où garder les bases du banc d'essai")
    bench.add_argument("--sans-pandas", action="store_true",
                       help="ne pas mesurer les implémentations pandas de comparaison")
    _scope(sub.add_parser("objectifs", help="objectifs CIL par EPCI (L441-1)"))
    _scope(sub.add_parser("fragilite", help="indice de fragilité des résidences"), annee=False,
           default="csv")

    imp = sub.add_parser("import", help="importer des fichiers CSV, XLSX, RPLS ou un extrait "
                                        "SNE des radiations (reconnu à ses en-têtes)")
    imp.add_argument("--db", required=True)
    imp.add_argument("fichiers", nargs="+", metavar="FICHIER")
    imp.add_argument("--controle", action="store_true",
                     help="contrôler seulement (rien n'est écrit)")
    imp.add_argument("--auteur", help="auteur de l'import (défaut : compte système)")
    imp.add_argument("--rapport", help="écrire le rapport complet en CSV pour Excel "
                                       "(séparateur ;, UTF-8 avec BOM)")
    imp.add_argument("--correspondance", metavar="FICHIER_OU_NOM",
                     help="correspondance de colonnes d'un fichier d'un autre système (extrait "
                          "SNE aux en-têtes non reconnus, export d'ERP…) : fichier JSON ou "
                          "CSV, ou nom d'une correspondance enregistrée ; appliquée à chaque "
                          "fichier")
    imp.add_argument("--enregistrer-correspondance", metavar="NOM",
                     help="enregistrer la correspondance sous ce nom si l'import (ou le "
                          "contrôle) réussit")

    cor = sub.add_parser("correspondances",
                         help="lister, afficher ou supprimer les correspondances enregistrées")
    cor.add_argument("--db", required=True)
    cor.add_argument("--afficher", metavar="NOM",
                     help="écrire la correspondance en JSON (relisible par --correspondance)")
    cor.add_argument("--supprimer", metavar="NOM", help="supprimer la correspondance")
    cor.add_argument("--auteur", help="auteur de la suppression (défaut : compte système)")

    exp = sub.add_parser("export", help="exporter toutes les tables au format canonique (CSV "
                                        "pour Excel : séparateur ;, UTF-8 avec BOM ; "
                                        "réimportable tel quel)")
    exp.add_argument("--db", required=True)
    exp.add_argument("--out", required=True, help="dossier de sortie")

    mod = sub.add_parser("modeles", help="écrire les modèles d'import vides")
    mod.add_argument("--db", required=True)
    mod.add_argument("--out", required=True, help="dossier de sortie")

    bak = sub.add_parser("backup", help="sauvegarder la base dans un fichier")
    bak.add_argument("--db", required=True)
    bak.add_argument("--out", required=True, help="fichier de sauvegarde (.duckdb)")

    sim = sub.add_parser("simuler", help="simuler des scénarios de négociation (JSON)")
    sim.add_argument("--db", required=True)
    sim.add_argument("--scenario", required=True,
                     help="fichier JSON : un scénario (objet) ou plusieurs (liste)")
    sim.add_argument("--format", choices=["texte", "json"], default="texte")
    sim.add_argument("--tirages", type=_entier(0, 200_000), default=None,
                     help="nombre de tirages de Monte-Carlo (0 = sans Monte-Carlo)")
    sim.add_argument("--xlsx", help="écrire la comparaison des scénarios dans ce classeur")
    sim.add_argument("--pdf", help="écrire la comparaison sur une page PDF")
    sim.add_argument("--enregistrer", action="store_true",
                     help="enregistrer les scénarios dans la base (table scenario)")
    sim.add_argument("--auteur", default=None)
    bil = sub.add_parser("bilan", help="bilan annuel R441-5-1 : fichiers par destinataire")
    bil.add_argument("--db", required=True)
    bil.add_argument("--annee", type=_annee, required=True,
                     help="année du bilan (N-1), le prévisionnel porte sur l'année suivante")
    bil.add_argument("--out", required=True, help="dossier où écrire les fichiers")
    bil.add_argument("--date", type=_date, default=None,
                     help="date de référence (défaut : aujourd'hui)")
    bil.add_argument("--sans-pdf", action="store_true", help="classeurs XLSX seulement")
    bil.add_argument("--progression", action="store_true",
                     help="afficher chaque destinataire traité")
    cot = sub.add_parser("coter", help="cotation de la demande : scores, position d'un "
                         "demandeur, candidats d'un logement")
    cot.add_argument("--db", required=True)
    cot.add_argument("--demande", help="position d'une demande (score, rang, comparables, "
                     "délai d'attente, effet d'un refus)")
    cot.add_argument("--logement", help="candidats classés d'un logement (identifiant du "
                     "logement ou d'une libération)")
    cot.add_argument("--epci", help="scores d'un seul EPCI")
    cot.add_argument("--etendue", choices=["commune", "epci"], default="commune",
                     help="candidats souhaitant la commune du logement ou tout son EPCI")
    cot.add_argument("--date", type=_date, default=None,
                     help="date de référence (défaut : aujourd'hui)")
    cot.add_argument("--format", choices=["csv", "json"], default="csv", help=AIDE_FORMAT)
    usr = sub.add_parser(
        "utilisateur", help="créer, modifier, désactiver ou réactiver un compte (active la "
        "connexion)", description="Sans --liste, --desactiver ni --reactiver : crée le compte "
        "--login ou le modifie (ce qui n'est pas indiqué est gardé). Le fichier des comptes "
        "est écrit sous verrou, en mode 0600. Depuis l'application : Données › Comptes "
        "(docs/comptes.md).")
    usr.add_argument("--fichier", default=None,
                     help="fichier des comptes (défaut : $FLUX_UTILISATEURS ou utilisateurs.toml)")
    usr.add_argument("--login", help="identifiant du compte (lettres, chiffres, - et _)")
    usr.add_argument("--role", choices=["admin", "gestionnaire", "lecteur", "reservataire"])
    usr.add_argument("--nom", help="nom affiché")
    usr.add_argument("--reservataire", help="identifiant du réservataire (rôle reservataire) : "
                     "il doit exister dans la base --db")
    usr.add_argument("--db", default=None,
                     help="base où le réservataire est vérifié (rôle reservataire ; défaut : "
                          "$FLUX_DB) ; avec --desactiver ou --reactiver, le changement est "
                          "aussi inscrit à son journal d'audit")
    usr.add_argument("--email", help="e-mail du compte pour la connexion OIDC")
    usr.add_argument("--sans-mot-de-passe", action="store_true",
                     help="compte OIDC seulement (sinon le mot de passe est demandé, ou lu sur "
                          "l'entrée standard si elle n'est pas un terminal)")
    usr.add_argument("--liste", action="store_true",
                     help="lister les comptes (identifiant, rôle, réservataire, e-mail, nom ; "
                          "« désactivé » en dernière colonne pour un compte désactivé)")
    etat = usr.add_mutually_exclusive_group()
    etat.add_argument("--desactiver", action="store_true",
                      help="désactiver le compte --login : il ne peut plus se connecter, ses "
                           "sessions ouvertes se ferment (le dernier administrateur actif ne "
                           "peut pas l'être)")
    etat.add_argument("--reactiver", action="store_true",
                      help="réactiver le compte --login")
    res = sub.add_parser("restore", help="remplacer la base par une sauvegarde")
    res.add_argument("--db", required=True)
    res.add_argument("--from", dest="source", required=True, help="fichier de sauvegarde")
    res.add_argument("--confirmer", action="store_true",
                     help="confirmer le remplacement (sinon : description de la sauvegarde)")
    rec = sub.add_parser("recuperer", help="réparer une base qui ne s'ouvre plus (journal WAL "
                                           "d'un autre état du fichier)")
    rec.add_argument("--db", required=True)
    choix = rec.add_mutually_exclusive_group()
    choix.add_argument("--sans-wal", action="store_true",
                       help="ouvrir la base sans son journal (les écritures depuis le dernier "
                            "point de contrôle sont perdues ; les fichiers restent dans "
                            "recuperation/)")
    choix.add_argument("--depuis", metavar="SAUVEGARDE",
                       help="restaurer cette sauvegarde vérifiée à la place")
    _parser_purger(sub)
    _parser_reconstruire(sub)
    _parser_sne(sub)
    for nom in LECTURE_SEULE:
        _option_copies(sub.choices[nom])
    bak.add_argument("--depuis-copie", action="store_true",
                     help="si l'application tient la base : recopier dans --out sa copie "
                          "cohérente la plus récente, vérifiée (elle n'a pas les écritures "
                          "faites depuis ; docs/sauvegardes.md)")
    return parser


SNE_IMPORT = ("L'extrait SNE des radiations s'importe avec « python -m fluxcore import --db "
              "FICHIER EXTRAIT.csv » (ou .xlsx) : il est reconnu à ses en-têtes ; un extrait "
              "aux en-têtes différents passe par --correspondance (docs/sne.md).")
SNE_ACTIONS = {"rapprocher": "rapprocher les radiations pour attribution d'une année des "
                             "attributions de l'outil, et dire quoi corriger"}
SNE_USAGE = ("python -m fluxcore sne rapprocher --db FICHIER --annee AAAA [--departement D | "
             "--epci SIREN | --commune INSEE] [--format texte|csv|json] [--sortie FICHIER] "
             "[--xlsx FICHIER | --zip FICHIER]")


def _parser_sne(sub) -> None:
    sne = sub.add_parser(
        "sne", help="rapprochement SNE : radiations pour attribution et attributions de l'outil",
        description="Rapprochement des radiations pour attribution du SNE (contingent imputé, "
                    "date, logement, DALO) avec les attributions et orientations de l'outil.",
        epilog=SNE_IMPORT)
    actions = sne.add_subparsers(dest="action", metavar="ACTION")
    rap = actions.add_parser(
        "rapprocher", help=SNE_ACTIONS["rapprocher"],
        description="Rapproche les radiations SNE d'une année (toute l'année) des baux signés "
                    "dans l'outil : lignes par statut, taux de concordance, attributions par "
                    "réservataire selon le bailleur et selon le SNE, correction à faire pour "
                    "chaque écart.", epilog=SNE_IMPORT)
    rap.add_argument("--db", required=True)
    _option_copies(rap)
    rap.add_argument("--annee", type=_annee, required=True,
                     help="année des baux et des radiations rapprochés")
    terr = rap.add_mutually_exclusive_group()
    terr.add_argument("--departement", metavar="D", help="un département (ex. 51, 2A, 974)")
    terr.add_argument("--epci", metavar="SIREN", help="un EPCI (SIREN)")
    terr.add_argument("--commune", metavar="INSEE", help="une commune (code INSEE)")
    rap.add_argument("--format", choices=["texte", "csv", "json"], default="texte",
                     help="texte : résumé, tableau par réservataire et écarts ; csv : toutes "
                          "les lignes, pour Excel en français (séparateur ;, UTF-8 avec BOM "
                          "quand la sortie est redirigée) ; json : tout (défaut : texte)")
    rap.add_argument("--sortie", metavar="FICHIER",
                     help="écrire la sortie dans ce fichier plutôt qu'à l'écran (CSV en UTF-8 "
                          "avec BOM, lisible par Excel)")
    fichier = rap.add_mutually_exclusive_group()
    fichier.add_argument("--xlsx", metavar="FICHIER",
                         help="écrire aussi le classeur du rapprochement (synthèse par "
                              "réservataire, écarts avec la correction à faire, toutes les "
                              "lignes)")
    fichier.add_argument("--zip", metavar="FICHIER",
                         help="écrire aussi une archive ZIP : un classeur par réservataire (à "
                              "lui envoyer) et le classeur complet")


def _sortie_csv(texte: str) -> None:
    """A CSV (fluxcore.neutralisation.csv) on standard output. To a file or a pipe: UTF-8
    bytes after the BOM, whatever the locale's encoding, so that `> fichier.csv` opens right
    in French Excel; to a terminal: the text, without the BOM."""
    from fluxcore.neutralisation import octets

    out = sys.stdout
    buffer = getattr(out, "buffer", None)
    if out.isatty() or buffer is None:
        out.write(texte if out.isatty() else octets(texte).decode("utf-8"))
        return
    out.flush()                     # what was printed before stays before
    data = memoryview(octets(texte))
    while data:     # a write cut short (the reader closed the pipe meanwhile) is retried:
        data = data[buffer.write(data) or len(data):]     # the next one fails, see main


# -- reading while the application holds the base (fluxcore.copies, docs/sauvegardes.md) ------
LECTURE_SEULE = ("info", "check", "export", "modeles", "bilan", "jauges", "objectifs",
                 "fragilite", "coter", "orienter", "correspondances", "simuler", "backup")


def _option_copies(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--copies", metavar="DOSSIER",
                        help="dossier des copies du serveur, lu quand l'application tient la "
                             "base (défaut : $FLUX_SAUVEGARDES)")


def _copie_ou_refus(args, verrou):
    """The consistent copy to read while another process holds the base, else the lock
    error completed with how to get copies."""
    from fluxcore import copies
    from fluxcore.errors import DatabaseLockedError
    from fluxcore.fichier import message_remplacement

    if str(verrou) == message_remplacement(args.db):      # a restore: a moment only
        raise verrou
    copie = copies.copie_pour_lecture(args.db, getattr(args, "copies", None))
    if isinstance(copie, str):
        raise DatabaseLockedError(f"{verrou} {copie}") from verrou
    return copie


def _lecture(args, ouvrir=None):
    """The base opened read-only; while the application (or another process) holds it, the
    most recent consistent copy of the server, read-only, said on stderr."""
    from fluxcore import copies
    from fluxcore.db import Database
    from fluxcore.errors import DatabaseLockedError

    ouvrir = ouvrir or (lambda chemin: Database(chemin, read_only=True))
    try:
        return ouvrir(args.db)
    except DatabaseLockedError as verrou:
        copie = _copie_ou_refus(args, verrou)
        pid = re.search(r"le processus (\d+)", str(verrou))
        print(copies.message_lecture(copie, pid.group(1) if pid else None,
                                     copies.lire_etat(copie.chemin.parent)), file=sys.stderr)
        return ouvrir(str(copie.chemin))


OBJECTIFS_COLONNES = ["epci_siren", "nom", "indicateur", "realise", "base", "pct", "cible_pct",
                      "manque", "restant", "projection_pct", "besoin_fin_annee",
                      "part_restante_pct", "quartile_inconnu"]


def cmd_objectifs(args) -> int:
    from fluxcore.neutralisation import csv
    from fluxcore.objectifs import phrase, suivi
    from fluxcore.perimetre import Perimetre

    db = _lecture(args)
    territoire_du_patrimoine(db, args)
    p = Perimetre(args.annee, args.departement, args.epci, args.date or date.today())
    df = suivi(db, p)
    if df.empty:
        raise FluxcoreError(f"Aucun EPCI du patrimoine sur ce territoire en {args.annee} : "
                            "pas d'objectifs CIL à suivre.")
    out = df[OBJECTIFS_COLONNES].round(2)
    if args.format == "csv":
        _sortie_csv(csv(out))
    elif args.format == "json":
        print(out.to_json(orient="records", force_ascii=False, indent=2))
    else:
        print(f"Objectifs CIL {args.annee}, baux signés jusqu'au {p.date_arret:%d/%m/%Y}")
        for epci, rows in df.groupby("epci_siren", sort=False):
            print(f"\n{rows['nom'].iloc[0]} ({epci})")
            for r in rows.to_dict("records"):
                print(f"  - {r['libelle']} : {phrase(r)}".replace("\u202f", " "))
    return 0


FRAGILITE_COLONNES = ["residence_id", "nom", "commune_insee", "epci_siren", "en_qpv",
                      "logements", "reference", "indice", "classe", "niveau_enquete",
                      "annee_enquete", "part_ressources_faibles", "part_sans_emploi",
                      "part_monoparentales", "taux_impayes", "taux_vacance", "taux_rotation",
                      "entrees_24m", "entrees_q1_pct", "evol_ressources_faibles", "vacants"]


def cmd_fragilite(args) -> int:
    from fluxcore.fragilite import fragilite
    from fluxcore.neutralisation import csv

    db = _lecture(args)
    territoire_du_patrimoine(db, args)
    df = fragilite(db, args.date or date.today(), args.epci, args.departement)
    contrib = [c for c in df.columns if c.startswith("c_")]
    out = df[FRAGILITE_COLONNES + contrib].round(4)
    if args.format == "csv":
        _sortie_csv(csv(out))
    elif args.format == "json":
        print(out.to_json(orient="records", force_ascii=False, indent=2))
    else:
        for r in out.itertuples():
            print(f"{r.indice:+6.2f}  {r.classe:<13} {r.residence_id:<12} {r.nom[:40]}")
    return 0


def cmd_import(args) -> int:
    from dataclasses import replace

    from fluxcore.db import Database
    from fluxcore.errors import CorrespondanceError
    from fluxcore.imports import import_paths, summary
    from fluxcore.imports.correspondance import enregistrer, resoudre, verifier
    from fluxcore.neutralisation import csv

    if args.enregistrer_correspondance and not args.correspondance:
        raise CorrespondanceError("--enregistrer-correspondance demande --correspondance "
                                  "(le fichier de correspondance à enregistrer).")
    db = Database(args.db)
    corr = resoudre(db, args.correspondance) if args.correspondance else None
    if corr is not None:
        verifier(corr)
    if corr is not None and args.enregistrer_correspondance:
        corr = replace(corr, nom=args.enregistrer_correspondance.strip())
    result = import_paths(db, args.fichiers, args.auteur, dry_run=args.controle,
                          correspondance=corr)
    if len(result.counts):
        for r in result.counts.itertuples():
            where = r.fichier + (f" [{r.feuille}]" if isinstance(r.feuille, str) else "")
            print(f"  {where:<40} → {r.table:<18} {r.inseres:>9} ajoutées {r.modifies:>9} "
                  f"modifiées {r.inchanges:>9} inchangées")
    report = result.problems.text()
    if report:
        print(report, file=sys.stderr if not result.ok else sys.stdout)
    if args.rapport:
        csv(result.problems.frame(), args.rapport)
    print(summary(result))
    if result.ok and args.enregistrer_correspondance:
        new = enregistrer(db, corr, args.auteur)
        print(f"Correspondance « {corr.nom} » {'enregistrée' if new else 'mise à jour'}.")
    return 0 if result.ok else 1


def cmd_correspondances(args) -> int:
    from fluxcore.db import Database
    from fluxcore.imports.correspondance import charger, lister, supprimer

    db = Database(args.db) if args.supprimer else _lecture(args)
    if args.afficher:
        print(charger(db, args.afficher).vers_json())
        return 0
    if args.supprimer:
        supprimer(db, args.supprimer, args.auteur)
        print(f"Correspondance « {args.supprimer} » supprimée.")
        return 0
    saved = lister(db)
    if saved.empty:
        print("Aucune correspondance enregistrée.")
    from fluxcore.formats import pluriel

    for r in saved.itertuples():
        print(f"{r.nom:<30} → {r.table_cible:<18} {r.nb_colonnes:>3} "
              f"{pluriel(r.nb_colonnes, 'colonne', 'colonnes'):<8} {r.nb_valeurs:>3} "
              f"{pluriel(r.nb_valeurs, 'valeur codée', 'valeurs codées'):<14} "
              f"modifiée le {r.modifie_le:%d/%m/%Y} par {r.modifie_par}")
    return 0


def cmd_export(args) -> int:
    from fluxcore.exports import export_tables
    from fluxcore.formats import fmt_int

    counts = export_tables(_lecture(args), args.out)
    for table, n in counts.items():
        print(f"  {table + '.csv':<24} {fmt_int(n):>10}")
    print(f"{len(counts)} fichiers écrits dans « {args.out} ».")
    return 0


def cmd_modeles(args) -> int:
    from pathlib import Path

    from fluxcore.exports import template_csv_zip, template_xlsx

    db = _lecture(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "modeles_import.zip").write_bytes(template_csv_zip(db))
    (out / "modele_import.xlsx").write_bytes(template_xlsx(db))
    print(f"Modèles écrits dans « {out} » : modeles_import.zip, modele_import.xlsx.")
    return 0


def cmd_backup(args) -> int:
    from fluxcore.backup import backup_database
    from fluxcore.db import Database
    from fluxcore.errors import DatabaseLockedError

    try:
        db = Database(args.db)
    except DatabaseLockedError as verrou:
        return _backup_pendant_le_service(args, verrou)
    try:
        out = backup_database(db, args.out)
    finally:
        db.close()
    print(f"Sauvegarde écrite et vérifiée (relue en entier) : « {out} » ; empreinte SHA-256 "
          f"et contenu des tables dans « {out}.sha256 ».")
    return 0


def _backup_pendant_le_service(args, verrou) -> int:
    """`backup` while the application holds the base: the server makes the scheduled backups;
    with --depuis-copie, its most recent consistent copy is copied to --out, verified."""
    from fluxcore.backup import copier_sauvegarde

    copie = _copie_ou_refus(args, verrou)
    quand = f"{copie.cree_le:%d/%m/%Y à %H:%M}"
    if not args.depuis_copie:
        pid = re.search(r"le processus (\d+)", str(verrou))
        qui = f" (processus {pid.group(1)})" if pid else ""
        raise FluxcoreError(
            f"La base « {args.db} » est ouverte par l'application{qui} : pas de sauvegarde "
            "directe pendant le service. Le serveur fait lui-même les sauvegardes planifiées, "
            f"vérifiées, dans « {copie.chemin.parent} » ; la plus récente des copies cohérentes "
            f"y date du {quand}. Pour la recopier dans « {args.out} » : ajoutez "
            "--depuis-copie ; pour une sauvegarde de l'état exact : arrêtez le service puis "
            "relancez la commande (docs/sauvegardes.md).")
    copier_sauvegarde(copie.chemin, args.out)
    suite = (f", la dernière écriture qu'elle contient date du "
             f"{copie.derniere_ecriture:%d/%m/%Y à %H:%M}" if copie.derniere_ecriture else "")
    print(f"La base est ouverte par l'application : copie cohérente du {quand} ({copie.genre}"
          f"{suite}) recopiée et vérifiée dans « {args.out} », empreinte dans "
          f"« {args.out}.sha256 ». Les écritures faites depuis n'y sont pas ; rien n'est "
          "inscrit au journal de la base.")
    return 0


def cmd_restore(args) -> int:
    from fluxcore.backup import describe_backup, restore_database

    info = describe_backup(args.source)
    lines = ", ".join(f"{t} {n}" for t, n in info["lignes"].items())
    verified = ("empreinte SHA-256 conforme, relue en entier" if info["empreinte_enregistree"]
                else "relue en entier, sans fichier d'empreinte .sha256")
    print(f"Sauvegarde « {args.source} » vérifiée ({verified}) : schéma {info['version']}, "
          f"dernier événement {info['dernier_evenement']:%d/%m/%Y %H:%M} ; {lines}.")
    if not args.confirmer:
        print("Ajoutez --confirmer pour remplacer la base « " + args.db + " » par ce fichier.")
        return 1
    restore_database(args.db, args.source)
    print(f"Base « {args.db} » restaurée.")
    return 0


def cmd_recuperer(args) -> int:
    from fluxcore.backup import describe_backup, recuperer_sans_wal, restore_database
    from fluxcore.db import Database
    from fluxcore.fichier import WalInvalideError, dossier_recuperation

    if args.depuis:
        info = describe_backup(args.depuis)
        restore_database(args.db, args.depuis)
        print(f"Base « {args.db} » restaurée depuis « {args.depuis} » (schéma "
              f"{info['version']}, dernier événement {info['dernier_evenement']:%d/%m/%Y %H:%M}"
              f") ; l'ancien état reste dans « {dossier_recuperation(args.db)} ».")
        return 0
    if args.sans_wal:
        taille = recuperer_sans_wal(args.db)
        if taille == 0:
            print(f"La base « {args.db} » s'ouvre normalement : rien à récupérer.")
        else:
            print(f"Base « {args.db} » ouverte sans son journal ({taille} octets écartés : les "
                  "écritures faites depuis le dernier point de contrôle sont perdues). Les "
                  f"fichiers d'origine sont dans « {dossier_recuperation(args.db)} ».")
        return 0
    try:
        Database(args.db, read_only=True).close()
    except WalInvalideError as exc:
        print(exc)
        return 1
    print(f"La base « {args.db} » s'ouvre normalement : rien à récupérer.")
    return 0


def cmd_utilisateur(args) -> int:
    import getpass
    from pathlib import Path

    from fluxcore import acces

    path = Path(args.fichier) if args.fichier else acces.fichier_utilisateurs()
    if args.liste:
        comptes = acces.lire_utilisateurs(path) if path.exists() else {}
        for c in comptes.values():
            u = c.utilisateur
            print(f"{u.login}\t{u.role}\t{u.reservataire_id or ''}\t{u.email or ''}\t{u.nom}"
                  + ("" if c.actif else "\tdésactivé"))
        if not comptes:
            print(f"Aucun compte dans « {path} » : l'application fonctionne sans connexion.")
        return 0
    if args.desactiver or args.reactiver:
        return _activer_compte(args, path)
    if not args.login or not args.role:
        raise acces.UtilisateursError("Indiquez --login et --role (ou --liste).")
    mot_de_passe = None
    if not args.sans_mot_de_passe:
        if sys.stdin.isatty():
            mot_de_passe = getpass.getpass(f"Mot de passe de « {args.login} » : ")
            if getpass.getpass("Confirmez : ") != mot_de_passe:
                raise acces.UtilisateursError("Les deux mots de passe diffèrent.")
        else:
            mot_de_passe = sys.stdin.readline().rstrip("\n")
        from fluxcore.comptes import verifier_nouveau_mot_de_passe

        verifier_nouveau_mot_de_passe(mot_de_passe, args.login)  # the app's rules
    reservataires = None
    if args.role == "reservataire":
        base = args.db or os.environ.get("FLUX_DB")
        if not base:
            raise acces.UtilisateursError(
                "Indiquez la base avec --db (ou $FLUX_DB) : un compte réservataire doit "
                "nommer un réservataire de la base.")
        from fluxcore.db import Database

        db = Database(base, read_only=True)
        try:
            reservataires = dict(db.cursor().execute(
                "select reservataire_id, nom from reservataire order by reservataire_id"
            ).fetchall())
        finally:
            db.close()
    acces.ecrire_utilisateur(path, args.login, args.role, mot_de_passe, args.nom,
                             args.reservataire, args.email, reservataires)
    print(f"Compte « {args.login} » ({args.role}) enregistré dans « {path} ». "
          "La connexion est active au prochain chargement de l'application.")
    return 0


def _activer_compte(args, path) -> int:
    """utilisateur --desactiver / --reactiver: the file under its lock; with --db, audited."""
    from fluxcore import comptes
    from fluxcore.acces import UtilisateursError

    if not args.login:
        raise UtilisateursError("Indiquez le compte avec --login.")
    if not path.exists():
        raise UtilisateursError(f"Fichier des utilisateurs introuvable : « {path} ».")
    change = comptes.desactiver_compte if args.desactiver else comptes.reactiver_compte
    db = None
    if args.db:
        from fluxcore.db import Database

        db = Database(args.db)
    try:
        change(db, path, args.login)
    finally:
        if db is not None:
            db.close()
    etat = "désactivé" if args.desactiver else "réactivé"
    print(f"Compte « {args.login} » {etat} dans « {path} »"
          + (f" (inscrit au journal de « {args.db} »)." if db is not None else "."))
    return 0


def _types_des_lignes(db, chemin: str, scenarios: list) -> None:
    """Each réservataire line of a scenario file gets its type from the base (the type
    decides which legal limits apply: a préfet's line typed « AUTRE », or left without type,
    would escape the 30 % check). A line whose id the base does not know must state its type;
    a line whose stated type contradicts the base is refused. ScenarioError (exit code 2)
    naming the file, the scenario and the line."""
    from pathlib import Path

    from fluxcore.simulation.scenario import TYPES, ScenarioError

    brut = json.loads(Path(chemin).read_text(encoding="utf-8-sig"))   # read by lire_scenarios
    items = brut if isinstance(brut, list) else [brut]
    base = db.df("select reservataire_id, type from reservataire")
    connus = dict(zip(base["reservataire_id"], base["type"]))
    for i, (item, scenario) in enumerate(zip(items, scenarios), start=1):
        lignes = item.get("reservataires") or []
        for j, (ligne, lue) in enumerate(zip(lignes, scenario.reservataires), start=1):
            rid, donne = lue.reservataire_id, ligne.get("type")
            ou = (f"{Path(chemin).name}" + (f", scénario n° {i}" if len(items) > 1 else "")
                  + f", reservataires[{j}] ({rid})")
            if rid not in connus:
                if donne in (None, ""):
                    raise ScenarioError(
                        f"{ou} : réservataire absent de la base et sans type ; indiquez son "
                        f"type ({', '.join(TYPES)}) ou l'identifiant d'un réservataire de la "
                        "base.")
                continue
            if donne not in (None, "") and donne != connus[rid]:
                raise ScenarioError(
                    f"{ou} : type « {donne} » contraire à la base, où ce réservataire est de "
                    f"type « {connus[rid]} » ; retirez le champ type ou corrigez-le.")
            lue.type = connus[rid]


def cmd_simuler(args) -> int:
    from fluxcore.db import Database
    from fluxcore.simulation import charger_entrees, simuler
    from fluxcore.simulation.comparaison import comparer
    from fluxcore.simulation.export import export_pdf, export_xlsx
    from fluxcore.simulation.montecarlo import simuler_tirages
    from fluxcore.simulation.rapport import lire_scenarios, modele_dict, texte
    from fluxcore.simulation.stockage import enregistrer_scenario

    scenarios = lire_scenarios(args.scenario)
    db = Database(args.db) if args.enregistrer else _lecture(args)
    _types_des_lignes(db, args.scenario, scenarios)
    entrees, results, draws, out = {}, [], [], []
    for s in scenarios:
        if args.tirages is not None:
            s.tirages = max(1, args.tirages)
        key = (s.departement, s.annee_debut, s.annee_fin)
        if key not in entrees:
            entrees[key] = charger_entrees(db, *key, modele=args.tirages != 0)
        e = entrees[key]
        r = simuler(e, s)
        mc = simuler_tirages(e, r) if args.tirages != 0 else None
        results.append(r)
        draws.append(mc)
        out.append({"resultats": r.to_dict(), "monte_carlo": mc.to_dict() if mc else None,
                    "modele": modele_dict(e.modele)})
        if args.enregistrer:
            enregistrer_scenario(db, s, r, args.auteur, mc.to_dict() if mc else None)
    if args.format == "json":
        print(json.dumps(out if len(out) > 1 else out[0], ensure_ascii=False, indent=2,
                         default=str))
    else:
        print("\n\n".join(texte(r, m) for r, m in zip(results, draws)))
    if args.xlsx or args.pdf:
        comp = comparer(results, draws)
        titre = "Comparaison de scénarios — " + " / ".join(s.nom for s in scenarios)
        if args.xlsx:
            with open(args.xlsx, "wb") as f:
                f.write(export_xlsx(comp, results, titre))
        if args.pdf:
            with open(args.pdf, "wb") as f:
                f.write(export_pdf(comp, titre))
    return 0 if all(r.conforme for r in results) else 1


def cmd_bilan(args) -> int:
    from pathlib import Path

    from fluxcore.bilan.rapport import ecrire_bilan

    db = _lecture(args)
    if not db.scalar("select count(*) from reservataire"):
        # bilan/archive.py fails on a base without any recipient: refused here, in French
        raise FluxcoreError(f"La base « {args.db} » ne contient aucun réservataire : aucun "
                            "bilan à écrire (importez d'abord le patrimoine et les "
                            "conventions).")
    text, ok = ecrire_bilan(db, args.annee, Path(args.out), args.date, not args.sans_pdf,
                            args.progression)
    print(text)
    return 0 if ok else 1


def cmd_bench(args) -> int:
    from pathlib import Path

    from fluxcore.bench import report, run_bench, to_json

    mesures = run_bench(args.scale, args.repeat, args.dossier, pandas=not args.sans_pandas)
    print(report(mesures, args.scale))
    if args.out:
        Path(args.out).write_text(to_json(mesures, args.scale), encoding="utf-8")
    return 0


def cmd_demo(args) -> int:
    from fluxcore.demo import generate_demo
    from fluxcore.formats import fmt_int

    started = time.perf_counter()
    deps = args.departements.split(",")
    counts = generate_demo(args.db, args.scale, args.seed, args.date, force=args.force,
                           departements=deps)
    print(f"Base de démonstration « {args.db} » (échelle {args.scale}, graine {args.seed}, "
          f"départements {', '.join(d.strip() for d in deps)}) "
          f"créée en {time.perf_counter() - started:.1f} s :")
    for table, n in counts.items():
        print(f"  {table:<20} {fmt_int(n):>10}")
    return 0


def cmd_check(args) -> int:
    from fluxcore.check import ERREUR, has_errors, ouvrir_pour_controle, run_checks

    db = _lecture(args, ouvrir_pour_controle)
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
    from fluxcore.db import row_counts
    from fluxcore.formats import fmt_int
    from fluxcore.version import libelle_application, version_schema

    db = _lecture(args)
    schema = version_schema(db)
    print(f"Base « {args.db} », schéma version {schema.applique}"
          + ("" if schema.etat == "a_jour" else f" ({schema.libelle().partition('(')[2]}"))
    print(f"Application {libelle_application()}, schéma attendu {schema.code}")
    for r in row_counts(db).itertuples():
        print(f"  {r.table_name:<20} {fmt_int(r.lignes):>10}")
    return 0


JAUGES_COLONNES = ["reservataire_id", "nom", "type", "taux", "droits_annuels", "du", "orientes",
                   "attribues", "rendus", "en_cours", "livres", "ecart", "ecart_pct", "entres"]


def cmd_jauges(args) -> int:
    from fluxcore.jauges import controles_legaux, jauges_reservataires
    from fluxcore.neutralisation import csv
    from fluxcore.perimetre import Perimetre

    db = _lecture(args)
    territoire_du_patrimoine(db, args)
    p = Perimetre(args.annee, args.departement, args.epci, args.date or date.today(),
                  args.commune)
    df = jauges_reservataires(db, p)[JAUGES_COLONNES].round(2)
    if args.format == "csv":
        _sortie_csv(csv(df))
    elif args.format == "json":
        print(df.to_json(orient="records", force_ascii=False, indent=2))
    else:
        print(f"Jauges {args.annee}, arrêtées au {p.date_arret:%d/%m/%Y}")
        print(f"{'Réservataire':<46}{'taux':>7}{'droits':>9}{'dû':>9}{'orientés':>10}"
              f"{'rendus':>8}{'écart':>9}")
        for r in df.itertuples():
            print(f"{r.nom[:45]:<46}{r.taux:>7.1f}{r.droits_annuels:>9.1f}{r.du:>9.1f}"
                  f"{r.orientes:>10}{r.rendus:>8}{r.ecart:>+9.1f}")
        for c in controles_legaux(db, p).itertuples():
            print(f"[{'OK ' if c.respecte else 'NON'}] {c.departement} {c.libelle} : {c.message}")
    return 0


def cmd_orienter(args) -> int:
    from fluxcore.db import Database
    from fluxcore.orientation import classer_destinations, enregistrer_orientation

    db = Database(args.db) if args.choisir else _lecture(args)
    ranking = classer_destinations(db, args.liberation, args.date)
    if args.choisir:
        oid = enregistrer_orientation(db, args.liberation, args.choisir, args.auteur or "",
                                      args.justification, args.date)
        print(f"Orientation {oid} enregistrée : {args.liberation} → {args.choisir}.")
        return 0
    comps = ranking.composantes
    if args.format == "json":
        out = ranking.destinations[["rang", "destinataire", "nom", "score"]].to_dict("records")
        for d in out:
            rows = comps[comps["destinataire"] == d["destinataire"]]
            d["composantes"] = rows.drop(columns="destinataire").to_dict("records")
        print(json.dumps({"liberation_id": args.liberation, "destinations": out},
                         ensure_ascii=False, indent=2, default=str))
        return 0
    lg = ranking.logement
    print(f"{lg['logement_id']} · {lg['typologie']} · {lg['residence']} · {lg['commune']} · "
          f"{'QPV' if lg['en_qpv'] else 'hors QPV'}")
    for d in ranking.destinations.itertuples():
        print(f"\n{d.rang}. {d.nom} ({d.destinataire}) — score {d.score:+.3f}")
        for c in comps[comps["destinataire"] == d.destinataire].itertuples():
            print(f"   {c.libelle:<28} {c.valeur:+.2f} × {c.poids:.2f} = {c.contribution:+.3f}"
                  f"  {c.explication}")
    return 0


def cmd_coter(args) -> int:
    from fluxcore.cotation.rapport import sortie

    db = _lecture(args)
    texte = sortie(db, args.date or date.today(), args.format, args.demande, args.logement,
                   args.epci, args.etendue)
    if args.format == "csv":
        _sortie_csv(texte)
    else:
        sys.stdout.write(texte)
    return 0



SNE_ECARTS_MAX = 50     # discrepancy lines printed in text; the files hold them all


def _territoire_sne(db, args):
    """The Perimetre of `sne rapprocher` and its label; a territory unknown to the official
    geography, or where neither the patrimoine nor the radiations lie, is refused."""
    from fluxcore.perimetre import Perimetre

    dep, epci, commune = (x.strip().upper() if x else None
                          for x in (args.departement, args.epci, args.commune))
    if dep and dep.isdigit() and len(dep) == 1:     # « 8 » as a spreadsheet writes it: 08
        dep = "0" + dep
    p = Perimetre(args.annee, departement=dep, epci_siren=epci, commune_insee=commune)
    if not (dep or epci or commune):
        return p, p.libelle()
    table, cle, champ, genre, code = (
        ("ref_departement", "departement", "departement", "Département", dep) if dep else
        ("ref_epci", "epci_siren", "epci_siren", "EPCI", epci) if epci else
        ("ref_commune", "code_insee", "commune_insee", "Commune", commune))
    nom = db.scalar(f"select nom from {table} where {cle} = ?", [code])
    if nom is None:
        raise FluxcoreError(f"{genre} « {code} » inconnu{'e' if genre == 'Commune' else ''} "
                            "du code officiel géographique 2026.")
    rc_champ = "code_insee" if champ == "commune_insee" else champ
    present = db.scalar(
        f"select (select count(*) from residence where {champ} = $c) + (select count(*) from "
        f"radiation_sne s join ref_commune rc on rc.code_insee = s.commune_insee "
        f"where rc.{rc_champ} = $c)", {"c": code})
    if not present:
        connus = db.df(f"select distinct {champ} as c from residence where {champ} is not null "
                       "order by 1")["c"].tolist()
        liste = ", ".join(connus[:20]) + (" …" if len(connus) > 20 else "")
        raise FluxcoreError(
            f"{genre} « {code} » ({nom}) : aucune résidence du patrimoine ni aucune radiation "
            f"SNE n'y est ; {'départements' if dep else 'EPCI' if epci else 'communes'} du "
            f"patrimoine : {liste or 'aucun'}.")
    return p, f"{nom} ({code})"


def _sne_json(valeur):
    """json.dumps default: ISO dates, numpy numbers, missing values as null."""
    import numpy as np
    import pandas as pd

    if isinstance(valeur, pd.Timestamp | date):
        return (valeur.date() if isinstance(valeur, pd.Timestamp) else valeur).isoformat()
    if isinstance(valeur, np.integer | np.bool_):
        return valeur.item()
    if isinstance(valeur, np.floating):
        return None if np.isnan(valeur) else float(valeur)
    if valeur is pd.NA or valeur is pd.NaT:
        return None
    raise TypeError(f"valeur non sérialisable : {valeur!r}")


def _records(df) -> list[dict]:
    import pandas as pd

    out = df.astype(object).where(df.notna(), None)
    return [{k: (None if v is pd.NA or v is pd.NaT else v) for k, v in row.items()}
            for row in out.to_dict("records")]


SNE_JSON_LIGNES = ["statut", "libelle_statut", "correction", "numero_unique", "date_radiation",
                   "logement_rpls", "contingent_sne", "contingent_sne_libelle",
                   "reservataire_sne", "reservataire_sne_nom", "dalo_sne", "attribution_id",
                   "logement_id", "departement", "epci_siren", "commune_insee", "date_outil",
                   "orientation_id", "reservataire_outil", "reservataire_outil_nom",
                   "contingent_outil", "contingent_outil_libelle", "dalo_outil", "ecart_jours",
                   "compte_outil", "compte_sne"]


def _sne_sortie_json(r, libelle: str) -> str:
    import pandas as pd

    p = r.perimetre
    lignes = r.lignes[SNE_JSON_LIGNES].copy()
    for c in ("date_radiation", "date_outil"):
        lignes[c] = pd.to_datetime(lignes[c]).dt.strftime("%Y-%m-%d")
    out = {"annee": p.annee,
           "perimetre": {"departement": p.departement, "epci_siren": p.epci_siren,
                         "commune_insee": p.commune_insee, "libelle": libelle},
           "tolerance_jours": r.tolerance,
           "concordance_pct": None if r.concordance_pct is None
           else round(r.concordance_pct, 2),
           "radiations_importees": r.importees, "radiations_ecartees": r.ecartees,
           "synthese": _records(r.synthese), "par_reservataire": _records(r.par_reservataire),
           "lignes": _records(lignes)}
    return json.dumps(out, ensure_ascii=False, indent=2, default=_sne_json) + "\n"


def _sne_sortie_texte(r, libelle: str) -> str:
    from fluxcore.formats import fmt_int, fmt_pct
    from fluxcore.sne import STATUTS

    p, n = r.perimetre, len(r.lignes)
    lines = [f"Rapprochement SNE {p.annee} — {libelle} — tolérance sur les dates : "
             f"{r.tolerance} jours",
             f"{fmt_int(n)} lignes : {fmt_int(int(r.lignes['compte_outil'].sum()))} baux de "
             f"l'année dans l'outil, {fmt_int(int(r.lignes['compte_sne'].sum()))} radiations "
             f"de l'année au SNE ({fmt_int(r.importees)} radiations importées, toutes années)"]
    conformes = int((r.lignes["statut"] == "CONFORME").sum())
    lines.append(f"Concordance : {fmt_pct(r.concordance_pct, 1)} ({fmt_int(conformes)} lignes "
                 f"concordantes sur {fmt_int(n)})")
    ec = r.ecartees
    if ec.get("autre_motif") or ec.get("autre_bailleur"):
        lines.append(f"Radiations de {p.annee} écartées (toute la base) : "
                     f"{fmt_int(ec.get('autre_motif', 0))} pour un autre motif que "
                     f"l'attribution, {fmt_int(ec.get('autre_bailleur', 0))} d'un autre "
                     "bailleur (SIREN)")
    else:
        lines.append(f"Radiations de {p.annee} écartées : aucune")
    lines += ["", "Lignes par statut :"]
    lines += [f"  {x.libelle:<44}{fmt_int(x.lignes):>8}" for x in r.synthese.itertuples()]
    lines += ["", "Attributions par réservataire :",
              f"  {'Réservataire':<58}{'selon le bailleur':>18}{'selon le SNE':>14}"
              f"{'écart':>8}{'concordantes':>14}{'à corriger':>12}"]
    for x in r.par_reservataire.itertuples():
        ecart = f"{x.ecart:+d}" if x.ecart else "0"
        lines.append(f"  {x.libelle[:57]:<58}{fmt_int(x.selon_bailleur):>18}"
                     f"{fmt_int(x.selon_sne):>14}{ecart:>8}{fmt_int(x.concordantes):>14}"
                     f"{fmt_int(x.a_corriger):>12}")
    if r.par_reservataire.empty:
        lines.append("  (aucune attribution ni radiation sur ce territoire)")
    ecarts = r.ecarts
    lines += ["", f"Écarts à corriger ({fmt_int(len(ecarts))} lignes) :"]
    for x in ecarts.head(SNE_ECARTS_MAX).to_dict("records"):
        refs = [f"n° unique {x['numero_unique']}" if isinstance(x["numero_unique"], str) else "",
                f"attribution {x['attribution_id']}" if isinstance(x["attribution_id"], str)
                else "",
                f"logement {x['logement_id']}" if isinstance(x["logement_id"], str) else ""]
        lines.append(f"  [{STATUTS[x['statut']][0]}] {', '.join(f for f in refs if f)} — "
                     f"{x['correction']}")
    if len(ecarts) > SNE_ECARTS_MAX:
        lines.append(f"  … et {fmt_int(len(ecarts) - SNE_ECARTS_MAX)} autres lignes : la liste "
                     "complète est dans --format csv, --xlsx ou --zip.")
    if ecarts.empty:
        lines.append("  aucun")
    return "\n".join(lines).replace("\u202f", " ") + "\n"


def _ecrire(chemin: str, data: bytes) -> None:
    try:
        with open(chemin, "wb") as f:
            f.write(data)
    except OSError as exc:
        raison = ("le dossier n'existe pas" if isinstance(exc, FileNotFoundError) else
                  "accès refusé" if isinstance(exc, PermissionError) else
                  "c'est un dossier" if isinstance(exc, IsADirectoryError) else
                  exc.strerror or str(exc))
        raise FluxcoreError(f"Impossible d'écrire « {chemin} » : {raison}.") from exc


def cmd_sne(args) -> int:
    from fluxcore import sne
    from fluxcore.neutralisation import csv, octets

    if args.action not in SNE_ACTIONS:     # main() answers first; kept for direct calls
        return _usage_sne(args.action)
    db = _lecture(args)
    p, libelle = _territoire_sne(db, args)
    if not db.scalar("select count(*) from radiation_sne where year(date_radiation) = ?",
                     [p.annee]):
        raise FluxcoreError(f"Aucune radiation SNE importée pour {p.annee} : rapprochement non "
                            f"fait. {SNE_IMPORT}")
    r = sne.rapprocher(db, p)
    if args.format == "csv":
        texte = csv(sne.lignes_export(r))
    elif args.format == "json":
        texte = _sne_sortie_json(r, libelle)
    else:
        texte = _sne_sortie_texte(r, libelle)
    messages = []
    if args.sortie:
        _ecrire(args.sortie, octets(texte) if args.format == "csv" else texte.encode("utf-8"))
        messages.append(f"Rapprochement écrit : « {args.sortie} ».")
    elif args.format == "csv":
        _sortie_csv(texte)
    else:
        sys.stdout.write(texte)
    if args.xlsx:
        _ecrire(args.xlsx, sne.classeur_xlsx(r))
        messages.append(f"Classeur écrit : « {args.xlsx} ».")
    if args.zip:
        _ecrire(args.zip, sne.classeurs_zip(r))
        messages.append(f"Archive écrite : « {args.zip} » ({len(r.par_reservataire)} "
                        "classeurs par réservataire et le classeur complet).")
    # stdout carries the CSV or JSON unless --sortie took it: the notes then go to stderr
    vers = sys.stdout if args.sortie or args.format == "texte" else sys.stderr
    for m in messages:
        print(m, file=vers)
    return 0


COMMANDS = {"demo": cmd_demo, "check": cmd_check, "migrate": cmd_migrate, "info": cmd_info,
            "jauges": cmd_jauges, "orienter": cmd_orienter, "bench": cmd_bench,
            "objectifs": cmd_objectifs, "fragilite": cmd_fragilite, "import": cmd_import,
            "correspondances": cmd_correspondances,
            "export": cmd_export, "modeles": cmd_modeles, "backup": cmd_backup,
            "restore": cmd_restore, "simuler": cmd_simuler, "bilan": cmd_bilan,
            "coter": cmd_coter, "utilisateur": cmd_utilisateur, "recuperer": cmd_recuperer,
            "sne": cmd_sne}


# -- purger: retention of personal data (fluxcore.retention, docs/donnees-personnelles.md) --
def _parser_purger(sub) -> None:
    pur = sub.add_parser(
        "purger", help="purger les données personnelles au-delà de leur durée de conservation",
        description="Supprime ou efface les données personnelles au-delà de la durée de "
                    "conservation de chaque nature (Données › Paramètres, "
                    "conservation_*), en une transaction inscrite au journal d'audit.")
    pur.add_argument("--db", required=True)
    pur.add_argument("--date", type=_date, default=None,
                     help="date de référence AAAA-MM-JJ (défaut : aujourd'hui)")
    pur.add_argument("--controle", action="store_true",
                     help="compter seulement ce qui serait purgé (rien n'est écrit)")
    pur.add_argument("--identifiant", metavar="ID",
                     help="effacer maintenant, quel que soit leur âge, les données d'une "
                          "personne : identifiant de sa demande (numéro unique) ou de son "
                          "ménage (droit à l'effacement)")
    pur.add_argument("--format", choices=["texte", "json"], default="texte")
    _option_copies(pur)                 # --controle reads the server's copy while it runs


def cmd_purger(args) -> int:
    from pathlib import Path

    from fluxcore.db import Database
    from fluxcore.formats import fmt_date, fmt_int
    from fluxcore.retention import NATURES, effacer, limites, purger, resume

    if not Path(args.db).exists():
        raise FluxcoreError(f"--db : la base « {args.db} » n'existe pas.")
    jour = args.date or date.today()
    # --controle writes nothing: read-only, on the server's copy while the application runs
    db = _lecture(args) if args.controle else Database(args.db)
    try:
        if args.identifiant is not None:
            comptes = effacer(db, args.identifiant, controle=args.controle)
        else:
            comptes = purger(db, jour, controle=args.controle, saisie=args.date is not None)
            bornes = limites(db, jour)
    finally:
        db.close()
    if args.identifiant is not None:
        if args.format == "json":
            print(json.dumps({"identifiant": args.identifiant.strip(),
                              "controle": args.controle, "comptes": comptes,
                              "total": sum(comptes.values())}, ensure_ascii=False, indent=2))
        else:
            print(resume(comptes, None, controle=args.controle))
        return 0
    if args.format == "json":
        print(json.dumps({"date": jour.isoformat(), "controle": args.controle,
                          "comptes": comptes, "total": sum(comptes.values()),
                          "limites": {c: b[1] for c, b in bornes.items()}},
                         ensure_ascii=False, indent=2))
        return 0
    print(resume(comptes, jour, controle=args.controle))
    for n in NATURES:
        duree, limite = bornes[n.cle]
        unite = "an" + "s" * (duree > 1) if n.parametre.endswith("_ans") else "mois"
        regle = (f"conservées {duree} {unite} : avant le {fmt_date(date.fromisoformat(limite))}"
                 if limite else "jamais purgées (durée 0)")
        print(f"  {n.titre:<27} {fmt_int(comptes[n.cle]):>8}   ({regle})")
    return 0


COMMANDS["purger"] = cmd_purger


# -- reconstruire: the maintained state rewritten from its definition (fluxcore.etat) ------
def _parser_reconstruire(sub) -> None:
    rec = sub.add_parser(
        "reconstruire",
        help="recalculer l'état maintenu (fait_liberation, fait_parc) de toute la base et "
             "réestimer le modèle de vacance du simulateur s'il est périmé",
        description="Réécrit l'état maintenu (libérations, parc) à partir des tables de la base, "
                    "en une transaction inscrite au journal d'audit, puis réestime le modèle de "
                    "vacance du simulateur s'il ne correspond plus aux données : la réparation "
                    "à faire quand « check » les trouve différents d'un recalcul complet.")
    rec.add_argument("--db", required=True)


def cmd_reconstruire(args) -> int:
    from pathlib import Path

    from fluxcore import etat
    from fluxcore.db import Database
    from fluxcore.formats import fmt_int
    from fluxcore.simulation import modele_stocke

    if not Path(args.db).exists():
        raise FluxcoreError(f"--db : la base « {args.db} » n'existe pas.")
    db = Database(args.db)
    avant = len(etat.ecarts(db))
    n = etat.reconstruire(db)
    print(f"État maintenu réécrit : {fmt_int(n)} libérations ({fmt_int(avant)} éléments "
          "différaient du recalcul complet).")
    refaits = modele_stocke.rafraichir_modeles(db)
    deps = sorted({d for d, _ in refaits})
    print("Modèle de vacance du simulateur : " + (
        f"réestimé pour {', '.join(deps)}." if deps else "à jour."))
    return 0


COMMANDS["reconstruire"] = cmd_reconstruire


def _usage_sne(action: str | None) -> int:
    """`sne` without an action, or with an unknown one: the usage in French (exit code 2)."""
    if action is None or action.startswith("-"):
        first = "Erreur : indiquez l'action de la commande « sne »."
    else:
        first = f"Erreur : action « {action} » inconnue pour la commande « sne »."
    lines = [first, f"Usage : {SNE_USAGE}", "Actions :"]
    lines += [f"  {nom:<12} {aide}" for nom, aide in SNE_ACTIONS.items()]
    lines.append(SNE_IMPORT)
    print("\n".join(lines), file=sys.stderr)
    return 2


# -- checks made before a command reads or writes anything -----------------------------------
FICHIER, DOSSIER = "fichier", "dossier"
FICHIER_DOSSIER_CREE = "fichier, dossiers créés au besoin"
SORTIES = {       # command → (attribute, option, kind) of the paths it writes
    "demo": [("db", "--db", FICHIER)],
    "migrate": [("db", "--db", FICHIER)],
    "import": [("rapport", "--rapport", FICHIER)],
    "export": [("out", "--out", DOSSIER)],
    "modeles": [("out", "--out", DOSSIER)],
    "backup": [("out", "--out", FICHIER_DOSSIER_CREE)],
    "restore": [("db", "--db", FICHIER)],
    "recuperer": [("db", "--db", FICHIER)],
    "simuler": [("xlsx", "--xlsx", FICHIER), ("pdf", "--pdf", FICHIER)],
    "bilan": [("out", "--out", DOSSIER)],
    "bench": [("out", "--out", FICHIER), ("dossier", "--dossier", DOSSIER)],
    "utilisateur": [("fichier", "--fichier", FICHIER)],
    "sne": [("sortie", "--sortie", FICHIER), ("xlsx", "--xlsx", FICHIER),
            ("zip", "--zip", FICHIER)],
}
ENTREES = {       # command → (attribute, option) of the files it reads
    "restore": [("source", "--from")],
    "recuperer": [("depuis", "--depuis")],
    "simuler": [("scenario", "--scenario")],
    "utilisateur": [("db", "--db")],
}


def _ecrivable(dossier, option: str, chemin: str, creer: bool = False) -> None:
    """The folder that will receive `chemin` exists (or, with `creer`, its nearest existing
    ancestor), is a folder, and may be written to."""
    if creer:
        while not dossier.exists() and dossier != dossier.parent:
            dossier = dossier.parent
    raison = ("le dossier n'existe pas" if not dossier.exists() else
              f"« {dossier} » n'est pas un dossier" if not dossier.is_dir() else
              f"accès refusé en écriture au dossier « {dossier} »"
              if not os.access(dossier, os.W_OK | os.X_OK) else None)
    if raison:
        raise FluxcoreError(f"Impossible d'écrire « {chemin} » ({option}) : {raison}.")



def verifier_sortie(chemin: str, option: str, genre: str = FICHIER) -> None:
    """Refuse (FluxcoreError, in French, naming the option) an output path that cannot be
    written, before anything is read, computed or written: a file whose folder is missing
    or read-only, a file that is a folder, a folder that is a file. A DOSSIER may be created
    (its parent must exist); FICHIER_DOSSIER_CREE: the command creates the missing folders
    (backup)."""
    from pathlib import Path

    if not chemin or not chemin.strip():
        raise FluxcoreError(f"{option} : indiquez un chemin (valeur vide).")
    p = Path(chemin)
    if genre == DOSSIER:
        if p.exists():
            if not p.is_dir():
                raise FluxcoreError(f"Impossible d'écrire dans « {chemin} » ({option}) : ce "
                                    "n'est pas un dossier (un fichier porte ce nom).")
            _ecrivable(p, option, chemin)
        else:
            _ecrivable(p.absolute().parent, option, chemin)
        return
    if p.is_dir():
        raise FluxcoreError(f"Impossible d'écrire « {chemin} » ({option}) : c'est un dossier "
                            "(indiquez un nom de fichier).")
    _ecrivable(p.absolute().parent, option, chemin, creer=genre == FICHIER_DOSSIER_CREE)
    if p.exists() and not os.access(p, os.W_OK):
        raise FluxcoreError(f"Impossible d'écrire « {chemin} » ({option}) : fichier protégé "
                            "en écriture.")


def _verifier_entree(chemin: str, option: str) -> None:
    from pathlib import Path

    p = Path(chemin)
    if not chemin or not p.exists():
        raise FluxcoreError(f"{option} : fichier « {chemin} » introuvable.")
    if p.is_dir():
        raise FluxcoreError(f"{option} : « {chemin} » est un dossier, pas un fichier.")


def _departement(code: str) -> str:
    code = code.strip().upper()
    return "0" + code if code.isdigit() and len(code) == 1 else code   # « 8 » → 08


def verifier_territoire(args) -> None:
    """--departement, --epci and --commune checked against the official geography (data/ref,
    the source of the ref_* tables): an unknown code is refused naming the argument, instead
    of a table of zeros or a crash further on. Codes are normalised in place (« 8 » → 08)."""
    from fluxcore.geo import load_reference, noms_departements

    dep = getattr(args, "departement", None)
    if dep is not None:
        code = _departement(dep)
        if code not in noms_departements():
            raise FluxcoreError(f"--departement : département « {dep} » inconnu du code "
                                "officiel géographique (ex. 08, 2A, 974).")
        args.departement = code
    epci = getattr(args, "epci", None)
    if epci is not None:
        code = epci.strip()
        if code not in set(load_reference().epci["siren_epci"]):
            raise FluxcoreError(f"--epci : EPCI « {epci} » inconnu (attendu le SIREN à 9 "
                                "chiffres d'un EPCI du code officiel géographique).")
        args.epci = code
    commune = getattr(args, "commune", None)
    if commune is not None:
        code = commune.strip().upper()
        if code not in set(load_reference().communes["code_insee"]):
            raise FluxcoreError(f"--commune : commune « {commune} » inconnue du code officiel "
                                "géographique (attendu un code INSEE à 5 caractères).")
        args.commune = code


def _verifier_base(chemin: str) -> None:
    """--db: not a folder; a base that does not exist yet (created by demo, migrate, import…)
    must at least have its folder, never created on the way."""
    from pathlib import Path

    p = Path(chemin)
    if p.is_dir():
        raise FluxcoreError(f"--db : « {chemin} » est un dossier, pas une base DuckDB.")
    dossier = p.absolute().parent
    if not p.exists() and not dossier.is_dir():
        raise FluxcoreError(f"--db : la base « {chemin} » n'existe pas, ni son dossier "
                            f"« {dossier} ».")
    if not p.exists():
        verifier_sortie(chemin, "--db")


def territoire_du_patrimoine(db, args) -> None:
    """A known territory where the patrimoine has no résidence is refused (FluxcoreError
    naming the argument and the territories of the patrimoine), rather than a table of
    zeros."""
    for attr, champ, genre in (("commune", "commune_insee", "communes"),
                               ("epci", "epci_siren", "EPCI"),
                               ("departement", "departement", "départements")):
        code = getattr(args, attr, None)
        if code is None:
            continue
        if db.scalar(f"select count(*) from residence where {champ} = ?", [code]):
            continue
        connus = db.df(f"select distinct {champ} as c from residence where {champ} is not null "
                       "order by 1")["c"].tolist()
        liste = ", ".join(connus[:20]) + (" …" if len(connus) > 20 else "")
        raise FluxcoreError(f"--{attr} : aucune résidence du patrimoine dans « {code} » ; "
                            f"{genre} du patrimoine : {liste or 'aucun'}.")


def verifier_arguments(args) -> None:
    """Every check that needs no database: output and input paths, territories."""
    if getattr(args, "db", None) is not None:
        _verifier_base(args.db)
    lecture = args.commande == "utilisateur" and args.liste      # --liste only reads
    for attr, option, genre in [] if lecture else SORTIES.get(args.commande, []):
        valeur = getattr(args, attr, None)
        if valeur is not None:
            verifier_sortie(valeur, option, genre)
    for attr, option in ENTREES.get(args.commande, []):
        valeur = getattr(args, attr, None)
        if valeur is not None:
            _verifier_entree(valeur, option)
    if args.commande != "sne":      # sne rapprocher checks its territory against the base
        verifier_territoire(args)


_ERRNO_FR = {"ENOENT": "fichier ou dossier introuvable", "EACCES": "accès refusé",
             "EPERM": "opération non permise", "ENOSPC": "disque plein",
             "EISDIR": "c'est un dossier", "ENOTDIR": "un élément du chemin n'est pas un dossier",
             "EROFS": "système de fichiers en lecture seule", "ENAMETOOLONG": "nom trop long",
             "EEXIST": "le fichier existe déjà", "EBUSY": "fichier occupé",
             "EDQUOT": "quota disque dépassé", "ENOMEM": "mémoire insuffisante"}


def _message_os(exc: OSError) -> str:
    import errno

    nom = errno.errorcode.get(exc.errno or 0, "")
    raison = _ERRNO_FR.get(nom, f"erreur système n° {exc.errno}" if exc.errno else "erreur "
                           "système")
    return f"{raison} (« {exc.filename} »)" if exc.filename else raison


def _memoire(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryException"


def _inattendue(commande: str, exc: BaseException) -> int:
    """Last resort: an exception no check foresaw, told in French (the traceback only with
    FLUX_DEBUG=1, on stderr)."""
    if os.environ.get("FLUX_DEBUG", "") not in ("", "0"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    if _memoire(exc):
        print(f"Erreur : mémoire insuffisante pour terminer la commande « {commande} » ; "
              "fermez d'autres applications ou traitez moins de données à la fois (un import "
              "découpé en plusieurs fichiers, un territoire plus petit).", file=sys.stderr)
        return 3
    if isinstance(exc, OSError):
        print(f"Erreur : commande « {commande} » interrompue : {_message_os(exc)}.",
              file=sys.stderr)
        return 3
    print(f"Erreur inattendue pendant la commande « {commande} » ({type(exc).__name__}) ; "
          "relancez avec FLUX_DEBUG=1 pour afficher le détail technique et signalez-le.",
          file=sys.stderr)
    return 3


def _tuyau_ferme() -> int:
    """Standard output closed by its reader (`python -m fluxcore … | head -1`): no traceback,
    no message. What is still buffered goes to /dev/null, so that the interpreter's last
    flush does not fail again (« Exception ignored … BrokenPipeError »)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):    # a stdout without a file descriptor
        pass
    return TUYAU_FERME


# Exit status when the reader closed the pipe: 141 = 128 + SIGPIPE, what `cat`, `grep` or
# `sort` killed by SIGPIPE give to the shell; a script under `set -o pipefail` sees the
# command as any Unix tool (its output was cut), and 0 stays « everything was written ».
TUYAU_FERME = 141


def main(argv: list[str] | None = None) -> int:
    """The command line; exit status 0 (done), 1 (done, with errors found: import refused,
    check failed…), 2 (refused: argument, base, file), 3 (unexpected), 130 (interrupted),
    141 (the reader closed standard output, see TUYAU_FERME)."""
    try:
        try:
            return _main(argv)
        finally:        # the last buffered output fails here rather than at exit
            sys.stdout.flush()
    except BrokenPipeError:
        return _tuyau_ferme()


def _main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    for a in argv:
        if "\0" in a:
            lisible = a.replace("\0", "\\0")
            print(f"Erreur : l'argument « {lisible} » contient un caractère nul : refusé.",
                  file=sys.stderr)
            return 2
    if argv[:1] == ["sne"]:
        action = argv[1] if len(argv) > 1 else None
        if action not in SNE_ACTIONS and action not in ("-h", "--help"):
            return _usage_sne(action)
    args = build_parser().parse_args(argv)
    try:
        verifier_arguments(args)
        return COMMANDS[args.commande](args)
    except FluxcoreError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:         # standard output closed by its reader: see main
        raise
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except Exception as exc:        # the last resort, see _inattendue
        return _inattendue(args.commande, exc)


if __name__ == "__main__":
    sys.exit(main())
