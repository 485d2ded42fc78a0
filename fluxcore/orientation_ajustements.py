"""The ranking principle of the orientation assistant and the adjustments of the deficit
(docs/regles.md#orientation ; README « Orientation »).

The deficit leads: what a destination is owed to date minus what it received, in dwellings.
A destination is « en retard » when its deficit is at least one dwelling, « en avance » when it
is at most minus one, « à jour » in between (one dwelling: the floor of the gauges' tolerance,
`jauges.statut_ecart`); the three groups come in that order whatever the adjustments, so no
adjustment ever lifts a destination ahead of its due above one that is behind. Within a group,
the deficit is adjusted by four components, each a value in [−1, 1] times its weight in
dwellings (setting `orientation_poids`: weight of the component / weight of the deficit, so
0,15 / 0,40 = 0,375 dwelling at most by default), and only where its evidence is what the page
that shows it requires:
- préfet hors QPV: the check of the Jauges page (préfet and State agents pooled, reading A or
  B of the setting), now and if this dwelling went to the préfet;
- qualité du flux: at least `jauges.MIN_ORIENTES_QUALITE` dwellings oriented this year, the
  gauges' own minimum;
- objectifs CIL: the EPCI's objective lags as on the Objectifs page (« il faut encore … »),
  and the destination's recent households are enough to say anything (same minimum);
- fragilité: the résidence's class of the Résidences page (« à surveiller » or « fragile »).
Sort key: (group, − adjusted score, − deficit, identifier), every number rounded to 0,01
dwelling (half up, after 1e-9 so that 1,2 − 1 and 0,2 are the same key) before comparing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from fluxcore.formats import fmt_cible, fmt_num, fmt_part, fmt_pct, fmt_signe
from fluxcore.jauges import MIN_ORIENTES_QUALITE
from fluxcore.regles import TYPES_PREFET, Controle, controle_hors_qpv_prefet, minimum_requis

SITUATIONS = ("en retard", "à jour", "en avance")   # order of the first sort key
SEUIL_SITUATION = 1.0                               # dwellings
AJUSTEMENTS = {"prefet_hors_qpv": "Règle hors QPV du préfet", "qualite": "Qualité du flux",
               "cil": "Objectifs CIL de l'EPCI", "fragilite": "Fragilité de la résidence"}
PRINCIPE = ("Le déficit (dû à date − livrés, en logements) mène : d'abord les destinations en "
            "retard d'au moins un logement, puis à jour, puis en avance ; dans chaque groupe, "
            "le déficit ajusté par les règles dont les données suffisent ; à égalité, "
            "l'identifiant.")


@dataclass(frozen=True)
class Constat:
    """What one component finds for one destination."""

    valeur: float   # in [−1, 1]; 0 when not judged
    applique: bool  # judged: the rule bears on it and its evidence suffices (value may be 0)
    raison: str     # French, with its figures, ending with a full stop


@dataclass(frozen=True)
class PoolPrefet:
    """The préfet's hors-QPV rule on the préfet and State-agent lines pooled (as the gauges)."""

    maintenant: Controle
    apres: Controle      # if this dwelling were oriented to the préfet
    total: int
    pct: float


def arrondi(x: float, decimales: int = 2) -> float:
    """x rounded half up to `decimales`, after 1e-9 (float noise): 0.19999999999999996 → 0.2."""
    q = Decimal(1).scaleb(-decimales)
    return float(Decimal(repr(round(float(x), 9))).quantize(q, rounding=ROUND_HALF_UP)) + 0.0


def situation(deficit: float) -> str:
    d = arrondi(deficit)
    if d >= SEUIL_SITUATION:
        return SITUATIONS[0]
    return SITUATIONS[2] if d <= -SEUIL_SITUATION else SITUATIONS[1]


def cle_tri(situation_: str, score: float, deficit: float, destinataire: str) -> tuple:
    """The ranking key: group, then adjusted score and deficit (descending, rounded), then id."""
    return (SITUATIONS.index(situation_), -arrondi(score), -arrondi(deficit), destinataire)


def unite(poids: dict, composante: str) -> float:
    """Dwellings a component at full value weighs: its weight over the deficit's (a deficit
    weighing nothing switches the adjustments off: the deficit leads anyway)."""
    base = float(poids.get("retard", 0.0))
    return float(poids.get(composante, 0.0)) / base if base > 0 else 0.0


def _mot(x: float) -> str:
    return "logements" if abs(arrondi(x)) >= 2 else "logement"   # French: plural from 2


