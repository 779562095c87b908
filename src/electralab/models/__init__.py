"""Task models; importing this registers them with the transformers Auto classes."""

from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification

from .classifier import ElectralabForSequenceClassification
from .configuration import ElectralabConfig

AutoConfig.register(ElectralabConfig.model_type, ElectralabConfig, exist_ok=True)
AutoModel.register(ElectralabConfig, ElectralabForSequenceClassification, exist_ok=True)
AutoModelForSequenceClassification.register(ElectralabConfig, ElectralabForSequenceClassification, exist_ok=True)

__all__ = ["ElectralabConfig", "ElectralabForSequenceClassification"]
