"""An RPLS file (logement-level, RPLS column names) → résidences and logements.

- Dwelling id: the répertoire id (IDENT_REP, RPLS_ID…) if present, else the landlord's own id
  (IDENT_INT…), else a stable hash of the row (`RPLS-…`; re-importing the same row gives the
  same id, but a row whose fields changed becomes a new dwelling: prefer files with an id).
- Résidence: a programme code or name column when present (PROGRAMME, CODE_PROGRAMME,
  RESIDENCE…); otherwise the address fields (NUMVOIE, INDREP, TYPVOIE, NOMVOIE) within the
  commune; with no address, the dwellings of one commune sharing construction year, QPV status
  and building type. Its id is `R<DEPCOM>-<hash of that key>`, stable across imports.
- Commune: DEPCOM; an old code of a merged commune becomes its 2026 commune (warning), an
  arrondissement municipal keeps its code (its commune and EPCI come from the reference).
- QPV: a code (QN…/QP…), 1/2, 1/0, oui/non, « QPV »/« Hors QPV » — kept as the file's QPV;
  the résidence's QPV 2024 is recomputed from its coordinates (fluxcore.localisation).
- Coordinates: X/Y in the system of the row's EPSG column (else the département's legal
  projection: Lambert-93, UTM outre-mer) or longitude/latitude, averaged per résidence;
  otherwise the commune centre of the embedded reference.
- FINAN: labels (PLAI, PLA-I, PLUS, PLA, HLM/O, PLS, PLI…) are read directly; numeric codes go
  through the setting `rpls_codes_financement`, else AUTRE with a warning.
- Typology T1…T6 from NBPIECE (6 rooms and more → T6); first letting date from LOCAT (year),
  else CONSTRUCT; LOYERPRINC 9999 means « sans objet ».
"""

from __future__ import annotations

import json

from fluxcore.imports import parsing
from fluxcore.imports.geographie import locate, normalise_communes
from fluxcore.imports.problems import AVERTISSEMENT, Problems
from fluxcore.imports.reader import Sheet, normalise
from fluxcore.imports.staging import check_cells
from fluxcore.imports.upsert import Target

ID_REP = ("ident_rep", "identrep", "id_rep", "rpls_id", "id_rpls", "identifiant_rpls",
          "num_rpls", "numrpls", "identifiant_repertoire", "logement_id")
ID_INT = ("ident_int", "identint", "id_int", "idlogt", "id_logt", "identifiant_interne",
          "num_logt", "numlogt")
PROGRAMME = ("residence_id", "code_programme", "codeprog", "num_programme", "programme",
             "nom_programme", "nomprog", "residence", "groupe", "code_groupe")
ADDRESS = ("numvoie", "indrep", "typvoie", "nomvoie")
QPV_TRUE = ("1", "OUI", "O", "QPV", "EN_QPV", "TRUE", "VRAI", "Y", "YES")
QPV_FALSE = ("2", "0", "NON", "N", "HORS_QPV", "HORSQPV", "FALSE", "FAUX", "NO")

FINAN_LABELS = """
case when {f} is null then null
     when {f} in ('PLAI', 'PLA_I', 'PLAINT', 'PLA_INTEGRATION', 'LLTS', 'PLA_LM', 'PLALM', 'PLA_TS',
                'PLATS', 'PLA_INSERTION', 'PLA_TRES_SOCIAL') then 'PLAI'
     when {f} like 'PLUS%' or {f} in ('PLA', 'PLA_ORDINAIRE', 'LLS', 'HLM', 'HLMO', 'HLM_O',
                'HLM/O', 'HBM', 'PLR', 'PSR', 'PLR_PSR', 'PLR/PSR', 'ILM') then 'PLUS'
     when {f} in ('PLS', 'PPLS', 'PCLS', 'PLA_CFF') then 'PLS'
     when {f} in ('PLI', 'ILN') then 'PLI'
     else coalesce((select m.categorie from rpls_finan m where m.code = {f}), 'AUTRE') end
"""


def _find(sheet: Sheet, names: tuple[str, ...]) -> str | None:
    by_name = {normalise(h): f"c{i}" for i, h in enumerate(sheet.headers) if h}
    return next((by_name[n] for n in names if n in by_name), None)


