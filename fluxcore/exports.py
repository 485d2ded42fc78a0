"""Canonical export of every importable table (export → import round-trips) and the empty
templates a data manager fills from the ERP (one CSV per table, or one workbook with a sheet
per table and a README sheet describing every column).

Canonical CSV, written as every CSV of the product for French Excel (fluxcore.neutralisation,
`csv_sql`): UTF-8 with BOM, `;` separator, header = the table's columns, decimal comma (the
exact value), ISO dates, oui/non, lists as `A|B` (`[]` for an empty list), empty cell = no
value. A text starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed by `'`
(never a formula in a spreadsheet); the importer takes that apostrophe off (`sql_retablir`)
and reads the rest as written (fluxcore.imports.parsing), so that export → import still gives
the same tables. The templates are empty CSVs of the same form.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd

from fluxcore.db import Database
from fluxcore.formats import fmt_annee, fmt_nombre
from fluxcore.imports import parsing
from fluxcore.imports.spec import MANAGED, SPECS
from fluxcore.neutralisation import csv_octets, csv_sql, excel_writer, sql_csv
from fluxcore.suivi import STATUTS_CANDIDATURE

SOURCE_HINTS = {
    "residence": "ERP (programmes/groupes) ou RPLS regroupé par adresse",
    "logement": "ERP patrimoine ou fichier RPLS (importable tel quel)",
    "reservataire": "liste des réservataires des conventions",
    "convention": "conventions de réservation en flux signées",
    "derogation": "arrêtés préfectoraux de dérogation au plafond du préfet (un an au plus)",
    "reservation_stock": "inventaire des droits avant conversion (RPLS « contingent »)",
    "liberation": "ERP gestion locative : congés et états des lieux de sortie",
    "orientation": "outil de gestion des attributions ou saisie de l'application",
    "attribution": "SNE / ERP : décisions de CALEOL et baux signés",
    "occupation": "enquête OPS (occupation du parc social) par résidence",
    "occupation_territoire": "enquête OPS telle que transmise : agrégats par commune, QPV et "
                             "hors QPV à part, emménagés récents à part",
    "objectif": "CIA / convention intercommunale d'attribution",
    "seuil_quartile": "arrêté préfectoral des seuils du premier quartile",
    "demande": "extraction SNE des demandes (identifiants pseudonymisés)",
    "candidature": "outil de gestion des attributions ou saisie de l'application : candidats "
                   "proposés pour chaque logement orienté et décisions (identifiants de demande "
                   "pseudonymisés)",
    "grille_cotation": "grille de cotation de l'EPCI",
    "radiation_sne": "extrait SNE des radiations pour attribution (numéro unique, date, "
                     "identifiant RPLS, contingent imputé, DALO, accord collectif)",
    "parametre": "export de l'application (Données › Paramètres)",
}

# what a column's type and bounds do not say (fluxcore.conventions)
NOTES = {
    ("reservataire", "territoire"): "département, code INSEE de la commune ou SIREN de l'EPCI "
                                    "(périmètre par défaut des conventions d'une commune ou "
                                    "d'un EPCI)",
    ("reservataire", "date_reprise"): "avec repris_par_prefet : premier jour où le préfet "
                                      "exerce ses droits (vide : toute l'année)",
    ("convention", "perimetre"): "code INSEE de la commune ou SIREN de l'EPCI ; vide : tout le "
                                 "département (une commune ou un EPCI : son territoire)",
    ("convention", "annee_debut"): "déduite de date_debut si absente",
    ("convention", "annee_fin"): "déduite de date_fin si absente",
    ("convention", "date_debut"): "premier jour de la convention (vide : 1er janvier de "
                                  "annee_debut)",
    ("convention", "date_fin"): "dernier jour (vide : 31 décembre de annee_fin), pas avant "
                                "date_debut",
    ("radiation_sne", "date_radiation"): "date de la radiation pour attribution (dès la "
                                         "signature du bail)",
    ("radiation_sne", "logement_rpls"): "identifiant RPLS du logement attribué (ou l'identifiant "
                                        "du logement dans l'outil)",
    ("radiation_sne", "contingent"): "ETAT_PRIORITAIRES, ETAT_FONCTIONNAIRES, COLLECTIVITES, "
                                     "EMPLOYEURS, AUTRES ou NON_RESERVE ; un libellé du SNE ou "
                                     "un code RPLS 1 à 7 est lu ; vide : aucun contingent",
    ("radiation_sne", "reservataire"): "réservataire indiqué par l'extrait (identifiant ou nom), "
                                       "s'il y en a un",
    ("radiation_sne", "motif_radiation"): "seules les radiations pour attribution sont "
                                          "rapprochées (vide : attribution)",
    ("logement", "identifiant_rpls"): "identifiant RPLS du logement quand logement_id est "
                                      "un identifiant interne (rapprochement SNE)",
    ("attribution", "numero_unique"): "numéro unique de la demande satisfaite (rapprochement "
                                      "SNE)",
    ("convention", "delai_proposition_jours"): "jours laissés au réservataire pour proposer "
                                               "ses candidats (vide : le paramètre "
                                               "delai_proposition_jours)",
    ("convention", "nb_candidats_max"): "candidats qu'il peut proposer par logement (vide : "
                                        "le paramètre nb_candidats_max)",
    ("orientation", "date_limite"): "fin du délai de proposition (vide : calculée d'après la "
                                    "convention du destinataire)",
    ("candidature", "statut"): ", ".join(f"{k} = {v}" for k, v in STATUTS_CANDIDATURE.items()),
    ("candidature", "rang"): "ordre de présentation (1 = premier candidat)",
    ("candidature", "propose_par"): "identifiant de la personne qui l'a proposé",
    ("candidature", "motif"): "motif du refus, de l'ajournement ou du retrait",
    ("convention", "fin_pret"): "fin du prêt garanti : plus de droits après fin_pret + la durée "
                                "du paramètre garantie_duree_apres_pret_ans",
}


def _columns(db: Database, table: str) -> pd.DataFrame:
    df = db.df("select column_name, data_type, is_nullable = 'YES' as nullable, "
               "column_default from information_schema.columns where table_name = ? "
               "and table_schema = 'main' order by ordinal_position", [table])
    return df[~df["column_name"].isin(MANAGED.get(table, ()))].reset_index(drop=True)


def _select(db: Database, table: str) -> str:
    cols = _columns(db, table)
    parts = [f"{sql_csv(_texte(c, t), 'VARCHAR' if t == 'VARCHAR[]' else t)} as {c}"
             for c, t in zip(cols["column_name"], cols["data_type"])]
    order = ", ".join(f"{k} nulls first" for k in SPECS[table].key)
    return f"select {', '.join(parts)} from {table} order by {order}"


def _texte(c: str, t: str) -> str:
    if t == "VARCHAR[]":
        return (f"case when {c} is null then null when len({c}) = 0 then '[]' "
                f"else array_to_string({c}, '|') end")
    return c


def export_tables(db: Database, out_dir: str | Path) -> dict[str, int]:
    """Write `<table>.csv` for every importable table; returns rows per table."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for table in SPECS:
        query = _select(db, table)
        cur = db._read_cursor(query)  # a read: the role's read rule applies
        try:
            csv_sql(cur, query, out / f"{table}.csv")
            counts[table] = cur.execute(f"select count(*) from {table}").fetchall()[0][0]
        finally:
            cur.close()
    return counts


