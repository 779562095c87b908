"""The pretraining corpus: files → documents → token ids packed into fixed-length ``[CLS] ... [SEP]`` sequences.

Plain text files hold one document per line or documents separated by blank lines; CSV/TSV/JSONL
files hold documents in a column. Everything goes through ``datasets`` (Arrow, cached, memory-mapped),
or lazily as an ``IterableDataset`` when ``streaming`` is on.
"""

from __future__ import annotations

from typing import Any

import datasets
from transformers import PreTrainedTokenizerBase

from ..config import CorpusConfig
from ..data.corpus import builder_of, find_corpus_files, load_documents, read_error
from ..errors import DataError


def pack_sequences(token_lists: list[list[int]], cls_id: int, sep_id: int, max_length: int) -> list[list[int]]:
    """Concatenate documents (separated by [SEP]) and cut them into ``[CLS] chunk [SEP]`` sequences.

    A chunk never starts or ends with the document separator (the closing [SEP] ends the document
    instead), so every sequence but the last is ``max_length`` long, or one token shorter where a
    document ends exactly at a cut.
    """
    stream: list[int] = []
    for ids in token_lists:
        if ids:
            stream += ids + [sep_id]
    body = max_length - 2
    sequences = []
    start = 0
    while start < len(stream):
        if stream[start] == sep_id:
            start += 1
            continue
        chunk = stream[start : start + body]
        start += body
        if chunk[-1] == sep_id:
            chunk = chunk[:-1]
        sequences.append([cls_id, *chunk, sep_id])
    return sequences


def tokenize_corpus(
    documents: datasets.Dataset | datasets.IterableDataset,
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    batch_size: int = 1000,
) -> datasets.Dataset | datasets.IterableDataset:
    """Tokenise documents and pack them into ``input_ids``/``attention_mask`` rows (``map(batched=True)``)."""

    def _pack(batch: dict[str, list[str]]) -> dict[str, list[list[int]]]:
        ids = tokenizer(batch["text"], add_special_tokens=False, return_attention_mask=False)["input_ids"]
        packed = pack_sequences(ids, tokenizer.cls_token_id, tokenizer.sep_token_id, max_length)
        return {"input_ids": packed, "attention_mask": [[1] * len(seq) for seq in packed]}

    kwargs: dict[str, Any] = {"batched": True, "batch_size": batch_size, "remove_columns": ["text"]}
    if isinstance(documents, datasets.Dataset):
        kwargs["desc"] = "tokenising and packing"
    return documents.map(_pack, **kwargs)


def pretraining_dataset(
    config: CorpusConfig, tokenizer: PreTrainedTokenizerBase
) -> datasets.Dataset | datasets.IterableDataset:
    """Find, check, read, tokenise and pack the corpus.

    Raises:
        DataError: If the corpus is missing, empty, not UTF-8 or lacks its text column.
    """
    files = find_corpus_files(config.paths)
    empty = [path for path in files if path.stat().st_size == 0]
    if len(empty) == len(files):
        raise DataError(f"corpus {', '.join(map(str, files[:3]))}: every file is empty (0 bytes); the corpus is empty")
    packed = tokenize_corpus(load_documents(config, files), tokenizer, config.max_length)
    if isinstance(packed, datasets.IterableDataset):
        try:  # a streamed corpus is read only now
            first = next(iter(packed), None)
        except ValueError as err:
            raise read_error(files, builder_of(files[0]), err) from None
    else:
        first = packed[0] if len(packed) else None
    if first is None:
        raise DataError(
            f"corpus {', '.join(map(str, files[:3]))}: no text to train on (only blank lines or empty cells); "
            "the corpus is empty"
        )
    return packed


def collate(pad_token_id: int) -> Any:
    """A collator padding ``input_ids`` (with ``pad_token_id``) and ``attention_mask`` (with 0) to the longest row."""
    import torch

    def _collate(rows: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        width = max(len(row["input_ids"]) for row in rows)
        input_ids = torch.full((len(rows), width), pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, : len(row["input_ids"])] = torch.tensor(row["input_ids"])
            attention_mask[i, : len(row["input_ids"])] = 1
        return {"input_ids": input_ids, "attention_mask": attention_mask}

    return _collate
