"""SE-ResNet: the SE paper's parameter overhead, the four integration designs, stochastic depth in blocks."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from cnncourse import costs, models
from cnncourse.layers import SqueezeExcite, StochasticDepth
from cnncourse.reference import num_params


def _se_units(model: nn.Module) -> list[SqueezeExcite]:
    return [m for m in model.modules() if isinstance(m, SqueezeExcite)]


def test_se_overhead_formula_equals_counted_parameters() -> None:
    model = models.se_resnet50()
    units = _se_units(model)
    assert len(units) == 3 + 4 + 6 + 3  # one per bottleneck
    for unit in units:
        c = unit.fc1.in_channels
        assert num_params(unit) == costs.se_params(c, 16) == 2 * c * c // 16 + c // 16 + c
    # the paper's 2C²/r per block, summed over stages (N_s blocks with C_s output channels), counts the weights
    weights = sum(unit.fc1.weight.numel() + unit.fc2.weight.numel() for unit in units)
    assert weights == sum(2 * n * c * c // 16 for n, c in zip((3, 4, 6, 3), (256, 512, 1024, 2048))) == 2_514_944


def test_se_resnet50_is_resnet50_plus_the_overhead() -> None:
    overhead = sum(n * costs.se_params(c, 16) for n, c in zip((3, 4, 6, 3), (256, 512, 1024, 2048)))
    assert overhead == 2_530_992
    assert num_params(models.se_resnet50()) == num_params(models.resnet50()) + overhead == 28_088_024
    # Hu et al. 2018, Table 2: SE-ResNet-50 has "~28.1 M" parameters (rounded to 0.1 M)
    assert abs(num_params(models.se_resnet50()) / 1e6 - 28.1) < 0.05


@pytest.mark.parametrize("name, base", [("se_resnet18", "resnet18"), ("se_resnet101", "resnet101"),
                                        ("se_resnext50_32x4d", "resnext50_32x4d")])
def test_every_se_model_is_its_base_plus_one_unit_per_block(name: str, base: str) -> None:
    model, plain = models.get_model(name), models.get_model(base)
    blocks = [m for m in model.modules() if isinstance(m, (models.BasicBlock, models.Bottleneck))]
    extra = sum(costs.se_params(b.bn2.num_features if isinstance(b, models.BasicBlock) else b.bn3.num_features, 16)
                for b in blocks)
    assert num_params(model) == num_params(plain) + extra
    # without the SE units the weights are ResNet's: its state_dict loads into the SE model's non-SE part
    missing, unexpected = model.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and all(".se." in key for key in missing)


def _gate(block: nn.Module, value: float) -> None:
    """Make the block's SE unit output a constant gate: sigmoid(bias) = value, whatever the input."""
    nn.init.zeros_(block.se.fc2.weight)
    nn.init.constant_(block.se.fc2.bias, torch.logit(torch.tensor(value)).item())


@pytest.mark.parametrize("block_type, args", [(models.BasicBlock, (8, 8)), (models.BasicBlock, (8, 16, 2)),
                                              (models.Bottleneck, (32, 8)), (models.Bottleneck, (16, 8, 2))])
def test_the_four_integration_designs_put_the_gate_where_fig5_says(block_type: type, args: tuple) -> None:
    torch.manual_seed(0)
    plain = block_type(*args).eval()
    x = torch.relu(torch.randn(2, args[0], 8, 8))
    convs = [m for n, m in plain.named_children() if n.startswith(("conv", "bn"))]

    def branch(inp: torch.Tensor) -> torch.Tensor:  # conv-bn(-relu) ... without the last ReLU
        for i in range(0, len(convs), 2):
            inp = convs[i + 1](convs[i](inp))
            if i + 2 < len(convs):
                inp = torch.relu(inp)
        return inp

    shortcut = x if plain.downsample is None else plain.downsample(x)
    expected = {
        "standard": torch.relu(0.25 * branch(x) + shortcut),
        "pre": torch.relu(branch(0.25 * x) + shortcut),
        "post": 0.25 * torch.relu(branch(x) + shortcut),
        "identity": torch.relu(branch(x) + 0.25 * shortcut),
    }
    for position, want in expected.items():
        block = block_type(*args, se_ratio=4, se_position=position).eval()
        block.load_state_dict(plain.state_dict(), strict=False)
        _gate(block, 0.25)
        with torch.no_grad():
            torch.testing.assert_close(block(x), want)
        assert block.se.fc1.in_channels == (args[0] if position == "pre" else plain.relu(branch(x)).shape[1])


def test_se_options_are_checked() -> None:
    with pytest.raises(ValueError, match="se_position"):
        models.BasicBlock(8, 8, se_ratio=4, se_position="after")
    with pytest.raises(ValueError, match="shortcut"):
        models.BasicBlock(8, 8, residual=False, se_ratio=4, se_position="identity")
    with pytest.raises(ValueError, match="BasicBlock and Bottleneck"):
        models.preact_resnet18(se_ratio=16)
    with pytest.raises(ValueError, match="drop_path_rate"):
        models.resnet18(drop_path_rate=1.0)


def test_stochastic_depth_in_resnet_follows_the_linear_rule_and_keeps_eval_outputs() -> None:
    model = models.resnet20(drop_path_rate=0.5)
    drops = [m.p for m in model.modules() if isinstance(m, StochasticDepth)]
    assert drops == pytest.approx([0.5 * l / 9 for l in range(1, 10)])  # block l of L = 9: p_L · l / L
    reference = models.resnet20()
    reference.load_state_dict(model.state_dict())  # stochastic depth adds no parameters or buffers
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x), reference.eval()(x))


def test_a_dropped_residual_branch_leaves_only_the_shortcut() -> None:
    torch.manual_seed(0)
    block = models.BasicBlock(8, 8, drop_path=1.0).train()
    x = torch.relu(torch.randn(4, 8, 6, 6))
    torch.testing.assert_close(block(x), x)  # relu(0 + x) = x for every sample
    block = models.BasicBlock(8, 8, drop_path=0.5).train()
    x = torch.relu(torch.randn(64, 8, 6, 6))
    with torch.no_grad():
        branch = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(x)))))  # batch statistics, as in block(x)
        out = block(x)
    dropped = [torch.allclose(out[i], x[i]) for i in range(64)]
    for i in range(64):  # each sample keeps its whole branch, scaled by 1 / (1 - p) = 2, or loses all of it
        torch.testing.assert_close(out[i], x[i] if dropped[i] else torch.relu(2 * branch[i] + x[i]))
    assert 16 < sum(dropped) < 48  # about half of the 64 samples


def test_se_adds_only_its_fc_weights_to_resnet50s_macs() -> None:
    # Hu et al. 2018, Table 2: ResNet-50 3.86 GFLOPs, SE-ResNet-50 3.87 (their FLOPs are MACs, V1 strides).
    # The SE units' only MACs are their two fully connected layers: 2C²/r per block, 2,514,944 in all,
    # +0.06%; the paper's larger 0.26% must count element-wise work too (chapter 08 compares conventions).
    se, plain = (costs.count(models.get_model(n), (1, 3, 224, 224)).macs for n in ("se_resnet50", "resnet50"))
    assert se - plain == 2_514_944
    assert 0.0006 < (se - plain) / plain < 0.0007


def test_se_resnet_input_errors() -> None:
    with pytest.raises(ValueError, match="at least 32×32"):
        models.se_resnet50()(torch.zeros(1, 3, 16, 16))
    with pytest.raises(ValueError, match="3-channel"):
        models.se_resnet18()(torch.zeros(1, 1, 64, 64))
