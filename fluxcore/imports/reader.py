"""Read French CSV and XLSX files into DuckDB staging tables of text columns.

CSV: the encoding (UTF-8 with or without BOM, else Windows-1252, transcoded in Python because
DuckDB only knows latin-1) and the separator (`;`, `,`, tab or `|`, from the header line) are
detected; DuckDB's reader then streams the rows, every column as VARCHAR, with `__ligne` the
line number a spreadsheet shows (header = line 1). XLSX: every sheet, read with calamine.
Values are typed later, in SQL (fluxcore.imports.parsing), so that every bad cell is reported.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from fluxcore.imports.nomenclatures import RPLS_BAILLEUR
from fluxcore.imports.problems import Problems

CHUNK = 1 << 20
SEPARATORS = (";", ",", "\t", "|")
_ERROR_LINE = re.compile(r"[Ll]ine:?\s*(\d+)")


@dataclass
class Sheet:
    """One table-shaped block of a file, staged as `staging` in the import cursor."""
    file_name: str
    sheet: str | None
    headers: list[str]                    # as written in the file
    staging: str                          # temp table: __ligne + c0..cn (VARCHAR)
    rows: int
    sha256: str
    table: str | None = None              # detected target ("rpls" for an RPLS file)
    columns: dict[str, str] = field(default_factory=dict)   # target column -> staging column
    missing: list[str] = field(default_factory=list)        # required columns not in the file
    identite: list[str] | None = None     # identity line of a landlord's RPLS submission

    @property
    def where(self) -> str:
        return f"« {self.file_name} »" + (f", feuille « {self.sheet} »" if self.sheet else "")


def normalise(name: str) -> str:
    """Header or sheet name as an identifier: lower case, no accents, `_` between words."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(CHUNK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(path: Path, folder: Path) -> Path:
    """Copy of a Windows-1252 file in UTF-8 (streamed)."""
    out = folder / "transcode.csv"
    with path.open("r", encoding="cp1252", errors="replace", newline="") as src, \
            out.open("w", encoding="utf-8", newline="") as dst:
        for block in iter(lambda: src.read(CHUNK), ""):
            dst.write(block)
    return out


def _header(path: Path) -> tuple[list[str], str]:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    counts = {s: first.count(s) for s in SEPARATORS}
    sep = max(counts, key=counts.get) if max(counts.values()) else ";"
    headers = next(csv.reader(io.StringIO(first), delimiter=sep), [])
    return [h.strip() for h in headers], sep


def read_csv(cur: duckdb.DuckDBPyConnection, path: Path, name: str, staging: str,
             problems: Problems, folder: Path) -> Sheet | None:
    if path.stat().st_size == 0:
        problems.add(f"« {name} »", None, None, None, "le fichier est vide")
        return None
    source = path if _is_utf8(path) else _transcode(path, folder)
    headers, sep = _header(source)
    skip, identite = 1, None
    if (positional := _positional(source, headers, sep)) is not None:
        headers, identite, skip = positional
    if not any(headers):
        problems.add(f"« {name} »", 1, None, None, "ligne d'en-tête vide")
        return None
    cols = {f"c{i}": "VARCHAR" for i in range(len(headers))}
    spec = ", ".join(f"'{c}': 'VARCHAR'" for c in cols)   # generated names, never user text
    try:
        cur.execute(
            f"create temp table {staging} as select * from (select row_number() over () "
            f"+ {skip} as __ligne, * from read_csv(?, delim = ?, header = false, "
            f"skip = {skip}, quote = '\"', escape = '\"', columns = {{{spec}}}, "
            f"strict_mode = true, null_padding = false, "
            f"auto_detect = false)) where trim(concat_ws('', {', '.join(cols)})) <> ''",
            [str(source), sep])
    except duckdb.Error as exc:
        line = _ERROR_LINE.search(str(exc))
        problems.add(f"« {name} »", int(line.group(1)) if line else None, None, None,
                     "ligne illisible : le nombre de champs ne correspond pas à l'en-tête "
                     f"({len(headers)} colonnes séparées par « {sep} ») ou un guillemet n'est "
                     "pas fermé")
        return None
    rows = cur.execute(f"select count(*) from {staging}").fetchall()[0][0]
    return Sheet(name, None, headers, staging, rows, sha256_of(path), identite=identite)


