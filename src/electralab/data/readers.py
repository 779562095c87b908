"""Readers for the supported data formats, each giving a ``datasets.Dataset`` of ``text`` and ``label``.

Every reader streams its file as bytes, decodes strict UTF-8 (an undecodable byte is reported with the
file, line number and byte offset), keeps the file's row order, keeps empty texts as ``""`` and returns
label *names* as strings. Errors are :class:`~electralab.errors.DataError` with a one-line message that
names the file, the line or row, what was expected and what to do.

Registered formats (see :data:`READERS`):

* ``nsmc``: Naver Sentiment Movie Corpus ``id<TAB>document<TAB>label`` (quotes kept literally).
* ``ynat``: KLUE YNAT ``label<TAB>text`` TSV (header optional), or the official KLUE JSON when the
  path ends in ``.json``.
* ``klue_json``: the official KLUE JSON list of records (``title`` -> text, ``label``).
* ``imdb``: ``id,rating,label,text`` CSV (optionally ``.xz``/``.gz``) or an ``aclImdb/<split>`` folder.
* ``sst2``: ``<label> <sentence>`` lines (Kim 2014 ``stsa.binary.*`` files).
* ``table``: generic ``.csv`` / ``.tsv`` / ``.jsonl`` / ``.json`` (optionally ``.xz``/``.gz``) with
  configurable column names.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import json
import lzma
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from datasets import Dataset

from ..errors import DataError

Columns = dict[str, list[str]]
"""What a reader returns: ``text`` and ``label`` (and ``text_pair``) as equal-length lists of strings."""

Reader = Callable[..., Columns]
"""A reader: ``reader(path, *, text_column, text_pair_column, label_column, max_rows, require_label)``."""

READERS: dict[str, Reader] = {}
"""Registry of readers by stable format name (the value of ``data.format``)."""

_BINARY_LABELS = {"0": "negative", "1": "positive"}
_COMPRESSED = {".xz", ".gz", ".bz2"}
_TABLE_EXTENSIONS = (".csv", ".tsv", ".jsonl", ".json")


def register_reader(name: str) -> Callable[[Reader], Reader]:
    """Register a reader function under a format name.

    The reader is called as ``reader(path, *, text_column, text_pair_column, label_column, max_rows,
    require_label)`` with an existing ``Path`` and returns a dict of equal-length string lists with keys
    ``text``, ``label`` (left out when there is no label and ``require_label`` is false) and
    ``text_pair`` (only when ``text_pair_column`` is given).

    Args:
        name: The stable format name, as used in ``data.format``.

    Returns:
        A decorator that stores the function in :data:`READERS` and returns it unchanged.

    Raises:
        ValueError: If ``name`` is already registered.
    """

    def decorator(func: Reader) -> Reader:
        if name in READERS:
            raise ValueError(f"a data reader named {name!r} is already registered")
        READERS[name] = func
        return func

    return decorator


def read_split(
    fmt: str,
    path: str | Path,
    *,
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> Dataset:
    """Read one data split into a ``datasets.Dataset``.

    Args:
        fmt: A format name registered in :data:`READERS` (``nsmc``, ``ynat``, ``klue_json``, ``imdb``,
            ``sst2``, ``table``, ...).
        path: The data file (or, for ``imdb``, optionally an ``aclImdb/<split>`` folder).
        text_column: Column holding the text (``table`` only; default ``"text"``). The fixed formats
            (``nsmc``, ``ynat``, ``klue_json``, ``imdb``, ``sst2``) ignore it.
        text_pair_column: Column holding the second text of a pair (``table`` only; the fixed formats
            raise ``DataError`` when it is set).
        label_column: Column holding the label (default ``"label"``). The fixed formats ignore it.
        max_rows: Keep only the first ``max_rows`` data rows (``None``: all rows).
        require_label: When false and the file has no label column, return only ``text`` (and
            ``text_pair``), e.g. for prediction input. Formats whose files always hold labels ignore it.

    Returns:
        A dataset with string columns ``text``, ``text_pair`` (only when ``text_pair_column`` is given)
        and ``label`` (the label name), in the file's row order. Empty texts are kept as ``""``.

    Raises:
        DataError: If the format is unknown, the path does not exist, the file is empty, has no data
            rows, is not valid UTF-8, or a row does not have the expected shape.
        ValueError: If ``max_rows`` is smaller than 1.
    """
    reader = READERS.get(fmt)
    if reader is None:
        raise DataError(
            f"unknown data format {fmt!r}; known formats are [{', '.join(sorted(READERS))}]; "
            "set data.format to one of them"
        )
    if max_rows is not None and max_rows < 1:
        raise ValueError(f"max_rows must be None or at least 1, got {max_rows}")
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(
            f"{path}: data file not found; pass --data-dir with the folder that holds it, "
            "or fix the file path in the config"
        )
    if path.is_file() and path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes); expected {fmt} data rows; check the file")
    columns = reader(
        path,
        text_column=text_column,
        text_pair_column=text_pair_column,
        label_column=label_column,
        max_rows=max_rows,
        require_label=require_label,
    )
    if not columns.get("text"):
        raise DataError(
            f"{path}: no data rows (the file holds only a header, blank lines or nothing); "
            f"expected {fmt} data rows; check that this is the right file"
        )
    order = [name for name in ("text", "text_pair", "label") if name in columns]
    return Dataset.from_dict({name: columns[name] for name in order})


def read_texts(path: str | Path, *, text_column: str | None = None) -> list[str]:
    """Read texts to predict on.

    A ``.csv``/``.tsv``/``.jsonl``/``.json`` file (optionally ``.xz``/``.gz``) gives its text column through
    the ``table`` reader; every row is kept (empty texts as ``""``) so outputs line up with input rows.
    Any other file is plain text: one text per line, strict UTF-8, blank lines dropped.

    Args:
        path: The input file.
        text_column: The text column of a table file (default ``"text"``).

    Returns:
        The texts, in file order.

    Raises:
        DataError: If the file does not exist, is not valid UTF-8, has no texts, or (tables) lacks the
            text column.
    """
    path = Path(path).expanduser()
    if _table_extension(path) is not None:
        dataset = read_split("table", path, text_column=text_column, require_label=False)
        return list(dataset["text"])
    if not path.is_file():
        what = "is a directory" if path.exists() else "not found"
        raise DataError(f"{path}: input file {what}; pass a text file with one text per line to --input")
    texts = [line.rstrip("\r\n") for _, line in _iter_lines(path)]
    texts = [text for text in texts if text.strip()]
    if not texts:
        raise DataError(f"{path}: no texts (the file is empty or blank); expected one text per line")
    return texts


# --------------------------------------------------------------------------------------------------
# Low-level helpers: opening, strict decoding, line iteration.


def _open_binary(path: Path) -> IO[bytes]:
    suffix = path.suffix.lower()
    if suffix == ".xz":
        return lzma.open(path, "rb")
    if suffix == ".gz":
        return gzip.open(path, "rb")
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    return open(path, "rb")


def _decode_error(path: Path, err: UnicodeDecodeError, data: bytes, line_offset: int, byte_base: int) -> DataError:
    lineno = line_offset + data.count(b"\n", 0, err.start)
    where = "after decompression, " if path.suffix.lower() in _COMPRESSED else ""
    return DataError(
        f"{path}: line {lineno} ({where}byte offset {byte_base + err.start}) is not valid UTF-8 "
        f"({err.reason}: {data[err.start : err.end]!r}); re-save the file as UTF-8"
    )


def _unreadable(path: Path, err: Exception) -> DataError:
    if path.is_dir():
        return DataError(f"{path}: is a directory; expected a data file; point the data setting at the file")
    return DataError(f"{path}: cannot read the file ({err}); check that it is not truncated or corrupt")


def _read_text(path: Path) -> str:
    """Read and strictly decode a whole (possibly compressed) file; a leading BOM is dropped."""
    try:
        with _open_binary(path) as fh:
            data = fh.read()
    except (OSError, EOFError, lzma.LZMAError) as err:
        raise _unreadable(path, err) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _decode_error(path, err, data, 1, 0) from None
    return text.removeprefix("\ufeff")


def _iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` with line endings kept, decoding each line as strict UTF-8."""
    offset = 0
    try:
        with _open_binary(path) as fh:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    raise _decode_error(path, err, raw, lineno, offset) from None
                if lineno == 1:
                    line = line.removeprefix("\ufeff")
                offset += len(raw)
                yield lineno, line
    except (OSError, EOFError, lzma.LZMAError) as err:
        raise _unreadable(path, err) from None


