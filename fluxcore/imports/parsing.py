"""SQL expressions that turn French text cells into typed values (NULL when unreadable).

Each function takes a column reference that the importer generated itself (never text from
the file) and returns a DuckDB expression. Rules, stated once:
- numbers: spaces, narrow and non-breaking spaces, `%` and `€` are ignored; when a comma is
  present it is the decimal mark and dots are thousands separators (`1.234,5`), unless a dot
  comes after the last comma (`1,234.5`, English); with several dots and no comma they are
  thousands separators (`1.234.567`); a single dot is the decimal mark (`12.5`, as
  spreadsheets write it);
- dates: `JJ/MM/AAAA`, `JJ-MM-AAAA`, `JJ.MM.AAAA`, ISO `AAAA-MM-JJ`, with or without a time,
  years of four digits between 1800 and 2200 (`01/03/24` is refused, not read as year 24);
- booleans: oui/non, o/n, 1/0, vrai/faux, true/false, yes/no, x (ticked);
- lists: `A|B`, `A;B`, `A,B` or `[A, B]`; `[]` is an empty list.
"""

from __future__ import annotations

TRUE = ("oui", "o", "1", "1.0", "vrai", "true", "yes", "y", "x")
FALSE = ("non", "n", "0", "0.0", "faux", "false", "no")
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


def _quote(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def text(col: str) -> str:
    return f"nullif(trim({col}), '')"


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


def integer(col: str) -> str:
    n = number(col)
    return f"case when {n} = round({n}) and abs({n}) < 9e15 then cast({n} as bigint) end"


def boolean(col: str) -> str:
    v = f"lower({text(col)})"
    return (f"case when {v} in ({_quote(TRUE)}) then true "
            f"when {v} in ({_quote(FALSE)}) then false end")


def date(col: str) -> str:
    """A date with a four-digit year between 1800 and 2200 (« 01/03/24 » is refused)."""
    d = f"cast(try_strptime({text(col)}, [{_quote(DATE_FORMATS)}]) as date)"
    return (f"case when regexp_matches({text(col)}, '^[0-9]{{1,2}}[/.-][0-9]{{1,2}}[/.-]"
            f"[0-9]{{1,3}}([ T]|$)') then null when year({d}) between 1800 and 2200 then {d} end")


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
    u = f"upper({text(col)})"
    return (f"case when regexp_full_match({u}, '(T|F)? ?[0-9]{{1,2}} ?(BIS|\\+)?') then 'T' || "
            f"least(greatest(cast(regexp_extract({u}, '[0-9]+') as integer), 1), 6) "
            f"when {u} = 'STUDIO' then 'T1' else {u} end")


def code(col: str) -> str:
    """Upper-case code without accents, spaces and hyphens as `_` (« rendu bailleur »)."""
    return f"nullif(regexp_replace(strip_accents(upper({text(col)})), '[\\s-]+', '_', 'g'), '')"


def padded(col: str, width: int) -> str:
    """A code whose leading zero a spreadsheet dropped (8105 → 08105)."""
    v = f"upper({text(col)})"
    return (f"case when regexp_full_match({v}, '[0-9]{{{width - 1}}}') then lpad({v}, {width}, "
            f"'0') else {v} end")


BY_TYPE = {"VARCHAR": text, "INTEGER": integer, "BIGINT": integer, "DOUBLE": number,
           "BOOLEAN": boolean, "DATE": date, "TIMESTAMP": timestamp, "VARCHAR[]": text_list}


def expression(col: str, sql_type: str, column: str, enum: bool) -> str:
    """Typed value of the staged text column `col` for target `column` of type `sql_type`."""
    if column in ("typologie", "typologie_souhaitee"):
        return typologie(col)
    if column in ("commune_insee", "commune_souhaitee"):
        return padded(col, 5)
    if column == "departement":
        return padded(col, 2)
    if enum:
        return f"replace({code(col)}, 'PLA_I', 'PLAI')"
    return BY_TYPE[sql_type](col)
