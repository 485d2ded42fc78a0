"""Negotiation simulator (docs/regles.md#flux to #conversion): scenarios over a 3 to 5-year
convention period.

- `scenario`: the parameters (JSON), validated;
- `entrees`: what a simulation reads from the base, once per département and period;
- `calcul` / `resultats`: the deterministic assiette, rates, droits, mix and legal checks;
- `modele`: the per-dwelling vacancy model (scikit-learn) and its calibration;
- `montecarlo`: seeded draws of the year's libérations → P10/P50/P90 and probabilities;
- `stockage`: saved scenarios (table `scenario`, audited); `comparaison`: side by side;
  `export`: the comparison as XLSX and one-page PDF; `rapport`: CLI text and scenario files.
"""

from fluxcore.simulation.entrees import Entrees, charger_entrees, entrees_simples
from fluxcore.simulation.resultats import Resultats, simuler
from fluxcore.simulation.scenario import LigneReservataire, Scenario, ScenarioError, from_dict

__all__ = ["Entrees", "LigneReservataire", "Resultats", "Scenario", "ScenarioError",
           "charger_entrees", "entrees_simples", "from_dict", "simuler"]
