"""Reference names (communes, arrondissements, old codes, EPCI, départements, QPV) copied into
the database from data/ref, for joins, labels and the commune_mere / commune_2026 macros.

The ref_* tables are refilled whenever data/ref changes (ref_version holds a digest of the
files they come from). Only the small CSVs are read here (no geometry).
"""

from __future__ import annotations

import functools
import hashlib

import pandas as pd

from fluxcore.formats import de_commune, de_departement
from fluxcore.geo import DEFAULT_REF_DIR, load_reference, noms_departements

_SOURCES = ("communes.csv", "communes_anciens_codes.csv", "epci.csv", "qpv2024.csv")


@functools.lru_cache(maxsize=1)
def reference_version() -> str:
    """Digest of the vendored files the ref_* tables are filled from."""
    h = hashlib.sha256()
    for name in _SOURCES:
        h.update(name.encode() + b"\0" + (DEFAULT_REF_DIR / name).read_bytes())
    return h.hexdigest()[:16]


def _frames() -> dict[str, pd.DataFrame]:
    ref = load_reference()
    com = ref.communes
    return {
        "ref_commune": pd.DataFrame({
            "code_insee": com["code_insee"], "nom": com["nom"], "departement": com["code_dep"],
            "epci_siren": com["siren_epci"].replace("", None),
            "population": pd.to_numeric(com["population"]).astype("Int64"),
            "type": com["type"].map({"commune-actuelle": "COMMUNE",
                                     "arrondissement-municipal": "ARRONDISSEMENT"}),
            "commune_parent": com["commune_parent"].replace("", None),
            "longitude": com["lon"], "latitude": com["lat"]}),
        "ref_commune_ancien": pd.DataFrame({"code_ancien": ref.anciens.index,
                                            "code_insee": ref.anciens.to_numpy()}),
        "ref_epci": ref.epci.rename(columns={"siren_epci": "epci_siren"})[
            ["epci_siren", "nom", "type"]],
        "ref_departement": com.drop_duplicates("code_dep")[["code_dep", "nom_dep"]].rename(
            columns={"code_dep": "departement", "nom_dep": "nom"}),
        "ref_qpv": ref.qpv.rename(columns={"code_qp": "qpv_code", "lib_qp": "nom",
                                           "insee_com": "communes", "code_dep": "departement"})[
            ["qpv_code", "nom", "communes", "departement", "departements"]],
    }


def seed_referentiel(cur) -> int:
    """Fill the ref_* tables when they were filled from another data/ref (or never); returns
    the number of rows written (0 when they are up to date)."""
    version = reference_version()
    done = cur.execute("select max(version) from ref_version").fetchall()[0][0]
    if done == version:
        return 0
    total = 0
    for table, frame in _frames().items():
        cur.execute(f"delete from {table}")
        cur.register("ref_df", frame)
        cur.execute(f"insert into {table} by name select * from ref_df")
        cur.unregister("ref_df")
        total += len(frame)
    cur.execute("delete from ref_version")
    cur.execute("insert into ref_version values (?, current_timestamp)", [version])
    return total


_USED = {
    "ref_commune": ("code_insee", "select commune_insee from residence union select "
                    "commune_mere(commune_insee) from residence union select perimetre from "
                    "convention union select territoire from reservataire"),
    "ref_epci": ("epci_siren", "select epci_siren from residence union select perimetre from "
                 "convention union select territoire from reservataire"),
}


def noms(db, table: str, codes=None) -> pd.Series:
    """Names of reference rows (index: code): those of `codes`, or, without codes, those the
    base uses (résidences, convention perimeters, réservataire territories). The reference
    holds the whole country: never load all of it for a few labels."""
    key, used = _USED[table]
    if codes is None:
        df = db.df(f"select {key}, nom from {table} where {key} in ({used})")
    else:
        df = db.df(f"select {key}, nom from {table} where {key} in (select unnest(?))",
                   [[str(c) for c in pd.unique(pd.Series(codes).dropna())]])
    return df.set_index(key)["nom"]


def libelle_perimetre(perimetre: str | None, departement: str | None,
                      noms_perimetres: dict[str, str]) -> str:
    """A convention's perimeter in words: « Commune de Reims », « Commune d'Épernay », « CU du
    Grand Reims » (an EPCI's name says what it is), « Tout le département de la Marne » (no
    perimeter). `noms_perimetres`: names of the communes and EPCI (noms_de_perimetres)."""
    if perimetre is None or pd.isna(perimetre) or str(perimetre).strip() == "":
        nom = noms_departements().get(str(departement)) if departement else None
        if nom is None:
            return "Tout le département"
        return f"Tout le département {de_departement(departement, nom)}"
    code = str(perimetre)
    nom = noms_perimetres.get(code)
    if len(code) == 9 and code.isdigit():          # a SIREN: an EPCI
        return nom or f"EPCI (SIREN {code})"
    return f"Commune {de_commune(code, nom)}" if nom else f"Commune (code INSEE {code})"


def noms_de_perimetres(db, codes) -> dict[str, str]:
    """Names of the communes (INSEE) and EPCI (SIREN) among `codes`."""
    codes = [str(c) for c in pd.unique(pd.Series(list(codes), dtype=object).dropna())]
    return {**noms(db, "ref_commune", codes).to_dict(), **noms(db, "ref_epci", codes).to_dict()}


def libelles_perimetres(db, perimetres, departements) -> list[str]:
    """libelle_perimetre of each (perimetre, departement) pair, names read once."""
    perimetres, departements = list(perimetres), list(departements)
    table = noms_de_perimetres(db, [p for p in perimetres if isinstance(p, str)])
    return [libelle_perimetre(p, d, table) for p, d in zip(perimetres, departements)]
