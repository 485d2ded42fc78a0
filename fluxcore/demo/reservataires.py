"""Demo réservataires, flux conventions and the pre-conversion stock inventory.

Per département: the préfet (prioritaires and agents de l'État), Action Logement, the
Département; the largest communes and the CA/CU EPCIs of the landlord's stock sign for their own
territory (loan guarantees); one hospital employer in the Marne. Rates respect
docs/regles.md#limites: préfet ≤ 30 % (agents ≤ 5 %), guarantees ≤ 20 % on any territory,
sum ≤ 100 %.
Each réservataire has a fictitious e-mail address (the notices of availability, fluxcore.avis)
under the reserved top-level domain `.example` (RFC 2606): never anybody's real address.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from fluxcore.formats import de_commune
from fluxcore.geo import Reference, commune_mere

# destination slots of the orientation/stock matrices, in this order
SLOTS = ("PREFET", "PREFET_FONCTIONNAIRES", "ACTION_LOGEMENT", "DEPARTEMENT", "EPCI", "COMMUNE",
         "EMPLOYEUR")


def _round_half(x: float) -> float:
    return float(np.round(x * 2) / 2)


def _slug(text: str) -> str:
    """« CA Ardenne Métropole » → « ca-ardenne-metropole » (a DNS label: 63 characters)."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:63].strip("-") or "x"


def courriel_fictif(rid: str, typ: str, nom: str, territoire: str) -> str:
    """A plausible, fictitious address for a demo réservataire, from its type, territory and
    name: attributions@prefecture-51.example, habitat@ca-ardenne-metropole.example,
    logement@ville-reims.example… (no random draw)."""
    terr = _slug(territoire)
    if typ == "PREFET":
        return f"contingent-prioritaire@prefecture-{terr}.example"
    if typ == "PREFET_FONCTIONNAIRES":
        return f"logement-agents-etat@prefecture-{terr}.example"
    if typ == "ACTION_LOGEMENT":
        return "attributions@action-logement.example"
    if typ == "DEPARTEMENT":
        return f"habitat@departement-{terr}.example"
    if typ == "EPCI":
        return f"habitat@{_slug(nom)}.example"
    if typ == "COMMUNE":
        return f"logement@{_slug(re.sub(r'^Commune (de |du |des |d.)?', 'ville-', nom))}.example"
    if typ == "EMPLOYEUR":
        return f"logement-personnel@{_slug(nom.split('(')[0])}-{terr}.example"
    return f"reservations@{_slug(rid)}.example"


