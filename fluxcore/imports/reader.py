"""Read French CSV and XLSX files into DuckDB staging tables of text columns.

CSV: the encoding (UTF-8 with or without BOM, UTF-16 with or without BOM — Excel's « Texte
Unicode » —, else Windows-1252; the last two transcoded in Python, streamed, because DuckDB
only reads UTF-8) and the separator (`;`, `,`, tab or `|`, from the header line) are detected;
DuckDB's reader then streams the rows, every column as VARCHAR, with `__ligne` the line number
a spreadsheet shows (header = line 1). XLSX: every sheet, read with calamine. Values are typed
later, in SQL (fluxcore.imports.parsing), so that every bad cell is reported.

Nothing is damaged silently: a text mixing UTF-8 and Windows-1252 lines is refused at its
first line that is not UTF-8 (only a file whose every non-ASCII line is Windows-1252 is read as
such); a workbook formula without a computed value is refused with its cell (« B12 »); a value
holding a control character (a NUL byte…) or longer than spec.max_chars is refused with its
cell (check_values).

A file that cannot be read as a table is refused with its reason in French (FileError), never
a traceback: missing, a folder, unreadable, too large (checked before reading), empty, binary
or of another format (by its first bytes), of an unknown encoding, a workbook that is
protected, truncated or a ZIP bomb, or a file that changed while it was read.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import html
import io
import os
import re
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from fluxcore.errors import memoire_epuisee, memoire_insuffisante
from fluxcore.formats import fmt_int, fmt_taille
from fluxcore.imports.nomenclatures import RPLS_BAILLEUR
from fluxcore.imports.problems import AVERTISSEMENT, Problems

CHUNK = 1 << 20
SEPARATORS = (";", ",", "\t", "|")
_ERROR_LINE = re.compile(r"[Ll]ine:?\s*(\d+)")

MAX_BYTES = 2 * 1024 ** 3              # a larger file is refused before it is read...
MAX_BYTES_ENV = "FLUX_IMPORT_TAILLE_MAX"   # ...unless this variable says otherwise (bytes)
MAX_UNZIPPED = 1024 ** 3               # a workbook may unzip to at most this...
MAX_RATIO = 200                        # ...and no large member may be compressed more than this
LARGE_MEMBER = 16 * 1024 ** 2          # (« large »: declared bigger than this)
SNIFF = 1 << 20                        # first bytes looked at: signature, NUL, first line end
WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods")
TEXTS = (".csv", ".txt", ".tsv")
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"     # Office 97-2003 files, encrypted workbooks
SIGNATURES = (
    (b"PK\x03\x04", "une archive ZIP (un classeur XLSX ou ODS renommé ?)"),
    (b"PK\x05\x06", "une archive ZIP vide"),
    (OLE, "un document Office au format ancien ou chiffré (un classeur .xls ?)"),
    (b"%PDF", "un document PDF"),
    (b"\x89PNG", "une image PNG"), (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF8", "une image GIF"), (b"\x1f\x8b", "une archive gzip"),
    (b"7z\xbc\xaf\x27\x1c", "une archive 7-Zip"), (b"Rar!", "une archive RAR"),
    (b"SQLite format 3", "une base SQLite"), (b"{\\rtf", "un document RTF"),
)
BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF8, codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE)
_CONTROLS = bytes(c for c in range(32) if c not in (9, 10, 12, 13, 26)) + b"\x7f"
CHANGED = ("le fichier a changé pendant la lecture (copie ou enregistrement encore en cours ?) : "
           "attendez qu'il soit complet, puis relancez l'import")
PROTECTED = "classeur protégé par mot de passe ou chiffré : enregistrez-le sans mot de passe"


class FileError(Exception):
    """A file that cannot be read as a table: the French reason, and its line when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


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
    identite: list[str] | None = None     # positional RPLS submission: its identity line

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


def _transcode(path: Path, folder: Path, encoding: str = "cp1252") -> Path:
    """Copy of a Windows-1252 (or UTF-16) file in UTF-8 (streamed); FileError on a byte the
    encoding has no character for."""
    out = folder / "transcode.csv"
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        for block in iter(lambda: src.read(CHUNK), b""):
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise _undecodable(encoding, exc, line) from exc
            line += text.count("\n")
            dst.write(text)
        try:
            dst.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError as exc:
            raise _undecodable(encoding, exc, line) from exc
    return out


