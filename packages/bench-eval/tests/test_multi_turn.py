"""BFCL v4 multi-turn: lossless conversion, isolated execution, and verdicts equal to BFCL's own checker."""

from __future__ import annotations

import copy
import importlib.util
import json
import threading
from collections import Counter

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("bfcl_eval") is None, reason="bfcl-eval is not installed")


def _records(category):
    from toolcall_schema import convert_file
    from toolcall_schema.converters.bfcl_multi_turn import multi_turn_path

    return list(convert_file("bfcl_multi_turn", multi_turn_path(category), strict=True))


CATEGORIES = ("multi_turn_base", "multi_turn_miss_func", "multi_turn_miss_param", "multi_turn_long_context")


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "_x"
    if isinstance(value, list):
        return value[:-1] if value else ["x"]
    return None


def perturbations(record) -> dict[str, list[list[list]]]:
    """Trajectories that differ from the ground truth by one edit, by kind (a kind the entry cannot host is left
    out): a dropped state-changing call, a changed argument, an extra call, a call moved to a later turn and an
    emptied turn. Each call is its own step, as a model that calls one function per message would do."""
    from toolcall_schema.multi_turn import Call, Session, parse_call

    turns = [[parse_call(c) for c in turn] for turn in record.meta["ground_truth"]]
    as_steps = lambda ts: [[[c] for c in turn] for turn in ts]  # noqa: E731
    out = {}
    session = Session.for_record(record)
    changing = []
    for t, turn in enumerate(turns):
        for i, c in enumerate(turn):
            before = copy.deepcopy(session.state())
            session.call(c)
            if session.state() != before:
                changing.append((t, i))
    if changing:
        t, i = changing[-1]
        edited = copy.deepcopy(turns)
        del edited[t][i]
        out["drop_state_change"] = as_steps(edited)
    for t, turn in enumerate(turns):
        found = False
        for i, c in enumerate(turn):
            if c.kwargs:
                key = next(iter(c.kwargs))
                new = _changed(c.kwargs[key])
                if new is not None:
                    edited = copy.deepcopy(turns)
                    edited[t][i] = Call(c.name, c.args, {**c.kwargs, key: new})
                    out["changed_argument"], found = as_steps(edited), True
                    break
            elif c.args and _changed(c.args[0]) is not None:
                edited = copy.deepcopy(turns)
                edited[t][i] = Call(c.name, (_changed(c.args[0]), *c.args[1:]), c.kwargs)
                out["changed_argument"], found = as_steps(edited), True
                break
        if found:
            break
    nonempty = [t for t, turn in enumerate(turns) if turn]
    if nonempty:
        t = nonempty[0]
        edited = copy.deepcopy(turns)
        edited[t].append(edited[t][-1])
        out["extra_call"] = as_steps(edited)
        later = [t for t in nonempty if t + 1 < len(turns)]
        if later:
            t = later[0]
            edited = copy.deepcopy(turns)
            edited[t + 1].insert(0, edited[t].pop())
            out["moved_to_later_turn"] = as_steps(edited)
        edited = copy.deepcopy(turns)
        edited[nonempty[-1]] = []
        out["emptied_turn"] = as_steps(edited)
    return out


def test_conversion_is_lossless_against_the_original_files():
    from toolcall_schema import Record
    from toolcall_schema.converters.bfcl import read_json_items
    from toolcall_schema.converters.bfcl_multi_turn import multi_turn_path, to_bfcl_multi_turn

    for category in CATEGORIES:
        path = multi_turn_path(category)
        questions = list(read_json_items(path))
        answers = list(read_json_items(path.parent / "possible_answer" / path.name))
        records = _records(category)
        assert len(records) == len(questions) == len(answers) == 200
        for record, q, a in zip(records, questions, answers, strict=True):
            record = Record.from_dict(json.loads(json.dumps(record.to_dict())))  # through our JSONL form
            entry, answer = to_bfcl_multi_turn(record)
            assert entry == q and answer == a
            assert list(entry) == list(q)  # BFCL's field order too
    miss = _records("multi_turn_miss_func")[0]
    offered = {t.name for t in miss.tools}
    withheld = {t["name"] for tools in miss.meta["withheld_tools"].values() for t in tools}
    assert withheld == {"sort"} and "sort" not in offered and "mv" in offered


