"""Task models; importing this registers them with the transformers Auto classes."""

from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForQuestionAnswering,
    AutoModelForSequenceClassification,
    AutoModelForTokenClassification,
)

from .classifier import ElectralabForSequenceClassification
from .configuration import ElectralabConfig
from .question_answering import ElectralabForQuestionAnswering
from .tagger import ElectralabForTokenClassification

AutoConfig.register(ElectralabConfig.model_type, ElectralabConfig, exist_ok=True)
AutoModel.register(ElectralabConfig, ElectralabForSequenceClassification, exist_ok=True)
AutoModelForSequenceClassification.register(ElectralabConfig, ElectralabForSequenceClassification, exist_ok=True)
AutoModelForTokenClassification.register(ElectralabConfig, ElectralabForTokenClassification, exist_ok=True)
AutoModelForQuestionAnswering.register(ElectralabConfig, ElectralabForQuestionAnswering, exist_ok=True)

__all__ = [
    "ElectralabConfig",
    "ElectralabForQuestionAnswering",
    "ElectralabForSequenceClassification",
    "ElectralabForTokenClassification",
]
