"""GRPO maths against hand-computed values."""

import math

import pytest
import torch
from grpo_core.maths import ADVANTAGES, aggregate, clipped_surrogate, grpo_loss, informative_groups, kl_penalty


def test_group_advantages_by_hand():
    r = torch.tensor([[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    adv = ADVANTAGES["grpo"](r, scale="group", eps=0.0)
    std = math.sqrt(1 / 3)  # unbiased std of [1, 0, 0, 1]
    assert torch.allclose(adv[0], torch.tensor([0.5, -0.5, -0.5, 0.5]) / std)
    assert torch.isnan(adv[1]).all()  # 0/0: such groups are dropped before use
    assert torch.allclose(ADVANTAGES["grpo"](r, scale="none")[0], torch.tensor([0.5, -0.5, -0.5, 0.5]))
    batch = ADVANTAGES["grpo"](r, scale="batch", eps=0.0)
    assert torch.allclose(batch[0], torch.tensor([0.5, -0.5, -0.5, 0.5]) / r.std())
    assert torch.allclose(ADVANTAGES["rloo"](torch.tensor([[3.0, 1.0]])), torch.tensor([[2.0, -2.0]]))


def test_uniform_groups_are_found():
    r = torch.tensor([[1.0, 1.0], [0.0, 1.0], [0.5, 0.5]])
    assert informative_groups(r).tolist() == [False, True, False]


def test_kl_estimators_by_hand():
    logp, ref = torch.tensor([math.log(0.5)]), torch.tensor([math.log(0.25)])
    lr = math.log(2)
    assert kl_penalty(logp, ref, "k1").item() == pytest.approx(lr)
    assert kl_penalty(logp, ref, "k2").item() == pytest.approx(lr**2 / 2)
    assert kl_penalty(logp, ref, "k3").item() == pytest.approx(0.5 - 1 + lr)
    assert kl_penalty(ref, ref, "k3").item() == 0.0


def test_clipped_surrogate_by_hand():
    old = torch.zeros(4)
    logp = torch.log(torch.tensor([1.5, 0.5, 1.5, 1.1]))
    adv = torch.tensor([1.0, 1.0, -1.0, 2.0])
    loss = clipped_surrogate(logp, old, adv, clip_low=0.2, clip_high=0.3)
    # A>0, r=1.5 → min(1.5, 1.3)=1.3; A>0, r=0.5 → min(0.5, 0.8)=0.5; A<0, r=1.5 → min(-1.5, -1.3)=-1.5; r=1.1 → 2.2
    assert torch.allclose(loss, -torch.tensor([1.3, 0.5, -1.5, 2.2]), atol=1e-6)


def test_aggregation_modes_by_hand():
    per_token = torch.tensor([[1.0, 2.0, 3.0], [4.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    assert aggregate(per_token, mask, "token-mean").item() == pytest.approx(10 / 4)
    assert aggregate(per_token, mask, "seq-mean-token-mean").item() == pytest.approx((2 + 4) / 2)
    assert aggregate(per_token, mask, "seq-mean-token-sum-norm", max_len=4).item() == pytest.approx((6 / 4 + 4 / 4) / 2)


def test_grpo_loss_combines_terms_and_reports_stats():
    logp = torch.log(torch.tensor([[0.5, 0.5]])).requires_grad_()
    old = torch.log(torch.tensor([[0.5, 0.25]]))
    ref = torch.log(torch.tensor([[0.25, 0.5]]))
    mask = torch.ones(1, 2)
    loss, stats = grpo_loss(logp, old, torch.tensor([1.0]), mask, ref_logp=ref, beta=0.1, clip_low=0.2, clip_high=0.2)
    # ratios 1 and 2 → surrogate -1 and -1.2 (clipped); k3 = (0.5-1+ln2) and 0 → mean
    expected = ((-1.0 + 0.1 * (0.5 - 1 + math.log(2))) + (-1.2)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert stats["clip_frac"] == pytest.approx(0.5) and stats["kl"] == pytest.approx((0.5 - 1 + math.log(2)) / 2)
    loss.backward()
    assert logp.grad is not None and logp.grad[0, 1] == pytest.approx(0.0)  # clipped token: no gradient
