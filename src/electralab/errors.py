"""User-facing errors: one clear line, no traceback, from the CLI."""


class ElectralabError(Exception):
    """An error caused by the user's input or settings.

    The message names the file, row or key, what was expected, and what to do.
    The CLI prints it as a single line and exits with status 2.
    """


class DataError(ElectralabError):
    """A data file is missing, unreadable, or not in the expected format."""


class ConfigError(ElectralabError):
    """A config key is unknown, has the wrong type, or contradicts another key."""


class ModelLoadError(ElectralabError):
    """A model folder or hub id cannot be loaded."""


class ExportError(ElectralabError):
    """A model cannot be exported, or its export does not compute what the model computes."""