_HEADER_WORDS = {"ident_rep", "ident_int", "depcom", "depcom_code", "nbpiece", "surfhab",
                 "construct", "finan", "finan_code", "logement_id", "residence_id", "rpls_id"}


def _positional(source: Path, headers: list[str], sep: str
                ) -> tuple[list[str], list[str] | None, int] | None:
    """A landlord's RPLS submission has no header: an identity line (SIREN, name…) then one
    line of positional fields per dwelling (nomenclatures.RPLS_BAILLEUR). Returns (field names,
    identity fields or None, lines to skip), or None for a file with a header."""
    if sep != ";" or {normalise(h) for h in headers} & _HEADER_WORDS:
        return None
    with source.open("r", encoding="utf-8-sig", newline="") as fh:
        fh.readline()
        second = next((line for line in fh if line.strip()), "")
    fields = next(csv.reader(io.StringIO(second), delimiter=sep), [])
    if len(fields) < 20:
        return None
    names = list(RPLS_BAILLEUR[: len(fields)]) + [
        f"CHAMP_{i + 1}" for i in range(len(RPLS_BAILLEUR), len(fields))]
    if len(headers) != len(fields):
        return names, headers, 1
    depcom = headers[RPLS_BAILLEUR.index("DEPCOM")].strip()
    if re.fullmatch(r"[0-9]{4,5}|2[ABab][0-9]{3}", depcom):
        return names, None, 0             # no identity line: the first line is a dwelling
    return None


def read_xlsx(cur: duckdb.DuckDBPyConnection, path: Path, name: str, prefix: str,
              problems: Problems) -> list[Sheet]:
    try:
        books = pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="calamine")
    except Exception as exc:
        problems.add(f"« {name} »", None, None, None, f"classeur illisible ({exc})")
        return []
    digest = sha256_of(path)
    sheets = []
    for i, (sheet, frame) in enumerate(books.items()):
        if normalise(sheet) in ("readme", "lisez_moi", "lisezmoi", "notice") or frame.empty:
            continue
        headers = ["" if pd.isna(h) else str(h).strip() for h in frame.iloc[0]]
        body = frame.iloc[1:].dropna(how="all").copy()
        if body.empty:
            continue                      # a template sheet left empty
        body.columns = [f"c{j}" for j in range(len(headers))]
        body = body.astype(object).where(body.notna(), None)
        body.insert(0, "__ligne", [int(i) + 1 for i in body.index])
        staging = f"{prefix}_{i}"
        cur.register("xlsx_frame", body)
        cur.execute(f"create temp table {staging} as select * from xlsx_frame")
        cur.unregister("xlsx_frame")
        sheets.append(Sheet(name, sheet, headers, staging, len(body), digest))
    return sheets


def read_file(cur: duckdb.DuckDBPyConnection, path: Path, name: str, prefix: str,
              problems: Problems) -> list[Sheet]:
    """Stage every table-shaped block of one file (a CSV, or each sheet of a workbook)."""
    if not path.is_file():
        problems.add(f"« {name} »", None, None, None, "fichier introuvable")
        return []
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        return read_xlsx(cur, path, name, prefix, problems)
    if suffix not in (".csv", ".txt", ".tsv"):
        problems.add(f"« {name} »", None, None, None,
                     "format non reconnu (attendu : CSV, TXT ou classeur XLSX)")
        return []
    with tempfile.TemporaryDirectory() as folder:
        sheet = read_csv(cur, path, name, prefix, problems, Path(folder))
    return [sheet] if sheet else []
