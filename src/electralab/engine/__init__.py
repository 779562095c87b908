"""electralab's extensions of ``transformers.Trainer``, shared by every recipe.

TrainingArguments from a config, optimiser groups and freezing, length-bucketed batches, warm-up freezing,
run folders and checkpoints, device capabilities. Task-agnostic: it knows ``train`` config sections and
models, never a task.
"""
