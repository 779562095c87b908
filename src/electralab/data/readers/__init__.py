"""Readers for the supported data formats, each giving a ``datasets.Dataset`` of ``text`` and ``label``.

Every reader streams its file as bytes, decodes strict UTF-8 (an undecodable byte is reported with the
file, line number and byte offset), keeps the file's row order, keeps empty texts as ``""`` and returns
label *names* as strings. Errors are :class:`~electralab.errors.DataError` with a one-line message that
names the file, the line or row, what was expected and what to do.

Registered formats (see :data:`READERS`), one module each:

* :mod:`~electralab.data.readers.nsmc`: ``nsmc`` (Naver Sentiment Movie Corpus).
* :mod:`~electralab.data.readers.ynat`: ``ynat`` (KLUE YNAT TSV or JSON) and ``klue_json``.
* :mod:`~electralab.data.readers.imdb`: ``imdb`` (CSV or an ``aclImdb/<split>`` folder).
* :mod:`~electralab.data.readers.sst2`: ``sst2`` (``<label> <sentence>`` lines).
* :mod:`~electralab.data.readers.table`: ``table`` (generic ``.csv`` / ``.tsv`` / ``.jsonl`` / ``.json``
  with configurable column names).

The registry and the entry points live in :mod:`~electralab.data.readers.registry`; the low-level file
helpers in :mod:`electralab.data.io`.
"""

from . import imdb, nsmc, sst2, table, ynat  # noqa: F401  (registration side effects)
from .registry import READERS, Columns, Reader, read_split, read_text_lines, read_texts, register_reader

__all__ = ["READERS", "Columns", "Reader", "read_split", "read_text_lines", "read_texts", "register_reader"]
