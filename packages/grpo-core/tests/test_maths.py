"""GRPO maths against hand-computed values."""

import math

import pytest
import torch
from grpo_core.maths import (
    ADVANTAGES,
    aggregate,
    clipped_surrogate,
    grpo_loss,
    informative_groups,
    kl_penalty,
    teaching_groups,
)


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


@pytest.mark.parametrize("estimator", ["grpo", "rloo"])
@pytest.mark.parametrize("scale", ["group", "batch", "none"])
def test_a_group_of_equal_rewards_gets_exactly_zero_advantage(estimator, scale):
    values = torch.tensor([0.1, 0.2, 0.3, 0.6, 0.7, 0.9, 1.0])  # float32 means of these are off by up to ~6e-8
    r = torch.cat([values[:, None].expand(-1, 8), torch.tensor([[0.0] * 4 + [1.0] * 4])])
    adv = ADVANTAGES[estimator](r, scale=scale)
    assert torch.equal(adv[:-1], torch.zeros(len(values), 8))
    assert (adv[-1, :4] < 0).all() and (adv[-1, 4:] > 0).all()  # the mixed group still has its advantages


def test_batch_baseline_gives_uniform_groups_an_advantage():
    r = torch.tensor([[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    adv = ADVANTAGES["reinforce_plus_plus"](r, eps=0.0)
    expected = (r - 0.5) / r.std()  # batch mean 0.5
    assert torch.allclose(adv, expected) and adv[0].min() > 0 > adv[2].max()
    assert torch.allclose(ADVANTAGES["reinforce_plus_plus"](r, scale="none"), r - 0.5)
    assert teaching_groups(r, "reinforce_plus_plus").tolist() == [True, True, True]
    assert teaching_groups(r, "grpo").tolist() == [False, True, False]
    even = torch.tensor([[1.0, 1.0], [0.0, 0.0], [0.5, 0.5]])  # a uniform group at the batch mean teaches nothing
    assert teaching_groups(even, "reinforce_plus_plus").tolist() == [True, True, False]


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


def _grad(options, logp_values, old_values, adv=1.0, mask=None):
    logp = torch.tensor([logp_values], dtype=torch.float64, requires_grad=True)
    old = torch.tensor([old_values], dtype=torch.float64)
    mask = torch.ones_like(old) if mask is None else torch.tensor([mask], dtype=torch.float64)
    loss, stats = grpo_loss(logp, old, torch.tensor([adv], dtype=torch.float64), mask, agg="token-mean", **options)
    loss.backward()
    return loss.item(), logp.grad[0].tolist(), stats


def test_truncated_importance_sampling_by_hand():
    """TIS: the ratio is against the trainer's own log-probs (value 1) and each token is weighed by
    min(π_trainer/π_sampler, C). Where sampler and trainer agree the gradient is the on-policy one; it changes
    exactly at the tokens where they differ."""
    trainer = [math.log(0.5), math.log(0.2), math.log(0.3)]
    sampler = [math.log(0.25), math.log(0.4), math.log(0.3)]  # ratios 2, 0.5, 1
    loss, grad, stats = _grad({"correction": "tis", "is_cap": 1.5}, trainer, sampler)
    assert grad == pytest.approx([-1.5 / 3, -0.5 / 3, -1.0 / 3])  # -A·min(ratio, C) per token, token-mean
    assert loss == pytest.approx(-(1.5 + 0.5 + 1.0) / 3)
    assert stats["is_weight_mean"] == pytest.approx((1.5 + 0.5 + 1.0) / 3)
    _, on_policy, _ = _grad({}, trainer, trainer)  # what the gradient would be with no mismatch
    changed = [abs(a - b) > 1e-12 for a, b in zip(grad, on_policy)]
    assert changed == [True, True, False]
    assert stats["logprob_gap"] == pytest.approx((math.log(2) + math.log(2) + 0) / 3)
    assert stats["sampler_kl"] == pytest.approx(((2 - 1 - math.log(2)) + (0.5 - 1 + math.log(2)) + 0) / 3)


def test_masked_importance_sampling_drops_whole_sequences_by_hand():
    logp = torch.tensor([[-1.0, -1.0], [-1.0, -1.0]], dtype=torch.float64, requires_grad=True)
    old = torch.tensor([[-1.2, -1.3], [-1.0, -0.9]], dtype=torch.float64)  # sequence log-ratios 0.5 and -0.1
    adv, mask = torch.tensor([1.0, -1.0], dtype=torch.float64), torch.ones(2, 2, dtype=torch.float64)
    loss, stats = grpo_loss(logp, old, adv, mask, correction="mis", is_cap=math.exp(0.3))
    loss.backward()
    assert stats["mis_kept"] == 0.5  # ratio e^0.5 > C = e^0.3: the first sequence is dropped
    assert logp.grad[0].tolist() == [0.0, 0.0] and logp.grad[1].tolist() == pytest.approx([0.5, 0.5])
    assert loss.item() == pytest.approx(1.0)  # the kept sequence: -A·1 per token, mean over its two tokens


def test_gspo_sequence_ratio_by_hand():
    """GSPO: one ratio per sequence, s = exp(mean log-ratio); each token's gradient is -A·s (unclipped), and a
    sequence whose s leaves [1-ε_low, 1+ε_high] in the direction of its advantage gets none."""
    trainer, sampler = [-1.0, -2.0], [-1.1, -2.3]  # mean log-ratio 0.2
    s = math.exp(0.2)
    loss, grad, _ = _grad({"policy_loss": "gspo", "clip_low": 0.5, "clip_high": 0.5}, trainer, sampler)
    assert loss == pytest.approx(-s) and grad == pytest.approx([-s / 2, -s / 2])
    _, clipped, _ = _grad({"policy_loss": "gspo", "clip_low": 3e-4, "clip_high": 4e-4}, trainer, sampler)
    assert clipped == [0.0, 0.0]
    _, negative, _ = _grad({"policy_loss": "gspo", "clip_low": 3e-4, "clip_high": 4e-4}, trainer, sampler, adv=-1.0)
    assert negative == pytest.approx([s / 2, s / 2])  # A < 0 and s > 1: min() keeps the unclipped term


def test_cispo_keeps_the_gradient_of_clipped_tokens_by_hand():
    trainer = [math.log(0.6), math.log(0.36)]
    sampler = [math.log(0.4), math.log(0.4)]  # ratios 1.5 (clipped to 1.2) and 0.9
    loss, grad, _ = _grad({"policy_loss": "cispo", "clip_low": 0.2, "clip_high": 0.2}, trainer, sampler)
    assert grad == pytest.approx([-1.2 / 2, -0.9 / 2])  # -sg(clip(r))·A per token
    assert loss == pytest.approx(-(1.2 * trainer[0] + 0.9 * trainer[1]) / 2)
    _, ppo, _ = _grad({"clip_low": 0.2, "clip_high": 0.2}, trainer, sampler)
    assert ppo[0] == 0.0 and grad[0] != 0.0  # PPO's clip drops that token's gradient; CISPO does not


def test_overlong_penalty_by_hand():
    from grpo_core.maths import overlong_penalty

    lengths = torch.tensor([5, 6, 7, 8, 10, 12])
    assert overlong_penalty(lengths, max_len=10, buffer=4).tolist() == [0.0, 0.0, -0.25, -0.5, -1.0, -1.0]
    assert overlong_penalty(lengths, 10, 4, penalty=0.5).tolist() == [0.0, 0.0, -0.125, -0.25, -0.5, -0.5]


def test_a_correction_with_a_sequence_loss_is_refused():
    from grpo_core.maths import LossConfig

    assert ("correction", "none with gspo or cispo (their ratios are against the sampler already)") in LossConfig(
        policy_loss="gspo", correction="tis"
    ).problems()
    assert LossConfig(correction="tis").problems() == []
