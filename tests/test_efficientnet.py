"""EfficientNet B0–B7: equivalence with torchvision, the metadata, compound scaling, MBConv details."""
from __future__ import annotations

import math
import re

import pytest
import torch
import torchvision
import torchvision.models as tv

from _equivalence import with_batchnorm_statistics
from cnncourse import costs, models
from cnncourse.layers import make_divisible
from cnncourse.models.efficientnet import B0_STAGES, SCALING, MBConv, compound_coefficients
from cnncourse.reference import assert_equivalent, num_params

WEIGHTS = [tv.EfficientNet_B0_Weights, tv.EfficientNet_B1_Weights, tv.EfficientNet_B2_Weights,
           tv.EfficientNet_B3_Weights, tv.EfficientNet_B4_Weights, tv.EfficientNet_B5_Weights,
           tv.EfficientNet_B6_Weights, tv.EfficientNet_B7_Weights]
PARAMS = [5_288_548, 7_794_184, 9_109_994, 12_233_232, 19_341_616, 30_389_784, 43_040_704, 66_347_960]


@pytest.mark.parametrize("b", range(8))
def test_matches_torchvision(b: int) -> None:
    model = models.get_model(f"efficientnet_b{b}")
    assert num_params(model) == PARAMS[b] == WEIGHTS[b].IMAGENET1K_V1.meta["num_params"]
    reference = getattr(torchvision.models, f"efficientnet_b{b}")()
    size = 64 if b < 5 else 32  # the big ones at a small resolution, to stay fast
    with_batchnorm_statistics(reference, size)
    assert_equivalent(model, reference, (2, 3, size, size))


@pytest.mark.parametrize("b", range(8))
def test_macs_match_torchvision_metadata_at_each_crop_size(b: int) -> None:
    meta = WEIGHTS[b].IMAGENET1K_V1.meta
    crop = WEIGHTS[b].IMAGENET1K_V1.transforms().crop_size[0]
    gmacs = costs.macs(models.get_model(f"efficientnet_b{b}"), (1, 3, crop, crop)) / 1e9
    assert abs(gmacs / meta["_ops"] - 1) < 0.005, (gmacs, meta["_ops"])


def test_compound_rule() -> None:
    d, w, r = compound_coefficients(1)
    assert (d, w, r) == (1.2, 1.1, 1.15)
    assert abs(d * w * w * r * r - 1.92) < 0.001  # "≈ 2": FLOPs ∝ d·w²·r² grow ≈ 2^φ
    d7, w7, r7 = compound_coefficients(7)
    assert abs(d7 - 1.2 ** 7) < 1e-12 and abs(224 * r7 - 596) < 1  # B7's 600 pixels ≈ 224·1.15^7


def test_depth_and_width_rounding() -> None:
    for name, scaling in SCALING.items():
        model = models.get_model(f"efficientnet_{name}")
        stages = model.features[1:-1]
        assert [len(s) for s in stages] == [math.ceil(st.layers * scaling.depth) for st in B0_STAGES]
        widths = [s[-1].out_channels for s in stages]
        for width, stage in zip(widths, B0_STAGES):
            exact = stage.channels * scaling.width
            assert width % 8 == 0 and width >= 0.9 * exact and width == make_divisible(exact)
    assert sum(len(s) for s in models.efficientnet_b7().features[1:-1]) == 55  # 16 blocks in B0
    # B3's second stage: 16 · 1.2 = 19.2 rounds to 16, which would lose more than 10%, so 24
    assert models.efficientnet_b3().features[1][0].out_channels == 24


def test_mbconv_squeeze_excite_and_stochastic_depth() -> None:
    model = models.efficientnet_b0()
    blocks = [m for m in model.modules() if isinstance(m, MBConv)]
    assert len(blocks) == 16
    block = blocks[3]  # stage 4, first block: 24 → 40 channels, expanded to 144
    assert block.block[2].fc1.out_channels == 24 // 4 and block.block[2].fc1.in_channels == 144
    assert [b.stochastic_depth.p for b in blocks] == [0.2 * i / 16 for i in range(16)]
    assert sum(b.use_res_connect for b in blocks) == 16 - 7
    residual = blocks[1 + 1]  # the second block of stage 3 has a shortcut
    assert residual.use_res_connect
    residual.stochastic_depth.p = 1.0
    x = torch.randn(2, 24, 8, 8)
    residual.train()
    torch.testing.assert_close(residual(x), x)  # the branch dropped: only the shortcut remains
    residual.eval()
    assert not torch.equal(residual(x), x)


def test_cifar_variant_and_input_errors() -> None:
    small = models.efficientnet_b0(num_classes=10, small_input=True)
    assert small(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert small.forward_features(torch.zeros(1, 3, 32, 32)).shape == (1, 1280, 4, 4)
    msg = ("EfficientNet needs inputs of at least 32×32 pixels; got 16×16. Its stem and stages shrink the "
           "image 32-fold; for CIFAR-sized images build it with small_input=True.")
    with pytest.raises(ValueError, match=re.escape(msg)):
        models.efficientnet_b0()(torch.zeros(1, 3, 16, 16))
    with pytest.raises(ValueError, match="3-channel"):
        models.efficientnet_b0()(torch.zeros(1, 4, 64, 64))
    with pytest.raises(ValueError, match="drop_path_rate"):
        models.EfficientNet(drop_path_rate=1.0)
