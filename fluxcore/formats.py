"""French display of numbers, percentages, dates and the domain's codes."""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from fluxcore.codes import DESTINATIONS_BAILLEUR, STATUTS_ORIENTATION

NNBSP = "\u202f"  # narrow no-break space: thousands separator and before « % »

MOIS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre")
MOIS_COURTS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.",
               "oct.", "nov.", "déc.")

# the labels of two code lists under the names the views import; the codes, their labels
# and their order live in fluxcore.codes (one home per code)
USAGES_INTERNES = dict(DESTINATIONS_BAILLEUR.libelles)
STATUTS = dict(STATUTS_ORIENTATION.libelles)


def fmt_int(x: float | int | None) -> str:
    """1234567 -> '1 234 567' (narrow spaces), 2.5 -> '3'; None/NaN -> '–'."""
    if _vide(x):
        return "–"
    return _texte(_arrondi(x, 0), 0)


def _vide(x) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def _arrondi(x: float, decimals: int, mode: str = ROUND_HALF_UP) -> Decimal:
    """x rounded at `decimals` places, half away from zero by default (22.5 → 23, never to
    even as Python's format does), from its shortest decimal form (2.675 → 2.68)."""
    d = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=mode)
    return abs(d) if d.is_zero() else d       # no « -0,0 »


def _texte(d: Decimal, decimals: int | None = None) -> str:
    """French text of a Decimal: narrow-space thousands, decimal comma; `decimals=None`
    drops trailing zeros (24.80 → '24,8', 25.0 → '25')."""
    if decimals is None:
        d = d.normalize() if d != d.to_integral_value() else d.quantize(Decimal(1))
        decimals = max(0, -d.as_tuple().exponent)
    return f"{d:,.{decimals}f}".replace(",", NNBSP).replace(".", ",")


def fmt_num(x: float | None, decimals: int = 1) -> str:
    """1234.5 -> '1 234,5'; -0.04 -> '0,0' (no « -0,0 »); halves round up: 0.25 -> '0,3'."""
    if _vide(x):
        return "–"
    return _texte(_arrondi(x, decimals), decimals)


def fmt_nombre(x: float | None, max_decimals: int | None = 2) -> str:
    """A number with the decimals it needs, `max_decimals` at most: 0.4 -> '0,4', 30.0 ->
    '30', 13400 -> '13 400', 1/3 -> '0,33'. `max_decimals=None`: every decimal of its
    shortest form, never rounded (a value to edit or to record: 0.125 -> '0,125', 1e6 ->
    '1 000 000', where « {:g} » gave « 1e+06 »)."""
    if _vide(x):
        return "–"
    if max_decimals is None:
        d = Decimal(repr(float(x)))
        return _texte(abs(d) if d.is_zero() else d)
    return _texte(_arrondi(x, max_decimals))


def fmt_annee(x: float | int | None) -> str:
    """A year, never grouped by thousands: 2024 -> '2024' (not « 2 024 »), 2100.0 -> '2100';
    None/NaN -> '–'."""
    if _vide(x):
        return "–"
    return str(_arrondi(x, 0))


def fmt_signe(x: float | None, decimals: int = 1) -> str:
    """A gap with its sign: 4 -> '+4,0', -47 -> '-47,0', -0.04 -> '0,0'."""
    text = fmt_num(x, decimals)
    return "+" + text if x is not None and not math.isnan(x) and round(x, decimals) > 0 \
        else text


def fmt_pct(x: float | None, decimals: int = 0) -> str:
    """25 -> '25 %', 23.33 (decimals=1) -> '23,3 %'. x is already in percent."""
    if _vide(x):
        return "–"
    return f"{fmt_num(x, decimals)}{NNBSP}%"


def fmt_cible(x: float | None) -> str:
    """A target in percent, with the decimals it needs (two at most): 25 -> '25 %',
    22.5 -> '22,5 %' (never « 22 % » nor « 23 % »), 100/3 -> '33,33 %'."""
    if _vide(x):
        return "–"
    return f"{_texte(_arrondi(x, 2))}{NNBSP}%"


def fmt_part(x: float | None, cible: float | None = None) -> str:
    """A share in percent, one decimal when needed: 21.0 -> '21 %', 24.8 -> '24,8 %'.

    Next to its target (`cible`, shown by fmt_cible), a share is never rounded up to meet
    it: below the target it is rounded as usual unless that would read as the target, then
    cut (24.96 for 25 -> '24,9 %', not « 25 % » beside « manque 1 »; 2/12 -> '16,7 %'),
    with one more decimal while even the cut would; at or above the target it keeps at
    least the target's decimals, so a target met never reads as missed."""
    if _vide(x):
        return "–"
    if _vide(cible):
        return f"{_texte(_arrondi(x, 1))}{NNBSP}%"
    shown_cible = _arrondi(cible, 2).normalize()
    places = max(1, -shown_cible.as_tuple().exponent)
    if x >= cible:
        return f"{_texte(_arrondi(x, places))}{NNBSP}%"
    for decimals in range(1, 5):
        shown = _arrondi(x, decimals)
        if shown >= shown_cible:
            shown = _arrondi(x, decimals, ROUND_FLOOR)
        if shown < shown_cible:
            break
    return f"{_texte(shown)}{NNBSP}%"


