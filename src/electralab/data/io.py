"""Low-level file reading shared by the data readers: opening, strict decoding, line/CSV/JSON iteration.

Files may be compressed (``.xz``, ``.gz``, ``.bz2``; chosen by the last suffix). Text is decoded as
strict UTF-8: an undecodable byte is reported with the file, line number and byte offset (after
decompression), and a leading BOM is dropped. Every problem is a
:class:`~electralab.errors.DataError` with a one-line message that names the file, the line or record,
what was expected and what to do.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import json
import lzma
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import DataError

CSV_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)
"""Longest CSV field read, in characters: the csv module's default (131,072) refuses long documents that JSON
lines accept; 2**31 - 1 is the most a C long holds on every platform."""

COMPRESSED = frozenset({".xz", ".gz", ".bz2"})
"""The compression suffixes that are decompressed transparently."""

TABLE_EXTENSIONS = (".csv", ".tsv", ".jsonl", ".json")
"""The data suffixes of table files (before any compression suffix)."""


# --------------------------------------------------------------------------------------------------
# Error builders.


def decode_error(path: Path, err: UnicodeDecodeError, data: bytes, line_offset: int, byte_base: int) -> DataError:
    """Build the error for bytes that are not valid UTF-8.

    Args:
        path: The file, for the message (its suffix tells whether it was decompressed).
        err: The decoding error raised for ``data``.
        data: The bytes that failed to decode (one line, or a whole file).
        line_offset: The line number of the first line of ``data``.
        byte_base: The byte offset of ``data`` in the (decompressed) file.
    """
    lineno = line_offset + data.count(b"\n", 0, err.start)
    where = "after decompression, " if path.suffix.lower() in COMPRESSED else ""
    return DataError(
        f"{path}: line {lineno} ({where}byte offset {byte_base + err.start}) is not valid UTF-8 "
        f"({err.reason}: {data[err.start : err.end]!r}); re-save the file as UTF-8"
    )


def unreadable(path: Path, err: Exception) -> DataError:
    """Build the error for a file that cannot be opened or decompressed.

    Args:
        path: The file (or directory) that could not be read.
        err: The underlying ``OSError``, ``EOFError`` or decompression error.
    """
    if path.is_dir():
        return DataError(f"{path}: is a directory; expected a data file; point the data setting at the file")
    return DataError(f"{path}: cannot read the file ({err}); check that it is not truncated or corrupt")


def file_not_found(path: Path) -> DataError:
    """Build the error for a data path (``path``) that does not exist."""
    return DataError(
        f"{path}: data file not found; pass --data-dir with the folder that holds it, "
        "or fix the file path in the config"
    )


def empty_file(path: Path, expected: str) -> DataError:
    """Build the error for a data file of 0 bytes.

    Args:
        path: The empty file.
        expected: What the file should hold, e.g. ``"nsmc"`` or ``"multi-label"`` (before "data rows").
    """
    return DataError(f"{path}: the file is empty (0 bytes); expected {expected} data rows; check the file")


def no_data_rows(path: Path, expected: str) -> DataError:
    """Build the error for a data file without data rows.

    Args:
        path: The file.
        expected: What the file should hold, e.g. ``"nsmc"`` or ``"multi-label"`` (before "data rows").
    """
    return DataError(
        f"{path}: no data rows (the file holds only a header, blank lines or nothing); "
        f"expected {expected} data rows; check that this is the right file"
    )


def not_a_table(path: Path, reads: str, fix: str) -> DataError:
    """Build the error for a directory or a file without a table extension.

    Args:
        path: The offending path.
        reads: Who reads tables, e.g. ``"the table format reads"``.
        fix: What to do, e.g. ``"rename the file or pick another data.format"``.
    """
    suffixes = "".join(path.suffixes)
    what = "is a directory" if path.is_dir() else f"has the unsupported extension {suffixes!r}"
    return DataError(
        f"{path}: {what}; {reads} .csv, .tsv, .jsonl or .json files (optionally compressed .xz/.gz/.bz2); {fix}"
    )


# --------------------------------------------------------------------------------------------------
# Opening, decoding and iterating.


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, decompressing ``.xz``, ``.gz`` and ``.bz2`` files.

    Args:
        path: The file.

    Returns:
        A binary file object (the caller closes it).
    """
    suffix = path.suffix.lower()
    if suffix == ".xz":
        return lzma.open(path, "rb")
    if suffix == ".gz":
        return gzip.open(path, "rb")
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    return open(path, "rb")


def read_text(path: Path) -> str:
    """Read and strictly decode a whole (possibly compressed) file; a leading BOM is dropped.

    Args:
        path: The file.

    Returns:
        The decoded text.

    Raises:
        DataError: If the file cannot be read or is not valid UTF-8.
    """
    try:
        with open_binary(path) as fh:
            data = fh.read()
    except (OSError, EOFError, lzma.LZMAError) as err:
        raise unreadable(path, err) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise decode_error(path, err, data, 1, 0) from None
    return text.removeprefix("\ufeff")


