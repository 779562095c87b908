"""electralab: fine-tune ELECTRA and any Hugging Face encoder on Korean and English text.

The public API (:mod:`electralab.api`) is re-exported here; importing ``electralab`` loads no PyTorch or
transformers (they load on first use). To load a saved model folder with transformers' Auto classes
directly, ``import electralab.models`` first: it registers electralab's model classes with them.
"""

from .api import *  # noqa: F403  (the public names, listed once in api.__all__)
from .api import __all__ as _API

__version__ = "0.1.0"
__all__ = [*_API, "__version__"]
