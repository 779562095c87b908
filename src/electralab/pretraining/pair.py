"""The generator–discriminator pair: load or build both, share their embeddings, save them as HF folders.

Three ways in:

* a generator and a discriminator (hub ids or folders): ``ElectraForMaskedLM`` + any discriminator;
* a discriminator alone: a fresh ``ElectraForMaskedLM`` of its width and ``generator_fraction`` (1/3) of its
  depth, starting from a copy of the discriminator's lower layers (``generator_init=discriminator``, and ``auto``
  where the layers can be copied); or random, ``generator_fraction`` (0.25) of its width, same depth
  (``generator_init=random``, and ``auto`` from scratch).
  The discriminator may be an ELECTRA discriminator or any encoder ``AutoModel`` loads (BERT, RoBERTa, ...),
  which is wrapped with a dense → activation → dense(1) replaced-token-detection head;
* a named size (``small``, ``base``) or an ``ElectraConfig`` file, from random weights.

In every case the generator uses the discriminator's token/position/type embeddings and embedding
LayerNorm (the same ``Parameter`` objects), and its output layer is tied to that embedding table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import (
    AutoConfig,
    AutoModel,
    BertTokenizerFast,
    ElectraConfig,
    ElectraForMaskedLM,
    ElectraForPreTraining,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.activations import get_activation

from ..config import PretrainModelConfig
from ..errors import ModelLoadError
from ..models.loading import load_tokenizer

WARM_DEPTH = 1 / 3
"""Default depth of a generator copied from the discriminator's lower layers, as a fraction of its layers."""
FRESH_WIDTH = 0.25
"""Default width of a random generator, as a fraction of the discriminator's (the ELECTRA paper's)."""

RTD_HEAD_FILE = "rtd_head.safetensors"
SHARED_EMBEDDINGS = ("word_embeddings", "position_embeddings", "token_type_embeddings", "LayerNorm")
SIZES: dict[str, dict[str, int]] = {
    "small": {
        "hidden_size": 256,
        "num_hidden_layers": 12,
        "num_attention_heads": 4,
        "intermediate_size": 1024,
        "embedding_size": 128,
    },
    "base": {
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "embedding_size": 768,
    },
}
COLLAPSE_WARNING = (
    "the generator ({gen} hidden) is wider than the discriminator ({disc} hidden): the game tends to collapse "
    "(the generator wins, the discriminator learns little); 1/4 to 1/2 of the discriminator's width works best"
)


class RTDHead(nn.Module):
    """Replaced-token-detection head: dense → activation → dense(1), one logit per token."""

    def __init__(self, hidden_size: int, activation: str = "gelu") -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.activation = get_activation(activation)
        self.dense_prediction = nn.Linear(hidden_size, 1)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """Map hidden states (B, T, H) to logits (B, T)."""
        return self.dense_prediction(self.activation(self.dense(hidden_states))).squeeze(-1)


