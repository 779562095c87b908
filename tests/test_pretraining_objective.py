"""The ELECTRA objective: masking rates, Gumbel sampling, shared embeddings, no gradient into the generator."""

from __future__ import annotations

import pytest
import torch
from conftest import FILLER, SPECIALS, write_encoder
from transformers import (
    BertConfig,
    BertModel,
    DistilBertConfig,
    DistilBertModel,
    ElectraConfig,
    ElectraForMaskedLM,
    ElectraForPreTraining,
)

from electralab.config import ObjectiveConfig, PretrainModelConfig
from electralab.errors import ConfigError, ModelLoadError
from electralab.pretraining.masking import mask_tokens, maskable_positions, sample_tokens
from electralab.pretraining.model import ElectraPretrainingModel
from electralab.pretraining.pair import (
    SIZES,
    EncoderDiscriminator,
    build_pair,
    copy_lower_layers,
    generator_config,
    tie_embeddings,
)

torch.set_num_threads(1)
PAD, UNK, CLS, SEP, MASK = range(5)
VOCAB = len(SPECIALS) + 40


def _electra_config(**kwargs) -> ElectraConfig:
    values = dict(
        vocab_size=VOCAB,
        embedding_size=32,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
    )
    return ElectraConfig(**{**values, **kwargs})


def _batch(batch: int = 64, length: int = 48, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """[CLS] words [SEP] [PAD]...: random lengths, ids of ordinary words only between the specials."""
    rng = torch.Generator().manual_seed(seed)
    input_ids = torch.full((batch, length), PAD)
    attention_mask = torch.zeros((batch, length), dtype=torch.long)
    lengths = torch.randint(8, length + 1, (batch,), generator=rng)
    for i, n in enumerate(lengths.tolist()):
        input_ids[i, :n] = torch.randint(len(SPECIALS), VOCAB, (n,), generator=rng)
        input_ids[i, 0], input_ids[i, n - 1] = CLS, SEP
        attention_mask[i, :n] = 1
    return input_ids, attention_mask


def _model(objective: ObjectiveConfig | None = None) -> ElectraPretrainingModel:
    torch.manual_seed(0)
    discriminator = ElectraForPreTraining(_electra_config())
    generator = ElectraForMaskedLM(generator_config(discriminator, 0.5))
    tie_embeddings(generator, discriminator)
    return ElectraPretrainingModel(
        generator, discriminator, MASK, [PAD, UNK, CLS, SEP, MASK], objective or ObjectiveConfig()
    )


def test_masking_rates_and_never_special_or_pad():
    input_ids, attention_mask = _batch(batch=512, length=64)
    maskable = maskable_positions(input_ids, attention_mask, [PAD, UNK, CLS, SEP, MASK])
    torch.manual_seed(1)
    masked_input_ids, masked = mask_tokens(input_ids, maskable, MASK, 0.15, 0.85)
    assert not masked[~maskable].any(), "specials and padding are never selected"
    assert not (input_ids[masked] < len(SPECIALS)).any()
    rate = masked.sum() / maskable.sum()
    assert rate.item() == pytest.approx(0.15, abs=0.01)
    shown_mask = masked_input_ids == MASK
    assert (shown_mask <= masked).all(), "[MASK] appears only at selected positions"
    assert (shown_mask[masked].float().mean()).item() == pytest.approx(0.85, abs=0.02)
    # The other 15% of the selected tokens are unchanged: no random token anywhere.
    unchanged = masked & ~shown_mask
    assert torch.equal(masked_input_ids[unchanged], input_ids[unchanged])
    assert torch.equal(masked_input_ids[~masked], input_ids[~masked])


def test_sampled_tokens_follow_the_softmax():
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0]]).expand(40000, 4)
    torch.manual_seed(0)
    samples = sample_tokens(logits)
    frequencies = torch.bincount(samples, minlength=4).float() / len(samples)
    assert torch.allclose(frequencies, torch.softmax(logits[0], -1), atol=0.01)
    assert torch.equal(sample_tokens(logits[:3] * 1000), torch.zeros(3, dtype=torch.long)), "peaked → argmax"
    hot = torch.tensor([[-1e4, -1e4, 0.0, -1e4]]).expand(1000, 4)  # zero-probability tokens are never drawn
    assert torch.equal(sample_tokens(hot), torch.full((1000,), 2))
    cooled = sample_tokens(logits, temperature=0.5)
    cooled_frequencies = torch.bincount(cooled, minlength=4).float() / len(cooled)
    assert torch.allclose(cooled_frequencies, torch.softmax(logits[0] / 0.5, -1), atol=0.01)