def fmt_date(d: date | None) -> str:
    """date(2026, 2, 28) -> '28/02/2026'; None or NaT -> '–'."""
    return "–" if d is None or d != d else d.strftime("%d/%m/%Y")


def fmt_date_longue(d: date) -> str:
    """date(2026, 2, 28) -> '28 février 2026' (1er for the first day)."""
    jour = "1er" if d.day == 1 else str(d.day)
    return f"{jour} {MOIS[d.month - 1]} {d.year}"


def libelle_destination(code: str, type_reservataire: str | None = None) -> str:
    """Label of an orientation's destination category (fluxcore.codes): « Mutations
    internes », « Bailleur (non réservé) », else the réservataire type's group label."""
    from fluxcore.codes import DESTINATIONS_BAILLEUR
    from fluxcore.codes import TYPES_RESERVATAIRE as TYPES

    if code in DESTINATIONS_BAILLEUR:
        return DESTINATIONS_BAILLEUR.libelles[code]
    return TYPES.groupes.get(type_reservataire or "", code)


# == French words: elision, agreement, names of codes ==========================================
_VOYELLES = frozenset("aeiouyàâäéèêëîïôöùûüœæ")
# the article a name starts with and the form « de » takes before it (« Le Havre » → « du
# Havre »); « La » and « L' » stay after « de » (« de La Chapelle-Saint-Luc »)
_ARTICLES = (("Le ", "du "), ("Les ", "des "), ("Aux ", "des "))
# INSEE TNCC (fluxcore.toponymes) → the article and the form « de » takes
_TNCC = {2: ("le ", "du "), 3: ("la ", "de la "), 4: ("les ", "des "), 5: ("l'", "de l'")}


def commence_par_voyelle(mot: str) -> bool:
    """Whether `mot` starts with a vowel (accents and capitals included, y too: « Yonne »)."""
    return bool(mot) and mot[0].lower() in _VOYELLES


def de(nom: str, h_muet: bool = False) -> str:
    """« de » before a name, elided or contracted: « de Reims », « d'Épernay », « du Havre »
    (Le Havre), « des Mureaux » (Les Mureaux), « de La Chapelle-Saint-Luc ». An initial h takes
    « d' » only when told it is mute (`h_muet`, see de_commune): « de Hagnicourt »."""
    for article, forme in _ARTICLES:
        if nom.startswith(article):
            return forme + nom[len(article):]
    if commence_par_voyelle(nom) or (h_muet and nom[:1] in "Hh"):
        return "d'" + nom
    return "de " + nom


def a(nom: str) -> str:
    """« à » before a place name, contracted with its article: « à Reims », « au Havre »,
    « aux Mureaux », « à La Chapelle-Saint-Luc », « à L'Haÿ-les-Roses »."""
    for article, forme in (("Le ", "au "), ("Les ", "aux "), ("Aux ", "aux ")):
        if nom.startswith(article):
            return forme + nom[len(article):]
    return "à " + nom


def de_commune(code: str | None, nom: str) -> str:
    """« de » before a commune's name, the h by the reference: « d'Hautvillers » (51287),
    « de Hagnicourt » (08205)."""
    from fluxcore.toponymes import H_ASPIRE

    return de(nom, h_muet=code is not None and str(code) not in H_ASPIRE)


def le_departement(code: str | None, nom: str) -> str:
    """A département's name with its article: « la Marne », « les Ardennes », « l'Aube »,
    « Paris »."""
    from fluxcore.toponymes import TNCC_DEPARTEMENTS

    article = _TNCC.get(TNCC_DEPARTEMENTS.get(str(code), -1))
    return article[0] + nom if article else nom


def de_departement(code: str | None, nom: str) -> str:
    """« de » before a département: « de la Marne », « des Ardennes », « de l'Aube », « du
    Nord », « d'Eure-et-Loir », « de Paris »."""
    from fluxcore.toponymes import TNCC_DEPARTEMENTS

    article = _TNCC.get(TNCC_DEPARTEMENTS.get(str(code), -1))
    return article[1] + nom if article else de(nom)


def pluriel(n: float | None, singulier: str, plur: str) -> str:
    """The word agreeing with `n`: plural from 2 on (« 0 logement », « 1,5 logement »,
    « 2 logements »)."""
    return plur if not _vide(n) and abs(n) >= 2 else singulier


