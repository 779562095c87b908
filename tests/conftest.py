"""Shared fixtures: tiny random-init encoders with a vocabulary written into tmp_path, toy data."""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path

import pytest
import torch
from transformers import BertTokenizerFast, ElectraConfig, ElectraModel

torch.set_num_threads(1)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
POSITIVE = ["good", "great", "fine", "superb"]
NEGATIVE = ["bad", "awful", "poor", "dull"]
FILLER = [f"w{i}" for i in range(40)]


def nsmc_rows(limit: int = 400) -> list[str]:
    """The first documents of NSMC train (for building a vocabulary that covers them)."""
    path = SHARED_DATA / "nsmc" / "ratings_train.txt"
    with path.open(encoding="utf-8") as handle:
        next(handle)
        return [line.split("\t")[1] for _, line in zip(range(limit), handle, strict=False)]


def write_encoder(folder: Path, words: list[str], lowercase: bool = False, hidden: int = 32) -> Path:
    """Write a tiny random-init ELECTRA discriminator + WordPiece tokenizer folder."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(SPECIALS + words) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab=str(vocab), do_lower_case=lowercase, strip_accents=None)
    tokenizer.save_pretrained(folder)
    config = ElectraConfig(
        vocab_size=len(SPECIALS) + len(words),
        embedding_size=hidden,
        hidden_size=hidden,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=256,
    )
    torch.manual_seed(0)
    ElectraModel(config).save_pretrained(folder)
    return folder


def korean_vocabulary(texts: list[str], size: int = 1200) -> list[str]:
    """Characters and ##characters of the most common symbols in ``texts`` (a char-level WordPiece)."""
    counts = Counter(ch for text in texts for ch in text if not ch.isspace())
    chars = [ch for ch, _ in counts.most_common(size)]
    return chars + [f"##{ch}" for ch in chars]


@pytest.fixture(scope="session")
def toy_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny English-word encoder for the toy sentiment task."""
    return write_encoder(tmp_path_factory.mktemp("toy-encoder"), POSITIVE + NEGATIVE + FILLER)


@pytest.fixture(scope="session")
def korean_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny cased encoder whose character vocabulary covers the first NSMC rows."""
    return write_encoder(tmp_path_factory.mktemp("ko-encoder"), korean_vocabulary(nsmc_rows(2000)))


def toy_rows(n: int, seed: int) -> list[tuple[str, str]]:
    """A separable task: the label is the sentiment word hidden among filler words."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        label = rng.choice(["positive", "negative"])
        words = rng.choices(FILLER, k=rng.randint(3, 12))
        words.insert(rng.randrange(len(words) + 1), rng.choice(POSITIVE if label == "positive" else NEGATIVE))
        rows.append((" ".join(words), label))
    return rows


def write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, str] = ("text", "label")) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def toy_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder with train.csv / test.csv of the separable toy task."""
    folder = tmp_path_factory.mktemp("toy-data")
    write_csv(folder / "train.csv", toy_rows(480, seed=1))
    write_csv(folder / "test.csv", toy_rows(160, seed=2))
    return folder