def _undecodable(encoding: str, exc: UnicodeDecodeError, line: int) -> FileError:
    if encoding.startswith("utf-16"):
        return FileError("encodage illisible : texte UTF-16 tronqué ou endommagé ; "
                         "enregistrez-le à nouveau, de préférence en « CSV UTF-8 »")
    byte = exc.object[exc.start]
    return FileError(f"encodage non reconnu : le fichier n'est ni en UTF-8 ni en Windows-1252 "
                     f"(octet 0x{byte:02X} sans caractère) ; enregistrez-le en « CSV UTF-8 »",
                     line + exc.object[:exc.start].count(b"\n"))


def _utf8_problem(path: Path) -> tuple[int, int, bool] | None:
    """None for a UTF-8 file; else (line, byte) of its first line that is not UTF-8, and
    whether another line is UTF-8 beyond ASCII (then the file mixes encodings: it must not be
    read whole as Windows-1252, « Ã©tÃ© »). Every line is looked at, streamed; a line of
    ASCII only fits both encodings."""
    first: tuple[int, int] | None = None
    wide = False
    line, rest = 1, b""

    def scan(part: bytes, line: int) -> None:
        nonlocal first, wide
        if part.isascii():
            return
        if first is None:
            try:
                part.decode("utf-8")
                wide = True
                return
            except UnicodeDecodeError:
                pass
        for i, text in enumerate(part.split(b"\n")):
            if text.isascii():
                continue
            try:
                text.decode("utf-8")
                wide = True
            except UnicodeDecodeError as exc:
                if first is None:
                    first = (line + i, text[exc.start])
            if first is not None and wide:
                return

    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            data = rest + block
            cut = data.rfind(b"\n") + 1
            if not cut and len(data) > 16 * CHUNK:      # no line end: cut after an ASCII byte
                cut = len(data.rstrip(bytes(range(128, 256)))) or len(data)
            part, rest = data[:cut], data[cut:]
            scan(part, line)
            line += part.count(b"\n")
            if first is not None and wide:
                break
        else:
            scan(rest, line)
    return None if first is None else (*first, wide)


def _utf16(head: bytes) -> str | None:
    """The UTF-16 (or UTF-32) codec of a text that starts with `head`, BOM or not."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    even, odd = head[0:4096:2], head[1:4096:2]
    if len(odd) >= 2:
        if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
            return "utf-16-be"
    return None


def _not_text(head: bytes, size: int) -> str | None:
    """Why a file starting with `head` (its first SNIFF bytes) is not a delimited text."""
    advice = ", pas un texte délimité (CSV) : exportez les données au format CSV ou XLSX"
    for magic, what in SIGNATURES:
        if head.startswith(magic):
            return f"format non reconnu : le fichier est {what}{advice}"
    body = next((head[len(b):] for b in BOMS if head.startswith(b)), head)
    if size <= SNIFF and not body.strip(b" \t\r\n\x00"):
        return ("le fichier est vide : il ne contient qu'une marque d'encodage (BOM) ou des "
                "lignes blanches")
    if _utf16(head):
        return None
    if head.count(0) > max(len(head) // 200, 1):   # a stray NUL is a cell problem (values)
        return f"format non reconnu : contenu binaire (octets nuls){advice}"
    if len(head) - len(head.translate(None, _CONTROLS)) > len(head) / 50:
        return f"format non reconnu : contenu binaire (caractères de contrôle){advice}"
    if size > SNIFF and b"\n" not in head and b"\r" not in head:
        return f"format non reconnu : aucune fin de ligne dans le premier Mo du fichier{advice}"
    return None


def _utf8_source(path: Path, folder: Path) -> Path:
    """The file itself when it is a UTF-8 text (BOM or not), else a UTF-8 copy of it (UTF-16,
    or Windows-1252); FileError when it is no delimited text or of an unknown encoding."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF)
    reason = _not_text(head, path.stat().st_size)
    if reason:
        raise FileError(reason)
    utf16 = _utf16(head)
    if utf16:
        return _transcode(path, folder, utf16)
    problem = _utf8_problem(path)
    if problem is None:
        return path
    line, byte, wide = problem
    if wide:
        raise FileError(f"encodage incohérent : le fichier est en UTF-8 mais contient un octet "
                        f"0x{byte:02X} qui n'en est pas (deux fichiers d'encodages différents "
                        "mis bout à bout, ou fichier tronqué ?) ; enregistrez-le entièrement "
                        "en « CSV UTF-8 »", line)
    return _transcode(path, folder)


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
    source = _utf8_source(path, folder)
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
            f"auto_detect = false, ignore_errors = true, store_rejects = true, "
            f"rejects_table = '{staging}_rej', rejects_scan = '{staging}_scan')) "
            f"where trim(concat_ws('', {', '.join(cols)})) <> ''",
            [str(source), sep])
    except duckdb.Error as exc:
        if memoire_epuisee(exc):             # the machine, not the file
            raise memoire_insuffisante(name, exc) from exc
        line = _ERROR_LINE.search(str(exc))
        problems.add(f"« {name} »", int(line.group(1)) if line else None, None, None,
                     "ligne illisible : le nombre de champs ne correspond pas à l'en-tête "
                     f"({len(headers)} colonnes séparées par « {sep} ») ou un guillemet n'est "
                     "pas fermé")
        return None
    if _rejected(cur, staging, f"« {name} »", len(headers), sep, problems):
        return None
    rows = cur.execute(f"select count(*) from {staging}").fetchall()[0][0]
    return Sheet(name, None, headers, staging, rows, sha256_of(path), identite=identite)


