"""CIL/CIA attribution objectives (docs/regles.md#objectifs, L441-1): per EPCI and year, what the
signed leases achieved against each target, what is still needed, and where the year is heading.

Indicators (leases signed in the year up to the reference date):
- Q1_HORS_QPV: leases outside QPV going to first-quartile households or to households rehoused
  by urban renewal (RU) or ORCOD, over all leases outside QPV;
- Q234_EN_QPV: leases in QPV going to quartiles 2–4, over all leases in QPV;
- PRIORITAIRES: leases to DALO or L441-1 priority households. The legal objective (≥ 25 % of
  each réservataire's attributions and of the bailleur's non-reserved ones; the préfet's
  contingent wholly for them) is judged per convention — réservataire × département —
  by `prioritaires_par_reservataire`; the EPCI figures (`suivi`, `prioritaires_par_epci`)
  are information, or the CIA's territorial commitment when the `objectif` table sets one.
  Internal mutations are in no base (README « Objectifs CIL », sql/objectifs/baux.sql).
The quartile is `attribution.quartile` when given, else `ressources_uc` below the EPCI's
`seuil_quartile` of the year. Targets come from `objectif`, else the legal defaults (settings).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from fluxcore.db import Database, en_parallele, load_sql
from fluxcore.formats import fmt_cible, fmt_int, fmt_part, libelle_destination
from fluxcore.parametres import BY_KEY, get_parametres
from fluxcore.perimetre import Perimetre
from fluxcore.regles import manque

DEFAUTS = {"Q1_HORS_QPV": "cible_q1_hors_qpv_pct", "Q234_EN_QPV": "cible_q234_en_qpv_pct",
           "PRIORITAIRES": "cible_prioritaires_pct"}
LIBELLES = {"Q1_HORS_QPV": "Premier quartile hors QPV",
            "Q234_EN_QPV": "Quartiles 2 à 4 en QPV",
            "PRIORITAIRES": "Publics prioritaires"}
PUBLICS = {"Q1_HORS_QPV": "au premier quartile ou à des relogés RU/ORCOD",
           "Q234_EN_QPV": "aux quartiles 2 à 4", "PRIORITAIRES": "à des publics prioritaires"}
LIEUX = {"Q1_HORS_QPV": "hors QPV", "Q234_EN_QPV": "en QPV",
         "PRIORITAIRES": "hors mutations internes"}
ECHELLE_UC = ("uc_premier_adulte", "uc_autre_14_plus", "uc_enfant_moins_14")


@dataclass(frozen=True)
class Indicateur:
    code: str
    realise: int      # attributions meeting the criterion
    base: int         # attributions the percentage applies to
    cible_pct: float
    manque: int       # still needed to reach the target: ceil(p × base) − realise

    @property
    def pct(self) -> float | None:
        return 100.0 * self.realise / self.base if self.base else None

    @property
    def retard(self) -> float:
        """Lag relative to the target, 0 (reached) to 1 (nothing achieved)."""
        if not self.base or self.pct is None or self.pct >= self.cible_pct:
            return 0.0
        return (self.cible_pct - self.pct) / self.cible_pct


def unites_consommation(personnes_14_plus: int, enfants_moins_14: int,
                        echelle: dict | None = None) -> float:
    """Consumption units of a household (scale: the settings uc_premier_adulte,
    uc_autre_14_plus, uc_enfant_moins_14 — pass get_parametres(db) — by default their
    defaults: 1 for the first adult, 0.5 per other person aged 14 or more, 0.3 per child
    under 14)."""
    e = echelle or {k: BY_KEY[k].defaut for k in ECHELLE_UC}
    if personnes_14_plus < 1:
        raise ValueError("Un ménage compte au moins une personne de 14 ans ou plus.")
    return round(e["uc_premier_adulte"] + e["uc_autre_14_plus"] * (personnes_14_plus - 1)
                 + e["uc_enfant_moins_14"] * enfants_moins_14, 6)


def quartile_1(ressources_annuelles: float, uc: float, seuil_q1_uc: float) -> bool:
    """Whether a household is in the first quartile: resources per UC below the threshold."""
    return ressources_annuelles / uc < seuil_q1_uc


def cibles(db: Database, annee: int) -> dict[tuple[str, str, str | None], float]:
    """(epci, indicateur, reservataire_id or None) → target in percent, from `objectif`."""
    rows = db.df("select epci_siren, indicateur, reservataire_id, cible_pct from objectif "
                 "where annee = ?", [annee])
    return {(r.epci_siren, r.indicateur, None if pd.isna(r.reservataire_id) else
             r.reservataire_id): float(r.cible_pct) for r in rows.itertuples()}


def cible(db: Database, epci_siren: str, annee: int, indicateur: str,
          reservataire_id: str | None = None) -> float:
    """Target in percent: the `objectif` row if any, else the legal default (a setting)."""
    found = cibles(db, annee)
    key = (epci_siren, indicateur, reservataire_id)
    if key in found:
        return found[key]
    if reservataire_id is not None and (epci_siren, indicateur, None) in found:
        return found[(epci_siren, indicateur, None)]
    return float(get_parametres(db)[DEFAUTS[indicateur]])


def _reste(c: float, base: int, realise: int, restant: float) -> tuple[int, float | None]:
    """Needed among the `restant` expected leases to end the year at the target, and the
    share of them it represents (None when none is expected)."""
    final_base = base + round(restant)
    besoin = max(0, math.ceil(round(c * final_base / 100.0, 9)) - realise)
    return besoin, (100.0 * besoin / round(restant) if round(restant) else None)


def suivi(db: Database, p: Perimetre, prevision: bool = True) -> pd.DataFrame:
    """One row per EPCI of the scope and indicator: epci_siren, nom, indicateur, libelle,
    realise, base, pct, cible_pct, manque, restant (expected leases still to come in the
    indicator's base), projection_pct (year-end share at the current pace), besoin_fin_annee,
    part_restante_pct, quartile_inconnu. `prevision=False` skips the forecast (restant 0).
    Expected leases: parc × rotation observed over the `rotation_annees_historique` previous
    years (setting), prorated over the days left."""
    def forecast() -> tuple[dict, pd.DataFrame | None]:
        s = get_parametres(db)
        if not prevision:
            return s, None
        return s, db.df(load_sql("objectifs/prevision"),
                        {**p.params(), "nb": int(s["rotation_annees_historique"])})

    reads = (forecast, lambda: cibles(db, p.annee),
             lambda: db.df(load_sql("objectifs/suivi"), p.params()))
    # the page's reads at once, each on its own cursor; without the forecast (suivi_epci, read
    # inside the ranking's own parallel reads) one after the other, never a nested pool
    (s, prev), found, agg = en_parallele(*reads) if prevision else [f() for f in reads]
    rest = {}
    if prev is not None:
        rest = {(r.epci_siren, bool(r.en_qpv)): 0.0 if pd.isna(r.restant) else float(r.restant)
                for r in prev.itertuples()}
    rows = []
    for r in agg.itertuples():
        for code, real, base, restant in (
                ("Q1_HORS_QPV", r.q1_hors_qpv, r.baux_hors_qpv,
                 rest.get((r.epci_siren, False), 0.0)),
                ("Q234_EN_QPV", r.q234_qpv, r.baux_qpv, rest.get((r.epci_siren, True), 0.0)),
                ("PRIORITAIRES", r.prioritaires, r.baux_hors_mutation,
                 rest.get((r.epci_siren, False), 0.0) + rest.get((r.epci_siren, True), 0.0))):
            c = found.get((r.epci_siren, code, None), float(s[DEFAUTS[code]]))
            real, base = int(real), int(base)
            besoin, part = _reste(c, base, real, restant)
            pace = real / base if base else None
            proj = (100.0 * (real + pace * restant) / (base + restant)
                    if pace is not None and base + restant else None)
            rows.append({"epci_siren": r.epci_siren, "nom": r.nom, "indicateur": code,
                         "libelle": LIBELLES[code], "realise": real, "base": base,
                         "pct": 100.0 * real / base if base else None, "cible_pct": c,
                         "manque": manque(c, base, real), "restant": restant,
                         "projection_pct": proj, "besoin_fin_annee": besoin,
                         "part_restante_pct": part,
                         "quartile_inconnu": int(r.quartile_inconnu)})
    return pd.DataFrame(rows)


def suivi_epci(db: Database, epci_siren: str, annee: int,
               arret: date | None = None) -> dict[str, Indicateur]:
    """The EPCI's indicators as Indicateur objects (used by the orientation ranking)."""
    p = Perimetre(annee, epci_siren=epci_siren, aujourdhui=arret or date(annee, 12, 31))
    df = suivi(db, p, prevision=False)
    return {r.indicateur: Indicateur(r.indicateur, r.realise, r.base, r.cible_pct, r.manque)
            for r in df.itertuples()}


def phrase(row: dict | pd.Series) -> str:
    """What remains to be done for one indicator, in plain French."""
    code, cib = row["indicateur"], fmt_cible(row["cible_pct"])
    lieu = f" {LIEUX[code]}" if LIEUX[code] else ""
    if not row["base"]:
        return f"Aucun bail signé{lieu} cette année : la cible de {cib} s'appliquera aux " \
               "premiers baux."
    manque_n = int(row["manque"])
    part = fmt_part(row["pct"], row["cible_pct"])
    head = (f"Cible de {cib} atteinte ({part}, {fmt_int(row['realise'])} sur "
            f"{fmt_int(row['base'])} baux{lieu})" if manque_n == 0 else
            f"Il faut encore {fmt_int(manque_n)} attribution{'s' if manque_n > 1 else ''}{lieu} "
            f"{PUBLICS[code]} pour atteindre {cib} ({fmt_int(row['realise'])} sur "
            f"{fmt_int(row['base'])}, soit {part})")
    restant = round(row["restant"])
    if not restant:
        return head + " ; aucun autre bail n'est attendu d'ici la fin de l'année."
    attendus = f"~{fmt_int(restant)} baux{lieu} attendus d'ici la fin de l'année"
    besoin = int(row["besoin_fin_annee"])
    if besoin > restant:
        best = 100.0 * (row["realise"] + restant) / (row["base"] + restant)
        return (f"{head} ; l'objectif ne peut plus être atteint cette année : même si les "
                f"{attendus} allaient tous {PUBLICS[code]}, la part finirait à "
                f"{fmt_part(best, row['cible_pct'])}.")
    if besoin == 0:
        return f"{head} ; la cible reste acquise quels que soient les {attendus}."
    verbe = "doivent" if besoin > 1 else "doit"
    return (f"{head} ; sur les {attendus}, {fmt_int(besoin)} {verbe} aller {PUBLICS[code]}, "
            f"soit {fmt_part(row['part_restante_pct'])}, pour finir l'année à {cib} ou plus.")


COLONNES_PRIORITAIRES = ["departement", "destinataire", "nom", "type", "baux", "prioritaires",
                         "pct", "cible_pct", "manque", "mutations"]


def cible_prioritaires(type_reservataire: str | None, destinataire: str | None,
                       defaut: float) -> float | None:
    """Target of the prioritaires objective for whose attribution it is (L441-1): the
    préfet's contingent wholly (100 %); every other réservataire and the bailleur's
    non-reserved part the setting (25 %); none for the State's agents (their contingent is
    not for priority publics), the subtracted relogements and leases without orientation."""
    if type_reservataire == "PREFET":
        return 100.0
    if destinataire == "BAILLEUR" or (isinstance(type_reservataire, str)
                                      and type_reservataire != "PREFET_FONCTIONNAIRES"):
        return defaut
    return None


def _prioritaires(db: Database, p: Perimetre) -> pd.DataFrame:
    df = db.df(load_sql("objectifs/reservataires"), p.params())
    df["destinataire"] = df["destinataire"].astype(object).where(df["destinataire"].notna(),
                                                                 None)
    df["nom"] = [n if isinstance(n, str) else "Sans orientation enregistrée" if d is None
                 else libelle_destination(d) for n, d in zip(df["nom"], df["destinataire"])]
    return df


def _verdict(df: pd.DataFrame, cibles_: list) -> pd.DataFrame:
    df = df.assign(cible_pct=cibles_)
    df["pct"] = (100.0 * df["prioritaires"] / df["baux"]).where(df["baux"] > 0)
    df["manque"] = [None if pd.isna(c) else manque(c, int(b), int(r)) for c, b, r in
                    zip(df["cible_pct"], df["baux"], df["prioritaires"])]
    return df


def prioritaires_par_reservataire(db: Database, p: Perimetre) -> pd.DataFrame:
    """The L441-1 verdict, per convention: whose attribution it is (réservataire, BAILLEUR,
    subtracted use, None) × département, over every lease of the département(s) of the scope
    — a one-EPCI scope is judged on its whole département. Columns: COLONNES_PRIORITAIRES
    (baux: the base, internal mutations left out and counted in `mutations`; a dwelling the
    réservataire gave back counts for the bailleur)."""
    s = get_parametres(db)
    df = _prioritaires(db, p)
    keys = ["departement", "destinataire", "nom", "type"]
    df = df.groupby(keys, dropna=False, as_index=False, sort=False)[
        ["baux", "prioritaires", "mutations"]].sum()
    df = df[(df["baux"] > 0) | (df["mutations"] > 0)]
    out = _verdict(df, [cible_prioritaires(t if isinstance(t, str) else None, d,
                                           float(s["cible_prioritaires_pct"]))
                        for t, d in zip(df["type"], df["destinataire"])])
    out = out.sort_values(["departement", "baux"], ascending=[True, False], kind="stable")
    return out[COLONNES_PRIORITAIRES].reset_index(drop=True)


def prioritaires_par_epci(db: Database, p: Perimetre) -> pd.DataFrame:
    """Information: the same figures per EPCI of the scope, not a verdict — unless the CIA
    sets a territorial commitment for that réservataire (an `objectif` row for the EPCI, the
    year, PRIORITAIRES and its id): then cible_pct and manque measure that commitment.
    Columns: epci_siren, then COLONNES_PRIORITAIRES (cible_pct/manque NULL without one)."""
    found = cibles(db, p.annee)
    df = _prioritaires(db, p)
    df = df[df["epci_siren"].notna() & ((df["baux"] > 0) | (df["mutations"] > 0))]
    if p.epci_siren:
        df = df[df["epci_siren"] == p.epci_siren]
    out = _verdict(df, [found.get((e, "PRIORITAIRES", d)) if d is not None else None
                        for e, d in zip(df["epci_siren"], df["destinataire"])])
    return out[["epci_siren", *COLONNES_PRIORITAIRES]].reset_index(drop=True)


def trajectoire(db: Database, p: Perimetre) -> pd.DataFrame:
    """Cumulative monthly Q1 hors QPV and Q2–4 in QPV shares (pct_q1, pct_q234) of the
    scope's leases (narrow `p` to one EPCI)."""
    df = db.df(load_sql("objectifs/trajectoire"), p.params())
    df["pct_q1"] = (100.0 * df["q1_hors_qpv"] / df["baux_hors_qpv"]).where(
        df["baux_hors_qpv"] > 0)
    df["pct_q234"] = (100.0 * df["q234_qpv"] / df["baux_qpv"]).where(df["baux_qpv"] > 0)
    return df


def detail(db: Database, p: Perimetre, niveau: str = "commune") -> pd.DataFrame:
    """Per commune (or per résidence): baux hors QPV and Q1 among them, baux in QPV and
    quartiles 2–4 among them, prioritaires among the leases other than internal mutations
    (baux_prioritaires), with the shares."""
    df = db.df(load_sql("objectifs/detail"), p.params())
    df["baux_prioritaires"] = df["baux_hors_mutation"]
    df["baux_hors_qpv"] = df["baux"].where(~df["en_qpv"].astype(bool), 0)
    df["baux_qpv"] = df["baux"].where(df["en_qpv"].astype(bool), 0)
    df["q1_hors_qpv"] = df["q1_ou_reloges"].where(~df["en_qpv"].astype(bool), 0)
    df["q234_qpv"] = df["q234"].where(df["en_qpv"].astype(bool), 0)
    keys = ["commune_insee", "commune"] + (["residence_id", "residence"]
                                           if niveau == "residence" else [])
    cols = ["baux", "baux_hors_qpv", "q1_hors_qpv", "baux_qpv", "q234_qpv", "baux_prioritaires",
            "prioritaires"]
    out = df.groupby(keys, as_index=False)[cols].sum()
    out["pct_q1_hors_qpv"] = (100.0 * out["q1_hors_qpv"] / out["baux_hors_qpv"]).where(
        out["baux_hors_qpv"] > 0)
    out["pct_q234_qpv"] = (100.0 * out["q234_qpv"] / out["baux_qpv"]).where(out["baux_qpv"] > 0)
    out["pct_prioritaires"] = (100.0 * out["prioritaires"] / out["baux_prioritaires"]).where(
        out["baux_prioritaires"] > 0)
    return out.sort_values("baux", ascending=False).reset_index(drop=True)
