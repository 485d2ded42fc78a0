"""Reference names (communes, EPCI, départements, QPV) copied into the database from data/ref.

Pages and exports join on these tables for labels; real imports of other territories may add
rows. Only the small CSVs are read here (no geometry).
"""

from __future__ import annotations

import pandas as pd

from fluxcore.geo import DEFAULT_REF_DIR


def _csv(name: str, codes: list[str]) -> pd.DataFrame:
    return pd.read_csv(DEFAULT_REF_DIR / name, dtype=dict.fromkeys(codes, str), encoding="utf-8")


def seed_referentiel(cur) -> int:
    """Fill the ref_* tables when empty; returns the number of rows written."""
    if cur.execute("select count(*) from ref_commune").fetchall()[0][0]:
        return 0
    com = _csv("communes.csv", ["code_insee", "code_dep", "siren_epci"])
    epci = _csv("epci.csv", ["siren_epci"])
    qpv = _csv("qpv2024.csv", ["code_qp", "insee_com", "code_dep"])
    frames = {
        "ref_commune": com.rename(columns={"code_dep": "departement", "siren_epci": "epci_siren"})[
            ["code_insee", "nom", "departement", "epci_siren", "population"]],
        "ref_epci": epci.rename(columns={"siren_epci": "epci_siren"})[
            ["epci_siren", "nom", "type"]],
        "ref_departement": com.drop_duplicates("code_dep")[["code_dep", "nom_dep"]].rename(
            columns={"code_dep": "departement", "nom_dep": "nom"}),
        "ref_qpv": qpv.rename(columns={"code_qp": "qpv_code", "lib_qp": "nom",
                                       "insee_com": "communes", "code_dep": "departement"})[
            ["qpv_code", "nom", "communes", "departement"]],
    }
    total = 0
    for table, frame in frames.items():
        cur.register("ref_df", frame)
        cur.execute(f"insert into {table} by name select * from ref_df")
        cur.unregister("ref_df")
        total += len(frame)
    return total
