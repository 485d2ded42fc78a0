"""Seeded Monte Carlo of the first year's libérations: how uncertain is each droit?

Each flux dwelling in service on 1 January leaves with its probability from the vacancy
model, rescaled per segment (typologie × QPV) so that the département's expected
libérations equal the scenario's (observed, global or per-segment rotation; no rescaling in
"modele" mode). Dwellings are grouped in cells (disjoint zone of the lines' perimeters ×
segment × decile of probability) and each cell's departures drawn as a binomial with the
cell's mean probability: the mean is exact, the spread within 1 % of the per-dwelling
Bernoulli draws, and 10 000 draws take a fraction of a second. First lettings and
subtractions are the scenario's (fixed); droits = rate × max(0, libérations + premières −
soustraits) of the line's perimeter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fluxcore.geo import commune_mere
from fluxcore.simulation.calcul import SEGMENTS, cube, flux_perimetre, part_annee
from fluxcore.simulation.entrees import Entrees
from fluxcore.simulation.resultats import Resultats, ligne
from fluxcore.simulation.scenario import TYPOLOGIES

QUANTILES = (10, 50, 90)
BINS = 10
CHUNK = 2_500


@dataclass
class MonteCarlo:
    """Draws of one year and their summaries (P10/P50/P90 of each line's droits)."""

    annee: int
    tirages: int
    graine: int
    reservataires: pd.DataFrame   # reservataire_id, perimetre, nom, esperance, moyenne, p10…
    flux: pd.DataFrame            # département: indicateur, esperance, moyenne, p10, p50, p90
    _libs: np.ndarray = field(repr=False, default=None)        # draws × zones × segments
    _zones: list = field(repr=False, default_factory=list)     # zone keys
    _segments: list = field(repr=False, default_factory=list)  # (typologie, en_qpv)
    _lignes: pd.DataFrame = field(repr=False, default=None)    # per line: taux, prem, sous
    _premieres: dict = field(repr=False, default_factory=dict)  # perim → per-segment array
    _perims: pd.DataFrame = field(repr=False, default=None)   # perim → prem, sous, zones

    def probabilite(self, typologies: list[str], en_qpv: bool | None, minimum: int,
                    reservataire_id: str | None = None, perimetre: str | None = None) -> dict:
        """Chance that at least `minimum` dwellings of the given typologies (and QPV side,
        None = both) go to a réservataire this year (None: enter the whole net flux).
        A line receives its rate of every dwelling of its perimeter's net flux; its share
        of the asked dwellings is drawn as a binomial around that rate."""
        rng = np.random.default_rng(self.graine + 1)
        if reservataire_id is None:
            line = {"perimetre": None, "taux_pct": 100.0}
        else:
            sel = ligne(self._lignes, reservataire_id, perimetre)
            if sel.empty:
                sel = self._lignes[self._lignes["reservataire_id"] == reservataire_id]
            if sel.empty:
                raise KeyError(reservataire_id)
            line = sel.iloc[0].to_dict()
        perim = None if pd.isna(line["perimetre"]) else line["perimetre"]
        zones = [i for i, z in enumerate(self._zones) if _in(z, perim)]
        target = [j for j, (t, q) in enumerate(self._segments)
                  if t in typologies and (en_qpv is None or q == en_qpv)]
        libs = self._libs[:, zones, :].sum(axis=1).astype(float)  # draws × segments
        prem = self._premieres[perim]
        comp = libs + prem[None, :]
        net = self._net(libs.sum(axis=1), perim)
        asked = comp[:, target].sum(axis=1) * np.divide(
            net, comp.sum(axis=1), out=np.zeros_like(net), where=comp.sum(axis=1) > 0)
        n = np.floor(asked + 0.5).astype(np.int64)
        count = rng.binomial(n, float(line["taux_pct"]) / 100.0) if reservataire_id else n
        q = np.percentile(count, QUANTILES)
        return {"probabilite": float((count >= minimum).mean()),
                "esperance": float(count.mean()), "p10": float(q[0]), "p50": float(q[1]),
                "p90": float(q[2])}

    def _net(self, libs_total: np.ndarray, perim) -> np.ndarray:
        row = self._perims.loc[perim if perim is not None else ""]
        return np.maximum(0.0, libs_total + row["premieres_flux"] - row["soustraits"])

    def to_dict(self) -> dict:
        def rec(df):
            return [{k: (None if isinstance(v, float) and np.isnan(v) else
                         (v.item() if hasattr(v, "item") else v)) for k, v in r.items()}
                    for r in df.to_dict("records")]

        return {"annee": self.annee, "tirages": self.tirages, "graine": self.graine,
                "reservataires": rec(self.reservataires), "flux": rec(self.flux)}


def _in(zone: tuple[str, str], perim: str | None) -> bool:
    return perim is None or perim in zone


def _probabilites(e: Entrees, s, flux_dep) -> pd.DataFrame:
    """Each dwelling's probability, rescaled per segment to the scenario's expectation."""
    if e.vacance.empty:  # no model: the scenario's segment rate for each dwelling
        c = cube(e)
        n = c.parc[:, :, 0].astype(np.int64)
        ci, sj = np.nonzero(n)
        reps = n[ci, sj]
        ci, sj = np.repeat(ci, reps), np.repeat(sj, reps)
        return pd.DataFrame({"commune_insee": c.communes[ci], "epci_siren": c.epcis[ci],
                             "typologie": [SEGMENTS[j][0] for j in sj],
                             "en_qpv": [SEGMENTS[j][1] for j in sj],
                             "p": flux_dep.rotation[sj]})
    v = e.vacance.copy()
    if s.rotation_mode != "modele":
        target = pd.Series(flux_dep.liberations[:, 0], index=pd.MultiIndex.from_tuples(
            SEGMENTS, names=["typologie", "en_qpv"]))
        have = v.groupby(["typologie", "en_qpv"])["p"].sum()
        factor = (target / have).replace([np.inf, -np.inf], np.nan).fillna(0.0)
        keys = pd.MultiIndex.from_frame(v[["typologie", "en_qpv"]])
        v["p"] = _cap(v["p"].to_numpy() * factor.reindex(keys).fillna(0.0).to_numpy(),
                      v["typologie"].astype(str) + v["en_qpv"].astype(str))
    return v


def _cap(p: np.ndarray, groups: pd.Series) -> np.ndarray:
    """Probabilities above 1 are capped and the excess spread over the other dwellings of
    the same segment (pro rata), so that each segment keeps its expected libérations."""
    p = p.copy()
    for _ in range(20):
        over = p > 1.0
        if not over.any():
            break
        excess = pd.Series(np.where(over, p - 1.0, 0.0)).groupby(groups.to_numpy()).transform(
            "sum").to_numpy()
        p[over] = 1.0
        room = np.where(p < 1.0, p, 0.0)
        base = pd.Series(room).groupby(groups.to_numpy()).transform("sum").to_numpy()
        p = np.where(p < 1.0, p + np.divide(excess * room, base, out=np.zeros_like(p),
                                            where=base > 0), p)
    return np.minimum(p, 1.0)


def simuler_tirages(e: Entrees, r: Resultats) -> MonteCarlo:
    """Draw the first year's libérations `scenario.tirages` times (seeded)."""
    s = r.scenario
    rng = np.random.default_rng(s.graine)
    perims = sorted({p for p in r.reservataires["perimetre"] if isinstance(p, str)})
    flux_dep = flux_perimetre(e, s, None)
    v = _probabilites(e, s, flux_dep)
    commune = v["commune_insee"].where(v["commune_insee"].isin(perims),
                                       pd.Series(commune_mere(v["commune_insee"].to_numpy()),
                                                 index=v.index))
    v["zone"] = list(zip(commune.where(commune.isin(perims), ""),
                         v["epci_siren"].where(v["epci_siren"].isin(perims), "")))
    zones = sorted(set(v["zone"]))
    segments = list(SEGMENTS)
    v["z"] = v["zone"].map({z: i for i, z in enumerate(zones)})
    v["g"] = v["typologie"].map({t: i for i, t in enumerate(TYPOLOGIES)}) * 2 + v[
        "en_qpv"].astype(int)
    v["bin"] = pd.qcut(v["p"].rank(method="first"), min(BINS, max(1, len(v))),
                       labels=False) if len(v) else 0
    cells = v.groupby(["z", "g", "bin"], as_index=False).agg(n=("p", "size"), p=("p", "mean"))
    col = (cells["z"] * len(segments) + cells["g"]).to_numpy().astype(np.int64)
    libs = np.zeros((s.tirages, len(zones), len(segments)), dtype=np.int32)
    flat = libs.reshape(s.tirages, -1)
    n, p = cells["n"].to_numpy(), cells["p"].to_numpy()
    for start in range(0, s.tirages if len(n) else 0, CHUNK):
        stop = min(s.tirages, start + CHUNK)
        draws = rng.binomial(n, p, size=(stop - start, len(n)))
        _accumulate(flat[start:stop], col, draws)
    mc = MonteCarlo(e.annee_debut, s.tirages, s.graine, pd.DataFrame(), pd.DataFrame(), libs,
                    zones, segments)
    _resumer(mc, e, r, v, perims)
    return mc


def _accumulate(target: np.ndarray, col: np.ndarray, draws: np.ndarray) -> None:
    order = np.argsort(col, kind="stable")
    cols, starts = np.unique(col[order], return_index=True)
    target[:, cols] += np.add.reduceat(draws[:, order], starts, axis=1).astype(np.int32)


def _resumer(mc: MonteCarlo, e: Entrees, r: Resultats, v: pd.DataFrame, perims: list) -> None:
    s = r.scenario
    prem_rows, mc._premieres = [], {}
    for perim in [None, *perims]:
        f = flux_perimetre(e, s, perim)
        mc._premieres[perim] = prem = f.premieres_flux[:, 0]
        mask = np.array([_in(z, perim) for z in mc._zones], dtype=bool)
        esp_libs = float(v.loc[v["zone"].map(lambda z, m=perim: _in(z, m)), "p"].sum())
        prem_rows.append({"perimetre": perim or "", "premieres_flux": float(prem.sum()),
            "soustraits": float(f.sous[:, :, 0].sum()),
            "esperance_liberations": esp_libs, "zones": mask})
    mc._perims = pd.DataFrame(prem_rows).set_index("perimetre")
    rows = []
    lines = r.reservataires.assign(perimetre=r.reservataires["perimetre"].where(
        r.reservataires["perimetre"].notna(), None))
    for line in lines.itertuples():
        perim = line.perimetre if isinstance(line.perimetre, str) else None
        info = mc._perims.loc[perim or ""]
        total = mc._libs[:, info["zones"], :].sum(axis=(1, 2)).astype(float)
        rate = float(line.taux_pct) / 100.0 * part_annee(
            getattr(line, "fin_droits", None), mc.annee, getattr(line, "debut_droits", None))
        droits = rate * mc._net(total, perim)
        esp = rate * max(0.0, info["esperance_liberations"] + info["premieres_flux"]
                         - info["soustraits"])
        q = np.percentile(droits, QUANTILES)
        rows.append({"reservataire_id": line.reservataire_id, "nom": line.nom,
                     "perimetre": perim, "taux_pct": float(line.taux_pct), "esperance": esp,
                     "moyenne": float(droits.mean()), "ecart_type": float(droits.std()),
                     "p10": q[0], "p50": q[1], "p90": q[2]})
    mc.reservataires = pd.DataFrame(rows, columns=[
        "reservataire_id", "nom", "perimetre", "taux_pct", "esperance", "moyenne",
        "ecart_type", "p10", "p50", "p90"])
    mc._lignes = mc.reservataires[["reservataire_id", "perimetre", "taux_pct"]]
    total = mc._libs.sum(axis=(1, 2)).astype(float)
    info = mc._perims.loc[""]
    flux = []
    for label, values, esp in (
            ("Libérations", total, info["esperance_liberations"]),
            ("Flux net", mc._net(total, None), max(0.0, info["esperance_liberations"]
                                                  + info["premieres_flux"]
                                                  - info["soustraits"]))):
        q = np.percentile(values, QUANTILES)
        flux.append({"indicateur": label, "esperance": esp, "moyenne": float(values.mean()),
                     "p10": q[0], "p50": q[1], "p90": q[2]})
    mc.flux = pd.DataFrame(flux)
