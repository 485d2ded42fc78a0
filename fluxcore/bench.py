"""Benchmark of the fluxcore calls behind each page (targets: docs/architecture.md#performance).

`python -m fluxcore bench --scale grand` builds the tier's demo database once
(data/bench-<scale>.duckdb, reused afterwards), then times each call warm: median and p95 of
`--repeat` runs after one untimed warm-up, and the peak resident memory one call adds. Where
a plain-pandas implementation of the same computation exists (fluxcore.bench_pandas: tables
loaded once into DataFrames, then merge/groupby), it runs in the same process and the report
prints its median and the ratio pandas / fluxcore. Also: scoring every demande at the national
volume, generating every bilan file, and import throughput.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from fluxcore import bench_pandas as bp
from fluxcore import (
    bilan,
    cotation,
    fragilite,
    jauges,
    objectifs,
    orientation,
    simulation,
    sne,
    tableau_de_bord,
)
from fluxcore.assiette import assiette_departement
from fluxcore.db import Database
from fluxcore.demo import generate_demo
from fluxcore.formats import fmt_int
from fluxcore.perimetre import Perimetre
from fluxcore.simulation.montecarlo import simuler_tirages

# issue 25: every page call < 100 ms at grand and < 1 s at national; ranking a dwelling
# < 20 ms / < 100 ms; the simulator's first view < 300 ms; every bilan file at grand < 20 s
CIBLES_MS = {"page": {"grand": 100, "national": 1000},
             "classement": {"grand": 20, "national": 100},
             "scores": {"national": 1000}, "tableau": {},
             "import": {}, "montecarlo": {"grand": 2000, "national": 2000},
             "premiere_vue": {"grand": 300, "national": 1000},
             "generation": {"grand": 20_000}, "localisation": {"grand": 5000, "national": 5000},
             "import_rpls": {"petit": 30_000, "moyen": 30_000, "grand": 30_000,
                             "national": 30_000},
             "sne": {"national": 3000}}
# fluxcore at least this many times faster than its plain-pandas peer (tables already in
# memory), on every call that has one — not the import line, whose peer only reads files
RATIO_MIN = 5.0
GROUPES_SANS_RATIO = ("import",)
RPLS_LIGNES = 1_000_000          # issue « files as they really come »: < 30 s, < 2 GB
RPLS_CIBLE_MO = 2048.0
BENCH_DATE = date(2026, 11, 23)


@dataclass(frozen=True)
class Mesure:
    nom: str
    groupe: str          # which target applies (CIBLES_MS)
    mediane_ms: float
    p95_ms: float
    cible_ms: float | None
    pandas_ms: float | None = None   # median of the plain-pandas baseline (same process)
    memoire_mo: float | None = None  # peak resident memory added by one call (MB)
    cible_mo: float | None = None    # memory target (MB), when there is one

    @property
    def ok(self) -> bool | None:
        """Time target met at the median (the issue's targets are medians), memory target
        met, and at least RATIO_MIN × faster than the pandas peer when there is one."""
        checks = []
        if self.cible_ms is not None:
            checks.append(self.mediane_ms <= self.cible_ms)
        if self.cible_mo is not None and self.memoire_mo is not None:
            checks.append(self.memoire_mo <= self.cible_mo)
        if self.ratio_vise is not None and self.ratio is not None:
            checks.append(self.ratio >= self.ratio_vise)
        return all(checks) if checks else None

    @property
    def ratio_vise(self) -> float | None:
        return None if self.pandas_ms is None or self.groupe in GROUPES_SANS_RATIO else RATIO_MIN

    @property
    def ratio(self) -> float | None:
        """How many times slower the plain-pandas baseline is (> 1: fluxcore is faster)."""
        if self.pandas_ms is None or not self.mediane_ms:
            return None
        return round(self.pandas_ms / self.mediane_ms, 1)


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


def _kib(field: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else None


def peak_mb(func: Callable[[], object]) -> float | None:
    """Peak resident memory one call adds to the process (MB), from the kernel's high-water
    mark reset before the call (Linux: /proc/self/clear_refs); None elsewhere."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    before = _kib("VmRSS")
    func()
    after = _kib("VmHWM")
    return None if before is None or after is None else round(max(0, after - before) / 1024, 1)


def process_peak_mb() -> float | None:
    """Peak resident memory of the whole bench process so far (MB)."""
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def bench_db(scale: str, folder: str | Path = "data") -> Path:
    """The tier's database, generated on first use (seed 42, fixed reference date), and
    generated again when it was made by an older schema (a base migrated in place would
    lack what the product writes at generation: the state, the stored vacancy model)."""
    import duckdb

    from fluxcore.db import list_migrations

    path = Path(folder) / f"bench-{scale}.duckdb"
    if path.exists():
        con = duckdb.connect(str(path), read_only=True)
        try:
            faite = con.execute("select max(version) from schema_version").fetchone()[0]
        finally:
            con.close()
        if faite != list_migrations()[-1][0]:
            generate_demo(path, scale, 42, BENCH_DATE, force=True)
    else:
        generate_demo(path, scale, 42, BENCH_DATE)
    return path


Call = tuple[str, str, Callable[[], object], Callable[[], object] | None]


def _calls(db: Database, t: dict) -> list[Call]:
    """(name, target group, fluxcore call, plain-pandas baseline or None) for every page."""
    p = Perimetre(2026, aujourdhui=BENCH_DATE)
    dep = Perimetre(2026, departement="51", aujourdhui=BENCH_DATE)
    lib = tableau_de_bord.vacants_en_attente(db, p)["liberation_id"].iloc[0]
    lg = orientation.fiche_logement(db, lib)
    lib_p = Perimetre(int(pd.Timestamp(lg["date_liberation"]).year),
                      epci_siren=lg["epci_siren"], aujourdhui=BENCH_DATE)
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
    reg = fragilite.Reglages.lire(db)

    def pandas_classement():
        # the ranking's reads done in pandas: state of every destination, the EPCI's CIL
        # follow-up (no forecast, as suivi_epci), the résidences' indicators (the EPCI's, or
        # the whole parc when it has too few surveyed, as fragilite.contexte), then the same
        # index and « et si » steps as fluxcore (shared pandas code)
        bp.etat_orientation(t, lib, BENCH_DATE)
        bp.suivi_cil(t, lib_p, prevision=False)
        df = bp.fragilite_indicateurs(t, BENCH_DATE, lg["epci_siren"])
        if df["annee_enquete"].notna().sum() < reg.min_residences:
            df = bp.fragilite_indicateurs(t, BENCH_DATE)
        out, _contrib, state = fragilite.score(df, reg)
        for quartile in (1, 3):
            fragilite.et_si(db, lg["residence_id"], BENCH_DATE, quartile,
                            _cache=(df, out, state))

    return [
        ("Tableau de bord : chiffres clés", "page", lambda: tableau_de_bord.chiffres_cles(db, p),
         lambda: bp.chiffres_cles(t, p)),
        ("Tableau de bord : orientations", "page",
         lambda: tableau_de_bord.orientations_par_categorie(db, p), None),
        ("Tableau de bord : mois par mois", "page", lambda: tableau_de_bord.flux_mensuel(db, p),
         None),
        ("Tableau de bord : vacants", "page", lambda: tableau_de_bord.vacants_en_attente(db, p),
         None),
        ("Jauges : par réservataire", "page", lambda: jauges.jauges_reservataires(db, p),
         lambda: bp.jauges(t, p)),
        ("Jauges : limites légales", "page", lambda: jauges.controles_legaux(db, p), None),
        ("Jauges : qualité du flux", "page", lambda: jauges.qualite_flux(db, p), None),
        ("Jauges : un département", "page", lambda: jauges.jauges_reservataires(db, dep),
         lambda: bp.jauges(t, dep)),
        ("Objectifs CIL : suivi des EPCI", "page", lambda: objectifs.suivi(db, p),
         lambda: bp.suivi_cil(t, p)),
        ("Objectifs CIL : trajectoire d'un EPCI", "page",
         lambda: objectifs.trajectoire(db, reims), None),
        ("Résidences : indice de fragilité", "page",
         lambda: fragilite.fragilite(db, BENCH_DATE),
         lambda: fragilite.score(bp.fragilite_indicateurs(t, BENCH_DATE), reg)),
        ("Résidences : fiche d'une résidence", "page",
         lambda: fragilite.fiche(db, res_id, BENCH_DATE), None),
        ("Assiette d'un département", "page",
         lambda: assiette_departement(db, "51", 2026), None),
        ("Orientation : classer un logement", "classement",
         lambda: orientation.classer_destinations(db, lib, BENCH_DATE), pandas_classement),
        ("Simulateur : entrées d'un département", "page",
         lambda: simulation.charger_entrees(db, "51", 2027, 2029, modele=False), None),
        ("Simulateur : entrées + modèle de vacance (1re vue)", "premiere_vue",
         lambda: simulation.charger_entrees(db, "51", 2027, 2029), None),
        ("Simulateur : un scénario", "page", lambda: simulation.simuler(sim_e, sim_s), None),
        ("Simulateur : Monte-Carlo 10 000 tirages", "montecarlo",
         lambda: simuler_tirages(sim_e, sim_r), None),
        ("Bilan annuel : calcul de l'année (tous destinataires)", "page",
         lambda: bilan.calculer_bilan(db, 2025, BENCH_DATE), None),
        ("Bilan annuel : document d'un réservataire", "page",
         lambda: bilan.document_reservataire(bil, first), None),
        ("Bilan annuel : document d'un EPCI", "page",
         lambda: bilan.document_epci(db, bil, "200067213"), None),
        ("Cotation : tableau des scores de toutes les demandes (CLI)", "tableau",
         lambda: cotation.scores(db, BENCH_DATE), lambda: bp.scores(t, BENCH_DATE)),
        ("Cotation : distribution d'un EPCI", "page",
         lambda: cotation.distribution(db, BENCH_DATE, "200067213"), None),
        ("Cotation : candidats d'un logement par destination", "page",
         lambda: cotation.par_destination(db, lib, BENCH_DATE), None),
        ("Cotation : position d'un demandeur", "page",
         lambda: cotation.position_demandeur(db, demande, BENCH_DATE), None),
        ("Cotation : demandes bien cotées non satisfaites d'un EPCI", "page",
         lambda: cotation.non_satisfaites(db, BENCH_DATE, "200067213"), None),
    ]


def run_bench(scale: str = "grand", repeat: int = 10, folder: str | Path = "data",
              pandas: bool = True) -> list[Mesure]:
    """Every call timed warm (median, p95 of `repeat` runs), its peak memory, and the
    plain-pandas baseline's median when there is one (`pandas=False` skips them)."""
    db = Database(bench_db(scale, folder))
    # the simulator's model as the server keeps it (refitted when this code changed its fit)
    from fluxcore.simulation import modele_stocke

    modele_stocke.rafraichir_modeles(db, annees=[2027], action=None)
    t = bp.charger(db) if pandas else {}
    out = []
    for name, group, func, baseline in _calls(db, t):
        memoire = peak_mb(func)  # first (cold) call: before anything is warm
        med, p95 = _time(func, repeat)
        pandas_ms = round(_time(baseline, repeat)[0], 1) if pandas and baseline else None
        out.append(Mesure(name, group, round(med, 1), round(p95, 1),
                          CIBLES_MS[group].get(scale), pandas_ms, memoire))
    del t
    out.append(_bench_scores_national(db, Path(folder), repeat, DEMANDES_NATIONAL if scale in (
        "grand", "national") else 50_000, pandas))
    out.append(_bench_bilan(db, bil=bilan.calculer_bilan(db, 2025, BENCH_DATE)))
    out.append(bench_localisation(repeat=min(repeat, 3)))
    out.append(bench_import_rpls(Path(folder), RPLS_LIGNES if scale != "petit" else 20_000))
    out.append(bench_sne(db, Path(folder), SNE_RADIATIONS if scale in ("grand", "national")
                         else 20_000, min(repeat, 5)))
    out.append(_bench_import(db, Path(folder), pandas))
    db.close()
    return out


def bench_localisation(n: int = 150_000, repeat: int = 3) -> Mesure:
    """Locating `n` dwellings spread over the whole country (Lambert-93 and UTM coordinates,
    QPV 2024 membership, distance to their commune), as an import of a national landlord's
    RPLS file does (one row per dwelling)."""
    from fluxcore.demo.fichiers import points_france
    from fluxcore.localisation import localiser

    rng = np.random.default_rng(1)
    communes, x, y, epsg = points_france(n, rng)
    df = pd.DataFrame({"commune_insee": communes, "x": x, "y": y,
                       "epsg": epsg, "en_qpv_fichier": rng.random(n) < 0.3})
    memoire = peak_mb(lambda: localiser(df.head(1000)))
    med, p95 = _time(lambda: localiser(df), repeat)
    return Mesure(f"Localisation de {fmt_int(n)} logements (France entière : projection, "
                  "QPV 2024, commune)", "localisation", round(med, 1), round(p95, 1),
                  5000.0, None, memoire)


def bench_import_rpls(folder: Path, n: int = RPLS_LIGNES) -> Mesure:
    """Importing a national landlord's RPLS file in the current open-data layout (`n`
    dwellings over the whole country, no ids: signatures, résidences from addresses,
    coordinates projected and QPV 2024 recomputed) into an empty database: one timed run,
    peak memory of the import. The file is generated once per size and kept in `folder`."""
    import tempfile

    from fluxcore.demo.fichiers import rpls_open_data
    from fluxcore.imports import import_paths

    path = Path(folder) / f"bench-rpls-{n}.csv"
    if not path.exists():
        rpls_open_data(path.with_suffix(".tmp"), n).rename(path)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        target = Database(Path(tmp) / "rpls.duckdb")
        out: dict = {}

        def run() -> None:
            start = time.perf_counter()
            out["result"] = import_paths(target, [path], actor="bench")
            out["ms"] = (time.perf_counter() - start) * 1000

        memoire = peak_mb(run)
        rows = int(out["result"].counts["lignes"].sum()) if out["result"].ok else 0
        target.close()
    return Mesure(f"Import RPLS open data ({fmt_int(n)} logements, {fmt_int(rows)} lignes "
                  f"écrites ; mémoire cible {fmt_int(RPLS_CIBLE_MO)} Mo)", "import_rpls",
                  round(out["ms"], 1), round(out["ms"], 1), CIBLES_MS["import_rpls"]["petit"],
                  None, memoire, RPLS_CIBLE_MO)


DEMANDES_NATIONAL = 2_700_000  # tier national, docs/architecture.md#performance
SNE_RADIATIONS = 420_000         # radiations for attribution in a year, France entière
SNE_TABLES = {"residence": ("residence_id",), "logement": ("logement_id", "residence_id"),
              "orientation": ("orientation_id", "liberation_id"),
              "attribution": ("attribution_id", "orientation_id", "logement_id"),
              "radiation_sne": ("numero_unique", "logement_rpls")}


def bench_sne(db: Database, folder: Path, volume: int = SNE_RADIATIONS,
              repeat: int = 3) -> Mesure:
    """Reconciling a national year of SNE radiations (`volume`, 420 000) with a national
    base: the tier's patrimoine, orientations, attributions and radiations copied (ids
    suffixed) until the year 2025 holds `volume` radiations (built once, reused), then
    fluxcore.sne.rapprocher over the whole base for 2025."""
    path = folder / f"bench-sne-{volume}.duckdb"
    if not path.exists():
        par_copie = db.scalar("select count(*) from radiation_sne "
                              "where year(date_radiation) = 2025") or 1
        copies = -(-volume // par_copie)
        tmp = path.with_name(path.name + ".tmp")
        tmp.unlink(missing_ok=True)
        target = Database(tmp)
        with target.transaction() as cur:
            for name in ("reservataire", "convention"):
                cur.register("src_df", db.df(f"select * from {name}"))
                cur.execute(f"insert into {name} by name select * from src_df")
                cur.unregister("src_df")
            for name, ids in SNE_TABLES.items():
                cur.register("src_df", db.df(f"select * from {name}"))
                repl = ", ".join(f"{c} || '-' || k as {c}" for c in ids)
                cur.execute(f"insert into {name} by name select src_df.* replace ({repl}) "
                            "from src_df, range(?) t(k)", [copies])
                cur.unregister("src_df")
        target.cursor().execute("checkpoint")
        target.close()
        Path(str(tmp) + ".lock").unlink(missing_ok=True)
        tmp.rename(path)
    target = Database(path, read_only=True)
    p = Perimetre(2025, aujourdhui=BENCH_DATE)
    n = target.scalar("select count(*) from radiation_sne where year(date_radiation) = 2025")
    logements = target.scalar("select count(*) from logement")
    memoire = peak_mb(lambda: sne.rapprocher(target, p))
    med, p95 = _time(lambda: sne.rapprocher(target, p), repeat)
    target.close()
    national = n >= SNE_RADIATIONS
    return Mesure(f"Rapprochement SNE : {fmt_int(n)} radiations, {fmt_int(logements)} "
                  "logements" + (" (année nationale)" if national else " (copies)"), "sne",
                  round(med, 1), round(p95, 1),
                  CIBLES_MS["sne"]["national"] if national else None, None, memoire)


def _bench_scores_national(db: Database, folder: Path, repeat: int,
                           volume: int = DEMANDES_NATIONAL, pandas: bool = True) -> Mesure:
    """Scoring every demande at the national volume: the tier's demandes and grids copied
    into a database of their own until `volume` demandes (2 700 000; built once, reused; the
    smoke test at `petit` uses a small volume), then the scores computed in SQL (counted, not
    fetched into Python). The pandas baseline scores the same demandes loaded in memory."""
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
    memoire = peak_mb(lambda: cotation.nombre_scores(target, BENCH_DATE))
    med, p95 = _time(lambda: cotation.nombre_scores(target, BENCH_DATE), repeat)
    pandas_ms = None
    if pandas:
        t = bp.charger(target)
        pandas_ms = round(_time(lambda: bp.scores(t, BENCH_DATE), 1)[0], 1)  # ~15 s at 2,7 M
        del t
    target.close()
    national = n >= DEMANDES_NATIONAL
    # fluxcore counts the scores in SQL (what "scoring every demande" needs: the ranks and
    # the table are not fetched); the pandas line builds the scores table in memory
    return Mesure(f"Cotation : scores de {fmt_int(n)} demandes"
                  + (" (volume national)" if national else " (copies)")
                  + " [pandas : tableau complet]", "scores",
                  round(med, 1), round(p95, 1),
                  CIBLES_MS["scores"]["national"] if national else None, pandas_ms, memoire)


def _bench_bilan(db: Database, bil) -> Mesure:
    """Every recipient's XLSX and PDF, the recap and the ZIP (one timed run)."""
    from fluxcore.bilan.archive import generer

    start = time.perf_counter()
    paquet = generer(db, bil)
    paquet.zip()
    elapsed = (time.perf_counter() - start) * 1000
    return Mesure(f"Bilan annuel : tous les fichiers ({len(paquet.fichiers)} fichiers)",
                  "generation", round(elapsed, 1), round(elapsed, 1), None)


def _bench_import(db: Database, folder: Path, pandas: bool = True) -> Mesure:
    """Import throughput: the tier's résidences and logements written as French Excel CSV
    (fluxcore.neutralisation.csv: BOM, `;`, decimal commas, oui/non; dates JJ/MM/AAAA as a
    spreadsheet shows them), imported into an empty database (one timed run). The
    pandas baseline reads the same files with `read_csv` and inserts them as they are (no
    validation, no type or reference checks, no audit)."""
    import shutil
    import tempfile

    from fluxcore.imports import import_paths
    from fluxcore.neutralisation import csv

    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        files = []
        for table in ("residence", "logement"):
            path = Path(tmp) / f"{table}.csv"
            frame = db.df(f"select * from {table}")
            for col in frame.select_dtypes("datetime").columns:
                frame[col] = frame[col].dt.strftime("%d/%m/%Y")
            csv(frame, path)
            files.append(path)
        target = Database(Path(tmp) / "import.duckdb")
        start = time.perf_counter()
        result = import_paths(target, files, actor="bench")
        elapsed = (time.perf_counter() - start) * 1000
        rows = int(result.counts["lignes"].sum()) if result.ok else 0
        target.close()
        pandas_ms = _pandas_import(files, Path(tmp) / "pandas.duckdb") if pandas else None
        shutil.rmtree(tmp, ignore_errors=True)
    rate = rows / elapsed * 1000 if elapsed else 0
    return Mesure(f"Import CSV ({fmt_int(rows)} l., {fmt_int(rate)} l./s) [pandas : sans "
                  "contrôles]",
                  "import", round(elapsed, 1), round(elapsed, 1), None, pandas_ms)


def _pandas_import(files: list[Path], path: Path) -> float:
    """read_csv of each file, then one insert per table into an empty schema (ms)."""
    target = Database(path)
    start = time.perf_counter()
    with target.transaction() as cur:
        for f in files:
            frame = pd.read_csv(f, sep=";", decimal=",", encoding="utf-8-sig",
                                true_values=["oui"], false_values=["non"],
                                dtype_backend="pyarrow")
            for col in [c for c in frame.columns if c.startswith("date_")]:
                frame[col] = pd.to_datetime(frame[col], format="%d/%m/%Y")
            cur.register("frame_df", frame)
            cur.execute(f"insert into {f.stem} by name select * from frame_df")
            cur.unregister("frame_df")
    elapsed = (time.perf_counter() - start) * 1000
    target.close()
    return round(elapsed, 1)


def report(mesures: list[Mesure], scale: str) -> str:
    lines = [f"Banc d'essai, échelle {scale} ({platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} cœurs, Python {platform.python_version()})",
             f"{'appel':<58}{'médiane':>9}{'p95':>9}{'cible':>8}  {'verdict':<10}"
             f"{'pandas':>9}{'ratio':>7}{'mém. Mo':>9}"]
    for m in mesures:
        verdict = "–" if m.ok is None else "OK" if m.ok else (
            "AU-DESSUS" if m.cible_ms is not None and m.mediane_ms > m.cible_ms else
            f"RATIO<{RATIO_MIN:.0f}" if m.ratio is not None and m.ratio_vise else "MÉMOIRE")
        cible = "–" if m.cible_ms is None else f"{m.cible_ms:.0f}"
        pandas_ms = "–" if m.pandas_ms is None else f"{m.pandas_ms:.0f}"
        ratio = "–" if m.ratio is None else f"×{m.ratio:.1f}"
        mem = "–" if m.memoire_mo is None else f"{m.memoire_mo:.0f}"
        lines.append(f"{m.nom[:57]:<58}{m.mediane_ms:>9.1f}{m.p95_ms:>9.1f}{cible:>8}  "
                     f"{verdict:<10}{pandas_ms:>9}{ratio:>7}{mem:>9}")
    lines.append("(temps en ms ; pandas : médiane du même calcul en pandas pur, tables chargées "
                 "en mémoire une fois, sauf mention [entre crochets] ; ratio = pandas / "
                 "fluxcore ; mém. : pic de mémoire résidente ajouté par le premier appel)")
    peak = process_peak_mb()
    if peak is not None:
        lines.append(f"Pic de mémoire du processus : {fmt_int(peak)} Mo.")
    return "\n".join(lines)


def to_json(mesures: list[Mesure], scale: str) -> str:
    return json.dumps({"echelle": scale, "machine": platform.machine(),
                       "coeurs": os.cpu_count(), "python": platform.python_version(),
                       "pic_memoire_mo": process_peak_mb(),
                       "mesures": [m.__dict__ | {"ok": m.ok, "ratio": m.ratio,
                                                 "ratio_vise": m.ratio_vise}
                                   for m in mesures]},
                      ensure_ascii=False, indent=2)
