"""SQL expressions that turn French text cells into typed values (NULL when unreadable).

Each function takes a column reference that the importer generated itself (never text from
the file) and returns a DuckDB expression. Rules, stated once:
- numbers: spaces, narrow and non-breaking spaces, `%` and `€` are ignored; when a comma is
  present it is the decimal mark and dots are thousands separators (`1.234,5`), unless a dot
  comes after the last comma (`1,234.5`, English); with several dots and no comma they are
  thousands separators (`1.234.567`); a single dot is the decimal mark (`12.5`, as
  spreadsheets write it);
- counts (`nb_…`, `taille_…`, `etage`): a band as published (`5 et plus`, `6 et +`, `5+`,
  `5 ou plus`) is read as its lower bound, with a warning (fluxcore.imports.staging);
- dates: `JJ/MM/AAAA`, `JJ-MM-AAAA`, `JJ.MM.AAAA`, ISO `AAAA-MM-JJ`, with or without a time,
  years of four digits between 1800 and 2200 (`01/03/24` is refused, not read as year 24);
  a number of days since 30/12/1899 (a cell that lost its date format: 45292 = 01/01/2024)
  is read as that date, with a warning, except a four-digit year (`2024` stays unreadable);
- typologies: `T3`, `t3`, `F3`, `3`, `T3 bis`, `studio` (T1); `T6+`, `T6 et plus` are T6 (six
  rooms and more); a band `T5 et plus` is T5 (warned); `T0`, `T7`, `T12` are unknown codes;
- booleans: oui/non, o/n, 1/0, vrai/faux, true/false, yes/no, x (ticked);
- lists: `A|B`, `A;B`, `A,B` or `[A, B]`; `[]` is an empty list.
"""

from __future__ import annotations

from fluxcore.codes import FINANCEMENTS
from fluxcore.imports.nomenclatures import CONTINGENT_SNE_CODES, CONTINGENT_SNE_LIBELLES
from fluxcore.neutralisation import sql_retablir

TRUE = ("oui", "o", "1", "1.0", "vrai", "true", "yes", "y", "x")
FALSE = ("non", "n", "0", "0.0", "faux", "false", "no")
# other spellings of a code an import accepts, by column (fluxcore.codes: « PLA-I » is PLAI)
ALIAS = {"financement": {a: c for a, c in FINANCEMENTS.alias.items() if a != c}}
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S",
                "%d/%m/%Y %H:%M", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S")

EXPECTED = {
    "VARCHAR": "un texte",
    "INTEGER": "un nombre entier (ex. 12)",
    "BIGINT": "un nombre entier (ex. 12)",
    "DOUBLE": "un nombre (ex. 12,5 ou 25 %)",
    "BOOLEAN": "oui ou non (oui/non, o/n, 1/0, vrai/faux, true/false)",
    "DATE": "une date JJ/MM/AAAA ou AAAA-MM-JJ",
    "VARCHAR[]": "une liste de codes séparés par | (ex. DALO|HANDICAP)",
    "TIMESTAMP": "une date et heure AAAA-MM-JJ HH:MM:SS",
}

# A band as published: « 5 et plus », « 6 et + », « 5+ », « 5 ou plus » (lower case, one space).
BAND = r"^([0-9]{1,3}) ?(\+|(et|ou) ?(\+|plus))$"
# Days since 30/12/1899 of the last date Excel counts as plausible here (31/12/2199).
SERIAL_MAX = 109574
# Error values a spreadsheet formula shows instead of a value (English and French Excel,
# LibreOffice); a CSV export writes them as text.
FORMULA_ERRORS = ("#N/A", "#N/D", "#REF!", "#DIV/0!", "#VALUE!", "#VALEUR!", "#NAME?", "#NOM?",
                  "#NUM!", "#NOMBRE!", "#NULL!", "#NUL!", "#SPILL!", "#CALC!", "#GETTING_DATA",
                  "ERR:502", "ERR:504", "ERR:508", "ERR:511", "ERR:522")
TYPOLOGIES = ("typologie", "typologie_souhaitee")


