"""The trainer on a tiny model: the shared-prefix forward, a few GRPO/SFT steps, run-directory outputs,
exact resume, config errors before compute."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch
import transformers
from grpo_core.config import Config, ConfigError, load
from grpo_core.forward import encode_prefix, group_logprobs
from grpo_core.trainer import fit
from rollout_vllm.core import common_prefix_len
from toolcall_reward import RewardResult, register_reward


def test_shared_prefix_forward_equals_full_sequence_forward(tiny):
    prompt = list(range(5, 25))
    comps = [[30, 31, 32, 33], [40, 41], [50, 51, 52]]
    a, mask = group_logprobs(tiny, prompt, comps, 0.7, chunk=3, shared_prefix=True)
    b, _ = group_logprobs(tiny, prompt, comps, 0.7, chunk=3, shared_prefix=False)
    with torch.no_grad():
        for i, c in enumerate(comps):
            logits = tiny(torch.tensor([prompt + c])).logits[0, len(prompt) - 1 : -1] / 0.7
            ref = torch.log_softmax(logits, -1).gather(-1, torch.tensor(c)[:, None]).squeeze(-1)
            assert torch.allclose(a[i, : len(c)], ref, atol=1e-5)
    assert torch.allclose(a * mask, b * mask, atol=1e-5)
    (a * mask).sum().backward()
    ga = {k: p.grad.clone() for k, p in tiny.named_parameters() if p.grad is not None}
    tiny.zero_grad()
    (b * mask).sum().backward()
    for k, p in tiny.named_parameters():
        if k in ga:
            assert torch.allclose(ga[k], p.grad, atol=1e-5), k


def test_prefix_shared_across_groups_gives_the_same_values_and_gradients(tiny):
    """Two groups whose prompts share a start: encoding it once (gradients accumulated on its key/values, one
    backward through it) must equal encoding each prompt in full."""
    prompts = [list(range(5, 25)) + [60, 61], list(range(5, 25)) + [70, 71, 72]]
    comps = [[[30, 31, 32], [40]], [[50, 51], [52, 53, 54, 55]]]
    assert common_prefix_len(prompts) == 20

    def run(shared: bool):
        tiny.zero_grad()
        prefix = encode_prefix(tiny, prompts[0][:20]) if shared else None
        values = []
        for p, c in zip(prompts, comps):
            lp, mask = group_logprobs(tiny, p, c, 0.7, chunk=4, prefix=prefix)
            (lp * mask).sum().mul(len(p)).backward()
            values.append((lp * mask).detach())
        if prefix is not None:
            prefix.backward()
        return values, {k: q.grad.clone() for k, q in tiny.named_parameters()}

    (va, ga), (vb, gb) = run(True), run(False)
    assert all(torch.allclose(x, y, atol=1e-5) for x, y in zip(va, vb))
    assert all(torch.allclose(ga[k], gb[k], atol=1e-5) for k in ga), [
        k for k in ga if not torch.allclose(ga[k], gb[k], atol=1e-5)
    ]
    assert ga["model.embed_tokens.weight"][5:25].abs().sum() > 0  # the prefix's own tokens got gradient


def tiny_config(tmp_path, **over) -> Config:
    cfg = load("quickstart", [
        "data.train_size=12", "data.eval_size=3", "data.shots=0", "rollout.n=4", "rollout.max_tokens=6",
        "train.prompts_per_step=2", "train.steps=3", "train.save_every=1", f"train.output_dir={tmp_path / 'run'}",
        "reward.reward=test_odd_length", "algo.lr=1e-3", "algo.beta=0.01", "algo.sft_warmup_steps=0",
        "data.mask_rate=0",
    ] + [f"{k}={v}" for k, v in over.items()])  # fmt: skip
    return cfg


def test_grpo_steps_update_the_model_and_write_the_run_directory(tmp_path, tiny, tokenizer):
    before = {k: v.detach().clone() for k, v in tiny.named_parameters()}
    report = fit(tiny_config(tmp_path, **{"algo.entropy_coef": 0.01}), model=tiny, tokenizer=tokenizer, progress=False)
    run = tmp_path / "run"
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if "reward_mean" in r]
    assert [r["step"] for r in steps] == [1, 2, 3]
    trained = [r for r in steps if r["groups_kept"]]
    assert trained and all({"loss", "entropy", "kl", "clip_frac"} <= set(r) for r in trained)
    evals = [json.loads(line) for line in (run / "eval_samples.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals] == [0] * 3 + [3] * 3  # every held-out completion, before and after
    assert all({"id", "completion", "score", "reason"} <= set(e) for e in evals)
    assert any(not torch.equal(before[k], v) for k, v in tiny.named_parameters())
    assert {"before", "after"} <= set(report) and 0.0 <= report["after"]["accuracy"] <= 1.0
    for name in ("config.json", "samples.jsonl", "reward_curve.png", "report.json", "checkpoint-3/model/config.json",
                 "checkpoint-3/trainer_state.pt", "prompt.json", "checkpoint-3/prompt.json"):  # fmt: skip
        assert (run / name).exists(), name
    assert list((run / "tensorboard").iterdir())
    assert json.loads((run / "config.json").read_text())["algo"]["lr"] == 1e-3


def test_final_scores_are_written_before_the_final_save(tmp_path, tiny, tokenizer, monkeypatch):
    """A final save that fails (a full disk) must not take the last evaluation with it."""
    from grpo_core.trainer import Trainer

    saved = []

    def save(self, path=None):
        if self.step == 3:
            raise OSError(28, "No space left on device")
        saved.append(self.step)

    monkeypatch.setattr(Trainer, "save", save)
    with pytest.raises(OSError):
        fit(tiny_config(tmp_path), model=tiny, tokenizer=tokenizer, progress=False)
    assert saved == [1, 2]
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert {"before", "after"} <= set(report)
    evals = [json.loads(line) for line in (tmp_path / "run" / "eval_samples.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals] == [0] * 3 + [3] * 3


def test_resume_continues_exactly(tmp_path, tokenizer, tiny):
    from transformers import LlamaForCausalLM

    initial = {k: v.clone() for k, v in tiny.state_dict().items()}

    def from_initial():  # what a new process loads: the original weights (the reference model comes from them)
        m = LlamaForCausalLM(tiny.config)
        m.load_state_dict(initial)
        return m

    fresh = from_initial()
    full = tiny_config(tmp_path / "a")
    fit(full, model=tiny, tokenizer=tokenizer, progress=False)
    part = tiny_config(tmp_path / "b")
    fit(part, model=fresh, tokenizer=tokenizer, progress=False, stop_after=2)
    restart = from_initial()
    fit(part, model=restart, tokenizer=tokenizer, progress=False, resume=True)

    def step3(run):
        rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        return next(r for r in rows if r.get("step") == 3 and "reward_mean" in r)

    a, b = step3(tmp_path / "a" / "run"), step3(tmp_path / "b" / "run")
    for key in ("reward_mean", "groups_kept", "loss", "completion_len"):
        assert a[key] == pytest.approx(b[key], abs=1e-6), key


def test_sft_warm_start_then_grpo_resumes_with_its_reference(tmp_path, tokenizer, tiny):
    """The first k steps fit the gold answers, GRPO follows with the warm-started model as its KL reference,
    and a run resumed after the switch continues exactly (the reference is restored, not the base model)."""
    from transformers import LlamaForCausalLM

    initial = {k: v.clone() for k, v in tiny.state_dict().items()}

    def from_initial():
        m = LlamaForCausalLM(tiny.config)
        m.load_state_dict(initial)
        return m

    over = {"train.steps": 4, "algo.sft_warmup_steps": 1}
    report = fit(tiny_config(tmp_path / "a", **over), model=tiny, tokenizer=tokenizer, progress=False)
    assert {"before", "after_warmup", "after"} <= set(report)  # the warm start's own share is reported
    part = tiny_config(tmp_path / "b", **over)
    fit(part, model=from_initial(), tokenizer=tokenizer, progress=False, stop_after=2)
    fit(part, model=from_initial(), tokenizer=tokenizer, progress=False, resume=True)

    def rows(run):
        lines = (run / "run" / "metrics.jsonl").read_text().splitlines()
        return {r["step"]: r for r in map(json.loads, lines) if "mode" in r}

    a, b = rows(tmp_path / "a"), rows(tmp_path / "b")
    assert [a[k]["mode"] for k in (1, 2, 3, 4)] == ["sft", "grpo", "grpo", "grpo"]
    for step in (3, 4):
        assert "kl" in a[step] or not a[step]["groups_kept"]
        for key in ("reward_mean", "groups_kept", "loss", "kl"):
            assert a[step].get(key) == pytest.approx(b[step].get(key), abs=1e-6), (step, key)


def test_sft_mode_and_lora(tmp_path, tiny, tokenizer):
    cfg = tiny_config(tmp_path, **{"algo.mode": "sft", "model.lora_r": 4, "train.steps": 2, "algo.lr": 1e-2})
    fit(cfg, model=tiny, tokenizer=tokenizer, progress=False)
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows if "loss" in r]
    assert len(losses) == 2 and losses[1] < losses[0]
    assert (tmp_path / "run" / "checkpoint-2" / "model" / "adapter_config.json").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (["algo.lr=-1"], "algo.lr"),
        (["data.mask_rate=1.5"], "data.mask_rate"),
        (["data.tool_format=xml"], "data.tool_format"),
        (["algo.sft_warmup_steps=99"], "algo.sft_warmup_steps"),
        (["train.deepspeed=3", "model.lora_r=8"], "train.deepspeed"),  # ZeRO-3 with LoRA is refused
        (["train.deepspeed=4"], "train.deepspeed"),
        (["rollout.backend=tpu"], "rollout.backend"),
        (["algo.nope=1"], "algo.nope"),
        (["train.steps=many"], "train.steps"),
        (["data.source=/no/such/file.jsonl"], "data.source"),
        (["reward.match=fuzzy"], "reward"),
        (["algo.lr"], "section.key=value"),
    ],
)
def test_config_errors_name_the_field_before_any_compute(overrides, field):
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load("quickstart", overrides)


def test_recipes_load():
    assert load("quickstart").rollout.n == 8
    with pytest.raises(ConfigError, match="data.source"):  # its data path is the user's: the error names the field
        load("tool-n1")
    for name in ("auto-program", "auto-program-cpu", "division-of-labour-cpu"):  # synthetic-math: nothing to fetch
        assert load(name).data.source == "synthetic-math"
    assert load("division-of-labour-cpu").rollout.env == "coder" and load("auto-program-cpu").data.probes
    with pytest.raises(ConfigError, match="unknown recipe"):
        load("nope")


def test_mask_rate_adds_hammer_masked_copies_the_policy_cannot_memorise():
    from grpo_core.data import load_records

    cfg = load("quickstart", ["data.train_size=40", "data.mask_rate=0.5", "data.mask_tools=1"])
    train, evals, _ = load_records(cfg.data)
    masked = [r for r in train if r.meta.get("augmented") == "mask"]
    assert 8 <= len(masked) <= 32 and len(train) == 40 + len(masked)
    for r in masked:
        names = {t.name for t in r.tools}
        assert all(n.startswith("func_") for n in names) and {c.name for c in r.answer} <= names
    assert not any(r.meta.get("augmented") for r in evals)  # evaluation stays on natural names
    # The quickstart masks each tool of a copy at 0.5: some copies show a natural name beside a random one.
    train, _, _ = load_records(load("quickstart", ["data.train_size=200"]).data)
    masked = [[t.name.startswith("func_") for t in r.tools] for r in train if r.meta.get("augmented") == "mask"]
    assert all(any(m) for m in masked) and sum(not all(m) for m in masked) > len(masked) / 3


def test_training_records_never_show_a_held_out_tool():
    from grpo_core.data import load_records
    from toolcall_schema import synthetic

    held = {f.tool.name for f in synthetic.family_split()[1]}
    train, evals, shots = load_records(load("quickstart", ["data.train_size=200", "data.mask_rate=0"]).data)
    assert not held & {t.name for r in train + shots for t in r.tools}
    assert all({c.name for c in r.answer} <= held for r in evals)
    assert any(t.name not in held for r in evals for t in r.tools)  # evaluation keeps familiar distractors


def test_irrelevance_copies_ask_a_training_request_without_its_tool():
    from grpo_core.data import load_records

    base = ["data.train_size=200", "data.mask_rate=0"]
    plain, _, _ = load_records(load("quickstart", base).data)
    train, _, _ = load_records(load("quickstart", [*base, "data.irrelevance=0.5"]).data)
    by_id = {r.id: r for r in plain}
    copies = [r for r in train if r.meta.get("augmented") == "irrelevance"]
    assert 60 < len(copies) < 110 and len(train) == len(plain) + len(copies)  # about half of the ~170 call records
    for r in copies:
        origin = by_id[r.meta["origin"]]
        assert r.answer == [] and r.messages == origin.messages
        assert {t.name for t in r.tools} == {t.name for t in origin.tools} - {c.name for c in origin.answer}
    with pytest.raises(ConfigError, match="data.irrelevance"):
        load("quickstart", ["data.irrelevance=1.5"])


def test_no_call_shots_add_a_declining_worked_example_and_change_nothing_else(tmp_path):
    from grpo_core.data import load_records
    from toolcall_schema import synthetic, write_jsonl

    train, evals, pool = load_records(load("quickstart", ["data.mask_rate=0"]).data)
    train2, evals2, pool2 = load_records(load("quickstart", ["data.mask_rate=0", "data.no_call_shots=1"]).data)
    assert (train2, evals2, pool2[:1]) == (train, evals, pool) and len(pool2) == 2
    assert pool2[1].answer == [] and pool2[1].tools and pool2[0].answer
    records = tmp_path / "r.jsonl"  # from a records file: the first no-call records, kept out of training
    write_jsonl(synthetic.generate(40, seed=1), records)
    cfg = load("quickstart", [f"data.source={records}", "data.no_call_shots=2", "data.mask_rate=0"]).data
    train3, _, pool3 = load_records(cfg)
    assert [bool(r.answer) for r in pool3] == [True, False, False]
    assert not {r.id for r in pool3} & {r.id for r in train3}
    calls_only = tmp_path / "calls.jsonl"  # API-Bank has no no-call record: the user is told, not silently ignored
    write_jsonl([r for r in synthetic.generate(40, seed=1) if r.answer], calls_only)
    with pytest.warns(UserWarning, match="data.no_call_shots"):
        load_records(load("quickstart", [f"data.source={calls_only}", "data.no_call_shots=1"]).data)
    with pytest.raises(ConfigError, match="data.no_call_shots"):
        load("auto-program-cpu", ["data.no_call_shots=1"])


SEEN_PROGRESS: list[float] = []


@register_reward("test_progress")
def progress_reward(text, record, cfg, ctx):
    SEEN_PROGRESS.append(ctx.progress)
    return RewardResult(float(len(text) % 2), {}, "ok")


@register_reward("test_full_marks_never_correct")
def full_marks(text, record, cfg):
    return RewardResult(1.0, {}, "ok", correct=False)


@register_reward("test_always_correct")
def always_correct(text, record, cfg):
    return RewardResult(0.0, {}, "ok", correct=True)


def math_records(path, n: int = 6):
    from toolcall_schema import Message, Record, write_jsonl

    records = [Record(f"m{i}", "math", [], [Message("user", f"What is {i} + {i}?")], [], meta={"gold": str(2 * i)})
               for i in range(n)]  # fmt: skip
    write_jsonl(records, path)
    return path


@pytest.mark.parametrize("task", ["function_call", "python", "coder", "tools"])
def test_a_trainer_step_with_each_registered_task(tmp_path, tiny, tokenizer, task):
    from grpo_core.trainer import Trainer
    from rollout_vllm.tasks import TASKS

    # a new task needs a case here (bfcl_multi_turn: test_grpo_steps_on_bfcl_multi_turn_conversations)
    assert set(TASKS) == {"function_call", "python", "coder", "tools", "bfcl_multi_turn"}
    over = {"rollout.env": task, "train.steps": 1}
    if task in ("python", "coder"):
        data = math_records(tmp_path / "math.jsonl")
        over.update({"data.source": data, "data.eval_source": data, "reward.reward": "auto_program"})
        over["data.probes"] = task == "python"
    if task == "tools":
        over["rollout.tools"] = "rollout_vllm.testing:TOOLS"
    trainer = Trainer(tiny_config(tmp_path, **over), model=tiny, tokenizer=tokenizer)
    assert trainer.task.name == task
    assert trainer.task.eval_reward == ("boxed" if task in ("python", "coder") else "binary")
    prompt = tokenizer.decode(trainer.prompt_ids(trainer.train_records[0]))
    assert ("```python" in prompt) == (task == "python") and ("<request>" in prompt) == (task == "coder")
    before = {k: v.detach().clone() for k, v in tiny.named_parameters()}
    metrics = trainer.train_step()
    assert metrics["mode"] == "grpo" and "reward_mean" in metrics
    if metrics["groups_kept"]:
        assert any(not torch.equal(before[k], v) for k, v in tiny.named_parameters())
    result = trainer.evaluate()
    assert set(result) >= {"accuracy", "format_ok"} and (("tool_use" in result) == (task in ("python", "coder")))
    if task == "coder":  # a separate frozen model: no shared tensors, no gradients, unchanged by the update
        coder = trainer.task.coder.engine.backend.model
        policy_ptrs = {p.data_ptr() for p in tiny.parameters()}
        assert all(not p.requires_grad and p.data_ptr() not in policy_ptrs for p in coder.parameters())
        assert all(torch.equal(before[k], v) for k, v in coder.named_parameters())
        assert "coder_ok" in result
    if task == "python":
        probes = trainer.evaluate_probes()
        assert set(probes["by_kind"]) == {"compare_decimals", "count_letter", "decimal_difference", "days_between"}
        assert probes["accuracy"] == sum(e["correct"] for e in trainer.last_eval) / 12


def test_the_reward_sees_training_progress_advance(tmp_path, tiny, tokenizer):
    SEEN_PROGRESS.clear()
    fit(tiny_config(tmp_path, **{"reward.reward": "test_progress"}), model=tiny, tokenizer=tokenizer, progress=False)
    steps = sorted(set(SEEN_PROGRESS))
    assert steps == pytest.approx([0.0, 1 / 3, 2 / 3])  # 3 steps: the reward is told where training stands


def test_evaluation_counts_correct_answers_not_scores(tmp_path, tiny, tokenizer):
    """Held-out accuracy is the share the evaluation reward calls correct: full marks that are not a right
    answer (a format credit, say) count 0; a recipe can name its own evaluation reward."""
    from grpo_core.trainer import Trainer

    for eval_reward, expected in (("test_full_marks_never_correct", 0.0), ("test_always_correct", 1.0)):
        cfg = tiny_config(tmp_path, **{"train.eval_reward": eval_reward})
        trainer = Trainer(cfg, model=tiny, tokenizer=tokenizer)
        assert trainer.evaluate()["accuracy"] == expected
        assert all(e["correct"] is bool(expected) for e in trainer.last_eval)
    with pytest.raises(ConfigError, match="train.eval_reward"):
        tiny_config(tmp_path, **{"train.eval_reward": "no_such_reward"})


def test_curriculum_pass_rate_counts_correct_samples_not_high_scores():
    from grpo_core.data import Curriculum

    cur = Curriculum([], adaptive=True)
    cur.update("a", [True, False, False, False])
    assert cur.pass_rate["a"] == 0.25
    cur.update("a", [True, True, True, True])
    assert cur.pass_rate["a"] == pytest.approx(0.625)  # momentum 0.5


def test_group_key_draws_both_halves_of_a_pair_into_one_step():
    import random

    from grpo_core.data import Curriculum
    from toolcall_schema import synthetic_math

    train = synthetic_math.generate(140, seed=0, families=synthetic_math.family_split()[0])
    for adaptive in (False, True):
        cur = Curriculum(train, adaptive=adaptive, group_key="pair")
        paired = 0
        for step in range(200):
            picked = cur.sample(4, random.Random(step))
            assert len(picked) == 4 and len({r.id for r in picked}) == 4
            keys = [r.meta["pair"] for r in picked if "pair" in r.meta]
            # a half drawn as one of the first three prompts always brings its partner along
            first = [r.meta["pair"] for r in picked[:3] if "pair" in r.meta]
            assert all(keys.count(key) == 2 for key in first), keys
            paired += len(keys)
        assert paired > 0
    ungrouped = Curriculum(train, adaptive=True)
    steps = [[r.meta["pair"] for r in ungrouped.sample(4, random.Random(s)) if "pair" in r.meta] for s in range(200)]
    assert any(keys.count(key) == 1 for keys in steps for key in keys)  # without the key, halves come alone


def test_lora_with_a_kl_reference_and_a_warm_start_resumes(tmp_path, tokenizer):
    """The reference after a LoRA warm start is base + warm-started adapter, and a resumed run restores it."""
    from rollout_vllm.testing import tiny_llama

    over = {"model.lora_r": 4, "algo.beta": 0.05, "algo.sft_warmup_steps": 1, "train.steps": 3, "algo.lr": 1e-2}
    fit(tiny_config(tmp_path / "a", **over), model=tiny_llama(tokenizer), tokenizer=tokenizer, progress=False)
    rows = [json.loads(x) for x in (tmp_path / "a" / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["mode"] for r in rows if "mode" in r] == ["sft", "grpo", "grpo"]
    part = tiny_config(tmp_path / "b", **over)
    fit(part, model=tiny_llama(tokenizer), tokenizer=tokenizer, progress=False, stop_after=2)
    fit(part, model=tiny_llama(tokenizer), tokenizer=tokenizer, progress=False, resume=True)
    resumed = [json.loads(x) for x in (tmp_path / "b" / "run" / "metrics.jsonl").read_text().splitlines()]
    last = [r for r in resumed if r.get("step") == 3 and "mode" in r][-1]
    full = [r for r in rows if r.get("step") == 3 and "mode" in r][-1]
    assert "kl" in full and last["kl"] == pytest.approx(full["kl"], abs=1e-6)  # the restored reference


def test_math_warm_start_targets_mask_the_interpreter_output(tmp_path, tiny, tokenizer):
    """The SFT warm start on synthetic math trains on what the model writes (thought, code, answer), not on the
    output the sandbox would inject; worked examples in the prompt show the whole exchange."""
    from grpo_core.trainer import Trainer

    over = {"rollout.env": "python", "data.source": "synthetic-math", "data.shots": 1, "algo.sft_warmup_steps": 1}
    over["reward.reward"] = "auto_program"
    trainer = Trainer(tiny_config(tmp_path, **over), model=tiny, tokenizer=tokenizer)
    from toolcall_schema.synthetic_math import HELD_OUT

    assert trainer.eval_records and {r.meta["family"] for r in trainer.eval_records} <= set(HELD_OUT)
    assert "```output" in tokenizer.decode(trainer.prompt_ids(trainer.train_records[0]))  # the worked example
    batch = trainer.sft_batch(trainer.train_records[:2])
    for g in batch.groups:
        ids, mask = g.completion_ids[0], g.masks[0]
        trained = tokenizer.decode([t for t, m in zip(ids, mask) if m])
        injected = tokenizer.decode([t for t, m in zip(ids, mask) if not m])
        assert "```python" in trained and "\\boxed{" in trained and g.record.meta["gold"] in injected
        assert 0 < sum(mask) < len(mask)
    metrics = trainer.train_step()
    assert metrics["mode"] == "sft" and metrics["loss"] > 0


def test_wilson_interval_matches_hand_computed_values():
    from grpo_core.trainer import wilson_interval

    low, high = wilson_interval(12, 48)  # p = 0.25, n = 48: the standard 95% Wilson interval
    assert low == pytest.approx(0.1492, abs=1e-4) and high == pytest.approx(0.3878, abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("backend", "path", "lora", "installed", "expected"),
    [
        ("auto", "/models/m", 0, True, "vllm"),
        ("auto", "/models/m", 0, False, "hf"),  # vLLM not installed (e.g. macOS): the HF fallback
        ("auto", None, 0, True, "hf"),  # a model object handed to fit(): nothing vLLM can load
        ("auto", "/models/m", 8, True, "vllm"),  # LoRA: vLLM serves base + adapter, merged at each sync
        ("hf", "/models/m", 0, True, "hf"),
        ("vllm", "/models/m", 0, False, "vllm"),
    ],
)
def test_auto_backend_prefers_vllm_only_when_it_can_serve_the_policy(
    monkeypatch, backend, path, lora, installed, expected
):
    from types import SimpleNamespace

    import grpo_core.trainer as trainer_module

    real = importlib.util.find_spec
    monkeypatch.setattr(
        trainer_module.importlib.util,
        "find_spec",
        lambda name: (object() if installed else None) if name == "vllm" else real(name),
    )
    cfg = load("quickstart", [f"rollout.backend={backend}", f"model.lora_r={lora}"])
    assert trainer_module.Trainer._pick_backend(SimpleNamespace(cfg=cfg, model_path=path)) == expected


def test_a_lora_policy_is_served_as_base_plus_adapter(tokenizer):
    """What the rollout engine gets from a LoRA policy: the base model's names, each adapted weight with B·A·scale
    added, and the policy itself untouched (no merge/unmerge drift)."""
    from grpo_core.weights import served_weights
    from peft import LoraConfig, get_peft_model
    from rollout_vllm.testing import tiny_llama

    torch.manual_seed(0)
    base = tiny_llama(tokenizer)
    names = {k for k, _ in base.named_parameters()}
    policy = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    for name, p in policy.named_parameters():
        if "lora_B" in name:
            p.data.normal_()  # a trained adapter (B starts at zero)
    before = {k: v.clone() for k, v in policy.state_dict().items()}
    served = dict(served_weights(policy))
    assert set(served) == names
    q = policy.base_model.model.model.layers[0].self_attn.q_proj
    expected = q.base_layer.weight + q.lora_B["default"].weight @ q.lora_A["default"].weight * 2.0  # alpha / r
    torch.testing.assert_close(served["model.layers.0.self_attn.q_proj.weight"], expected)
    assert torch.equal(served["model.layers.0.mlp.up_proj.weight"], base.model.layers[0].mlp.up_proj.weight)
    assert all(torch.equal(v, policy.state_dict()[k]) for k, v in before.items())
    fresh = tiny_llama(tokenizer)
    fresh.load_state_dict(served)
    ids = torch.tensor([[5, 9, 17, 33, 65]])
    torch.testing.assert_close(fresh(ids).logits, policy(ids).logits, rtol=1e-5, atol=1e-5)


def test_a_checkpoint_carries_the_prompt_it_was_trained_on(tmp_path, tiny, tokenizer):
    """What bench-eval reads back from a checkpoint renders every prompt exactly as the trainer did."""
    from grpo_core.trainer import Trainer
    from rollout_vllm.tasks import PromptSpec

    trainer = Trainer(
        tiny_config(tmp_path, **{"data.shots": 2, "data.tool_format": "described"}), model=tiny, tokenizer=tokenizer
    )
    spec = PromptSpec.find(trainer.save() / "model")
    assert spec is not None and spec.tool_format == "described" and len(spec.shots) == 2
    record = trainer.eval_records[0]
    descriptions = [p["description"] for t in record.tools for p in t.parameters["properties"].values()]
    assert descriptions and all(d in spec.render(record, tokenizer) for d in descriptions)
    for r in trainer.eval_records + trainer.train_records[:3]:
        assert tokenizer(spec.render(r, tokenizer), add_special_tokens=False)["input_ids"] == trainer.prompt_ids(r)
    assert spec.shots[0][1] in spec.render(trainer.eval_records[0], tokenizer)


def test_dynamic_sampling_rolls_out_more_prompts_and_trains_on_at_most_prompts_per_step(tmp_path, tiny, tokenizer):
    from grpo_core.trainer import Trainer

    trainer = Trainer(tiny_config(tmp_path, **{"train.oversample": 3}), model=tiny, tokenizer=tokenizer)
    records = trainer.sample_records(3.0)
    assert len(records) == 6 and len({r.id for r in records}) == 6
    batch = trainer.collect(records)
    assert batch.metrics["groups_informative"] > 2  # odd/even lengths: most groups of a random model are mixed
    assert len(batch.groups) == batch.metrics["groups_kept"] == 2
    assert [g.index for g in batch.groups] == sorted(g.index for g in batch.groups)  # the first informative ones
    assert all(max(g.rewards) > min(g.rewards) for g in batch.groups)
    assert len(trainer.sample_records(1.0)) == 2  # SFT steps and oversample=1 sample prompts_per_step


@register_reward("test_constant")
def constant(text, record, cfg):
    return RewardResult(1.0, {}, "ok", correct=True)


def test_uniform_groups_are_kept_for_the_kl_term_when_asked_and_counted_as_uninformative(tmp_path, tiny, tokenizer):
    from grpo_core.trainer import Trainer

    over = {"reward.reward": "test_constant", "algo.drop_uniform": "false"}
    trainer = Trainer(tiny_config(tmp_path, **over), model=tiny, tokenizer=tokenizer)
    batch = trainer.collect(trainer.sample_records(1.0))
    assert batch.metrics["groups_kept"] == len(batch.groups) == 2 and batch.metrics["groups_informative"] == 0
    assert all(float(g.advantages.abs().max()) == 0.0 for g in batch.groups)  # no policy gradient, only the KL term
    dropped = Trainer(tiny_config(tmp_path, **{"reward.reward": "test_constant"}), model=tiny, tokenizer=tokenizer)
    assert not dropped.collect(dropped.sample_records(1.0)).groups


@register_reward("test_by_record")
def by_record(text, record, cfg):
    """The same score for every sample of a record, a different one from record to record."""
    value = float(record.id[-1:] in "13579")  # never raises: every registered reward meets arbitrary records
    return RewardResult(value, {}, "ok", correct=bool(value))


def test_a_batch_baseline_trains_on_groups_a_group_baseline_drops(tmp_path, tiny, tokenizer):
    from grpo_core.trainer import Trainer

    over = {"reward.reward": "test_by_record", "train.prompts_per_step": 4, "algo.beta": 0.0}
    grpo = Trainer(tiny_config(tmp_path, **over), model=tiny, tokenizer=tokenizer)
    records = grpo.curriculum.records[:4]
    assert [int(r.id.rsplit("-", 1)[-1]) % 2 for r in records] == [0, 1, 0, 1]  # both kinds of group
    assert not grpo.collect(records).groups
    rpp = Trainer(
        tiny_config(tmp_path, **over, **{"algo.advantage": "reinforce_plus_plus"}), model=tiny, tokenizer=tokenizer
    )
    batch = rpp.collect(records)
    assert batch.metrics["groups_informative"] == 0 and len(batch.groups) == 4
    for g in batch.groups:  # right records pushed up, wrong ones down
        assert (g.advantages > 0).all() if g.rewards[0] == 1.0 else (g.advantages < 0).all()
    before = {k: v.detach().clone() for k, v in tiny.named_parameters()}
    rpp.update(batch)
    assert any(not torch.equal(before[k], v) for k, v in tiny.named_parameters())


def test_no_thought_ablation_needs_a_reward_that_does_not_require_one():
    with pytest.raises(ConfigError, match=r"reward\.require_think"):
        load("quickstart", ["rollout.think=false"])
    assert load("quickstart", ["rollout.think=false", "reward.require_think=false"]).rollout.think is False


def test_warm_start_steps_use_sft_lr_and_grpo_steps_lr(tmp_path, tiny, tokenizer):
    from grpo_core.trainer import Trainer

    over = {"algo.sft_warmup_steps": 1, "algo.sft_lr": 3e-3, "algo.lr": 1e-4}
    trainer = Trainer(tiny_config(tmp_path, **over), model=tiny, tokenizer=tokenizer)
    first = {k: v.detach().clone() for k, v in tiny.named_parameters()}
    assert trainer.train_step()["lr"] == 3e-3
    moved = max((v - first[k]).abs().max().item() for k, v in tiny.named_parameters())
    assert 0.5 * 3e-3 < moved < 2 * 3e-3  # Adam's first step moves each weight by about the learning rate
    assert trainer.train_step()["lr"] == 1e-4
    assert [g["lr"] for g in trainer.optimizer.param_groups] == [1e-4]


@pytest.mark.skipif(importlib.util.find_spec("bfcl_eval") is None, reason="bfcl-eval is not installed")
def test_grpo_steps_on_bfcl_multi_turn_conversations(tmp_path, tokenizer):
    """Each group plays two right and two wrong conversations (a scripted sampler; the tiny model is trained on
    them): the rewards are BFCL's verdicts on the episodes, everything the environment injected is masked, and the
    informative groups move the parameters."""
    from grpo_core.trainer import Trainer
    from rollout_vllm.engine import RolloutEngine
    from rollout_vllm.testing import ScriptedConversations, gold_conversation, tiny_llama
    from toolcall_reward.multi_turn import check_multi_turn, decode_steps
    from toolcall_schema import convert_file, write_jsonl
    from toolcall_schema.converters.bfcl_multi_turn import multi_turn_path

    records = list(convert_file("bfcl_multi_turn", multi_turn_path("multi_turn_base")))[:3]
    for r in records:  # only the tools the answer uses, so the tiny model's prompts stay short
        used = {c.split("(")[0] for turn in r.meta["ground_truth"] for c in turn}
        r.tools = [t for t in r.tools if t.name in used]
    data = write_jsonl(records[:2], tmp_path / "mt.jsonl") and tmp_path / "mt.jsonl"
    write_jsonl(records[2:], tmp_path / "mt_eval.jsonl")
    over = {"rollout.env": "bfcl_multi_turn", "reward.reward": "bfcl_multi_turn", "rollout.max_turns": 64,
            "rollout.max_tokens": 20000, "data.source": data, "data.eval_source": tmp_path / "mt_eval.jsonl",
            "train.steps": 2, "train.prompts_per_step": 2}  # fmt: skip
    model = tiny_llama(tokenizer, max_positions=32768)
    trainer = Trainer(tiny_config(tmp_path, **over), model=model, tokenizer=tokenizer)
    scripts = {}
    for r in records:
        gold = gold_conversation(r)
        scripts[r.messages[0].content] = [gold, gold_conversation(r, thought="Skip a step.")[1:]]
    trainer.engine = RolloutEngine(ScriptedConversations(tokenizer, scripts))
    trainer.engine.env = trainer.task.make_env(trainer.engine, None)
    batch_records = trainer.train_records
    samples = trainer.generate(batch_records, 4, trainer.sampling(0))
    verdicts = []
    for k, s in enumerate(samples):
        verdicts.append(check_multi_turn(batch_records[k // 4], decode_steps(s.episode["turns"])).valid)
    assert verdicts == [True, False, True, False] * 2
    batch = trainer.collect(batch_records)
    assert [g.rewards for g in batch.groups] == [[1.0, 0.0, 1.0, 0.0]] * 2
    completions = [c for g in batch.groups for c in g.completion_ids]
    masks = [m for g in batch.groups for m in g.masks]
    for s, completion, mask in zip(samples, completions, masks, strict=True):
        assert completion == s.completion_ids and mask == s.mask
        injected = tokenizer.decode([i for i, m in zip(completion, mask) if m == 0])
        written = tokenizer.decode([i for i, m in zip(completion, mask) if m == 1])
        assert "<tool_response>" in injected and "<tool_call>" not in injected and "<tool_response>" not in written
        calls_made = sum(len(turn) - 1 for turn in s.episode["turns"])  # each turn's last message has no call
        assert written.count("<tool_call>") == calls_made
    # the warm start's target is the right conversation exactly as the environment splices it, injections masked
    (sft,) = trainer.sft_batch(batch_records[:1]).groups
    assert sft.completion_ids[0] == samples[0].completion_ids and sft.masks[0] == samples[0].mask
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    metrics = trainer.train_step()
    assert metrics["reward_mean"] == 0.5 and metrics["groups_kept"] == 2
    assert any(not torch.equal(before[k], v) for k, v in model.named_parameters())
    result = trainer.evaluate()
    assert result["accuracy"] == 1.0 and result["turns_reached"] == len(records[2].meta["question"])


@register_reward("test_text_parity")
def text_parity(text, record, cfg):
    """0 or 1 by a checksum of the completion: a tiny random model's groups are mostly informative."""
    import zlib

    return RewardResult(float(zlib.crc32(text.encode()) % 2), {}, "ok")