def accord(n: float | None, singulier: str, plur: str, decimals: int | None = None) -> str:
    """`n` and its agreeing words: accord(1, "logement livré", "logements livrés") →
    « 1 logement livré », accord(2, …) → « 2 logements livrés », accord(1234, …) →
    « 1 234 logements livrés ». `decimals`: digits shown (default: none for a whole number,
    one otherwise)."""
    if decimals is None:
        decimals = 0 if _vide(n) or float(n).is_integer() else 1
    return f"{fmt_num(n, decimals)} {pluriel(n, singulier, plur)}"


def libelle_type_reservataire(code: str, groupe: bool = False) -> str:
    """French name of a réservataire type (fluxcore.codes): « Commune » (`groupe`:
    « Communes »); the bailleur's own destinations by their names."""
    from fluxcore.codes import DESTINATIONS_BAILLEUR
    from fluxcore.codes import TYPES_RESERVATAIRE as TYPES

    table = TYPES.groupes if groupe else TYPES.libelles
    return (table.get(code) or DESTINATIONS_BAILLEUR.libelles.get(code)
            or TYPES.libelles["AUTRE"])


def libelle_statut(code: str) -> str:
    """French name of an orientation's status (fluxcore.codes): « Passé en CALEOL »."""
    from fluxcore.codes import STATUTS_ORIENTATION

    return STATUTS_ORIENTATION.libelles.get(code, "Statut inconnu")


def libelle_contingent(code: str) -> str:
    """French name of a contingent of the SNE (fluxcore.codes): « État – publics
    prioritaires »."""
    from fluxcore.codes import CONTINGENTS as CODES_CONTINGENTS

    return CODES_CONTINGENTS.libelles.get(code, "Contingent inconnu")


def libelle_segment(typologie: str, en_qpv: bool) -> str:
    """A segment of the parc (typologie × QPV): « T3 · hors QPV », « T3 · en QPV »."""
    return f"{typologie} · {'en QPV' if en_qpv else 'hors QPV'}"


# == Numbers kept as numbers: a table's sortable columns read as the text would ===============
def shown_number(x: float | None, decimals: int = 1) -> float | None:
    """`x` rounded as fmt_num shows it, as a number: 2.675 -> 2.68 (decimals=2), 22.5 -> 23.0
    (decimals=0, halves away from zero), -0.04 -> 0.0; None, NaN, inf or pd.NA -> None."""
    try:
        if _vide(x) or _vide(float(x)):
            return None
    except TypeError:            # pd.NA
        return None
    return float(_arrondi(x, decimals))


def shown_part(x: float | None, cible: float | None = None) -> float | None:
    """The share fmt_part shows, as a number: 24.96 for a target of 25 -> 24.9 (never rounded
    up to its target), 21.0 -> 21.0, 2/12 * 100 -> 16.7; None or NaN -> None."""
    if shown_number(x, 0) is None:
        return None
    texte = fmt_part(x, cible).removesuffix(f"{NNBSP}%")
    return float(texte.replace(NNBSP, "").replace(",", "."))


def fmt_taille(octets: int) -> str:
    """A file size in French binary units, one decimal at most, the unit chosen on the
    rounded value: 2 684 354 560 -> '2,5 Go', 1 048 575 -> '1 Mo' (not « 1 024 Ko »),
    1 536 -> '1,5 Ko', 512 -> '512 octets'."""
    if octets < 1024:
        return f"{fmt_int(octets)} {'octet' if octets in (0, 1) else 'octets'}"
    valeur, unites = octets / 1024, ["Ko", "Mo", "Go"]
    while len(unites) > 1 and float(_arrondi(valeur, 1)) >= 1024:
        valeur, unites = valeur / 1024, unites[1:]
    return f"{fmt_nombre(valeur, 1)} {unites[0]}"


def fmt_duree_ms(ms: float | None) -> str:
    """A measured duration: milliseconds below a second, else seconds with two decimals;
    12.4 -> '12 ms', 1834.0 -> '1,83 s', None -> '–' (benchmark and load reports)."""
    if ms is None:
        return "–"
    return f"{fmt_num(ms / 1000, 2)} s" if ms >= 1000 else f"{ms:.0f} ms"


def fmt_part_max(x: float | None, maximum: float) -> str:
    """A share next to the maximum it must not exceed: like fmt_part, but a share above the
    maximum never reads as the maximum (30.04 for 30 -> '30,04 %', not « 30 % »): one more
    decimal until it reads above (rounded up at the fourth)."""
    if _vide(x) or x <= maximum + 1e-9:
        return fmt_part(x)
    shown_max = _arrondi(maximum, 2)
    for decimals in range(1, 4):
        shown = _arrondi(x, decimals)
        if shown > shown_max:
            return f"{_texte(shown)}{NNBSP}%"
    return f"{_texte(_arrondi(x, 4, ROUND_CEILING))}{NNBSP}%"

