"""Reader ``imdb``: ``id,rating,label,text`` CSV (optionally ``.xz``/``.gz``) or an ``aclImdb/<split>`` folder."""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import DataError
from ..io import decode_error, iter_csv
from .common import binary_label, full, no_pair
from .registry import Columns, register_reader


@register_reader("imdb")
def _read_imdb(
    path: Path,
    *,
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> Columns:
    """IMDB ``id,rating,label,text`` CSV (optionally ``.xz``/``.gz``) or an ``aclImdb/<split>`` folder."""
    no_pair("imdb", path, text_pair_column)
    if path.is_dir():
        return _read_imdb_folder(path, max_rows)
    columns: Columns = {"text": [], "label": []}
    header: list[str] | None = None
    text_at = label_at = 0
    for lineno, row in iter_csv(path, ","):
        if header is None:
            header = [f.strip() for f in row]
            missing = [c for c in ("text", "label") if c not in header]
            if missing:
                raise DataError(
                    f"{path}: line {lineno}: header has no column {missing[0]!r}; columns are "
                    f"[{', '.join(header)}]; expected the header 'id,rating,label,text' "
                    "(or use data.format=table)"
                )
            text_at, label_at = header.index("text"), header.index("label")
            continue
        if len(row) != len(header):
            raise DataError(
                f"{path}: line {lineno}: expected {len(header)} comma-separated fields "
                f"({', '.join(header)}), found {len(row)}; quote fields that contain commas or newlines"
            )
        columns["text"].append(row[text_at])
        columns["label"].append(binary_label(row[label_at], path, lineno, "imdb"))
        if full(columns, max_rows):
            break
    return columns


def _imdb_file_key(file: Path) -> tuple[int, int, str]:
    match = re.match(r"(\d+)_", file.name)
    return (0, int(match.group(1)), file.name) if match else (1, 0, file.name)


def _read_imdb_folder(path: Path, max_rows: int | None) -> Columns:
    """``aclImdb/<split>/{neg,pos}/<id>_<rating>.txt``: negatives then positives, each by numeric id."""
    folders = {label: path / sub for sub, label in (("neg", "negative"), ("pos", "positive"))}
    missing = [f.name for f in folders.values() if not f.is_dir()]
    if missing:
        raise DataError(
            f"{path}: no {'/ and '.join(missing)}/ subfolder; expected an aclImdb split folder with pos/ "
            "and neg/ (e.g. aclImdb/train), or an imdb .csv/.csv.xz file"
        )
    columns: Columns = {"text": [], "label": []}
    for label, folder in folders.items():
        for file in sorted(folder.glob("*.txt"), key=_imdb_file_key):
            data = file.read_bytes()
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as err:
                raise decode_error(file, err, data, 1, 0) from None
            columns["text"].append(text.removeprefix("\ufeff").rstrip("\r\n"))
            columns["label"].append(label)
            if full(columns, max_rows):
                return columns
    return columns
