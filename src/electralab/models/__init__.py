"""Task models; importing this registers them with the transformers Auto classes."""

from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification, AutoModelForTokenClassification

from .classifier import ElectralabForSequenceClassification
from .configuration import ElectralabConfig
from .tagger import ElectralabForTokenClassification

AutoConfig.register(ElectralabConfig.model_type, ElectralabConfig, exist_ok=True)
AutoModel.register(ElectralabConfig, ElectralabForSequenceClassification, exist_ok=True)
AutoModelForSequenceClassification.register(ElectralabConfig, ElectralabForSequenceClassification, exist_ok=True)
AutoModelForTokenClassification.register(ElectralabConfig, ElectralabForTokenClassification, exist_ok=True)

__all__ = ["ElectralabConfig", "ElectralabForSequenceClassification", "ElectralabForTokenClassification"]
