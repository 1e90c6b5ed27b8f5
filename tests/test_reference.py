"""assert_equivalent (passes on true equivalents, fails loudly on each kind of mismatch) and the at-a-glance table."""
from __future__ import annotations

import re

import pandas as pd
import pytest
import torch
import torchvision
from torch import nn

from cnncourse.layers import ConvBNAct
from cnncourse.reference import assert_equivalent, num_params


def test_passes_for_equivalent_and_loads_reference_weights() -> None:
    ours = ConvBNAct(3, 16, stride=2)
    ref = torchvision.ops.Conv2dNormActivation(3, 16, stride=2)
    assert_equivalent(ours, ref, (2, 3, 16, 16))
    assert torch.equal(ours[0].weight, ref[0].weight)


def test_accepts_a_builder() -> None:
    assert_equivalent(nn.Linear(4, 3), lambda: nn.Linear(4, 3), (5, 4))


def test_parameter_count_mismatch() -> None:
    msg = "parameter counts differ: ours 15 vs reference 12 (+3)"
    with pytest.raises(AssertionError, match=re.escape(msg)):
        assert_equivalent(nn.Linear(4, 3), nn.Linear(4, 3, bias=False), (1, 4))


def test_name_mismatch_is_caught_by_strict_loading() -> None:
    ours = nn.Sequential(nn.Identity(), nn.Linear(4, 3))  # same count, different key: "1.weight"
    with pytest.raises(RuntimeError, match="Missing key"):
        assert_equivalent(ours, nn.Sequential(nn.Linear(4, 3)), (1, 4))


def test_output_mismatch() -> None:
    ours = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    ref = nn.Sequential(nn.Linear(4, 3), nn.Tanh())
    assert num_params(ours) == num_params(ref)
    with pytest.raises(AssertionError, match="Tensor-likes are not close"):
        assert_equivalent(ours, ref, (8, 4))


def test_at_a_glance_torchvision_columns_are_weights_meta_and_course_columns_agree() -> None:
    from cnncourse.reference import GLANCE, at_a_glance, weights_from_name

    table = at_a_glance()
    assert list(table.index) == [arch for arch, *_ in GLANCE]
    assert list(table.year) == sorted(table.year)
    for arch, _, name, builder in GLANCE:
        weights = weights_from_name(name)
        meta, row = weights.meta, table.loc[arch]
        assert row["acc@1"] == meta["_metrics"]["ImageNet-1K"]["acc@1"]
        assert row["acc@5"] == meta["_metrics"]["ImageNet-1K"]["acc@5"]
        assert row["params (M)"] * 1e6 == pytest.approx(meta["num_params"], abs=0.5)
        assert row["GFLOPs"] == meta["_ops"] and row["crop"] == weights.transforms().crop_size[0]
        if builder is None:
            assert pd.isna(row["course params (M)"]) and pd.isna(row["course GMACs"])
        else:  # the course's own models reproduce torchvision's figures
            assert row["course params (M)"] == row["params (M)"]
            assert abs(row["course GMACs"] / row["GFLOPs"] - 1) < 0.005, arch
    assert table["course GMACs"].notna().sum() == 7
