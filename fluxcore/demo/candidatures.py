"""Demo follow-up (migration 008, fluxcore.suivi): each orientation's deadline and the
households proposed for each oriented dwelling, consistent with the orientation's statut.
Drawn from a stream of their own (the other tables stay those of the seed), once the other
tables are written.

- deadline (date_limite): computed by sql/suivi/delais.sql, as fluxcore.suivi records it;
- CANDIDATS_PROPOSES: 1 to nb_candidats_max candidates PROPOSE;
- CALEOL: 1 to nb_candidats_max candidates PROPOSE, sometimes the last one AJOURNE by the
  commission (the demo holds its attribution: the CALEOL met, the lease is not signed);
- ATTRIBUE: 1 to nb_candidats_max went to the CALEOL: the attribution's household RETENU on
  the day of the CALEOL, the others refused by the CALEOL, withdrawn, or declining the
  dwelling (only a demande whose nb_refus counts that refusal);
- RENDU_BAILLEUR: about a third had candidates, withdrawn when the dwelling was given back;
- ORIENTE: none yet. Now and then one more candidate was withdrawn (RETIRE) along the way.
The attribution's household is a candidate (PROPOSE at CALEOL, RETENU once attributed) only
when its menage_id is a demande: candidature.demande_id names a demande (the importer checks
it, so that the demo's export imports back as is), and the demo's households (MEN…) are none:
its attributed dwellings show the unsuccessful candidates only.
Demandes: of the dwelling's typology and département when one fits (else of its typology, else
any), filed before the proposal and not radiated by then; a demande is candidate once per
orientation, and those in play today (PROPOSE, AJOURNE) are ACTIVE, each on one dwelling only.
Dates: proposed between the orientation and its deadline (internal destination: the setting's
delay), before the CALEOL and the demo's date; decided after the proposal, never after the
CALEOL. propose_par « demo », origine BAILLEUR (the bailleur records what it receives).
modifie_le stays empty, in orientation and candidature, as after an import (fluxcore.imports
never takes it from a file: the export would not import back identical).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fluxcore.db import bind, load_sql

PROPOSE_PAR = "demo"
EN_COURS = ("CANDIDATS_PROPOSES", "CALEOL")
MOTIFS = {
    "REFUSE_CALEOL": ("Ressources insuffisantes au regard du loyer",
                      "Typologie inadaptée à la composition du ménage",
                      "Candidat mieux classé retenu", "Taux d'effort trop élevé",
                      "Dossier incomplet"),
    "AJOURNE": ("Pièces justificatives manquantes", "Avis d'imposition à fournir",
                "Visite du logement à organiser"),
    "REFUS_MENAGE": ("Logement trop éloigné du lieu de travail", "Étage élevé sans ascenseur",
                     "Loyer trop élevé", "Quartier non souhaité"),
    "RETIRE": ("Ménage injoignable", "Ménage relogé par ailleurs",
               "Demande retirée par le réservataire", "Dossier incomplet"),
}
RENDU = "Logement rendu au bailleur"      # the motif fluxcore.suivi.rendre_au_bailleur writes

ORIENTATIONS = """
select f.orientation_id, f.statut, f.date_orientation, f.date_limite_calculee as date_limite,
       f.nb_candidats_max, l.typologie, r.departement, a.menage_id, a.date_caleol
from ({sql}) f
join logement l using (logement_id)
join residence r using (residence_id)
left join attribution a using (orientation_id)
qualify row_number() over (partition by f.orientation_id
                           order by a.date_bail nulls first, a.attribution_id) = 1
order by f.orientation_id
"""
DEMANDES = """
select d.demande_id, d.date_depot, d.typologie_souhaitee, d.statut, d.date_radiation, d.nb_refus,
       coalesce(c.departement, '') as departement
