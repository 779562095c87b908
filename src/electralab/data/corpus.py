"""A text corpus on disk: files, folders or globs of .txt / .csv / .tsv / .jsonl → a ``datasets`` column of documents.

Plain text files hold one document per line or documents separated by blank lines; CSV/TSV/JSONL
files hold documents in a column. Everything goes through ``datasets`` (Arrow, cached, memory-mapped),
or lazily as an ``IterableDataset`` when ``streaming`` is on. Used by pretraining and vocabulary building.
"""

from __future__ import annotations

import codecs
import glob
import re
from pathlib import Path
from typing import Any

import datasets

from ..config import CorpusConfig
from ..errors import DataError

TEXT_SUFFIXES = {".txt", ".text"}
TABLE_BUILDERS = {".csv": "csv", ".tsv": "csv", ".jsonl": "json", ".json": "json"}
_CHUNK = 1 << 20
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def find_corpus_files(paths: list[str]) -> list[Path]:
    """Expand files, folders (their text/table files, recursively) and glob patterns, in sorted order.

    Raises:
        DataError: If nothing matches, or the files mix plain text and table formats.
    """
    if not paths:
        raise DataError("no corpus given: pass --corpus with text files, a folder or a glob pattern")
    found: list[Path] = []
    known = TEXT_SUFFIXES | set(TABLE_BUILDERS)
    for entry in paths:
        path = Path(entry).expanduser()
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in known)
        elif path.is_file():
            found.append(path)
        else:
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
            if not matches:
                raise DataError(f"corpus path {entry} matches no file; pass existing files, a folder or a glob")
            found += matches
    if not found:
        raise DataError(f"corpus {', '.join(paths)}: no .txt/.csv/.tsv/.jsonl files found; the corpus is empty")
    kinds = {builder_of(path) for path in found}
    if len(kinds) > 1:
        raise DataError(f"corpus mixes file formats ({', '.join(sorted(kinds))}); pass files of one format per run")
    return list(dict.fromkeys(found))


def builder_of(path: Path) -> str:
    """The ``datasets`` builder that reads ``path``: text, csv or json."""
    return TABLE_BUILDERS.get(path.suffix.lower(), "text")


def check_utf8(path: Path) -> None:
    """Decode ``path`` as strict UTF-8 in chunks.

    Raises:
        DataError: Naming the file and the byte offset of the first undecodable byte.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    offset = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK)
            pending = len(decoder.getstate()[0])  # bytes of a character split across chunks
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as err:
                raise DataError(
                    f"{path}: not valid UTF-8 at byte offset {offset - pending + err.start} ({err.reason}); "
                    "convert the file to UTF-8 (e.g. iconv -f cp949 -t utf-8)"
                ) from None
            if not chunk:
                return
            offset += len(chunk)


def load_documents(
    config: CorpusConfig, files: list[Path] | None = None
) -> datasets.Dataset | datasets.IterableDataset:
    """Read the corpus into a dataset with one ``text`` column (one document per row, blank ones dropped).

    Raises:
        DataError: If a file is not UTF-8, lacks the text column, or the corpus has no document.
    """
    files = files if files is not None else find_corpus_files(config.paths)
    for path in files:
        check_utf8(path)
    builder = builder_of(files[0])
    kwargs: dict[str, Any] = {"data_files": [str(p) for p in files], "split": "train", "streaming": config.streaming}
    if builder == "text":
        kwargs["sample_by"] = "line" if config.documents == "line" else "paragraph"
    elif files[0].suffix.lower() == ".tsv":
        kwargs["delimiter"] = "\t"
    try:
        raw = datasets.load_dataset(builder, **kwargs)
    except (ValueError, datasets.exceptions.DatasetGenerationError) as err:
        raise read_error(files, builder, err) from None
    try:
        columns = raw.column_names or list(next(iter(raw), {}).keys())  # a stream is read only now
    except ValueError as err:
        raise read_error(files, builder, err) from None
    column = "text" if builder == "text" else config.text_column
    if column not in columns:
        raise DataError(
            f"corpus {files[0]}: no column {column!r} (columns: {', '.join(columns)}); set corpus.text_column"
        )
    raw = raw.select_columns([column])
    if column != "text":
        raw = raw.rename_column(column, "text")
    if builder == "text" and config.documents == "blank_line":
        # datasets splits paragraphs on "\n\n" only; a line of spaces also separates documents.
        raw = raw.map(lambda batch: {"text": [d for t in batch["text"] for d in _BLANK_LINE.split(t)]}, batched=True)
    return raw.filter(lambda text: isinstance(text, str) and bool(text.strip()), input_columns="text")


def read_error(files: list[Path], builder: str, err: Exception) -> DataError:
    """The one-line error for a corpus ``datasets`` could not read."""
    cause = str(err.__cause__ or err).strip().splitlines()[-1][:200]
    where = files[0] if len(files) == 1 else f"{files[0]} (+{len(files) - 1} more)"
    return DataError(f"corpus {where}: could not read it as {builder} ({cause}); check the file format")
