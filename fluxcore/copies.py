"""The folder of the server's copies (FLUX_SAUVEGARDES): scheduled backups, the read copy,
the scheduler's state file; retention; and which consistent copy a read-only command opens
while the application holds the base (docs/sauvegardes.md).

Layout of the folder:
  flux-AAAAMMJJ-HHMMSS.duckdb (+ .sha256)  a scheduled backup, verified (local time)
  lecture.duckdb (+ .sha256)               the read copy, refreshed after writes
  etat.json                                what the scheduler last did and saw
Only names of the first form are ever removed by retention; anything else in the folder
(a manual backup, notes) is left alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from fluxcore.backup import fichier_empreinte
from fluxcore.formats import accord, fmt_taille

if TYPE_CHECKING:
    from fluxcore.planification import Reglages

NOM_SAUVEGARDE = re.compile(r"^flux-(\d{8}-\d{6})\.duckdb$")
LECTURE = "lecture.duckdb"
ETAT = "etat.json"


def nom_sauvegarde(moment: datetime) -> str:
    return f"flux-{moment:%Y%m%d-%H%M%S}.duckdb"


def date_sauvegarde(nom: str) -> datetime | None:
    """The date-time in a scheduled backup's name, None for any other file name."""
    m = NOM_SAUVEGARDE.match(nom)
    if m is None:
        return None
    try:
        return datetime.strptime(m.group(1), "%Y%m%d-%H%M%S")
    except ValueError:
        return None


def sauvegardes(dossier: str | Path) -> list[Path]:
    """The scheduled backups of `dossier` (regular files named flux-AAAAMMJJ-HHMMSS.duckdb),
    oldest first."""
    try:
        entries = list(Path(dossier).iterdir())
    except OSError:
        return []
    found = [p for p in entries if date_sauvegarde(p.name) is not None
             and p.is_file() and not p.is_symlink()]
    return sorted(found, key=lambda p: date_sauvegarde(p.name))


def appliquer_retention(dossier: str | Path, garder: int, protegee: Path) -> list[Path]:
    """Remove the oldest scheduled backups beyond the `garder` newest (and their side files);
    `protegee` (the backup just made and verified) is never removed, nor any file that is not
    a scheduled backup. Returns the backups removed (a file that cannot be removed stays)."""
    garder = max(1, garder)
    removed = []
    for p in sauvegardes(dossier)[:-garder]:
        if p.resolve() == Path(protegee).resolve():
            continue
        try:
            p.unlink()
        except OSError:
            continue
        for side in (fichier_empreinte(p), Path(f"{p}.lock")):   # .lock: left by a reader
            with contextlib.suppress(OSError):
                side.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            Path(f"{p}.tmp").rmdir()                 # DuckDB's spill folder, if empty
        removed.append(p)
    return removed