def iter_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Iterate over the lines of a (possibly compressed) file, decoding each as strict UTF-8.

    Args:
        path: The file.

    Yields:
        ``(line_number, line)`` with the line ending kept; a BOM at the start of the file is dropped.

    Raises:
        DataError: If the file cannot be read or a line is not valid UTF-8.
    """
    offset = 0
    try:
        with open_binary(path) as fh:
            for lineno, raw in enumerate(fh, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as err:
                    raise decode_error(path, err, raw, lineno, offset) from None
                if lineno == 1:
                    line = line.removeprefix("\ufeff")
                offset += len(raw)
                yield lineno, line
    except (OSError, EOFError, lzma.LZMAError) as err:
        raise unreadable(path, err) from None


def iter_csv(path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Iterate over the non-blank CSV/TSV records of a file (quotes honoured).

    Args:
        path: The file.
        delimiter: The field delimiter (a comma or a tab).

    Yields:
        ``(first_line_number, fields)`` for each record that is not blank.

    Raises:
        DataError: If the file cannot be read, is not valid UTF-8, or holds a malformed record.
    """
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader((line for _, line in iter_lines(path)), delimiter=delimiter)
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


def iter_jsonl(path: Path) -> Iterator[tuple[str, Any]]:
    """Iterate over the JSON values of a JSON lines file; blank lines are skipped.

    Args:
        path: The file.

    Yields:
        ``("line <n>", value)`` for each non-blank line.

    Raises:
        DataError: If the file cannot be read, is not valid UTF-8, or a line is not valid JSON.
    """
    for lineno, line in iter_lines(path):
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


def load_json_array(path: Path) -> list[Any]:
    """Load a file that holds one JSON list.

    Args:
        path: The file.

    Returns:
        The list.

    Raises:
        DataError: If the file cannot be read, is not valid UTF-8 or JSON, or does not hold a list.
    """
    text = read_text(path)
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


def iter_json_array(path: Path) -> Iterator[tuple[str, Any]]:
    """Iterate over the items of a file that holds one JSON list (see :func:`load_json_array`).

    Args:
        path: The file.

    Yields:
        ``("record <i>", item)`` for each item, counting from 0.
    """
    for i, record in enumerate(load_json_array(path)):
        yield f"record {i}", record


def iter_json_records(path: Path) -> Iterator[tuple[str, Any]]:
    """Iterate over the records of a ``.jsonl`` or ``.json`` file.

    A ``.json`` file whose first non-blank line starts with ``[`` is read as one JSON list; any other
    file as JSON lines.

    Args:
        path: The file.

    Yields:
        ``("record <i>", value)`` for the items of a JSON list, else ``("line <n>", value)``.
    """
    if split_compression(path)[0] == ".json" and starts_with_bracket(path):
        yield from iter_json_array(path)
    else:
        yield from iter_jsonl(path)


def starts_with_bracket(path: Path) -> bool:
    """Tell whether the first non-blank line of a file starts with ``[`` (a JSON list).

    Args:
        path: The file.

    Returns:
        ``True`` if it does; ``False`` otherwise, also for a blank file.
    """
    for _, line in iter_lines(path):
        stripped = line.strip()
        if stripped:
            return stripped.startswith("[")
    return False


# --------------------------------------------------------------------------------------------------
# Suffixes, cells and messages.


def split_compression(path: Path) -> tuple[str, str]:
    """Split a file's suffixes into the data suffix and the compression suffix.

    Args:
        path: The file.

    Returns:
        ``(data_suffix, compression_suffix)`` in lower case, e.g. ``(".csv", ".xz")`` for
        ``train.csv.xz`` and ``(".csv", "")`` for ``train.csv``; missing parts are ``""``.
    """
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSED:
        return (suffixes[-2] if len(suffixes) > 1 else ""), suffixes[-1]
    return (suffixes[-1] if suffixes else ""), ""


def table_extension(path: Path) -> str | None:
    """Return the table extension of a file, ignoring a compression suffix.

    Args:
        path: The file.

    Returns:
        ``".csv"``, ``".tsv"``, ``".jsonl"`` or ``".json"``; ``None`` for any other file.
    """
    ext, _ = split_compression(path)
    return ext if ext in TABLE_EXTENSIONS else None


def snippet(text: str, limit: int = 60) -> str:
    """Render a text for a message: ``repr`` of at most ``limit`` characters (then ``...``).

    Args:
        text: The text.
        limit: The most characters shown.

    Returns:
        The quoted, possibly shortened text.
    """
    return repr(text if len(text) <= limit else text[:limit] + "...")


def cell(value: Any, path: Path, where: str, column: str, is_label: bool) -> str:
    """Convert a JSON value of a record's column to a string.

    Strings are kept, numbers are written with ``str``, booleans as ``true``/``false`` and ``null`` as
    ``""`` (an error for a label).

    Args:
        value: The JSON value.
        path: The file, for messages.
        where: The record, for messages (e.g. ``"line 3"``).
        column: The column name, for messages.
        is_label: Whether the column holds the label (then ``null`` is an error).

    Returns:
        The value as a string.

    Raises:
        DataError: If a label is ``null`` or the value is a JSON list or object.
    """
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
