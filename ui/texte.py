"""Text that comes from the data (names, addresses, reasons, grid labels…) shown as text.

Streamlit reads Markdown in st.markdown, st.caption, st.write, st.info/warning/error/success,
st.toast, st.title/header/subheader, st.table cells and headers, st.metric labels and values,
the labels of widgets, expanders and tabs, radio options and help tooltips: a résidence named
`[Cliquez ici](http://…)` there is a live link, `![t](http://…)` an image fetched from
another host by every viewer. Plotly reads a subset of HTML (`<a href>`, `<b>`, `<br>`…) in
titles, axis labels, legends, texts and hover texts.

`md` makes a value Markdown-inert, `plotly_texte` makes it HTML-inert; every value from the data
goes through one of them before it reaches such a place. st.dataframe, st.selectbox and
st.multiselect options show their text as is: they need neither (and would show the escapes).
Pure Python (no Streamlit): tests/test_texte_hostile.py checks the exact results.
"""

from __future__ import annotations

import html
import math
import re

WJ = "\u2060"  # word joiner: invisible, breaks a pattern without changing what one reads

# characters that make Markdown anywhere in a line (CommonMark, GFM, Streamlit's math): links
# and images need [ ], autolinks and HTML <, emphasis * _ (not inside a word), code `,
# strikethrough ~, tables |, math $, entities &; the backslash itself
ACTIFS = frozenset("\\`*[]<>~$|&")
_BLANCS = re.compile(r"\s*[\r\n\t\f\v\u2028\u2029]+\s*")
# a line start that opens a block: heading (« # »), list (« - », « + »), thematic break or
# underline (« -- », « == »), ordered list (« 1. », « 2) »); « -4 » or « +33 » open none
_DEBUT = re.compile(r"^(?=(?:#{1,6}|[+-])(?:\s|$)|-{2,}|={2,})|^(\d{1,9})(?=[.)](\s|$))")
# a colon or an at sign followed by a character: Streamlit's :red[…], :material/…:, :emoji:
# and GFM's bare addresses (http://…, name@host); « www. » too
_COLLES = re.compile(r"([:@])(?=\S)|(?i:(www)(?=\.))")
_SOULIGNE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")   # _ not between two letters or digits


def _texte(valeur) -> str:
    if valeur is None or (isinstance(valeur, float) and math.isnan(valeur)):
        return ""
    return str(valeur)


def md(valeur, lignes: bool = False) -> str:
    """`valeur` as Streamlit shows it literally in any Markdown place, on one line
    (`lignes=True`: its lines kept, as Markdown line breaks — a message of several lines).

    Each character that makes Markdown anywhere in a line is escaped with a backslash, and
    `_` where it could start emphasis; so is a first character that would open a block (a
    heading, a list, a quote). GFM also turns bare addresses (http://…, www.…, name@host)
    into links after the escapes are read, and Streamlit turns `:name:` into an icon: a word
    joiner after `:` and `@` followed by a character, and inside `www.`, breaks those
    patterns (the French « : » between spaces is left as it is). Line breaks become one
    space, leading spaces go (four of them would make a code block)."""
    if lignes:
        return "  \n".join(md(ligne) for ligne in _texte(valeur).splitlines())
    texte = _BLANCS.sub(" ", _texte(valeur)).lstrip()
    texte = "".join("\\" + c if c in ACTIFS else c for c in texte)
    texte = _SOULIGNE.sub(r"\\_", texte)
    texte = _DEBUT.sub(lambda m: (m[1] or "") + "\\", texte, count=1)
    return _COLLES.sub(lambda m: (m[1] or m[2]) + WJ, texte)


def plotly_texte(valeur) -> str:
    """`valeur` as plotly shows it literally in a title, a label, a legend, a text or a hover
    text: `<`, `>` and `&` as HTML entities (plotly writes them back as characters, never as
    tags; it would show `&quot;` as is, and a quote outside a tag means nothing to it), line
    breaks as one space. Put a value in a hover text through `customdata` or the trace's
    values (`%{y}`), never by concatenating it to the template."""
    return html.escape(_BLANCS.sub(" ", _texte(valeur)), quote=False)