# -- the state file ---------------------------------------------------------------------------
def lire_etat(dossier: str | Path) -> dict:
    """etat.json of the folder ({} when absent or unreadable)."""
    try:
        data = json.loads((Path(dossier) / ETAT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def ecrire_etat(dossier: str | Path, etat: dict) -> None:
    """Write etat.json atomically (temporary file, then rename); never raises."""
    path = Path(dossier) / ETAT
    tmp = path.with_name(f"{ETAT}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(etat, ensure_ascii=False, indent=1, default=str),
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _date(text) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


# -- the copies a command may read ------------------------------------------------------------
@dataclass(frozen=True)
class Copie:
    """A consistent copy of the base: the read copy or a scheduled backup."""

    chemin: Path
    cree_le: datetime
    lecture: bool                          # the read copy (else a scheduled backup)
    version_base: int | None               # the base's last audit id in the copy
    derniere_ecriture: datetime | None     # the base's last write in the copy

    @property
    def genre(self) -> str:
        return "copie de lecture" if self.lecture else f"sauvegarde « {self.chemin.name} »"


def decrire(chemin: Path, base: str | Path | None = None) -> Copie | None:
    """The copy `chemin` as its .sha256 describes it; None if it is missing, undescribed, or
    (with `base`) a copy of another base."""
    try:
        recorded = json.loads(fichier_empreinte(chemin).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or not chemin.is_file():
        return None
    if base is not None and recorded.get("base") != str(Path(base).resolve()):
        return None
    cree = _date(recorded.get("cree_le"))
    if cree is None:
        return None
    version = recorded.get("version_base")
    return Copie(chemin, cree, chemin.name == LECTURE,
                 version if isinstance(version, int) else None,
                 _date(recorded.get("derniere_ecriture")))


def copies_de(dossier: str | Path, base: str | Path) -> list[Copie]:
    """The consistent copies of `base` in `dossier`, most recent first."""
    dossier = Path(dossier)
    found = [decrire(p, base) for p in [dossier / LECTURE, *sauvegardes(dossier)]]
    return sorted((c for c in found if c is not None), key=lambda c: c.cree_le, reverse=True)


def _le(moment: datetime | None) -> str:
    return f"{moment:%d/%m/%Y} à {moment:%H:%M}" if moment else "(date inconnue)"


def message_lecture(copie: Copie, pid: str | None, etat: dict) -> str:
    """What a read-only command says on stderr when it reads `copie` instead of the base."""
    qui = ("l'application" if pid and str(etat.get("pid")) == pid else "un autre processus")
    qui += f" (processus {pid})" if pid else ""
    dans = (f"elle contient les écritures jusqu'au {_le(copie.derniere_ecriture)}"
            if copie.derniere_ecriture else "elle ne contient aucune écriture journalisée")
    vue, version = _date(etat.get("vu_le")), etat.get("version_base")
    if vue is None or version is None or copie.version_base is None:
        suite = "état actuel de la base inconnu (le planificateur du serveur ne l'a pas noté)"
    elif version == copie.version_base:
        suite = f"aucune écriture dans la base depuis (vu par le serveur le {_le(vue)})"
    else:
        derniere = _date(etat.get("derniere_ecriture"))
        quand = f", la dernière le {_le(derniere)}" if derniere else ""
        suite = (f"la base a reçu des écritures depuis{quand}, absentes de cette copie "
                 f"(vu par le serveur le {_le(vue)})")
    return (f"La base est ouverte par {qui} : lecture de la copie cohérente du "
            f"{_le(copie.cree_le)} ({copie.genre}, vérifiée à sa création, en lecture seule ; "
            f"{dans} ; {suite}).")


ACTIVER = ("Pour lire la base pendant que l'application tourne, donnez au serveur un dossier "
           "de sauvegardes (variable FLUX_SAUVEGARDES de son environnement, deploy/flux.env) : "
           "il y tient une copie cohérente que les commandes en lecture seule lisent ; "
           "indiquez ce dossier à la commande par FLUX_SAUVEGARDES ou --copies DOSSIER "
           "(docs/sauvegardes.md).")


def copie_pour_lecture(base: str, dossier: str | None) -> Copie | str:
    """The most recent consistent copy of `base` under `dossier` (the --copies option, else
    FLUX_SAUVEGARDES), or the French reason there is none and how to get one."""
    dossier = dossier or os.environ.get("FLUX_SAUVEGARDES") or None
    if dossier is None:
        return ACTIVER
    if not Path(dossier).is_dir():
        return (f"Le dossier des copies « {dossier} » n'existe pas (ou n'est pas un dossier). "
                + ACTIVER)
    found = copies_de(dossier, base)
    if not found:
        return (f"Aucune copie cohérente de la base « {base} » dans « {dossier} » : le serveur "
                "en écrit une dans la minute qui suit son démarrage quand FLUX_SAUVEGARDES "
                "désigne ce dossier dans son environnement. " + ACTIVER)
    return found[0]


# -- what the Données page shows ------------------------------------------------------------
ACTIF = timedelta(minutes=3)       # the scheduler wakes every minute: seen within 3 → running


@dataclass(frozen=True)
class EtatSauvegardes:
    """The scheduled backups of a base as the folder and etat.json tell them."""

    reglages: Reglages
    sauvegardes: list[tuple[str, datetime, int]]   # name, date, bytes; newest first
    derniere_verifiee_le: datetime | None   # the newest backup, verified again after writing
    prochaine: datetime | None
    copie: Copie | None
    vu_le: datetime | None                  # the scheduler's last round on this base
    actif: bool
    erreur_sauvegarde: dict | None
    erreur_copie: dict | None


def etat_sauvegardes(base: str | Path, reglages: Reglages,
                     maintenant: datetime | None = None) -> EtatSauvegardes:
    """The state of the scheduled backups of `base` under `reglages` (any process may ask:
    the scheduler writes etat.json beside the backups)."""
    maintenant = maintenant or datetime.now()
    dossier = reglages.dossier
    if dossier is None:
        return EtatSauvegardes(reglages, [], None, None, None, None, False, None, None)
    etat = lire_etat(dossier)
    if etat.get("base") != str(Path(base).resolve()):
        etat = {}
    found = []
    for p in reversed(sauvegardes(dossier)):
        with contextlib.suppress(OSError):
            found.append((p.name, date_sauvegarde(p.name), p.stat().st_size))
    noted = etat.get("sauvegarde") or {}
    verifiee = (_date(noted.get("verifiee_le")) if found and noted.get("nom") == found[0][0]
                else None)
    vu = _date(etat.get("vu_le"))
    actif = vu is not None and timedelta(0) <= maintenant - vu <= ACTIF
    prochaine = _date(etat.get("prochaine_sauvegarde")) if actif else None
    return EtatSauvegardes(reglages, found, verifiee, prochaine,
                           decrire(dossier / LECTURE, base), vu, actif,
                           etat.get("sauvegarde_erreur"), (etat.get("copie") or {}).get("erreur"))


def duree(d: timedelta) -> str:
    """« 24 h », « 10 min », « 90 min »."""
    minutes = round(d.total_seconds() / 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def resume(e: EtatSauvegardes) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What the Données page shows: (label, value) rows, and messages (niveau « error »,
    « warning » or « info », French text)."""
    r = e.reglages
    messages = [("error", f"Sauvegardes planifiées désactivées : {x}") for x in r.erreurs]
    if r.dossier is None:
        if not r.erreurs:
            messages.append(("info", "Sauvegardes planifiées désactivées : la variable "
                             "FLUX_SAUVEGARDES du serveur n'est pas définie (docs/"
                             "sauvegardes.md). Seules les sauvegardes faites ici existent."))
        return [("Dossier", "non défini (FLUX_SAUVEGARDES)")], messages
    lignes = [("Dossier", str(r.dossier)), ("Fréquence", f"toutes les {duree(r.periode)}"),
              ("Rétention", f"les {r.garder} plus récentes gardées ("
                            f"{accord(len(e.sauvegardes), 'présente', 'présentes')})")]
    if e.sauvegardes:
        nom, quand, octets = e.sauvegardes[0]
        verif = (f"relue en entier le {_le(e.derniere_verifiee_le)}" if e.derniere_verifiee_le
                 else "vérifiée à sa création (empreinte .sha256)")
        lignes.append(("Dernière sauvegarde", f"{nom} du {_le(quand)}, {fmt_taille(octets)} ; "
                                              f"{verif}"))
    else:
        lignes.append(("Dernière sauvegarde", "aucune"))
    lignes.append(("Prochaine sauvegarde", f"vers le {_le(e.prochaine)}" if e.prochaine
                   else "planificateur inactif"))
    c = e.copie
    lignes.append(("Copie de lecture", "aucune" if c is None else (
        f"du {_le(c.cree_le)}" + (f", écritures jusqu'au {_le(c.derniere_ecriture)}"
                                  if c.derniere_ecriture else "")
        + f" ; rafraîchie après une écriture, au plus toutes les {duree(r.intervalle_copie)}")))
    if not e.actif:
        vu = f"dernier passage le {_le(e.vu_le)}" if e.vu_le else "aucun passage noté"
        messages.append(("warning", f"Le planificateur du serveur ne sauvegarde pas cette base "
                         f"en ce moment ({vu}) : il travaille sur la base FLUX_DB du serveur "
                         "lancé par « streamlit run serveur.py » (pas « app.py »)."))
    if e.erreur_sauvegarde:
        messages.append(("error", f"Dernière sauvegarde planifiée en échec le "
                         f"{_le(_date(e.erreur_sauvegarde.get('le')))} : "
                         f"{e.erreur_sauvegarde.get('message')} Nouvel essai à la période "
                         "suivante."))
    if e.erreur_copie:
        messages.append(("warning", f"Copie de lecture en échec : "
                         f"{e.erreur_copie.get('message')}"))
    return lignes, messages