def _rejected(cur: duckdb.DuckDBPyConnection, staging: str, where: str, width: int, sep: str,
              problems: Problems) -> bool:
    """Report the lines DuckDB could not split (kept aside in `<staging>_rej`, so that the
    transaction goes on and the other files are still checked); True when there are some."""
    found = cur.execute(
        f"select kind, line, left(split_part(any_value(csv_line), chr(10), 1), 80), "
        f"count(*) over (partition by kind) from (select *, case when error_type like "
        f"'%COLUMNS' then 'COLUMNS' else error_type end as kind from {staging}_rej) "
        f"group by kind, line order by line limit {problems.limit}").fetchall()
    cur.execute(f"drop table if exists {staging}_rej")
    cur.execute(f"drop table if exists {staging}_scan")
    messages = {
        "UNQUOTED VALUE": "ligne illisible : un guillemet n'est pas fermé ou est mal placé (un "
                          f"champ qui contient « {sep} », un saut de ligne ou un guillemet doit "
                          "être entre guillemets, ses guillemets doublés)",
        "LINE SIZE OVER MAXIMUM": "ligne illisible : plus de 2 Mo sans fin de ligne (guillemet "
                                  "jamais fermé, ou pas un fichier CSV ?)"}
    fields = ("ligne illisible : le nombre de champs ne correspond pas à l'en-tête "
              f"({width} colonnes séparées par « {sep} »)")
    for kind in dict.fromkeys(r[0] for r in found):
        rows = [(r[1], r[2]) for r in found if r[0] == kind]
        total = next(r[3] for r in found if r[0] == kind)
        problems.add_many(where, rows, total, None, messages.get(
            kind, fields if kind == "COLUMNS" else f"ligne illisible ({kind.lower()})"))
    return bool(found)


_HEADER_WORDS = {"ident_rep", "ident_int", "depcom", "depcom_code", "nbpiece", "surfhab",
                 "construct", "finan", "finan_code", "logement_id", "residence_id", "rpls_id"}