def dictionary(db: Database) -> pd.DataFrame:
    """One row per importable column: table, colonne, type, obligatoire, regle, source."""
    rows = []
    for table, spec in SPECS.items():
        for r in _columns(db, table).itertuples():
            c = r.column_name
            rules = []
            if c in spec.key:
                rules.append("clé (identifiant unique)" if len(spec.key) == 1
                             else f"clé avec {', '.join(k for k in spec.key if k != c)}")
            if c in spec.enums:
                rules.append("valeurs : " + ", ".join(spec.enums[c]))
            if c in spec.bounds:
                lo, hi = spec.bounds[c]
                borne = fmt_annee if c.startswith("annee") else fmt_nombre
                rules.append(f"entre {borne(lo)} et {borne(hi)}")
            if c in spec.formats:
                rules.append(spec.formats[c][1])
            for ref in spec.references:
                if ref.column == c:
                    rules.append(f"renvoie à {ref.table}.{ref.target}"
                                 + (f" ou {', '.join(ref.also)}" if ref.also else ""))
            # (column_default reads NaN, not None, when there is none)
            required = (not r.nullable and pd.isna(r.column_default)
                        and c not in spec.derivable)
            if (table, c) in NOTES:
                rules.append(NOTES[(table, c)])
            rules.append(parsing.EXPECTED.get(r.data_type, r.data_type))
            rows.append({"table": table, "colonne": c, "obligatoire": "oui" if required
                         else "non", "regle": " ; ".join(rules),
                         "source": SOURCE_HINTS.get(table, "")})
    return pd.DataFrame(rows)


def template_csv_zip(db: Database) -> bytes:
    """A ZIP of one empty canonical CSV per table (its header row), plus LISEZMOI.csv (the
    dictionary); French Excel CSVs (fluxcore.neutralisation.csv_octets)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for table in SPECS:
            cols = _columns(db, table)["column_name"].tolist()
            zf.writestr(f"{table}.csv", csv_octets(pd.DataFrame(columns=cols)))
        zf.writestr("LISEZMOI.csv", csv_octets(dictionary(db)))
    return buf.getvalue()


def template_xlsx(db: Database) -> bytes:
    """One workbook: a README sheet, then one sheet per table with its header row."""
    buf = io.BytesIO()
    dico = dictionary(db)
    with excel_writer(buf) as writer:
        book = writer.book
        bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        intro = pd.DataFrame({"Mode d'emploi": [
            "Une feuille par table : gardez le nom de la feuille et la ligne d'en-tête.",
            "Dates JJ/MM/AAAA ; nombres 12,5 ; pourcentages 25 ou 25 % ; oui/non.",
            "Réimporter le même fichier met à jour les lignes (clé) sans doublon.",
            "Un fichier refusé n'écrit rien : le rapport nomme la feuille, la ligne et la "
            "colonne de chaque problème.",
            "Aucune donnée nominative : les ménages et demandeurs ont un identifiant "
            "pseudonyme."]})
        intro.to_excel(writer, sheet_name="README", index=False)
        dico.to_excel(writer, sheet_name="README", index=False, startrow=len(intro) + 2)
        sheet = writer.sheets["README"]
        sheet.set_column(0, 0, 20)
        sheet.set_column(1, 1, 26)
        sheet.set_column(3, 3, 80)
        sheet.set_column(4, 4, 50)
        for table in SPECS:
            cols = _columns(db, table)["column_name"].tolist()
            pd.DataFrame(columns=cols).to_excel(writer, sheet_name=table, index=False)
            ws = writer.sheets[table]
            for j, c in enumerate(cols):
                ws.write(0, j, c, bold)
                ws.set_column(j, j, max(14, len(c) + 2))
            ws.freeze_panes(1, 0)
    return buf.getvalue()
