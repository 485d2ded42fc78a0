"""Small reusable view pieces."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from fluxcore.errors import FluxcoreError
from fluxcore.formats import fmt_date, fmt_date_longue, fmt_nombre, fmt_num, fmt_signe, shown_number
from fluxcore.tableau_de_bord import EcheanceBilan, echeance_bilan
from ui import state
from ui.texte import md
from ui.theme import PROJECTOR_ROOT_PX, root_px

MAX_ROWS = 15          # longer tables scroll inside their frame
# a number already formatted the French way: 1 234,5 · -4,0 · 25 % · 12 pers. · 3,5 points · – —
_FRENCH_NUMBER = re.compile(
    r"^([+-]?\d{1,3}(\u202f\d{3})*(,\d+)?(\u202f%| [a-zé€²]+\.?)?|[–—])$")


@dataclass(frozen=True)
class Numeric:
    """How show_table shows a column of numbers (a column_config value). The numbers stay
    numbers in the browser: the table sorts on them and its CSV download holds them; the
    browser writes them in its language (« 1 234,5 » in French: format "localized"). On a
    projector they are French text from fluxcore.formats.

    decimals: digits after the comma, the value rounded as fmt_num does (None: those the value
    has, three at most). A percentage says « (%) » in its label; its cells hold the number.
    signed: « +4,0 » on a projector (the browser writes no sign before a positive number).
    grouped=False: a year or a number read as a code, without thousands separator (« 2026 »).
    A numeric column without one is shown with the decimals its values need (0, 1 or 2)."""
    label: str | None = None
    decimals: int | None = 0
    signed: bool = False
    grouped: bool = True
    help: str | None = None
    width: str | int | None = None

    def column(self):
        """The st.column_config of the browser's table."""
        if not self.grouped:
            fmt, step = "%d", 1
        else:
            fmt = "localized"
            step = None if self.decimals is None else (1 if self.decimals == 0
                                                         else 10 ** -self.decimals)
        return st.column_config.NumberColumn(self.label, help=self.help, width=self.width,
                                             format=fmt, step=step)

    def values(self, col: pd.Series) -> pd.Series:
        """The numbers rounded as shown: the browser cuts 2,68 to 2,6 at one decimal, where
        fmt_num writes 2,7 (and the CSV download then holds the number read)."""
        if self.decimals is None or not pd.api.types.is_float_dtype(col):
            return col
        return pd.Series([shown_number(v, self.decimals) for v in col], index=col.index,
                         dtype="float64")

    def text(self, v) -> str:
        """French text of one value (projector)."""
        if v is None or pd.isna(v):
            return "—"
        if not self.grouped:
            return str(int(v))
        if self.decimals is None:
            return fmt_nombre(float(v), 3)
        return (fmt_signe if self.signed else fmt_num)(float(v), self.decimals)


def table_height(rows: int, projection: bool | None = None) -> int:
    """Pixel height showing a header and `rows` rows of an st.dataframe.

    Streamlit draws each row 2.1875 rem high, so rows follow the projector's larger root size.
    """
    proj = state.projection() if projection is None else projection
    return int(2.1875 * root_px(proj) + 0.5) * (rows + 1) + 3   # JS rounds .5 up


def canvas_key(name: str) -> str:
    """Key of the container around a canvas widget (st.data_editor). The canvas keeps the root
    font size it measured when it mounted: the key changes with the mode, so that it mounts
    again at the new size; the widget keeps its own key, hence its edits."""
    return f"{name}-{'projection' if state.projection() else 'normal'}"


def _numeric_text(col: pd.Series) -> bool:
    values = col.dropna()
    return (len(values) > 0 and not pd.api.types.is_numeric_dtype(col)
            and all(isinstance(v, str) and _FRENCH_NUMBER.match(v) for v in values)
            and any(any(c.isdigit() for c in v) for v in values))


def _label(name: str, cfg) -> str:
    if isinstance(cfg, str):
        return cfg
    if isinstance(cfg, Numeric):
        return cfg.label or name
    return (cfg or {}).get("label") or name


def _decimals(col: pd.Series) -> int:
    values = col.dropna()
    if (values == values.round(0)).all():
        return 0
    return 1 if (values.round(1) - values).abs().max() < 1e-9 else 2


