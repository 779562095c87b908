"""What every cookbook example shares: where the data and the offline models are, and ``--tiny``.

``--tiny`` swaps the real pretrained encoder for a tiny random one (a WordPiece vocabulary built by electralab
from the example's own rows, 2 layers of width 32) and uses a few rows, so that CI runs every example end to
end in seconds. The numbers it prints then mean nothing; the code path is the real one.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import electralab as el

SHARED = Path(__file__).resolve().parents[2] / "shared"


@dataclass
class ExampleArgs:
    """The example's settings after ``--tiny`` was applied."""

    model: str
    data_dir: Path
    output_dir: Path
    rows: int
    tiny: bool


def offline_model(name: str) -> str:
    """The folder of a real pretrained encoder that works offline (``minilm`` or ``me5-small``)."""
    tool = SHARED / "tools" / "offline_models.py"
    out = subprocess.run([sys.executable, str(tool), name], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def tiny_encoder(texts: list[str], folder: Path) -> str:
    """A tiny random-init ELECTRA encoder whose vocabulary electralab builds from ``texts``."""
    from transformers import ElectraConfig, ElectraModel

    corpus = folder / "corpus.txt"
    folder.mkdir(parents=True, exist_ok=True)
    corpus.write_text("\n".join(t for t in texts if t.strip()) + "\n", encoding="utf-8")
    vocab = el.build_vocab([corpus], folder, size=1500, min_frequency=1, unused_slots=10)
    config = ElectraConfig(
        vocab_size=vocab.size, embedding_size=32, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=512,
    )  # fmt: skip
    ElectraModel(config).save_pretrained(folder)
    return str(folder)


def example_args(doc: str, model: str, rows: int, sample_texts: callable) -> ExampleArgs:
    """Parse ``--model``, ``--data-dir``, ``--output-dir``, ``--rows`` and ``--tiny``.

    Args:
        doc: The example's docstring (its ``--help``).
        model: The offline model used by default (``minilm`` or ``me5-small``).
        rows: Training rows used by default.
        sample_texts: Given the data folder, some of the example's texts (for the ``--tiny`` vocabulary).
    """
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help=f"encoder folder or hub id (default: the offline {model})")
    parser.add_argument("--data-dir", type=Path, default=SHARED / "data", help="folder of the datasets")
    parser.add_argument("--output-dir", type=Path, default=Path("runs/examples"), help="parent of the run folders")
    parser.add_argument("--rows", type=int, default=rows, help=f"training rows (default {rows})")
    parser.add_argument("--tiny", action="store_true", help="tiny random model and 120 rows: a smoke test")
    args = parser.parse_args()
    if args.tiny:
        folder = Path(tempfile.mkdtemp(prefix="electralab-tiny-"))
        return ExampleArgs(tiny_encoder(sample_texts(args.data_dir), folder), args.data_dir, args.output_dir, 120, True)
    return ExampleArgs(args.model or offline_model(model), args.data_dir, args.output_dir, args.rows, False)


def first_lines(path: Path, count: int = 400, column: int = 1) -> list[str]:
    """Field ``column`` of the first ``count`` lines of a tab- (or, failing that, space-) separated file."""
    with path.open(encoding="utf-8") as handle:
        lines = handle.read().splitlines()[: count + 1]
    return [line.split("\t" if "\t" in line else " ", column)[-1] for line in lines]
