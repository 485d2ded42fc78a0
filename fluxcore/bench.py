"""Benchmark of the fluxcore calls behind each page (design.md §5 targets).

`python -m fluxcore bench --scale grand` builds the tier's demo database once
(data/bench-<scale>.duckdb, reused afterwards), then times each call warm: median and p95 of
`--repeat` runs after one untimed warm-up. First version: pages Tableau de bord, Jauges de
flux and Orientation; the plain-pandas baseline and the other pages come with the Benchmark
issue.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fluxcore import (
    bilan,
    cotation,
    fragilite,
    jauges,
    objectifs,
    orientation,
    simulation,
    tableau_de_bord,
)
from fluxcore.assiette import assiette_departement
from fluxcore.db import Database
from fluxcore.demo import generate_demo
from fluxcore.perimetre import Perimetre
from fluxcore.simulation.montecarlo import simuler_tirages

CIBLES_MS = {"page": {"grand": 150, "national": 3000}, "classement": {"grand": 50},
             "scores": {"national": 1000}, "tableau": {},
             "import": {}, "montecarlo": {"grand": 2000}, "premiere_vue": {},
             "generation": {}}
BENCH_DATE = date(2026, 11, 23)


@dataclass(frozen=True)
class Mesure:
    nom: str
    groupe: str          # "page" or "classement": which target applies
    mediane_ms: float
    p95_ms: float
    cible_ms: float | None

    @property
    def ok(self) -> bool | None:
        return None if self.cible_ms is None else self.p95_ms <= self.cible_ms


def _time(func: Callable[[], object], repeat: int) -> tuple[float, float]:
    func()  # warm-up
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append((time.perf_counter() - start) * 1000)
    runs.sort()
    p95 = runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]
    return statistics.median(runs), p95


def bench_db(scale: str, folder: str | Path = "data") -> Path:
    """The tier's database, generated on first use (seed 42, fixed reference date)."""
    path = Path(folder) / f"bench-{scale}.duckdb"
    if not path.exists():
        generate_demo(path, scale, 42, BENCH_DATE)
    return path