def _is_number(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def _numeric(name: str, col: pd.Series, config: dict) -> Numeric | None:
    """How a column of numbers is shown: its Numeric, else the decimals its values need; None
    for another column, a hidden one or one with its own st.column_config."""
    cfg = config.get(name)
    if isinstance(cfg, Numeric):
        return cfg
    if not _is_number(col) or (name in config and cfg is None):
        return None
    return Numeric(cfg, _decimals(col)) if cfg is None or isinstance(cfg, str) else None


def _french_text(col: pd.Series, numeric: Numeric | None) -> list:
    """A column as French text: 1 234 · 25,5 · oui · 28/02/2026 · — when empty."""
    if pd.api.types.is_bool_dtype(col):
        return ["oui" if v else "non" for v in col]
    if _is_number(col):
        numeric = numeric or Numeric(decimals=_decimals(col))
        return [numeric.text(v) for v in col]
    if pd.api.types.is_datetime64_any_dtype(col):
        return ["—" if pd.isna(v) else fmt_date(v.date()) for v in col]
    return ["—" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in col]


def _projected(df: pd.DataFrame, config: dict, max_rows: int) -> None:
    """Projector: a static HTML table, French text, numbers on the right. Its text follows the
    projector stylesheet at once and long texts wrap, where st.dataframe's canvas keeps the
    root size it measured when it mounted and cuts texts. st.table reads Markdown in its cells
    and headers: each one is escaped (ui.texte.md), a name from the data stays text."""
    texts = {_label(name, config.get(name)):
             _french_text(df[name], _numeric(name, df[name], config))
             for name in df.columns if not (name in config and config[name] is None)}
    shown = pd.DataFrame({md(label): [md(v) for v in values] for label, values in texts.items()})
    right = [md(_label(name, config.get(name))) for name in df.columns
             if _is_number(df[name]) or _numeric_text(df[name])]
    right = [c for c in right if c in shown.columns]
    # (!important: st.table writes text-align: left on each cell, header included)
    styled = shown.style.set_properties(subset=right, **{"text-align": "right !important"})
    # short texts stay on one line; only long ones wrap (« Taux négocié » was cut in two)
    short = [md(c) for c, values in texts.items() if max(map(len, values), default=0) <= 24]
    styled = styled.set_properties(subset=short, **{"white-space": "nowrap"})
    styled = styled.set_table_styles([
        {"selector": f"th:nth-child({shown.columns.get_loc(c) + 1})",
         "props": "text-align: right !important;"} for c in right])
    height = (int(2.4 * PROJECTOR_ROOT_PX * (max_rows + 1)) if len(shown) > max_rows
              else "content")
    st.table(styled, hide_index=True, height=height, border="horizontal")


def show_table(df: pd.DataFrame, column_config: dict | None = None,
               max_rows: int = MAX_ROWS, **kwargs) -> None:
    """A table the house way: no index, full width, « — » in empty cells, every row shown up to
    `max_rows` (then it scrolls), numbers on the right.

    Normal mode: st.dataframe (sorts, searches, downloads), the numbers kept as numbers and
    written in French by the browser (see Numeric: `column_config` may give a column its
    decimals). Projector mode: a static table, French text from fluxcore.formats.
    """
    config = dict(column_config or {})
    df = df.reset_index(drop=True)
    if state.projection():
        _projected(df, config, max_rows)
        return
    for name in df.columns:
        if (numeric := _numeric(name, df[name], config)) is not None:
            df[name] = numeric.values(df[name])
            config[name] = numeric.column()
        elif _numeric_text(df[name]):
            cfg = config.get(name)
            if cfg is None or isinstance(cfg, str):
                config[name] = st.column_config.Column(cfg, alignment="right")
    # a column another mode drops (e.g. a projector's) keeps its Numeric in the builder's config
    config = {k: v.column() if isinstance(v, Numeric) else v for k, v in config.items()}
    rows = max(min(len(df), max_rows), 1)
    if kwargs.get("row_height"):       # taller rows (wrapped texts): the header stays as is
        kwargs.setdefault("height", table_height(0, False) + kwargs["row_height"] * rows)
    kwargs.setdefault("height", table_height(rows, False))
    st.dataframe(df, hide_index=True, width="stretch", placeholder="—", column_config=config,
                 **kwargs)


@contextmanager
def stop_on_error(show: Callable[[str], object] | None = None) -> Iterator[None]:
    """Compute, or show fluxcore's French message and stop the page there::

        with stop_on_error():
            jauges = load(path, fluxcore.jauges.jauges_reservataires, p)

    A FluxcoreError raised in the block is shown by st.error (or `show`, e.g. st.info) and
    nothing after it runs (st.stop)."""
    try:
        yield
    except FluxcoreError as exc:
        (show or st.error)(md(str(exc), lignes=True))
        st.stop()


def choix_multiple(where, label: str, options, **kwargs) -> list:
    """A multiselect in French: no bulk « Select all » entry (Streamlit writes it in English
    and offers no way to translate it), a French placeholder. `where`: st or a container."""
    kwargs.setdefault("placeholder", "Choisissez")
    return where.multiselect(label, options, select_all=False, **kwargs)


def bandeau_echeance_bilan(aujourdhui: date, param: dict) -> EcheanceBilan:
    """The bilan deadline (R441-5-1): a warning from the alert date, else a caption."""
    ech = echeance_bilan(aujourdhui, param["bilan_echeance"], param["bilan_alerte_debut"])
    texte = (f"Bilan {ech.annee_bilan} à envoyer à chaque réservataire et à chaque EPCI avant "
             f"le {fmt_date_longue(ech.echeance)} (article R441-5-1) : J-{ech.jours_restants}.")
    if ech.alerte:
        st.warning(texte, icon=":material/event:")
    else:
        st.caption(f":material/event: {texte}")
    return ech


def annoncer() -> None:
    """The toast of the write finished on the previous run (fait), then its notes (e.g.
    what became of a notice), once."""
    message = st.session_state.pop("fait", None)
    if message:
        st.toast(message, icon=":material/check_circle:")


def fait(message: str) -> None:
    """After a write: rerun so that the page shows the data as they now are, and announce
    `message` on that run (annoncer)."""
    st.session_state["fait"] = message
    st.rerun()
