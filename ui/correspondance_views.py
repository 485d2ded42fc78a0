"""Données › Importer: a file of another system (SNE extract, ERP export, OPS results…)
imported through a column mapping chosen here, previewed by a dry run, saved under a name and
reused (fluxcore.imports.correspondance)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

import fluxcore.imports.correspondance
from fluxcore.errors import FluxcoreError
from fluxcore.formats import accord
from fluxcore.imports import import_uploads
from fluxcore.imports.correspondance import (
    Contenu,
    Correspondance,
    charger,
    cibles,
    deviner_table,
    enregistrer,
    erreurs,
    examiner_octets,
    proposer,
    proposer_valeurs,
    supprimer,
)
from fluxcore.imports.proposition import schema
from fluxcore.imports.spec import SPECS
from ui import auth
from ui.components import show_table
from ui.data import get_db, load
from ui.donnees_views import confirm_import, show_check
from ui.texte import md

NOUVELLE = "Nouvelle correspondance"
AUCUNE = "— (non importée)"
INCHANGEE = "(telle quelle)"


@st.cache_data(max_entries=4, show_spinner=False)
def _contenu(name: str, data: bytes) -> Contenu:
    return examiner_octets(name, data)


def correspondance_panel(path: str) -> None:
    if not auth.peut("importer"):
        return                      # import_panel already says why
    st.divider()
    st.subheader("Fichier d'un autre système (correspondance de colonnes)")
    st.markdown("Extrait SNE, export d'un logiciel de gestion, résultats d'enquête OPS… : "
                "associez ses colonnes à celles d'une table, vérifiez l'aperçu, puis importez. "
                "Enregistrée sous un nom, la correspondance resservira au prochain fichier.")
    db = get_db(path)
    saved = load(path, fluxcore.imports.correspondance.lister)
    if (nxt := st.session_state.pop("corr_choix_suivant", None)) in set(saved["nom"]):
        st.session_state["corr_choix"] = nxt
    choix = st.selectbox("Correspondance", [NOUVELLE, *saved["nom"]], key="corr_choix")
    base = charger(db, choix) if choix != NOUVELLE else None
    rnd = st.session_state.get("corr_round", 0)
    upload = st.file_uploader("Fichier à importer avec cette correspondance",
                              type=["csv", "txt", "xlsx"], key=f"corr_fichier_{rnd}")
    if upload is None:
        _show_saved(db, base, saved)
        return
    data = upload.getvalue()
    try:
        contenu = _contenu(upload.name, data)
    except FluxcoreError as exc:
        st.error(md(str(exc)))
        return
    corr = _mapping(base, contenu, f"corr_{rnd}_{choix}")
    if corr is None:
        return
    with st.spinner("Contrôle du fichier…"):
        check = import_uploads(db, [(upload.name, data)], dry_run=True, correspondance=corr)
    show_check(check, "corr")
    _save(db, corr, f"corr_{rnd}_{choix}")
    confirm_import(db, [(upload.name, data)], check, "corr_round", corr)


def _show_saved(db, base: Correspondance | None, saved: pd.DataFrame) -> None:
    if base is None:
        if len(saved):
            show_table(saved, column_config={
                "nom": "Correspondance", "table_cible": "Table", "nb_colonnes": "Colonnes",
                "nb_valeurs": "Valeurs codées", "modifie_par": "Par",
                "modifie_le": "Modifiée le"})
        return
    rows = [{"cible": t, "en_tete": h, "valeurs": " ; ".join(
        f"{v} → {c}" for v, c in base.valeurs.get(t, {}).items())}
        for t, h in base.colonnes.items()]
    st.caption(f"Table {SPECS[base.table].label} ({base.table}). Déposez un fichier pour "
               "l'importer avec cette correspondance.")
    show_table(pd.DataFrame(rows), column_config={
        "cible": "Colonne de la table", "en_tete": "En-tête du fichier",
        "valeurs": "Valeurs codées"})
    if st.button("Supprimer cette correspondance", key="corr_supprimer"):
        supprimer(db, base.nom, auth.auteur())
        st.toast(f"Correspondance « {md(base.nom)} » supprimée.", icon=":material/delete:")
        st.session_state.pop("corr_choix", None)
        st.rerun()


def _mapping(base: Correspondance | None, contenu: Contenu,
             key: str) -> Correspondance | None:
    """The column and value choices, pre-filled from the saved mapping or a guess."""
    headers = [h for h in contenu.en_tetes if h.strip()]
    tables = list(SPECS)
    default = base.table if base else (deviner_table(headers) or "demande")
    table = st.selectbox("Table cible", tables, index=tables.index(default),
                         key=f"{key}_table", format_func=lambda t: f"{SPECS[t].label} ({t})")
    same = base is not None and base.table == table
    prefill = base.colonnes if same else proposer(table, headers)
    absent = [h for h in prefill.values() if h not in headers]
    if absent:
        st.warning("En-têtes de la correspondance absents de ce fichier : "
                   + ", ".join(f"« {md(h)} »" for h in absent))
    st.caption(f"{len(headers)} colonnes et {contenu.lignes} lignes dans le fichier. Pour "
               "chaque colonne de la table, l'en-tête du fichier qui la remplit ; les colonnes "
               "du fichier non choisies sont ignorées.")
    cols, spec = schema()[table], SPECS[table]
    colonnes: dict[str, str] = {}
    grid = st.columns(3)
    for n, target in enumerate(cibles(table)):
        label = target + (" (identifiant, obligatoire)" if target in spec.key
                          and not cols[target].nullable else " (obligatoire pour une nouvelle "
                          "ligne)" if cols[target].required and target not in spec.derivable
                          else "")
        options = [AUCUNE, *headers]
        pre = prefill.get(target)
        choice = grid[n % 3].selectbox(label, options, key=f"{key}_{table}_col_{target}",
                                       index=options.index(pre) if pre in headers else 0)
        if choice != AUCUNE:
            colonnes[target] = choice
    valeurs = _value_maps(table, colonnes, contenu, base.valeurs if same else {}, key)
    corr = Correspondance(base.nom if base else None, table, colonnes, valeurs)
    if problems := erreurs(corr):
        st.error("Correspondance incomplète : " + " ; ".join(map(md, problems)) + ".")
        return None
    return corr


def _value_maps(table: str, colonnes: dict[str, str], contenu: Contenu,
                saved: dict[str, dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    """A code for each value found in a coded column (saved choices first, then guesses);
    saved maps of other columns and of values absent from this file are kept."""
    valeurs = {t: dict(m) for t, m in saved.items() if t in colonnes}
    enums = {t: a for t, a in SPECS[table].enums.items() if t in colonnes}
    if not enums:
        return valeurs
    st.markdown("**Valeurs codées** : le code du produit que désigne chaque valeur du fichier "
                "(une valeur laissée telle quelle est contrôlée comme dans un fichier "
                "canonique).")
    for target, allowed in enums.items():
        found = contenu.valeurs.get(colonnes[target], [])
        total = contenu.distincts.get(colonnes[target], 0)
        kept = {v: c for v, c in valeurs.get(target, {}).items()
                if v.strip().lower() not in {f.lower() for f in found}}
        by_value = {v.strip().lower(): c for v, c in valeurs.get(target, {}).items()}
        guess = proposer_valeurs(table, target, found)
        st.caption(f"{target} ← « {md(colonnes[target])} » : "
                   f"{accord(len(found), 'valeur', 'valeurs')}"
                   + (f" les plus fréquentes sur {total}" if total > len(found) else ""))
        grid = st.columns(3)
        chosen = {}
        for n, value in enumerate(found):
            options = [INCHANGEE, *allowed]
            pre = by_value.get(value.lower()) or guess.get(value)
            code = grid[n % 3].selectbox(f"« {md(value)} »", options,
                                         index=options.index(pre) if pre in options else 0,
                                         key=f"{key}_{table}_val_{target}_{value}")
            if code != INCHANGEE:
                chosen[value] = code
        valeurs[target] = kept | chosen
    return {t: m for t, m in valeurs.items() if m}


def _save(db, corr: Correspondance, key: str) -> None:
    left, mid, right = st.columns([2, 1, 1], vertical_alignment="bottom")
    nom = left.text_input("Nom de la correspondance", value=corr.nom or "",
                        key=f"{key}_nom")
    if mid.button("Enregistrer la correspondance", key="corr_enregistrer"):
        try:
            new = enregistrer(db, replace(corr, nom=nom.strip()), auth.auteur())
        except FluxcoreError as exc:
            st.error(md(str(exc)))
        else:
            st.toast(f"Correspondance « {md(nom.strip())} » "
                     f"{'enregistrée' if new else 'mise à jour'}.",
                     icon=":material/check_circle:")
            st.session_state["corr_choix_suivant"] = nom.strip()
            st.rerun()
    right.download_button("Télécharger (JSON)", corr.vers_json().encode("utf-8"),
                          f"correspondance_{corr.table}.json", "application/json",
                          key="corr_json")