@register_reward("test_rarely_informative")
def rarely_informative(text, record, cfg):
    """Varies with the sample only for records whose id ends in 0 or 5: most groups are uniform."""
    import zlib

    return RewardResult(float(zlib.crc32(text.encode()) % 2) if record.id[-1] in "05" else 0.0, {}, "ok")


def test_dynamic_sampling_refills_until_the_batch_is_informative_or_the_bound(tmp_path, tiny, tokenizer):
    from grpo_core.trainer import Trainer

    over = {"reward.reward": "test_rarely_informative", "data.train_size": 40, "train.prompts_per_step": 2}
    plain_trainer = Trainer(tiny_config(tmp_path, **over), model=tiny, tokenizer=tokenizer)
    plain = plain_trainer.collect_informative(plain_trainer.sample_records())
    trainer = Trainer(tiny_config(tmp_path, **over, **{"train.max_refills": 30}), model=tiny, tokenizer=tokenizer)
    batch = trainer.collect_informative(trainer.sample_records())
    assert plain.metrics["refills"] == 0 and len(plain.groups) < 2  # without refills the batch is short
    assert len(batch.groups) == 2 and 1 <= batch.metrics["refills"] <= 30
    assert all(g.record.id[-1] in "05" for g in batch.groups)  # only informative groups were added
    assert batch.metrics["rollouts"] > plain.metrics["rollouts"] == 8  # the refills' rollouts are counted
    bounded = Trainer(tiny_config(tmp_path, **over, **{"train.max_refills": 1}), model=tiny, tokenizer=tokenizer)
    assert bounded.collect_informative(bounded.sample_records()).metrics["refills"] <= 1


