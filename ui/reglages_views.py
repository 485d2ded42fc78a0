"""The settings of the Données page: a form with a typed field per setting (numbers with their
unit and bounds, a box for yes/no, a list of choices, small tables for lists and tables of
values), and the table of every setting in French."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

import fluxcore.reglages
from fluxcore.errors import FluxcoreError
from fluxcore.parametres import BY_KEY, get_parametre, set_parametre
from fluxcore.reglages import (
    CHOIX,
    DATES_MM_JJ,
    bornes,
    date_mm_jj,
    libelle,
    noms_cles,
    noms_valeurs,
    texte_valeur,
    unite,
)
from ui import auth
from ui.components import choix_multiple
from ui.data import get_db, load
from ui.texte import md

CLES_LIBRES = {"rpls_codes_financement": ("Code FINAN du fichier RPLS", "Catégorie"),
               "sne_contingent_par_reservataire": ("Réservataire", "Contingent du SNE")}


def settings_editor(path: str) -> None:
    if not auth.peut("parametrer"):
        auth.refus("modifier les paramètres (rôle administrateur)")
        return
    db = get_db(path)
    cles = sorted(BY_KEY, key=lambda c: libelle(c).lower())
    cle = st.selectbox("Paramètre à modifier", cles, key="param_cle", format_func=libelle)
    p = BY_KEY[cle]
    st.caption(f"{p.description} Référence : {p.reference}. (Nom technique : {cle}.)")
    with st.form(f"param_form_{cle}"):
        lire = _champ(path, cle, get_parametre(db, cle))
        envoye = st.form_submit_button("Enregistrer", type="primary")
    if envoye:
        try:
            valeur = lire()
            if valeur == get_parametre(db, cle):
                st.info("Valeur inchangée : rien n'est enregistré.")
                return
            set_parametre(db, cle, valeur)
        except FluxcoreError as exc:
            st.error(md(str(exc)))
        else:
            st.toast(f"« {libelle(cle)} » : {md(texte_valeur(cle, valeur))}.",
                     icon=":material/check_circle:")


def _champ(path: str, cle: str, valeur: Any):
    """Draw the field of `cle`; returns a function reading the value typed (on submit)."""
    key, label = f"param_val_{cle}", libelle(cle)
    if isinstance(valeur, bool):
        v = st.checkbox(label, value=valeur, key=key)
        return lambda: bool(v)
    if cle in CHOIX:
        options = list(CHOIX[cle])
        v = st.selectbox(label, options, index=options.index(valeur) if valeur in options
                         else 0, format_func=CHOIX[cle].get, key=key)
        return lambda: v
    if cle in DATES_MM_JJ:
        v = st.text_input(f"{label} (jour/mois)", value=texte_valeur(cle, valeur),
                          placeholder="JJ/MM", key=key)
        return lambda: date_mm_jj(v)
    if isinstance(valeur, str):
        v = st.text_input(label, value=valeur, key=key)
        return lambda: v.strip()
    if isinstance(valeur, (int, float)):
        return _nombre(cle, label, valeur, key)
    if isinstance(valeur, list):
        return _liste(cle, label, valeur, key)
    if cle in CLES_LIBRES:
        return _table_libre(path, cle, valeur, key)
    return _table(cle, valeur, key)


def _nombre(cle: str, label: str, valeur: float, key: str):
    entier = isinstance(BY_KEY[cle].defaut, int)
    kind = int if entier else float
    low, high = (None if b is None else kind(b) for b in bornes(cle))
    u = unite(cle)
    step = 1 if entier else (0.5 if u == "%" else 0.05)
    v = st.number_input(f"{label} ({u})" if u else label, min_value=low, max_value=high,
                        value=int(valeur) if entier else float(valeur), step=step,
                        format="%d" if entier else "%g", key=key)
    return lambda: int(v) if entier else float(v)


def _liste(cle: str, label: str, valeur: list, key: str):
    if cle == "cotation_criteres_prioritaires":
        noms = noms_cles(cle)
        v = choix_multiple(st, label, list(noms), default=[c for c in valeur if c in noms],
                           format_func=noms.get, key=key, placeholder="Aucun critère")
        return lambda: list(v)
    if cle == "periodes_construction":
        df = pd.DataFrame({"Année de début": pd.Series(valeur, dtype="Int64")})
        config = {"Année de début": st.column_config.NumberColumn(
            min_value=1800, max_value=2100, step=1, format="%d", required=True)}
        edited = st.data_editor(df, key=key, num_rows="dynamic", hide_index=True,
                                column_config=config, width="content")
        return lambda: sorted(int(x) for x in edited["Année de début"].dropna())
    df = pd.DataFrame({"SIREN": pd.Series(valeur, dtype="string")})
    edited = st.data_editor(df, key=key, num_rows="dynamic", hide_index=True,
                            column_config={"SIREN": st.column_config.TextColumn(
                                validate=r"^\d{9}$", help="9 chiffres")}, width="content")
    return lambda: [str(x).strip() for x in edited["SIREN"].dropna() if str(x).strip()]


def _table(cle: str, valeur: dict, key: str):
    """A table of values with fixed keys: the keys named in French, the values editable."""
    noms, valeurs = noms_cles(cle), noms_valeurs(cle)
    df = pd.DataFrame({"Élément": [noms.get(k, k) for k in valeur],
                       "Valeur": list(valeur.values())}, index=list(valeur))
    u = unite(cle)
    if valeurs:
        col = st.column_config.SelectboxColumn(options=list(valeurs), format_func=valeurs.get,
                                               required=True, width="large")
    else:
        entier = all(isinstance(v, int) for v in BY_KEY[cle].defaut.values())
        col = st.column_config.NumberColumn(f"Valeur ({u})" if u else "Valeur", min_value=0,
                                            step=1 if entier else 0.01, required=True,
                                            format="%d" if entier else "localized")
    edited = st.data_editor(df, key=key, hide_index=True, disabled=["Élément"],
                            column_config={"Élément": st.column_config.TextColumn(
                                width="large"), "Valeur": col}, width="stretch")
    entiers = all(isinstance(v, int) for v in BY_KEY[cle].defaut.values())

    def lire() -> dict:
        out = dict(zip(edited.index, edited["Valeur"]))
        if valeurs:
            return {k: str(v) for k, v in out.items()}
        return {k: (int(v) if entiers else float(v)) for k, v in out.items()}
    return lire


def _table_libre(path: str, cle: str, valeur: dict, key: str):
    """A table whose rows are added or removed: a code or a réservataire, and its value."""
    titre_cle, titre_valeur = CLES_LIBRES[cle]
    valeurs = noms_valeurs(cle)
    df = pd.DataFrame({titre_cle: pd.Series(list(valeur), dtype="string"),
                       titre_valeur: pd.Series(list(valeur.values()), dtype="string")})
    if cle == "sne_contingent_par_reservataire":
        res = load(path, fluxcore.reglages.noms_reservataires)
        col_cle = st.column_config.SelectboxColumn(options=list(res), format_func=lambda r:
                                                   res.get(r, r), required=True, width="large")
    else:
        col_cle = st.column_config.TextColumn(required=True, validate=r"^\w{1,4}$")
    edited = st.data_editor(df, key=key, num_rows="dynamic", hide_index=True, width="stretch",
                            column_config={titre_cle: col_cle,
                                           titre_valeur: st.column_config.SelectboxColumn(
                                               options=list(valeurs),
                                               format_func=valeurs.get, required=True)})
    return lambda: {str(k).strip(): str(v) for k, v in zip(edited[titre_cle],
                                                           edited[titre_valeur])
                    if isinstance(k, str) and k.strip() and isinstance(v, str)}


def settings_table(params: pd.DataFrame, projection: bool) -> pd.DataFrame:
    """The settings as shown below the form: name, value, reference, last change (the
    description of the chosen one is above, with the form; projector: name and value)."""
    cols = ["libelle", "valeur"] + ([] if projection else
                                    ["reference", "modifie_le", "modifie_par"])
    return params[cols]


# every column inside the 820 px the page has at 1280 px
COLONNES_PARAMETRES = {
    "libelle": st.column_config.TextColumn("Paramètre", width=265),
    "valeur": st.column_config.TextColumn("Valeur", width=245),
    "reference": st.column_config.TextColumn("Référence", width=135),
    "modifie_le": st.column_config.TextColumn("Modifié le", width=85),
    "modifie_par": st.column_config.TextColumn("Par", width=75)}