class EncoderDiscriminator(nn.Module):
    """Any Hugging Face encoder with an :class:`RTDHead`: the discriminator for non-ELECTRA encoders."""

    def __init__(self, encoder: PreTrainedModel, head: RTDHead | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head or RTDHead(encoder.config.hidden_size, getattr(encoder.config, "hidden_act", "gelu"))

    @property
    def config(self) -> PretrainedConfig:
        """The encoder's config."""
        return self.encoder.config

    def embeddings(self) -> nn.Module:
        """The encoder's embedding block."""
        return self.encoder.embeddings

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Replaced-token logits (B, T)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(hidden)

    def save_pretrained(self, folder: Path) -> None:
        """Save the encoder with ``save_pretrained`` (AutoModel loads it) and the head beside it."""
        self.encoder.save_pretrained(folder)
        save_file({k: v.contiguous() for k, v in self.head.state_dict().items()}, str(Path(folder) / RTD_HEAD_FILE))


Discriminator = ElectraForPreTraining | EncoderDiscriminator


@dataclass
class ModelPair:
    """A generator and a discriminator with shared embeddings, and the tokenizer they read."""

    generator: ElectraForMaskedLM
    discriminator: Discriminator
    tokenizer: PreTrainedTokenizerBase
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    generator_origin: str = ""
    """Where the generator came from, for the run summary."""

    @property
    def discriminator_hidden_size(self) -> int:
        """Hidden size of the discriminator (chooses the default learning rate)."""
        return int(self.discriminator.config.hidden_size)


def discriminator_encoder(discriminator: Discriminator) -> PreTrainedModel:
    """The discriminator's encoder without its replaced-token-detection head."""
    return discriminator.electra if isinstance(discriminator, ElectraForPreTraining) else discriminator.encoder


def discriminator_embeddings(discriminator: Discriminator) -> nn.Module:
    """The embedding block the generator shares."""
    encoder = discriminator_encoder(discriminator)
    embeddings = getattr(encoder, "embeddings", None)
    if embeddings is None or not isinstance(getattr(embeddings, "word_embeddings", None), nn.Embedding):
        raise ModelLoadError(
            f"the discriminator ({type(encoder).__name__}) has no embeddings.word_embeddings table "
            "the generator could share; pass a BERT/RoBERTa/ELECTRA-style encoder"
        )
    return embeddings


def discriminator_logits(
    discriminator: Discriminator, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> torch.Tensor:
    """Replaced-token logits (B, T) of either kind of discriminator."""
    if isinstance(discriminator, ElectraForPreTraining):
        return discriminator(input_ids=input_ids, attention_mask=attention_mask).logits
    return discriminator(input_ids, attention_mask)


def tie_embeddings(generator: ElectraForMaskedLM, discriminator: Discriminator) -> list[str]:
    """Make the generator use the discriminator's embedding modules; tie its output layer to the table.

    Returns:
        The names of the shared modules.

    Raises:
        ModelLoadError: If vocabularies or embedding shapes differ so the tables cannot be shared.
    """
    source = discriminator_embeddings(discriminator)
    target = generator.electra.embeddings
    shared = []
    for name in SHARED_EMBEDDINGS:
        theirs, ours = getattr(source, name, None), getattr(target, name)
        if theirs is None:
            continue
        if theirs.weight.shape != ours.weight.shape:
            rows_differ = theirs.weight.shape[0] != ours.weight.shape[0]
            what = "vocabularies" if name == "word_embeddings" and rows_differ else "embedding shapes"
            raise ModelLoadError(
                f"generator and discriminator have different {what}: {name} is {tuple(ours.weight.shape)} in the "
                f"generator and {tuple(theirs.weight.shape)} in the discriminator, so they cannot be tied; "
                "pass a generator released with this discriminator, or only --discriminator for a fresh generator"
            )
        setattr(target, name, theirs)
        shared.append(name)
    generator.generator_lm_head.weight = target.word_embeddings.weight
    return shared


def copy_lower_layers(generator: ElectraForMaskedLM, discriminator: Discriminator) -> int:
    """Copy the discriminator's first layers (and embedding projection) into a same-width generator.

    The generator gets copies, not shared modules: both go on learning on their own.

    Returns:
        How many layers were copied.

    Raises:
        ModelLoadError: If the discriminator's layers are not BERT/ELECTRA/RoBERTa-style layers of that shape.
    """
    base = discriminator_encoder(discriminator)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    targets = generator.electra.encoder.layer
    if not isinstance(layers, nn.ModuleList) or len(layers) < len(targets):
        raise ModelLoadError(
            f"model.generator_init=discriminator: the discriminator ({type(base).__name__}) has no encoder.layer list "
            f"of at least {len(targets)} layers to copy; use model.generator_init=random"
        )
    for index, target in enumerate(targets):
        source = layers[index].state_dict()
        shapes = {name: tuple(value.shape) for name, value in target.state_dict().items()}
        if {name: tuple(value.shape) for name, value in source.items()} != shapes:
            raise ModelLoadError(
                f"model.generator_init=discriminator: the discriminator's layer {index} "
                f"({type(layers[index]).__name__}) does not match an ELECTRA layer of its width; "
                "use model.generator_init=random"
            )
        target.load_state_dict(source)
    project = getattr(base, "embeddings_project", None)
    if project is not None and hasattr(generator.electra, "embeddings_project"):
        generator.electra.embeddings_project.load_state_dict(project.state_dict())
    return len(targets)


def _feed_forward_size(config: PretrainedConfig) -> int:
    """The discriminator's feed-forward width (``hidden_dim`` in DistilBERT's config), 4 × hidden if unnamed."""
    for name in ("intermediate_size", "hidden_dim"):
        if isinstance(getattr(config, name, None), int):
            return getattr(config, name)
    return 4 * config.hidden_size


def generator_config(discriminator: Discriminator, fraction: float, by_depth: bool = False) -> ElectraConfig:
    """Config of a fresh generator with the discriminator's embedding shapes.

    ``fraction`` of the discriminator's width at the same depth, or with ``by_depth`` the same width and
    ``fraction`` of its layers (at least one), so the discriminator's lower layers fit it.
    """
    config = discriminator.config
    embeddings = discriminator_embeddings(discriminator)
    width = 1.0 if by_depth else fraction
    hidden = max(1, round(config.hidden_size * width))
    heads = max(1, round(config.num_attention_heads * width))
    while hidden % heads:
        heads -= 1
    layers = max(1, round(config.num_hidden_layers * fraction)) if by_depth else config.num_hidden_layers
    types = getattr(embeddings, "token_type_embeddings", None)
    norm = getattr(embeddings, "LayerNorm", None)
    return ElectraConfig(
        vocab_size=embeddings.word_embeddings.num_embeddings,
        embedding_size=embeddings.word_embeddings.embedding_dim,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=max(1, round(_feed_forward_size(config) * width)),
        hidden_act=getattr(config, "hidden_act", "gelu"),
        hidden_dropout_prob=getattr(config, "hidden_dropout_prob", 0.1),
        attention_probs_dropout_prob=getattr(config, "attention_probs_dropout_prob", 0.1),
        max_position_embeddings=embeddings.position_embeddings.num_embeddings,
        type_vocab_size=types.num_embeddings if types is not None else 2,
        layer_norm_eps=norm.eps if norm is not None else 1e-12,
        pad_token_id=config.pad_token_id if config.pad_token_id is not None else 0,
    )


def _from_pretrained(cls: type, name: str, role: str, **kwargs: object) -> object:
    """``cls.from_pretrained(name)`` with one clear error line when the folder or hub id cannot be loaded."""
    path = Path(name).expanduser()
    if (name.startswith((".", "/", "~")) or name.count("/") > 1) and not path.is_dir():
        raise ModelLoadError(f"{role} folder {name} does not exist; pass an existing folder or a hub id")
    try:
        return cls.from_pretrained(str(path) if path.is_dir() else name, **kwargs)
    except (OSError, ValueError) as err:
        raise ModelLoadError(
            f"could not load the {role} {name!r} ({type(err).__name__}: {str(err).splitlines()[0][:160]}); "
            f"if the Hugging Face hub is unreachable, download it elsewhere and pass its local folder as the {role}"
        ) from None


def load_discriminator(name: str, notes: list[str]) -> Discriminator:
    """Load an ELECTRA discriminator, or wrap any other encoder with a fresh (or saved) RTD head."""
    config = _from_pretrained(AutoConfig, name, "discriminator")
    if config.model_type == "electra":
        model, info = _from_pretrained(ElectraForPreTraining, name, "discriminator", output_loading_info=True)
        if any(key.startswith("discriminator_predictions") for key in info.get("missing_keys", [])):
            notes.append(f"{name}: no replaced-token-detection head in the checkpoint; it starts fresh")
        return model
    encoder = _from_pretrained(AutoModel, name, "discriminator")
    discriminator = EncoderDiscriminator(encoder)
    head_file = Path(name).expanduser() / RTD_HEAD_FILE
    if head_file.is_file():
        discriminator.head.load_state_dict(load_file(str(head_file)))
    else:
        notes.append(f"{name}: a {config.model_type} encoder, wrapped with a fresh replaced-token-detection head")
    return discriminator


def _scratch_config(spec: str, tokenizer: PreTrainedTokenizerBase) -> ElectraConfig:
    if spec in SIZES:
        return ElectraConfig(**SIZES[spec], vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id or 0)
    path = Path(spec).expanduser()
    if not path.exists():
        raise ModelLoadError(
            f"model.from_scratch={spec!r}: expected a size ({', '.join(SIZES)}) or an ElectraConfig JSON file/folder"
        )
    config = ElectraConfig.from_pretrained(str(path)) if path.is_dir() else ElectraConfig.from_json_file(str(path))
    config.vocab_size = len(tokenizer)
    config.pad_token_id = tokenizer.pad_token_id or 0
    return config


def _load_tokenizer(name: str) -> PreTrainedTokenizerBase:
    folder = Path(name).expanduser()
    if folder.is_dir() and (folder / "vocab.txt").is_file() and not (folder / "tokenizer_config.json").is_file():
        return BertTokenizerFast(vocab=str(folder / "vocab.txt"), do_lower_case=False, strip_accents=False)
    return load_tokenizer(name)


def _check_tokenizer(tokenizer: PreTrainedTokenizerBase, vocab_size: int, source: str) -> None:
    if tokenizer.mask_token_id is None or tokenizer.pad_token_id is None:
        raise ModelLoadError(f"the tokenizer of {source} has no [MASK] or [PAD] token; pass a WordPiece/BPE vocab")
    if len(tokenizer) > vocab_size:
        raise ModelLoadError(
            f"the tokenizer of {source} has {len(tokenizer)} tokens but the embedding table only {vocab_size} rows; "
            "pass the vocabulary the model was trained with"
        )


def _check_generator_vocab(generator_name: str, discriminator_name: str, tokenizer: PreTrainedTokenizerBase) -> None:
    """Compare the generator's vocabulary with the discriminator's own (before any ``vocab extend``)."""
    try:
        generator_tokenizer = load_tokenizer(generator_name)
    except ModelLoadError:
        return  # a generator folder without tokenizer files: the embedding shapes are still checked
    try:
        tokenizer = load_tokenizer(discriminator_name)
    except ModelLoadError:
        pass  # a discriminator without tokenizer files: compare with the training tokenizer
    if generator_tokenizer.get_vocab() != tokenizer.get_vocab():
        raise ModelLoadError(
            f"generator {generator_name} and the discriminator have different vocabularies "
            f"({len(generator_tokenizer)} vs {len(tokenizer)} tokens); pass a generator trained with the same vocab"
        )


def build_pair(config: PretrainModelConfig) -> ModelPair:
    """Load or build the generator and discriminator named by ``config`` and share their embeddings.

    Raises:
        ModelLoadError: If a model cannot be loaded, or the two cannot share embeddings.
    """
    notes: list[str] = []
    warnings: list[str] = []
    if config.from_scratch is not None:
        tokenizer = _load_tokenizer(config.vocab)  # type: ignore[arg-type]
        discriminator: Discriminator = ElectraForPreTraining(_scratch_config(config.from_scratch, tokenizer))
        notes.append(f"discriminator from scratch: {config.from_scratch}")
    else:
        discriminator = load_discriminator(config.discriminator, notes)  # type: ignore[arg-type]
        tokenizer = _load_tokenizer(config.vocab or config.discriminator)  # type: ignore[arg-type]
    vocab_size = discriminator_embeddings(discriminator).word_embeddings.num_embeddings
    _check_tokenizer(tokenizer, vocab_size, config.vocab or config.discriminator or "")
    if config.generator is not None:
        generator = _from_pretrained(ElectraForMaskedLM, config.generator, "generator")
        _check_generator_vocab(config.generator, config.discriminator, tokenizer)  # type: ignore[arg-type]
        origin = config.generator
    elif config.generator_init == "random" or config.from_scratch is not None:
        generator, origin = _random_generator(discriminator, config.generator_fraction, notes)
    else:
        try:
            generator, origin = _warm_generator(discriminator, config.generator_fraction, notes)
        except ModelLoadError:
            if config.generator_init == "discriminator":
                raise
            encoder = type(discriminator_encoder(discriminator)).__name__
            notes.append(f"generator_init=auto: {encoder}'s layers cannot be copied into an ELECTRA generator")
            generator, origin = _random_generator(discriminator, config.generator_fraction, notes)
    if generator.config.hidden_size > discriminator.config.hidden_size:
        warnings.append(
            COLLAPSE_WARNING.format(gen=generator.config.hidden_size, disc=discriminator.config.hidden_size)
        )
    shared = tie_embeddings(generator, discriminator)
    notes.append(f"shared embeddings: {', '.join(shared)}; generator output tied to the word embeddings")
    return ModelPair(generator, discriminator, tokenizer, notes, warnings, origin)


def _warm_generator(
    discriminator: Discriminator, fraction: float | None, notes: list[str]
) -> tuple[ElectraForMaskedLM, str]:
    """A generator of the discriminator's width whose layers start as copies of its lower layers."""
    generator = ElectraForMaskedLM(generator_config(discriminator, fraction or WARM_DEPTH, by_depth=True))
    copied = copy_lower_layers(generator, discriminator)
    origin = f"the discriminator's lower {copied} of {discriminator.config.num_hidden_layers} layers"
    notes.append(f"generator from {origin} (hidden {generator.config.hidden_size}); its prediction head starts fresh")
    return generator, origin


def _random_generator(
    discriminator: Discriminator, fraction: float | None, notes: list[str]
) -> tuple[ElectraForMaskedLM, str]:
    """A randomly initialised generator, ``fraction`` of the discriminator's width at its depth."""
    width = fraction or FRESH_WIDTH
    generator = ElectraForMaskedLM(generator_config(discriminator, width))
    notes.append(
        f"fresh generator: hidden {generator.config.hidden_size} ({width:g} of {discriminator.config.hidden_size}), "
        f"{generator.config.num_hidden_layers} layers"
    )
    return generator, f"fresh ({width:g} width)"


def save_pair(pair: ModelPair, run_dir: Path) -> tuple[Path, Path]:
    """Write ``discriminator/`` and ``generator/`` Hugging Face folders (with the tokenizer) into ``run_dir``."""
    folders = run_dir / "discriminator", run_dir / "generator"
    for folder, model in zip(folders, (pair.discriminator, pair.generator), strict=True):
        folder.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(folder)
        pair.tokenizer.save_pretrained(folder)
        vocab = sorted(pair.tokenizer.get_vocab().items(), key=lambda item: item[1])
        (folder / "vocab.txt").write_text("".join(f"{token}\n" for token, _ in vocab), encoding="utf-8")
    return folders
