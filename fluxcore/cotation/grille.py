"""Versioned scoring grids per EPCI (docs/regles.md#cotation, L441-2-8).

A grid version is immutable: a change writes a new version with the date from which it
applies, so that any past score can be recomputed. The version in force at a date is the
highest one whose `date_effet` is on or before it. Two codes are special: ANCIENNETE_MOIS
(points per complete month since filing) and REFUS (points per refusal of a suitable
dwelling, usually negative); every other code is a criterion a demande carries.
"""

from __future__ import annotations

import math
import re
from datetime import date

import pandas as pd

from fluxcore import etat
from fluxcore.acces import acteur, exiger
from fluxcore.criteres import LIBELLES as CRITERES_LIBELLES
from fluxcore.db import Database, audit, load_sql
from fluxcore.errors import CotationError
from fluxcore.formats import fmt_nombre

ANCIENNETE = "ANCIENNETE_MOIS"
REFUS = "REFUS"
SPECIAUX = {ANCIENNETE: "Ancienneté (par mois complet)",
            REFUS: "Refus d'un logement adapté (par refus)"}
# labels of the usual criterion codes (fluxcore.criteres: L441-1 priorities, DALO and
# frequent local criteria), used when a grid gives none
LIBELLES = {**CRITERES_LIBELLES, **SPECIAUX}
_CODE = re.compile(r"^[A-Z0-9_]{2,40}$")
POINTS_MAX = 1000.0


def epcis_cotation(db: Database, aujourdhui: date) -> pd.DataFrame:
    """EPCI with a grid or with dwellings of the patrimoine (so that a first grid can be
    written): epci_siren, nom, version_en_vigueur (NULL if none in force), nb_versions (0:
    no grid yet), derniere_version. EPCI with a grid first."""
    return db.df(
        "with vig as (" + load_sql("cotation/versions") + "),"
        " e as (select epci_siren from grille_cotation union"
        " select epci_siren from residence where epci_siren is not null)"
        " select e.epci_siren, coalesce(r.nom, e.epci_siren) as nom,"
        " any_value(v.version) as version_en_vigueur, count(distinct g.version) as nb_versions,"
        " max(g.version) as derniere_version"
        " from e left join ref_epci r using (epci_siren)"
        " left join grille_cotation g using (epci_siren) left join vig v using (epci_siren)"
        " group by all order by nb_versions = 0, nom",
        {"date": aujourdhui})


def versions_grille(db: Database, epci_siren: str, aujourdhui: date) -> pd.DataFrame:
    """Every version of an EPCI's grid: version, date_effet, nb_criteres, en_vigueur,
    auteur and enregistre_le (from the audit log; NULL for imported versions)."""
    df = db.df(
        "with vig as (" + load_sql("cotation/versions") + ")"
        " select g.version, min(g.date_effet) as date_effet, count(*) as nb_criteres,"
        " coalesce(any_value(v.version) = g.version, false) as en_vigueur"
        " from grille_cotation g left join vig v using (epci_siren)"
        " where g.epci_siren = $epci group by g.version order by g.version",
        {"date": aujourdhui, "epci": epci_siren})
    log = db.df(
        "select cast(json_extract(details, '$.version') as integer) as version, actor as auteur,"
        " logged_at as enregistre_le from audit_log where action = 'grille_cotation.create'"
        " and entity_id = $epci", {"epci": epci_siren})
    return df.merge(log.drop_duplicates("version", keep="last"), on="version", how="left")


def grille(db: Database, epci_siren: str, version: int | None = None,
           aujourdhui: date | None = None) -> pd.DataFrame:
    """Criteria of one version (default: the one in force at `aujourdhui`, else the latest):
    critere, libelle, points, version, date_effet; special codes last."""
    if version is None:
        vig = db.scalar("select version from (" + load_sql("cotation/versions") + ")"
                        " where epci_siren = $epci",
                        {"date": aujourdhui or date.today(), "epci": epci_siren})
        version = vig if vig is not None else db.scalar(
            "select max(version) from grille_cotation where epci_siren = ?", [epci_siren])
    if version is None:
        raise CotationError(f"Aucune grille de cotation pour l'EPCI {epci_siren}.")
    df = db.df("select critere, libelle, points, version, date_effet from grille_cotation"
               " where epci_siren = ? and version = ?"
               " order by critere in ('ANCIENNETE_MOIS', 'REFUS'), points desc, critere",
               [epci_siren, int(version)])
    if df.empty:
        raise CotationError(f"La grille de l'EPCI {epci_siren} n'a pas de version {version}.")
    df["libelle"] = [_libelle(c, lib) for c, lib in zip(df["critere"], df["libelle"])]
    return df


