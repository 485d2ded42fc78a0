"""Données: import, templates, what the database holds, its quality, settings, backup and the
audit log."""

import streamlit as st

import fluxcore.check
import fluxcore.db
import fluxcore.journal
import fluxcore.reglages
from fluxcore.fichier import WalInvalideError
from fluxcore.formats import accord
from fluxcore.journal import TABLES, libelle_table
from ui import state
from ui.components import show_table, stop_on_error
from ui.comptes_views import comptes_panel, onglets
from ui.correspondance_views import correspondance_panel
from ui.data import get_db, load
from ui.donnees_views import backup_panel, import_panel, recovery_panel, templates_panel
from ui.journal_views import journal_panel
from ui.reglages_views import COLONNES_PARAMETRES, settings_editor, settings_table

NIVEAUX = {"ERREUR": "Erreur", "AVERTISSEMENT": "Avertissement"}

st.title("Données")
path, proj = state.db_path(), state.projection()
with stop_on_error():
    try:
        db = get_db(path)
        counts = load(path, fluxcore.db.row_counts)
        report = load(path, fluxcore.check.run_checks)
        params = load(path, fluxcore.reglages.liste_parametres)
        imports = load(path, fluxcore.journal.derniers_imports, 30)
    except WalInvalideError as exc:      # a base that no longer opens: the two ways out
        recovery_panel(path, exc)
        st.stop()

if not proj:
    st.caption(f"Fichier : {path}")
(tab_import, tab_modeles, tab_tables, tab_check, tab_param, tab_backup,
 tab_audit, *tab_comptes) = st.tabs(["Importer", "Modèles", "Contenu", "Qualité des données",
                                     "Paramètres", "Sauvegarde", "Journal d'audit", *onglets()])

with tab_import:
    import_panel(path)
    correspondance_panel(path)

with tab_modeles:
    templates_panel(path)

with tab_tables:
    table = counts.assign(table=counts["table_name"].map(TABLES).fillna(counts["table_name"]))
    show_table(table[["table", "lignes", "table_name"]], max_rows=len(table),
               column_config={"table": "Table", "table_name": "Nom technique",
                                "lignes": "Lignes"})

with tab_check:
    errors = report[(report["niveau"] == "ERREUR") & (report["nombre"] > 0)]
    warnings = report[(report["niveau"] == "AVERTISSEMENT") & (report["nombre"] > 0)]
    if len(errors):
        st.error(f"{accord(len(errors), 'contrôle en erreur', 'contrôles en erreur')} : "
                 "corrigez les données sources puis réimportez-les.")
    elif len(warnings):
        st.warning(f"Aucune erreur ; {accord(len(warnings), 'avertissement', 'avertissements')}"
                   ".")
    else:
        st.success(f"Les {len(report)} contrôles d'intégrité sont satisfaits.")
    shown = report.assign(
        resultat=["Conforme" if n == 0 else NIVEAUX[v] for n, v in
                  zip(report["nombre"], report["niveau"])],
        table=report["table"].map(libelle_table))
    # the examples are identifiers, a demande's among them: not on a projector
    show_table(shown[["resultat", "libelle", "table", "nombre", *([] if proj else ["exemples"])]],
               max_rows=len(shown),
               column_config={"resultat": "Résultat", "libelle": "Contrôle", "table": "Table",
                              "nombre": "Lignes concernées", "exemples": "Exemples"})
    st.subheader("Derniers imports")
    if imports.empty:
        st.info("Aucun import enregistré : la base vient de la démonstration ou d'une "
                "restauration.")
    else:
        show_table(imports, column_config={
            "horodatage": "Date", "file_name": "Fichier", "sheet": "Feuille",
            "table_name": "Table", "rows_inserted": "Ajoutées", "rows_updated": "Modifiées",
            "rows_unchanged": "Inchangées", "imported_by": "Par",
            "empreinte": "Empreinte SHA-256"})

with tab_param:
    settings_editor(path)
    show_table(settings_table(params, proj), max_rows=len(params),
               column_config=COLONNES_PARAMETRES)

with tab_backup:
    backup_panel(path)

with tab_audit:
    journal_panel(path, db.version(), proj)

for tab in tab_comptes:      # administrators only (and the open app, which explains)
    with tab:
        comptes_panel(path)
