"""The ViT glimpse: equivalence with torchvision's vit_b_16 / vit_b_32, tokens, input errors."""
from __future__ import annotations

import re

import pytest
import torch
import torchvision
import torchvision.models as tv

from cnncourse import models
from cnncourse.reference import assert_equivalent, num_params


@pytest.mark.parametrize("name, params", [("vit_b_16", 86_567_656), ("vit_b_32", 88_224_232)])
def test_matches_torchvision(name: str, params: int) -> None:
    model = models.get_model(name)
    weights = {"vit_b_16": tv.ViT_B_16_Weights, "vit_b_32": tv.ViT_B_32_Weights}[name].IMAGENET1K_V1
    assert num_params(model) == params == weights.meta["num_params"]
    reference = getattr(torchvision.models, name)()
    torch.nn.init.normal_(reference.heads.head.weight, std=0.02)  # its zero-initialised head would hide errors
    assert_equivalent(model, reference, (1, 3, 224, 224))


def test_small_vit_matches_torchvision_exactly() -> None:
    reference = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=4,
                                                     hidden_dim=64, mlp_dim=128, num_classes=10)
    torch.nn.init.normal_(reference.heads.head.weight, std=0.02)
    ours = models.VisionTransformer(32, 8, depth=2, dim=64, num_heads=4, mlp_dim=128, num_classes=10)
    assert_equivalent(ours, reference, (4, 3, 32, 32))


def test_tokens_are_the_class_token_then_one_per_patch() -> None:
    model = models.vit_b_16()
    tokens = model.tokens(torch.zeros(2, 3, 224, 224))
    assert tokens.shape == (2, 1 + 14 * 14, 768) == (2, model.seq_length, 768)
    torch.testing.assert_close(tokens[:, 0], model.class_token[0].expand(2, -1))


def test_input_errors() -> None:
    msg = ("VisionTransformer needs 224×224 inputs; got 32×32. Its position embeddings are learned for that "
           "many patches; resize the images.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.vit_b_16()(torch.zeros(1, 3, 32, 32))
    with pytest.raises(ValueError, match="3-channel"):
        models.vit_b_16()(torch.zeros(1, 1, 224, 224))
    with pytest.raises(ValueError, match="multiple of patch_size"):
        models.VisionTransformer(image_size=30, patch_size=16)
