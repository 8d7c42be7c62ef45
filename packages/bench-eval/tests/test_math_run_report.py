"""Math with code (big-value transform, boxed scoring), `bench-eval run` on a tiny local model, and reports."""

from __future__ import annotations

import json
import random
import re
from fractions import Fraction

import pytest
from bench_eval.cli import main
from bench_eval.mathcode import MathCode, big_values, fmt

NATALIA = {"question": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in "
           "May. How many clips did Natalia sell altogether in April and May?",
           "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips "
           "altogether in April and May.\n#### 72"}  # fmt: skip
SHOP = {"question": "A shop sells 3 boxes of 12 pens and 2.5 kg of tea at 4 dollars per kg. How many pens, plus "
        "the tea's price in dollars?",
        "answer": "Pens: 3*12 = <<3*12=36>>36.\nTea: 2.5*4 = <<2.5*4=10>>10.\n"
        "Total 36+10 = <<36+10=46>>46\n#### 46"}  # fmt: skip
NO_STEPS = {"question": "What is 1 plus 1?", "answer": "Two.\n#### 2"}


def test_big_values_replays_the_solution_with_new_numbers():
    q, a = big_values(NATALIA["question"], NATALIA["answer"], random.Random(1))
    (n,) = {int(x) for x in re.findall(r"\d{9,11}", q)}
    assert "48" not in q and Fraction(a) == Fraction(3 * n, 2)
    q, a = big_values(SHOP["question"], SHOP["answer"], random.Random(2))
    boxes, pens, tea, price = re.findall(r"\d+(?:\.\d+)?", q)
    assert re.fullmatch(r"\d+\.\d{1,2}", tea) and all(len(x) >= 9 for x in (boxes, pens, price))
    assert Fraction(a) == int(boxes) * int(pens) + Fraction(tea) * int(price)
    assert big_values(NO_STEPS["question"], NO_STEPS["answer"], random.Random(0)) is None
    assert fmt(Fraction(1, 3)) is None and fmt(Fraction(5, 4)) == "1.25"


