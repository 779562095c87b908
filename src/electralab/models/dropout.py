"""Dropout whose masks are cheap to draw on a CPU, in the hidden layers and on the attention probabilities.

On a CPU, ``torch.nn.Dropout`` draws every mask element from torch's serial generator (about 8 ns per element
on a 2-core Xeon): 1.1 ms for one 32 × 17 × 256 activation, ~30 ms of a small encoder's 150–230 ms training
step (BENCHMARKS.md, training speed). :class:`FastDropout` keeps ``nn.Dropout``'s meaning — each element kept
with probability 1 − p (to 1/65,536) and scaled by 1 / (1 − p) in the input's dtype, fresh masks every call,
the identity in eval mode — and draws the masks with NumPy's SFC64 generator, 64 random bits per four elements
(the same activation: forward 0.24 ms instead of 1.1 ms, with the backward 0.5 ms instead of 1.2 ms). Each
call's generator is seeded from torch's, so ``train.seed`` and the RNG state saved in checkpoints decide the
masks, as they do torch's.

Attention-probability dropout happens inside ``scaled_dot_product_attention`` (SDPA), where torch draws the mask
itself; :func:`attention` is SDPA's math path as torch runs it on a CPU (float32 scores, softmax, dropout, the
value product) with a :func:`fast_dropout` mask, used only while training with dropout on a CPU; everywhere else
it is SDPA. Off the CPU (CUDA's fused dropout is already fast) both are torch's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

ATTENTION = "electralab_sdpa"
"""The attention implementation name :func:`use_fast_dropout` gives a model whose attention is SDPA."""
_LEVELS = 1 << 16  # 16 random bits decide each element


def _kept(count: int, p: float) -> np.ndarray:
    """``count`` booleans, each True with probability ``1 - p`` (rounded to 1/65,536), from a fresh generator."""
    seed = int(torch.randint(0, 2**63 - 1, (1,)))  # torch's generator decides every mask
    bits = np.random.SFC64(seed).random_raw(-(-count // 4)).view(np.int16)[:count]
    return np.less(bits, round((1.0 - p) * _LEVELS) - _LEVELS // 2)


def _scaled(kept: np.ndarray, scale: float, dtype: torch.dtype) -> torch.Tensor:
    """``kept`` as a tensor of ``dtype``: ``scale`` where True, 0 where False."""
    return torch.from_numpy(np.multiply(kept, np.float32(scale), dtype=np.float32)).to(dtype)


class _Dropout(torch.autograd.Function):
    """``x × mask``, keeping only the boolean mask for the backward pass (one byte per element, as torch does)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, p: float) -> torch.Tensor:
        kept = _kept(x.numel(), p)
        ctx.kept, ctx.scale, ctx.shape = kept, 1.0 / (1.0 - p), x.shape
        return x * _scaled(kept, ctx.scale, x.dtype).view(x.shape)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad * _scaled(ctx.kept, ctx.scale, grad.dtype).view(ctx.shape), None


def fast_dropout(x: torch.Tensor, p: float) -> torch.Tensor:
    """Dropout with rate ``p`` on a CPU tensor (training mode), masks drawn as described in the module's text."""
    if p == 0:
        return x
    if p == 1:
        return x * 0
    return _Dropout.apply(x.contiguous(), p)


class FastDropout(nn.Dropout):
    """``nn.Dropout`` with :func:`fast_dropout` masks on CPU tensors; ``nn.Dropout`` itself elsewhere."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with each element kept (scaled by 1 / (1 - p)) or zeroed; ``x`` itself in eval mode."""
        if not self.training or self.inplace or x.device.type != "cpu":
            return super().forward(x)
        return fast_dropout(x, self.p)


def attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """SDPA, except while training with dropout on a CPU: SDPA's math path with a :func:`fast_dropout` mask.

    That path is what SDPA itself runs there (its fused kernel takes no dropout): scores in float32 also under
    bf16 autocast, softmax, dropout, the value product, the output cast back. Causal or grouped-query attention
    is left to SDPA.
    """
    plain = (
        not dropout
        or query.device.type != "cpu"
        or kwargs.get("is_causal") or getattr(module, "is_causal", False)
        or key.shape[1] != query.shape[1]
    )  # fmt: skip
    if plain:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    q, k, v = query.float(), key.float(), value.float()
    scores = torch.matmul(q, k.transpose(-1, -2)) * (scaling if scaling is not None else q.shape[-1] ** -0.5)
    if attention_mask is not None and attention_mask.dtype == torch.bool:
        scores = scores.masked_fill(~attention_mask, torch.finfo(scores.dtype).min)
    elif attention_mask is not None:
        scores = scores + attention_mask
    probabilities = fast_dropout(torch.softmax(scores, dim=-1), dropout)
    return torch.matmul(probabilities, v).to(query.dtype).transpose(1, 2).contiguous(), None


AttentionInterface.register(ATTENTION, attention)
AttentionMaskInterface.register(ATTENTION, sdpa_mask)  # the masks SDPA gets (unregistered: no mask at all)


def use_fast_dropout(model: nn.Module) -> tuple[int, bool]:
    """Give ``model`` :class:`FastDropout` layers and, where its attention is SDPA, :func:`attention`, in place.

    The dropout layers keep their ``p`` and hold no weights, and the attention implementation is not saved in
    ``config.json``, so saved models are the same. Returns (dropout layers changed, whether attention changed).
    """
    changed = 0
    for layer in model.modules():
        if type(layer) is nn.Dropout:
            layer.__class__ = FastDropout
            changed += 1
    switched = False
    for part in model.modules():
        implementation = getattr(getattr(part, "config", None), "_attn_implementation", None)
        if implementation == "sdpa" and callable(getattr(part, "set_attn_implementation", None)):
            try:
                part.set_attn_implementation(ATTENTION)
            except (ValueError, ImportError):  # a model that takes no custom attention keeps SDPA
                continue
            switched = True
    return changed, switched
