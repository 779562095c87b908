"""Put domain words into the ``[unusedN]`` slots of an existing WordPiece vocabulary.

The embedding table keeps its size: each word takes the id of an unused slot, whose embedding row was
never trained, so further pretraining (``electralab pretrain``) can learn it. Words are normalised the way
the tokenizer normalises text (so a lowercasing tokenizer stores them lowercased); a word already in the
vocabulary, or one the pre-tokenizer would split (spaces, punctuation), is refused.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path

from tokenizers import models
from transformers import PreTrainedTokenizerBase

from ..errors import DataError
from ..models.loading import load_tokenizer

_UNUSED = re.compile(r"^\[unused\d+\]$")


@dataclass(frozen=True)
class WordExtension:
    """One domain word: the slot it took and how it tokenised before and after."""

    word: str
    slot: str
    token_id: int
    before: list[str]
    after: list[str]


def read_words(path: str | Path) -> list[str]:
    """Domain words, one per line (blank lines and ``#`` comments skipped, duplicates refused).

    Raises:
        DataError: If the file is missing, not UTF-8, empty or repeats a word.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path}: words file not found; pass a text file with one domain word per line to --words")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not valid UTF-8 at byte offset {err.start}; convert the file to UTF-8") from None
    words: list[str] = []
    for number, line in enumerate(lines, start=1):
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        if word in words:
            raise DataError(f"{path} line {number}: {word!r} is listed twice; list each word once")
        words.append(word)
    if not words:
        raise DataError(f"{path}: no words (only blank lines or comments); list one domain word per line")
    return words


def unused_slots(tokenizer: PreTrainedTokenizerBase) -> list[tuple[str, int]]:
    """The ``[unusedN]`` tokens of the vocabulary that are plain vocabulary entries, by id."""
    added = {token.content for token in tokenizer.added_tokens_decoder.values()}
    vocab = tokenizer.get_vocab()
    return sorted(((t, i) for t, i in vocab.items() if _UNUSED.match(t) and t not in added), key=lambda x: x[1])


def _normalise(tokenizer: PreTrainedTokenizerBase, words: list[str]) -> list[str]:
    backend = tokenizer.backend_tokenizer
    normalised = [backend.normalizer.normalize_str(w) if backend.normalizer else w for w in words]
    split = [
        (word, [piece for piece, _ in backend.pre_tokenizer.pre_tokenize_str(norm)])
        for word, norm in zip(words, normalised, strict=True)
        if backend.pre_tokenizer is not None and len(backend.pre_tokenizer.pre_tokenize_str(norm)) != 1
    ]
    if split:
        shown = "; ".join(f"{word!r} → {pieces}" for word, pieces in split[:5])
        raise DataError(
            f"{len(split)} word(s) would be split before WordPiece (spaces or punctuation) and can never be one "
            f"token: {shown}; remove them from the words file"
        )
    return normalised


def extend_vocab(model: str, words: list[str], output: str | Path) -> list[WordExtension]:
    """Write ``words`` into the ``[unused]`` slots of ``model``'s vocabulary and save the tokenizer to ``output``.

    Args:
        model: Hub id or folder whose tokenizer is a WordPiece vocabulary with ``[unusedN]`` tokens.
        words: Domain words, in the order they take the slots.
        output: Folder for the new tokenizer (vocab.txt, tokenizer.json, tokenizer_config.json).

    Returns:
        One :class:`WordExtension` per word, with its tokens before and after.

    Raises:
        DataError: If the tokenizer is not WordPiece, a word is already in the vocabulary or would be
            split by the pre-tokenizer, or there are fewer unused slots than words.
        ModelLoadError: If the tokenizer cannot be loaded.
    """
    tokenizer = load_tokenizer(model)
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or not isinstance(backend.model, models.WordPiece):
        raise DataError(f"{model}: the tokenizer is not a WordPiece vocabulary; vocab extend needs [unused] slots")
    normalised = _normalise(tokenizer, words)
    vocab = tokenizer.get_vocab()
    known = [word for word, norm in zip(words, normalised, strict=True) if norm in vocab]
    if known:
        raise DataError(
            f"{len(known)} word(s) already in the vocabulary of {model}: {', '.join(known[:10])}; drop them"
        )
    slots = unused_slots(tokenizer)
    if len(slots) < len(words):
        raise DataError(
            f"{len(words)} words but {model} has only {len(slots)} [unused] slots; "
            f"shorten the words file to {len(slots)} words or build a new vocabulary with `electralab vocab build`"
        )
    new_vocab = dict(vocab)
    for norm, (slot, token_id) in zip(normalised, slots, strict=False):
        del new_vocab[slot]
        new_vocab[norm] = token_id
    extended = copy.deepcopy(tokenizer)
    old = backend.model
    extended.backend_tokenizer.model = models.WordPiece(
        vocab=new_vocab,
        unk_token=old.unk_token,
        continuing_subword_prefix=old.continuing_subword_prefix,
        max_input_chars_per_word=old.max_input_chars_per_word,
    )
    folder = Path(output).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    extended.save_pretrained(folder)
    ordered = sorted(new_vocab.items(), key=lambda item: item[1])
    (folder / "vocab.txt").write_text("".join(f"{token}\n" for token, _ in ordered), encoding="utf-8")
    return [
        WordExtension(word, slot, token_id, tokenizer.tokenize(word), extended.tokenize(word))
        for word, (slot, token_id) in zip(words, slots, strict=False)
    ]