def _logement_sql(sheet: Sheet, typed: str) -> tuple[str, dict[str, str]]:
    """CTAS of the typed dwellings; returns it with {target column: RPLS header} labels."""
    f = lambda *names: _find(sheet, names)  # noqa: E731
    depcom, nbpiece, surf = f("depcom", "codecom"), f("nbpiece"), f("surfhab")
    finan, construct, locat = f("finan"), f("construct"), f("locat")
    loyer, etage, qpv = f("loyerprinc", "loyer"), f("etage"), f("qpv", "plg_qpv", "code_qpv")
    x, y, epsg = f("x"), f("y"), f("epsg", "code_epsg", "srid")
    lon, lat = f("longitude", "lon"), f("latitude", "lat")
    ident = f(*ID_REP) or f(*ID_INT)
    prog = f(*PROGRAMME)
    addr = [c for c in (f(a) for a in ADDRESS) if c]
    null = "cast(null as varchar)"
    adresse = (f"nullif(trim(regexp_replace(upper(concat_ws(' ', "
               f"{', '.join(f'trim({c})' for c in addr)})), '\\s+', ' ', 'g')), '')"
               if addr else null)
    commune = f"commune_2026({parsing.padded(depcom, 5)})" if depcom else null
    qpv_up = f"regexp_replace(upper(trim({qpv})), '[\\s-]+', '_', 'g')" if qpv else null
    row_text = f"concat_ws('|', {', '.join(f'c{i}' for i in range(len(sheet.headers)))})"
    group = (f"coalesce({'nullif(trim(' + prog + '), ' + repr('') + ')' if prog else null}, "
             f"{adresse}, concat_ws('|', {construct or null}, {qpv_up}, "
             f"{f('typeconst') or null}))")
    def year(c):
        return (f"case when regexp_full_match(trim({c}), '[0-9]{{4}}') then "
                f"make_date(cast(trim({c}) as integer), 1, 1) else {parsing.date(c)} end")
    select = {
        "logement_id": (ident, parsing.text(ident) if ident else
                        f"'RPLS-' || substr(md5({row_text}), 1, 12) || '-' || row_number() "
                        f"over (partition by md5({row_text}) order by __ligne)"),
        "residence_id": (prog, f"'R' || {commune} || '-' || substr(md5({group}), 1, 10)"),
        "typologie": (nbpiece, f"case when {parsing.integer(nbpiece)} >= 1 then 'T' || "
                               f"least({parsing.integer(nbpiece)}, 6) end" if nbpiece else null),
        "nb_pieces": (nbpiece, parsing.integer(nbpiece) if nbpiece else null),
        "surface_m2": (surf, parsing.number(surf) if surf else null),
        "financement": (finan, FINAN_LABELS.format(
            f=f"regexp_replace(strip_accents(upper(trim({finan}))), '[\\s-]+', '_', 'g')")
            if finan else "'AUTRE'"),
        "loyer_mensuel": (loyer, f"case when {parsing.number(loyer)} not in (9999, 99999) then "
                                  f"{parsing.number(loyer)} end" if loyer else null),
        "etage": (etage, f"case when upper(trim({etage})) in ('RDC', 'RC') then 0 else "
                         f"{parsing.integer(etage)} end" if etage else null),
        "date_mise_en_service": (locat or construct, year(locat or construct)
                                 if (locat or construct) else null),
        "dpe_energie": (f("dpeenergie"), f"nullif(upper(trim({f('dpeenergie')})), '')"
                        if f("dpeenergie") else null),
        "type_construction": (f("typeconst"), f"nullif(upper(trim({f('typeconst')})), '')"
                              if f("typeconst") else null),
        # résidence fields, aggregated later
        "commune_insee": (depcom, commune),
        "commune_fichier": (None, parsing.padded(depcom, 5) if depcom else null),
        "adresse": (None, adresse),
        "annee_construction": (construct, parsing.integer(construct) if construct else null),
        "qpv_code": (qpv, f"case when regexp_matches({qpv_up}, '^Q[NP]') then {qpv_up} end"
                     if qpv else null),
        "en_qpv": (qpv, f"case when regexp_matches({qpv_up}, '^Q[NP]') or {qpv_up} in "
                        f"({', '.join(repr(v) for v in QPV_TRUE)}) then true when {qpv_up} in "
                        f"({', '.join(repr(v) for v in QPV_FALSE)}) then false end"
                   if qpv else "cast(null as boolean)"),
        "x": (x, parsing.number(x) if x else "cast(null as double)"),
        "y": (y, parsing.number(y) if y else "cast(null as double)"),
        "epsg": (epsg, parsing.integer(epsg) if epsg else "cast(null as integer)"),
        "lon": (lon, parsing.number(lon) if lon else "cast(null as double)"),
        "lat": (lat, parsing.number(lat) if lat else "cast(null as double)"),
    }
    parts = ["__ligne"]
    labels = {}
    for name, (raw, expr) in select.items():
        raw_sql = raw or null
        if name == "loyer_mensuel" and raw:      # 9999 = « sans objet » in RPLS
            raw_sql = f"case when trim({raw}) in ('9999', '99999') then null else {raw} end"
        parts += [f"{raw_sql} as r__{name}", f"{expr} as {name}"]
        if raw:
            labels[name] = sheet.headers[int(raw[1:])]
    sql = f"create temp table {typed} as select {', '.join(parts)} from {sheet.staging}"
    return sql, labels


