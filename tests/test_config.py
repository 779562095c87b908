"""Typed config: presets, YAML files and dotted overrides merge in order; bad keys and values are refused."""

from __future__ import annotations

import pytest

from electralab.config import TrainConfig, build_config, config_from_dict, field_help, parse_override
from electralab.errors import ConfigError


def test_override_order_preset_then_file_then_overrides(tmp_path):
    config_file = tmp_path / "my.yaml"
    config_file.write_text("train:\n  epochs: 5\n  learning_rate: 3.0e-5\nmodel:\n  head: gru\n", encoding="utf-8")
    config = build_config("nsmc", config_file, ["train.epochs=2", "model.cnn_kernel_sizes=[3,5]"])
    assert config.data.format == "nsmc"  # from the preset
    assert config.train.learning_rate == 3e-5 and config.model.head == "gru"  # from the file
    assert config.train.epochs == 2.0 and config.model.cnn_kernel_sizes == [3, 5]  # from the overrides


def test_round_trip_through_dict():
    config = build_config("ynat", overrides=["train.class_weights=balanced", "train.warmup=100"])
    assert config_from_dict(config.to_dict()) == config
    assert config.train.warmup_steps() == 100 and isinstance(config.train.warmup_steps(), int)
    assert build_config(overrides=["train.warmup=0.1"]).train.warmup_steps() == pytest.approx(0.1)


def test_parse_override_values_are_yaml():
    assert parse_override("train.learning_rate=1e-3") == {"train": {"learning_rate": "1e-3"}}
    assert build_config(overrides=["train.learning_rate=1e-3"]).train.learning_rate == 1e-3
    assert build_config(overrides=["train.early_stopping_patience=null"]).train.early_stopping_patience is None


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.epochz=3", "did you mean train.epochs"),
        ("trian.epochs=3", "unknown config key trian"),
        ("train.epochs=three", "train.epochs='three': expected a number"),
        ("train.progress_bar=False", None),  # YAML False is a real boolean: accepted
        ("train.progress_bar=yes please", "expected true or false"),
        ("train.batch_size=1.5", "expected an integer"),
        ("train.precision=fp8", "expected one of"),
        ("train.warmup=1.5", "ratio in [0, 1) or a whole number"),
        ("data.dev_fraction=1.2", "between 0 and 1"),
        ("train.class_weights=inverse", "'balanced' or a list"),
        ("train.layer_lr_decay=0", "(0, 1]"),
        ("noequals", "expected dotted key=value"),
    ],
)
def test_bad_overrides_name_the_key(override, message):
    if message is None:
        assert build_config(overrides=[override]).train.progress_bar is False
        return
    with pytest.raises(ConfigError, match=None) as err:
        build_config(overrides=[override])
    assert message in str(err.value)


def test_contradiction_freeze_epochs_beyond_training():
    with pytest.raises(ConfigError, match="would never train"):
        build_config(overrides=["train.epochs=2", "train.freeze_encoder_epochs=2"])


def test_every_train_field_is_documented():
    docs = field_help(TrainConfig)
    missing = [name for name in TrainConfig.__dataclass_fields__ if name not in docs]
    assert not missing and len(docs) > 30


def test_yaml_boolean_spellings_of_a_choice_are_the_choice():
    """YAML 1.1 reads `no` as false: train.eval_strategy=no (as the README writes it) means the choice "no"."""
    assert build_config(overrides=["train.eval_strategy=no"]).train.eval_strategy == "no"
    with pytest.raises(ConfigError, match="train.eval_strategy"):
        build_config(overrides=["train.eval_strategy=yes"])
