"""The deterministic simulation: assiette per year and perimeter, rates, droits, mix, limits.

For each year of the period and each perimeter of a line (the département, a commune, an
EPCI):  libérations = Σ_segments parc(1 January) × rotation ; flux_brut = libérations +
premières (when in the flux) ; flux_net = flux_brut − Σ soustraits ; droits = taux × flux_net.
Rotation per segment (typologie × QPV) is, by scenario: observed on the perimeter over the
past years (the assiette engine's rule, with the perimeter's overall rate for an unobserved
segment), the vacancy model's expectation, one global rate, or a rate per segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from fluxcore import conventions
from fluxcore.formats import pluriel
from fluxcore.geo import dans_perimetre
from fluxcore.regles import (
    INTERNES,
    TYPES_PREFET,
    droits_uniques_par_an,
    taux_droits_uniques,
    taux_part_stock,
)
from fluxcore.simulation.entrees import Entrees
from fluxcore.simulation.scenario import TYPOLOGIES, LigneReservataire, Scenario, segment_key


def lignes_initiales(e: Entrees) -> list[LigneReservataire]:
    """One line per current convention (negotiated at its present rate), then one per
    réservataire holding stock without a convention (converted by share of stock). A loan
    guarantee whose rights ended before the period is left out (droits_eteints)."""
    out = []
    for c in e.conventions.itertuples():
        perim = None if pd.isna(c.perimetre) else str(c.perimetre)
        has_rate = not pd.isna(c.taux_flux)
        fin = _iso(getattr(c, "fin_droits", None))
        if fin is not None and fin < date(e.annee_debut, 1, 1).isoformat():
            continue
        out.append(LigneReservataire(
            c.reservataire_id, c.nom, c.type, perim, bool(c.garantie_emprunt),
            "negocie" if has_rate else "part_stock", float(c.taux_flux) if has_rate else None,
            fin_droits=fin, debut_droits=_iso(getattr(c, "debut_droits", None))))
    return out


def droits_eteints(e: Entrees) -> list[str]:
    """Warnings for the base's loan-guarantee conventions whose rights end before or
    during the period (end of the loan + garantie_duree_apres_pret_ans years)."""
    ans = int(e.reglages.get("garantie_duree_apres_pret_ans", 5))
    out = []
    for c in e.conventions.itertuples():
        fin = _iso(getattr(c, "fin_droits", None))
        if fin is None or fin > date(e.annee_fin, 12, 31).isoformat():
            continue
        jour = date.fromisoformat(fin).strftime("%d/%m/%Y")
        out.append(f"{c.nom} : les droits liés à la garantie d'emprunt prennent fin le {jour} "
                   f"(fin du prêt + {ans} ans)" + (
                       " : convention non reprise dans le scénario." if fin < date(
                           e.annee_debut, 1, 1).isoformat() else
                       " : droits comptés jusqu'à cette date, nuls ensuite."))
    return out


def part_annee(fin_droits: str | None, annee: int, debut_droits: str | None = None) -> float:
    """Share of year `annee` during which rights running from `debut_droits` to `fin_droits`
    (ISO, both included; None: no start / no end) run: 1 all year, 0 outside, days / days of
    the year in between (fluxcore.conventions.part_annee: 01/04–31/12 of 2026 → 275/365)."""
    fin, debut = _iso(fin_droits), _iso(debut_droits)
    if fin is None and debut is None:
        return 1.0
    return conventions.part_annee(
        date.fromisoformat(debut) if debut else date(annee, 1, 1),
        date.fromisoformat(fin) if fin else date(annee, 12, 31), annee)


def _iso(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date().isoformat()


SEGMENTS = [(t, q) for t in TYPOLOGIES for q in (False, True)]


@dataclass
class Cube:
    """Dense arrays of the inputs: communes × segments (× years); built once per Entrees."""

    communes: np.ndarray          # C commune codes
    epcis: np.ndarray             # C EPCI SIREN
    parc: np.ndarray              # C × S × Y, in service on 1 January
    premieres: np.ndarray         # C × S × Y
    parc_observe: np.ndarray      # C × S
    liberations_observees: np.ndarray  # C × S
    soustraits: np.ndarray        # C × K (observed mean per year)
    vacance_p: np.ndarray         # C × S: Σ model probabilities (first year's parc)
    vacance_n: np.ndarray         # C × S

    def masque(self, perimetre: str | None) -> np.ndarray:
        if perimetre is None:
            return np.ones(len(self.communes), dtype=bool)
        return (self.communes == perimetre) | (self.epcis == perimetre)


def cube(e: Entrees) -> Cube:
    """The Entrees as arrays (cached on the object)."""
    cached = getattr(e, "_cube", None)
    if cached is not None:
        return cached
    frames = [e.parc, e.observe, e.soustraits, e.vacance]
    keys = pd.concat([_premieres(f) for f in frames if len(f)]
                     ).drop_duplicates("commune_insee").sort_values("commune_insee")
    communes = pd.Index(keys["commune_insee"])
    yi = {a: i for i, a in enumerate(e.annees)}
    n_c, n_s, n_y = len(communes), len(SEGMENTS), len(e.annees)

    def ci(col: pd.Series) -> np.ndarray:     # every commune of the frames is in `keys`
        return _positions(col, communes)

    def seg_index(df: pd.DataFrame) -> np.ndarray:
        """Position in SEGMENTS (typologie-major, hors QPV then QPV)."""
        t = _positions(df["typologie"], _TYPOLOGIES)
        if (t < 0).any():
            raise KeyError(f"typologie inconnue : {df['typologie'][t < 0].iloc[0]!r}")
        return 2 * t + df["en_qpv"].to_numpy(dtype=bool)

    parc, prem = np.zeros((n_c, n_s, n_y)), np.zeros((n_c, n_s, n_y))
    if len(e.parc):
        idx = (ci(e.parc["commune_insee"]), seg_index(e.parc),
               e.parc["annee"].map(yi).to_numpy())
        np.add.at(parc, idx, e.parc["parc"].to_numpy(float))
        np.add.at(prem, idx, e.parc["premieres"].to_numpy(float))
    obs_p, obs_l = np.zeros((n_c, n_s)), np.zeros((n_c, n_s))
    if len(e.observe):
        idx = (ci(e.observe["commune_insee"]), seg_index(e.observe))
        np.add.at(obs_p, idx, e.observe["parc_observe"].to_numpy(float))
        np.add.at(obs_l, idx, e.observe["liberations_observees"].to_numpy(float))
    sous = np.zeros((n_c, len(INTERNES)))
    if len(e.soustraits):
        ki = {k: i for i, k in enumerate(INTERNES)}
        np.add.at(sous, (ci(e.soustraits["commune_insee"]),
                         e.soustraits["categorie"].map(ki).to_numpy()),
                  e.soustraits["par_an"].to_numpy(float))
    vp, vn = np.zeros((n_c, n_s)), np.zeros((n_c, n_s))
    if len(e.vacance):
        idx = (ci(e.vacance["commune_insee"]), seg_index(e.vacance))
        np.add.at(vp, idx, e.vacance["p"].to_numpy(float))
        np.add.at(vn, idx, 1.0)
    c = Cube(keys["commune_insee"].to_numpy(), keys["epci_siren"].to_numpy(), parc, prem,
             obs_p, obs_l, sous, vp, vn)
    e._cube = c
    return c


_TYPOLOGIES = pd.Index(TYPOLOGIES)


def _positions(col: pd.Series, ordre: pd.Index) -> np.ndarray:
    """Position of each value of `col` in `ordre` (-1: absent), each distinct value looked
    up once (the model's frame has a row per dwelling, a few hundred distinct values)."""
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    return ordre.get_indexer(uniques).astype(np.int64)[codes]


def _premieres(df: pd.DataFrame) -> pd.DataFrame:
    """commune_insee, epci_siren of each commune's first row (as drop_duplicates, hashed once:
    the model's frame has a row per dwelling)."""
    codes, _ = pd.factorize(df["commune_insee"], use_na_sentinel=False)
    first = np.unique(codes, return_index=True)[1]
    return df[["commune_insee", "epci_siren"]].iloc[np.sort(first)]


@dataclass
class Flux:
    """The flux of one perimeter: arrays segments × years (sous: categories × S × Y)."""

    rotation: np.ndarray
    parc: np.ndarray
    liberations: np.ndarray
    premieres: np.ndarray
    premieres_flux: np.ndarray
    brut: np.ndarray
    sous: np.ndarray
    net: np.ndarray

    def par_an(self, annees: list[int]) -> pd.DataFrame:
        d = {"annee": annees, "parc": self.parc.sum(0), "liberations": self.liberations.sum(0),
             "premieres": self.premieres.sum(0), "premieres_flux": self.premieres_flux.sum(0),
             "flux_brut": self.brut.sum(0)}
        for k, cat in enumerate(INTERNES):
            d[f"soustraits_{cat}"] = self.sous[k].sum(0)
        d["soustraits"] = self.sous.sum(axis=(0, 1))
        d["flux_net"] = self.net.sum(0)
        return pd.DataFrame(d)


def rotation(e: Entrees, s: Scenario, m: np.ndarray) -> np.ndarray:
    """Rotation (0–1) per segment over the communes of mask `m`, under the scenario's mode:
    observed (an unobserved segment takes the perimeter's overall rate), the model's mean
    probability, one global rate, or a rate per segment (others stay observed)."""
    c = cube(e)
    obs, lib = c.parc_observe[m].sum(0), c.liberations_observees[m].sum(0)
    overall = lib.sum() / obs.sum() if obs.sum() else 0.0
    rot = np.divide(lib, obs, out=np.full(len(SEGMENTS), overall), where=obs > 0)
    if s.rotation_mode == "globale":
        rot[:] = float(s.rotation_pct) / 100.0
    elif s.rotation_mode == "segments":
        for j, (t, q) in enumerate(SEGMENTS):
            value = s.rotation_segments.get(segment_key(t, q))
            if value is not None:
                rot[j] = float(value) / 100.0
    elif s.rotation_mode == "modele":
        n, p = c.vacance_n[m].sum(0), c.vacance_p[m].sum(0)
        rot = np.divide(p, n, out=rot, where=n > 0)
    return rot


def flux_perimetre(e: Entrees, s: Scenario, perimetre: str | None) -> Flux:
    """Per segment and year of a perimeter: parc, libérations, premières, soustraits, flux."""
    c = cube(e)
    m = c.masque(perimetre)
    rot = rotation(e, s, m)
    parc, prem = c.parc[m].sum(0), c.premieres[m].sum(0)
    libs = parc * rot[:, None]
    if s.premieres_par_an is not None:
        prem = _repartir(prem if prem.sum() > 0 else parc,
                         s.premieres_par_an * _part_parc(c, m))
    dans = (s.premieres_dans_flux if s.premieres_dans_flux is not None
            else bool(e.reglages.get("premieres_mises_en_location_dans_flux", True)))
    prem_flux = prem if dans else np.zeros_like(prem)
    brut = libs + prem_flux
    sous = np.stack([_repartir(brut, v) for v in soustraits_perimetre(e, s, perimetre).values()])
    return Flux(rot, parc, libs, prem, prem_flux, brut, sous, brut - sous.sum(0))


def _part_parc(c: Cube, m: np.ndarray) -> float:
    total = c.parc[:, :, 0].sum()
    return float(c.parc[m][:, :, 0].sum() / total) if total else 0.0


def _repartir(weight: np.ndarray, total: float) -> np.ndarray:
    """Spread `total` each year over the segments pro rata of `weight` (S × Y)."""
    sums = weight.sum(0, keepdims=True)
    share = np.divide(weight, sums, out=np.full_like(weight, 1.0 / weight.shape[0]),
                      where=sums > 0)
    return share * total


def soustraits_perimetre(e: Entrees, s: Scenario, perimetre: str | None) -> dict[str, float]:
    """Subtractions per category per year: observed mean on the perimeter; a scenario value
    (département level) is spread over perimeters pro rata of the observed uses, else of
    the parc."""
    c = cube(e)
    m = c.masque(perimetre)
    obs, dep = c.soustraits[m].sum(0), c.soustraits.sum(0)
    out = {}
    for k, cat in enumerate(INTERNES):
        value = s.soustraits.get(cat)
        if value is None:
            out[cat] = float(obs[k])
        elif dep[k] > 0:
            out[cat] = float(value) * float(obs[k]) / float(dep[k])
        else:
            out[cat] = float(value) * _part_parc(c, m)
    return out


def resoudre_taux(e: Entrees, s: Scenario, ligne: LigneReservataire,
                  flux_net_moyen: float) -> tuple[float, str, list[str]]:
    """A line's rate in percent, the sentence explaining it, and warnings."""
    if ligne.type == "PREFET_FONCTIONNAIRES" and s.fonctionnaires_pct is not None:
        return float(s.fonctionnaires_pct), "Part des agents de l'État fixée par le scénario.", []
    if ligne.methode == "negocie":
        return float(ligne.taux_pct), "Taux négocié.", []
    taux, textes, alertes = 0.0, [], []
    if ligne.methode in ("part_stock", "stock_et_uniques"):
        c = cube(e)
        patrimoine = int(c.parc[c.masque(ligne.perimetre)][:, :, 0].sum())
        st = e.stock[(e.stock["reservataire_id"] == ligne.reservataire_id)
                     & (e.stock["type_droit"] == "SUITE") & _in(e.stock, ligne.perimetre)]
        reserves = (float(ligne.logements_reserves) if ligne.logements_reserves is not None
                    else float(st["logements"].sum()))
        if patrimoine > 0:
            taux += taux_part_stock(reserves, patrimoine)
            textes.append(f"{_n(reserves)} logements réservés sur un patrimoine de "
                          f"{_n(patrimoine)} = {_p(taux_part_stock(reserves, patrimoine))}")
        else:
            alertes.append(f"{ligne.nom or ligne.reservataire_id} : patrimoine nul, part du "
                           "stock non calculable.")
    if ligne.methode in ("droits_uniques", "stock_et_uniques"):
        droits, annees = droits_uniques(e, ligne)
        if droits > 0 and flux_net_moyen > 0:
            par_an = droits_uniques_par_an(droits, annees)
            t = taux_droits_uniques(droits, annees, flux_net_moyen)
            taux += t
            textes.append(f"{_n(droits)} droits uniques sur {_n(annees, 1)} "
                          f"{pluriel(annees, 'an', 'ans')} = "
                          f"{_n(par_an, 1)} par an, soit {_p(t)} d'un flux net moyen de "
                          f"{_n(flux_net_moyen, 1)}")
        elif droits > 0:
            alertes.append(f"{ligne.nom or ligne.reservataire_id} : flux net nul, taux des "
                           "droits uniques non calculable.")
    return taux, " ; ".join(textes) + "." if textes else "Aucun droit à convertir.", alertes


def droits_uniques(e: Entrees, ligne: LigneReservataire) -> tuple[float, float]:
    """Remaining droits uniques of a line and their remaining years: both may be overridden;
    otherwise years are the rights-weighted mean of round((end − 1 January) / 365.25), ≥ 1.
    Without an end date, the period's length."""
    st = e.stock[(e.stock["reservataire_id"] == ligne.reservataire_id)
                 & (e.stock["type_droit"] == "UNIQUE") & _in(e.stock, ligne.perimetre)]
    droits = (float(ligne.droits_uniques) if ligne.droits_uniques is not None
              else float(st["nb_droits"].sum()))
    if ligne.annees_restantes is not None:
        return droits, float(ligne.annees_restantes)
    if st.empty or st["nb_droits"].sum() == 0:
        return droits, float(len(e.annees))
    start = pd.Timestamp(e.annee_debut, 1, 1)
    ends = pd.to_datetime(st["date_fin"])
    years = ((ends - start).dt.days / 365.25).round().clip(lower=1).fillna(len(e.annees))
    return droits, float((years * st["nb_droits"]).sum() / st["nb_droits"].sum())


def _in(df: pd.DataFrame, perimetre: str | None) -> pd.Series:
    if perimetre is None:
        return pd.Series(True, index=df.index)
    return pd.Series(dans_perimetre(perimetre, df["commune_insee"], df["epci_siren"]),
                     index=df.index)


def est_prefet(type_: str) -> bool:
    return type_ in TYPES_PREFET


def _n(x: float, decimals: int = 0) -> str:
    from fluxcore.formats import fmt_int, fmt_num

    return fmt_int(x) if float(round(x, 9)).is_integer() else fmt_num(x, decimals or 1)


def _p(x: float) -> str:
    from fluxcore.formats import fmt_pct

    return fmt_pct(x, 0 if float(round(x, 6)).is_integer() else 1)
