"""Demo flux history: libérations, orientations and attributions, vectorised.

Rotation is drawn per résidence between 6 and 12 %; destinations follow the convention rates,
with internal uses first (mutations, relogements ANRU where a QPV exists…) and a deliberate
imbalance so the gauges have something to show: the préfet lags and receives more QPV
dwellings, the communes run ahead. Household profiles depend on the destination and on the
résidence's fragility (and its trend), so that recent move-ins make some résidences worse.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fluxcore.codes import RELOGEMENTS, SOUSTRAITS
from fluxcore.demo.reservataires import SLOTS

INTERNES = SOUSTRAITS.codes
ALL_SLOTS = SLOTS + INTERNES + ("BAILLEUR",)
# how far each réservataire's real orientations run against its rate, and its QPV bias
PERF = np.array([0.88, 0.7, 1.04, 1.0, 0.95, 1.12, 1.0])
QPV_BIAS = np.array([[0.9, 1.0, 1.06, 1.0, 1.0, 0.95, 1.0],    # hors QPV
                     [1.45, 0.9, 0.78, 1.0, 1.0, 1.12, 1.0]])  # en QPV
JUSTIFICATIONS = {
    "PREFET": "Contingent préfectoral : ménage prioritaire à reloger",
    "PREFET_FONCTIONNAIRES": "Contingent des agents de l'État",
    "ACTION_LOGEMENT": "Droit d'Action Logement en retard sur le flux",
    "DEPARTEMENT": "Convention de garantie d'emprunt du Département",
    "EPCI": "Convention intercommunale", "COMMUNE": "Convention communale",
    "EMPLOYEUR": "Convention employeur", "MUTATION": "Mutation interne (parcours résidentiel)",
    "RU": "Relogement NPNRU", "ORCOD": "Relogement ORCOD", "LHI": "Relogement habitat indigne",
    "VENTE": "Relogement lié à une vente HLM", "BAILLEUR": "Contingent non réservé du bailleur"}


def _days(rng, lo, hi, n):
    return rng.integers(lo, hi, n).astype("timedelta64[D]")


def build_liberations(log: pd.DataFrame, rotation: np.ndarray, years: list[int],
                      today: np.datetime64, rng: np.random.Generator) -> pd.DataFrame:
    """Vacancies per year (Bernoulli at the résidence's rotation) plus first lettings.

    In the current year, dwellings whose tenant has already given notice (congé before today)
    are known even if they are vacated later: their date_liberation may be in the future.
    """
    mes = log["date_mise_en_service"].to_numpy().astype("datetime64[D]")
    n = len(log)
    parts = []
    for y in years:
        start = np.datetime64(f"{y}-01-01")
        hit = (mes < start) & (rng.random(n) < rotation)
        idx = np.flatnonzero(hit)
        date = start + _days(rng, 0, 365, len(idx))
        conge = date - _days(rng, 20, 75, len(idx))
        keep = conge < today
        parts.append(pd.DataFrame({"logement_idx": idx[keep], "date_liberation": date[keep],
                                   "date_conge": conge[keep], "premiere": False}))
    first = np.flatnonzero((mes >= np.datetime64(f"{years[0]}-01-01")) & (mes < today))
    parts.append(pd.DataFrame({"logement_idx": first, "date_liberation": mes[first],
                               "date_conge": np.datetime64("NaT"), "premiere": True}))
    lib = pd.concat(parts, ignore_index=True).sort_values(["logement_idx", "date_liberation"],
                                                          kind="stable")
    gap = lib["date_liberation"].diff().dt.days
    same = lib["logement_idx"].diff() == 0
    lib = lib[~(same & (gap < 200))].reset_index(drop=True)
    n = len(lib)
    motifs = np.array(["DEPART", "MUTATION_INTERNE", "DECES", "EXPULSION", "AUTRE"], dtype=object)
    k = (rng.random(n)[:, None] > np.array([0.7, 0.82, 0.9, 0.92])).sum(1)
    lib["motif"] = np.where(lib["premiere"], "PREMIERE_LOCATION", motifs[k])
    return lib


def destination_matrix(communes: pd.Index, ids: np.ndarray, rates: np.ndarray,
                       qpv_communes: set, big_towns: set) -> tuple[np.ndarray, np.ndarray]:
    """Probability of each destination slot per (commune, en_qpv) and the slot's id."""
    nc = len(communes)
    internes = np.zeros((nc, len(INTERNES)))
    internes[:, 0] = 0.11
    internes[:, 1] = np.where(communes.isin(list(qpv_communes)), 0.05, 0.004)
    internes[:, 2] = np.where(communes.isin(list(big_towns)), 0.004, 0.0)
    internes[:, 3] = 0.004
    internes[:, 4] = 0.004
    prob = np.zeros((nc * 2, len(ALL_SLOTS)))
    for q in (0, 1):
        free = 1.0 - internes.sum(1, keepdims=True)
        res_p = free * rates * PERF * QPV_BIAS[q]
        block = np.hstack([res_p, internes])
        prob[q::2, : block.shape[1]] = block
        prob[q::2, -1] = np.clip(1.0 - block.sum(1), 0, None)
    dest = np.hstack([ids, np.tile(np.array([*INTERNES, "BAILLEUR"], dtype=object), (nc, 1))])
    return prob, dest


def build_orientations(lib: pd.DataFrame, key: np.ndarray, commune_idx: np.ndarray,
                       prob: np.ndarray, dest: np.ndarray, hors_flux: np.ndarray,
                       today: np.datetime64, rng: np.random.Generator) -> pd.DataFrame:
    """One orientation per libération (but those still awaiting one), with its statut."""
    n = len(lib)
    dlib = lib["date_liberation"].to_numpy().astype("datetime64[D]")
    conge = lib["date_conge"].to_numpy().astype("datetime64[D]")
    date_o = np.where(np.isnat(conge), dlib - _days(rng, 20, 80, n), conge + _days(rng, 2, 16, n))
    age = (today - dlib).astype(int)
    waiting = ((age >= 0) & (age < 40) & (rng.random(n) < 0.35)) | ((age >= 40) & (age < 150) & (
        rng.random(n) < 0.012)) | (date_o >= today)
    slot = (rng.random(n)[:, None] > prob[key].cumsum(1)).sum(1)
    slot = np.minimum(slot, prob.shape[1] - 1)
    destinataire = dest[commune_idx, slot]
    kind = np.array(ALL_SLOTS, dtype=object)[slot]
    destinataire = np.where(hors_flux, "BAILLEUR", destinataire)
    kind = np.where(hors_flux, "BAILLEUR", kind)
    is_res = np.isin(kind, SLOTS)
    rendu = is_res & (rng.random(n) < np.where(kind == "PREFET", 0.1, 0.05))
    caleol = date_o + _days(rng, 25, 70, n) + np.where(rendu, 20, 0).astype("timedelta64[D]")
    bail = np.maximum(caleol + _days(rng, 5, 26, n), dlib + _days(rng, 3, 21, n))
    statut = np.select(
        [bail <= today, caleol <= today, rendu & ((today - date_o).astype(int) >= 30),
         (today - date_o).astype(int) >= 10],
        ["ATTRIBUE", "CALEOL", "RENDU_BAILLEUR", "CANDIDATS_PROPOSES"], "ORIENTE").astype(object)
    statut = np.where(rendu & np.isin(statut, ["ATTRIBUE", "CALEOL"]), "RENDU_BAILLEUR", statut)
    just = pd.Series(kind).map(JUSTIFICATIONS).to_numpy()
    just = np.where(hors_flux, "Logement hors flux : désignation par le réservataire en stock",
                    just)
    out = pd.DataFrame({"lib_idx": np.arange(n), "destinataire": destinataire, "kind": kind,
                        "date_orientation": date_o, "statut": statut, "justification": just,
                        "date_caleol": np.where(caleol <= today, caleol, np.datetime64("NaT")),
                        "date_bail": np.where(bail <= today, bail, np.datetime64("NaT"))})
    return out[~waiting].reset_index(drop=True)


def build_attributions(ori: pd.DataFrame, lib: pd.DataFrame, log: pd.DataFrame,
                       res: pd.DataFrame, seuils: pd.DataFrame,
                       rng: np.random.Generator) -> pd.DataFrame:
    """Households of every orientation that reached the CALEOL."""
    a = ori[ori["date_caleol"].notna()].reset_index(drop=True)
    n = len(a)
    li = lib["logement_idx"].to_numpy()[a["lib_idx"].to_numpy()]
    ri = log["residence_idx"].to_numpy()[li]
    typ = log["typologie"].str[1].astype(int).to_numpy()[li]
    taille = np.clip(typ - 1 + rng.integers(-1, 2, n) + (typ >= 5) * rng.integers(0, 3, n), 1, 9)
    kind = a["kind"].to_numpy()
    qpv = res["en_qpv"].to_numpy()[ri]
    f2 = np.clip(res["fragilite"].to_numpy()[ri] + 2.5 * res["evolution"].to_numpy()[ri], 0, 1)
    dest_f = pd.Series(kind).map({"PREFET": 0.68, "PREFET_FONCTIONNAIRES": 1.25,
                                  "ACTION_LOGEMENT": 1.2, "RU": 0.75}).fillna(1.0).to_numpy()
    epci = res["epci_siren"].to_numpy()[ri]
    epci_codes = np.unique(epci)
    epci_f = pd.Series(rng.uniform(0.88, 1.12, len(epci_codes)), index=epci_codes)[epci].to_numpy()
    median = np.where(qpv, 11000.0, 14500.0) * (1.25 - 0.5 * f2) * dest_f * epci_f
    ress = np.round(rng.lognormal(np.log(median), 0.55), 0)
    year = a["date_caleol"].dt.year.to_numpy()
    s = seuils.set_index(["epci_siren", "annee"])["seuil_q1_uc"]
    seuil = s.reindex(pd.MultiIndex.from_arrays([epci, year])).to_numpy()
    quart = 1 + (ress >= seuil) + (ress >= 1.5 * seuil) + (ress >= 2.1 * seuil)
    quart = np.where(rng.random(n) < 0.08, -1, quart)  # unknown quartile: from ressources_uc
    prio = rng.random(n) < pd.Series(kind).map({"PREFET": 0.97, "PREFET_FONCTIONNAIRES": 0.08,
                                                "RU": 0.3}).fillna(0.27).to_numpy()
    dalo = prio & (rng.random(n) < np.where(kind == "PREFET", 0.32, 0.06))
    reloc = np.where(np.isin(kind, RELOGEMENTS.codes), kind, None)
    menage = rng.permutation(n * 3)[:n] + 100_000_000
    return pd.DataFrame({
        "ori_idx": a.index.to_numpy(), "orientation_id_idx": a["lib_idx"].to_numpy(),
        "logement_idx": li, "date_caleol": a["date_caleol"], "date_bail": a["date_bail"],
        "menage_num": menage, "taille_menage": taille, "ressources_uc": ress,
        "quartile": pd.array(np.where(quart < 0, pd.NA, quart), dtype="Int64"),
        "prioritaire": prio, "dalo": dalo,
        "mutation_interne": (kind == "MUTATION") | (rng.random(n) < 0.04),
        "relogement": reloc,
        "salarie": rng.random(n) < np.where(kind == "ACTION_LOGEMENT", 0.96, 0.4)})
