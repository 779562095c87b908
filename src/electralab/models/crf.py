"""A linear-chain CRF over tag sequences: log-likelihood by the forward algorithm, Viterbi decoding.

Transitions can be constrained (an impossible transition scores -10,000): under BIO, ``I-X`` never follows
``O`` or another type and never starts a sequence; under BIOES also ``E-X``/``S-X`` rules. Sequences are the
positions of ``mask`` (first sub-tokens), gathered to the left, so padding and ignored tokens are skipped.
"""

from __future__ import annotations

import torch
from torch import nn

IMPOSSIBLE = -10_000.0


def allowed_transitions(labels: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(start (L,), transitions (L, L)) masks of allowed moves for BIO / BIOES tag names (True: allowed)."""

    def parts(tag: str) -> tuple[str, str | None]:
        prefix, _, kind = tag.partition("-")
        return (prefix, kind) if kind else ("O", None)

    n = len(labels)
    start = torch.ones(n, dtype=torch.bool)
    moves = torch.ones(n, n, dtype=torch.bool)
    for j, tag in enumerate(labels):
        prefix, kind = parts(tag)
        if prefix in ("I", "E"):
            start[j] = False
            for i, before in enumerate(labels):
                before_prefix, before_kind = parts(before)
                moves[i, j] = before_kind == kind and before_prefix in ("B", "I")
        elif prefix in ("B", "S", "O"):
            for i, before in enumerate(labels):
                before_prefix, _ = parts(before)
                # under BIOES an entity that began (B/I) must end with E before anything else starts
                if before_prefix in ("B", "I") and any(parts(t)[0] == "E" for t in labels):
                    moves[i, j] = False
    return start, moves


class CRF(nn.Module):
    """Transition scores between tags, and the structured loss and decoding that use them.

    Args:
        labels: The tag names (id order); used to constrain transitions when ``constrained``.
        constrained: Forbid transitions the tag scheme does not allow.
    """

    def __init__(self, labels: list[str], constrained: bool = True) -> None:
        super().__init__()
        n = len(labels)
        self.transitions = nn.Parameter(torch.zeros(n, n))  # (from, to)
        self.start = nn.Parameter(torch.zeros(n))
        self.end = nn.Parameter(torch.zeros(n))
        self.labels = list(labels)
        self.constrained = constrained
        self._penalties: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    def _scores(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Start and transition scores with the forbidden moves at -10,000.

        The penalties are computed here, not kept as buffers: models load on the meta device, where
        non-persistent buffers would come back uninitialised.
        """
        device = self.transitions.device
        if device not in self._penalties:
            start_ok, moves_ok = allowed_transitions(self.labels)
            if not self.constrained:
                start_ok, moves_ok = torch.ones_like(start_ok), torch.ones_like(moves_ok)
            self._penalties[device] = (
                torch.where(start_ok, 0.0, IMPOSSIBLE).to(device),
                torch.where(moves_ok, 0.0, IMPOSSIBLE).to(device),
            )
        start_penalty, move_penalty = self._penalties[device]
        return self.start + start_penalty, self.transitions + move_penalty

    def log_partition(self, emissions: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The log partition function per sequence. emissions (B, T, L) left-aligned, lengths (B,) -> (B,)."""
        start, moves = self._scores()
        alpha = start + emissions[:, 0]  # (B, L)
        for t in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha.unsqueeze(2) + moves.unsqueeze(0), dim=1) + emissions[:, t]  # (B, L)
            alpha = torch.where((t < lengths).unsqueeze(1), step, alpha)
        return torch.logsumexp(alpha + self.end, dim=1)

    def path_score(self, emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Score of the given tag paths. tags (B, T) left-aligned -> (B,)."""
        start, moves = self._scores()
        batch = torch.arange(emissions.shape[0], device=emissions.device)
        score = start[tags[:, 0]] + emissions[batch, 0, tags[:, 0]]
        for t in range(1, emissions.shape[1]):
            step = moves[tags[:, t - 1], tags[:, t]] + emissions[batch, t, tags[:, t]]
            score = score + torch.where(t < lengths, step, torch.zeros_like(step))
        last = tags[batch, (lengths - 1).clamp(min=0)]
        return score + self.end[last]

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood of the gold paths over the non-empty sequences."""
        keep = lengths > 0
        if not keep.any():
            return emissions.sum() * 0.0
        emissions, tags, lengths = emissions[keep], tags[keep], lengths[keep]
        return (self.log_partition(emissions, lengths) - self.path_score(emissions, tags, lengths)).mean()

    def decode(self, emissions: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Viterbi paths (B, T), left-aligned; positions past each length are 0."""
        start, moves = self._scores()
        score = start + emissions[:, 0]
        history = []
        for t in range(1, emissions.shape[1]):
            best, index = (score.unsqueeze(2) + moves.unsqueeze(0)).max(dim=1)  # (B, L)
            step = best + emissions[:, t]
            active = (t < lengths).unsqueeze(1)
            score = torch.where(active, step, score)
            history.append(torch.where(active, index, torch.arange(score.shape[1], device=score.device)))
        score = score + self.end
        path = [score.argmax(dim=1)]
        for index in reversed(history):
            path.append(index.gather(1, path[-1].unsqueeze(1)).squeeze(1))
        tags = torch.stack(list(reversed(path)), dim=1)
        positions = torch.arange(tags.shape[1], device=tags.device).unsqueeze(0)
        return torch.where(positions < lengths.unsqueeze(1), tags, torch.zeros_like(tags))


def gather_left(values: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move the masked positions of each row to the left. values (B, T, ...), mask (B, T) -> (values, lengths)."""
    lengths = mask.sum(dim=1)
    order = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)  # masked positions first, in order
    index = order.view(*order.shape, *([1] * (values.dim() - 2))).expand_as(values)
    return values.gather(1, index), lengths


def scatter_back(paths: torch.Tensor, mask: torch.Tensor, fill: int = -100) -> torch.Tensor:
    """Put left-aligned paths (B, T) back at the masked positions; other positions get ``fill``."""
    out = torch.full_like(mask, fill, dtype=torch.long)
    order = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)
    positions = torch.arange(mask.shape[1], device=mask.device).unsqueeze(0)
    valid = positions < mask.sum(dim=1, keepdim=True)
    out.scatter_(1, order, torch.where(valid, paths, torch.full_like(paths, fill)))
    return out
