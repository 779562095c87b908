"""electralab: fine-tune ELECTRA and any Hugging Face encoder on Korean and English text."""

from . import models  # noqa: F401  (registers the Auto classes)

__version__ = "0.1.0"
