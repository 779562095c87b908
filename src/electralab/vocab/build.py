"""Build a WordPiece vocabulary from a corpus with the ``tokenizers`` library, keeping Hangul intact.

The normaliser is BERT's with ``lowercase=False`` and ``strip_accents=False`` and no NFKC: lowercasing
with accent stripping decomposes Hangul syllables, and NFKC rewrites compatibility jamo (ㅋ) into other
code points that end up [UNK]. The result is a folder ``AutoTokenizer.from_pretrained`` loads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tokenizers import BertWordPieceTokenizer
from transformers import BertTokenizerFast, PreTrainedTokenizerBase

from ..config import CorpusConfig
from ..data.corpus import find_corpus_files, load_documents
from ..errors import ConfigError, DataError

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


@dataclass
class VocabResult:
    """Where the vocabulary was written and what it holds."""

    folder: Path
    size: int
    requested_size: int
    unused_slots: int
    documents: int

    def describe(self) -> str:
        """One line for the CLI (saying so when the alphabet alone outgrew the requested size)."""
        line = f"{self.size} tokens ({self.unused_slots} [unused]) from {self.documents} documents: {self.folder}"
        if self.size > self.requested_size:
            line += (
                f"\nnote: {self.size} > --size {self.requested_size}: every character of the corpus (and its ## form) "
                "is kept; raise --size or lower --limit-alphabet"
            )
        return line


def _texts(corpus: CorpusConfig, files: list[Path], counter: list[int], batch: int = 1000) -> Iterator[list[str]]:
    documents = load_documents(dataclasses.replace(corpus, streaming=True), files)
    chunk: list[str] = []
    for row in documents:
        chunk.append(row["text"])
        counter[0] += 1
        if len(chunk) == batch:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build_vocab(
    corpus: list[str],
    output: str | Path,
    size: int = 32000,
    min_frequency: int = 2,
    limit_alphabet: int = 10000,
    unused_slots: int = 100,
    documents: str = "line",
    text_column: str = "text",
) -> VocabResult:
    """Train a cased WordPiece vocabulary on ``corpus`` and write it to ``output``.

    The vocabulary starts with [PAD] [UNK] [CLS] [SEP] [MASK], then ``unused_slots`` tokens
    ``[unused0]``... (for ``vocab extend``), then the learned word pieces.

    Args:
        corpus: Text/CSV/JSONL files, folders or glob patterns.
        output: Folder for vocab.txt, tokenizer.json and tokenizer_config.json.
        size: Vocabulary size, special and unused tokens included.
        min_frequency: Least count of a merged piece.
        limit_alphabet: Most distinct characters kept (Korean text needs thousands of syllables).
        unused_slots: ``[unusedN]`` placeholders reserved for domain words.
        documents: Plain text: ``line`` (one document per line) or ``blank_line``.
        text_column: Column of CSV/JSONL files.

    Raises:
        ConfigError: If ``size`` leaves no room for learned pieces.
        DataError: If the corpus is missing, empty or not UTF-8.
    """
    reserved = len(SPECIAL_TOKENS) + unused_slots
    if size <= reserved or unused_slots < 0:
        raise ConfigError(f"--size {size}: must exceed the {reserved} special and [unused] tokens; raise --size")
    config = CorpusConfig(paths=list(corpus), documents=documents, text_column=text_column)  # type: ignore[arg-type]
    files = find_corpus_files(config.paths)
    trainer_tokenizer = BertWordPieceTokenizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False
    )
    counter = [0]
    trainer_tokenizer.train_from_iterator(
        _texts(config, files, counter),
        vocab_size=size - unused_slots,
        min_frequency=min_frequency,
        limit_alphabet=limit_alphabet,
        special_tokens=list(SPECIAL_TOKENS),
        show_progress=False,
    )
    if counter[0] == 0:
        raise DataError(f"corpus {', '.join(map(str, files[:3]))}: no text (only blank lines); the corpus is empty")
    learned = sorted(trainer_tokenizer.get_vocab().items(), key=lambda item: item[1])[len(SPECIAL_TOKENS) :]
    tokens = [*SPECIAL_TOKENS, *(f"[unused{i}]" for i in range(unused_slots)), *(token for token, _ in learned)]
    folder = Path(output).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    write_vocab_folder(tokens, folder)
    return VocabResult(folder, len(tokens), size, unused_slots, counter[0])


def write_vocab_folder(tokens: list[str], folder: Path, model_max_length: int = 512) -> PreTrainedTokenizerBase:
    """Write ``vocab.txt`` and a cased, accent-keeping BERT tokenizer built from it into ``folder``."""
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("".join(f"{token}\n" for token in tokens), encoding="utf-8")
    tokenizer = BertTokenizerFast(
        vocab=str(vocab_file),
        do_lower_case=False,
        strip_accents=False,
        tokenize_chinese_chars=True,
        model_max_length=model_max_length,
    )
    tokenizer.save_pretrained(folder)
    return tokenizer