def logements(x: float) -> str:
    """'0,20 logement', '-3,00 logements'."""
    return f"{fmt_num(x, 2)} {_mot(x)}"


def pluriel(n: int, mot: str, pluriel_: str | None = None) -> str:
    """'1 bail', '2 baux', '0 attribution'."""
    return f"{n} {mot if abs(n) < 2 else (pluriel_ or mot + 's')}"


def effet(ajustement: float) -> str:
    """'Ajustement : +0,38 logement.' or 'Ajustement : aucun.'"""
    if not arrondi(ajustement):
        return "Ajustement : aucun."
    return f"Ajustement : {fmt_signe(ajustement, 2)} {_mot(ajustement)}."


# -- préfet hors QPV ---------------------------------------------------------------------------
def pool_prefet(etat: pd.DataFrame, en_qpv: bool, lecture: str, pct: float) -> PoolPrefet:
    """The Jauges page's check on the département (préfet lines added up, hors-QPV flux of
    the largest perimeter), now and after this dwelling."""
    p = etat[etat["type"].isin(TYPES_PREFET)]
    total, hors = int(p["orientes"].sum()), int(p["orientes_hors_qpv"].sum())
    flux = int(p["flux_hors_qpv"].max()) if len(p) else 0   # the dwelling is already in it
    now = controle_hors_qpv_prefet(lecture, total, hors, flux, pct)
    after = controle_hors_qpv_prefet(lecture, total + 1, hors + (not en_qpv), flux, pct)
    return PoolPrefet(now, after, total, pct)


def prefet_hors_qpv(type_: str, en_qpv: bool, pool: PoolPrefet) -> Constat:
    if type_ not in TYPES_PREFET:
        return Constat(0.0, False, "Sans objet : la règle ne vise que le contingent du préfet.")
    base = (f"{pool.maintenant.message[:-1]} — préfet et agents de l'État ensemble, comme sur "
            "la page Jauges.")
    if not pool.maintenant.respecte:
        if not en_qpv:
            return Constat(1.0, True, f"{base} Règle non respectée : ce logement hors QPV aide "
                                      "à la respecter.")
        return Constat(-1.0, True, f"{base} Règle non respectée : ce logement en QPV n'y aide "
                                   "pas.")
    if not pool.apres.respecte:
        n = pool.total + 1
        return Constat(-1.0, True, f"{base} Avec ce logement en QPV, il en faudrait au moins "
                                   f"{minimum_requis(pool.pct, n)} hors QPV sur {n} : la règle "
                                   "ne serait plus respectée.")
    return Constat(0.0, True, f"{base} Règle respectée avec ou sans ce logement.")


# -- qualité du flux ---------------------------------------------------------------------------
def _share(part: int, total: int) -> float | None:
    return 100.0 * part / total if total else None


def _clip(x: float) -> float:
    return max(-1.0, min(1.0, x))


def qualite(e, lg: dict, neutre: bool) -> Constat:
    """This dwelling's typology and QPV status against the destination's share of them and the
    flux's; judged from MIN_ORIENTES_QUALITE dwellings oriented this year, as the gauges."""
    if neutre:
        return Constat(0.0, False, "Sans objet pour un usage interne ou la part du bailleur.")
    if e.orientes < MIN_ORIENTES_QUALITE:
        return Constat(0.0, False, (
            f"Trop peu de logements orientés pour juger : {e.orientes} cette année, il en "
            f"faut au moins {MIN_ORIENTES_QUALITE} (même seuil que la page Jauges)."))
    qpv = "en QPV" if lg["en_qpv"] else "hors QPV"
    parts, texts = [], []
    for label, mine, flux in ((lg["typologie"], e.orientes_meme_typo, e.flux_meme_typo),
                              (qpv, e.orientes_meme_qpv, e.flux_meme_qpv)):
        p_r, p_f = _share(mine, e.orientes), _share(flux, e.entres)
        if p_f is None:
            continue
        parts.append(_clip((p_f - p_r) / max(p_f, 5.0)))
        texts.append(f"{label} : {fmt_pct(p_r)} de ses {e.orientes} logements contre "
                     f"{fmt_pct(p_f)} du flux")
    value = sum(parts) / len(parts) if parts else 0.0
    if not texts:
        return Constat(0.0, False, "Flux vide : rien à comparer.")
    sens = ("il en a reçu moins que le flux" if arrondi(value) > 0 else
            "il en a reçu plus que le flux" if arrondi(value) < 0 else "comme le flux")
    return Constat(value, True, f"{' ; '.join(texts)} : {sens}.")


