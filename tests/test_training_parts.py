"""Losses against hand-computed values, parameter groups, freezing, class weights, collapse detection."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from electralab.config import TrainConfig
from electralab.engine.params import apply_freezing, optimizer_groups
from electralab.metrics.classification import full_report, is_collapsed
from electralab.models import ElectralabConfig, ElectralabForSequenceClassification
from electralab.models.loading import load_encoder
from electralab.models.losses import build_loss
from electralab.tasks.classification import class_weights


def test_cross_entropy_with_weights_and_smoothing_by_hand():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 0])
    p0 = [math.exp(2) / (math.exp(2) + 1), 1 / (1 + math.e)]
    plain = -(math.log(p0[0]) + math.log(p0[1])) / 2
    assert build_loss("cross_entropy")(logits, labels).item() == pytest.approx(plain, rel=1e-6)
    # Weighted mean: sum(w_y * nll) / sum(w_y); both rows are class 0 so weights cancel.
    weighted = build_loss("cross_entropy", class_weights=torch.tensor([3.0, 1.0]))(logits, labels).item()
    assert weighted == pytest.approx(plain, rel=1e-6)
    smoothed = build_loss("cross_entropy", label_smoothing=0.2)(logits, labels).item()
    log_p = torch.log_softmax(logits, -1)
    by_hand = (-(0.9 * log_p[:, 0] + 0.1 * log_p[:, 1])).mean().item()
    assert smoothed == pytest.approx(by_hand, rel=1e-6)


def test_focal_loss_by_hand():
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    labels = torch.tensor([0, 2])
    p = [math.exp(2) / (math.exp(2) + 2), 1 / 3]
    expected = sum(-((1 - q) ** 2) * math.log(q) for q in p) / 2
    assert build_loss("focal", focal_gamma=2.0)(logits, labels).item() == pytest.approx(expected, rel=1e-6)
    alpha = torch.tensor([0.5, 1.0, 2.0])
    expected_alpha = (-0.5 * (1 - p[0]) ** 2 * math.log(p[0]) - 2.0 * (1 - p[1]) ** 2 * math.log(p[1])) / 2
    assert build_loss("focal", class_weights=alpha)(logits, labels).item() == pytest.approx(expected_alpha, rel=1e-6)
    # gamma = 0 is plain cross-entropy
    assert build_loss("focal", focal_gamma=0.0)(logits, labels).item() == pytest.approx(
        build_loss("cross_entropy")(logits, labels).item(), rel=1e-6
    )


def test_balanced_class_weights_match_sklearn():
    from sklearn.utils.class_weight import compute_class_weight

    labels = [0, 0, 0, 1, 2, 2]
    expected = compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=np.array(labels))
    assert class_weights("balanced", labels, 3) == pytest.approx(expected.tolist())
    assert class_weights([1, 2, 3], labels, 3) == [1.0, 2.0, 3.0]


def _model(toy_encoder, head="cls"):
    encoder = load_encoder(str(toy_encoder))
    config = ElectralabConfig(encoder=encoder.config.to_dict(), head=head, id2label={0: "a", 1: "b"})
    return ElectralabForSequenceClassification(config, encoder=encoder)


def test_weight_decay_by_rank_and_layerwise_lr(toy_encoder):
    model = _model(toy_encoder)
    groups = optimizer_groups(model, 1e-3, 0.1, head_learning_rate=5e-3, layer_lr_decay=0.5)
    by_param = {id(p): g for g in groups for p in g["params"]}
    named = dict(model.named_parameters())
    assert len(by_param) == len(named)
    for name, param in named.items():
        group = by_param[id(param)]
        assert group["weight_decay"] == (0.1 if param.dim() >= 2 else 0.0), name
    # 2 layers: embeddings get lr * 0.5**3, layer 0 lr * 0.5**2, layer 1 lr * 0.5, head its own lr.
    assert by_param[id(named["encoder.embeddings.word_embeddings.weight"])]["lr"] == pytest.approx(1e-3 / 8)
    assert by_param[id(named["encoder.encoder.layer.0.output.dense.weight"])]["lr"] == pytest.approx(1e-3 / 4)
    assert by_param[id(named["encoder.encoder.layer.1.output.dense.weight"])]["lr"] == pytest.approx(1e-3 / 2)
    assert by_param[id(named["head.classifier.weight"])]["lr"] == pytest.approx(5e-3)
    assert by_param[id(named["head.classifier.bias"])]["weight_decay"] == 0.0


def test_freezing_word_embeddings_and_lowest_layers(toy_encoder):
    model = _model(toy_encoder)
    frozen = apply_freezing(model, TrainConfig(freeze_word_embeddings=True, freeze_layers=1))
    named = dict(model.named_parameters())
    assert not named["encoder.embeddings.word_embeddings.weight"].requires_grad
    assert named["encoder.embeddings.position_embeddings.weight"].requires_grad
    assert all(not p.requires_grad for n, p in named.items() if ".layer.0." in n)
    assert all(p.requires_grad for n, p in named.items() if ".layer.1." in n or n.startswith("head."))
    assert len(frozen) == 1 + sum(1 for n in named if ".layer.0." in n)
    trainable = {id(p) for g in optimizer_groups(model, 5e-5, 0.01) for p in g["params"]}
    assert id(named["encoder.embeddings.word_embeddings.weight"]) not in trainable


def test_frozen_parameters_do_not_change_in_training(toy_encoder, toy_data, tmp_path):
    from electralab.config import build_config
    from electralab.training.recipe import run_training

    result = run_training(
        build_config(
            overrides=[
                f"model.name_or_path={toy_encoder}",
                f"data.data_dir={toy_data}",
                "data.train_file=train.csv",
                "train.max_steps=6",
                "train.freeze_embeddings=true",
                "train.freeze_layers=1",
                "train.report_to=[]",
                "train.progress_bar=false",
                f"output_dir={tmp_path}",
                "train.learning_rate=1e-2",
            ]
        )
    )
    from transformers import AutoModel, AutoModelForSequenceClassification

    before = dict(AutoModel.from_pretrained(toy_encoder).named_parameters())
    after = dict(AutoModelForSequenceClassification.from_pretrained(result.model_dir).encoder.named_parameters())
    assert torch.equal(before["embeddings.word_embeddings.weight"], after["embeddings.word_embeddings.weight"])
    assert torch.equal(before["encoder.layer.0.output.dense.weight"], after["encoder.layer.0.output.dense.weight"])
    assert not torch.equal(before["encoder.layer.1.output.dense.weight"], after["encoder.layer.1.output.dense.weight"])


def test_head_first_then_encoder(toy_encoder, toy_data, tmp_path):
    from transformers import TrainerCallback

    from electralab.config import build_config
    from electralab.training.recipe import run_training

    seen = []

    class Watch(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):
            seen.append((state.epoch, model.encoder.encoder.layer[1].output.dense.weight.requires_grad))

    run_training(
        build_config(
            overrides=[
                f"model.name_or_path={toy_encoder}",
                f"data.data_dir={toy_data}",
                "data.train_file=train.csv",
                "train.epochs=2",
                "train.freeze_encoder_epochs=1",
                "train.report_to=[]",
                "train.progress_bar=false",
                f"output_dir={tmp_path}",
                "train.batch_size=32",
            ]
        ),
        extra_callbacks=[Watch()],
    )
    assert [grad for epoch, grad in seen if epoch <= 1.0] and not any(g for e, g in seen if e <= 1.0)
    assert [grad for epoch, grad in seen if epoch > 1.01] and all(g for e, g in seen if e > 1.01)


def test_collapse_is_detected():
    labels = np.array([0, 1] * 50)
    assert is_collapsed(labels, np.zeros(100, dtype=int))
    assert not is_collapsed(labels, labels)
    report = full_report(labels, np.zeros(100, dtype=int), ["neg", "pos"])
    assert report["collapsed"] and report["prediction_distribution"] == {"neg": 100, "pos": 0}
    assert report["per_class"]["pos"]["recall"] == 0.0 and report["confusion_matrix"] == [[50, 0], [50, 0]]


def test_cls_head_starts_from_a_pretrained_pooler(tmp_path, toy_encoder):
    from datasets import Dataset
    from transformers import AutoModelForSequenceClassification, BertConfig, BertModel

    from electralab.config import build_config
    from electralab.tasks import PreparedData, get_task

    bert_dir = tmp_path / "bert"
    torch.manual_seed(0)
    BertModel(
        BertConfig(vocab_size=60, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    ).save_pretrained(bert_dir)
    data = PreparedData(train=Dataset.from_dict({"labels": [0, 1]}), dev=None, raw={}, label_names=["a", "b"])
    task = get_task("sequence_classification")
    config = build_config(overrides=[f"model.name_or_path={bert_dir}"])
    encoder = load_encoder(str(bert_dir))
    pooler_weight = encoder.pooler.dense.weight.detach().clone()
    model = task.build_model(config, encoder, data)
    assert isinstance(model.head.activation, torch.nn.Tanh)
    assert torch.equal(model.head.dense.weight, pooler_weight)
    model.save_pretrained(tmp_path / "saved")
    reloaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "saved")
    assert isinstance(reloaded.head.activation, torch.nn.Tanh)
    assert torch.equal(reloaded.head.dense.weight, pooler_weight)
    # No pooler in the checkpoint (ELECTRA) or reuse_pooler=false: ELECTRA's dense + GELU head.
    electra = task.build_model(config, load_encoder(str(toy_encoder)), data)
    assert isinstance(electra.head.activation, torch.nn.GELU)
    plain = task.build_model(build_config(overrides=["model.reuse_pooler=false"]), load_encoder(str(bert_dir)), data)
    assert isinstance(plain.head.activation, torch.nn.GELU)
    assert not torch.equal(plain.head.dense.weight, pooler_weight)


def test_auto_head_is_cls_with_a_pretrained_pooler_or_electra_and_mean_otherwise(tmp_path, toy_encoder):
    from datasets import Dataset
    from transformers import BertConfig, BertModel

    from electralab.config import build_config
    from electralab.models.heads import HEADS
    from electralab.tasks import PreparedData, get_task

    shape = BertConfig(vocab_size=60, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    BertModel(shape).save_pretrained(tmp_path / "pooled")
    BertModel(shape, add_pooling_layer=False).save_pretrained(tmp_path / "unpooled")  # as e5 checkpoints ship
    data = PreparedData(train=Dataset.from_dict({"labels": [0, 1]}), dev=None, raw={}, label_names=["a", "b"])
    task = get_task("sequence_classification")
    config = build_config()
    assert config.model.head == "auto"
    heads = {}
    folders = {"pooled": tmp_path / "pooled", "unpooled": tmp_path / "unpooled", "electra": toy_encoder}
    for name, folder in folders.items():
        model = task.build_model(config, load_encoder(str(folder)), data)
        heads[name] = (model.config.head, type(model.head))
    assert heads == {
        "pooled": ("cls", HEADS["cls"]),
        "unpooled": ("mean", HEADS["mean"]),
        "electra": ("cls", HEADS["cls"]),
    }
    explicit = task.build_model(build_config(overrides=["model.head=max"]), load_encoder(str(folders["pooled"])), data)
    assert (explicit.config.head, type(explicit.head)) == ("max", HEADS["max"])


@pytest.mark.skipif(not torch.ops.mkldnn._is_mkldnn_bf16_supported(), reason="CPU without bf16")
def test_bf16_autocast_on_cpu_learns_and_saves_fp32(toy_encoder, toy_data, tmp_path):
    from electralab.config import build_config
    from electralab.training.recipe import run_training

    result = run_training(
        build_config(
            overrides=[
                f"model.name_or_path={toy_encoder}",
                "model.head=lstm",
                "model.rnn_hidden_size=32",
                f"data.data_dir={toy_data}",
                "data.train_file=train.csv",
                "data.test_file=test.csv",
                "train.epochs=6",
                "train.learning_rate=2e-3",
                "train.batch_size=16",
                "train.precision=bf16",
                "train.report_to=[]",
                "train.progress_bar=false",
                f"output_dir={tmp_path}",
            ]
        )
    )
    assert result.metrics["test"]["accuracy"] >= 0.95
    from safetensors import safe_open

    with safe_open(result.model_dir / "model.safetensors", "pt") as weights:
        assert {weights.get_tensor(k).dtype for k in weights.keys()} == {torch.float32}


def test_length_buckets_cover_every_example_once_with_little_padding():
    from electralab.engine.sampling import LengthBucketSampler

    lengths = np.random.default_rng(0).integers(5, 128, size=1000)
    sampler = LengthBucketSampler(lengths.tolist(), batch_size=32, seed=7)
    epoch0 = list(sampler)
    assert sorted(epoch0) == list(range(1000)), "a permutation: nothing dropped or repeated"
    batches = [epoch0[i : i + 32] for i in range(0, 1000, 32)]
    real = sum(lengths[b].sum() for b in batches)
    padded = sum(lengths[b].max() * len(b) for b in batches)
    assert real / padded > 0.95
    assert list(sampler) == epoch0, "the same epoch gives the same order (resume replays it)"
    sampler.set_epoch(1)
    assert list(sampler) != epoch0, "a new epoch shuffles batches and tie-breaks"


def test_adamw_is_fused_when_the_trainer_asks_for_it(tmp_path):
    from transformers import TrainingArguments

    from electralab.engine.trainer import build_adamw

    layer = torch.nn.Linear(4, 3)
    groups = [{"params": [layer.weight], "weight_decay": 0.01}, {"params": [layer.bias], "weight_decay": 0.0}]
    fused = build_adamw(groups, TrainingArguments(output_dir=str(tmp_path), learning_rate=3e-4, report_to=[]))
    assert fused.defaults["fused"] is True and fused.defaults["lr"] == 3e-4
    assert [g["weight_decay"] for g in fused.param_groups] == [0.01, 0.0]
    plain = build_adamw(groups, TrainingArguments(output_dir=str(tmp_path), optim="adamw_torch", report_to=[]))
    assert not plain.defaults["fused"]
    # One step of each moves the weights identically (the fused kernel is the same algorithm).
    layer.weight.grad = torch.ones_like(layer.weight)
    layer.bias.grad = torch.ones_like(layer.bias)
    before = layer.weight.detach().clone()
    fused.step()
    after_fused = layer.weight.detach().clone()
    layer.weight.data.copy_(before)
    plain.step()
    torch.testing.assert_close(layer.weight.detach(), after_fused)


def test_gradient_checkpointing_recomputes_layers_and_keeps_gradients(toy_encoder, tmp_path):
    from electralab.config import RunConfig
    from electralab.engine.arguments import build_training_arguments
    from electralab.tasks.sequence import recipe_arguments

    config = RunConfig(train=TrainConfig(gradient_checkpointing=True))
    assert build_training_arguments(config.train, tmp_path, **recipe_arguments(config)).activation_checkpointing
    input_ids = torch.randint(5, 40, (4, 10))
    labels = torch.tensor([0, 1, 1, 0])

    def gradients(checkpointing: bool) -> tuple[dict[str, torch.Tensor], int]:
        torch.manual_seed(0)  # the same head init
        model = _model(toy_encoder, head="mean")
        if checkpointing:
            model.activation_checkpointing_enable()
        model.train()
        calls = []
        model.encoder.encoder.layer[0].intermediate.register_forward_hook(lambda *args: calls.append(1))
        torch.manual_seed(1)  # the same dropout masks: the recomputation replays the RNG state
        model(input_ids=input_ids, labels=labels).loss.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}, len(calls)

    plain, plain_calls = gradients(False)
    checkpointed, checkpointed_calls = gradients(True)
    assert (plain_calls, checkpointed_calls) == (1, 2), "a checkpointed layer runs again in the backward pass"
    assert plain.keys() == checkpointed.keys()
    for name in plain:
        torch.testing.assert_close(checkpointed[name], plain[name], msg=name)


def test_evaluation_keeps_row_order_when_training_groups_by_length(tmp_path):
    """Windows scored as documents and QA answers read dev rows by position: no length grouping at evaluation."""
    from datasets import Dataset
    from transformers import TrainingArguments

    from electralab.engine.trainer import ElectralabTrainer

    rng = np.random.default_rng(3)
    rows = Dataset.from_dict({"input_ids": [[1] * int(n) for n in rng.integers(2, 60, size=200)], "labels": [0] * 200})
    arguments = TrainingArguments(
        output_dir=str(tmp_path), per_device_eval_batch_size=8, train_sampling_strategy="group_by_length",
        report_to=[], use_cpu=True,
    )  # fmt: skip
    trainer = ElectralabTrainer(model=torch.nn.Linear(2, 2), args=arguments, batching="group_by_length")
    order = list(trainer._get_eval_sampler(rows))
    assert order == list(range(200))


def test_train_compile_reaches_the_trainer(tmp_path):
    from electralab.engine.arguments import build_training_arguments

    assert build_training_arguments(TrainConfig(compile=True), tmp_path).torch_compile is True
    assert build_training_arguments(TrainConfig(), tmp_path).torch_compile is False
