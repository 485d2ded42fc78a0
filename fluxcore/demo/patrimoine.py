"""Demo patrimoine: résidences placed in real communes and QPV, and their dwellings.

Figures come from the RPLS 2019 indicators per EPCI vendored in data/ref/calibration_epci.csv
(stock per EPCI, share of collective housing, QPV share, typology shares, rent per m²; France
métropolitaine's figures for the EPCI outside 08, 10, 51 and 52), and
from the national RPLS/SDES publications for what is not per EPCI (construction periods,
financing mix, surfaces by typology): see README « Données de démonstration ».
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fluxcore.codes import FINANCEMENTS as CODES_FINANCEMENTS
from fluxcore.codes import HORS_FLUX
from fluxcore.geo import Reference, Zone, commune_mere, qpv_code_at, qpv_union, sample_points

# Construction periods of the French social stock (SDES, RPLS: ~55 % built before 1980).
PERIODES = np.array([[1930, 1948], [1949, 1974], [1975, 1989], [1990, 2004], [2005, 2014],
                     [2015, 2022]])
PERIODES_P = np.array([0.05, 0.38, 0.20, 0.15, 0.13, 0.09])
PERIODES_P_QPV = np.array([0.02, 0.68, 0.17, 0.06, 0.05, 0.02])
TYPOLOGIES = np.array(["T1", "T2", "T3", "T4", "T5", "T6"])
SURFACE_MOY = np.array([31.0, 47.0, 66.0, 79.0, 93.0, 108.0])  # RPLS mean m² by typology
FINANCEMENTS = np.array(CODES_FINANCEMENTS.codes)
FIN_LOYER = np.array([0.88, 1.0, 1.32, 1.55, 0.92])  # rent factor by financing
NOMS = ("Les Tilleuls", "Les Acacias", "Les Peupliers", "Le Parc", "Les Coteaux", "Les Vignes",
        "Le Mail", "La Roseraie", "Les Glycines", "Les Marronniers", "Le Clos du Moulin",
        "Les Hirondelles", "Pasteur", "Jean Jaurès", "Victor Hugo", "Les Bleuets", "Le Verger",
        "Les Charmilles", "Les Érables", "La Source", "Les Chênes", "Champagne", "Les Sablons",
        "Le Belvédère", "Les Lilas", "Jean Moulin", "Marie Curie", "Les Cerisiers", "La Fontaine",
        "Les Saules", "Le Canal", "Les Jardins", "Bellevue", "Les Prés", "La Garenne", "Voltaire")
VOIES = ("rue", "avenue", "allée", "place", "boulevard", "chemin", "impasse")


# Share of social housing by commune size where no SRU rate is vendored (orders of magnitude
# of the SDES/RPLS publications: rural communes ~3 %, large towns ~20-25 %).
TAILLES = np.array([2_000, 5_000, 10_000, 20_000, 50_000, 100_000])
PART_SOCIAL = np.array([0.03, 0.07, 0.12, 0.17, 0.21, 0.24, 0.22])


def commune_weights(ref: Reference, zone: Zone) -> pd.DataFrame:
    """Where the landlord's dwellings go: EPCI stock (RPLS 2019) spread on communes.

    Within an EPCI, a commune weighs population × SRU social-housing rate (vendored for 08, 10,
    51, 52; elsewhere a national share by commune size); communes hosting a QPV but with no
    social housing get a small weight. EPCI without calibration keep the sum of their
    communes' weights. Returns code_insee, code_dep, siren_epci, poids.
    """
    com = ref.communes[ref.communes["code_insee"].isin(list(zone.commune_shapes))].copy()
    qpv_communes = set("|".join(ref.qpv["insee_com"]).split("|"))
    pop = com["population"].astype(float).fillna(0.0)
    sru = com["taux_lls_sru_2024"].astype(float)
    band = PART_SOCIAL[np.searchsorted(TAILLES, pop.to_numpy(), side="right")]
    base = np.where(sru.notna(), pop * sru / 100.0, pop * band)
    fallback = pop * 0.05
    com["w"] = np.where(base > 0, base, np.where(com["code_insee"].isin(qpv_communes),
                                                 fallback, 0.0))
    com = com[com["w"] > 0]
    group = com["siren_epci"].where(com["siren_epci"] != "", com["code_insee"])
    cal = ref.calibration.set_index("code")["parc_social"].astype(float)
    total = com["w"].groupby(group).transform("sum")
    com["parc_epci"] = group.map(cal).fillna(total)
    com["poids"] = com["w"] / total * com["parc_epci"]
    com = com[com["poids"] > 0].sort_values("code_insee").reset_index(drop=True)
    com["poids"] = com["poids"] / com["poids"].sum()
    return com[["code_insee", "code_dep", "siren_epci", "poids"]]


def demand_weights(weights: pd.DataFrame, res: pd.DataFrame) -> pd.DataFrame:
    """Where demandes ask for: the communes of the stock; a commune with arrondissements
    municipaux shares its weight among the arrondissements of the stock, by dwellings."""
    out = weights[weights["code_insee"].isin(res["commune_insee"])]
    arr = res[~res["commune_insee"].isin(weights["code_insee"])]
    if len(arr):
        size = arr.groupby("commune_insee")["nb_logements"].sum()
        parent = pd.Series(commune_mere(size.index.to_numpy()), index=size.index)
        share = size / size.groupby(parent).transform("sum")
        w = weights.set_index("code_insee")
        known = parent.isin(w.index)
        out = pd.concat([out, pd.DataFrame({
            "code_insee": size.index[known],
            "code_dep": w.loc[parent[known], "code_dep"].to_numpy(),
            "siren_epci": w.loc[parent[known], "siren_epci"].to_numpy(),
            "poids": (share[known] * w.loc[parent[known], "poids"].to_numpy()).to_numpy()})])
        out = out.sort_values("code_insee").reset_index(drop=True)
    return out


def _national(ref: Reference, column: str) -> float:
    return float(ref.calibration.loc[ref.calibration["code"] == "FRMETRO", column].iloc[0])


def _sizes(rng: np.random.Generator, n_logements: int, pct_collectif: float) -> np.ndarray:
    """Résidence sizes that add up exactly to n_logements."""
    est = int(n_logements / 30) + 50
    collectif = rng.random(est) < pct_collectif
    big = np.clip(np.round(rng.lognormal(np.log(38), 0.7, est)), 8, 320)
    small = rng.integers(3, 26, est)
    sizes = np.where(collectif, big, small).astype(np.int64)
    while sizes.sum() < n_logements:  # rare: top up with the same law
        sizes = np.concatenate([sizes, sizes[: est // 4]])
        collectif = np.concatenate([collectif, collectif[: est // 4]])
    cut = int(np.searchsorted(np.cumsum(sizes), n_logements))
    sizes, collectif = sizes[: cut + 1].copy(), collectif[: cut + 1]
    sizes[-1] -= sizes.sum() - n_logements
    keep = sizes > 0
    return sizes[keep], collectif[keep]


def build_residences(ref: Reference, zone: Zone, rng: np.random.Generator, n_logements: int,
                     new_from_year: int, today: np.datetime64) -> pd.DataFrame:
    """One row per résidence with its commune, QPV, coordinates, size and latent fragility.

    A few recent résidences are new programmes put in service from `new_from_year` to today
    (column `mise_en_service`, NaT otherwise): their first lettings feed the flux.
    """
    weights = commune_weights(ref, zone)
    cal = ref.calibration.set_index("code")
    pct_coll = _national(ref, "pct_collectif") / 100.0
    sizes, collectif = _sizes(rng, n_logements, pct_coll)
    n = len(sizes)
    cidx = rng.choice(len(weights), size=n, p=weights["poids"].to_numpy())
    res = pd.DataFrame({"commune_insee": weights["code_insee"].to_numpy()[cidx],
                        "departement": weights["code_dep"].to_numpy()[cidx],
                        "epci_siren": weights["siren_epci"].replace("", None).to_numpy()[cidx],
                        "nb_logements": sizes, "collectif": collectif})
    # QPV: in communes that host one, a share of the résidences goes inside, so that the
    # EPCI's QPV share of the stock is near RPLS (capped: a town is never all QPV).
    qpv_by_commune: dict[str, list[str]] = {}
    for code, communes in zip(ref.qpv["code_qp"], ref.qpv["insee_com"]):
        for c in communes.split("|"):
            if code in zone.qpv_shapes:
                qpv_by_commune.setdefault(c, []).append(code)
    host = res["commune_insee"].isin(list(qpv_by_commune))
    pct_qpv = res["epci_siren"].map(cal["pct_en_qpv"]).fillna(
        _national(ref, "pct_en_qpv")) / 100.0
    group = res["epci_siren"].fillna(res["commune_insee"])
    lw = res["nb_logements"].where(host, 0).groupby(group).transform("sum")
    tw = res["nb_logements"].groupby(group).transform("sum")
    p_in = np.clip(pct_qpv * tw / lw.replace(0, np.nan), 0, 0.7).fillna(0.0)
    in_qpv = host.to_numpy() & (rng.random(n) < p_in.to_numpy()) & res["collectif"].to_numpy()
    target = np.full(n, None, dtype=object)
    for i in np.flatnonzero(in_qpv):
        choices = sorted(qpv_by_commune[res.at[i, "commune_insee"]])
        target[i] = choices[int(rng.integers(len(choices)))]
    lon, lat = np.zeros(n), np.zeros(n)
    union = qpv_union(zone.departements)
    groups = pd.Series(range(n)).groupby([res["commune_insee"].to_numpy(),
                                          pd.Series(target).fillna("").to_numpy()])
    for (commune, qpv), idx in sorted(groups.groups.items()):
        shape = zone.commune_shapes[commune]
        if qpv:
            inside = shape.intersection(zone.qpv_shapes[qpv])
            shape = inside if inside.area > 0 else zone.qpv_shapes[qpv]
        x, y = sample_points(shape, len(idx), rng, exclude=None if qpv else union)
        lon[idx.to_numpy()], lat[idx.to_numpy()] = x, y
    res["longitude"], res["latitude"] = np.round(lon, 6), np.round(lat, 6)
    res["qpv_code"] = qpv_code_at(res["longitude"].to_numpy(), res["latitude"].to_numpy(),
                                  zone.departements)
    res["en_qpv"] = res["qpv_code"].notna()
    res["commune_insee"] = _arrondissements(ref, res)
    per = np.where(res["en_qpv"].to_numpy()[:, None], PERIODES_P_QPV, PERIODES_P).cumsum(1)
    k = (rng.random(n)[:, None] > per).sum(1)
    res["annee_construction"] = rng.integers(PERIODES[k, 0], PERIODES[k, 1] + 1)
    # latent fragility 0..1: higher in QPV and in the 1950-70s blocks
    f = rng.beta(2.0, 5.0, n) + 0.28 * res["en_qpv"].to_numpy() + 0.08 * (
        res["annee_construction"].between(1955, 1975).to_numpy())
    res["fragilite"] = np.clip(f, 0, 1)
    res["rotation"] = 6.0 + 6.0 * (0.3 * res["fragilite"] + 0.7 * rng.beta(3.0, 1.5, n))
    res["evolution"] = rng.normal(0.0, 0.07, n)  # trend of occupation between waves
    res["residence_id"] = [f"RES{i + 1:06d}" for i in range(n)]
    res["mise_en_service"] = _new_programmes(res, rng, new_from_year, today)
    noms = np.array(NOMS, dtype=object)
    res["nom"] = noms[rng.integers(len(noms), size=n)]
    res["nom"] = np.where(res["collectif"], "Résidence " + res["nom"], "Pavillons " + res["nom"])
    voies = np.array(VOIES, dtype=object)
    res["adresse"] = (rng.integers(1, 120, n).astype(str) + " " + voies[rng.integers(
        len(voies), size=n)] + " " + noms[rng.integers(len(noms), size=n)])
    return res


def _arrondissements(ref: Reference, res: pd.DataFrame) -> np.ndarray:
    """Paris, Lyon and Marseille résidences take the code of the arrondissement municipal whose
    centre is nearest, as RPLS files give it."""
    com = ref.communes
    arr = com[com["commune_parent"] != ""]
    out = res["commune_insee"].to_numpy(object).copy()
    for parent, group in arr.groupby("commune_parent"):
        rows = np.flatnonzero(out == parent)
        if rows.size:
            dx = res["longitude"].to_numpy()[rows, None] - group["lon"].to_numpy()[None, :]
            dy = res["latitude"].to_numpy()[rows, None] - group["lat"].to_numpy()[None, :]
            nearest = np.argmin(dx ** 2 * 0.5 + dy ** 2, axis=1)
            out[rows] = group["code_insee"].to_numpy()[nearest]
    return out


def build_logements(res: pd.DataFrame, ref: Reference, rng: np.random.Generator) -> pd.DataFrame:
    """Dwellings of every résidence: typology, financing, surface, rent, floor, service date."""
    cal = ref.calibration.set_index("code")
    r = np.repeat(np.arange(len(res)), res["nb_logements"].to_numpy())
    n = len(r)
    epci = res["epci_siren"].to_numpy()[r]
    def per_epci(column: str) -> np.ndarray:
        return pd.Series(epci).map(cal[column]).fillna(_national(ref, column)).to_numpy()

    p12, p34 = per_epci("pct_1_2_pieces") / 100, per_epci("pct_3_4_pieces") / 100
    coll = res["collectif"].to_numpy()[r]
    p12 = np.where(coll, p12, p12 * 0.3)
    p34 = np.where(coll, p34, np.minimum(p34 * 1.1, 1 - p12))
    u, v = rng.random(n), rng.random(n)
    band = np.where(u < p12, 0, np.where(u < p12 + p34, 1, 2))
    split = np.array([0.3, 0.55, 0.8])[band]
    typ = band * 2 + (v >= split)
    surface = np.round(SURFACE_MOY[typ] * rng.normal(1.0, 0.08, n), 1)
    annee = res["annee_construction"].to_numpy()[r]
    # newer programmes carry more PLAI and PLS (post-2000 financing mix)
    recent = annee >= 2000
    fin_p = np.where(recent[:, None], [0.28, 0.52, 0.17, 0.01, 0.02],
                     [0.04, 0.80, 0.05, 0.02, 0.09]).cumsum(1)
    fin = (rng.random(n)[:, None] > fin_p).sum(1)
    loyer_m2 = per_epci("loyer_m2")
    age_f = np.where(annee >= 2005, 1.22, np.where(annee >= 1990, 1.08, 1.0))
    loyer = np.round(surface * loyer_m2 * FIN_LOYER[fin] * age_f * rng.normal(1, 0.06, n), 2)
    floors = np.where(coll, np.clip(2 + res["nb_logements"].to_numpy()[r] // 16, 2, 14), 1)
    etage = np.floor(rng.random(n) * floors).astype(np.int64)
    ascenseur = coll & ((floors >= 5) | ((annee >= 1995) & (floors >= 3)))
    pmr = (etage == 0) & (annee >= 2007) | (ascenseur & (annee >= 2007))
    mes_new = res["mise_en_service"].to_numpy().astype("datetime64[D]")[r]
    mes_old = ((annee - 1970).astype("datetime64[Y]") + rng.integers(150, 365, n).astype(
        "timedelta64[D]")).astype("datetime64[D]")
    hors_flux = np.full(n, None, dtype=object)
    hf = rng.random(n) < 0.004
    hors_flux[hf] = np.array(HORS_FLUX.codes, dtype=object)[
        rng.integers(0, len(HORS_FLUX), hf.sum())]
    return pd.DataFrame({
        "residence_idx": r, "typologie": TYPOLOGIES[typ],
        "nb_pieces": np.minimum(typ + 1, 6) + ((typ == 5) & (rng.random(n) < 0.3)),
        "surface_m2": surface, "financement": FINANCEMENTS[fin], "loyer_mensuel": loyer,
        "etage": etage, "ascenseur": ascenseur, "accessible_pmr": pmr,
        "date_mise_en_service": np.where(np.isnat(mes_new), mes_old, mes_new),
        "hors_flux_motif": hors_flux, "departement": res["departement"].to_numpy()[r]})


def _new_programmes(res: pd.DataFrame, rng: np.random.Generator, year: int,
                    today: np.datetime64) -> np.ndarray:
    """Service dates of ~2.5 % of the stock delivered since `year` (outside QPV, post-2015).

    Sets their construction year to the service year; NaT for every other résidence.
    """
    cand = res.index[(~res["en_qpv"]) & (res["annee_construction"] >= 2015)].to_numpy()
    cand = cand[rng.permutation(len(cand))]
    sizes = res["nb_logements"].to_numpy()[cand]
    chosen = cand[: int(np.searchsorted(np.cumsum(sizes), 0.025 * res["nb_logements"].sum()))]
    start = np.datetime64(f"{year}-01-01")
    span = int((today - start).astype(int)) - 30
    out = np.full(len(res), np.datetime64("NaT"), dtype="datetime64[D]")
    k = len(chosen)  # stratified over the period: deliveries every year
    days = ((np.arange(k) + rng.random(k)) / max(k, 1) * span).astype(int)
    out[chosen] = start + days[rng.permutation(k)].astype("timedelta64[D]")
    res.loc[chosen, "annee_construction"] = out[chosen].astype("datetime64[Y]").astype(int) + 1970
    return out