def modele_grille() -> pd.DataFrame:
    """A starting point for an EPCI's first grid: the usual criteria at 0 point, 1 point per
    month of seniority, no refusal penalty (to be set by the EPCI)."""
    codes = [c for c in LIBELLES if c not in SPECIAUX] + [ANCIENNETE, REFUS]
    return pd.DataFrame({"critere": codes, "libelle": [LIBELLES[c] for c in codes],
                         "points": [1.0 if c == ANCIENNETE else 0.0 for c in codes]})


def _libelle(code: str, libelle) -> str:
    """The label shown for a criterion: its own, else the special code's, else the code."""
    return libelle.strip() if isinstance(libelle, str) and libelle.strip() else \
        LIBELLES.get(code, code)


def valider_lignes(lignes: pd.DataFrame) -> pd.DataFrame:
    """Check a grid typed by a user (columns critere, points, optional libelle); every
    problem is reported at once, by line number. Returns the cleaned grid."""
    if not {"critere", "points"} <= set(lignes.columns):
        raise CotationError("La grille doit avoir les colonnes « critere » et « points ».")
    df = lignes.copy().reset_index(drop=True)
    if "libelle" not in df.columns:
        df["libelle"] = None
    df["ligne"] = range(1, len(df) + 1)  # as the user sees it, blank lines included
    blank = df["critere"].isna() | (df["critere"].astype(str).str.strip() == "")
    problems, seen = [], set()
    labelled = df["libelle"].notna() & (df["libelle"].astype(str).str.strip() != "")
    for r in df[blank & (df["points"].notna() | labelled)].itertuples():
        problems.append(f"ligne {r.ligne} : code du critère manquant.")
    df = df[~blank].reset_index(drop=True)
    for i, r in enumerate(df.itertuples()):
        code = str(r.critere).strip().upper()
        where = f"ligne {r.ligne}"
        if not _CODE.match(code):
            problems.append(f"{where} : code « {r.critere} » invalide (lettres majuscules, "
                            "chiffres et _).")
        elif code in seen:
            problems.append(f"{where} : le critère {code} figure deux fois.")
        seen.add(code)
        if not isinstance(r.points, str) and pd.isna(r.points):
            problems.append(f"{where} ({code}) : points manquants.")
            pts = math.nan
        else:
            try:
                pts = float(str(r.points).replace(",", ".").replace("\u202f", ""))
            except ValueError:
                pts = math.nan
            if not math.isfinite(pts) or abs(pts) > POINTS_MAX:
                borne = fmt_nombre(POINTS_MAX, None)
                problems.append(f"{where} ({code}) : points « {r.points} » invalides (nombre "
                                f"entre −{borne} et {borne} attendu).")
            elif code == ANCIENNETE and pts < 0:
                problems.append(f"{where} : les points d'ancienneté ne peuvent pas être "
                                "négatifs.")
            elif code == REFUS and pts > 0:
                problems.append(f"{where} : un refus ne peut pas ajouter de points.")
        df.at[i, "critere"], df.at[i, "points"] = code, pts
    if df.empty:
        problems.append("la grille est vide.")
    if problems:
        raise CotationError("Grille non enregistrée : " + " ; ".join(problems))
    df["points"] = df["points"].astype(float)
    df["libelle"] = [_libelle(c, lib) for c, lib in zip(df["critere"], df["libelle"])]
    return df[["critere", "libelle", "points"]]


def comparer(avant: pd.DataFrame, apres: pd.DataFrame) -> dict:
    """Differences between two grids: ajoutes {code: points}, retires {code: points},
    modifies {code: [avant, apres]}."""
    a = dict(zip(avant["critere"], avant["points"].astype(float)))
    b = dict(zip(apres["critere"], apres["points"].astype(float)))
    return {"ajoutes": {k: b[k] for k in sorted(set(b) - set(a))},
            "retires": {k: a[k] for k in sorted(set(a) - set(b))},
            "modifies": {k: [a[k], b[k]] for k in sorted(set(a) & set(b)) if a[k] != b[k]}}