def _quote(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def text(col: str) -> str:
    # the apostrophe the product's exports put before = + - @ tab CR (fluxcore.neutralisation)
    # is taken off: export then import gives the same values
    return f"nullif({sql_retablir(f'trim({col})')}, '')"


def number(col: str) -> str:
    v = f"regexp_replace({text(col)}, '[\\s\u00a0\u202f%€]', '', 'g')"
    last_comma = f"(length({v}) - strpos(reverse({v}), ','))"
    last_dot = f"(length({v}) - strpos(reverse({v}), '.'))"
    return (f"try_cast(case "
            f"when strpos({v}, ',') > 0 and strpos({v}, '.') > 0 and {last_dot} > {last_comma} "
            f"then replace({v}, ',', '') "                       # 1,234.5 (English)
            f"when strpos({v}, ',') > 0 then replace(replace({v}, '.', ''), ',', '.') "
            f"when length({v}) - length(replace({v}, '.', '')) > 1 then replace({v}, '.', '') "
            f"else {v} end as double)")


def integer(col: str, bands: bool = False) -> str:
    """A whole number; with `bands`, a band « 5 et plus » is read as its lower bound."""
    n = number(col)
    plain = f"case when {n} = round({n}) and abs({n}) < 9e15 then cast({n} as bigint) end"
    return f"coalesce({plain}, {band(col)})" if bands else plain


def _squeezed(col: str) -> str:
    return f"lower(regexp_replace({text(col)}, '\\s+', ' ', 'g'))"


def band(col: str) -> str:
    """Lower bound of a banded count (« 5 et plus » → 5), else NULL."""
    return f"try_cast(nullif(regexp_extract({_squeezed(col)}, '{BAND}', 1), '') as bigint)"


def banded(column: str) -> bool:
    """Counts published in bands (rooms, household size, floor…), never years or codes."""
    return column.startswith(("nb_", "taille_")) or column == "etage"


def boolean(col: str) -> str:
    v = f"lower({text(col)})"
    return (f"case when {v} in ({_quote(TRUE)}) then true "
            f"when {v} in ({_quote(FALSE)}) then false end")


def date(col: str) -> str:
    """A date with a four-digit year between 1800 and 2200 (« 01/03/24 » is refused), or an
    Excel serial number (see `excel_serial`)."""
    d = f"cast(try_strptime({text(col)}, [{_quote(DATE_FORMATS)}]) as date)"
    return (f"case when regexp_matches({text(col)}, '^[0-9]{{1,2}}[/.-][0-9]{{1,2}}[/.-]"
            f"[0-9]{{1,3}}([ T]|$)') then null when year({d}) between 1800 and 2200 then {d} "
            f"else {excel_serial(col)} end")


def excel_serial(col: str) -> str:
    """The date of an Excel serial number (days since 30/12/1899; 45292 and 45292,5 are
    01/01/2024) from 1 to SERIAL_MAX, else NULL. A four-digit whole number from 1800 to 2200
    is a year, not a serial: it stays unreadable as a date."""
    t, n = text(col), number(col)
    return (f"case when regexp_full_match({t}, '[0-9]{{1,6}}([.,][0-9]+)?') "
            f"and not coalesce(regexp_full_match({t}, '[0-9]{{4}}') "
            f"and try_cast({t} as integer) between 1800 and 2200, false) "
            f"and {n} >= 1 and {n} < {SERIAL_MAX + 1} "
            f"then cast(date '1899-12-30' + cast(floor({n}) as integer) as date) end")


def timestamp(col: str) -> str:
    return f"try_strptime({text(col)}, [{_quote(DATE_FORMATS)}])"


def text_list(col: str) -> str:
    v = text(col)
    body = f"regexp_replace({v}, '^[\\[{{(]|[\\]}})]$', '', 'g')"
    items = (f"list_filter(list_transform(string_split_regex({body}, '[|;,]'), "
             f"lambda s: trim(trim(s), '''\" ')), lambda s: s <> '')")
    return (f"case when {v} is null then null when {v} in ('[]', '{{}}') then []::varchar[] "
            f"else {items} end")


def typologie(col: str) -> str:
    """T1…T6 (see the module rules); any other number n gives « Tn », an unknown code."""
    u = f"upper({_squeezed(col)})"
    n = (f"try_cast(nullif(regexp_extract({u}, '^(T|F|TYPE )? ?([0-9]{{1,2}})( ?(BIS|TER|\\+|"
         f"(ET|OU) ?(\\+|PLUS)))?$', 2), '') as integer)")
    return f"case when {n} is not null then 'T' || {n} when {u} = 'STUDIO' then 'T1' else {u} end"


def typologie_band(col: str) -> str:
    """True when a typology cell is a band below T6 (« T5 et plus »), read as its lower bound."""
    return (f"coalesce(regexp_full_match(upper({_squeezed(col)}), '(T|F|TYPE )? ?0?[1-5] ?"
            f"(\\+|(ET|OU) ?(\\+|PLUS))'), false)")


def formula_error(col: str) -> str:
    """True when the cell holds a spreadsheet formula error (#N/A, #REF!…)."""
    return f"coalesce(upper(trim({col})) in ({_quote(FORMULA_ERRORS)}), false)"


def lost_zeros(col: str, pattern: str) -> str:
    """True when a digits-only code matches `pattern` once one to three leading zeros are put
    back (a spreadsheet read « 01234 » as the number 1234)."""
    fits = " or ".join(f"regexp_matches('{'0' * k}' || {col}, '{pattern}')" for k in (1, 2, 3))
    return f"coalesce(regexp_full_match({col}, '[0-9]+') and ({fits}), false)"


def code(col: str) -> str:
    """Upper-case code without accents, spaces and hyphens as `_` (« rendu bailleur »)."""
    return f"nullif(regexp_replace(strip_accents(upper({text(col)})), '[\\s-]+', '_', 'g'), '')"


def alias(v: str, spellings: dict[str, str]) -> str:
    """The code `v` (an expression) with the other spellings of a code replaced by it."""
    if not spellings:
        return v
    whens = " ".join(f"when '{a}' then '{c}'" for a, c in spellings.items())
    return f"case {v} {whens} else {v} end"


def contingent(col: str) -> str:
    """The contingent of an SNE radiation: an RPLS code 1 to 7 or a label
    (fluxcore.imports.nomenclatures.CONTINGENT_SNE_LIBELLES), else the cell as a code."""
    v = f"lower(strip_accents({_squeezed(col)}))"
    codes = " ".join(f"when {v} = '{k}' then '{c}'" for k, c in CONTINGENT_SNE_CODES.items())
    labels = " ".join(f"when regexp_matches(replace({v}, '_', ' '), '{pattern}') then '{c}'"
                      for pattern, c in CONTINGENT_SNE_LIBELLES)
    return f"case {codes} {labels} else {code(col)} end"


def padded(col: str, width: int) -> str:
    """A code whose leading zero a spreadsheet dropped (8105 → 08105)."""
    v = f"upper({text(col)})"
    return (f"case when regexp_full_match({v}, '[0-9]{{{width - 1}}}') then lpad({v}, {width}, "
            f"'0') else {v} end")


BY_TYPE = {"VARCHAR": text, "INTEGER": integer, "BIGINT": integer, "DOUBLE": number,
           "BOOLEAN": boolean, "DATE": date, "TIMESTAMP": timestamp, "VARCHAR[]": text_list}


def expression(col: str, sql_type: str, column: str, enum: bool) -> str:
    """Typed value of the staged text column `col` for target `column` of type `sql_type`."""
    if column in TYPOLOGIES:
        return typologie(col)
    if column in ("commune_insee", "commune_souhaitee"):
        return padded(col, 5)
    if column == "departement":
        return padded(col, 2)
    if column == "contingent" and enum:
        return contingent(col)
    if enum:
        return alias(code(col), ALIAS.get(column, {}))
    if sql_type in ("INTEGER", "BIGINT") and banded(column):
        return integer(col, bands=True)
    return BY_TYPE[sql_type](col)
