"""The answer checks of exercises/01 against answers measured on real layers, right and wrong.

Every reference answer and every typical wrong answer is computed in
``_reference_answers.py`` from the layers the problem describes (or from the
mistake the hint names), not from :mod:`cnncourse.costs`, so a wrong expected
value or a hint attached to the wrong number in :mod:`cnncourse.checks` fails here.
"""
from __future__ import annotations

import ast
import inspect
import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import _reference_answers as ref
from cnncourse import checks

CHECKS: dict[str, Callable[[object], bool]] = {
    name: fn for name, fn in vars(checks).items() if name.startswith("ex01_") and callable(fn)
}

# The numbers themselves, so a change in a reference helper cannot go unnoticed either.
EXPECTED = {
    "ex01_output_size": 112,  # ⌊(224 + 2·3 − 7)/2⌋ + 1
    "ex01_grouped_conv_params": 18_560,  # 3·3·16·128 + 128
    "ex01_conv_macs": 57_802_752,  # 3·3·64·128 · 28·28
    "ex01_receptive_field": 24,  # 1 + 2 + 2 + 1 + 2·2 + 2·2 + 1·2 + 2·4
    "ex01_bn_redundant_params": 192,  # 64 + 128 conv biases
    "ex01_lenet_params": 61_706,  # 156 + 2,416 + 48,120 + 10,164 + 850
}


def test_every_chapter_01_check_has_a_reference_answer() -> None:
    assert sorted(CHECKS) == sorted(ref.REFERENCE) == sorted(EXPECTED)