def enregistrer_grille(db: Database, epci_siren: str, lignes: pd.DataFrame, date_effet: date,
                       auteur: str, version_base: int | None = None,
                       aujourdhui: date | None = None) -> int:
    """Save a new version of the EPCI's grid applying from `date_effet`; returns its number.

    Refused (nothing written) if the grid is invalid, identical to the latest version, dated
    before today (scores already given must stay recomputable) or before the latest version,
    for an unknown EPCI, or when `version_base` (the version the user started from; 0 for a
    first grid) is no longer the latest one: someone saved another version meanwhile. One
    transaction with its audit row (the differences with the previous version)."""
    exiger(db, "coter")
    auteur = acteur(db, auteur)
    if not auteur or not auteur.strip():
        raise CotationError("Indiquez l'auteur de la modification de la grille.")
    if not isinstance(date_effet, date):
        raise CotationError("Indiquez la date d'effet de la nouvelle version.")
    if date_effet < (aujourdhui or date.today()):
        raise CotationError(
            f"Une nouvelle version ne peut pas s'appliquer avant aujourd'hui "
            f"({(aujourdhui or date.today()).strftime('%d/%m/%Y')}) : les scores déjà "
            "communiqués doivent rester recalculables.")
    new = valider_lignes(lignes)
    known = db.scalar("select count(*) from ref_epci where epci_siren = ?", [epci_siren]) or \
        db.scalar("select count(*) from grille_cotation where epci_siren = ?", [epci_siren])
    if not known:
        raise CotationError(f"EPCI inconnu : « {epci_siren} ».")
    with db.transaction("coter") as cur:
        etat.sans_effet(cur)   # none of etat.SOURCES written
        last = cur.execute("select max(version), max(date_effet) from grille_cotation"
                           " where epci_siren = ?", [epci_siren]).fetchall()[0]
        version = (last[0] or 0) + 1
        if version_base is not None and (last[0] or 0) != version_base:
            who = cur.execute(
                "select actor from audit_log where action = 'grille_cotation.create' and "
                "entity_id = ? order by audit_id desc limit 1", [epci_siren]).fetchall()
            raise CotationError(
                f"La version {last[0]} de cette grille a été enregistrée entre-temps"
                f"{' par ' + who[0][0] if who else ''} : rechargez la page et reportez vos "
                "modifications sur cette version.")
        if last[0] is not None:
            old = cur.execute("select critere, points, libelle from grille_cotation"
                              " where epci_siren = ? and version = ?",
                              [epci_siren, last[0]]).df()
            diff = comparer(old, new)
            libelles = {c: _libelle(c, lib) for c, lib in zip(old["critere"], old["libelle"])}
            diff["libelles"] = {c: _libelle(c, lib) for c, lib in zip(new["critere"],
                                                                      new["libelle"])
                                if c in libelles and libelles[c] != _libelle(c, lib)}
            if last[1] is not None and date_effet < pd.Timestamp(last[1]).date():
                raise CotationError(
                    f"La version {last[0]} s'applique depuis le "
                    f"{pd.Timestamp(last[1]).strftime('%d/%m/%Y')} : une nouvelle version ne "
                    "peut pas s'appliquer avant.")
            if not any(diff.values()):
                raise CotationError("Grille identique à la version en cours : rien à "
                                    "enregistrer.")
        else:
            diff = comparer(new.iloc[0:0], new)
        cur.register("grille_df", new.assign(epci_siren=epci_siren, version=version,
                                             date_effet=date_effet))
        cur.execute("insert into grille_cotation (epci_siren, version, critere, points, libelle,"
                    " date_effet) select epci_siren, version, critere, points, libelle,"
                    " date_effet from grille_df")
        cur.unregister("grille_df")
        audit(cur, auteur.strip(), "grille_cotation.create", "grille_cotation", epci_siren,
              {"version": version, "date_effet": date_effet.isoformat(), **diff})
    return version
