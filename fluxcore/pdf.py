"""Printable PDF documents in French (fpdf2 with the vendored Liberation Sans font).

The core PDF fonts only cover Latin-1; French figures need the narrow no-break space, « »,
≤ and œ, hence the TrueType font shipped in data/ref/fonts.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from fpdf import FPDF

from fluxcore.formats import fmt_date

FONTS = Path(__file__).resolve().parent.parent / "data" / "ref" / "fonts"
FAMILLE = "Liberation"
ROUGE, VERT, GRIS, BLEU = (190, 40, 0), (0, 110, 80), (90, 90, 90), (0, 90, 160)
NOIR = (0, 0, 0)
_COURTS: dict[tuple, str] = {}      # _fit: (font, size, text, width) → the text as it fits
# lines of the texts already broken (Document.texte): (font, size, margin, width, text) → lines
_LIGNES: dict[tuple, list[str]] = {}
_BROUILLON = threading.local()      # each thread's scratch document to break texts on


class Document(FPDF):
    """An A4 document with a title line, a dated footer and simple tables."""

    def __init__(self, titre: str, orientation: str = "P", pied: str = ""):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.titre, self.pied = titre, pied
        self.add_font(FAMILLE, "", str(FONTS / "LiberationSans-Regular.ttf"))
        self.add_font(FAMILLE, "B", str(FONTS / "LiberationSans-Bold.ttf"))
        for font in self.fonts.values():
            # the embedded subset keeps each glyph's bytes as they are in the file instead
            # of decoding and re-encoding every glyph to recompute bounding boxes (the font's
            # own boxes are kept: same text, same drawing, a fraction of the output time)
            font.ttfont.recalcBBoxes = False
        self.set_auto_page_break(True, margin=14)
        self.set_margins(12, 12, 12)
        self.set_title(titre)
        self.set_creator("fluxcore — gestion en flux des réservations")
        self.set_lang("fr-FR")

    def normalize_text(self, text: str) -> str:
        # Liberation Sans has no narrow no-break space: a no-break space keeps the layout
        return super().normalize_text(text.replace("\u202f", "\u00a0"))

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FAMILLE, "", 7.5)
        self.set_text_color(*GRIS)
        text = f"{self.pied} · " if self.pied else ""
        self.cell(0, 4, f"{text}Édité le {fmt_date(date.today())} · page {self.page_no()}"
                  f"/{{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def entete(self, sous_titre: str = "") -> None:
        self.set_font(FAMILLE, "B", 15)
        self.set_text_color(*BLEU)
        self.texte(7, self.titre)
        self.set_text_color(0, 0, 0)
        if sous_titre:
            self.set_font(FAMILLE, "", 9)
            self.texte(4.5, sous_titre)
        self.ln(2)

    def texte(self, h: float, texte: str) -> None:
        """What `multi_cell(0, h, texte, new_x="LMARGIN", new_y="NEXT", align="L")` draws, the
        same lines at the same places (tests/test_bilan.py compares the pages): fpdf's line
        breaking measures the line again at every character (quadratic in its length), so
        the lines of a text already broken with the same font and width (the method notes
        of every document) are reused, each drawn as the cell multi_cell draws."""
        w = self.w - self.r_margin - self.x
        cle = (self.font_family, self.font_style, self.font_size_pt, self.c_margin, w, texte)
        lignes = _LIGNES.get(cle)
        if lignes is None:
            # broken on a scratch document: a dry run on this one would leave a trace in
            # its page (fpdf forgets the font is set when the dry run crosses a page break)
            brouillon = getattr(_BROUILLON, "doc", None)
            if brouillon is None:
                brouillon = _BROUILLON.doc = Document("")
                brouillon.add_page()
            brouillon.set_font(self.font_family, self.font_style, self.font_size_pt)
            brouillon.c_margin = self.c_margin
            lignes = brouillon.multi_cell(w, h, texte, align="L", dry_run=True,
                                          output="LINES")
            if len(_LIGNES) >= 1024:
                _LIGNES.clear()
            _LIGNES[cle] = lignes
        for i, ligne in enumerate(lignes):
            self.cell(w, h, ligne, new_x="LMARGIN" if i == len(lignes) - 1 else "LEFT",
                      new_y="NEXT")

    def titre_section(self, texte: str) -> None:
        self.ln(1.5)
        self.set_font(FAMILLE, "B", 11)
        self.set_text_color(*BLEU)
        self.cell(0, 6, texte, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def paragraphe(self, texte: str, taille: float = 9) -> None:
        self.set_font(FAMILLE, "", taille)
        self.texte(taille * 0.5, texte)

    def tableau(self, entetes: list[str], lignes: list[list[str]], largeurs: list[float],
                taille: float = 8.5, sections: set[int] | None = None,
                alignements: list[str] | None = None) -> None:
        """A table; rows whose index is in `sections` are bold headings; a cell starting
        with « Non conforme » is red and bold, with « Conforme » green."""
        h = taille * 0.52
        align = alignements or ["L"] + ["R"] * (len(entetes) - 1)
        self.set_font(FAMILLE, "B", taille)
        self.set_fill_color(225, 233, 242)
        for text, w, a in zip(entetes, largeurs, align):
            self.cell(w, h + 1, _fit(self, text, w), border="B", align=a, fill=True)
        self.ln(h + 1)
        sections = sections or set()
        style = couleur = None     # font style and text colour set last (a page break keeps them)
        for i, row in enumerate(lignes):
            if self.will_page_break(h):
                self.add_page()
            section = i in sections
            for j, (text, w) in enumerate(zip(row, largeurs)):
                text = str(text)
                ko, ok = text.startswith("Non conforme"), text.startswith("Conforme")
                if (s := "B" if section or ko else "") != style:
                    self.set_font(FAMILLE, s, taille)
                    style = s
                if (c := ROUGE if ko else VERT if ok else NOIR) != couleur:
                    self.set_text_color(*c)
                    couleur = c
                self.cell(w, h, _fit(self, text, w), border="B" if section else 0,
                          align=align[j])
            if couleur != NOIR:
                self.set_text_color(*NOIR)
                couleur = NOIR
            self.ln(h)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Shorten a text with « … » so that it fits its column (a table repeats its texts: the
    result is kept per font, size, text and width)."""
    cle = (pdf.font_family, pdf.font_style, pdf.font_size_pt, text, width)
    court = _COURTS.get(cle)
    if court is None:
        court = text
        if pdf.get_string_width(court) > width - 1:
            while court and pdf.get_string_width(court + "…") > width - 1:
                court = court[:-1]
            court += "…"
        if len(_COURTS) >= 100_000:
            _COURTS.clear()
        _COURTS[cle] = court
    return court