def run_bench(scale: str = "grand", repeat: int = 10, folder: str | Path = "data"
              ) -> list[Mesure]:
    db = Database(bench_db(scale, folder))
    p = Perimetre(2026, aujourdhui=BENCH_DATE)
    dep = Perimetre(2026, departement="51", aujourdhui=BENCH_DATE)
    lib = tableau_de_bord.vacants_en_attente(db, p)["liberation_id"].iloc[0]
    reims = Perimetre(2026, epci_siren="200067213", aujourdhui=BENCH_DATE)
    res_id = db.scalar("select min(residence_id) from residence")
    sim_e = simulation.charger_entrees(db, "51", 2027, 2029)
    sim_s = simulation.Scenario("51", 2027, 2029, tirages=10_000)
    sim_r = simulation.simuler(sim_e, sim_s)
    bil = bilan.calculer_bilan(db, 2025, BENCH_DATE)
    first = bil.destinataires.iloc[0]["code"]
    demande = db.scalar("select min(d.demande_id) from demande d join ref_commune c"
                        " on c.code_insee = d.commune_souhaitee where d.statut = 'ACTIVE'"
                        " and c.epci_siren = '200067213'")
    calls: list[tuple[str, str, Callable[[], object]]] = [
        ("Tableau de bord : chiffres clés", "page", lambda: tableau_de_bord.chiffres_cles(db, p)),
        ("Tableau de bord : orientations", "page",
         lambda: tableau_de_bord.orientations_par_categorie(db, p)),
        ("Tableau de bord : mois par mois", "page", lambda: tableau_de_bord.flux_mensuel(db, p)),
        ("Tableau de bord : vacants", "page", lambda: tableau_de_bord.vacants_en_attente(db, p)),
        ("Jauges : par réservataire", "page", lambda: jauges.jauges_reservataires(db, p)),
        ("Jauges : limites légales", "page", lambda: jauges.controles_legaux(db, p)),
        ("Jauges : qualité du flux", "page", lambda: jauges.qualite_flux(db, p)),
        ("Jauges : un département", "page", lambda: jauges.jauges_reservataires(db, dep)),
        ("Objectifs CIL : suivi des EPCI", "page", lambda: objectifs.suivi(db, p)),
        ("Objectifs CIL : trajectoire d'un EPCI", "page",
         lambda: objectifs.trajectoire(db, reims)),
        ("Résidences : indice de fragilité", "page",
         lambda: fragilite.fragilite(db, BENCH_DATE)),
        ("Résidences : fiche d'une résidence", "page",
         lambda: fragilite.fiche(db, res_id, BENCH_DATE)),
        ("Assiette d'un département", "page",
         lambda: assiette_departement(db, "51", 2026)),
        ("Orientation : classer un logement", "classement",
         lambda: orientation.classer_destinations(db, lib, BENCH_DATE)),
        ("Simulateur : entrées d'un département", "page",
         lambda: simulation.charger_entrees(db, "51", 2027, 2029, modele=False)),
        ("Simulateur : entrées + modèle de vacance (1re vue)", "premiere_vue",
         lambda: simulation.charger_entrees(db, "51", 2027, 2029)),
        ("Simulateur : un scénario", "page", lambda: simulation.simuler(sim_e, sim_s)),
        ("Simulateur : Monte-Carlo 10 000 tirages", "montecarlo",
         lambda: simuler_tirages(sim_e, sim_r)),
        ("Bilan annuel : calcul de l'année (tous destinataires)", "page",
         lambda: bilan.calculer_bilan(db, 2025, BENCH_DATE)),
        ("Bilan annuel : document d'un réservataire", "page",
         lambda: bilan.document_reservataire(bil, first)),
        ("Bilan annuel : document d'un EPCI", "page",
         lambda: bilan.document_epci(db, bil, "200067213")),
        ("Cotation : tableau des scores de toutes les demandes (CLI)", "tableau",
         lambda: cotation.scores(db, BENCH_DATE)),
        ("Cotation : distribution d'un EPCI", "page",
         lambda: cotation.distribution(db, BENCH_DATE, "200067213")),
        ("Cotation : candidats d'un logement par destination", "page",
         lambda: cotation.par_destination(db, lib, BENCH_DATE)),
        ("Cotation : position d'un demandeur", "page",
         lambda: cotation.position_demandeur(db, demande, BENCH_DATE)),
        ("Cotation : demandes bien cotées non satisfaites d'un EPCI", "page",
         lambda: cotation.non_satisfaites(db, BENCH_DATE, "200067213")),
    ]
    out = []
    for name, group, func in calls:
        med, p95 = _time(func, repeat)
        out.append(Mesure(name, group, round(med, 1), round(p95, 1),
                          CIBLES_MS[group].get(scale)))
    out.append(_bench_scores_national(db, Path(folder), repeat, DEMANDES_NATIONAL if scale in (
        "grand", "national") else 50_000))
    out.append(_bench_bilan(db, bil))
    out.append(_bench_import(db, Path(folder)))
    db.close()
    return out


DEMANDES_NATIONAL = 2_700_000  # design.md §5, tier national


