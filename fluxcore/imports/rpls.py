"""An RPLS file (logement-level, RPLS field names) → résidences, logements and the reservation
stock, in the three layouts that really exist (docs/imports.md):
- the current open data (UTF-8 with BOM, quoted `;` fields, `<FIELD>_CODE`/`<FIELD>_LIBELLE`
  pairs such as FINAN_CODE/FINAN_LIBELLE or TYPECONST_LIBELLE, DEPCOM or DEPCOM_CODE, X/Y with
  an EPSG column per row, no dwelling id, no rent): a pair is read by its code, else its label;
- the older open data (ISO-8859-1, FINAN as a number, QPV as 1/2);
- the landlord's own submission (arrêté du 5 janvier 2010: an identity line, then positional
  fields without a header, nomenclatures.RPLS_BAILLEUR): dwelling ids, rents, and the
  `contingent` field, which seeds `reservation_stock`.

- Dwelling id: the répertoire id (IDENT_REP, RPLS_ID…) if present, else the landlord's own id
  (IDENT_INT…). Without either, a dwelling is found again from one year's file to the next by
  its signature: its stable attributes (commune, address, floor, rooms, surface, year of
  construction, type of building, apartment number and building when given). Rows whose
  signature matches dwellings already imported take their ids (in order); the others are new
  (`RPLS-<signature>-<n>`). Each import reports the new, the ambiguous (several identical
  dwellings, more or fewer than before) and the vanished ones (dwellings of the file's communes
  imported from RPLS before and absent now, never deleted): the parc never grows silently.
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
- FINAN: the official nomenclature (nomenclatures.FINAN, codes and labels) gives the category;
  the setting `rpls_codes_financement` overrides it code by code; the file's code is kept in
  `financement_code`. An unknown value is AUTRE with a warning; a file without FINAN too.
- Typology T1…T6 from NBPIECE (6 rooms and more → T6); first letting date from LOCAT (year),
  else CONSTRUCT; LOYERPRINC 9999 means « sans objet ».
"""

from __future__ import annotations

import json

from fluxcore.formats import accord, fmt_int, pluriel
from fluxcore.imports import parsing
from fluxcore.imports.geographie import locate, normalise_communes
from fluxcore.imports.nomenclatures import (
    CONTINGENT,
    FINAN_CATEGORIE,
    TYPECONST,
    code_label,
    finan_code,
)
from fluxcore.imports.problems import AVERTISSEMENT, ERREUR, Problems
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
# Attributes of a dwelling that do not change from one year's file to the next (its signature).
STABLE = ("numappt", "bat", "immeu", "entree", "esc")


def _find(sheet: Sheet, names: tuple[str, ...]) -> str | None:
    """Staging column of the first of `names` the file has: the field itself, or its code
    (`<name>_code`), or its label (`<name>_libelle`) as the current open data writes them."""
    by_name = {normalise(h): f"c{i}" for i, h in enumerate(sheet.headers) if h}
    for n in names:
        for variant in (n, f"{n}_code", f"{n}_libelle"):
            if variant in by_name:
                return by_name[variant]
    return None


def _label(sheet: Sheet, names: tuple[str, ...]) -> str | None:
    """Staging column of the label half of a `_CODE`/`_LIBELLE` pair, if the file has one."""
    by_name = {normalise(h): f"c{i}" for i, h in enumerate(sheet.headers) if h}
    return next((by_name[f"{n}_libelle"] for n in names if f"{n}_libelle" in by_name), None)


