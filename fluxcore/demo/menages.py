"""Demo households side: quartile thresholds, CIL objectives, occupation surveys, demandes,
cotation grids. Pseudonymous ids only: no name, address or phone of a person anywhere."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fluxcore.cotation.grille import LIBELLES

# criterion code, base points, probability that a demande carries it (labels: grille.LIBELLES)
_CRITERES = (
    ("DALO", 50, 0.02), ("SANS_LOGEMENT", 30, 0.05), ("VIOLENCES", 30, 0.02),
    ("EXPULSION", 20, 0.03), ("HEBERGEMENT_STRUCTURE", 20, 0.04), ("HANDICAP", 20, 0.06),
    ("LOGEMENT_INDIGNE", 20, 0.02), ("SORTIE_SOIN", 15, 0.01), ("SUROCCUPATION", 15, 0.12),
    ("HEBERGE_TIERS", 10, 0.14), ("TAUX_EFFORT", 10, 0.18), ("REPRISE_EMPLOI", 10, 0.03),
    ("PARENT_ISOLE", 5, 0.15), ("MUTATION_PRO", 5, 0.04), ("RAPPROCHEMENT_TRAVAIL", 5, 0.06),
    ("DECOHABITATION", 5, 0.05),
)
CRITERES = tuple((c, LIBELLES[c], pts, p) for c, pts, p in _CRITERES)
POINTS_ANCIENNETE = 1.0   # per month of seniority
PENALITE_REFUS = -10.0    # per refusal of a suitable dwelling


def build_seuils(epcis: list[str], years: list[int], rng: np.random.Generator) -> pd.DataFrame:
    """First-quartile thresholds (€/UC/year) per EPCI and year, +2.5 % a year."""
    base = rng.uniform(8200, 10400, len(epcis))
    rows = [{"epci_siren": e, "annee": y, "seuil_q1_uc": round(b * 1.025 ** (y - years[0]), 0)}
            for e, b in zip(epcis, base) for y in years]
    return pd.DataFrame(rows)


def build_objectifs(reform_epcis: list[str], qpv_epcis: set, years: list[int]) -> pd.DataFrame:
    """Legal default targets for the EPCI of the reform; Grand Reims raises Q1 to 30 %."""
    rows = []
    for e in reform_epcis:
        for y in years:
            rows.append((e, y, "Q1_HORS_QPV", None, 30.0 if e == "200067213" else 25.0))
            if e in qpv_epcis:
                rows.append((e, y, "Q234_EN_QPV", None, 50.0))
            rows.append((e, y, "PRIORITAIRES", None, 25.0))
    return pd.DataFrame(rows, columns=["epci_siren", "annee", "indicateur", "reservataire_id",
                                       "cible_pct"])


def build_occupation(res: pd.DataFrame, waves: tuple[int, int],
                     rng: np.random.Generator) -> pd.DataFrame:
    """Two occupation-survey waves per résidence, driven by its latent fragility and trend."""
    parts = []
    for w, annee in enumerate(waves):
        f = np.clip(res["fragilite"].to_numpy() + w * res["evolution"].to_numpy(), 0, 1)
        n = len(res)

        def share(base, slope, sd=4.0, f=f, n=n):
            return np.round(np.clip(base + slope * f + rng.normal(0, sd, n), 0, 100), 1)

        vac = share(0.8, 7.0, 1.0)
        parts.append(pd.DataFrame({
            "residence_id": res["residence_id"], "annee": annee,
            "nb_menages": np.round(res["nb_logements"].to_numpy() * (1 - vac / 100)).astype(int),
            "part_ressources_faibles": share(18, 52), "part_monoparentales": share(10, 22),
            "part_sans_emploi": share(12, 34), "part_apl": share(35, 45),
            "part_personnes_seules": share(38, -8, 7), "part_grandes_familles": share(2, 11, 2),
            "part_moins_25": share(3, 6, 2), "part_plus_65": share(30, -14, 6),
            "taux_rotation": np.round(res["rotation"].to_numpy() + rng.normal(0, 0.6, n), 1),
            "taux_vacance": vac, "taux_impayes": share(2, 11, 1.5)}))
    return pd.concat(parts, ignore_index=True)


def build_demandes(n: int, communes: pd.DataFrame, today: np.datetime64,
                   rng: np.random.Generator) -> pd.DataFrame:
    """Applications: 80 % active, 12 % satisfied (radiated for attribution), 8 % radiated."""
    k = (rng.random(n)[:, None] > np.array([0.80, 0.92])).sum(1)
    statut = np.array(["ACTIVE", "ATTRIBUEE", "RADIEE"], dtype=object)[k]
    anciennete = np.minimum(rng.exponential(540, n), 8 * 365).astype(int)
    depot = today - anciennete.astype("timedelta64[D]") - np.where(k > 0, 120, 0).astype(
        "timedelta64[D]")
    attente = np.minimum(np.round(rng.lognormal(np.log(280), 0.6, n)), 6 * 365).astype(int)
    radiation = np.minimum(depot + attente.astype("timedelta64[D]"), today - 1)
    radiation = np.where(k > 0, radiation, np.datetime64("NaT"))
    motif = np.where(k == 1, "ATTRIBUTION", np.where(k == 2, np.where(
        rng.random(n) < 0.7, "NON_RENOUVELLEMENT", "ABANDON"), None))
    taille = 1 + (rng.random(n)[:, None] > np.array([0.40, 0.65, 0.80, 0.91, 0.97])).sum(1)
    typ = np.clip(taille + rng.integers(-1, 1, n) + (taille == 1), 1, 6)
    crit = np.column_stack([rng.random(n) < p for _, _, _, p in CRITERES])
    crit[:, 12] &= taille >= 2  # a single parent has at least one child
    cidx = rng.choice(len(communes), size=n, p=communes["poids"].to_numpy())
    out = pd.DataFrame({
        "date_depot": depot, "commune_souhaitee": communes["code_insee"].to_numpy()[cidx],
        "typologie_souhaitee": np.char.add("T", typ.astype(str)), "taille_menage": taille,
        "ressources_uc": np.round(rng.lognormal(np.log(10500), 0.6, n)), "statut": statut,
        "date_radiation": radiation, "motif_radiation": motif,
        "nb_refus": (rng.random(n)[:, None] > np.array([0.85, 0.97])).sum(1),
        "salarie": rng.random(n) < 0.45, "agent_public": rng.random(n) < 0.08})
    for j, (code, _, _, _) in enumerate(CRITERES):
        out[f"c_{code}"] = crit[:, j]
    return out


def build_grilles(epcis: list[str], rng: np.random.Generator,
                  annee_debut: int) -> pd.DataFrame:
    """Version 1 of a grid per EPCI (local variations); Grand Reims has a version 2."""
    rows = []
    for e in epcis:
        jitter = rng.integers(-1, 2, len(CRITERES)) * 5
        for (code, lib, pts, _), j in zip(CRITERES, jitter):
            rows.append((e, 1, code, float(max(pts + j, 5)), lib, f"{annee_debut - 1}-12-31"))
        rows.append((e, 1, "ANCIENNETE_MOIS", POINTS_ANCIENNETE, "Ancienneté (par mois)",
                     f"{annee_debut - 1}-12-31"))
        rows.append((e, 1, "REFUS", PENALITE_REFUS, "Refus d'un logement adapté (par refus)",
                     f"{annee_debut - 1}-12-31"))
    if "200067213" in epcis:
        v1 = [r for r in rows if r[0] == "200067213"]
        for r in v1:
            pts = {"EXPULSION": 25.0, "TAUX_EFFORT": 12.0}.get(r[2], r[3])
            rows.append((r[0], 2, r[2], pts, r[4], f"{annee_debut + 1}-07-01"))
    g = pd.DataFrame(rows, columns=["epci_siren", "version", "critere", "points", "libelle",
                                    "date_effet"])
    g["date_effet"] = pd.to_datetime(g["date_effet"]).dt.date
    return g