def _positional(source: Path, headers: list[str], sep: str
                ) -> tuple[list[str], list[str], int] | None:
    """A landlord's RPLS submission has no header: an identity line (SIREN, name…) then one
    line of positional fields per dwelling (nomenclatures.RPLS_BAILLEUR). Returns (field names,
    identity fields, [] without them, lines to skip), or None for a file with a header."""
    if sep != ";" or {normalise(h) for h in headers} & _HEADER_WORDS:
        return None
    try:
        with source.open("r", encoding="utf-8-sig", newline="") as fh:
            fh.readline(1 << 20)
            second = ""
            while not second.strip() and (line := fh.readline(1 << 20)):
                second = line
        fields = next(csv.reader(io.StringIO(second), delimiter=sep), [])
    except (csv.Error, UnicodeDecodeError):
        return None                       # not this layout; the reader says what is wrong
    if len(fields) < 20:
        return None
    names = list(RPLS_BAILLEUR[: len(fields)]) + [
        f"CHAMP_{i + 1}" for i in range(len(RPLS_BAILLEUR), len(fields))]
    if len(headers) != len(fields):
        return names, headers, 1
    depcom = headers[RPLS_BAILLEUR.index("DEPCOM")].strip()
    if re.fullmatch(r"[0-9]{4,5}|2[ABab][0-9]{3}", depcom):
        return names, [], 0               # no identity line: the first line is a dwelling
    return None


def _check_workbook(path: Path, suffix: str) -> dict[str, list[tuple[int, int, str]]]:
    """Refuse (FileError) a workbook calamine should not open: not a workbook, protected,
    truncated, a ZIP bomb. Returns the formula error cells of each sheet (calamine reads them
    as empty): {sheet name: [(line, column index, « #N/A »)]}."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF)
    if head.startswith(OLE):
        if suffix == ".xls":
            return {}                     # Excel 97-2003: calamine reads it, or says why not
        raise FileError(PROTECTED + " (ou, s'il s'agit d'un ancien classeur .xls renommé, "
                        "enregistrez-le au format .xlsx)")
    if not head.startswith(b"PK"):
        low = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if low.startswith((b"<html", b"<!doctype", b"<table", b"<?xml")):
            raise FileError("format non reconnu : le fichier est une page HTML ou XML (un export "
                            "web enregistré en classeur ?), pas un classeur : ouvrez-le dans le "
                            "tableur et enregistrez-le au format .xlsx")
        if _not_text(head, path.stat().st_size) is None:
            raise FileError("format non reconnu : le fichier est un texte, pas un classeur "
                            "XLSX : s'il s'agit d'un CSV, donnez-lui l'extension .csv")
        raise FileError("format non reconnu : le fichier n'est pas un classeur XLSX, XLS ou ODS "
                        "(contenu binaire inconnu)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if not names & {"xl/workbook.xml", "xl/workbook.bin", "content.xml"}:
                raise FileError("format non reconnu : archive ZIP qui n'est pas un classeur "
                                "(pas de xl/workbook.xml) : importez les fichiers CSV ou XLSX "
                                "qu'elle contient")
            total = sum(i.file_size for i in infos)
            ratio = max((i.file_size / max(i.compress_size, 1) for i in infos
                         if i.file_size > LARGE_MEMBER), default=0)
            if total > MAX_UNZIPPED or ratio > MAX_RATIO:
                raise FileError(
                    f"classeur refusé : une fois décompressé il occuperait {fmt_taille(total)}"
                    + (f", compressé jusqu'à {ratio:.0f} fois" if ratio > MAX_RATIO else "")
                    + f" (limites : {fmt_taille(MAX_UNZIPPED)}, {MAX_RATIO} fois) : fichier "
                    "anormal (« bombe ZIP » ?) ; enregistrez les données en CSV")
            return _formula_errors(zf) if "xl/workbook.xml" in names else {}
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, NotImplementedError) as exc:
        raise FileError("classeur illisible : archive tronquée ou endommagée (copie ou "
                        "téléchargement incomplet ?) : enregistrez-le à nouveau depuis le "
                        "tableur") from exc


_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_ERROR_CELL = re.compile(rb'<c\s([^>]*\bt="e"[^>]*)>(.*?)</c>', re.S)
# a cell with a formula: its attributes (not a self-closed <c/>) and content
_FORMULA_CELL = re.compile(rb'<c\s([^>]*?)(?<!/)>((?:(?!</c>).)*?<f[\s>/].*?)</c>', re.S)
NO_VALUE = None                     # _formula_errors: a formula the workbook holds no value of


def _formula_errors(zf: zipfile.ZipFile) -> dict[str, list[tuple[int, int, str]]]:
    """Cells of type error (t="e") of every worksheet, streamed row by row."""
    def attrs(tag: bytes) -> dict[str, str]:
        return {k.decode().split(":")[-1]: html.unescape(v.decode("utf-8", "replace"))
                for k, v in _ATTR.findall(tag)}

    rels = {}
    for tag in re.findall(rb"<Relationship\b[^>]*>", zf.read("xl/_rels/workbook.xml.rels")):
        a = attrs(tag)
        target = a.get("Target", "")
        rels[a.get("Id")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    found: dict[str, list[tuple[int, int, str]]] = {}
    for tag in re.findall(rb"<sheet\b[^>]*>", zf.read("xl/workbook.xml")):
        a = attrs(tag)
        member = rels.get(a.get("id"))
        if not member or member not in zf.namelist():
            continue
        cells: list[tuple[int, int, str]] = []
        with zf.open(member) as fh:
            rest = b""
            for block in iter(lambda: fh.read(CHUNK), b""):
                data = rest + block
                cut = data.rfind(b"</row>") + len(b"</row>") if b"</row>" in data else 0
                if b't="e"' in data[:cut] or b"<f" in data[:cut]:
                    cells += _error_cells(data[:cut])
                rest = data[cut:]
            if b't="e"' in rest or b"<f" in rest:
                cells += _error_cells(rest)
        if cells:
            found[a.get("name", "")] = cells[:10_000]
    return found


def _cell_ref(tag: bytes) -> tuple[int, int] | None:
    """(line, column index) of a cell's r="B12" attribute."""
    ref = re.search(rb'\br="([A-Z]+)([0-9]+)"', tag)
    if not ref:
        return None
    column = 0
    for letter in ref.group(1):
        column = column * 26 + letter - 64
    return int(ref.group(2)), column - 1