from demande d left join ref_commune c on c.code_insee = d.commune_souhaitee
order by d.demande_id
"""


def _jours(values) -> np.ndarray:
    """Dates as days since 1970 (NaT: a very large number, after any date)."""
    d = pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]")
    out = d.astype("int64")
    out[np.isnat(d)] = np.iinfo(np.int64).max // 2
    return out


def inserer_candidatures(cur, rng: np.random.Generator, today: np.datetime64) -> None:
    """Inside the demo's transaction, once orientations, attributions and demandes are
    written: the date_limite of every orientation, and its candidatures."""
    sql = load_sql("suivi/orientation")
    o = cur.execute(ORIENTATIONS.format(sql=sql), bind(sql, {"orientation": None})).df()
    d = cur.execute(DEMANDES).df()
    delai = cur.execute("select max(cast(valeur as integer)) from parametre "
                        "where cle = 'delai_proposition_jours'").fetchall()[0][0] or 30
    cand = _candidatures(o, d, rng, int(np.datetime64(today, "D").astype("int64")), int(delai))
    cur.register("ori_suivi_df", o[["orientation_id", "date_limite"]])
    cur.execute("update orientation o set date_limite = f.date_limite from ori_suivi_df f "
                "where f.orientation_id = o.orientation_id")
    cur.unregister("ori_suivi_df")
    cur.register("cand_df", cand)
    cur.execute("insert into candidature by name select * from cand_df order by candidature_id")
    cur.unregister("cand_df")


def _candidatures(o: pd.DataFrame, d: pd.DataFrame, rng: np.random.Generator, today: int,
                  delai: int) -> pd.DataFrame:
    """The candidature rows."""
    n = len(o)
    st = o["statut"].to_numpy()
    nmax = np.maximum(o["nb_candidats_max"].fillna(3).to_numpy().astype(int), 1)
    date_o = _jours(o["date_orientation"])
    limite = _jours(o["date_limite"])
    caleol = _jours(o["date_caleol"])
    a_caleol = caleol <= today
    # the attribution's household, when it is a demande (index in d, else -1)
    ids = pd.Index(d["demande_id"])
    foyer = np.where(a_caleol, ids.get_indexer(o["menage_id"].fillna("")), -1)
    menage = o["menage_id"].notna().to_numpy() & a_caleol
    # the proposal window: from the orientation to its deadline (internal destination: the
    # setting's delay), before the CALEOL and today
    fin = np.where(o["date_limite"].isna().to_numpy(), date_o + delai, limite)
    fin = np.minimum(np.minimum(fin, today), np.where(a_caleol, caleol - 1, today))
    fin = np.maximum(fin, date_o)

    u_nb, u_rendu, u_plus, u_ajourne, u_jour = (rng.random(n) for _ in range(5))
    nb = 1 + (u_nb * nmax).astype(int)                      # candidates before the CALEOL
    attribue = (st == "ATTRIBUE") & menage
    rendu = st == "RENDU_BAILLEUR"
    nb = np.where(np.isin(st, EN_COURS) | attribue, nb,
                  np.where(rendu & (u_rendu < 0.35), 1 + (u_rendu < 0.1), 0))
    plus = (np.isin(st, EN_COURS) | attribue) & (u_plus < 0.08)   # one more, withdrawn
    total = nb + plus
    # the day the dwelling was given back: a few days after its deadline
    jour_rendu = np.minimum(np.maximum(fin + (u_jour * 8).astype(int), date_o),
                            np.where(a_caleol, caleol - 1, today))
    jour_rendu = np.minimum(jour_rendu, today)

    oi = np.repeat(np.arange(n), total)
    m = len(oi)
    pos = np.arange(m) - np.repeat(np.cumsum(total) - total, total)
    retire_avant = pos >= nb[oi]                           # the extra slot, last
    # the household's slot: RETENU once attributed (dropped below when it is no demande),
    # among the candidates at CALEOL when it is a demande
    est_menage = (pos == 0) & (((st[oi] == "ATTRIBUE") & menage[oi])
                               | ((st[oi] == "CALEOL") & (foyer[oi] >= 0)))
    en_jeu = np.isin(st[oi], EN_COURS) & ~retire_avant & ~est_menage
    u_date, u_dec, u_motif, u_statut = (rng.random(m) for _ in range(4))
    debut, span = date_o[oi], fin[oi] - date_o[oi] + 1
    proposition = debut + (u_date * span).astype(int)

    choix = np.where(est_menage, foyer[oi], -1)
    retenue = np.zeros(len(d), dtype=bool)            # not in play again once retained
    retenue[choix[est_menage & (st[oi] == "ATTRIBUE")]] = True
    choix = _tirer_demandes(d, o, oi, proposition, en_jeu, ~est_menage, rng, choix, retenue)
    garde = choix >= 0
    demande_id = d["demande_id"].to_numpy()[np.maximum(choix, 0)]
    nb_refus = np.where(garde & ~est_menage, d["nb_refus"].to_numpy()[np.maximum(choix, 0)],
                        0)

    statut = np.full(m, "PROPOSE", dtype=object)
    decision = np.full(m, -1, dtype=np.int64)
    st_o, cal = st[oi], caleol[oi]
    # ATTRIBUE: the household retained, the others refused, declining, or withdrawn
    autres = (st_o == "ATTRIBUE") & ~est_menage & ~retire_avant
    statut[(st_o == "ATTRIBUE") & est_menage] = "RETENU"
    refus = autres & (nb_refus > 0) & (u_statut < 0.35)
    statut[refus] = "REFUS_MENAGE"
    statut[autres & ~refus & (u_statut < 0.8)] = "REFUSE_CALEOL"
    statut[autres & ~refus & (u_statut >= 0.8)] = "RETIRE"
    # CALEOL: now and then the commission postponed the last of several candidates
    ajourne = ((st_o == "CALEOL") & a_caleol[oi] & ~est_menage & (pos == nb[oi] - 1)
               & (pos > 0) & (u_ajourne[oi] < 0.25))
    statut[ajourne] = "AJOURNE"
    statut[retire_avant | (st_o == "RENDU_BAILLEUR")] = "RETIRE"
    # decision days: the CALEOL's, else between the proposal and the CALEOL (or today)
    borne = np.where(a_caleol[oi], cal, today)
    entre = proposition + (u_dec * (np.maximum(borne - proposition, 0) + 1)).astype(int)
    jour_commission = np.maximum(cal, proposition)
    decision = np.where(np.isin(statut, ("RETENU", "REFUSE_CALEOL", "AJOURNE")),
                        jour_commission, decision)
    decision = np.where(np.isin(statut, ("REFUS_MENAGE", "RETIRE")), entre, decision)
    decision = np.where(st_o == "RENDU_BAILLEUR", np.maximum(jour_rendu[oi], proposition),
                        decision)
    # a household declines no more often than its demande counts refusals
    frame = pd.DataFrame({"oi": oi, "demande_id": demande_id, "statut": statut})
    trop = (frame["statut"] == "REFUS_MENAGE") & (
        frame.groupby(["demande_id", "statut"]).cumcount().to_numpy() >= nb_refus)
    statut[trop.to_numpy()] = "REFUSE_CALEOL"
    decision[trop.to_numpy()] = jour_commission[trop.to_numpy()]

    motif = np.full(m, None, dtype=object)
    for code, textes in MOTIFS.items():
        sel = statut == code
        motif[sel] = np.array(textes, dtype=object)[(u_motif[sel] * len(textes)).astype(int)]
    motif[(statut == "RETIRE") & (st_o == "RENDU_BAILLEUR")] = RENDU

    out = pd.DataFrame({
        "oi": oi, "orientation_id": o["orientation_id"].to_numpy()[oi],
        "demande_id": demande_id, "date_proposition": proposition.astype("datetime64[D]"),
        "propose_par": PROPOSE_PAR, "origine": "BAILLEUR", "statut": statut,
        "date_decision": np.where(decision >= 0, decision, np.iinfo(np.int64).min).astype(
            "datetime64[D]"),
        "motif": motif})[garde]
    out = out.sort_values(["oi", "date_proposition"], kind="stable")   # rang: proposal order
    out["rang"] = out.groupby("oi").cumcount() + 1
    out["candidature_id"] = "CA-" + out["orientation_id"] + "-" + out["rang"].astype(str)
    return out.drop(columns="oi").reset_index(drop=True)


def _tirer_demandes(d: pd.DataFrame, o: pd.DataFrame, oi: np.ndarray, jour: np.ndarray,
                    en_jeu: np.ndarray, voulu: np.ndarray, rng: np.random.Generator,
                    choix: np.ndarray, retenue: np.ndarray, tours: int = 8) -> np.ndarray:
    """Index in `d` of the demande of each slot (-1: none fits; `choix`: those already
    known). Tried within the dwelling's typology and département, then its typology, then all
    demandes: filed by `jour` and not radiated by then, ACTIVE and not `retenue` for a slot
    `en_jeu`; once per orientation, once among the slots en_jeu."""
    m = len(oi)
    choix = choix.astype(np.int64)
    if m == 0 or d.empty:
        return choix
    depot = _jours(d["date_depot"])
    radiation = _jours(d["date_radiation"])
    active = (d["statut"] == "ACTIVE").to_numpy()
    typ_d = d["typologie_souhaitee"].fillna("").to_numpy()
    dep_d = d["departement"].to_numpy()
    typ_o = o["typologie"].fillna("").to_numpy()[oi]
    dep_o = o["departement"].fillna("").to_numpy()[oi]
    niveaux = ((np.char.add(typ_d.astype(str), "|" + dep_d.astype(str)),
                np.char.add(typ_o.astype(str), "|" + dep_o.astype(str))),
               (typ_d.astype(str), typ_o.astype(str)),
               (np.zeros(len(d), dtype=str), np.zeros(m, dtype=str)))
    for cles_d, cles_slot in niveaux:
        ordre = np.argsort(cles_d, kind="stable")
        groupes, debut, taille = np.unique(cles_d[ordre], return_index=True,
                                           return_counts=True)
        g = np.searchsorted(groupes, cles_slot)
        g = np.minimum(g, len(groupes) - 1)
        connu = groupes[g] == cles_slot
        for _ in range(tours):
            attente = np.flatnonzero(voulu & (choix < 0) & connu)
            if not len(attente):
                break
            u = rng.random(len(attente))
            pris = ordre[debut[g[attente]] + (u * taille[g[attente]]).astype(int)]
            ok = (depot[pris] <= jour[attente]) & (radiation[pris] > jour[attente]) & (
                (active[pris] & ~retenue[pris]) | ~en_jeu[attente])
            _accepter(choix, attente[ok], pris[ok], oi, en_jeu)
    return choix


def _accepter(choix: np.ndarray, slots: np.ndarray, pris: np.ndarray, oi: np.ndarray,
              en_jeu: np.ndarray) -> None:
    """Give `pris` to `slots` unless the demande is already candidate on that orientation, or
    already in play elsewhere for a slot en_jeu (slots already served keep theirs)."""
    if not len(slots):
        return
    deja = np.flatnonzero(choix >= 0)
    f = pd.DataFrame({"slot": np.r_[deja, slots], "dem": np.r_[choix[deja], pris],
                      "nouveau": np.r_[np.zeros(len(deja), bool), np.ones(len(slots), bool)]})
    f["oi"], f["en_jeu"] = oi[f["slot"]], en_jeu[f["slot"]]
    rejet = f.duplicated(["oi", "dem"])
    jeu = f[f["en_jeu"]]
    rejet |= pd.Series(jeu.duplicated("dem").to_numpy(), index=jeu.index).reindex(
        f.index, fill_value=False)
    ok = f[f["nouveau"] & ~rejet]
    choix[ok["slot"].to_numpy()] = ok["dem"].to_numpy()
