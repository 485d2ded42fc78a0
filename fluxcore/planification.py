"""The server's scheduled work, run by web/taches.py every minute (docs/sauvegardes.md):

- backups every FLUX_SAUVEGARDE_HEURES hours (default 24) into FLUX_SAUVEGARDES, named with
  their date-time, each one verified by opening it again (verifier_sauvegarde); the oldest
  beyond FLUX_SAUVEGARDES_GARDER (default 14) are then removed, never the one just verified,
  never a file that is not a scheduled backup. Without FLUX_SAUVEGARDES, none (a warning);
- the read copy `<dossier>/lecture.duckdb`, refreshed after a write at most every
  FLUX_COPIE_LECTURE_MINUTES minutes (default 10): what read-only commands read while the
  application holds the base (fluxcore.copies);
- the daily purge of personal data (fluxcore.retention.purger), on a team server, only once a
  verified scheduled backup is on record (never without FLUX_SAUVEGARDES); off in the open
  demo (no accounts), whose history would otherwise go at the first round.
  FLUX_PURGE_PLANIFIEE=oui|non says it explicitly;
- the simulator's vacancy model (fluxcore.simulation.modele_stocke), refitted at the first
  round and once a day when its inputs changed: after an upgrade of the software (the fit's
  code is part of its fingerprint) or on 1 January (the simulator opens on a new year), and
  at once when asked after an import made in the app (web.taches.reestimer_modeles); an import
  from the command line refits it itself.

A task that fails (disk full…) is written on stderr and in the audit log, never stops the
server, and is tried again a period later. Everything here is plain Python: the clock, the
opening of the base and the purge are injected, and `tour()` runs once what is due.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from fluxcore import acces, copies, etat
from fluxcore.backup import (
    backup_database,
    copie_de_lecture,
    fichier_empreinte,
    verifier_sauvegarde,
)
from fluxcore.db import Database, audit, partagee
from fluxcore.errors import DatabaseError, DatabaseLockedError, FluxcoreError
from fluxcore.formats import accord

AUTEUR = "planificateur"
ESSAI_PURGE = timedelta(hours=1)       # a failed purge is tried again an hour later

# variable → (default, bounds, unit in messages)
VARIABLES = {
    "FLUX_SAUVEGARDE_HEURES": (24.0, 0.25, 8760.0, "un nombre d'heures entre 0,25 et 8 760 "
                               "(ex. 24, 12 ou 0,5)"),
    "FLUX_SAUVEGARDES_GARDER": (14, 1, 10_000, "un nombre entier de sauvegardes entre 1 et "
                                "10 000"),
    "FLUX_COPIE_LECTURE_MINUTES": (10, 1, 1440, "un nombre entier de minutes entre 1 et "
                                   "1 440"),
}


@dataclass(frozen=True)
class Reglages:
    """The scheduled backups' settings; `erreurs`: invalid variables (French), backups off."""

    dossier: Path | None
    periode: timedelta = timedelta(hours=24)
    garder: int = 14
    intervalle_copie: timedelta = timedelta(minutes=10)
    erreurs: tuple[str, ...] = ()
    purge: bool = True                             # the daily purge of personal data

    @property
    def actives(self) -> bool:
        return self.dossier is not None and not self.erreurs


def _nombre(env: Mapping[str, str], nom: str, erreurs: list[str]):
    defaut, mini, maxi, attendu = VARIABLES[nom]
    text = env.get(nom)
    if text is None:
        return defaut
    try:
        value = type(defaut)(text.strip().replace(",", ".").replace(" ", ""))
    except ValueError:
        value = None
    if value is None or not mini <= value <= maxi:
        erreurs.append(f"{nom} = « {text} » est invalide : attendu {attendu}.")
        return defaut
    return value


def lire_reglages(env: Mapping[str, str] | None = None) -> Reglages:
    """The settings from the environment; invalid values are listed in `erreurs`."""
    env = os.environ if env is None else env
    erreurs: list[str] = []
    dossier = env.get("FLUX_SAUVEGARDES")
    if dossier is not None and not dossier.strip():
        erreurs.append("FLUX_SAUVEGARDES est définie mais vide : indiquez le dossier des "
                       "sauvegardes (ex. /srv/flux/sauvegardes), ou retirez la variable.")
        dossier = None
    elif dossier is not None:
        dossier = Path(dossier).expanduser().absolute()
        if dossier.exists() and not dossier.is_dir():
            erreurs.append(f"FLUX_SAUVEGARDES = « {dossier} » n'est pas un dossier (un fichier "
                           "porte ce nom).")
    heures = _nombre(env, "FLUX_SAUVEGARDE_HEURES", erreurs)
    garder = _nombre(env, "FLUX_SAUVEGARDES_GARDER", erreurs)
    minutes = _nombre(env, "FLUX_COPIE_LECTURE_MINUTES", erreurs)
    purge = _purge(env, erreurs)
    return Reglages(dossier, timedelta(hours=heures), garder, timedelta(minutes=minutes),
                    tuple(erreurs), purge)