def cell_name(line: int, column: int) -> str:
    """A cell as the spreadsheet names it (« B12 »)."""
    letters, n = "", column + 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return f"{letters}{line}"


def _error_cells(xml: bytes) -> list[tuple[int, int, str | None]]:
    """Error cells (their « #N/A ») and formula cells without a cached value (NO_VALUE: a
    workbook written by a program that computes nothing, openpyxl…, read as empty)."""
    cells: list[tuple[int, int, str | None]] = []
    if b"<f" in xml:
        for tag, inner in _FORMULA_CELL.findall(xml):
            if b't="e"' in tag or re.search(rb"<v>[^<]+</v>|<is>", inner) or (
                    b't="str"' in tag and b"<v" in inner):   # a formula giving ""
                continue
            if (ref := _cell_ref(tag)) is not None:
                cells.append((*ref, NO_VALUE))
    for tag, inner in _ERROR_CELL.findall(xml):
        ref = re.search(rb'\br="([A-Z]+)([0-9]+)"', tag)
        value = re.search(rb"<v>([^<]*)</v>", inner)
        if ref:
            column = 0
            for letter in ref.group(1):
                column = column * 26 + letter - 64
            cells.append((int(ref.group(2)), column - 1,
                          html.unescape(value.group(1).decode("utf-8", "replace"))
                          if value else "#ERREUR"))
    return cells


