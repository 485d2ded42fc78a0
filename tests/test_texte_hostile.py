"""Text from the data shown as text (ui.texte): exact escapes, and the pages drawn by AppTest
keep a hostile résidence name inert. The browser check is tests/test_browser_hostile.py."""

from __future__ import annotations

import re

import pytest

from ui.texte import WJ, md, plotly_texte

LIEN = "[Cliquez ici](http://hote-externe.invalid/x)"


@pytest.mark.parametrize(("valeur", "attendu"), [
    ("Résidence Les Acacias", "Résidence Les Acacias"),
    ("Saint-Dizier (51) : 25 % l'EPCI", "Saint-Dizier (51) : 25 % l'EPCI"),
    (LIEN, f"\\[Cliquez ici\\](http:{WJ}//hote-externe.invalid/x)"),
    ("![t](http://h.invalid/i.png)", f"!\\[t\\](http:{WJ}//h.invalid/i.png)"),
    ("<img src=x>", "\\<img src=x\\>"),
    ('<a href="y">x</a>', '\\<a href="y"\\>x\\</a\\>'),
    ("**gras** :red[rouge] :material/warning:",
     f"\\*\\*gras\\*\\* :{WJ}red\\[rouge\\] :{WJ}material/warning:"),
    ("$x^2$", "\\$x^2\\$"),
    ("javascript:alert(1)", f"javascript:{WJ}alert(1)"),
    (":smile: 10:30", f":{WJ}smile: 10:{WJ}30"),
    ("www.exemple.fr WWW.exemple.fr", f"www{WJ}.exemple.fr WWW{WJ}.exemple.fr"),
    ("contact@exemple.fr", f"contact@{WJ}exemple.fr"),
    ("~~barre~~ `code` a|b &lt;", "\\~\\~barre\\~\\~ \\`code\\` a\\|b \\&lt;"),
    ("rendu_bailleur _x_ __y__", "rendu_bailleur \\_x\\_ \\_\\_y\\_\\_"),
    ("\\", "\\\\"),
    ("# titre", "\\# titre"),
    ("- puce", "\\- puce"),
    ("+ puce", "\\+ puce"),
    ("> citation", "\\> citation"),
    ("1. premier", "1\\. premier"),
    ("12) douze", "12\\) douze"),
    ("ligne 1\n# titre\r\n- puce", "ligne 1 # titre - puce"),
    ("    code ?", "code ?"),
    (None, ""),
    (float("nan"), ""),
    (12.5, "12.5"),
])
def test_md(valeur, attendu):
    assert md(valeur) == attendu


def test_md_keeps_lines_when_asked():
    assert md("Erreur : voir\n- [x](http://a.invalid)", lignes=True) == (
        f"Erreur : voir  \n\\- \\[x\\](http:{WJ}//a.invalid)")


def test_md_escapes_every_active_character():
    active = "\\`*[]<>~$|&"
    escaped = md("x" + active)
    assert escaped == "x" + "".join("\\" + c for c in active)
    # read back by CommonMark's rule (a backslash before punctuation is the punctuation)
    assert re.sub(r"\\(.)", r"\1", escaped) == "x" + active


@pytest.mark.parametrize(("valeur", "attendu"), [
    ("Résidence Les Acacias", "Résidence Les Acacias"),
    ('<a href="http://h.invalid">x</a>', '&lt;a href="http://h.invalid"&gt;x&lt;/a&gt;'),
    ("<b>gras</b><br>", "&lt;b&gt;gras&lt;/b&gt;&lt;br&gt;"),
    ("Tom & Jerry 'bis'", "Tom &amp; Jerry 'bis'"),
    ("a\nb", "a b"),
    (None, ""),
])
def test_plotly_texte(valeur, attendu):
    assert plotly_texte(valeur) == attendu


# -- pages drawn by AppTest on a base whose names are hostile -------------------------------

# what a hostile user types as a name (issue 27): each one must reach the screen as text
HOSTILES = [LIEN, "![t](http://hote-externe.invalid/i.png)",
            "<img src=http://hote-externe.invalid/i.png>",
            '<a href="http://hote-externe.invalid">x</a>',
            "**gras** :red[rouge] :material/warning:", "$x^2$", "javascript:alert(1)"]

# (table, id column, text column): user-provided texts of the base, renamed by SQL
TEXTES = [("residence", "residence_id", "nom"), ("residence", "residence_id", "adresse"),
          ("reservataire", "reservataire_id", "nom"), ("ref_commune", "code_insee", "nom"),
          ("ref_epci", "epci_siren", "nom"), ("ref_qpv", "qpv_code", "nom"),
          ("orientation", "orientation_id", "justification"),
          ("grille_cotation", "critere", "libelle"), ("derogation", "derogation_id", "arrete"),
          ("scenario", "scenario_id", "nom")]


def rendre_hostile(path) -> None:
    """Prefix every user-provided text of the base at `path` with one of HOSTILES (chosen by
    the row's id, so that each page meets several of them), by SQL before the app opens it."""
    import duckdb

    con = duckdb.connect(str(path))
    try:
        for table, cle, colonne in TEXTES:
            con.execute(f"update {table} set {colonne} = ($h::varchar[])"
                        f"[1 + (hash({cle}) % {len(HOSTILES)})::integer] || ' ' "
                        f"|| coalesce({colonne}, '')", {"h": HOSTILES})
        con.execute("checkpoint")
    finally:
        con.close()


@pytest.fixture(scope="module")
def hostile_path(tmp_path_factory):
    """The small demo base with hostile names (rendre_hostile)."""
    from fluxcore.demo import generate_demo
    from tests.conftest import DEMO_DATE

    path = tmp_path_factory.mktemp("hostile") / "demo.duckdb"
    generate_demo(path, "petit", 7, DEMO_DATE)
    rendre_hostile(path)
    return path


def _markdown_texts(at) -> list[str]:
    """Every Markdown source AppTest saw: markdown, captions, alerts, titles, expanders,
    metric labels and values."""
    texts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success",
                                  "title", "header", "subheader") for e in getattr(at, kind)]
    texts += [e.label for e in at.expander] + [e.label for e in at.metric]
    texts += [str(e.value) for e in at.metric]
    return texts


@pytest.mark.parametrize("page", ["pages/orientation.py", "pages/residences.py",
                                  "pages/reservataire.py"])
@pytest.mark.parametrize("projection", [False, True])
def test_page_keeps_hostile_names_inert(hostile_path, monkeypatch, tmp_path, page, projection):
    from tests.apptest import app_sur

    app = app_sur(hostile_path, monkeypatch, tmp_path)
    app.session_state["projection"] = projection
    app.run()
    app.switch_page(page).run()
    assert not app.exception, app.exception
    texts = _markdown_texts(app)
    assert any(md(h) in t for h in HOSTILES for t in texts), f"{page} : aucun nom hostile"
    # a link or an image, an HTML tag, a bare address: what Markdown would make live
    live = [t for t in texts if re.search(rf"(?<!\\)\]\((?!/)|(?<!\\)<[a-z/]|https?:(?!{WJ})//", t)]
    assert not live, live
