"""The reader registry and the entry points :func:`read_split` and :func:`read_texts`.

The format modules of this package register their readers here with :func:`register_reader`; importing
:mod:`electralab.data.readers` imports them all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from datasets import Dataset

from ...errors import DataError
from ..io import empty_file, file_not_found, iter_lines, no_data_rows, table_extension

Columns = dict[str, list[str]]
"""What a reader returns: ``text`` and ``label`` (and ``text_pair``) as equal-length lists of strings."""

Reader = Callable[..., Columns]
"""A reader: ``reader(path, *, text_column, text_pair_column, label_column, max_rows, require_label)``."""

READERS: dict[str, Reader] = {}
"""Registry of readers by stable format name (the value of ``data.format``)."""


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
    reader = _reader(fmt)
    if max_rows is not None and max_rows < 1:
        raise ValueError(f"max_rows must be None or at least 1, got {max_rows}")
    path = _existing_path(fmt, path)
    columns = reader(
        path,
        text_column=text_column,
        text_pair_column=text_pair_column,
        label_column=label_column,
        max_rows=max_rows,
        require_label=require_label,
    )
    if not columns.get("text"):
        raise no_data_rows(path, fmt)
    order = [name for name in ("text", "text_pair", "label") if name in columns]
    return Dataset.from_dict({name: columns[name] for name in order})


def read_text_lines(path: str | Path) -> list[tuple[int, str]]:
    """Every line of a plain-text file with its 1-based line number, blank lines included (strict UTF-8).

    Raises:
        DataError: If the file does not exist or is not valid UTF-8.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        what = "is a directory" if path.exists() else "not found"
        raise DataError(f"{path}: input file {what}; pass a text file with one text per line to --input")
    return [(number, line.rstrip("\r\n")) for number, line in iter_lines(path)]


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
    if table_extension(path) is not None:
        dataset = read_split("table", path, text_column=text_column, require_label=False)
        return list(dataset["text"])
    texts = [text for _, text in read_text_lines(path) if text.strip()]
    if not texts:
        raise DataError(f"{path}: no texts (the file is empty or blank); expected one text per line")
    return texts


def _reader(fmt: str) -> Reader:
    """Look up a registered reader; raise a ``DataError`` that lists the known formats."""
    reader = READERS.get(fmt)
    if reader is None:
        raise DataError(
            f"unknown data format {fmt!r}; known formats are [{', '.join(sorted(READERS))}]; "
            "set data.format to one of them"
        )
    return reader


def _existing_path(fmt: str, path: str | Path) -> Path:
    """Expand ``path``; raise if it does not exist or is an empty file."""
    path = Path(path).expanduser()
    if not path.exists():
        raise file_not_found(path)
    if path.is_file() and path.stat().st_size == 0:
        raise empty_file(path, fmt)
    return path
