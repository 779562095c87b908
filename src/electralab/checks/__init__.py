"""``electralab check``: validate a dataset before training (leakage, duplicates, conflicts, lengths, coverage)."""
