"""Blocks of the Données page: import with preview and report, templates, backup and
restore (settings: ui.reglages_views; journal: ui.journal_views)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from fluxcore.backup import (
    backup_database,
    describe_backup,
    recuperer_sans_wal,
    restore_database,
)
from fluxcore.copies import etat_sauvegardes, resume
from fluxcore.errors import FluxcoreError
from fluxcore.exports import dictionary, template_csv_zip, template_xlsx
from fluxcore.fichier import WalInvalideError
from fluxcore.formats import accord, fmt_int
from fluxcore.imports import Correspondance, ImportResult, import_uploads, summary
from fluxcore.neutralisation import csv
from fluxcore.planification import lire_reglages
from fluxcore.simulation import modele_stocke
from ui import auth, state
from ui.components import Numeric, show_table
from ui.data import get_db, release_db
from ui.tables import sans_menages
from ui.texte import md
from ui.theme import uploader_css
from web import taches

COUNT_COLUMNS = {"fichier": "Fichier", "feuille": "Feuille", "table": "Table",
                 "lignes": "Lignes", "inseres": "Ajoutées", "modifies": "Modifiées",
                 "inchanges": "Inchangées"}
REPORT_COLUMNS = {"niveau": "Niveau", "fichier": "Fichier", "ligne": "Ligne",
                  "colonne": "Colonne", "valeur": "Valeur", "probleme": "Problème"}


def import_panel(path: str) -> None:
    if not auth.peut("importer"):
        auth.refus("importer des données (rôle administrateur)")
        return
    st.markdown("Déposez un ou plusieurs fichiers : CSV (`;`, `,` ou tabulation ; UTF-8, "
                "Windows-1252 ou UTF-16), classeur XLSX (une feuille par table) ou fichier RPLS "
                "(open data, ancien ou actuel, ou fichier transmis par le bailleur). Rien n'est "
                "écrit avant votre confirmation, et rien du tout si une seule erreur est "
                "trouvée.")
    st.html(uploader_css())
    if done := st.session_state.pop("import_done", None):
        st.success(done)
    files = st.file_uploader("Fichiers à importer", type=["csv", "txt", "xlsx"],
                             accept_multiple_files=True,
                             key=f"import_files_{st.session_state.get('import_round', 0)}")
    if not files:
        return
    uploads = [(f.name, f.getvalue()) for f in files]
    db = get_db(path)
    with st.spinner("Contrôle des fichiers…"):
        check = import_uploads(db, uploads, dry_run=True)
    show_check(check, "import")
    confirm_import(db, uploads, check, "import_round")


def show_check(check: ImportResult, key: str) -> None:
    """A dry run's counts, previews, verdict and report (`key`: prefix of widget keys)."""
    report = check.problems.frame()
    if len(check.counts):
        counts = check.counts.assign(feuille=check.counts["feuille"].fillna("—"))
        show_table(counts.rename(columns=COUNT_COLUMNS))
    proj = state.projection()
    for name, frame in check.previews.items():
        with st.expander(f"Aperçu : {md(name)}"):    # a file name: text, never Markdown
            # no household id nor household detail on a projector
            show_table(sans_menages(frame) if proj else frame, max_rows=10, column_config={
                c: Numeric(grouped=False) for c in frame.columns if str(c).startswith("annee")})
    if not check.ok:
        st.error(f"{accord(check.problems.errors, 'erreur', 'erreurs')} : corrigez les fichiers "
                 "puis déposez-les "
                 "de nouveau. La base n'a pas été modifiée.")
    elif check.problems.warnings:
        st.warning(f"{accord(check.problems.warnings, 'avertissement', 'avertissements')} : "
                   "l'import reste possible.")
    if len(report):
        shown = report.drop(columns=["valeur"]) if proj else report   # a value may be an id
        show_table(shown.rename(columns=REPORT_COLUMNS),
                   column_config={"Problème": st.column_config.TextColumn(width="large")})
        st.download_button("Télécharger le rapport (CSV)",
                           csv(report, index=False, sep=";").encode("utf-8-sig"),
                           "rapport_import.csv", "text/csv", key=f"{key}_rapport")


def confirm_import(db, uploads: list[tuple[str, bytes]], check: ImportResult, round_key: str,
                   correspondance: Correspondance | None = None) -> None:
    """The confirmation button of a successful dry run: import for real, then start over
    (`round_key` renews the file uploader)."""
    label = summary(check).replace("Contrôle réussi (rien n'est écrit)", "Confirmer l'import")
    if check.ok and st.button(label, type="primary", key=f"{round_key}_confirmer"):
        bar = st.progress(0.0, text="Import…")
        # on the server, its scheduled work refits the simulator's model after the import:
        # the user does not wait for it
        fond = taches.en_service(str(db.path))
        done = import_uploads(db, uploads, progress=lambda f, m: bar.progress(f, text=m),
                              correspondance=correspondance, modele=not fond)
        if done.applied and fond and not taches.reestimer_modeles(str(db.path)):
            modele_stocke.rafraichir_sans_echec(db, action="importer")   # it stopped meanwhile
        if done.applied:
            st.session_state["import_done"] = summary(done)
            st.session_state[round_key] = st.session_state.get(round_key, 0) + 1
            st.rerun()
        st.error(md(summary(done)))