OKABE_ITO = [(0, 114, 178), (230, 159, 0), (0, 158, 115), (213, 94, 0), (86, 180, 233),
             (204, 121, 167), (240, 228, 66)]


def barres(doc: Document, titre: str, categories: list[str],
           series: list[tuple[str, list[float]]], hauteur: float = 52.0,
           unite: str = "", decimales: int = 0) -> None:
    """Grouped vertical bars drawn with PDF primitives (no image library): one group per
    category, one bar per series (Okabe–Ito colours), the value above each bar, a legend."""
    from fluxcore.formats import fmt_num

    if doc.will_page_break(hauteur + 17):
        doc.add_page()
    doc.ln(3)
    doc.set_font(FAMILLE, "B", 9.5)
    doc.cell(0, 5, titre, new_x="LMARGIN", new_y="NEXT")
    x_leg = doc.l_margin
    doc.set_font(FAMILLE, "", 7.5)
    for k, (nom, _) in enumerate(series):
        doc.set_fill_color(*OKABE_ITO[k % len(OKABE_ITO)])
        doc.rect(x_leg, doc.get_y() + 1, 3, 3, style="F")
        doc.set_xy(x_leg + 4, doc.get_y())
        doc.cell(doc.get_string_width(nom) + 2, 5, nom)
        x_leg += doc.get_string_width(nom) + 10
    doc.ln(6)
    top, left = doc.get_y() + 4, doc.l_margin + 12     # room for the tallest value label
    width = doc.w - doc.r_margin - left
    plot_h = hauteur - 12
    vmax = max([v for _, vals in series for v in vals] + [0])
    step = _pas(vmax)
    top_value = 4 * step
    doc.set_draw_color(200, 200, 200)
    doc.set_text_color(*GRIS)
    for i in range(5):
        v = top_value * i / 4
        y = top + plot_h - plot_h * v / top_value
        doc.line(left, y, left + width, y)
        doc.set_xy(doc.l_margin, y - 2)
        doc.cell(11, 4, fmt_num(v, 0) + unite, align="R")
    n, m = max(1, len(categories)), max(1, len(series))
    group = width / n
    bar = group * 0.8 / m
    for i, cat in enumerate(categories):
        for k, (_, vals) in enumerate(series):
            v = float(vals[i]) if i < len(vals) else 0.0
            h = plot_h * v / top_value
            x = left + i * group + group * 0.1 + k * bar
            doc.set_fill_color(*OKABE_ITO[k % len(OKABE_ITO)])
            if h > 0:
                doc.rect(x, top + plot_h - h, bar * 0.92, h, style="F")
            doc.set_font(FAMILLE, "", 6.5 if m > 1 else 7.5)
            doc.set_text_color(0, 0, 0)
            doc.set_xy(x - 2, top + plot_h - h - 3.6)
            doc.cell(bar * 0.92 + 4, 3.5, fmt_num(v, decimales), align="C")
        doc.set_font(FAMILLE, "", 7.5)
        doc.set_xy(left + i * group, top + plot_h + 1)
        doc.cell(group, 4, _fit(doc, cat, group), align="C")
    doc.set_text_color(0, 0, 0)
    doc.set_draw_color(0, 0, 0)
    doc.set_y(top + hauteur)


def _pas(vmax: float) -> float:
    """A round step (at least 1: counts and percentages) so that four steps cover vmax."""
    raw = max(vmax, 4) / 4
    mag = 10 ** len(str(int(raw))) / 10
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * mag:
            return mult * mag
    return 10 * mag
