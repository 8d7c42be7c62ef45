import json

from rollout_vllm.cli import main
from toolcall_schema import Message, Record, Tool, ToolCall, write_jsonl


def test_generate_writes_completions_for_records(tmp_path, tiny_model, tokenizer, capsys):
    model_dir = tmp_path / "tiny"
    tiny_model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    tool = Tool("f", "", {"type": "object", "properties": {}})
    records = [Record(f"r{i}", "t", [tool], [Message("user", f"q{i}")], [ToolCall("f")]) for i in range(3)]
    write_jsonl(records, tmp_path / "data.jsonl")
    out = tmp_path / "out.jsonl"
    args = ["generate", "--model", str(model_dir), "--data", str(tmp_path / "data.jsonl"), "--n", "2",
            "--max-tokens", "8", "--backend", "hf", "--batch", "2", "-o", str(out)]  # fmt: skip
    assert main(args) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["sample"]) for r in rows] == [(f"r{i}", j) for i in range(3) for j in range(2)]
    assert all(r["completion_tokens"] <= 8 and isinstance(r["completion"], str) for r in rows)
    assert "wrote 6 completions" in capsys.readouterr().out


def test_bad_data_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "bad.jsonl").write_text('{"id": 1}\n')
    args = ["generate", "--model", "x", "--data", str(tmp_path / "bad.jsonl"), "-o", str(tmp_path / "o.jsonl")]
    assert main(args) == 1
    assert "bad.jsonl" in capsys.readouterr().err and not (tmp_path / "o.jsonl").exists()


def test_generate_with_the_coder_env_builds_the_named_coder(tmp_path, tiny_model, tokenizer, monkeypatch):
    from rollout_vllm import tasks

    model_dir = tmp_path / "tiny"
    tiny_model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    write_jsonl(
        [Record("m0", "math", [], [Message("user", "What is 2 + 2?")], [], meta={"gold": "4"})], tmp_path / "m.jsonl"
    )
    loaded = []
    real_load = tasks.Coder.load
    monkeypatch.setattr(
        tasks.Coder, "load", classmethod(lambda cls, spec, *a, **k: loaded.append(spec) or real_load(spec, *a, **k))
    )
    out = tmp_path / "out.jsonl"
    args = ["generate", "--model", str(model_dir), "--data", str(tmp_path / "m.jsonl"), "--n", "2", "--max-tokens", "8",
            "--backend", "hf", "--env", "coder", "--coder-model", str(model_dir), "-o", str(out)]  # fmt: skip
    assert main(args) == 0 and loaded == [str(model_dir)]
    assert len(out.read_text().splitlines()) == 2
