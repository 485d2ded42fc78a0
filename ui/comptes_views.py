"""Données › Comptes: the administrator manages the accounts of the users file (fluxcore.comptes,
docs/comptes.md). Names typed by people (accounts, réservataires) are shown as text: in
tables, widgets' options or escaped, never read as Markdown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fluxcore import comptes
from fluxcore.acces import OUVERT, ROLES, VARIABLE
from fluxcore.errors import FluxcoreError
from ui import auth, state
from ui.components import show_table
from ui.data import get_db

ONGLET = "Comptes"
_ANNONCE = "comptes_annonce"     # (message, login, generated password or None): shown once
_MARKDOWN = set("\\`*_{}[]()#+-.!|<>~$:=^&\"'")
SANS_COMPTES = (
    f"L'application tourne sans comptes ({VARIABLE}={OUVERT}, ou aucun fichier des comptes) : "
    "tout visiteur a les droits d'administration. Pour réserver l'accès à l'équipe, créez un "
    "premier compte administrateur en ligne de commande, donnez le chemin du fichier à "
    f"{VARIABLE}, puis relancez l'application : les comptes se gèrent ensuite ici.")


def texte(value) -> str:
    """`value` as literal text inside Markdown (each Markdown sign escaped, one line)."""
    s = " ".join(str(value).split())
    return "".join("\\" + c if c in _MARKDOWN else c for c in s)


def onglets() -> list[str]:
    """["Comptes"] for an administrator or the open app (which explains), else []."""
    user = auth.utilisateur()
    return [ONGLET] if user is None or user.role == "admin" else []


def comptes_panel(path: str) -> None:
    conf = auth.configuration()
    if conf.mode is None:
        st.info(SANS_COMPTES, icon=":material/group:")
        st.code(f"python -m fluxcore utilisateur --fichier /srv/flux/utilisateurs.toml "
                f"--login ines --role admin\nexport {VARIABLE}=/srv/flux/utilisateurs.toml",
                language="bash")
        return
    if state.projection():
        st.info("Mode projection : la liste des comptes n'est pas affichée.")
        return
    oidc = conf.mode == "oidc"
    st.caption(f"Fichier des comptes : {texte(conf.fichier)} (lisible par son propriétaire "
               "seul). " + ("Connexion OIDC : l'e-mail désigne le compte, les rôles sont "
                            "gérés ici ; les mots de passe sont sans objet." if oidc else ""))
    _annonce()
    try:
        db = get_db(path)
        df = comptes.liste_comptes(db, conf.fichier)
        noms = comptes.reservataires(db)
    except FluxcoreError as exc:
        st.error(texte(exc))
        return
    _tableau(df)
    _creation(db, conf.fichier, oidc, noms)
    if len(df):
        _modification(db, conf.fichier, oidc, df, noms)


def _annonce() -> None:
    """The last action's message, and a generated password, shown this once."""
    annonce = st.session_state.pop(_ANNONCE, None)
    if annonce is None:
        return
    message, login, mot_de_passe = annonce
    st.success(texte(message), icon=":material/check:")
    if mot_de_passe:
        st.warning(f"Mot de passe du compte « {texte(login)} » : notez-le maintenant et "
                   "transmettez-le par un canal sûr. Il ne sera plus jamais affiché et n'est "
                   "enregistré nulle part en clair.", icon=":material/key:")
        st.code(mot_de_passe, language=None)


def _faire(action, message: str, *args, **kwargs) -> None:
    """Run a fluxcore operation; on success, announce it on the next run."""
    try:
        out = action(*args, **kwargs)
    except FluxcoreError as exc:
        st.error(texte(exc))
        return
    mot_de_passe = getattr(out, "mot_de_passe", None)
    login = getattr(getattr(out, "utilisateur", out), "login", "")
    st.session_state[_ANNONCE] = (message, login, mot_de_passe)
    st.rerun()


