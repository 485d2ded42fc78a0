"""Pure rules of docs/regles.md (no database): conversions, minimum counts, uniform spread, limits.

Every function here reproduces a worked example of docs/regles.md#exemples in tests/test_regles.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from fluxcore.codes import DESTINATIONS_BAILLEUR as DESTINATIONS_BAILLEUR
from fluxcore.codes import SOUSTRAITS
from fluxcore.codes import TYPES_PREFET as TYPES_PREFET
from fluxcore.formats import accord, fmt_int, fmt_part, fmt_part_max, pluriel

# The code lists live in fluxcore.codes; these names stay for the modules importing them from
# here. INTERNES: the categories subtracted from the flux (codes.SOUSTRAITS);
# DESTINATIONS_BAILLEUR: those plus BAILLEUR, every destination that is no réservataire.
INTERNES = SOUSTRAITS.codes
EPS = 1e-9  # rates compared in percent, float noise tolerated


def minimum_requis(pct: float, n: int) -> int:
    """'At least p %' of n as a count: ceil(p × n) (docs/regles.md#minimum), robust to float
    noise."""
    return math.ceil(round(pct / 100.0 * n, 9))


def manque(pct: float, n: int, realise: int) -> int:
    """How many more are needed to reach p % of n (0 when reached). Example 8: 25 %, 200, 42 → 8."""
    return max(0, minimum_requis(pct, n) - realise)


def taux_part_stock(reserves: int | float, patrimoine: int | float) -> float:
    """Conversion by share of reserved stock, in percent: 25 of 100 → 25.0 (§4.1)."""
    if patrimoine <= 0:
        raise ValueError("Le patrimoine doit être strictement positif.")
    return 100.0 * reserves / patrimoine


def droits_uniques_par_an(droits_restants: float, annees_restantes: float) -> float:
    """Droits uniques spread over the remaining years: 100 over 10 → 10 a year (§4.2)."""
    if annees_restantes <= 0:
        raise ValueError("Le nombre d'années restantes doit être strictement positif.")
    return droits_restants / annees_restantes


def taux_droits_uniques(droits_restants: float, annees_restantes: float,
                        flux_net: float) -> float:
    """Rate in percent of the droits uniques: 10 a year on a flux of 50 → 20.0 (§4.2)."""
    if flux_net <= 0:
        raise ValueError("Le flux net doit être strictement positif.")
    return 100.0 * droits_uniques_par_an(droits_restants, annees_restantes) / flux_net


def repartition_uniforme(taux_pct: float, flux_par_commune: dict[str, float]) -> dict[str, float]:
    """Préfet spread applied uniformly in each commune: 25 % of {A: 40, B: 20} → A 10, B 5."""
    return {c: taux_pct / 100.0 * f for c, f in flux_par_commune.items()}


@dataclass(frozen=True)
class Controle:
    """One legal check: pass/fail with its article and a French explanation."""

    code: str
    libelle: str
    article: str
    valeur: float
    limite: float
    respecte: bool
    message: str


def controle_prefet(taux_prefet: float, taux_agents: float, max_pct: float = 30.0,
                    max_agents_pct: float = 5.0) -> list[Controle]:
    """Préfet ≤ 30 % of the flux, agents ≤ 5 % (R441-5-2), no dérogation in play (the dated
    check with dérogations is `controles_prefet`)."""
    ok = taux_prefet <= max_pct + EPS
    msg = (f"Contingent préfectoral de {fmt_part_max(taux_prefet, max_pct)} pour un maximum de "
           f"{fmt_part(max_pct)}")
    msg += "." if ok else " : convention irrégulière sans dérogation datée d'un an au plus."
    ok_agents = taux_agents <= max_agents_pct + EPS
    return [
        Controle("prefet_max", "Préfet : part maximale du flux", "R441-5-2", taux_prefet,
                 max_pct, ok, msg),
        Controle("prefet_agents_max", "Préfet : agents de l'État", "R441-5-2", taux_agents,
                 max_agents_pct, ok_agents,
                 f"Part des agents de l'État de {fmt_part_max(taux_agents, max_agents_pct)} "
                 f"pour un maximum de {fmt_part(max_agents_pct)}"
                 + ("." if ok_agents else " : non conforme.")),
    ]


def minimum_hors_qpv_prefet(n_orientes: int, pct: float = 30.0) -> int:
    """Reading A: dwellings oriented to the préfet that must lie outside QPV. 20 → 6 (§9 ex. 7)."""
    return minimum_requis(pct, n_orientes)


def controle_hors_qpv_prefet(lecture: str, prefet_total: int, prefet_hors_qpv: int,
                             flux_hors_qpv: int, pct: float = 30.0) -> Controle:
    """The préfet's hors-QPV rule under reading A or B (docs/regles.md#hors-qpv), on counts of
    the year.

    A: at least pct % of the dwellings oriented to the préfet are outside QPV.
    B: the préfet's rate on the hors-QPV flux (its hors-QPV dwellings over the hors-QPV flux)
       is at least pct %.
    """
    if lecture == "A":
        need = minimum_requis(pct, prefet_total)
        share = 100.0 * prefet_hors_qpv / prefet_total if prefet_total else 100.0
        return Controle(
            "prefet_hors_qpv", "Préfet : part hors QPV (lecture A)", "R441-5-2", share, pct,
            prefet_hors_qpv >= need,
            f"Lecture A : {_hors_qpv_a(prefet_total, prefet_hors_qpv, share, need, pct)}.")
    need = minimum_requis(pct, flux_hors_qpv)
    share = 100.0 * prefet_hors_qpv / flux_hors_qpv if flux_hors_qpv else 100.0
    return Controle(
        "prefet_hors_qpv", "Préfet : taux sur le flux hors QPV (lecture B)", "R441-5-2", share,
        pct, prefet_hors_qpv >= need,
        f"Lecture B : {_hors_qpv_b(flux_hors_qpv, prefet_hors_qpv, share, need, pct)}.")


def _hors_qpv_a(total: int, hors: int, share: float, need: int, pct: float) -> str:
    """Reading A in words, agreeing with the counts: « aucun logement orienté au préfet »,
    « le logement orienté au préfet est hors QPV », « 1 des 3 logements orientés au préfet est
    hors QPV », « 5 des 20 … sont hors QPV »."""
    if not total:
        return f"aucun logement orienté au préfet, aucun n'est exigé hors QPV ({fmt_part(pct)})"
    faut = f"il en faut au moins {fmt_int(need)} ({fmt_part(pct)})"
    if total == 1:
        etat = "est hors QPV" if hors else "n'est pas hors QPV"
        return f"le logement orienté au préfet {etat} ({fmt_part(share)}) ; {faut}"
    des = f"des {fmt_int(total)} logements orientés au préfet"
    if not hors:
        return f"aucun {des} n'est hors QPV ({fmt_part(share)}) ; {faut}"
    verbe = pluriel(hors, "est", "sont")
    return f"{fmt_int(hors)} {des} {verbe} hors QPV ({fmt_part(share)}) ; {faut}"


def _hors_qpv_b(flux: int, recus: int, share: float, need: int, pct: float) -> str:
    """Reading B in words: « le préfet a reçu 14 des 50 logements du flux hors QPV », « le
    préfet a reçu le logement du flux hors QPV », « aucun logement dans le flux hors QPV »."""
    if not flux:
        return ("aucun logement dans le flux hors QPV, aucun n'est exigé pour le préfet "
                f"({fmt_part(pct)})")
    faut = f"il en faut au moins {fmt_int(need)} ({fmt_part(pct)})"
    if flux == 1:
        recu = "a reçu" if recus else "n'a pas reçu"
        return f"le préfet {recu} le logement du flux hors QPV ({fmt_part(share)}) ; {faut}"
    des = f"des {fmt_int(flux)} logements du flux hors QPV"
    if not recus:
        return f"le préfet n'a reçu aucun {des} ({fmt_part(share)}) ; {faut}"
    return f"le préfet a reçu {fmt_int(recus)} {des} ({fmt_part(share)}) ; {faut}"


# -- préfectoral dérogations (R441-5-2, docs/regles.md#derogations)
@dataclass(frozen=True)
class Derogation:
    """An arrêté raising the préfet's limit in one département for one year at most: from
    date_debut to date_fin (both included), at taux_max and, for the State's agents, at
    taux_agents_max (None: the ordinary 5 % still applies to them)."""

    arrete: str
    date_debut: date
    date_fin: date
    taux_max: float
    taux_agents_max: float | None = None
    departement: str | None = None
    derogation_id: str | None = None

    @property
    def fin_maximale(self) -> date:
        return fin_max_derogation(self.date_debut)

    @property
    def valide(self) -> bool:
        """One year at most: date_fin ≤ date_debut + 1 year − 1 day."""
        return self.date_debut <= self.date_fin <= self.fin_maximale

    @property
    def jours(self) -> int:
        return (self.date_fin - self.date_debut).days + 1

    def couvre(self, jour: date) -> bool:
        return self.date_debut <= jour <= self.date_fin

    def libelle(self) -> str:
        return f"{self.arrete} du {_d(self.date_debut)} au {_d(self.date_fin)}"


def fin_max_derogation(debut: date) -> date:
    """Last day a dérogation starting on `debut` may cover: the day before its anniversary
    (01/03/2025 → 28/02/2026; 01/01/2024 → 31/12/2024, 366 days; 29/02/2024 → 28/02/2025)."""
    try:
        anniversaire = debut.replace(year=debut.year + 1)
    except ValueError:  # 29 February: the anniversary is 1 March
        anniversaire = date(debut.year + 1, 3, 1)
    return anniversaire - timedelta(days=1)


def derogation_du_jour(jour: date, derogations: list[Derogation]) -> Derogation | None:
    """The valid dérogation in force on `jour` (the latest arrêté when several overlap)."""
    found = [d for d in derogations if d.valide and d.couvre(jour)]
    return max(found, key=lambda d: (d.date_debut, d.taux_max), default=None)


def limite_prefet(jour: date, derogations: list[Derogation], max_pct: float = 30.0,
                  max_agents_pct: float = 5.0) -> tuple[float, float, Derogation | None]:
    """The préfet's limit and its agents' limit on a day, and the dérogation giving them: a
    valid dérogation in force raises them (never below the ordinary limits), else 30 % / 5 %."""
    d = derogation_du_jour(jour, derogations)
    if d is None:
        return max_pct, max_agents_pct, None
    agents = max_agents_pct if d.taux_agents_max is None else max(d.taux_agents_max,
                                                                   max_agents_pct)
    return max(d.taux_max, max_pct), agents, d


@dataclass(frozen=True)
class Tranche:
    """Days of one year with the same préfet's rates and the same limits."""

    du: date
    au: date
    taux: float
    taux_agents: float
    limite: float
    limite_agents: float
    derogation: Derogation | None

    @property
    def jours(self) -> int:
        return (self.au - self.du).days + 1


def tranches_prefet(periodes, derogations: list[Derogation], max_pct: float = 30.0,
                    max_agents_pct: float = 5.0) -> list[Tranche]:
    """Cut periods (du, au, taux, taux_agents) where a dérogation starts or ends and at each
    1 January; each piece carries the limits of its days. Adjacent equal pieces merge."""
    out: list[Tranche] = []
    for du, au, taux, agents in sorted(periodes):
        cuts = {d.date_debut for d in derogations if d.valide}
        cuts |= {d.date_fin + timedelta(days=1) for d in derogations if d.valide}
        cuts |= {date(y, 1, 1) for y in range(du.year + 1, au.year + 1)}
        starts = [du, *sorted(c for c in cuts if du < c <= au)]
        for a, b in zip(starts, [*starts[1:], au + timedelta(days=1)]):
            lim, lim_a, d = limite_prefet(a, derogations, max_pct, max_agents_pct)
            t = Tranche(a, b - timedelta(days=1), float(taux), float(agents), lim, lim_a, d)
            prev = out[-1] if out else None
            if (prev and prev.au + timedelta(days=1) == t.du and prev.du.year == t.du.year
                    and (prev.taux, prev.taux_agents, prev.derogation)
                    == (t.taux, t.taux_agents, t.derogation)):
                out[-1] = Tranche(prev.du, t.au, t.taux, t.taux_agents, t.limite,
                                  t.limite_agents, t.derogation)
            else:
                out.append(t)
    return out


def controles_prefet(periodes, derogations: list[Derogation], max_pct: float = 30.0,
                     max_agents_pct: float = 5.0) -> list[Controle]:
    """The préfet's limits day by day over `periodes` (du, au, taux, taux_agents), with the
    dérogations of the département: verdict per stretch of each year, in French with dates.

    A rate over the limit on any day is a violation (respecte False) and the message names
    the days. valeur / limite are those of the tightest stretch. An over-long dérogation is
    not applied (30 % on its days) and is reported by a third check."""
    tr = tranches_prefet(periodes, derogations, max_pct, max_agents_pct)
    if not tr:
        return []
    out = [
        _controle_tranches("prefet_max", "Préfet : part maximale du flux", "Contingent "
                           "préfectoral", tr, "taux", "limite", max_pct,
                           " : convention irrégulière sans dérogation datée d'un an au plus."),
        _controle_tranches("prefet_agents_max", "Préfet : agents de l'État", "Part des agents "
                           "de l'État", tr, "taux_agents", "limite_agents", max_agents_pct,
                           "."),
    ]
    debut, fin = tr[0].du, tr[-1].au
    longues = [d for d in derogations
               if not d.valide and d.date_debut <= fin and d.date_fin >= debut]
    if longues:
        out.append(Controle(
            "prefet_derogation_duree", "Préfet : durée de la dérogation", "R441-5-2",
            float(max(d.taux_max for d in longues)), max_pct, False,
            "Dérogation de plus d'un an : " + " ; ".join(
                f"{d.libelle()} ({d.jours} jours ; un an au plus, soit jusqu'au "
                f"{_d(d.fin_maximale)})"
                for d in longues) + f" : limite de {fmt_part(max_pct)} appliquée."))
    return out


def _controle_tranches(code: str, libelle: str, sujet: str, tr: list[Tranche], col: str,
                       col_lim: str, base: float, sans: str) -> Controle:
    vue = _vue(tr, col, col_lim)
    ok = all(taux <= lim + EPS for _, _, taux, lim, _ in vue)
    _, _, valeur, limite, _ = min(vue, key=lambda v: v[3] - v[2])
    constant = len({v[2] for v in vue}) == 1
    if constant and (all(taux <= base + EPS for _, _, taux, _, _ in vue)
                     or all(lim <= base + EPS for *_, lim, _ in vue)):
        # a constant rate that needs no dérogation, or no dérogation raises this limit:
        # one sentence, no dates
        msg = f"{sujet} de {fmt_part_max(valeur, base)} pour un maximum de {fmt_part(base)}"
        return Controle(code, libelle, "R441-5-2", valeur, limite, ok,
                        msg + ("." if ok else sans))
    years: dict[int, list[str]] = {}
    for v in vue:
        years.setdefault(v[0].year, []).append(_phrase(*v, agents=col == "taux_agents"))
    head = f"{sujet} de {fmt_part(valeur)}" if constant else sujet
    body = " ; ".join(f"{y} : {', '.join(parts)}" for y, parts in years.items())
    return Controle(code, libelle, "R441-5-2", valeur, limite, ok, f"{head} — {body}.")


def _vue(tr: list[Tranche], col: str, col_lim: str) -> list[tuple]:
    """(du, au, taux, limite, dérogation) for one limit, equal neighbours of a year merged."""
    out: list[tuple] = []
    for t in tr:
        v = (t.du, t.au, getattr(t, col), getattr(t, col_lim), t.derogation)
        if out and out[-1][0].year == t.du.year and out[-1][2:] == v[2:] \
                and out[-1][1] + timedelta(days=1) == t.du:
            out[-1] = (out[-1][0], *v[1:])
        else:
            out.append(v)
    return out


def _phrase(du: date, au: date, taux: float, lim: float, d: Derogation | None,
            agents: bool = False) -> str:
    when = f"le {du:%d/%m}" if du == au else f"du {du:%d/%m} au {au:%d/%m}"
    sous = d is not None and (not agents or d.taux_agents_max is not None)
    if taux <= lim + EPS:
        why = f"{fmt_part(taux)} ≤ {fmt_part(lim)}" + (
            f" sous la dérogation {d.libelle()}" if sous else "")
        return f"conforme {when} ({why})"
    if sous:
        why = f"{fmt_part_max(taux, lim)} > {fmt_part(lim)} malgré la dérogation {d.libelle()}"
    elif d is not None:
        why = (f"{fmt_part_max(taux, lim)} > {fmt_part(lim)} : la dérogation {d.libelle()} "
               "ne relève pas la part des agents")
    else:
        why = f"{fmt_part_max(taux, lim)} > {fmt_part(lim)} hors période de dérogation"
    return f"non conforme {when} ({accord((au - du).days + 1, 'jour', 'jours')} : {why})"


def _d(x: date) -> str:
    return x.strftime("%d/%m/%Y")