def _iter_csv(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(first_line_number, fields)`` for each non-blank CSV/TSV record (quotes honoured)."""
    reader = csv.reader((line for _, line in _iter_lines(path)), delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            kind = "TSV" if delimiter == "\t" else "CSV"
            hint = (
                "a field is longer than the csv module allows, usually because a quote is never closed"
                if "field limit" in str(err)
                else str(err)
            )
            raise DataError(
                f"{path}: line {reader.line_num}: malformed {kind} record starting on line {start} "
                f"({hint}); check the quoting of that row"
            ) from None
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        yield start, row


def _snippet(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _no_pair(fmt: str, path: Path, text_pair_column: str | None) -> None:
    if text_pair_column:
        raise DataError(
            f"{path}: format {fmt!r} has single texts, not text pairs; unset data.text_pair_column "
            "or use data.format=table with the pair columns"
        )


def _binary_label(value: str, path: Path, lineno: int, fmt: str) -> str:
    name = _BINARY_LABELS.get(value.strip())
    if name is None:
        raise DataError(
            f"{path}: line {lineno}: label {_snippet(value)} is not 0 or 1; {fmt} labels must be "
            "0 (negative) or 1 (positive); fix that line"
        )
    return name


def _full(columns: Columns, max_rows: int | None) -> bool:
    return max_rows is not None and len(columns["text"]) >= max_rows


def _split_compression(path: Path) -> tuple[str, str]:
    """Return ``(data_suffix, compression_suffix)``, e.g. ``(".csv", ".xz")`` for ``train.csv.xz``."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        return (suffixes[-2] if len(suffixes) > 1 else ""), suffixes[-1]
    return (suffixes[-1] if suffixes else ""), ""


def _table_extension(path: Path) -> str | None:
    ext, _ = _split_compression(path)
    return ext if ext in _TABLE_EXTENSIONS else None


# --------------------------------------------------------------------------------------------------
# Fixed formats.


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
    _no_pair("nsmc", path, text_pair_column)
    columns: Columns = {"text": [], "label": []}
    first = True
    for lineno, line in _iter_lines(path):
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
        columns["label"].append(_binary_label(fields[2], path, lineno, "nsmc"))
        if _full(columns, max_rows):
            break
    return columns


@register_reader("ynat")
def _read_ynat(
    path: Path,
    *,
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> Columns:
    """KLUE YNAT ``label<TAB>text`` TSV (header row optional), or the official KLUE JSON for ``.json``."""
    if _split_compression(path)[0] == ".json":
        return _read_klue_json(path, text_pair_column=text_pair_column, max_rows=max_rows, require_label=require_label)
    _no_pair("ynat", path, text_pair_column)
    columns: Columns = {"text": [], "label": []}
    label_at, text_at, width = 0, 1, 2
    first = True
    for lineno, row in _iter_csv(path, "\t"):
        if first:
            first = False
            names = [f.strip().lower() for f in row]
            if "label" in names and ("text" in names or "title" in names) and len(set(names)) == len(names):
                label_at = names.index("label")
                text_at = names.index("text") if "text" in names else names.index("title")
                width = len(names)
                continue
        if len(row) != width:
            raise DataError(
                f"{path}: line {lineno}: expected {width} tab-separated fields (label, text), found "
                f"{len(row)}; quote a text that contains a tab, or fix that line"
            )
        label = row[label_at].strip()
        if not label:
            raise DataError(f"{path}: line {lineno}: the label is empty; give every row a label")
        columns["text"].append(row[text_at])
        columns["label"].append(label)
        if _full(columns, max_rows):
            break
    return columns


@register_reader("klue_json")
def _read_klue_json(
    path: Path,
    *,
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> Columns:
    """The official KLUE JSON: a list of records; ``title`` -> text, ``label`` -> label (columns fixed)."""
    _no_pair("klue_json", path, text_pair_column)
    records = _load_json_array(path)
    names = _ColumnNames("title", None, "label")
    return _records_to_columns(
        path, ((f"record {i}", rec) for i, rec in enumerate(records)), names, max_rows, require_label
    )


@register_reader("sst2")
def _read_sst2(
    path: Path,
    *,
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> Columns:
    """SST-2 ``stsa.binary.*``: ``<label> <sentence>`` split on the first space."""
    _no_pair("sst2", path, text_pair_column)
    columns: Columns = {"text": [], "label": []}
    for lineno, line in _iter_lines(path):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        label, sep, sentence = line.partition(" ")
        if not sep:
            raise DataError(
                f"{path}: line {lineno}: expected '<label> <sentence>' (2 fields split on the first space), "
                f"found 1 field {_snippet(line)}; fix or remove that line"
            )
        columns["label"].append(_binary_label(label, path, lineno, "sst2"))
        columns["text"].append(sentence)
        if _full(columns, max_rows):
            break
    return columns


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
    _no_pair("imdb", path, text_pair_column)
    if path.is_dir():
        return _read_imdb_folder(path, max_rows)
    columns: Columns = {"text": [], "label": []}
    header: list[str] | None = None
    text_at = label_at = 0
    for lineno, row in _iter_csv(path, ","):
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
        columns["label"].append(_binary_label(row[label_at], path, lineno, "imdb"))
        if _full(columns, max_rows):
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
                raise _decode_error(file, err, data, 1, 0) from None
            columns["text"].append(text.removeprefix("\ufeff").rstrip("\r\n"))
            columns["label"].append(label)
            if _full(columns, max_rows):
                return columns
    return columns


# --------------------------------------------------------------------------------------------------
# Generic tables.


class _ColumnNames:
    """Resolved column names of a table read."""

    def __init__(self, text: str, pair: str | None, label: str) -> None:
        self.text = text
        self.pair = pair or None
        self.label = label

    def check(self, path: Path, where: str, available: Iterable[str], require_label: bool) -> bool:
        """Raise for a missing text/pair (or required label) column; return whether the label is present."""
        available = list(available)
        wanted = [(self.text, "data.text_column")]
        if self.pair:
            wanted.append((self.pair, "data.text_pair_column"))
        has_label = self.label in available
        if require_label:
            wanted.append((self.label, "data.label_column"))
        for name, key in wanted:
            if name not in available:
                raise DataError(
                    f"{path}: {where}column {name!r} not found; columns are [{', '.join(available)}]; "
                    f"set {key}=<one of them> (data.text_column / data.label_column name the columns)"
                )
        return has_label


def _cell(value: Any, path: Path, where: str, column: str, is_label: bool) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        if is_label:
            raise DataError(f"{path}: {where}: label column {column!r} is null; give every row a label")
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise DataError(
        f"{path}: {where}: column {column!r} holds a JSON {type(value).__name__}, "
        "expected a string or number; fix that row"
    )


def _records_to_columns(
    path: Path,
    records: Iterable[tuple[str, Any]],
    names: _ColumnNames,
    max_rows: int | None,
    require_label: bool,
) -> Columns:
    columns: Columns = {"text": []}
    has_label: bool | None = None
    for where, record in records:
        if not isinstance(record, dict):
            raise DataError(
                f"{path}: {where}: expected a JSON object with column names as keys, found a JSON "
                f"{type(record).__name__}; write one object per row"
            )
        if has_label is None:
            has_label = names.check(path, f"{where}: ", record.keys(), require_label)
            if names.pair:
                columns["text_pair"] = []
            if has_label:
                columns["label"] = []
        else:
            names.check(path, f"{where}: ", record.keys(), bool(has_label))
        columns["text"].append(_cell(record[names.text], path, where, names.text, False))
        if names.pair:
            columns["text_pair"].append(_cell(record[names.pair], path, where, names.pair, False))
        if has_label:
            columns["label"].append(_cell(record[names.label], path, where, names.label, True))
        if _full(columns, max_rows):
            break
    return columns


def _load_json_array(path: Path) -> list[Any]:
    text = _read_text(path)
    try:
        records = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(
            f"{path}: line {err.lineno} column {err.colno}: not valid JSON ({err.msg}); "
            "fix the file or write it as JSON lines (.jsonl)"
        ) from None
    if not isinstance(records, list):
        raise DataError(
            f"{path}: expected a JSON list of records, found a JSON {type(records).__name__}; "
            "write a list of objects or JSON lines (.jsonl)"
        )
    return records


def _iter_jsonl(path: Path) -> Iterator[tuple[str, Any]]:
    for lineno, line in _iter_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(
                f"{path}: line {lineno}: not valid JSON ({err.msg} at column {err.colno}); "
                "each line must hold one JSON object"
            ) from None
        yield f"line {lineno}", record


def _starts_with_bracket(path: Path) -> bool:
    for _, line in _iter_lines(path):
        stripped = line.strip()
        if stripped:
            return stripped.startswith("[")
    return False


@register_reader("table")
def _read_table(
    path: Path,
    *,
    text_column: str | None = None,
    text_pair_column: str | None = None,
    label_column: str | None = None,
    max_rows: int | None = None,
    require_label: bool = True,
) -> Columns:
    """Generic ``.csv``/``.tsv``/``.jsonl``/``.json`` (optionally compressed) with named columns."""
    names = _ColumnNames(text_column or "text", text_pair_column, label_column or "label")
    ext = _table_extension(path)
    if path.is_dir() or ext is None:
        suffixes = "".join(path.suffixes)
        what = "is a directory" if path.is_dir() else f"has the unsupported extension {suffixes!r}"
        raise DataError(
            f"{path}: {what}; the table format reads .csv, .tsv, .jsonl or .json files "
            "(optionally compressed .xz/.gz/.bz2); rename the file or pick another data.format"
        )
    if ext == ".json" and _starts_with_bracket(path):
        records = ((f"record {i}", rec) for i, rec in enumerate(_load_json_array(path)))
        return _records_to_columns(path, records, names, max_rows, require_label)
    if ext in (".json", ".jsonl"):
        return _records_to_columns(path, _iter_jsonl(path), names, max_rows, require_label)
    return _read_delimited(path, "," if ext == ".csv" else "\t", names, max_rows, require_label)


def _read_delimited(
    path: Path, delimiter: str, names: _ColumnNames, max_rows: int | None, require_label: bool
) -> Columns:
    kind = "comma" if delimiter == "," else "tab"
    columns: Columns = {"text": []}
    header: list[str] | None = None
    text_at = pair_at = label_at = -1
    for lineno, row in _iter_csv(path, delimiter):
        if header is None:
            header = [f.strip() for f in row]
            has_label = names.check(path, "header: ", header, require_label)
            text_at = header.index(names.text)
            if names.pair:
                pair_at = header.index(names.pair)
                columns["text_pair"] = []
            if has_label:
                label_at = header.index(names.label)
                columns["label"] = []
            continue
        if len(row) != len(header):
            raise DataError(
                f"{path}: line {lineno}: expected {len(header)} {kind}-separated fields "
                f"({', '.join(header)}), found {len(row)}; "
                "quote fields that contain the delimiter or newlines"
            )
        columns["text"].append(row[text_at])
        if pair_at >= 0:
            columns["text_pair"].append(row[pair_at])
        if label_at >= 0:
            label = row[label_at].strip()
            if not label:
                raise DataError(f"{path}: line {lineno}: column {names.label!r} is empty; give every row a label")
            columns["label"].append(label)
        if _full(columns, max_rows):
            break
    return columns