def _tableau(df: pd.DataFrame) -> None:
    if df.empty:
        st.info("Aucun compte dans le fichier.")
        return
    shown = df.assign(actif=df["actif"].map({True: "Oui", False: "Non (désactivé)"}))
    show_table(shown[["login", "nom", "role_libelle", "reservataire", "email", "actif"]],
               max_rows=len(shown),
               column_config={"login": "Identifiant", "nom": "Nom", "role_libelle": "Rôle",
                              "reservataire": "Réservataire", "email": "E-mail",
                              "actif": "Actif"})


def _nom_reservataire(noms: dict[str, str]):
    return lambda rid: "—" if rid is None else f"{noms.get(rid, rid)} ({rid})"


def _creation(db, fichier, oidc: bool, noms: dict[str, str]) -> None:
    st.subheader("Créer un compte")
    with st.form("comptes_creer"):
        c1, c2 = st.columns(2)
        login = c1.text_input("Identifiant", key="comptes_login",
                              help="Lettres sans accent, chiffres, - et _.")
        nom = c2.text_input("Nom affiché", key="comptes_nom")
        role = c1.selectbox("Rôle", list(ROLES), format_func=ROLES.get, key="comptes_role")
        rid = c2.selectbox("Réservataire (rôle réservataire seulement)", [None, *noms],
                           format_func=_nom_reservataire(noms), key="comptes_reservataire")
        email = c1.text_input("E-mail" + (" (celui de la connexion OIDC)" if oidc else
                                          " (facultatif)"), key="comptes_email")
        mdp = None if oidc else c2.text_input(
            "Mot de passe", type="password", key="comptes_mdp",
            help=f"{comptes.MOT_DE_PASSE_MIN} caractères au moins ; laissez vide pour en "
                 "générer un, affiché une seule fois.")
        if st.form_submit_button("Créer le compte", type="primary"):
            _faire(comptes.creer_compte, f"Compte « {login.strip()} » créé.", db, fichier,
                   login, role, nom=nom, email=email, reservataire_id=rid,
                   mot_de_passe=mdp, oidc=oidc)


def _modification(db, fichier, oidc: bool, df: pd.DataFrame, noms: dict[str, str]) -> None:
    st.subheader("Modifier un compte")
    lignes = {r["login"]: r for r in df.to_dict("records")}
    login = st.selectbox("Compte", list(lignes), key="comptes_choisi",
                         format_func=lambda k: f"{k} — {lignes[k]['nom']}")
    row = lignes[login]
    st.text(f"{row['nom']} : {row['role_libelle'].lower()}"
            + (f" ({row['reservataire']})" if row["reservataire"] else "")
            + (", actif." if row["actif"] else ", désactivé : il ne peut pas se connecter."))
    c1, c2 = st.columns(2)
    with c1.form(f"comptes_role_{login}"):
        roles = list(ROLES)
        role = st.selectbox("Nouveau rôle", roles, index=roles.index(row["role"]),
                            format_func=ROLES.get)
        options = [None, *noms]
        rid = st.selectbox("Réservataire (rôle réservataire seulement)", options,
                           index=options.index(row["reservataire_id"])
                           if row["reservataire_id"] in options else 0,
                           format_func=_nom_reservataire(noms))
        if st.form_submit_button("Changer le rôle"):
            _faire(comptes.changer_role, f"Rôle du compte « {login} » : {ROLES[role].lower()}.",
                   db, fichier, login, role, reservataire_id=rid)
    with c2:
        if row["actif"]:
            if st.button("Désactiver le compte", key="comptes_desactiver",
                         help="Il ne peut plus se connecter ; ses sessions ouvertes se ferment."):
                _faire(comptes.desactiver_compte, f"Compte « {login} » désactivé.", db, fichier,
                       login)
        elif st.button("Réactiver le compte", key="comptes_reactiver"):
            _faire(comptes.reactiver_compte, f"Compte « {login} » réactivé.", db, fichier,
                   login)
        if not oidc and st.button(
                "Réinitialiser le mot de passe", key="comptes_reinitialiser",
                help="Un nouveau mot de passe est généré et affiché une seule fois ; les "
                     "sessions ouvertes du compte se ferment."):
            _faire(comptes.reinitialiser_mot_de_passe,
                   f"Mot de passe du compte « {login} » réinitialisé.", db, fichier, login)