def test_overlong_samples_are_filtered_from_the_loss_and_softly_punished(tmp_path, tiny, tokenizer):
    from grpo_core.trainer import Trainer

    over = {"algo.overlong_filter": True, "algo.drop_uniform": False, "reward.reward": "test_always_correct"}
    trainer = Trainer(tiny_config(tmp_path, **over), model=tiny, tokenizer=tokenizer)
    records = trainer.sample_records()
    batch = trainer.collect(records)
    samples = trainer.generate(records, 4, trainer.sampling(0))  # the same rollouts (same seed)
    cut = [s.truncated and s.finish_reason == "length" for s in samples]
    assert any(cut) and batch.metrics["overlong"] == sum(cut) / len(cut)
    masks = [m for g in batch.groups for m in g.masks]
    assert [not any(m) for m in masks] == cut  # exactly the cut samples lose their tokens
    soft = {"algo.overlong_buffer": 4, "algo.drop_uniform": False, "reward.reward": "test_always_correct"}
    punished = Trainer(tiny_config(tmp_path, **soft), model=tiny, tokenizer=tokenizer)
    rewards = [r for g in punished.collect(records).groups for r in g.rewards]
    expected = [-min(1.0, max(0, len(s.completion_ids) - 2) / 4) for s in samples]  # budget 6, buffer 4
    assert rewards == pytest.approx(expected) and min(rewards) == -1.0


