"""Reader ``nsmc``: the Naver Sentiment Movie Corpus ``id<TAB>document<TAB>label`` (quotes kept literally)."""

from __future__ import annotations

from pathlib import Path

from ...errors import DataError
from ..io import iter_lines
from .common import binary_label, full, no_pair
from .registry import Columns, register_reader


@register_reader("nsmc")
def _read_nsmc(
    path: Path,
    *,
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> Columns:
    """NSMC ``id<TAB>document<TAB>label``; quotes are kept literally (upstream reads with QUOTE_NONE)."""
    no_pair("nsmc", path, text_pair_column)
    columns: Columns = {"text": [], "label": []}
    first = True
    for lineno, line in iter_lines(path):
        line = line.rstrip("\r\n")
        if not line:
            continue
        fields = line.split("\t")
        if first:
            first = False
            if [f.strip() for f in fields] == ["id", "document", "label"]:
                continue
        if len(fields) != 3:
            raise DataError(
                f"{path}: line {lineno}: expected 3 tab-separated fields (id, document, label), "
                f"found {len(fields)}; fix or remove that line"
            )
        columns["text"].append(fields[1])
        columns["label"].append(binary_label(fields[2], path, lineno, "nsmc"))
        if full(columns, max_rows):
            break
    return columns