def build_reservataires(ref: Reference, res: pd.DataFrame, rng: np.random.Generator,
                        annee_debut: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Réservataires and one convention per réservataire × département."""
    noms_dep = ref.communes.drop_duplicates("code_dep").set_index("code_dep")["nom_dep"]
    noms_com = ref.communes.set_index("code_insee")["nom"]
    epci = ref.epci.set_index("siren_epci")
    stock = res.groupby(commune_mere(res["commune_insee"].to_numpy()))["nb_logements"].sum()
    stock_epci = res.groupby("epci_siren")["nb_logements"].sum()
    rows, convs = [], []

    def add(rid, nom, typ, terr, dep, perim, taux, garantie):
        if rid not in {r["reservataire_id"] for r in rows}:
            rows.append({"reservataire_id": rid, "nom": nom, "type": typ, "territoire": terr,
                         "repris_par_prefet": False,
                         "email": courriel_fictif(rid, typ, nom, terr)})
        convs.append({"convention_id": f"CONV-{dep}-{rid}", "reservataire_id": rid,
                      "departement": dep, "perimetre": perim, "annee_debut": annee_debut,
                      "annee_fin": annee_debut + 4, "taux_flux": taux,
                      "garantie_emprunt": garantie,
                      "date_signature": np.datetime64(f"{annee_debut}-06-01") + int(
                          rng.integers(0, 170))})

    for dep in sorted(res["departement"].unique()):
        nd = noms_dep[dep]
        add(f"PREF-{dep}", f"Préfet – {nd} (publics prioritaires)", "PREFET", dep, dep, None,
            _round_half(rng.uniform(21, 25)), False)
        add(f"PREFF-{dep}", f"Préfet – {nd} (agents de l'État)", "PREFET_FONCTIONNAIRES", dep,
            dep, None, _round_half(rng.uniform(2.5, 5)), False)
        add("AL", "Action Logement Services", "ACTION_LOGEMENT", "national", dep, None,
            _round_half(rng.uniform(20, 28)), False)
        add(f"CD-{dep}", f"Département – {nd}", "DEPARTEMENT", dep, dep, None,
            _round_half(rng.uniform(2, 4)), True)
        dep_epci = stock_epci[stock_epci.index.isin(res.loc[res["departement"] == dep,
                                                              "epci_siren"])]
        for siren in sorted(dep_epci.index):
            big = epci.at[siren, "type"] in ("CA", "CU") and (
                dep_epci[siren] >= 0.04 * dep_epci.sum())
            if big and not any(c["reservataire_id"] == f"EPCI-{siren}" for c in convs):
                add(f"EPCI-{siren}", epci.at[siren, "nom"], "EPCI", siren, dep, siren,
                    _round_half(rng.uniform(4, 6)), True)
        dep_com = stock[stock.index.str.startswith(dep)].sort_values(ascending=False)
        for code in sorted(dep_com.index[:2].tolist() + dep_com.index[2:4][
                dep_com.iloc[2:4] >= 0.05 * dep_com.sum()].tolist()):
            add(f"COM-{code}", f"Commune {de_commune(code, noms_com[code])}", "COMMUNE", code,
                dep, code,
                _round_half(rng.uniform(6, 10)), True)
    if "51" in set(res["departement"]):
        add("EMP-CHU", "Centre hospitalier universitaire (employeur)", "EMPLOYEUR", "51", "51",
            None, 1.5, False)
    conv = pd.DataFrame(convs)
    conv["date_signature"] = pd.to_datetime(conv["date_signature"]).dt.date
    return pd.DataFrame(rows), conv


def build_derogations(conv: pd.DataFrame, annee: int) -> pd.DataFrame:
    """One préfectoral dérogation (R441-5-2) in the first département: an arrêté of one year
    from 1 March of the year before `annee` (its own dates, one year at most), raising the
    préfet's limit to 32 %. No random draw: the other tables stay those of the seed."""
    dep = sorted(conv["departement"].unique())[0]
    debut = pd.Timestamp(annee - 1, 3, 1).date()
    return pd.DataFrame([{
        "derogation_id": f"DEROG-{dep}-{annee - 1}", "departement": dep,
        "arrete": f"Arrêté préfectoral n° {annee - 1}-DDETS-{dep}-0412",
        "date_debut": debut, "date_fin": pd.Timestamp(annee, 2, 28).date(),
        "taux_max": 32.0, "taux_agents_max": None}])


def slot_matrices(res: pd.DataFrame, conv: pd.DataFrame,
                  reserv: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Per commune of the stock, the réservataire of each slot and its rate (0 when none)."""
    typ = reserv.set_index("reservataire_id")["type"]
    communes = pd.Index(sorted(res["commune_insee"].unique()))
    epci_of = res.drop_duplicates("commune_insee").set_index("commune_insee")["epci_siren"]
    ids = np.full((len(communes), len(SLOTS)), None, dtype=object)
    rates = np.zeros((len(communes), len(SLOTS)))
    for _, c in conv.iterrows():
        slot = SLOTS.index(typ[c["reservataire_id"]])
        if c["perimetre"] is None or pd.isna(c["perimetre"]):
            mask = communes.str.startswith(c["departement"])
        elif len(c["perimetre"]) == 9:
            mask = np.asarray(epci_of.reindex(communes).to_numpy() == c["perimetre"])
        else:
            mask = np.asarray(commune_mere(communes.to_numpy()) == c["perimetre"])
        ids[mask, slot] = c["reservataire_id"]
        rates[mask, slot] = c["taux_flux"] / 100.0
    return communes, ids, rates


def build_stock(log: pd.DataFrame, commune_idx: np.ndarray, ids: np.ndarray, rates: np.ndarray,
                rng: np.random.Generator, today: np.datetime64) -> pd.DataFrame:
    """Pre-conversion inventory: each dwelling reserved (or not) to one réservataire.

    Reservation shares follow the convention rates (the conversion kept the balance), with
    droits de suite for most and a few droits uniques with their remaining count.
    """
    p = rates[commune_idx]
    u = rng.random(len(log))
    slot = (u[:, None] > p.cumsum(1)).sum(1)
    reserved = slot < p.shape[1]
    idx = np.flatnonzero(reserved)
    rid = ids[commune_idx[idx], slot[idx]]
    unique = rng.random(len(idx)) < 0.08
    nb = np.where(unique, rng.integers(1, 4, len(idx)), 1)
    years = np.where(unique, rng.integers(2, 12, len(idx)), rng.integers(5, 40, len(idx)))
    fin = (today + (years * 365).astype("timedelta64[D]")).astype("datetime64[D]")
    return pd.DataFrame({"logement_idx": idx, "reservataire_id": rid,
                         "type_droit": np.where(unique, "UNIQUE", "SUITE"),
                         "nb_droits": nb, "date_fin": fin})
