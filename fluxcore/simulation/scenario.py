"""A negotiation scenario: every parameter of the assiette and of each réservataire's rate.

A scenario is plain data (JSON in the `scenario` table, in files for the CLI). `from_dict`
validates it and names the faulty field in French; `to_dict` is its exact inverse.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime

from fluxcore.codes import TYPES_RESERVATAIRE
from fluxcore.errors import FluxcoreError
from fluxcore.formats import accord, fmt_nombre
from fluxcore.regles import INTERNES, Derogation

METHODES = {
    "negocie": "Taux négocié",
    "part_stock": "Part du stock réservé",
    "droits_uniques": "Droits uniques",
    "stock_et_uniques": "Stock réservé + droits uniques",
}
ROTATIONS = {
    "observee": "Rotation observée par segment",
    "modele": "Modèle de vacance (régression logistique)",
    "globale": "Taux de rotation unique",
    "segments": "Taux par segment",
}
TYPOLOGIES = ("T1", "T2", "T3", "T4", "T5", "T6")
TYPES = TYPES_RESERVATAIRE.codes
DUREE_MIN, DUREE_MAX = 3, 5


class ScenarioError(FluxcoreError):
    """A scenario parameter is missing or out of its bounds."""


def segment_key(typologie: str, en_qpv: bool) -> str:
    """Key of a segment in `rotation_segments`: 'T3|QPV' or 'T3|hors QPV'."""
    return f"{typologie}|{'QPV' if en_qpv else 'hors QPV'}"


@dataclass
class LigneReservataire:
    """One réservataire of the scenario and how its rate is obtained (docs/regles.md#conversion)."""

    reservataire_id: str
    nom: str = ""
    type: str = "AUTRE"
    perimetre: str | None = None          # commune INSEE or EPCI SIREN; None = département
    garantie_emprunt: bool = False
    methode: str = "negocie"
    taux_pct: float | None = None          # negotiated rate (methode "negocie")
    logements_reserves: float | None = None  # overrides the reserved stock (droits de suite)
    droits_uniques: float | None = None    # overrides the remaining droits uniques
    annees_restantes: float | None = None  # overrides their remaining years
    fin_droits: str | None = None          # ISO date the rights end (loan guarantee: the
    #                                        loan's end + garantie_duree_apres_pret_ans)
    debut_droits: str | None = None        # ISO date the rights start (a convention starting
    #                                        during the period; None = before it)


@dataclass
class Scenario:
    """Parameters of a simulation over a 3 to 5-year convention period of one département."""

    departement: str
    annee_debut: int
    annee_fin: int
    nom: str = "Scénario"
    rotation_mode: str = "observee"
    rotation_pct: float | None = None                  # mode "globale"
    rotation_segments: dict[str, float] = field(default_factory=dict)  # mode "segments"
    premieres_dans_flux: bool | None = None            # None = the base's setting
    premieres_par_an: float | None = None              # None = programmes known in the base
    soustraits: dict[str, float] = field(default_factory=dict)  # absent = observed mean
    fonctionnaires_pct: float | None = None            # rate of the préfet's agents line(s)
    lecture_hors_qpv: str | None = None                # None = the base's setting (A/B)
    derogations: list[Derogation] | None = None        # None = the base's arrêtés (table
    #                                                    derogation of the département)
    reservataires: list[LigneReservataire] = field(default_factory=list)
    tirages: int = 10_000
    graine: int = 2023

    @property
    def annees(self) -> list[int]:
        return list(range(self.annee_debut, self.annee_fin + 1))

    def to_dict(self) -> dict:
        out = asdict(self)
        if self.derogations is not None:
            out["derogations"] = [derogation_dict(d) for d in self.derogations]
        return out


DEROGATION_FIELDS = ("arrete", "date_debut", "date_fin", "taux_max", "taux_agents_max")


def derogation_dict(d: Derogation) -> dict:
    """A dérogation as JSON (ISO dates); its id and département stay in the base."""
    return {"arrete": d.arrete, "date_debut": d.date_debut.isoformat(),
            "date_fin": d.date_fin.isoformat(), "taux_max": d.taux_max,
            "taux_agents_max": d.taux_agents_max}


_SCENARIO_FIELDS = {f.name for f in fields(Scenario)}
_LIGNE_FIELDS = {f.name for f in fields(LigneReservataire)}
LEGACY = "derogation_prefet"  # yes/no of scenarios saved before dated dérogations


def from_dict(data: dict) -> Scenario:
    """Build and validate a scenario from its JSON form; French message on the first fault."""
    if not isinstance(data, dict):
        raise ScenarioError("Le scénario doit être un objet JSON.")
    data = _legacy(dict(data))
    unknown = sorted(set(data) - _SCENARIO_FIELDS)
    if unknown:
        raise ScenarioError(f"Champ inconnu dans le scénario : {', '.join(unknown)}.")
    for key in ("departement", "annee_debut", "annee_fin"):
        if data.get(key) in (None, ""):
            raise ScenarioError(f"Champ obligatoire manquant dans le scénario : {key}.")
    for key in ("rotation_segments", "soustraits"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise ScenarioError(f"{key} doit être un objet JSON (ex. {{\"RU\": 5}}).")
    if data.get("reservataires") is not None and not isinstance(data["reservataires"], list):
        raise ScenarioError("reservataires doit être une liste.")
    lignes = []
    for i, ligne in enumerate(data.get("reservataires") or [], start=1):
        if not isinstance(ligne, dict):
            raise ScenarioError(f"reservataires[{i}] doit être un objet JSON.")
        bad = sorted(set(ligne) - _LIGNE_FIELDS)
        if bad:
            raise ScenarioError(f"Champ inconnu dans reservataires[{i}] : {', '.join(bad)}.")
        if not ligne.get("reservataire_id"):
            raise ScenarioError(f"reservataires[{i}] : reservataire_id manquant.")
        lignes.append(LigneReservataire(**ligne))
    derogs = data.get("derogations")
    if derogs is not None and not isinstance(derogs, list):
        raise ScenarioError("derogations doit être une liste (ex. [{\"arrete\": \"Arrêté "
                            "n° 2025-12\", \"date_debut\": \"2025-03-01\", \"date_fin\": "
                            "\"2026-02-28\", \"taux_max\": 35}]).")
    s = Scenario(**{**data, "reservataires": lignes,
                    "rotation_segments": dict(data.get("rotation_segments") or {}),
                    "soustraits": dict(data.get("soustraits") or {}),
                    "derogations": None if derogs is None else [
                        _derogation(d, i) for i, d in enumerate(derogs, start=1)]})
    valider(s)
    return s


def _legacy(data: dict) -> dict:
    """A scenario saved with derogation_prefet (yes/no for the whole period): false means
    no dérogation; true becomes a one-year dérogation over the first year, at 100 %, named
    so that the negotiator states the real arrêté, dates and rate."""
    if LEGACY not in data:
        return data
    flag = data.pop(LEGACY)
    _bool(flag, LEGACY)
    if "derogations" in data:
        return data
    if data.get("annee_debut") in (None, ""):
        return data          # the missing field is reported by from_dict
    year = _int(data["annee_debut"], "annee_debut")
    data["derogations"] = [] if not flag else [{
        "arrete": "Dérogation d'un ancien scénario : arrêté, dates et taux à préciser",
        "date_debut": f"{year}-01-01", "date_fin": f"{year}-12-31", "taux_max": 100.0}]
    return data


def _derogation(d, i: int) -> Derogation:
    where = f"derogations[{i}]"
    if isinstance(d, Derogation):
        return d
    if not isinstance(d, dict):
        raise ScenarioError(f"{where} doit être un objet JSON.")
    bad = sorted(set(d) - set(DEROGATION_FIELDS))
    if bad:
        raise ScenarioError(f"Champ inconnu dans {where} : {', '.join(bad)}.")
    arrete = d.get("arrete") or f"Dérogation n° {i}"
    if not isinstance(arrete, str):
        raise ScenarioError(f"{where} : arrete doit être un texte.")
    _pct(d.get("taux_max"), f"{where} taux_max", required=True)
    _pct(d.get("taux_agents_max"), f"{where} taux_agents_max")
    debut = _date(d.get("date_debut"), f"{where} date_debut")
    fin = _date(d.get("date_fin"), f"{where} date_fin")
    if fin < debut:
        raise ScenarioError(f"{where} : la fin ({fin:%d/%m/%Y}) précède le début "
                            f"({debut:%d/%m/%Y}).")
    agents = d.get("taux_agents_max")
    return Derogation(arrete.strip(), debut, fin, float(d["taux_max"]),
                      None if agents is None else float(agents))


def _date(value, name: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                pass
    raise ScenarioError(f"{name} doit être une date AAAA-MM-JJ ou JJ/MM/AAAA (reçu : "
                        f"{value!r}).")


def valider(s: Scenario) -> Scenario:
    """Check every bound of a scenario (raises ScenarioError naming the field)."""
    s.departement = str(s.departement)
    s.annee_debut, s.annee_fin = _int(s.annee_debut, "annee_debut"), _int(s.annee_fin,
                                                                        "annee_fin")
    duree = s.annee_fin - s.annee_debut + 1
    if not DUREE_MIN <= duree <= DUREE_MAX:
        raise ScenarioError(
            f"La période d'une convention couvre de {DUREE_MIN} à {DUREE_MAX} ans "
            f"({s.annee_debut}–{s.annee_fin} : {accord(duree, 'an', 'ans')}).")
    if s.rotation_mode not in ROTATIONS:
        raise ScenarioError(f"rotation_mode « {s.rotation_mode} » inconnu (attendu : "
                            f"{', '.join(ROTATIONS)}).")
    if s.rotation_mode == "globale":
        _pct(s.rotation_pct, "rotation_pct", required=True)
    for key, value in s.rotation_segments.items():
        typ, _, qpv = key.partition("|")
        if typ not in TYPOLOGIES or qpv not in ("QPV", "hors QPV"):
            raise ScenarioError(f"rotation_segments : segment « {key} » inconnu (attendu par "
                                "exemple « T3|QPV » ou « T3|hors QPV »).")
        _pct(value, f"rotation_segments[{key}]", required=True)
    for cat, value in s.soustraits.items():
        if cat not in INTERNES:
            raise ScenarioError(f"soustraits : catégorie « {cat} » inconnue (attendu : "
                                f"{', '.join(INTERNES)}).")
        _count(value, f"soustraits[{cat}]")
    _count(s.premieres_par_an, "premieres_par_an")
    _pct(s.fonctionnaires_pct, "fonctionnaires_pct")
    if s.lecture_hors_qpv not in ("A", "B", None):
        raise ScenarioError("lecture_hors_qpv doit valoir « A » ou « B ».")
    s.tirages = _int(s.tirages, "tirages")
    if not 1 <= s.tirages <= 200_000:
        raise ScenarioError("tirages doit être compris entre 1 et 200 000.")
    if not isinstance(s.nom, str) or not s.nom.strip():
        raise ScenarioError("nom doit être un texte non vide.")
    _bool(s.premieres_dans_flux, "premieres_dans_flux", optional=True)
    if s.derogations is not None:
        if not isinstance(s.derogations, list):
            raise ScenarioError("derogations doit être une liste.")
        s.derogations = [_derogation(d, i) for i, d in enumerate(s.derogations, start=1)]
    s.graine = _int(s.graine, "graine")
    seen = set()
    for i, ligne in enumerate(s.reservataires, start=1):
        _valider_ligne(ligne, i)
        key = (ligne.reservataire_id, ligne.perimetre)
        if key in seen:
            raise ScenarioError(f"reservataires[{i}] : « {ligne.reservataire_id} » figure deux "
                                "fois sur le même périmètre.")
        seen.add(key)
    return s


def _valider_ligne(ligne: LigneReservataire, i: int) -> None:
    where = f"reservataires[{i}] ({ligne.reservataire_id})"
    if ligne.methode not in METHODES:
        raise ScenarioError(f"{where} : méthode « {ligne.methode} » inconnue (attendu : "
                            f"{', '.join(METHODES)}).")
    if ligne.type not in TYPES:
        raise ScenarioError(f"{where} : type « {ligne.type} » inconnu.")
    if isinstance(ligne.perimetre, float) and math.isnan(ligne.perimetre):
        ligne.perimetre = None
    if ligne.perimetre is not None and not isinstance(ligne.perimetre, str):
        raise ScenarioError(f"{where} : perimetre doit être un code de commune ou d'EPCI en "
                            f"texte (reçu : {ligne.perimetre!r}).")
    _bool(ligne.garantie_emprunt, f"{where} garantie_emprunt")
    _pct(ligne.taux_pct, f"{where} taux_pct", required=ligne.methode == "negocie")
    _count(ligne.logements_reserves, f"{where} logements_reserves")
    _count(ligne.droits_uniques, f"{where} droits_uniques")
    _count(ligne.annees_restantes, f"{where} annees_restantes")
    if ligne.annees_restantes is not None and ligne.annees_restantes <= 0:
        raise ScenarioError(f"{where} : annees_restantes doit être strictement positif.")
    if ligne.perimetre in ("",):
        ligne.perimetre = None
    if ligne.fin_droits is not None:
        ligne.fin_droits = _date(ligne.fin_droits, f"{where} fin_droits").isoformat()
    if ligne.debut_droits is not None:
        ligne.debut_droits = _date(ligne.debut_droits, f"{where} debut_droits").isoformat()


def _bool(value, name: str, optional: bool = False) -> None:
    if not isinstance(value, bool) and not (optional and value is None):
        raise ScenarioError(f"{name} doit valoir true ou false (reçu : {value!r}).")


def _int(value, name: str) -> int:
    try:
        out = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ScenarioError(f"{name} doit être un nombre entier (reçu : {value!r}).") from None
    if out != value and not (isinstance(value, str) and value.strip().isdigit()):
        raise ScenarioError(f"{name} doit être un nombre entier (reçu : {value!r}).")
    return out


def _number(value, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value):
        raise ScenarioError(f"{name} doit être un nombre (reçu : {value!r}).")
    return float(value)


def _pct(value, name: str, required: bool = False) -> None:
    if value is None:
        if required:
            raise ScenarioError(f"{name} est obligatoire.")
        return
    v = _number(value, name)
    if not 0 <= v <= 100:
        raise ScenarioError(f"{name} doit être un pourcentage entre 0 et 100 "
                            f"(reçu : {fmt_nombre(v, None)}).")


def _count(value, name: str) -> None:
    v = _number(value, name)
    if v is not None and v < 0:
        raise ScenarioError(f"{name} doit être positif ou nul (reçu : {fmt_nombre(v, None)}).")
