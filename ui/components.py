"""Small reusable view pieces."""

from __future__ import annotations

from ui import state


def table_height(rows: int) -> int:
    """Pixel height showing every row of an st.dataframe (rows are taller in projector mode)."""
    return (46 if state.projection() else 36) * (rows + 1) + 4
