"""Small reusable view pieces."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import streamlit as st

from fluxcore.formats import fmt_date, fmt_date_longue, fmt_num
from fluxcore.tableau_de_bord import EcheanceBilan, echeance_bilan
from ui import state
from ui.theme import PROJECTOR_ROOT_PX, root_px

MAX_ROWS = 15          # longer tables scroll inside their frame
# a number already formatted the French way: 1 234,5 · -4,0 · 25 % · 12 pers. · 3,5 points · – —
_FRENCH_NUMBER = re.compile(
    r"^([+-]?\d{1,3}(\u202f\d{3})*(,\d+)?(\u202f%| [a-zé€²]+\.?)?|[–—])$")


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
    return (cfg or {}).get("label") or name


def _decimals(col: pd.Series) -> int:
    values = col.dropna()
    if (values == values.round(0)).all():
        return 0
    return 1 if (values.round(1) - values).abs().max() < 1e-9 else 2


def _french_text(col: pd.Series) -> list:
    """A column as French text: 1 234 · 25,5 · oui · 28/02/2026 · — when empty."""
    if pd.api.types.is_bool_dtype(col):
        return ["oui" if v else "non" for v in col]
    if pd.api.types.is_numeric_dtype(col):
        n = _decimals(col)
        return ["—" if pd.isna(v) else fmt_num(float(v), n) for v in col]
    if pd.api.types.is_datetime64_any_dtype(col):
        return ["—" if pd.isna(v) else fmt_date(v.date()) for v in col]
    return ["—" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in col]


def _projected(df: pd.DataFrame, config: dict, max_rows: int) -> None:
    """Projector: a static HTML table, French text, numbers on the right. Its text follows the
    projector stylesheet at once and long texts wrap, where st.dataframe's canvas keeps the
    root size it measured when it mounted and cuts texts."""
    shown = pd.DataFrame({_label(name, config.get(name)): _french_text(df[name])
                          for name in df.columns if not (name in config and config[name] is None)})
    right = [_label(name, config.get(name)) for name in df.columns
             if (pd.api.types.is_numeric_dtype(df[name]) and not pd.api.types.is_bool_dtype(
                 df[name])) or _numeric_text(df[name])]
    right = [c for c in right if c in shown.columns]
    # (!important: st.table writes text-align: left on each cell, header included)
    styled = shown.style.set_properties(subset=right, **{"text-align": "right !important"})
    # short texts stay on one line; only long ones wrap (« Taux négocié » was cut in two)
    short = [c for c in shown.columns if max(map(len, shown[c]), default=0) <= 24]
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
    `max_rows` (then it scrolls), numbers pre-formatted as French text aligned on the right.

    Normal mode: st.dataframe (sorts, searches, downloads). Projector mode: a static table.
    """
    config = dict(column_config or {})
    df = df.reset_index(drop=True)
    if state.projection():
        _projected(df, config, max_rows)
        return
    for name in df.columns:
        if _numeric_text(df[name]):
            cfg = config.get(name)
            if cfg is None or isinstance(cfg, str):
                config[name] = st.column_config.Column(cfg, alignment="right")
    rows = max(min(len(df), max_rows), 1)
    if kwargs.get("row_height"):       # taller rows (wrapped texts): the header stays as is
        kwargs.setdefault("height", table_height(0, False) + kwargs["row_height"] * rows)
    kwargs.setdefault("height", table_height(rows, False))
    st.dataframe(df, hide_index=True, width="stretch", placeholder="—", column_config=config,
                 **kwargs)


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