def test_forward_replaced_mask_and_combined_loss():
    model = _model()
    input_ids, attention_mask = _batch(batch=16, length=32, seed=3)
    torch.manual_seed(2)
    out = model(input_ids, attention_mask)
    masked = out.masked_positions
    assert torch.equal(out.corrupted_ids[~masked], input_ids[~masked]), "only masked positions can change"
    # Replaced = masked and the sample differs; a sample equal to the original counts as original.
    assert torch.equal(out.replaced_mask, masked & (out.sampled_ids != input_ids))
    assert torch.equal(out.corrupted_ids[masked], out.sampled_ids[masked])
    assert not out.replaced_mask[attention_mask == 0].any()
    assert out.loss.item() == pytest.approx(out.mlm_loss.item() + 50 * out.rtd_loss.item(), rel=1e-5)

    # The generator's logits, computed at masked positions only, are those of a full forward there.
    model.eval()  # no dropout
    out = model(input_ids, attention_mask)
    masked = out.masked_positions
    full = model.generator(input_ids=out.masked_input_ids, attention_mask=attention_mask).logits
    at_masked = model.generator_logits_at(out.masked_input_ids, attention_mask, masked)
    torch.testing.assert_close(at_masked, full[masked], rtol=1e-5, atol=1e-5)
    assert torch.equal(out.mlm_predictions[masked], full[masked].argmax(-1))
    assert torch.equal(out.mlm_predictions[~masked], input_ids[~masked])

    # A generator that always predicts the original makes every sample "original": nothing is replaced.
    def oracle(masked_input_ids, mask, positions):
        logits = torch.full((*input_ids.shape, VOCAB), -1e4)
        return logits.scatter(-1, input_ids.unsqueeze(-1), 1e4)[positions]

    model.generator_logits_at = oracle
    out = model(input_ids, attention_mask)
    assert out.masked_positions.any() and not out.replaced_mask.any()
    assert torch.equal(out.corrupted_ids, input_ids)


def test_generator_and_discriminator_share_embeddings_by_storage():
    model = _model()
    generator, discriminator = model.generator, model.discriminator
    for name in ("word_embeddings", "position_embeddings", "token_type_embeddings", "LayerNorm"):
        ours, theirs = getattr(generator.electra.embeddings, name), getattr(discriminator.electra.embeddings, name)
        assert ours.weight.data_ptr() == theirs.weight.data_ptr(), name
    assert (
        generator.generator_lm_head.weight.data_ptr()
        == discriminator.electra.embeddings.word_embeddings.weight.data_ptr()
    )
    # One optimiser step moves both: they are the same Parameter objects.
    assert (
        generator.electra.embeddings.word_embeddings.weight is discriminator.electra.embeddings.word_embeddings.weight
    )
    shared_ids = {id(p) for p in discriminator.parameters()} & {id(p) for p in generator.parameters()}
    assert len(shared_ids) == 5  # word, position, type, LayerNorm weight + bias


def test_discriminator_loss_gives_no_gradient_to_the_generator():
    model = _model(ObjectiveConfig(mlm_weight=0.0, rtd_weight=1.0))
    input_ids, attention_mask = _batch(batch=8, length=32, seed=5)
    model(input_ids, attention_mask).loss.backward()
    shared = {id(p) for p in model.discriminator.parameters()}
    generator_only = [(n, p) for n, p in model.generator.named_parameters() if id(p) not in shared]
    assert generator_only
    for name, param in generator_only:
        assert param.grad is None or not param.grad.any(), f"{name} got a gradient from the discriminator loss"
    assert model.discriminator.electra.embeddings.word_embeddings.weight.grad.abs().sum() > 0
    assert model.discriminator.discriminator_predictions.dense.weight.grad.abs().sum() > 0

    model.zero_grad()
    model.objective = ObjectiveConfig(mlm_weight=1.0, rtd_weight=0.0)
    model(input_ids, attention_mask).loss.backward()
    assert model.generator.electra.encoder.layer[0].attention.self.query.weight.grad.abs().sum() > 0


def test_fresh_generator_is_a_quarter_wide_same_depth():
    discriminator = ElectraForPreTraining(_electra_config(embedding_size=16, hidden_size=64, num_attention_heads=4))
    config = generator_config(discriminator, 0.25)
    assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (16, 2, 1)
    assert (config.embedding_size, config.vocab_size, config.intermediate_size) == (16, VOCAB, 16)


