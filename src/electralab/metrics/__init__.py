"""Metric code: classification (scikit-learn), multi-label, decision thresholds. Imports no model or task."""