def read_xlsx(cur: duckdb.DuckDBPyConnection, path: Path, name: str, prefix: str,
              problems: Problems) -> list[Sheet]:
    suffix = Path(name).suffix.lower()
    errors = _check_workbook(path, suffix)
    try:
        books = pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="calamine")
    except Exception as exc:
        if memoire_epuisee(exc):
            raise memoire_insuffisante(name, exc) from exc
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        if suffix == ".xls":
            raise FileError("classeur Excel 97-2003 (.xls) illisible, endommagé ou protégé par "
                            "mot de passe : ouvrez-le dans le tableur et enregistrez-le au "
                            f"format .xlsx, sans mot de passe ({first})") from exc
        raise FileError(f"classeur illisible ou endommagé ({first}) : ouvrez-le dans le "
                        "tableur et enregistrez-le à nouveau au format .xlsx") from exc
    digest = sha256_of(path)
    sheets = []
    for i, (sheet, frame) in enumerate(books.items()):
        if normalise(sheet) in ("readme", "lisez_moi", "lisezmoi", "notice") or frame.empty:
            continue
        uncached = []
        for line, column, value in errors.get(sheet, []):
            if value is NO_VALUE:
                uncached.append((line, column))
            elif line <= len(frame) and column < frame.shape[1]:
                frame.iat[line - 1, column] = value       # calamine reads it as empty
        filled = frame.dropna(how="all")
        if filled.empty:
            continue
        top = filled.index[0]             # blank lines above the header are skipped
        headers = ["" if pd.isna(h) else str(h).strip() for h in frame.loc[top]]
        where = Sheet(name, sheet, [], "", 0, "").where
        for line, column in sorted(uncached)[: problems.limit]:
            if line - 1 > top:
                header = headers[column] if column < len(headers) else None
                problems.add(where, line, header or cell_name(1, column).rstrip("1"), None,
                             f"formule sans valeur calculée (cellule {cell_name(line, column)}) "
                             ": le classeur a été écrit par un programme qui ne calcule pas "
                             "les formules ; ouvrez-le dans le tableur et enregistrez-le, ou "
                             "collez les valeurs seules")
        body = frame.loc[top + 1:].dropna(how="all").copy()
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
    if not sheets:
        problems.add(f"« {name} »", None, None, None, "classeur sans données : ses feuilles "
                     "sont vides ou n'ont qu'une ligne d'en-tête", AVERTISSEMENT)
    return sheets


# control characters no value may hold (tab, line feed and carriage return may)
_CONTROL_CODES = (*range(9), 11, 12, *range(14, 32), 127)
CONTROL_CHARS = "[" + "".join(f"\\x{c:02x}" for c in _CONTROL_CODES) + "]"


def check_values(cur: duckdb.DuckDBPyConnection, sheet: Sheet, problems: Problems) -> None:
    """Refuse, cell by cell, what a value must never hold once stored: a control character
    (a NUL byte…: a damaged file) or more characters than spec.max_chars allows — in one
    scan of the staged sheet."""
    from fluxcore.imports.spec import max_chars

    cols = [(f"c{i}", h) for i, h in enumerate(sheet.headers)]
    if not cols or not sheet.rows:
        return
    bounds = {c: max_chars(normalise(h)) for c, h in cols}
    texts = [f"cast({c} as varchar)" for c, _ in cols]
    suspect = (f"regexp_matches(concat_ws('', {', '.join(texts)}), ?) or "
               + " or ".join(f"length({t}) > {bounds[c]}" for t, (c, _) in zip(texts, cols,
                                                                             strict=True)))
    if not cur.execute(f"select count(*) from (select 1 from {sheet.staging} where {suspect} "
                       "limit 1)", [CONTROL_CHARS]).fetchall()[0][0]:
        return                            # the usual case: one cheap scan, no unpivot
    names = ", ".join(f"'{c}'" for c, _ in cols)
    cases = " ".join(f"when '{c}' then {bounds[c]}" for c, _ in cols)
    found = cur.execute(
        f"select __ligne, col, v, length(v), regexp_matches(v, ?), count(*) over () from ("
        f"select __ligne, col, v from (unpivot (select __ligne, "
        f"{', '.join(f'cast({c} as varchar) as {c}' for c, _ in cols)} "
        f"from {sheet.staging}) on {names} into name col value v)) "
        f"where regexp_matches(v, ?) or length(v) > case col {cases} end "
        f"order by __ligne, col limit {problems.limit}",
        [CONTROL_CHARS, CONTROL_CHARS]).fetchall()
    for line, col, value, size, control, _n in found:
        header = sheet.headers[int(col[1:])] or col
        if control:
            char = next(ch for ch in value if re.match(CONTROL_CHARS, ch))
            what = "octet nul" if char == "\x00" else f"caractère 0x{ord(char):02X}"
            message = (f"caractère de contrôle dans la valeur ({what}) : fichier endommagé ou "
                       "mal exporté ; corrigez la cellule")
        else:
            message = (f"valeur trop longue : {fmt_int(size)} caractères, au plus "
                       f"{fmt_int(bounds[col])} dans cette colonne"
                       + " (fichier endommagé, ou colonnes décalées ?)")
        shown = value if len(value) <= 60 else value[:60] + "…"
        problems.add(sheet.where, line, header, shown.translate(_VISIBLE), message)
    if found and found[0][5] > len(found):
        problems.add(sheet.where, None, None, None,
                     f"… et {found[0][5] - len(found)} autres cellules endommagées (caractère "
                     "de contrôle ou valeur trop longue)")


