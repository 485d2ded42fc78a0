"""The annual flux of a département (docs/regles.md#flux): assiette, flux brut and net, droits.

    liberations_est = Σ_segments parc × rotation observed over the past years
    flux_brut       = liberations_est + premières mises en location (setting: in or out)
    flux_net        = flux_brut − Σ soustraits (MUTATION, RU, ORCOD, LHI, VENTE)
    droit(r)        = taux_r × flux_net of the convention's perimeter × part of the year it
                      covers (fluxcore.conventions) ; part bailleur = rest

`compute_assiette` is the pure formula (docs/regles.md#ex4); `assiette_departement` reads
its inputs from the database, every input overridable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from fluxcore.codes import SOUSTRAITS
from fluxcore.conventions import part_annee
from fluxcore.db import Database, en_parallele, load_sql
from fluxcore.parametres import get_parametres
from fluxcore.perimetre import Perimetre


@dataclass(frozen=True)
class Assiette:
    """Result of the assiette of one territory and year (counts are expectations, floats)."""

    liberations_est: float
    premieres: float
    premieres_dans_flux: bool
    soustraits: dict[str, float]
    flux_brut: float
    flux_net: float
    droits: pd.DataFrame = field(default_factory=pd.DataFrame)  # reservataire_id, taux, droits
    part_bailleur: float = 0.0
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    logements_flux: int = 0
    logements_hors_flux: int = 0


def compute_assiette(parc: dict, rotation: dict, premieres: float, soustraits: dict[str, float],
                     taux: dict[str, float], premieres_dans_flux: bool = True) -> Assiette:
    """Pure formula. `parc` and `rotation` map a segment to a count and a rate (0–1);
    `taux` maps a réservataire to its rate in percent. Droits here all apply to this flux."""
    liberations = sum(n * rotation.get(seg, 0.0) for seg, n in parc.items())
    brut = liberations + (premieres if premieres_dans_flux else 0.0)
    net = brut - sum(soustraits.values())
    droits = pd.DataFrame({"reservataire_id": list(taux), "taux": list(taux.values())})
    droits["droits"] = droits["taux"] / 100.0 * net
    return Assiette(liberations, premieres, premieres_dans_flux, dict(soustraits), brut, net,
                    droits, net - float(droits["droits"].sum()))


def _inputs(seg: pd.DataFrame) -> pd.DataFrame:
    """The segments with their rotation: a segment with no observed parc takes the
    territory's overall rotation."""
    total_rate = (seg["liberations_observees"].sum() / seg["parc_observe"].sum()
                  if seg["parc_observe"].sum() else 0.0)
    seg["rotation"] = [lib / obs if obs else total_rate for lib, obs in
                       zip(seg["liberations_observees"], seg["parc_observe"])]
    seg["liberations_est"] = seg["parc"] * seg["rotation"]
    return seg


