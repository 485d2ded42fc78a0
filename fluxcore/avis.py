"""Notice of availability (« avis de mise à disposition ») sent to a réservataire when a
dwelling is oriented to it: the dwelling in words, the deadline to propose candidates, how
many it may propose and whom to contact — never a household's data (docs/avis.md).

The notice is a plain-text e-mail with the same text as a PDF attachment, sent through the
SMTP server of the FLUX_SMTP_* environment variables, or downloaded when none is configured.
Every notice sent, failed or downloaded is a row of `avis` (migration 008) with its audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

import pandas as pd

from fluxcore import courriel, etat
from fluxcore.acces import acteur, exiger
from fluxcore.codes import FINANCEMENTS
from fluxcore.db import Database, audit, default_actor, load_sql
from fluxcore.errors import FluxcoreError
from fluxcore.formats import fmt_date, fmt_date_longue, fmt_num, libelle_destination
from fluxcore.parametres import get_parametres
from fluxcore.pdf import FAMILLE, Document
from fluxcore.regles import DESTINATIONS_BAILLEUR
from fluxcore.suivi.commun import fiche as termes_convention

CANAUX = {"COURRIEL": "Courriel", "TELECHARGEMENT": "Téléchargement"}
STATUTS = {"ENVOYE": "Envoyé", "ECHEC": "Échec", "TELECHARGE": "Téléchargé"}
SANS_ADRESSE = ("adresse électronique du réservataire non renseignée : importez un fichier "
                "des réservataires avec la colonne « email » (page Données).")


class AvisError(FluxcoreError):
    """A notice that cannot be prepared or sent as asked."""


class DestinationInterneError(AvisError):
    """The dwelling stays with the landlord (internal use): there is nobody to notify."""


@dataclass(frozen=True)
class Avis:
    sujet: str
    texte: str                       # plain-text e-mail body, also the PDF's content
    destinataire: str | None         # the réservataire's e-mail address
    reservataire_nom: str
    orientation_id: str
    date_limite: date
    reservataire_id: str = ""
    caracteristiques: tuple[tuple[str, str], ...] = ()
    candidats: str = ""              # the deadline and number of candidates, in words
    contact: str = ""


# -- the notice -----------------------------------------------------------------------------
def _fiche(db: Database, orientation_id: str) -> dict:
    df = db.df(load_sql("avis/fiche"), {"orientation": orientation_id})
    if df.empty:
        raise AvisError(f"Orientation inconnue : « {orientation_id} ».")
    row = {k: (None if not isinstance(v, (list, tuple)) and pd.isna(v) else v)
           for k, v in df.iloc[0].to_dict().items()}
    for k in ("date_orientation", "date_limite", "date_liberation"):
        row[k] = pd.Timestamp(row[k]).date() if row[k] is not None else None
    if row["reservataire_id"] is None:
        dest = row["destinataire"]
        if dest in DESTINATIONS_BAILLEUR:
            raise DestinationInterneError(
                f"Ce logement est orienté vers « {libelle_destination(dest)} », une destination "
                "interne du bailleur : aucun avis de mise à disposition n'est à envoyer.")
        raise AvisError(f"Le destinataire « {dest} » de l'orientation {orientation_id} n'est "
                        "pas un réservataire connu.")
    return row


def _etage(etage, ascenseur) -> str:
    if etage is None:
        texte = "étage non renseigné"
    else:
        etage = int(etage)
        texte = ("rez-de-chaussée" if etage == 0 else f"sous-sol (niveau {etage})" if etage < 0
                 else "1er étage" if etage == 1 else f"{etage}e étage")
    return texte + {True: ", avec ascenseur", False: ", sans ascenseur"}.get(
        None if ascenseur is None else bool(ascenseur), ", ascenseur non renseigné")


def _caracteristiques(f: dict) -> tuple[tuple[str, str], ...]:
    pieces = f" ({int(f['nb_pieces'])} pièces)" if f["nb_pieces"] and f["nb_pieces"] > 1 \
        else " (1 pièce)" if f["nb_pieces"] == 1 else ""
    surface = f["surface_m2"]
    pmr = {True: "accessible aux personnes à mobilité réduite",
           False: "non accessible aux personnes à mobilité réduite"}.get(
        None if f["accessible_pmr"] is None else bool(f["accessible_pmr"]), "non renseignée")
    lieu = ", ".join(x for x in (f["residence"], f["adresse"], f["commune"]) if x)
    qpv = ("non" if not f["en_qpv"] else f"oui ({f['qpv']})" if f["qpv"] else "oui")
    return (("Typologie", f"{f['typologie']}{pieces}"),
            ("Surface habitable", "non renseignée" if surface is None
             else f"{fmt_num(surface, 0 if float(surface).is_integer() else 1)} m²"),
            ("Étage", _etage(f["etage"], f["ascenseur"])), ("Accessibilité", pmr),
            ("Loyer mensuel hors charges", "non renseigné" if f["loyer_mensuel"] is None
             else f"{fmt_num(f['loyer_mensuel'], 2)}\u00a0€"),
            ("Financement", FINANCEMENTS.libelles.get(f["financement"], f["financement"])),
            ("Résidence", lieu),
            ("Quartier prioritaire (QPV)", qpv),
            ("Disponible à partir du", fmt_date(f["date_liberation"])),
            ("Référence", f"logement {f['logement_id']}, orientation {f['orientation_id']}"))


def _delai(f: dict, t: dict) -> tuple[date, str]:
    """The deadline and why: kept on the orientation, else the day of orientation plus the
    delay of the convention under which it was made, else the setting's (the rule's one home:
    sql/suivi/delais.sql, through fluxcore.suivi)."""
    if f["date_limite"] is not None:
        return f["date_limite"], ""
    jours = int(t["delai_jours"])
    source = "" if pd.isna(t["delai_convention"]) else " prévu par votre convention"
    return (f["date_orientation"] + timedelta(days=jours),
            f" (délai de {jours} jour{'s' if jours > 1 else ''}{source}, à compter de la mise "
            f"à disposition du {fmt_date_longue(f['date_orientation'])})")


def preparer_avis(db: Database, orientation_id: str) -> Avis:
    """The notice of `orientation_id`; AvisError for an unknown orientation,
    DestinationInterneError for an internal destination (BAILLEUR, MUTATION…)."""
    f, s = _fiche(db, orientation_id), get_parametres(db)
    t = termes_convention(db, orientation_id)
    limite, pourquoi = _delai(f, t)
    nb = int(t["nb_candidats_max"])
    bailleur = (s["bailleur_nom"] or "").strip()
    contact = (s["bailleur_contact"] or "").strip()
    lieu = f["commune"] or f["residence"]
    caract = _caracteristiques(f)
    candidats = (f"Merci de nous proposer vos candidats au plus tard le "
                 f"{fmt_date_longue(limite)}{pourquoi}. Vous pouvez proposer jusqu'à {nb} "
                 f"candidat{'s' if nb > 1 else ''} pour ce logement.")
    texte = "\n".join([
        "Madame, Monsieur,", "",
        f"{bailleur or 'Le bailleur'} met à votre disposition, au titre de votre convention de "
        "réservation, le logement décrit ci-dessous.", "", "Le logement",
        *(f"- {k} : {v}" for k, v in caract), "", "Proposition de candidats", candidats, "",
        "Contact", contact or "Répondez à l'expéditeur de ce message.", "",
        "L'avis de mise à disposition est joint au format PDF.", "",
        f"{bailleur or 'Le bailleur'}"])
    return Avis(sujet=f"Logement mis à votre disposition : {f['typologie']} à {lieu} – "
                      f"candidats au plus tard le {fmt_date(limite)}",
                texte=texte, destinataire=f["reservataire_email"],
                reservataire_nom=f["reservataire_nom"], orientation_id=f["orientation_id"],
                date_limite=limite, reservataire_id=f["reservataire_id"],
                caracteristiques=caract, candidats=candidats, contact=contact)


def avis_pdf(db: Database, orientation_id: str) -> bytes:
    """The notice as a one-page PDF (fluxcore.pdf conventions)."""
    return _pdf(preparer_avis(db, orientation_id), _bailleur(db))


def _bailleur(db: Database) -> str:
    return (get_parametres(db)["bailleur_nom"] or "").strip()


def _pdf(a: Avis, bailleur: str) -> bytes:
    doc = Document("Avis de mise à disposition d'un logement", pied=bailleur)
    doc.alias_nb_pages()
    doc.add_page()
    doc.entete(f"À l'attention de : {a.reservataire_nom}"
               f"{f' ({a.destinataire})' if a.destinataire else ''}\n{a.sujet}")
    doc.paragraphe(f"{bailleur or 'Le bailleur'} met à votre disposition, au titre de votre "
                   "convention de réservation, le logement décrit ci-dessous.", 10)
    doc.titre_section("Le logement")
    for label, value in a.caracteristiques:
        doc.set_font(FAMILLE, "B", 10)
        doc.cell(62, 5.5, label)
        doc.set_font(FAMILLE, "", 10)
        doc.multi_cell(0, 5.5, value, new_x="LMARGIN", new_y="NEXT")
    doc.titre_section("Proposition de candidats")
    doc.paragraphe(a.candidats, 10)
    doc.titre_section("Contact")
    doc.paragraphe(a.contact or "Répondez à l'expéditeur de l'avis.", 10)
    return bytes(doc.output())


def nom_fichier(orientation_id: str) -> str:
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_"
                   for c in orientation_id)
    return f"avis-mise-a-disposition-{safe}.pdf"


# -- sending and logging --------------------------------------------------------------------
def smtp_configure() -> bool:
    """Whether an SMTP server is configured (fluxcore.courriel: FLUX_SMTP_HOTE is set)."""
    return courriel.configure()


def _message(a: Avis, pdf: bytes, cfg: courriel.ConfigSmtp, bailleur: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = a.sujet
    msg["From"] = formataddr((bailleur, cfg.expediteur)) if bailleur else cfg.expediteur
    msg["To"] = formataddr((a.reservataire_nom, a.destinataire))
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=cfg.expediteur.rpartition("@")[2])
    msg.set_content(a.texte)
    msg.add_attachment(pdf, maintype="application", subtype="pdf",
                       filename=nom_fichier(a.orientation_id))
    return msg


def envoyer_avis(db: Database, orientation_id: str, auteur: str | None = None,
                 smtp: dict | None = None) -> dict:
    """Send the notice (text and PDF attachment) to the réservataire's e-mail address and log
    it; returns the `avis` row, statut ENVOYE or ECHEC (with a French `erreur`). Refused
    (nothing logged) without an address (AvisError) or without SMTP settings
    (courriel.CourrielError).
    `smtp`: settings with the keys of courriel.ConfigSmtp, instead of the environment."""
    exiger(db, "orienter")
    a = preparer_avis(db, orientation_id)
    if a.destinataire is None:
        raise AvisError(f"Envoi impossible : {SANS_ADRESSE}")
    cfg = courriel.config_smtp(smtp)
    bailleur = _bailleur(db)
    try:
        courriel.expedier(cfg, _message(a, _pdf(a, bailleur), cfg, bailleur))
    except Exception as exc:  # a network boundary: every failure is logged, none escapes
        return _journaliser(db, a, "COURRIEL", "ECHEC", auteur,
                            courriel.message_erreur(exc, cfg))
    return _journaliser(db, a, "COURRIEL", "ENVOYE", auteur)


def a_l_orientation(db: Database, orientation_id: str, auteur: str | None = None,
                    smtp: dict | None = None) -> dict:
    """What becomes of the notice once an orientation is recorded (the orientation itself is
    already committed: a failed sending never undoes it). Returns {"issue": code, "message":
    French sentence, "avis": the logged row or None}, code one of
    INTERNE (internal destination: nobody to notify), ENVOYE, ECHEC (logged with its error),
    MANUEL (setting avis_envoi_automatique off), SANS_SMTP (no SMTP server), SANS_ADRESSE
    (the réservataire has no e-mail address) — the last three: to send or download from the
    orientation's dossier. `smtp`: as for envoyer_avis."""
    try:
        a = preparer_avis(db, orientation_id)
    except DestinationInterneError:
        return {"issue": "INTERNE", "avis": None,
                "message": "Destination interne : pas d'avis de mise à disposition."}
    suite = "téléchargez-le ou envoyez-le depuis le dossier du logement."
    if not get_parametres(db)["avis_envoi_automatique"]:
        return {"issue": "MANUEL", "avis": None,
                "message": f"Avis de mise à disposition non envoyé (envoi automatique "
                           f"désactivé) : {suite}"}
    if smtp is None and not smtp_configure():
        return {"issue": "SANS_SMTP", "avis": None,
                "message": f"Envoi par courriel non configuré : {suite}"}
    if a.destinataire is None:
        return {"issue": "SANS_ADRESSE", "avis": None,
                "message": f"Avis non envoyé, {SANS_ADRESSE[:-1]} ; {suite}"}
    row = envoyer_avis(db, orientation_id, auteur, smtp)
    if row["statut"] == "ENVOYE":
        return {"issue": "ENVOYE", "avis": row,
                "message": f"Avis de mise à disposition envoyé à {a.reservataire_nom} "
                           f"({a.destinataire})."}
    return {"issue": "ECHEC", "avis": row,
            "message": f"L'avis n'a pas pu être envoyé ({row['erreur']}) : {suite}"}