def _logement_sql(sheet: Sheet, typed: str) -> tuple[str, dict[str, str]]:
    """CTAS of the typed dwellings; returns it with {target column: RPLS header} labels."""
    f = lambda *names: _find(sheet, names)  # noqa: E731
    depcom, nbpiece, surf = f("depcom", "codecom"), f("nbpiece"), f("surfhab")
    finan, finan_lib = f("finan"), _label(sheet, ("finan",))
    construct, locat = f("construct"), f("locat")
    loyer, etage = f("loyerprinc", "loyer"), f("etage")
    qpv = f("qpv", "plg_qpv", "code_qpv", "qp", "plg_qp24")
    x, y, epsg = f("x"), f("y"), f("epsg", "code_epsg", "srid")
    lon, lat = f("longitude", "lon"), f("latitude", "lat")
    typeconst, contingent = f("typeconst"), f("contingent")
    ident = f(*ID_REP) or f(*ID_INT)
    prog = f(*PROGRAMME)
    addr = [c for c in (f(a) for a in ADDRESS) if c]
    null = "cast(null as varchar)"
    adresse = (f"nullif(trim(regexp_replace(upper(concat_ws(' ', "
               f"{', '.join(f'trim({c})' for c in addr)})), '\\s+', ' ', 'g')), '')"
               if addr else null)
    commune = f"commune_2026({parsing.padded(depcom, 5)})" if depcom else null
    qpv_up = f"regexp_replace(upper(trim({qpv})), '[\\s-]+', '_', 'g')" if qpv else null
    typec = (f"coalesce((select t.code from rpls_typeconst t where t.valeur = "
             f"upper(trim({typeconst}))), nullif(upper(trim({typeconst})), ''))"
             if typeconst else null)
    group = (f"coalesce({'nullif(trim(' + prog + '), ' + repr('') + ')' if prog else null}, "
             f"{adresse}, concat_ws('|', {construct or null}, {qpv_up}, {typec}))")
    stable = [c for c in (f(a) for a in STABLE) if c]
    rooms = parsing.integer(nbpiece, bands=True) if nbpiece else null
    surface = f"cast(round({parsing.number(surf)}, 1) as varchar)" if surf else null
    signature = (f"md5(concat_ws('|', {commune}, {adresse}, "
                 f"{parsing.integer(etage) if etage else null}, "
                 f"{parsing.integer(nbpiece) if nbpiece else null}, {surface}, "
                 f"{parsing.integer(construct) if construct else null}, {typec}"
                 + "".join(f", nullif(upper(trim({c})), '')" for c in stable) + "))")
    finan_raw = (f"coalesce(nullif(trim({finan}), ''), "
                 f"{'nullif(trim(' + finan_lib + '), ' + repr('') + ')' if finan_lib else null})"
                 if finan else null)

    def year(c):
        return (f"case when regexp_full_match(trim({c}), '[0-9]{{4}}') then "
                f"make_date(cast(trim({c}) as integer), 1, 1) else {parsing.date(c)} end")
    select = {
        "logement_id": (ident, parsing.text(ident) if ident else null),
        "signature": (None, signature),
        "residence_id": (prog, f"'R' || {commune} || '-' || substr(md5({group}), 1, 10)"),
        "typologie": (nbpiece, f"case when {rooms} >= 1 then 'T' || least({rooms}, 6) end"
                      if nbpiece else null),
        "nb_pieces": (nbpiece, parsing.integer(nbpiece, bands=True) if nbpiece else null),
        "surface_m2": (surf, parsing.number(surf) if surf else null),
        "financement": (finan, "coalesce((select m.categorie from rpls_finan m where m.valeur "
                               f"= {finan_raw}), 'AUTRE')" if finan else "'AUTRE'"),
        "financement_code": (finan, "(select coalesce(m.code, m.valeur) from rpls_finan m "
                                    f"where m.valeur = {finan_raw})" if finan else null),
        "loyer_mensuel": (loyer, f"case when {parsing.number(loyer)} not in (9999, 99999) then "
                                  f"{parsing.number(loyer)} end" if loyer else null),
        "etage": (etage, f"case when upper(trim({etage})) in ('RDC', 'RC') then 0 else "
                         f"{parsing.integer(etage)} end" if etage else null),
        "date_mise_en_service": (locat or construct, year(locat or construct)
                                 if (locat or construct) else null),
        "dpe_energie": (f("dpeenergie"), f"nullif(upper(trim({f('dpeenergie')})), '')"
                        if f("dpeenergie") else null),
        "type_construction": (typeconst, typec),
        "contingent": (contingent, f"nullif(ltrim(trim({contingent}), '0'), '')"
                       if contingent else null),
        # résidence fields, aggregated later
        "commune_insee": (depcom, commune),
        "commune_fichier": (None, parsing.padded(depcom, 5) if depcom else null),
        "adresse": (None, adresse),
        "annee_construction": (construct, parsing.integer(construct) if construct else null),
        "qpv_code": (qpv, f"case when regexp_matches({qpv_up}, '^Q[NP][0-9A-Z]{{5,8}}$') then "
                          f"{qpv_up} end" if qpv else null),
        "en_qpv": (qpv, f"case when regexp_matches({qpv_up}, '^Q[NP][0-9A-Z]{{5,8}}$') or "
                        f"{qpv_up} in ({', '.join(repr(v) for v in QPV_TRUE)}) or "
                        f"regexp_matches({qpv_up}, '(^|_)(EN|DANS)_(UN_)?QPV') then true "
                        f"when {qpv_up} in ({', '.join(repr(v) for v in QPV_FALSE)}) or "
                        f"regexp_matches({qpv_up}, 'HORS') then false end"
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
        if name in ("financement", "financement_code") and raw:
            raw_sql = finan_raw
        parts += [f"{raw_sql} as r__{name}", f"{expr} as {name}"]
        if raw:
            labels[name] = sheet.headers[int(raw[1:])]
    sql = f"create temp table {typed} as select {', '.join(parts)} from {sheet.staging}"
    return sql, labels


LOGEMENT_COLS = ["logement_id", "residence_id", "typologie", "nb_pieces", "surface_m2",
                 "financement", "financement_code", "signature", "loyer_mensuel", "etage",
                 "date_mise_en_service", "dpe_energie", "type_construction"]


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


def _codes(cur, sheet: Sheet) -> None:
    """Temp tables of the file's FINAN and TYPECONST values with what they mean: the official
    nomenclature, overridden code by code by the setting `rpls_codes_financement`."""
    row = cur.execute("select valeur from parametre where cle = 'rpls_codes_financement'") \
        .fetchall()
    override = {str(k).strip().upper(): v for k, v in (json.loads(row[0][0]) if row else {})
                .items()}
    cur.execute("create or replace temp table rpls_finan (valeur varchar, code varchar, "
                "categorie varchar)")
    finan, finan_lib = _find(sheet, ("finan",)), _label(sheet, ("finan",))
    if finan:
        raw = (f"coalesce(nullif(trim({finan}), ''), nullif(trim({finan_lib}), ''))"
               if finan_lib else f"nullif(trim({finan}), '')")
        values = [r[0] for r in cur.execute(
            f"select distinct {raw} from {sheet.staging} where {raw} is not null").fetchall()]
        rows = []
        for v in values:
            code = finan_code(v)
            key = code_label(v)
            categorie = (override.get(v.strip().upper()) or override.get(code or "")
                         or override.get(key or "") or FINAN_CATEGORIE.get(code or ""))
            rows.append([v, code, categorie])
        if rows:
            cur.executemany("insert into rpls_finan values (?, ?, ?)", rows)
    cur.execute("create or replace temp table rpls_typeconst (valeur varchar, code varchar)")
    typeconst = _find(sheet, ("typeconst",))
    if typeconst:
        values = [r[0] for r in cur.execute(
            f"select distinct upper(trim({typeconst})) from {sheet.staging} "
            f"where nullif(trim({typeconst}), '') is not null").fetchall()]
        rows = [[v, TYPECONST[code_label(v)]] for v in values if code_label(v) in TYPECONST]
        if rows:
            cur.executemany("insert into rpls_typeconst values (?, ?)", rows)


def _check_layout(cur, sheet: Sheet, problems: Problems) -> bool:
    """A headerless file read as the landlord's submission must hold communes and room counts
    where the layout puts them; otherwise it is not that layout."""
    if sheet.identite is None:
        return True
    depcom, nbpiece = _find(sheet, ("depcom",)), _find(sheet, ("nbpiece",))
    n, ok_dep, ok_nb = cur.execute(
        f"select count(*), count(*) filter (where regexp_full_match(trim({depcom}), "
        f"'[0-9]{{4,5}}|2[ABab][0-9]{{3}}')), count(*) filter (where "
        f"{parsing.integer(nbpiece)} between 1 and 20) from {sheet.staging}").fetchall()[0]
    if n and ok_dep >= 0.5 * n and ok_nb >= 0.5 * n:   # a few bad cells are cell errors
        return True
    problems.add(sheet.where, None, None, None,
                 "format non reconnu : le fichier n'a pas d'en-tête et ses champs ne suivent "
                 "pas l'ordre du fichier RPLS transmis par le bailleur (arrêté du 5 janvier "
                 "2010 : ligne d'identité du bailleur puis, par logement, IDENT_REP, IDENT_INT, "
                 "DEPCOM en 3e position, NBPIECE en 23e…). Ajoutez une ligne d'en-tête avec les "
                 "noms des champs RPLS, ou importez-le avec une correspondance de colonnes.")
    return False


def targets(cur, sheet: Sheet, problems: Problems, schemas) -> list[Target]:
    """Typed résidence, logement and reservation-stock sheets built from an RPLS sheet."""
    for names, label in ((("depcom", "codecom"), "DEPCOM"), (("nbpiece",), "NBPIECE")):
        if not _find(sheet, names):
            problems.add(sheet.where, 1, label, None,
                         f"colonne obligatoire absente d'un fichier RPLS ({label})")
            return []
    if not _check_layout(cur, sheet, problems):
        return []
    _codes(cur, sheet)
    src = f"{sheet.staging}_rpls"
    sql, labels = _logement_sql(sheet, src)
    cur.execute(sql)
    where = sheet.where
    _identify(cur, src, where, problems, has_id="logement_id" in labels)
    present = [c for c in LOGEMENT_COLS
               if c in labels or c in ("logement_id", "residence_id", "financement",
                                       "signature")]
    check_cells(cur, src, where, "logement",
                [c for c in present if c in labels and c != "financement_code"],
                schemas["logement"], problems, labels)
    check_cells(cur, src, where, "residence",
                [c for c in ("commune_insee", "annee_construction") if c in labels],
                schemas["residence"], problems, labels)
    _report_finan(cur, src, where, problems, labels.get("financement"))
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
    out = [Target(sheet, "residence", res, res_present, fill_only=fill_only,
                  computed_key=True), Target(sheet, "logement", src, present)]
    if "contingent" in labels:
        out += _stock(cur, sheet, src, problems, labels["contingent"])
    return out


def _identify(cur, src: str, where: str, problems: Problems, has_id: bool) -> None:
    """Ids of dwellings without one, from their signature (module docstring), and the report
    of new, ambiguous and vanished dwellings against those already imported."""
    cur.execute("""
        create or replace temp table rpls_known as
        select l.logement_id, l.signature, r.commune_insee,
               row_number() over (partition by l.signature order by l.logement_id) as rang,
               count(*) over (partition by l.signature) as avant
        from logement l join residence r using (residence_id)
        where l.signature is not null""")
    before = cur.execute("select count(*) from rpls_known where commune_insee in (select "
                         f"distinct commune_insee from {src})").fetchall()[0][0]
    if not has_id:
        cur.execute(f"""
            update {src} t set logement_id = coalesce(k.logement_id,
                'RPLS-' || substr(n.signature, 1, 12) || '-' || n.rang)
            from (select __ligne, signature,
                         row_number() over (partition by signature order by __ligne) as rang
                  from {src}) n
            left join rpls_known k on k.signature = n.signature and k.rang = n.rang
            where t.__ligne = n.__ligne""")
        if before:
            _report_new(cur, src, where, problems)
    if before:
        vanished = cur.execute(
            f"select count(*), min(logement_id) from rpls_known k where commune_insee in "
            f"(select distinct commune_insee from {src}) and not exists (select 1 from {src} "
            f"s where s.logement_id = k.logement_id)").fetchall()[0]
        if vanished[0]:
            un = vanished[0] < 2
            problems.add(where, None, None, vanished[1],
                         f"{accord(vanished[0], 'logement importé', 'logements importés')} "
                         "auparavant dans les communes de ce fichier "
                         + ("n'y figure plus (vendu, démoli, ou décrit autrement ?) : il reste"
                            if un else "n'y figurent plus (vendus, démolis, ou décrits "
                            "autrement ?) : ils restent")
                         + " dans la base, à vérifier", AVERTISSEMENT)
    cur.execute("drop table rpls_known")


def _report_new(cur, src: str, where: str, problems: Problems) -> None:
    rows = cur.execute(f"""
        with f as (select signature, count(*) as n, min(__ligne) as ligne from {src}
                   group by signature),
             k as (select signature, max(avant) as avant from rpls_known group by signature)
        select f.ligne, f.n, coalesce(k.avant, 0) as avant from f left join k using (signature)
        where f.n <> coalesce(k.avant, 0) order by f.ligne""").fetchall()
    new = [(ligne, n) for ligne, n, avant in rows if avant == 0]
    ambiguous = [(ligne, n, avant) for ligne, n, avant in rows if avant > 0]
    total_new = sum(n for _, n in new)
    if new:
        problems.add_many(where, [(ligne, None) for ligne, _ in new[: problems.limit]],
                          len(new), None,
                          "logement sans identifiant absent du parc déjà importé : il sera "
                          "ajouté comme nouveau logement "
                          f"({accord(total_new, 'nouveau logement', 'nouveaux logements')} "
                          "en tout dans ce fichier)", AVERTISSEMENT)
    for ligne, n, avant in ambiguous[: problems.limit]:
        problems.add(where, ligne, None, None,
                     f"{accord(n, 'logement identique', 'logements identiques')} dans le "
                     f"fichier contre {fmt_int(avant)} dans la base "
                     "(même commune, adresse, étage, pièces, surface, année, type) : "
                     "impossible de dire lequel est nouveau ou disparu ; les premiers gardent "
                     "leurs identifiants", AVERTISSEMENT)


def _stock(cur, sheet: Sheet, src: str, problems: Problems, label: str) -> list[Target]:
    """The `contingent` field → reservation_stock rows: each code designates a type of
    réservataire (nomenclatures.CONTINGENT); the réservataire is the one of that type whose
    territory is the dwelling's commune, EPCI or département (or none given), the most
    specific first. Codes with no réservataire, or two equally fitting, are reported."""
    cur.execute("create or replace temp table rpls_contingent (code varchar, type varchar, "
                "pref integer)")
    cur.executemany("insert into rpls_contingent values (?, ?, ?)",
                    [[code, t, i] for code, (_, types) in CONTINGENT.items()
                     for i, t in enumerate(types)])
    stock = f"{sheet.staging}_stock"
    cur.execute(f"""
        create temp table {stock} as
        with d as (
            select s.__ligne, s.logement_id, s.contingent, s.commune_insee,
                   c.epci_siren, c.departement, c.commune_parent
            from {src} s left join ref_commune c on c.code_insee = s.commune_insee
            where s.contingent is not null and s.contingent <> '7' and s.logement_id is not null
        ),
        cand as (
            select d.*, r.reservataire_id, k.pref,
                   case when r.territoire in (d.commune_insee, d.commune_parent) then 0
                        when r.territoire = d.epci_siren then 1
                        when r.territoire = d.departement then 2 else 3 end as portee
            from d join rpls_contingent k on k.code = d.contingent
            join reservataire r on r.type = k.type
            where r.territoire in (d.commune_insee, d.commune_parent, d.epci_siren,
                                   d.departement)
               or (r.territoire is null and r.type not in ('COMMUNE', 'EPCI', 'DEPARTEMENT',
                                                            'REGION'))
        ),
        best as (
            select *, count(*) over (partition by logement_id, pref, portee) as egaux,
                   row_number() over (partition by logement_id order by pref, portee,
                                      reservataire_id) as rang
            from cand
        )
        select d.__ligne, d.logement_id, d.contingent, b.reservataire_id, b.egaux,
               'SUITE' as type_droit, 1 as nb_droits
        from d left join best b on b.logement_id = d.logement_id and b.rang = 1""")
    unknown = cur.execute(
        f"select contingent, count(*), min(__ligne) from {src} where contingent is not null "
        f"and contingent not in (select code from rpls_contingent) and contingent <> '7' "
        f"group by all order by 3").fetchall()
    for code, n, ligne in unknown:
        problems.add(sheet.where, ligne, label, code,
                     f"code de contingent inconnu pour {accord(n, 'logement', 'logements')} : "
                     "attendu 1 à 7 "
                     "(1 État fonctionnaires, 2 État prioritaires, 3 employeurs/Action "
                     "Logement, 4 collectivités/EPCI, 5 État conventions R314-4, 6 autre, "
                     "7 non réservé)", ERREUR)
    missing = cur.execute(
        f"select contingent, count(*), min(__ligne) from {stock} where reservataire_id is null "
        f"and contingent in (select code from rpls_contingent) group by all order by 3"
    ).fetchall()
    for code, n, ligne in missing:
        name, types = CONTINGENT[code]
        problems.add(sheet.where, ligne, label, code,
                     f"contingent « {name} » : aucun réservataire de type "
                     f"{' ou '.join(types)} pour le territoire "
                     + ("du logement ; cette réservation n'est pas reprise" if n < 2 else
                        f"des {fmt_int(n)} logements ; ces réservations ne sont pas reprises")
                     + " dans l'inventaire du stock (créez le réservataire puis réimportez le "
                     "fichier)", AVERTISSEMENT)
    tied = cur.execute(f"select contingent, count(*), min(__ligne) from {stock} "
                       f"where egaux > 1 group by all order by 3").fetchall()
    for code, n, ligne in tied:
        problems.add(sheet.where, ligne, label, code,
                     f"contingent « {CONTINGENT[code][0]} » : plusieurs réservataires "
                     f"conviennent également pour {accord(n, 'logement', 'logements')} ; le "
                     "premier par identifiant est retenu, précisez leurs territoires",
                     AVERTISSEMENT)
    cur.execute(f"delete from {stock} where reservataire_id is null")
    cur.execute("drop table rpls_contingent")
    return [Target(sheet, "reservation_stock", stock,
                   ["logement_id", "reservataire_id", "type_droit", "nb_droits"])]


def _report_finan(cur, src: str, where: str, problems: Problems, label: str | None) -> None:
    if label is None:
        n = cur.execute(f"select count(*) from {src}").fetchall()[0][0]
        problems.add(where, 1, "FINAN", None,
                     "pas de colonne FINAN (financement) : "
                     f"{accord(n, 'logement classé', 'logements classés')} AUTRE ; ajoutez la "
                     f"colonne FINAN ou FINAN_CODE pour {pluriel(n, 'le', 'les')} classer en "
                     "PLAI, PLUS, PLS ou PLI", AVERTISSEMENT)
        return
    rows = cur.execute(f"select r__financement, count(*), min(__ligne) from {src} "
                       f"where nullif(trim(r__financement), '') is not null and "
                       f"r__financement not in (select valeur from rpls_finan where categorie "
                       f"is not null) group by all order by 3").fetchall()
    for raw, n, ligne in rows:
        problems.add(where, ligne, label, raw,
                     "financement inconnu de la nomenclature RPLS pour "
                     f"{accord(n, 'logement', 'logements')}, classé AUTRE (ajoutez-le au "
                     "paramètre rpls_codes_financement s'il correspond à PLAI, PLUS, PLS ou "
                     "PLI)", AVERTISSEMENT)