@pytest.mark.parametrize(
    "options",
    [{"algo.policy_loss": "gspo", "algo.clip_low": 0.1, "algo.clip_high": 0.1}, {"algo.policy_loss": "cispo"},
     {"algo.correction": "tis"}, {"algo.correction": "mis", "algo.is_cap": 10.0}],
    ids=["gspo", "cispo", "tis", "mis"],
)  # fmt: skip
def test_each_2026_loss_trains_from_the_config_and_logs_the_sampler_gap(tmp_path, tiny, tokenizer, options):
    from grpo_core.trainer import Trainer

    over = {**options, "reward.reward": "test_text_parity"}
    trainer = Trainer(tiny_config(tmp_path, **over, **{"train.prompts_per_step": 2}), model=tiny, tokenizer=tokenizer)
    before = {k: v.detach().clone() for k, v in tiny.named_parameters()}
    metrics = trainer.train_step()
    assert {"logprob_gap", "sampler_kl"} <= set(metrics) and metrics["logprob_gap"] < 1e-3  # HF sampler = trainer
    assert ("mis_kept" in metrics) == (options.get("algo.correction") == "mis")
    assert metrics["groups_kept"] > 0  # informative groups were trained on: the parameters must move
    assert any(not torch.equal(before[k], v) for k, v in tiny.named_parameters())


