"""Shared layers: SqueezeExcite, StochasticDepth and make_divisible against torchvision's and their definitions."""
from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from cnncourse.layers import SqueezeExcite, StochasticDepth, make_divisible
from cnncourse.reference import num_params


def test_squeeze_excite_matches_torchvision_and_counts_2c2_over_r() -> None:
    c, r = 64, 16
    ours = SqueezeExcite(c, c // r)
    reference = torchvision.ops.SqueezeExcitation(c, c // r)
    ours.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, c, 7, 7)
    torch.testing.assert_close(ours(x), reference(x))
    # weights 2·C²/r, plus C/r + C biases
    assert num_params(ours) == 2 * c * c // r + c // r + c


def test_squeeze_excite_scales_each_channel_by_a_gate_in_0_1() -> None:
    se = SqueezeExcite(8, 2)
    x = torch.rand(3, 8, 5, 5) + 0.1
    ratio = se(x) / x
    per_channel = ratio.flatten(2)
    assert torch.allclose(per_channel, per_channel[..., :1].expand_as(per_channel))  # one weight per channel
    assert ((ratio > 0) & (ratio < 1)).all()
    with pytest.raises(ValueError, match="squeeze_channels must be positive"):
        SqueezeExcite(8, 0)


def test_stochastic_depth_is_the_identity_in_eval_mode() -> None:
    drop = StochasticDepth(0.5).eval()
    x = torch.randn(16, 4, 3, 3)
    assert drop(x) is x


def test_stochastic_depth_drops_whole_branches_in_training() -> None:
    torch.manual_seed(0)
    drop = StochasticDepth(0.25).train()
    x = torch.ones(4000, 2, 3, 3)
    y = drop(x)
    per_sample = y.flatten(1)
    kept = per_sample[:, 0] != 0
    # every sample's branch is either dropped entirely or kept entirely, scaled by 1 / (1 - p)
    assert (per_sample[~kept] == 0).all()
    torch.testing.assert_close(per_sample[kept], torch.full_like(per_sample[kept], 1 / 0.75))
    assert abs(kept.float().mean().item() - 0.75) < 0.03  # 4,000 draws: 3 standard deviations ≈ 0.02
    assert abs(y.mean().item() - 1.0) < 0.05  # the expectation is the eval-mode output


@pytest.mark.parametrize("mode", ["row", "batch"])
def test_stochastic_depth_matches_torchvision(mode: str) -> None:
    x = torch.randn(32, 3, 4, 4)
    torch.manual_seed(1)
    ours = StochasticDepth(0.3, mode).train()(x)
    torch.manual_seed(1)
    reference = torchvision.ops.StochasticDepth(0.3, mode).train()(x)
    torch.testing.assert_close(ours, reference)


def test_stochastic_depth_edge_cases_and_errors() -> None:
    x = torch.randn(8, 3)
    assert torch.equal(StochasticDepth(1.0).train()(x), torch.zeros_like(x))
    assert StochasticDepth(0.0).train()(x) is x
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        StochasticDepth(1.5)
    with pytest.raises(ValueError, match="mode must be"):
        StochasticDepth(0.1, mode="sample")
    assert "p=0.2" in repr(nn.Sequential(StochasticDepth(0.2)))


@pytest.mark.parametrize("value", [3.0, 8.0, 12.0, 19.2, 35.2, 44.8, 100.0, 1280 * 1.4, 0.5 * 32])
def test_make_divisible_matches_torchvision(value: float) -> None:
    from torchvision.models._utils import _make_divisible

    assert make_divisible(value) == _make_divisible(value, 8)
    assert make_divisible(value) % 8 == 0 and make_divisible(value) >= 0.9 * value
