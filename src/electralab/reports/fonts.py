"""The bundled Korean font (NanumGothic, shipped by ``koreanize-matplotlib``) for plots and HTML reports.

Plots must not depend on the fonts a machine happens to have: matplotlib gets the bundled font registered at
plot time, and the HTML reports embed a subset of it (only the characters on the page) as an ``@font-face``,
so Hangul reads in a browser on a machine without any CJK font. Nothing here runs at ``import electralab``.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import io
from collections.abc import Iterable
from pathlib import Path

FONT_FAMILY = "NanumGothic"
_FONT_FILES = {"regular": "NanumGothic.ttf", "bold": "NanumGothicBold.ttf"}


@functools.lru_cache(maxsize=4)
def font_path(weight: str = "regular") -> Path:
    """The bundled TTF of ``weight`` (``regular`` or ``bold``), found without importing koreanize_matplotlib.

    (Importing that package would change matplotlib's global settings.)

    Raises:
        FileNotFoundError: When koreanize-matplotlib is not installed.
    """
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("koreanize-matplotlib is not installed: pip install koreanize-matplotlib")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / _FONT_FILES[weight]
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall koreanize-matplotlib")
    return path


@functools.lru_cache(maxsize=1)
def register_font() -> list[str]:
    """Register the bundled font with matplotlib; returns the family list for ``font.family`` (Latin first)."""
    from matplotlib import font_manager

    for weight in _FONT_FILES:
        font_manager.fontManager.addfont(str(font_path(weight)))
    return ["DejaVu Sans", FONT_FAMILY]


@functools.lru_cache(maxsize=1)
def _cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path()), lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str) -> list[str]:
    """Characters of ``text`` (whitespace aside) that neither the bundled font nor DejaVu Sans can draw."""
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    dejavu = font_manager.findfont("DejaVu Sans")
    with TTFont(dejavu, lazy=True) as font:
        latin = set(font.getBestCmap())
    covered = _cmap() | latin
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in covered})


def font_face_css(texts: Iterable[str]) -> str:
    """An ``@font-face`` rule embedding the bundled font cut down to the characters of ``texts`` (base64 TTF).

    Only the regular weight is embedded (browsers draw bold from it), which keeps a report's font to a few
    dozen kB. Returns an empty string when the texts need no glyph beyond ASCII (every browser font has those).
    """
    return _font_face(frozenset(ch for text in texts for ch in text if ord(ch) > 0x7E))


@functools.lru_cache(maxsize=8)
def _font_face(characters: frozenset[str]) -> str:
    from fontTools import subset

    if not characters:
        return ""
    options = subset.Options()
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]  # VTT hinting sources: nothing to subset
    font = subset.load_font(str(font_path()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(ch) for ch in characters])
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"@font-face {{ font-family: 'Report Hangul'; src: url(data:font/ttf;base64,{data}) format('truetype'); }}\n"
