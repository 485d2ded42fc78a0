"""Pieces of the Orientation page: dwelling card, ranking table and the reasons."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fluxcore.formats import fmt_date, fmt_int, fmt_num, fmt_signe


def carte_logement(lg: dict) -> None:
    """Dwelling card: what the team needs to know to orient it (no household data)."""
    qpv = f"QPV {lg['qpv'] or lg['qpv_code'] or ''}".strip() if lg["en_qpv"] else "Hors QPV"
    attente = (pd.Timestamp.today().normalize() - pd.Timestamp(lg["date_liberation"])).days
    st.markdown(f"### {lg['typologie']} · {lg['residence']} · {lg['commune']}")
    c = st.columns(4)
    c[0].metric("Surface", f"{fmt_num(lg['surface_m2'])} m²")
    c[1].metric("Loyer mensuel", f"{fmt_int(lg['loyer_mensuel'])} €")
    c[2].metric("Financement", lg["financement"])
    c[3].metric("Vacant depuis", f"{fmt_int(max(attente, 0))} j")
    etage = "rez-de-chaussée" if lg["etage"] == 0 else f"{lg['etage']}e étage"
    ascenseur = "avec ascenseur" if lg["ascenseur"] else "sans ascenseur"
    st.caption(f"Logement {lg['logement_id']} · {etage}, {ascenseur}"
               f"{' · accessible PMR' if lg['accessible_pmr'] else ''} · {qpv} · "
               f"{lg['epci']} · construit en {lg['annee_construction']} · libéré le "
               f"{fmt_date(pd.Timestamp(lg['date_liberation']).date())}")


def table_classement(dest: pd.DataFrame) -> pd.DataFrame:
    """The ranking as French text: the deficit first, then what adjusts it."""
    return pd.DataFrame({
        "Rang": dest["rang"], "Destination": dest["nom"], "Situation": dest["situation"],
        "Déficit (logements)": [fmt_signe(x, 2) for x in dest["deficit"]],
        "Ajustements": [fmt_signe(x, 2) for x in dest["ajustements"]],
        "Déficit ajusté": [fmt_signe(x, 2) for x in dest["score"]]})


def details(dest: pd.DataFrame, comps: pd.DataFrame, top: int = 3) -> None:
    """One expander per destination: its deficit, then each adjustment with its reason."""
    for r in dest.itertuples():
        rows = comps[comps["destinataire"] == r.destinataire]
        title = (f"{r.rang}. {r.nom} — {r.situation}, déficit {fmt_signe(r.deficit, 2)}, "
                 f"ajusté {fmt_signe(r.score, 2)}")
        with st.expander(title, expanded=r.rang <= top):
            st.table(pd.DataFrame({
                "Composante": rows["libelle"],
                "Logements": [fmt_signe(v, 2) if a else "—"
                              for v, a in zip(rows["contribution"], rows["applique"])],
                "Pourquoi": rows["explication"]}).set_index("Composante"))