# -- objectifs CIL -----------------------------------------------------------------------------
def _profil(profils: pd.DataFrame, destinataire: str) -> tuple[int, float, float]:
    """(attributions of the destination, its first-quartile share, everyone's) over 24 months."""
    prof = profils.set_index("destinataire")
    tot = prof["attributions"].sum()
    q1_all = 100.0 * prof["q1"].sum() / tot if tot else 0.0
    if destinataire not in prof.index:
        return 0, 0.0, q1_all
    n = int(prof.at[destinataire, "attributions"])
    return n, (100.0 * prof.at[destinataire, "q1"] / n if n else 0.0), q1_all


def _trop_peu(n: int) -> str:
    return (f"trop peu de ménages logés par ce destinataire pour en juger : "
            f"{pluriel(n, 'attribution')} en 24 mois, il en faut au moins "
            f"{MIN_ORIENTES_QUALITE} (même seuil que la qualité du flux).")


def cil(destinataire: str, lg: dict, profils: pd.DataFrame, indicateurs: dict) -> Constat:
    """The EPCI objective this dwelling bears on (Q1 hors QPV outside QPV, quartiles 2–4 in
    QPV), when it lags as on the Objectifs page, and the destination's first-quartile share."""
    code = "Q234_EN_QPV" if lg["en_qpv"] else "Q1_HORS_QPV"
    ind = indicateurs.get(code)
    lieu = "en QPV" if lg["en_qpv"] else "hors QPV"
    if ind is None or ind.base == 0:
        return Constat(0.0, False, f"Aucun bail signé {lieu} cette année dans l'EPCI : "
                                   "objectif pas encore mesurable.")
    label = "quartiles 2 à 4 en QPV" if lg["en_qpv"] else "1er quartile hors QPV"
    state = (f"Objectif {label} de l'EPCI : {fmt_part(ind.pct, ind.cible_pct)} "
             f"({ind.realise} sur {pluriel(ind.base, 'bail', 'baux')}) pour une cible de "
             f"{fmt_cible(ind.cible_pct)}")
    if ind.manque == 0:
        return Constat(0.0, True, f"{state} : atteint, rien à rattraper.")
    n, q1_d, q1_all = _profil(profils, destinataire)
    state = f"{state}, il en manque {ind.manque}"
    if n < MIN_ORIENTES_QUALITE:
        return Constat(0.0, False, f"{state} ; {_trop_peu(n)}")
    diff = (q1_d - q1_all) if not lg["en_qpv"] else (q1_all - q1_d)
    value = ind.retard * _clip(diff / max(q1_all, 5.0))
    return Constat(value, True, (
        f"{state} ; {fmt_part(q1_d)} des {n} ménages logés par ce destinataire sont du 1er "
        f"quartile contre {fmt_part(q1_all)} en moyenne."))


# -- fragilité de la résidence -----------------------------------------------------------------
def fragilite(destinataire: str, profils: pd.DataFrame, frag: dict, seuil_fragile: float
              ) -> Constat:
    """For a résidence classed « à surveiller » or « fragile » on the Résidences page, favour
    destinations whose recent households are less often first quartile (their effect on the
    index: fluxcore.fragilite.impact)."""
    state = f"Résidence « {frag['classe']} » (indice {fmt_num(frag['indice'], 2)})"
    if frag["classe"] not in ("fragile", "à surveiller"):
        return Constat(0.0, False, f"{state}, comme sur la page Résidences : rien à ménager.")
    n, q1_d, q1_all = _profil(profils, destinataire)
    if n < MIN_ORIENTES_QUALITE:
        return Constat(0.0, False, f"{state} ; {_trop_peu(n)}")
    gap = frag["delta_q1"] - frag["delta_autre"]      # extra index of a Q1 household
    expected = (q1_d - q1_all) / 100.0 * gap
    severity = min(1.0, frag["indice"] / seuil_fragile)
    value = _clip(-severity * expected / max(abs(gap), 1e-6))
    return Constat(value, True, (
        f"{state} : un ménage du 1er quartile y ajoute {fmt_num(gap, 3)} à l'indice par rapport "
        f"à un autre ménage ; {fmt_part(q1_d)} des {n} ménages logés par ce destinataire sont "
        f"du 1er quartile contre {fmt_part(q1_all)} en moyenne."))