def _purge(env: Mapping[str, str], erreurs: list[str]) -> bool:
    """FLUX_PURGE_PLANIFIEE (oui/non); by default on, except in the open demo (no accounts:
    fluxcore.connexion), whose generated history lies partly beyond the retention periods."""
    text = env.get("FLUX_PURGE_PLANIFIEE")
    if text is None:
        ouvert = env.get(acces.VARIABLE, "").strip().lower() == acces.OUVERT or (
            acces.VARIABLE not in env and not os.path.lexists(acces.DEFAULT_FILE))
        return not ouvert
    value = text.strip().lower()
    if value in ("oui", "o", "1", "vrai", "true", "yes"):
        return True
    if value in ("non", "n", "0", "faux", "false", "no"):
        return False
    erreurs.append(f"FLUX_PURGE_PLANIFIEE = « {text} » est invalide : attendu oui ou non.")
    return True


def avertissements(reglages: Reglages) -> list[str]:
    """What the server says on stderr when it starts, about its scheduled backups."""
    if reglages.erreurs:
        return [f"Sauvegardes planifiées désactivées : {e} Corrigez la variable (deploy/"
                "flux.env) puis redémarrez le service." for e in reglages.erreurs]
    if reglages.dossier is None:
        return ["Sauvegardes planifiées désactivées : FLUX_SAUVEGARDES n'est pas définie. "
                "Indiquez le dossier où le serveur doit garder ses sauvegardes (deploy/"
                "flux.env, docs/sauvegardes.md) ; sans lui, ni sauvegarde planifiée ni copie "
                "de lecture pour les commandes pendant le service (ni purge planifiée)."]
    purge = ("purge quotidienne des données personnelles au-delà de leur durée de "
             "conservation, après une sauvegarde vérifiée" if reglages.purge else "purge "
             "planifiée des données personnelles désactivée (FLUX_PURGE_PLANIFIEE=non ou "
             "application ouverte sans comptes)")
    return [f"Sauvegardes planifiées dans « {reglages.dossier} » : toutes les "
            f"{copies.duree(reglages.periode)}, {reglages.garder} gardées ; copie de lecture "
            f"rafraîchie au plus toutes les {copies.duree(reglages.intervalle_copie)} ; "
            f"{purge}."]


def ecrire_journal(message: str) -> None:
    print(f"[flux] {datetime.now():%Y-%m-%d %H:%M:%S} {message}", file=sys.stderr, flush=True)


def _purger_defaut(db: Database, aujourdhui: date, auteur: str):
    """fluxcore.retention.purger (imported here: retention needs nothing of this module)."""
    from fluxcore.retention import purger

    return purger(db, aujourdhui=aujourdhui, auteur=auteur)


def _modeles_defaut(db: Database) -> list:
    from fluxcore.simulation import modele_stocke  # scikit-learn only here

    return modele_stocke.rafraichir_modeles(db, actor=AUTEUR)


@dataclass
class _Suivi:
    """What the scheduler remembers between rounds (also written to etat.json)."""

    sauvegarde_essai: datetime | None = None       # last backup attempt (or newest on disk)
    sauvegarde: dict | None = None                 # last good backup: nom, le, verifiee_le…
    sauvegarde_erreur: dict | None = None
    copie_le: datetime | None = None
    copie_version: int | None = None
    copie_erreur: dict | None = None
    purge_jour: date | None = None
    purge_essai: datetime | None = None
    purge_erreur: dict | None = None
    purge_resultat: dict | str | None = None
    modeles_jour: date | None = None               # last refit of the simulator's models
    lu: bool = False                               # initialised from the folder
    avertis: set = field(default_factory=set)