def test_a_correction_with_gspo_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="algo.correction"):
        tiny_config(tmp_path, **{"algo.policy_loss": "gspo", "algo.correction": "tis"})


def test_the_update_builds_every_tensor_on_the_policy_device(tmp_path, tiny, tokenizer):
    """The policy's forward, the group's padded inputs, the objective and its backward run on a ``meta`` policy:
    any tensor made on the CPU instead of the policy's device raises there."""
    from grpo_core.forward import base_and_head, group_hidden
    from grpo_core.logprobs import token_logprobs
    from grpo_core.maths import aggregate, token_objective
    from grpo_core.trainer import Trainer, resolve_device
    from rollout_vllm.testing import tiny_llama

    trainer = Trainer(tiny_config(tmp_path, **{"reward.reward": "test_text_parity"}), model=tiny, tokenizer=tokenizer)
    assert trainer.device == resolve_device("auto") and next(tiny.parameters()).device == trainer.device
    group = trainer.collect(trainer.sample_records()).groups[0]
    meta = tiny_llama(tokenizer).to("meta")
    try:
        hidden, targets, valid = group_hidden(meta, group.prompt_ids, group.completion_ids, trainer.pad_id)
    except RuntimeError as error:  # older transformers open an autocast on the input's device in the rotary embedding
        if "unsupported scalarType" not in str(error):
            raise
        pytest.skip(f"transformers {transformers.__version__} cannot run a forward on the meta device")
    mask, old_logp, advantages = trainer.grpo_inputs(group, valid)
    assert {t.device.type for t in (hidden, targets, valid, mask, old_logp, advantages)} == {"meta"}
    b, t = targets.shape
    head = base_and_head(meta)[1]
    logp = token_logprobs(hidden.reshape(b * t, -1), head, targets.reshape(-1)).view(b, t)
    loss = trainer.cfg.algo.loss()
    total = aggregate(token_objective(logp, old_logp, advantages.view(b, 1), loss), mask, loss.agg)
    total.backward()
    assert total.device.type == "meta" and head.grad.device.type == "meta"
    with pytest.raises(ConfigError, match="train.device"):
        tiny_config(tmp_path, **{"train.device": "tpu"})


def test_repeat_adds_requests_for_one_tool_several_times_to_training_only():
    from grpo_core.data import load_records

    def repeated(records):
        return [r for r in records if len(r.answer) > 1 and len({c.name for c in r.answer}) == 1]

    base = ["data.train_size=200", "data.mask_rate=0"]
    plain, plain_evals, _ = load_records(load("quickstart", base).data)
    train, evals, _ = load_records(load("quickstart", [*base, "data.repeat=0.5"]).data)
    assert not repeated(plain) and 25 < len(repeated(train)) < 100
    assert evals == plain_evals  # the held-out records do not change
    _, _, shots = load_records(load("quickstart", [*base, "data.repeat_shots=1"]).data)
    assert len(shots) == 2 and not repeated(shots[:1]) and repeated(shots[1:])  # shown after the plain one
    with pytest.raises(ConfigError, match="data.repeat"):
        load("quickstart", ["data.repeat=-0.1"])