@pytest.mark.parametrize(("size", "expected"), [("small", (256, 12, 4, 1024, 128)), ("base", (768, 12, 12, 3072, 768))])
def test_named_sizes_match_the_paper(size, expected):
    config = ElectraConfig(**SIZES[size], vocab_size=35000)
    with torch.device("meta"):
        discriminator = ElectraForPreTraining(config)
        generator = ElectraForMaskedLM(generator_config(discriminator, 0.25))
    fields = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "embedding_size")
    assert tuple(getattr(discriminator.config, f) for f in fields) == expected
    assert generator.config.hidden_size == expected[0] // 4 and generator.config.num_hidden_layers == 12


def test_wrapped_bert_discriminator_shares_its_embeddings(tmp_path):
    folder = write_encoder(tmp_path / "electra", FILLER)  # tokenizer files
    bert = BertModel(BertConfig(vocab_size=45, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                intermediate_size=64, max_position_embeddings=256))  # fmt: skip
    bert.save_pretrained(tmp_path / "bert")
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        (tmp_path / "bert" / name).write_bytes((folder / name).read_bytes())
    pair = build_pair(PretrainModelConfig(discriminator=str(tmp_path / "bert"), generator_init="random"))
    assert isinstance(pair.discriminator, EncoderDiscriminator)
    bert_embeddings = pair.discriminator.encoder.embeddings
    assert (
        pair.generator.electra.embeddings.word_embeddings.weight.data_ptr()
        == bert_embeddings.word_embeddings.weight.data_ptr()
    )
    assert pair.generator.generator_lm_head.weight.data_ptr() == bert_embeddings.word_embeddings.weight.data_ptr()
    assert pair.generator.electra.embeddings.LayerNorm.weight.data_ptr() == bert_embeddings.LayerNorm.weight.data_ptr()
    assert pair.generator.config.hidden_size == 8 and pair.generator.config.embedding_size == 32
    assert any("wrapped" in note for note in pair.notes)


def _save_generator(folder, tokenizer_folder, **kwargs):
    ElectraForMaskedLM(_electra_config(**kwargs)).save_pretrained(folder)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_bytes((tokenizer_folder / name).read_bytes())
    return str(folder)


def test_pair_checks_vocabulary_embedding_size_and_width(tmp_path):
    discriminator = write_encoder(tmp_path / "disc", FILLER)  # 45 tokens, embedding 32, hidden 32
    good = _save_generator(tmp_path / "gen", discriminator, vocab_size=45, hidden_size=16, intermediate_size=32)
    pair = build_pair(PretrainModelConfig(discriminator=str(discriminator), generator=good))
    assert (
        pair.generator.electra.embeddings.word_embeddings.weight
        is pair.discriminator.electra.embeddings.word_embeddings.weight
    )
    assert pair.warnings == []

    wide = _save_generator(tmp_path / "wide", discriminator, vocab_size=45, hidden_size=64, num_attention_heads=2)
    pair = build_pair(PretrainModelConfig(discriminator=str(discriminator), generator=wide))
    assert any("wider than the discriminator" in w and "collapse" in w for w in pair.warnings)

    narrow_embeddings = _save_generator(tmp_path / "emb16", discriminator, vocab_size=45, embedding_size=16)
    with pytest.raises(ModelLoadError, match="embedding shapes.*cannot be tied"):
        build_pair(PretrainModelConfig(discriminator=str(discriminator), generator=narrow_embeddings))

    other = write_encoder(tmp_path / "other", [f"x{i}" for i in range(40)])
    other_vocab = _save_generator(tmp_path / "vocab", other, vocab_size=45, hidden_size=16)
    with pytest.raises(ModelLoadError, match="different vocabularies"):
        build_pair(PretrainModelConfig(discriminator=str(discriminator), generator=other_vocab))
    bigger = _save_generator(tmp_path / "big", discriminator, vocab_size=50, hidden_size=16)
    with pytest.raises(ModelLoadError, match="different vocabularies"):
        build_pair(PretrainModelConfig(discriminator=str(discriminator), generator=bigger))


def _bert_folder(tmp_path, layers: int = 3) -> str:
    """A tiny random BERT encoder with the toy tokenizer, as a folder AutoModel loads."""
    tokenizer_folder = write_encoder(tmp_path / "tokenizer", FILLER)
    torch.manual_seed(3)
    bert = BertModel(BertConfig(vocab_size=45, hidden_size=32, num_hidden_layers=layers, num_attention_heads=2,
                                intermediate_size=64, max_position_embeddings=256))  # fmt: skip
    bert.save_pretrained(tmp_path / "bert")
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        (tmp_path / "bert" / name).write_bytes((tokenizer_folder / name).read_bytes())
    return str(tmp_path / "bert")