def test_math_scores_boxed_answers_and_counts_skipped(tmp_path, capsys):
    data = tmp_path / "gsm8k.jsonl"
    data.write_text("".join(json.dumps(x) + "\n" for x in (NATALIA, SHOP, NO_STEPS)))
    bench = MathCode()
    records = bench.load(None, str(data))
    assert [r.meta["category"] for r in records].count("gsm8k") == 3 and len(bench.skipped) == 1
    preds = tmp_path / "p.jsonl"
    with open(preds, "w") as f:
        for i, r in enumerate(records):
            answer = r.meta["gold"] if i % 2 == 0 else "7"
            f.write(json.dumps({"id": r.id, "output": f"<think>t</think><answer>\\boxed{{{answer}}}</answer>"}) + "\n")
    assert main(["score", "--benchmark", "math", "--data", str(data), "--predictions", str(preds)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["categories"]["gsm8k"]["correct"] == 2 and result["categories"]["gsm8k_big"]["correct"] == 1


def test_bad_prediction_file_names_file_and_line(tmp_path, capsys):
    preds = tmp_path / "p.jsonl"
    preds.write_text('{"id": "simple_python_0", "output": "x"}\n{"output": "no id"}\n')
    assert main(["score", "--benchmark", "bfcl:simple_python", "--limit", "1", "--predictions", str(preds)]) == 2
    assert f"{preds}:2" in capsys.readouterr().err


def test_run_generates_scores_reports_and_continues(tmp_path, capsys):
    pytest.importorskip("bfcl_eval", reason="bfcl-eval is not installed")
    from rollout_vllm.testing import byte_tokenizer, tiny_llama

    tok = byte_tokenizer()
    model_dir = tmp_path / "tiny"
    tiny_llama(tok, max_positions=8192).save_pretrained(model_dir)
    tok.save_pretrained(model_dir)
    args = ["run", "--model", str(model_dir), "--benchmark", "bfcl:simple_python,irrelevance", "--limit", "2",
            "--max-tokens", "4", "--batch-size", "3", "-o", str(tmp_path / "run")]  # fmt: skip
    assert main(args) == 0
    result = json.loads((tmp_path / "run" / "results.json").read_text())
    assert result["generated"] == 4 and result["backend"] == "hf"
    assert {c: v["total"] for c, v in result["categories"].items()} == {"simple_python": 2, "irrelevance": 2}
    assert result["categories"]["simple_python"]["correct"] == 0  # random weights write no valid call
    assert len((tmp_path / "run" / "predictions.jsonl").read_text().splitlines()) == 4
    assert main(args) == 0  # a rerun keeps what was written and generates nothing
    again = json.loads((tmp_path / "run" / "results.json").read_text())
    assert again["generated"] == 0 and again["already_done"] == 4
    capsys.readouterr()
    assert main(["report", str(tmp_path / "run"), str(tmp_path / "run"), "-o", str(tmp_path / "rep")]) == 0
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "tiny (hf)" in md and "simple_python" in md and "overall_single_turn" in md
    assert (tmp_path / "rep" / "report.png").stat().st_size > 1000
    assert len(json.loads((tmp_path / "rep" / "report.json").read_text())["runs"]) == 2


def test_report_rejects_a_folder_without_results(tmp_path, capsys):
    assert main(["report", str(tmp_path), "-o", str(tmp_path / "rep")]) == 2
    assert "results.json" in capsys.readouterr().err


def test_math_run_goes_through_the_python_environment(tmp_path):
    from rollout_vllm.testing import byte_tokenizer, tiny_llama

    tok = byte_tokenizer()
    model_dir = tmp_path / "tiny"
    tiny_llama(tok, max_positions=2048).save_pretrained(model_dir)
    tok.save_pretrained(model_dir)
    data = tmp_path / "gsm8k.jsonl"
    data.write_text(json.dumps(NATALIA) + "\n")
    assert main(["run", "--model", str(model_dir), "--benchmark", "math:gsm8k_big", "--data", str(data),
                 "--max-tokens", "4", "-o", str(tmp_path / "run")]) == 0  # fmt: skip
    result = json.loads((tmp_path / "run" / "results.json").read_text())
    assert result["categories"]["gsm8k_big"] == {"correct": 0, "total": 1, "accuracy": 0.0}


def test_run_scores_a_training_run_with_the_prompt_it_trained_on(tmp_path):
    """``--model RUN_DIR`` loads the latest checkpoint's model and renders prompts with the run's saved worked
    examples and tool format; ``--prompt-from`` gives a base model the same prompt."""
    pytest.importorskip("bfcl_eval", reason="bfcl-eval is not installed")
    from bench_eval.core import get_benchmark
    from bench_eval.run import model_folder, prompt_of
    from rollout_vllm.tasks import PromptSpec
    from rollout_vllm.testing import byte_tokenizer, tiny_llama
    from toolcall_schema import synthetic

    tok = byte_tokenizer()
    run = tmp_path / "run"
    for step in (1, 12, 3):  # the latest checkpoint is the highest step, not the last name in sort order
        tiny_llama(tok, max_positions=8192).save_pretrained(run / f"checkpoint-{step}" / "model")
        tok.save_pretrained(run / f"checkpoint-{step}" / "model")
    shot = synthetic.generate(1, seed=3)[0]
    PromptSpec("function_call", "compact", [(shot, "<tool_call>[]</tool_call>")]).save(run)
    assert model_folder(str(run)) == str(run / "checkpoint-12" / "model")
    assert model_folder(str(run / "checkpoint-3")) == str(run / "checkpoint-3" / "model")
    assert model_folder("smollm2-135m-instruct") == "smollm2-135m-instruct"
    bfcl, _ = get_benchmark("bfcl:simple_python")
    spec = prompt_of(bfcl, str(run / "checkpoint-3" / "model"))
    assert spec.tool_format == "compact" and spec.shots[0][0].id == shot.id
    assert prompt_of(bfcl, "smollm2-135m-instruct") == PromptSpec("function_call")
    (rec,) = bfcl.load(["simple_python"], None, 1)
    text = spec.render(rec, tok)
    assert shot.messages[-1].content in text and "<tool_call>[]</tool_call>" in text
    math, _ = get_benchmark("math:gsm8k_big")
    with pytest.raises(ValueError, match="function_call"):
        prompt_of(math, str(run))
    args = ["run", "--model", str(run), "--benchmark", "bfcl:irrelevance", "--limit", "1", "--max-tokens", "2",
            "-o", str(tmp_path / "out")]  # fmt: skip
    assert main(args) == 0
    result = json.loads((tmp_path / "out" / "results.json").read_text())
    assert result["prompt"] == {"task": "function_call", "tool_format": "compact", "think": True, "shots": 1}