def _bench_scores_national(db: Database, folder: Path, repeat: int,
                           volume: int = DEMANDES_NATIONAL) -> Mesure:
    """Scoring every demande at the national volume: the tier's demandes and grids copied
    into a database of their own until `volume` demandes (2 700 000; built once, reused; the
    smoke test at `petit` uses a small volume), then the scores computed in SQL (counted, not
    fetched into Python)."""
    path = folder / f"bench-cotation-{volume}.duckdb"
    if not path.exists():
        target = Database(path)
        dem = db.df("select * from demande")
        grids = db.df("select * from grille_cotation")
        copies = -(-volume // len(dem))
        with target.transaction() as cur:
            cur.register("dem_df", dem)
            cur.register("grid_df", grids)
            cur.execute("insert into grille_cotation by name select * from grid_df")
            cur.execute(
                "insert into demande by name select dem_df.* replace (demande_id || '-' || k as"
                " demande_id) from dem_df, range(?) t(k) limit ?",
                [copies, volume])
        target.close()
    target = Database(path, read_only=True)
    n = target.scalar("select count(*) from demande")
    med, p95 = _time(lambda: cotation.nombre_scores(target, BENCH_DATE), repeat)
    target.close()
    from fluxcore.formats import fmt_int

    national = n >= DEMANDES_NATIONAL
    return Mesure(f"Cotation : scores de {fmt_int(n)} demandes"
                  + (" (volume national)" if national else " (copies)"), "scores",
                  round(med, 1), round(p95, 1),
                  CIBLES_MS["scores"]["national"] if national else None)


def _bench_bilan(db: Database, bil) -> Mesure:
    """Every recipient's XLSX and PDF, the recap and the ZIP (one timed run)."""
    from fluxcore.bilan.archive import generer

    start = time.perf_counter()
    paquet = generer(db, bil)
    paquet.zip()
    elapsed = (time.perf_counter() - start) * 1000
    return Mesure(f"Bilan annuel : tous les fichiers ({len(paquet.fichiers)} fichiers)",
                  "generation", round(elapsed, 1), round(elapsed, 1), None)


def _bench_import(db: Database, folder: Path) -> Mesure:
    """Import throughput: the tier's résidences and logements written as French CSV
    (`;`, decimal commas, JJ/MM/AAAA), imported into an empty database (one timed run)."""
    import shutil
    import tempfile

    from fluxcore.imports import import_paths

    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        files = []
        for table in ("residence", "logement"):
            path = Path(tmp) / f"{table}.csv"
            frame = db.df(f"select * from {table}")
            for col in frame.select_dtypes("datetime").columns:
                frame[col] = frame[col].dt.strftime("%d/%m/%Y")
            frame.to_csv(path, sep=";", decimal=",", index=False)
            files.append(path)
        target = Database(Path(tmp) / "import.duckdb")
        start = time.perf_counter()
        result = import_paths(target, files, actor="bench")
        elapsed = (time.perf_counter() - start) * 1000
        rows = int(result.counts["lignes"].sum()) if result.ok else 0
        target.close()
        shutil.rmtree(tmp, ignore_errors=True)
    rate = rows / elapsed * 1000 if elapsed else 0
    from fluxcore.formats import fmt_int

    return Mesure(f"Import CSV ({fmt_int(rows)} l., {fmt_int(rate)} l./s)",
                  "import", round(elapsed, 1), round(elapsed, 1), None)


def report(mesures: list[Mesure], scale: str) -> str:
    lines = [f"Banc d'essai, échelle {scale} ({platform.processor() or platform.machine()}, "
             f"Python {platform.python_version()})",
             f"{'appel':<54}{'médiane ms':>12}{'p95 ms':>10}{'cible ms':>10}  verdict"]
    for m in mesures:
        verdict = "–" if m.ok is None else ("OK" if m.ok else "AU-DESSUS")
        cible = "–" if m.cible_ms is None else f"{m.cible_ms:.0f}"
        lines.append(f"{m.nom:<54}{m.mediane_ms:>12.1f}{m.p95_ms:>10.1f}{cible:>10}  {verdict}")
    return "\n".join(lines)


def to_json(mesures: list[Mesure], scale: str) -> str:
    return json.dumps({"echelle": scale, "machine": platform.machine(),
                       "python": platform.python_version(),
                       "mesures": [m.__dict__ | {"ok": m.ok} for m in mesures]},
                      ensure_ascii=False, indent=2)