class Planificateur:
    """The scheduled tasks on one base; `tour()` runs once whatever is due."""

    def __init__(self, base: str | Path, reglages: Reglages,
                 ouvrir: Callable[[str], Database] = partagee,
                 horloge: Callable[[], datetime] = datetime.now,
                 purger: Callable | None = None,
                 ecrire: Callable[[str], None] = ecrire_journal,
                 modeles: Callable[[Database], list] | None = None):
        self.base, self.reglages = str(base), reglages
        self.ouvrir, self.horloge, self.ecrire = ouvrir, horloge, ecrire
        self.purger = purger or _purger_defaut
        self.modeles = modeles or _modeles_defaut
        self.suivi = _Suivi()

    # -- one round ----------------------------------------------------------------------------
    def tour(self) -> list[str]:
        """Run the due tasks; returns what was done (« sauvegarde flux-….duckdb », « copie »,
        « purge », « … echec », « attente » when the base is being replaced or is absent)."""
        now = self.horloge()
        if not Path(self.base).exists():
            return ["attente"]                   # never create the base from here
        try:
            db = self.ouvrir(self.base)
            version = db.version()
        except (DatabaseLockedError, DatabaseError):
            return ["attente"]       # a restore is replacing the base: next round
        r, fait = self.reglages, []
        s = self.suivi
        if r.actives:
            self._lire_dossier()
            if self._due(s.sauvegarde_essai, r.periode, now):
                fait.append(self._sauvegarder(db, now))
                version = self._version(db)
        # the purge deletes for good: only on a base with a verified backup on record (the
        # backups keep what it removes until their rotation, docs/donnees-personnelles.md)
        if (r.purge and r.actives and s.sauvegarde is not None and s.purge_jour != now.date()
                and self._due(s.purge_essai, ESSAI_PURGE, now)):
            fait.append(self._purger(db, now))
            version = self._version(db)
        if r.actives:
            if version != s.copie_version and self._due(s.copie_le, r.intervalle_copie, now):
                fait.append(self._copier(db, now))
            self._noter(db, now)
        # the simulator's model, once a day and at the first round (after a restart: a new
        # version of the software may fit it otherwise; on 1 January: a new first year)
        if s.modeles_jour != now.date():
            fait.append(self._modeles(db, now))
        return [f for f in fait if f]

    @staticmethod
    def _version(db: Database) -> int | None:
        try:
            return db.version()
        except FluxcoreError:
            return None

    @staticmethod
    def _due(dernier: datetime | None, periode: timedelta, now: datetime) -> bool:
        # a date in the future (the clock went back, e.g. a VM before its time sync) never
        # holds a task back until then
        return dernier is None or dernier > now or now >= dernier + periode

    def _lire_dossier(self) -> None:
        """First round: resume from the folder (newest backup, read copy, last purge day)."""
        s = self.suivi
        if s.lu:
            return
        s.lu = True
        dossier = self.reglages.dossier
        existantes = copies.sauvegardes(dossier)
        if existantes:
            s.sauvegarde_essai = copies.date_sauvegarde(existantes[-1].name)
        lecture = copies.decrire(dossier / copies.LECTURE, self.base)
        if lecture is not None:
            s.copie_le, s.copie_version = lecture.cree_le, lecture.version_base
        etat = copies.lire_etat(dossier)
        if etat.get("base") == str(Path(self.base).resolve()):
            s.sauvegarde = etat.get("sauvegarde")
            jour = (etat.get("purge") or {}).get("jour")
            s.purge_jour = date.fromisoformat(jour) if jour else None

    def _echec(self, db: Database, quoi: str, action: str, message: str,
               auditer: bool = True) -> dict:
        self.ecrire(f"{quoi} : {message}")
        if auditer:
            try:
                with db.transaction() as cur:
                    etat.sans_effet(cur)   # none of etat.SOURCES written
                    audit(cur, AUTEUR, action, None, None, {"erreur": message})
            except FluxcoreError as exc:         # the disk may be full for the base too
                self.ecrire(f"{quoi} : échec non inscrit au journal d'audit ({exc}).")
        return {"le": self.horloge().isoformat(timespec="seconds"), "message": message}

    def _remplacee(self, db: Database) -> bool:
        return db._etat.remplacee or db._etat.fermee

    # -- the tasks ----------------------------------------------------------------------------
    def _sauvegarder(self, db: Database, now: datetime) -> str:
        s, dossier = self.suivi, self.reglages.dossier
        s.sauvegarde_essai = now
        out = dossier / copies.nom_sauvegarde(now)
        try:
            backup_database(db, out, actor=AUTEUR)
        except FluxcoreError as exc:
            if self._remplacee(db):
                s.sauvegarde_essai = None        # interrupted by a restore: next round
                return "attente"
            s.sauvegarde_erreur = self._echec(db, "Sauvegarde planifiée impossible",
                                              "sauvegarde.echec", str(exc))
            return "sauvegarde echec"
        try:
            info = verifier_sauvegarde(out)
        except FluxcoreError as exc:
            for p in (out, fichier_empreinte(out)):
                p.unlink(missing_ok=True)
            s.sauvegarde_erreur = self._echec(
                db, "Sauvegarde planifiée refusée à la relecture", "sauvegarde.echec",
                f"{exc} Le fichier « {out.name} » est retiré ; nouvel essai dans "
                f"{copies.duree(self.reglages.periode)}.")
            return "sauvegarde echec"
        s.sauvegarde_erreur = None
        s.sauvegarde = {"nom": out.name, "le": now.isoformat(timespec="seconds"),
                        "verifiee_le": self.horloge().isoformat(timespec="seconds"),
                        "octets": info["octets"], "sha256": info["sha256"]}
        retirees = copies.appliquer_retention(dossier, self.reglages.garder, out)
        if retirees:
            try:
                with db.transaction() as cur:
                    etat.sans_effet(cur)   # none of etat.SOURCES written
                    audit(cur, AUTEUR, "sauvegarde.retention", None, None,
                          {"retirees": [p.name for p in retirees],
                           "gardees": self.reglages.garder})
            except FluxcoreError as exc:
                self.ecrire(f"Rétention des sauvegardes non inscrite au journal ({exc}).")
        retrait = accord(len(retirees), "ancienne sauvegarde retirée",
                         "anciennes sauvegardes retirées")
        self.ecrire(f"Sauvegarde planifiée écrite et vérifiée : « {out} »"
                    + (f" ; {retrait} ({', '.join(p.name for p in retirees)})" if retirees
                       else "") + ".")
        return f"sauvegarde {out.name}"

    def _copier(self, db: Database, now: datetime) -> str:
        s = self.suivi
        try:
            recorded = copie_de_lecture(db, self.reglages.dossier / copies.LECTURE)
        except DatabaseLockedError:
            return "copie occupee"     # a command is reading the previous copy: next round
        except FluxcoreError as exc:
            if self._remplacee(db):
                return "attente"
            s.copie_le = now                     # tried again an interval later
            s.copie_erreur = self._echec(db, "Copie de lecture impossible",
                                         "copie_lecture.echec", str(exc),
                                         auditer=s.copie_erreur is None)
            return "copie echec"
        s.copie_le, s.copie_version, s.copie_erreur = now, recorded["version_base"], None
        return "copie"

    def _purger(self, db: Database, now: datetime) -> str:
        s = self.suivi
        s.purge_essai = now
        try:
            resultat = self.purger(db, aujourdhui=now.date(), auteur=AUTEUR)
        except Exception as exc:             # any failure of the purge is reported
            if self._remplacee(db):
                s.purge_essai = None
                return "attente"
            message = str(exc) if isinstance(exc, FluxcoreError) else \
                f"{type(exc).__name__} : {exc}"
            s.purge_erreur = self._echec(db, "Purge planifiée des données personnelles "
                                         "impossible", "purge.echec",
                                         f"{message} Nouvel essai dans une heure.")
            return "purge echec"
        s.purge_jour, s.purge_erreur = now.date(), None
        s.purge_resultat = resultat if isinstance(resultat, dict | None) else str(resultat)
        return "purge"

    def demander_modeles(self) -> None:
        """Refit the simulator's models at the next round (after an import made in the app)."""
        self.suivi.modeles_jour = None

    def _modeles(self, db: Database, now: datetime) -> str:
        """Refit the vacancy models whose inputs changed (fluxcore.simulation.modele_stocke);
        « modele » when one was, « modele echec » on failure (written on stderr; tried again
        the next day, the simulator fits on the fly meanwhile)."""
        self.suivi.modeles_jour = now.date()
        try:
            return "modele" if self.modeles(db) else ""
        except Exception as exc:             # a cache: its failure stops nothing else
            if self._remplacee(db):
                self.suivi.modeles_jour = None
                return "attente"
            self.ecrire(f"Modèle de vacance du simulateur non réestimé ({type(exc).__name__} "
                        f": {exc}) ; le simulateur l'estime à sa première ouverture.")
            return "modele echec"

    # -- the state file -----------------------------------------------------------------------
    def _noter(self, db: Database, now: datetime) -> None:
        """etat.json: what the CLI and the Données page say (best effort)."""
        s, r = self.suivi, self.reglages
        try:
            version, last = db.one("select coalesce(max(audit_id), 0), max(logged_at) "
                                   "from audit_log")
        except FluxcoreError:
            return
        prochaine = (s.sauvegarde_essai + r.periode) if s.sauvegarde_essai else now
        copies.ecrire_etat(r.dossier, {
            "base": str(Path(self.base).resolve()), "pid": os.getpid(),
            "vu_le": now.isoformat(timespec="seconds"), "version_base": int(version),
            "derniere_ecriture": last.isoformat(timespec="seconds") if last else None,
            "periode_heures": r.periode.total_seconds() / 3600, "garder": r.garder,
            "copie_minutes": r.intervalle_copie.total_seconds() / 60,
            "sauvegarde": s.sauvegarde, "sauvegarde_erreur": s.sauvegarde_erreur,
            "prochaine_sauvegarde": prochaine.isoformat(timespec="seconds"),
            "copie": {"le": s.copie_le.isoformat(timespec="seconds") if s.copie_le else None,
                      "version": s.copie_version, "erreur": s.copie_erreur},
            "purge": {"jour": s.purge_jour.isoformat() if s.purge_jour else None,
                      "erreur": s.purge_erreur, "resultat": s.purge_resultat}})