def templates_panel(path: str) -> None:
    db = get_db(path)
    st.markdown("Les modèles reprennent exactement les colonnes attendues ; la feuille README "
                "du classeur décrit chaque colonne (type, valeurs admises, source conseillée).")
    left, right = st.columns(2)
    left.download_button("Modèles CSV (ZIP)", lambda: template_csv_zip(db), "modeles_import.zip",
                         "application/zip", width="stretch")
    right.download_button("Modèle XLSX (une feuille par table)", lambda: template_xlsx(db),
                          "modele_import.xlsx", width="stretch",
                          mime="application/vnd.openxmlformats-officedocument."
                               "spreadsheetml.sheet")
    dico = dictionary(db)
    show_table(dico, column_config={"table": "Table", "colonne": "Colonne",
                                "obligatoire": "Obligatoire", "regle": "Règle",
                                "source": "Source conseillée"})


def backup_panel(path: str) -> None:
    if not auth.peut("sauvegarder"):
        auth.refus("sauvegarder ou restaurer la base (rôle administrateur)")
        return
    db = get_db(path)
    scheduled_backups(path)
    st.markdown("La sauvegarde est une copie complète et cohérente de la base (données, "
                "paramètres, journal d'audit, scénarios).")
    if st.button("Préparer une sauvegarde"):
        with tempfile.TemporaryDirectory() as folder:
            try:
                out = backup_database(db, Path(folder) / "sauvegarde.duckdb")
                st.session_state["backup_bytes"] = out.read_bytes()
            except FluxcoreError as exc:     # disk full, unreadable copy…: nothing written
                st.error(md(str(exc)))
    if "backup_bytes" in st.session_state:
        st.download_button("Télécharger la sauvegarde", st.session_state["backup_bytes"],
                           "sauvegarde_flux.duckdb", "application/octet-stream")
    st.divider()
    upload = st.file_uploader("Restaurer depuis une sauvegarde (.duckdb)", type=["duckdb"],
                              key="restore_file")
    if upload is None:
        return
    _restore_upload(path, upload, "Restaurer", "restore_go",
                    "Je confirme remplacer toute la base actuelle par cette sauvegarde.")


def scheduled_backups(path: str) -> None:
    """The server's scheduled backups of this base (fluxcore.copies.etat_sauvegardes)."""
    st.subheader("Sauvegardes planifiées du serveur")
    lignes, messages = resume(etat_sauvegardes(path, lire_reglages()))
    show = {"error": st.error, "warning": st.warning, "info": st.info}
    for niveau, texte in messages:
        show[niveau](texte)
    show_table(pd.DataFrame(lignes, columns=["element", "valeur"]), max_rows=len(lignes),
               column_config={"element": "Élément", "valeur": st.column_config.TextColumn(
                   "État", width="large")})
    st.caption("Réglages : FLUX_SAUVEGARDES, FLUX_SAUVEGARDE_HEURES, FLUX_SAUVEGARDES_GARDER, "
               "FLUX_COPIE_LECTURE_MINUTES (environnement du serveur) ; restauration pas à pas "
               "dans docs/sauvegardes.md.")
    st.subheader("Sauvegarde à la demande")


def _restore_upload(path: str, upload, button: str, key: str, confirm: str | None = None
                    ) -> None:
    """Check an uploaded backup, say what it holds, and restore it once confirmed."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "restauration.duckdb"
        try:
            source.write_bytes(upload.getvalue())
        except OSError as exc:
            st.error(f"Impossible d'enregistrer la sauvegarde reçue : {exc.strerror or exc}. "
                     "Rien n'a été restauré.")
            return
        try:
            info = describe_backup(source)
        except FluxcoreError as exc:
            st.error(md(str(exc)))
            return
        lignes = ", ".join(f"{fmt_int(n)} {t}" for t, n in info["lignes"].items())
        st.info(f"Sauvegarde vérifiée : schéma {info['version']}, dernier événement le "
                f"{info['dernier_evenement']:%d/%m/%Y à %H:%M} : {lignes}.")
        sure = st.checkbox(confirm, key=f"{key}_ok") if confirm else True
        if st.button(button, type="primary", disabled=not sure, key=key):
            release_db(path)
            try:
                restore_database(path, source, utilisateur=auth.utilisateur())
            except FluxcoreError as exc:
                st.error(md(str(exc)))
                return
            finally:
                st.cache_data.clear()
            st.toast("Base restaurée.", icon=":material/check_circle:")
            st.rerun()


def recovery_panel(path: str, exc: WalInvalideError) -> None:
    """The error screen of a base whose WAL cannot be replayed: the two ways out."""
    st.error(md(str(exc)))
    if not auth.peut("sauvegarder"):
        auth.refus("réparer la base (rôle administrateur)")
        return
    st.subheader("Réparer la base")
    perte = fmt_int(exc.taille_wal)
    st.markdown(f"**Ouvrir sans le journal** : le journal écarté ({perte} octets) contient les "
                "écritures faites depuis le dernier point de contrôle ; elles seront perdues. "
                "Les deux fichiers d'origine restent dans le dossier `recuperation/`.")
    sure = st.checkbox(f"J'accepte de perdre les écritures de ce journal ({perte} octets).",
                       key="recup_sans_wal_ok")
    if st.button("Ouvrir sans le journal", disabled=not sure, key="recup_sans_wal"):
        release_db(path)
        try:
            recuperer_sans_wal(path, utilisateur=auth.utilisateur())
        except FluxcoreError as err:
            st.error(md(str(err)))
            return
        st.cache_data.clear()
        st.rerun()
    st.markdown("**Ou restaurer la dernière sauvegarde vérifiée** (elle remplace toute la "
                "base) :")
    upload = st.file_uploader("Sauvegarde (.duckdb)", type=["duckdb"], key="recup_file")
    if upload is not None:
        _restore_upload(path, upload, "Restaurer cette sauvegarde", "recup_restaurer")