def assiette_departement(db: Database, departement: str, annee: int,
                         perimetre: str | None = None, surcharges: dict | None = None,
                         ) -> Assiette:
    """Assiette of a département (or of a commune/EPCI perimeter inside it) for a year.

    `surcharges` may override: rotation (one rate 0–1 for every segment, or a dict
    {(typologie, en_qpv): rate}), premieres, premieres_dans_flux, soustraits (dict per
    category), annees_historique. Droits: conventions in force whose perimeter is the whole
    département, or lies inside the asked perimeter, each on the flux of its own perimeter and
    for the part of the year it covers (the préfet's lines for rights it took back included).
    """
    s = surcharges or {}
    params = get_parametres(db)
    nb = int(s.get("annees_historique", params["rotation_annees_historique"]))
    args = {"dep": departement, "perim": perimetre, "annee": annee, "nb": nb}
    # independent reads, each on its own cursor: the forecast per convention only without
    # overrides (with them, a perimeter's flux is its own assiette, see _droits)
    seg, hist, conv, prevus = en_parallele(
        lambda: db.df(load_sql("assiette/segments"), args),
        lambda: db.df(load_sql("assiette/historique"), args),
        lambda: conventions_en_vigueur(db, departement, annee),
        lambda: {} if surcharges else _flux_par_convention(db, departement, annee, params))
    seg = _inputs(seg)
    hist = hist.iloc[0]
    if "rotation" in s:
        rot = s["rotation"]
        seg["rotation"] = [rot.get((t, q), 0.0) if isinstance(rot, dict) else float(rot)
                           for t, q in zip(seg["typologie"], seg["en_qpv"])]
        seg["liberations_est"] = seg["parc"] * seg["rotation"]
    passes = {d["categorie"]: d["par_an"] for d in hist["soustraits"]}
    soustraits = {c: float(passes.get(c, 0.0)) for c in SOUSTRAITS}
    soustraits.update({k: float(v) for k, v in s.get("soustraits", {}).items()})
    premieres = float(s.get("premieres", hist["premieres"]))
    in_flux = bool(s.get("premieres_dans_flux", params["premieres_mises_en_location_dans_flux"]))
    keys = list(zip(seg["typologie"], seg["en_qpv"]))
    base = compute_assiette(dict(zip(keys, seg["parc"])), dict(zip(keys, seg["rotation"])),
                            premieres, soustraits, {}, in_flux)
    droits = _droits(db, departement, annee, perimetre, base.flux_net, surcharges, conv,
                     prevus)
    return Assiette(base.liberations_est, premieres, in_flux, soustraits, base.flux_brut,
                    base.flux_net, droits, base.flux_net - float(droits["droits"].sum()), seg,
                    int(seg["parc"].sum()), int(hist["hors_flux"]))


def conventions_en_vigueur(db: Database, departement: str, annee: int) -> pd.DataFrame:
    """Rights in force in a département for a year (sql/assiette/conventions.sql): each
    convention for its days of the year, the préfet's lines for rights it took back, with
    the réservataire's name, type and part_annee (share of the year covered)."""
    df = db.df(load_sql("assiette/conventions"), {"dep": departement, "annee": annee})
    df["part_annee"] = [part_annee(pd.Timestamp(d).date(), pd.Timestamp(f).date(), annee)
                        for d, f in zip(df["debut"], df["fin"])]
    return df


def _droits(db: Database, dep: str, annee: int, perimetre: str | None, flux_net: float,
            surcharges: dict | None, conv: pd.DataFrame, prevus: dict[str, float]
            ) -> pd.DataFrame:
    rows = []
    for c in conv.itertuples():
        local = c.perimetre is not None and not pd.isna(c.perimetre)
        if not local or c.perimetre == perimetre or (
                perimetre is not None and _inside(db, perimetre, c.perimetre)):
            flux = flux_net  # the convention covers the whole asked territory
        elif perimetre is None or _inside(db, c.perimetre, perimetre):
            flux = prevus.get(c.convention_id)
            if flux is None:  # with overrides: the perimeter's own assiette
                flux = assiette_departement(db, dep, annee, c.perimetre, surcharges).flux_net
        else:
            continue
        rows.append({"convention_id": c.convention_id, "reservataire_id": c.reservataire_id,
                     "nom": c.nom, "type": c.type, "perimetre": c.perimetre if local else None,
                     "taux": float(c.taux_flux), "flux_perimetre": flux,
                     "part_annee": c.part_annee,
                     "droits": float(c.taux_flux) / 100.0 * flux * c.part_annee,
                     "repris_de": c.repris_de})
    cols = ["convention_id", "reservataire_id", "nom", "type", "perimetre", "taux",
            "flux_perimetre", "part_annee", "droits", "repris_de"]
    return pd.DataFrame(rows, columns=cols)


def _flux_par_convention(db: Database, dep: str, annee: int, settings: dict
                         ) -> dict[str, float]:
    """Forecast flux_net of every convention's perimeter in one query (same method)."""
    from fluxcore.jauges import jauges_conventions  # jauges builds on this module

    conv = jauges_conventions(db, Perimetre(annee, departement=dep), settings)
    return dict(zip(conv["convention_id"], conv["flux_net_prevu"].astype(float)))


def _inside(db: Database, inner: str, outer: str) -> bool:
    """Whether commune `inner` belongs to EPCI `outer` (for a convention within a perimeter)."""
    return bool(db.scalar("select count(*) from ref_commune where code_insee = ? "
                          "and epci_siren = ?", [inner, outer]))