# ---- (a) the reference answer, measured on real layers, passes -------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_answer_is_correct(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    answer = ref.REFERENCE[name]()
    assert answer == EXPECTED[name]
    assert CHECKS[name](answer) is True
    out = capsys.readouterr().out
    assert out.startswith(f"Correct: {answer:,}.")
    assert "Hint" not in out and "Not yet" not in out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reference_answer_as_float_is_correct(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert CHECKS[name](float(EXPECTED[name])) is True
    assert capsys.readouterr().out.startswith("Correct")


def test_bias_before_batchnorm_changes_nothing() -> None:
    """Train mode: the same BN output with and without the conv biases; every other parameter matters."""
    net = ref.randomized_conv_bn_net()
    without = ref.bias_free_copy(net).train()
    x = ref.bn_input()
    with torch.no_grad():
        with_bias, without_bias = net(x), without(x)
    assert net[0].bias.abs().min() > 0 and net[3].bias.abs().min() > 0  # the biases really are there
    torch.testing.assert_close(with_bias, without_bias, atol=1e-4, rtol=1e-4)
    assert ref.num_params(net) - ref.num_params(without) == 64 + 128
    # Perturbing each parameter tensor in turn: only the two conv biases leave the output unchanged.
    assert ref.redundant_parameters() == {"0.bias": 64, "3.bias": 128}


@pytest.mark.parametrize("layers,field", [
    ([("conv", 3, 1)], 3),
    ([("conv", 3, 1), ("conv", 3, 1)], 5),  # two 3×3 see as far as one 5×5
    ([("pool", 2, 2)], 2),
    ([("pool", 2, 2), ("conv", 3, 1)], 6),
    ([("conv", 7, 2), ("pool", 3, 2)], 11),
])
def test_receptive_field_measurement_on_known_stacks(layers: list[tuple[str, int, int]], field: int) -> None:
    assert ref.measured_receptive_field(layers) == field


# ---- (b) each typical wrong answer named in a hint gets that hint ------------------------------

def _macs_plus_bias_additions() -> int:
    macs, out_shape = ref.conv_macs_and_output()
    return macs + math.prod(out_shape)  # one bias addition per output element


def _conv_flops() -> int:
    conv = nn.Conv2d(64, 128, 3, stride=2, padding=1)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        conv(torch.zeros(1, 64, 56, 56))
    return counter.get_total_flops()


def _lenet_1998_params() -> int:
    # LeCun et al. 1998, Sec. II-B: C1 156, S2 6·2 (coefficient + bias), C3 60 sparse 5×5 connections
    # + 16 biases = 1,516, S4 16·2, C5 48,120, F6 10,164; the RBF output units are fixed.
    return 156 + 6 * 2 + (60 * 25 + 16) + 16 * 2 + 48_120 + 10_164


WRONG: list[tuple[str, str, Callable[[], int], str]] = [
    ("ex01_output_size", "no_padding", lambda: ref.conv_output_height(padding=0),
     "you left out the padding"),
    ("ex01_output_size", "no_plus_one", lambda: ref.output_size() - 1,
     "you forgot the +1"),
    ("ex01_output_size", "no_stride", lambda: ref.conv_output_height(stride=1),
     "you ignored the stride"),
    ("ex01_grouped_conv_params", "groups_ignored", lambda: ref.num_params(nn.Conv2d(64, 128, 3)),
     "each filter sees only 64/4 = 16 input channels"),
    ("ex01_grouped_conv_params", "no_bias", lambda: ref.num_params(nn.Conv2d(64, 128, 3, groups=4, bias=False)),
     "don't forget the 128 biases"),
    ("ex01_grouped_conv_params", "outputs_divided_too", lambda: ref.num_params(nn.Conv2d(16, 32, 3)),
     "the output channels are not divided"),
    ("ex01_conv_macs", "stride_ignored", lambda: ref.conv_macs_and_output(stride=1)[0],
     "MACs are counted per *output* position"),
    ("ex01_conv_macs", "flops", _conv_flops,
     "that is the FLOP count"),
    ("ex01_conv_macs", "bias_added", _macs_plus_bias_additions,
     "bias additions are not MACs"),
    ("ex01_receptive_field", "strides_ignored",
     lambda: ref.measured_receptive_field([(kind, k, 1) for kind, k, _ in ref.RF_STACK]),
     "after a stride-2 pool each 3×3 conv widens the field by 2"),
    ("ex01_receptive_field", "pools_ignored",
     lambda: ref.measured_receptive_field([row for row in ref.RF_STACK if row[0] == "conv"]),
     "pooling windows widen the field too"),
    ("ex01_bn_redundant_params", "nothing", lambda: 0,
     "a constant added before it cancels out"),
    ("ex01_bn_redundant_params", "first_bias_only", lambda: nn.Conv2d(3, 64, 3).bias.numel(),
     "both convolutions feed a BatchNorm"),
    ("ex01_bn_redundant_params", "conv_biases_and_bn_betas",
     lambda: ref.bn_redundant_params() + sum(m.bias.numel() for m in ref.conv_bn_net(True) if isinstance(m, nn.BatchNorm2d)),
     "remove only the conv biases"),
    ("ex01_bn_redundant_params", "bn_gammas_and_betas",
     lambda: sum(ref.num_params(m) for m in ref.conv_bn_net(True) if isinstance(m, nn.BatchNorm2d)),
     "BN's gamma and beta stay"),
    ("ex01_lenet_params", "paper_count", _lenet_1998_params,
     "that is the 1998 paper's count"),
    ("ex01_lenet_params", "no_biases", lambda: ref.lenet_params() - ref.lenet_bias_params()[0],
     "every conv and linear layer has one bias"),
    ("ex01_lenet_params", "output_without_bias", lambda: ref.lenet_params() - ref.lenet_bias_params()[1],
     "plain linear layer with 10 biases"),
]

WRONG_VALUES = {  # what the measured mistakes come to
    "no_padding": 109, "no_plus_one": 111, "no_stride": 224,
    "groups_ignored": 73_856, "no_bias": 18_432, "outputs_divided_too": 4_640,
    "stride_ignored": 231_211_008, "flops": 115_605_504, "bias_added": 57_903_104,
    "strides_ignored": 13, "pools_ignored": 11,
    "nothing": 0, "first_bias_only": 64, "conv_biases_and_bn_betas": 384, "bn_gammas_and_betas": 384,
    "paper_count": 60_000, "no_biases": 61_470, "output_without_bias": 61_696,
}


@pytest.mark.parametrize("name,mistake,wrong,phrase", WRONG, ids=[f"{n}-{m}" for n, m, _, _ in WRONG])
def test_typical_wrong_answer_gets_its_hint(name: str, mistake: str, wrong: Callable[[], int], phrase: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    answer = wrong()
    assert answer == WRONG_VALUES[mistake]
    assert answer != EXPECTED[name]
    assert CHECKS[name](answer) is False
    out = capsys.readouterr().out
    assert out.startswith(f"Not yet ({answer:,} is a common slip). Hint: ") and phrase in out, (
        f"{answer:,} should get the hint containing {phrase!r}; printed: {out!r}")


# ---- (c) no answer, not a number, an unrelated number ----------------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_answer_yet(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert CHECKS[name](None) is False
    assert capsys.readouterr().out.startswith("No answer yet")


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("answer", ["112", [112], True])
def test_not_a_number(name: str, answer: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert CHECKS[name](answer) is False
    out = capsys.readouterr().out
    assert out.startswith(f"Your answer should be a number; got {type(answer).__name__} {answer!r}.")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_unrelated_number(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert CHECKS[name](987_654_321) is False
    assert capsys.readouterr().out.startswith("Not yet: 987,654,321 is not right.")


def test_numpy_scalars_are_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    """A student who computes with NumPy (``np.prod(...)``) gets a NumPy integer: it is still a number."""
    assert checks.check(np.float64(112.0), 112) is True
    capsys.readouterr()
    assert checks.check(np.int64(112), 112) is True, capsys.readouterr().out
    assert capsys.readouterr().out.startswith("Correct")


# ---- the hint mechanism ------------------------------------------------------------------------

def test_check_mechanism(capsys: pytest.CaptureFixture[str]) -> None:
    assert checks.check(4, 5, hints={4: "count again."}) is False
    assert capsys.readouterr().out == "Not yet (4 is a common slip). Hint: count again.\n"
    assert checks.check(5, 5, explanation="Because.") is True
    assert capsys.readouterr().out == "Correct: 5. Because.\n"
    assert checks.check(5.05, 5, rel_tol=0.02) is True
    capsys.readouterr()
    # A hint whose value equals the expected answer can never be shown: the answer is accepted first.
    assert checks.check(5, 5, hints={5: "unreachable"}) is True
    assert "unreachable" not in capsys.readouterr().out


def _recorded_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[float, dict[float, str]]]:
    """Call every check once and record the ``expected`` and ``hints`` it hands to :func:`checks.check`."""
    calls: dict[str, tuple[float, dict[float, str]]] = {}
    real_check = checks.check
    for name, fn in CHECKS.items():
        def spy(answer, expected, *, hints={}, name=name, **kwargs):  # noqa: B006
            calls[name] = (expected, dict(hints))
            return real_check(answer, expected, hints=hints, **kwargs)
        monkeypatch.setattr(checks, "check", spy)
        fn(None)
    monkeypatch.setattr(checks, "check", real_check)
    return calls


def test_no_hint_value_equals_the_expected_answer(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    calls = _recorded_calls(monkeypatch)
    assert sorted(calls) == sorted(CHECKS)
    for name, (expected, hints) in calls.items():
        assert expected == EXPECTED[name], name
        clashes = [v for v in hints if math.isclose(v, expected, abs_tol=1e-9)]
        assert not clashes, f"{name}: hint value {clashes} equals the expected answer {expected}"


def _hints_written(function_name: str) -> int:
    """How many entries the ``hints={...}`` literal in ``checks.<function_name>`` has in the source."""
    tree = ast.parse(inspect.getsource(CHECKS[function_name]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check":
            for kw in node.keywords:
                if kw.arg == "hints" and isinstance(kw.value, ast.Dict):
                    return len(kw.value.keys)
    return 0


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_hint_written_can_be_reached(name: str, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Two hints computed to the same value collapse into one dict key: the earlier one is never shown."""
    _, hints = _recorded_calls(monkeypatch)[name]
    assert _hints_written(name) >= 1
    assert len(hints) == _hints_written(name), (
        f"{name}: {_hints_written(name)} hints written but only {len(hints)} distinct values {sorted(hints)}")
