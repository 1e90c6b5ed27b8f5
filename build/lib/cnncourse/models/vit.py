"""A glimpse of the Vision Transformer (Dosovitskiy et al., 2021): images as sequences of patches.

Paper: "An image is worth 16x16 words: Transformers for image recognition at scale", ICLR 2021 —
https://arxiv.org/abs/2010.11929

The image is cut into P×P patches, each projected to a D-dimensional token — a P×P convolution
with stride P does exactly that. A learned class token is prepended, learned position
embeddings are added, and a stack of pre-norm transformer encoder blocks (multi-head
self-attention, then an MLP, each with a residual connection) mixes the tokens. The class
token's final state is classified. ViT-B/16: P = 16, D = 768, 12 blocks of 12 heads, MLP 3072.

Attribute names follow torchvision's ``vit_b_16`` so its ``state_dict`` loads with ``strict=True``.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial

import torch
from torch import nn

from ._registry import check_input, register

__all__ = ["EncoderBlock", "VisionTransformer", "vit_b_16", "vit_b_32"]

_LayerNorm = partial(nn.LayerNorm, eps=1e-6)


class EncoderBlock(nn.Module):
    """x + Attention(LN(x)), then + MLP(LN(·)): (B, N, D) → (B, N, D)."""

    def __init__(self, dim: int, num_heads: int, mlp_dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.ln_1 = _LayerNorm(dim)
        self.self_attention = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = _LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(mlp_dim, dim), nn.Dropout(dropout))
        for m in self.mlp:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)  # every token attends to every token
        x = x + self.dropout(y)
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Position embeddings, ``depth`` encoder blocks, a final LayerNorm: (B, N, D) → (B, N, D)."""

    def __init__(self, seq_length: int, depth: int, dim: int, num_heads: int, mlp_dim: int,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, seq_length, dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(dim, num_heads, mlp_dim, dropout)) for i in range(depth)))
        self.ln = _LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(self.layers(self.dropout(x + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """Patchify (conv P×P, stride P) → tokens + class token → encoder → linear head on the class token.

    The position embeddings fix the number of patches, so the model takes exactly
    ``image_size``×``image_size`` inputs.
    """

    def __init__(self, image_size: int = 224, patch_size: int = 16, depth: int = 12, dim: int = 768,
                 num_heads: int = 12, mlp_dim: int = 3072, *, dropout: float = 0.0, num_classes: int = 1000,
                 in_channels: int = 3) -> None:
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"image_size={image_size} must be a multiple of patch_size={patch_size}")
        self.image_size, self.patch_size, self.in_channels = image_size, patch_size, in_channels
        self.conv_proj = nn.Conv2d(in_channels, dim, kernel_size=patch_size, stride=patch_size)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.seq_length = (image_size // patch_size) ** 2 + 1
        self.encoder = Encoder(self.seq_length, depth, dim, num_heads, mlp_dim, dropout)
        self.heads = nn.Sequential(OrderedDict(head=nn.Linear(dim, num_classes)))

        fan_in = in_channels * patch_size * patch_size  # torchvision's initialisation
        nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.conv_proj.bias)
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) → (B, 1 + (H/P)·(W/P), D): the class token followed by one token per patch."""
        check_input(x, model="VisionTransformer", in_channels=self.in_channels, exact_size=self.image_size,
                    hint="Its position embeddings are learned for that many patches; resize the images.")
        patches = self.conv_proj(x).flatten(2).transpose(1, 2)  # (B, D, H/P, W/P) → (B, N, D)
        return torch.cat([self.class_token.expand(x.shape[0], -1, -1), patches], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.heads(self.encoder(self.tokens(x))[:, 0])


@register
def vit_b_16(*, num_classes: int = 1000, **variant: object) -> VisionTransformer:
    """ViT-B/16 at 224×224: 86,567,656 parameters."""
    return VisionTransformer(patch_size=16, num_classes=num_classes, **variant)  # type: ignore[arg-type]


@register
def vit_b_32(*, num_classes: int = 1000, **variant: object) -> VisionTransformer:
    """ViT-B/32 at 224×224: 88,224,232 parameters."""
    return VisionTransformer(patch_size=32, num_classes=num_classes, **variant)  # type: ignore[arg-type]