def test_verdicts_equal_bfcl_official_checker_on_ground_truth_and_perturbations():
    from bench_eval.official import official_multi_turn_valid
    from toolcall_reward.multi_turn import check_multi_turn

    tally: Counter = Counter()
    disagreements = []
    for category in CATEGORIES:
        for record in _records(category):
            gold = [[[c] for c in turn] for turn in record.meta["ground_truth"]]
            cases = {"ground_truth": gold, "ground_truth_one_step": [[t] for t in record.meta["ground_truth"]]}
            cases.update(perturbations(record))
            for kind, steps in cases.items():
                ours, theirs = check_multi_turn(record, steps).valid, official_multi_turn_valid(record, steps)
                tally[kind, ours] += 1
                if ours != theirs:
                    disagreements.append((record.id, kind, ours, theirs))
    assert disagreements == []
    assert tally["ground_truth", True] == tally["ground_truth_one_step", True] == 800
    for kind in ("drop_state_change", "changed_argument", "extra_call", "moved_to_later_turn", "emptied_turn"):
        assert tally[kind, False] > 0, kind  # each kind of edit is caught somewhere...
    assert tally["extra_call", True] > 0  # ...and a harmless extra call (a repeated read) is not punished
    print({f"{k}:{'pass' if v else 'fail'}": n for (k, v), n in sorted(tally.items())})