_VISIBLE = {c: "\ufffd" for c in _CONTROL_CODES}


def max_bytes() -> int:
    """The size above which a file is refused unread (FLUX_IMPORT_TAILLE_MAX, in bytes)."""
    value = os.environ.get(MAX_BYTES_ENV, "").strip()
    return int(value) if value.isdigit() else MAX_BYTES


def _check_path(path: Path) -> None:
    """Refuse (FileError) what is no readable, non-empty file of an acceptable size."""
    try:
        if path.is_dir():
            raise FileError("c'est un dossier, pas un fichier : importez les fichiers qu'il "
                            "contient")
        if not path.exists():
            raise FileError("fichier introuvable")
        if not path.is_file():
            raise FileError("ce n'est pas un fichier ordinaire (périphérique, tube…)")
        size, limit = path.stat().st_size, max_bytes()
        if size > limit:
            shown = fmt_taille(size) if fmt_taille(size) != fmt_taille(limit) else f"{size} octets"
            raise FileError(f"fichier trop volumineux : {shown}, au-delà de la limite de "
                            f"{fmt_taille(limit)} (variable {MAX_BYTES_ENV}) : découpez-le en "
                            "plusieurs fichiers")
        if size == 0:
            raise FileError("le fichier est vide")
        with path.open("rb") as fh:
            fh.read(1)
    except PermissionError as exc:
        raise FileError("fichier illisible : lecture refusée (droits d'accès insuffisants)") \
            from exc
    except OSError as exc:
        raise FileError(f"fichier illisible (erreur système : {exc.strerror or exc})") from exc


def read_file(cur: duckdb.DuckDBPyConnection, path: Path, name: str, prefix: str,
              problems: Problems) -> list[Sheet]:
    """Stage every table-shaped block of one file (a CSV, or each sheet of a workbook); a file
    that cannot be read gives its reason in `problems` and no sheet."""
    try:
        _check_path(path)
        before = sha256_of(path)
        suffix = Path(name).suffix.lower()
        if suffix in WORKBOOKS:
            sheets = read_xlsx(cur, path, name, prefix, problems)
        elif suffix in TEXTS:
            with tempfile.TemporaryDirectory() as folder:
                sheet = read_csv(cur, path, name, prefix, problems, Path(folder))
            sheets = [sheet] if sheet else []
        else:
            raise FileError("format non reconnu (attendu : CSV, TXT ou classeur XLSX)")
        if any(s.sha256 != before for s in sheets):
            raise FileError(CHANGED)
        for s in sheets:
            check_values(cur, s, problems)
        for s in sheets:
            if not s.rows:
                problems.add(s.where, None, None, None, "aucune ligne de données sous la ligne "
                             "d'en-tête", AVERTISSEMENT)
        return sheets
    except FileError as exc:
        problems.add(f"« {name} »", exc.line, None, None, exc.message)
        return []
    except csv.Error:                     # Python's csv module, on a first line or two
        problems.add(f"« {name} »", None, None, None,
                     "ligne illisible : un champ de plus de 128 Ko ou mal formé (guillemet "
                     "jamais fermé, ou pas un fichier CSV ?)")
        return []
    except OSError as exc:                # vanished or locked while being read
        problems.add(f"« {name} »", None, None, None,
                     "le fichier a disparu pendant la lecture"
                     if isinstance(exc, FileNotFoundError) else
                     "fichier illisible pendant la lecture : lecture refusée (droits d'accès "
                     "insuffisants)" if isinstance(exc, PermissionError) else
                     f"fichier illisible pendant la lecture (erreur système : "
                     f"{exc.strerror or exc})")
        return []
