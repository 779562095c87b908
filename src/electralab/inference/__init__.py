"""Serving saved models: batched prediction and scoring, asking each model's task how to present and score."""