def test_two_trajectories_of_one_entry_keep_independent_state():
    from toolcall_schema.multi_turn import Session

    record = _records("multi_turn_base")[0]
    first, second = Session.for_record(record), Session.for_record(record)
    barrier = threading.Barrier(2)

    def run(session, folder):
        barrier.wait()
        for _ in range(20):
            session.call(f"mkdir(dir_name='{folder}')")

    threads = [threading.Thread(target=run, args=(s, f)) for s, f in ((first, "only_a"), (second, "only_b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    listing_a, listing_b = first.call("ls()"), second.call("ls()")
    assert "only_a" in listing_a and "only_b" not in listing_a
    assert "only_b" in listing_b and "only_a" not in listing_b
    assert Session.for_record(record).state() != first.state()  # a fresh session starts from the entry again
    assert first.call("no_such_function(x=1)") == "Error during execution: name 'no_such_function' is not defined"
    assert first.call("exit()").startswith("Error during execution: Function call exit is not allowed")


def test_the_environment_runs_each_sample_on_its_own_instances_with_exact_masks_and_checker_rewards():
    from bench_eval.official import official_multi_turn_valid
    from rollout_vllm.core import SamplingConfig
    from rollout_vllm.engine import RolloutEngine
    from rollout_vllm.tasks import get_task
    from rollout_vllm.testing import ScriptedConversations, byte_tokenizer, gold_conversation
    from toolcall_reward import RewardConfig, RewardContext, score
    from toolcall_reward.multi_turn import check_multi_turn, decode_steps

    tok = byte_tokenizer()
    good = _records("multi_turn_base")[0]
    bad = next(r for r in _records("multi_turn_miss_func") if r.messages[0].content != good.messages[0].content)
    good_script = gold_conversation(good)
    bad_script = gold_conversation(bad)[1:]  # skips the first call (cd into a folder): later calls run elsewhere
    scripts = {good.messages[0].content: [good_script], bad.messages[0].content: [bad_script]}
    task = get_task("bfcl_multi_turn")
    engine = RolloutEngine(ScriptedConversations(tok, scripts))
    env = task.make_env(engine, None)
    prompts = [task.prompt(r, tok) for r in (good, bad)]
    sampling = SamplingConfig(max_tokens=200_000, max_turns=200)
    samples = engine.generate(prompts, 2, sampling, env=env, contexts=[good, bad])
    verdicts = []
    for k, s in enumerate(samples):
        record = (good, bad)[k // 2]
        assert s.episode["finished"] and not s.episode["force_quit"] and s.finish_reason == "done"
        assert len(s.episode["turns"]) == len(record.meta["ground_truth"])
        # masks: model text (mask 1) is exactly the script; everything else is injected and masked
        model_ids = [i for i, m in zip(s.completion_ids, s.mask) if m]
        played = good_script if record is good else bad_script
        assert tok.decode(model_ids) == "".join(played)
        spans, cur = [], []
        for i, m in zip(s.completion_ids, s.mask):
            if m == 0:
                cur.append(i)
            elif cur:
                spans, cur = spans + [cur], []
        for span in spans:
            obs = tok.decode(span)
            assert tok(obs, add_special_tokens=False)["input_ids"] == span
            assert obs.startswith(("<|im_end|>\n<|im_start|>user\n", "\n<|im_start|>user\n"))
            assert obs.endswith("<|im_end|>\n<|im_start|>assistant\n")
        assert all(lp == 0.0 for lp, m in zip(s.logprobs, s.mask) if m == 0)
        assert (
            tok(tok.decode(s.prompt_ids) + s.text, add_special_tokens=False)["input_ids"]
            == s.prompt_ids + s.completion_ids
        )
        reward = score(s.response, record, RewardConfig(reward="bfcl_multi_turn"), RewardContext(episode=s.episode))
        steps = decode_steps(s.episode["turns"])
        assert reward.correct == check_multi_turn(record, steps).valid == official_multi_turn_valid(record, steps)
        verdicts.append(reward.score)
    assert verdicts == [1.0, 1.0, 0.0, 0.0]
    (added,) = bad.meta["withheld_tools"].values()  # shown only at the turn BFCL adds them, then callable
    before, _, after = samples[2].text.partition("I have updated some more functions")
    assert all(f'"name": "{t["name"]}"' in before[-3000:] for t in added) and after


def test_bench_eval_scores_episodes_and_bfcl_result_files(tmp_path):
    from bench_eval.cli import main
    from toolcall_schema.multi_turn import gold_calls

    records = _records("multi_turn_base")[:4]
    rows = []
    for i, r in enumerate(records):
        turns = [[f"<tool_call>{json.dumps([c.to_dict() for c in t])}</tool_call>", "Done."] for t in gold_calls(r)]
        episode = {"turns": turns, "force_quit": False, "finished": True}
        if i == 1:
            episode["turns"] = turns[:-1] + [["Done."]]  # no call in the last turn
        if i == 2:
            episode["finished"] = False  # cut off by the token budget
        row = {"id": r.id, "output": json.dumps(episode)}
        if i == 3:  # BFCL's own result file: Python call lists per step
            row = {"id": r.id, "result": [[f"[{c}]" for c in t] for t in r.meta["ground_truth"]]}
        rows.append(json.dumps(row))
    (tmp_path / "p.jsonl").write_text("\n".join(rows) + "\n")
    out = tmp_path / "scored"
    argv = ["score", "--benchmark", "bfcl_multi_turn:multi_turn_base", "--limit", "4", "--predictions"]
    assert main([*argv, str(tmp_path / "p.jsonl"), "--check-official", "-o", str(out)]) == 0
    result = json.loads((out / "results.json").read_text())
    assert result["categories"]["multi_turn_base"] == {"correct": 2, "total": 4, "accuracy": 0.5}
    assert result["summary"] == {"multi_turn": 0.5}
    assert result["failure_reasons"] == {"multi_turn:empty_turn_model_response": 1, "multi_turn:cut_off": 1}
    assert result["official_disagreements"] == []
    verdicts = [json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]
    assert [v["correct"] for v in verdicts] == [True, False, False, True]