def _first_layer_output(encoder, input_ids: torch.Tensor) -> torch.Tensor:
    encoder.eval()
    with torch.no_grad():
        return encoder(input_ids=input_ids, output_hidden_states=True).hidden_states[1]


def test_a_generator_from_the_discriminator_computes_its_lower_layers_and_then_learns_alone(tmp_path):
    config = PretrainModelConfig(discriminator=_bert_folder(tmp_path), generator_init="discriminator",
                                 generator_fraction=0.34)  # fmt: skip
    pair = build_pair(config)
    generator, bert = pair.generator, pair.discriminator.encoder
    assert (generator.config.hidden_size, generator.config.num_hidden_layers) == (32, 1)
    assert any("lower 1 of 3 layers" in note for note in pair.notes)
    input_ids = torch.randint(len(SPECIALS), 45, (4, 12))
    expected = _first_layer_output(bert, input_ids)
    torch.testing.assert_close(_first_layer_output(generator.electra, input_ids), expected)

    # copies, not shared modules: a generator update leaves the discriminator's layer as it was
    query = generator.electra.encoder.layer[0].attention.self.query.weight
    assert query.data_ptr() != bert.encoder.layer[0].attention.self.query.weight.data_ptr()
    with torch.no_grad():
        query.add_(torch.randn_like(query))
    torch.testing.assert_close(_first_layer_output(bert, input_ids), expected)
    assert not torch.allclose(_first_layer_output(generator.electra, input_ids), expected)


def test_a_generator_from_an_electra_discriminator_copies_its_embedding_projection():
    torch.manual_seed(0)
    discriminator = ElectraForPreTraining(_electra_config(embedding_size=16, num_hidden_layers=4))
    generator = ElectraForMaskedLM(generator_config(discriminator, 0.5, by_depth=True))
    tie_embeddings(generator, discriminator)
    assert copy_lower_layers(generator, discriminator) == 2
    input_ids = torch.randint(len(SPECIALS), VOCAB, (3, 10))
    discriminator.eval()
    generator.eval()
    with torch.no_grad():
        theirs = discriminator.electra(input_ids, output_hidden_states=True).hidden_states[2]
        ours = generator.electra(input_ids, output_hidden_states=True).hidden_states[2]
    torch.testing.assert_close(ours, theirs)


def test_adapting_a_pretrained_discriminator_copies_its_lower_third_by_default(tmp_path):
    pair = build_pair(PretrainModelConfig(discriminator=_bert_folder(tmp_path, layers=6)))
    assert (pair.generator.config.hidden_size, pair.generator.config.num_hidden_layers) == (32, 2)
    assert pair.generator_origin == "the discriminator's lower 2 of 6 layers"
    input_ids = torch.randint(len(SPECIALS), 45, (4, 12))
    expected = _first_layer_output(pair.discriminator.encoder, input_ids)
    torch.testing.assert_close(_first_layer_output(pair.generator.electra, input_ids), expected)


def test_a_discriminator_whose_layers_cannot_be_copied_gets_a_random_generator_by_default(tmp_path):
    tokenizer_folder = write_encoder(tmp_path / "tokenizer", FILLER)
    DistilBertModel(DistilBertConfig(vocab_size=45, dim=32, n_layers=3, n_heads=2, hidden_dim=64,
                                     max_position_embeddings=256)).save_pretrained(tmp_path / "distil")  # fmt: skip
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json"):
        (tmp_path / "distil" / name).write_bytes((tokenizer_folder / name).read_bytes())
    pair = build_pair(PretrainModelConfig(discriminator=str(tmp_path / "distil")))
    assert (pair.generator.config.hidden_size, pair.generator.config.num_hidden_layers) == (8, 3)
    assert pair.generator.config.intermediate_size == 16  # a quarter of DistilBERT's hidden_dim
    assert pair.generator_origin == "fresh (0.25 width)"
    assert any("DistilBertModel's layers cannot be copied" in note for note in pair.notes)
    with pytest.raises(ModelLoadError, match="no encoder.layer list"):
        build_pair(PretrainModelConfig(discriminator=str(tmp_path / "distil"), generator_init="discriminator"))


@pytest.mark.parametrize(
    "extra", [{"generator": "some/generator"}, {"from_scratch": "small", "vocab": "v", "discriminator": None}]
)
def test_generator_init_from_the_discriminator_needs_a_pretrained_discriminator_alone(extra):
    with pytest.raises(ConfigError, match="generator_init=discriminator"):
        PretrainModelConfig(**{"discriminator": "d", "generator_init": "discriminator", **extra})