def telecharger_avis(db: Database, orientation_id: str, auteur: str | None = None) -> bytes:
    """The notice's PDF, its download logged (TELECHARGE)."""
    exiger(db, "orienter")
    a = preparer_avis(db, orientation_id)
    pdf = _pdf(a, _bailleur(db))
    _journaliser(db, a, "TELECHARGEMENT", "TELECHARGE", auteur)
    return pdf


def _journaliser(db: Database, a: Avis, canal: str, statut: str, auteur: str | None,
                 erreur: str | None = None) -> dict:
    qui = acteur(db, auteur) or default_actor()
    row = {"orientation_id": a.orientation_id, "reservataire_id": a.reservataire_id,
           "cree_le": datetime.now(), "cree_par": qui, "canal": canal,
           "destinataire": a.destinataire, "sujet": a.sujet, "statut": statut, "erreur": erreur}
    with db.transaction("orienter") as cur:
        etat.sans_effet(cur)   # none of etat.SOURCES written
        avis_id = cur.execute(
            f"insert into avis ({', '.join(row)}) values ({', '.join('?' * len(row))}) "
            "returning avis_id", list(row.values())).fetchone()[0]
        audit(cur, qui, "avis.envoi" if canal == "COURRIEL" else "avis.telechargement",
              "avis", str(avis_id), {k: row[k] for k in ("orientation_id", "reservataire_id",
                                                         "destinataire", "statut", "erreur")})
    return {"avis_id": int(avis_id), **row}


def journal_avis(db: Database, orientation_id: str | None = None) -> pd.DataFrame:
    """Logged notices, newest first: the columns of sql/avis/journal.sql, with `horodatage`
    (JJ/MM/AAAA HH:MM), `canal` and `statut` as French labels and their codes kept in
    `code_canal` and `code_statut`."""
    df = db.df(load_sql("avis/journal"), {"orientation": orientation_id})
    df.insert(1, "horodatage", df["cree_le"].dt.strftime("%d/%m/%Y %H:%M"))
    df["code_canal"], df["code_statut"] = df["canal"], df["statut"]
    df["canal"] = df["canal"].map(CANAUX)
    df["statut"] = df["statut"].map(STATUTS)
    return df