LOGEMENT_COLS = ["logement_id", "residence_id", "typologie", "nb_pieces", "surface_m2",
                 "financement", "loyer_mensuel", "etage", "date_mise_en_service", "dpe_energie",
                 "type_construction"]


def _residences(cur, src: str, typed: str) -> None:
    cur.execute(f"""
        create temp table {typed} as
        select min(__ligne) as __ligne, residence_id,
               coalesce(any_value(adresse), 'Patrimoine ' || coalesce((select r.nom from
                        ref_commune r where r.code_insee = commune_insee), commune_insee) || ' ('
                        || coalesce(cast(min(annee_construction) as varchar), 's.d.') || ')')
                   as nom,
               any_value(adresse) as adresse, commune_insee,
               case when commune_insee like '97%' then left(commune_insee, 3)
                    else left(commune_insee, 2) end as departement,
               (select r.epci_siren from ref_commune r where r.code_insee = commune_insee)
                   as epci_siren,
               max(qpv_code) as qpv_code, bool_or(en_qpv) as en_qpv,
               avg(x) as x, avg(y) as y, mode(epsg) as epsg, avg(lon) as longitude,
               avg(lat) as latitude,
               min(annee_construction) as annee_construction
        from {src} where residence_id is not null group by residence_id, commune_insee""")


def targets(cur, sheet: Sheet, problems: Problems, schemas) -> list[Target]:
    """Typed résidence and logement sheets built from an RPLS sheet."""
    for names, label in ((("depcom", "codecom"), "DEPCOM"), (("nbpiece",), "NBPIECE")):
        if not _find(sheet, names):
            problems.add(sheet.where, 1, label, None,
                         f"colonne obligatoire absente d'un fichier RPLS ({label})")
            return []
    row = cur.execute("select valeur from parametre where cle = 'rpls_codes_financement'") \
        .fetchall()
    mapping = json.loads(row[0][0]) if row else {}
    cur.execute("create temp table rpls_finan (code varchar, categorie varchar)")
    if mapping:
        cur.executemany("insert into rpls_finan values (?, ?)",
                        [[str(k).strip().upper(), v] for k, v in mapping.items()])
    src = f"{sheet.staging}_rpls"
    sql, labels = _logement_sql(sheet, src)
    cur.execute(sql)
    cur.execute("drop table rpls_finan")
    where = sheet.where
    present = [c for c in LOGEMENT_COLS
               if c in labels or c in ("logement_id", "residence_id", "financement")]
    check_cells(cur, src, where, "logement", [c for c in present if c in labels],
                schemas["logement"], problems, labels)
    check_cells(cur, src, where, "residence",
                [c for c in ("commune_insee", "annee_construction") if c in labels],
                schemas["residence"], problems, labels)
    _report_finan(cur, src, where, problems)
    res = f"{sheet.staging}_res"
    normalise_communes(cur, src, where, problems, labels.get("commune_insee", "DEPCOM"),
                       raw="commune_fichier")
    _residences(cur, src, res)
    res_present = ["residence_id", "commune_insee", "departement", "epci_siren"] + [
        c for c in ("adresse", "annee_construction") if c in labels or (c == "adresse" and
        cur.execute(f"select count(adresse) from {res}").fetchall()[0][0])]
    located, fill_only = locate(
        cur, res, where, problems, qpv_given="en_qpv" in labels,
        labels={"x": labels.get("x", labels.get("lon", "X")),
                "epsg": labels.get("epsg", "EPSG"), "qpv_code": labels.get("en_qpv", "QPV")})
    res_present += located
    fill_only = ["nom", *[c for c in fill_only if c not in res_present]]
    return [Target(sheet, "residence", res, res_present, fill_only=fill_only,
                   computed_key=True), Target(sheet, "logement", src, present)]


def _report_finan(cur, src: str, where: str, problems: Problems) -> None:
    rows = cur.execute(f"select r__financement, count(*), min(__ligne) from {src} "
                       f"where financement = 'AUTRE' and nullif(trim(r__financement), '') is not "
                       f"null group by all order by 3").fetchall()
    for raw, n, ligne in rows:
        problems.add(where, ligne, "FINAN", raw,
                     f"financement non reconnu pour {n} logement(s), classé AUTRE (ajoutez-le "
                     "au paramètre rpls_codes_financement s'il correspond à PLAI, PLUS, PLS "
                     "ou PLI)", AVERTISSEMENT)
