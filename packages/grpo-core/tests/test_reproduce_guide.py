"""The README's "Reproducing Tool-N1 on GPUs" guide, every command run in order on a CPU with local stand-ins: a
local dataset folder for each hub id, a tiny model for Qwen2.5-7B, 2 gloo ranks for 8 GPUs (two one-rank "nodes" for
the multi-node command), the HF backend for vLLM, two steps (three after the resume). If the guide changes, this
runs the new commands."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("deepspeed", reason="install grpo-core[deepspeed]")
pytest.importorskip("datasets", reason="install toolcall-schema[hub]")

README = Path(__file__).resolve().parents[1] / "README.md"
SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
HUB = {"Salesforce/xlam-function-calling-60k": "xlam", "Team-ACE/ToolACE": "toolace"}


def guide_commands() -> list[str]:
    text = README.read_text()
    section = text[text.index("## Reproducing Tool-N1 on GPUs") :]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def xlam_rows(n: int) -> list[dict]:
    def param(kind: str) -> dict:
        return {"description": "A value.", "type": kind}

    tools = [
        {"name": "convert", "description": "Convert money.", "parameters": {"amount": param("float"),
                                                                            "target": param("str")}},
        {"name": "airports", "description": "Airports near a city.", "parameters": {"city": param("str"),
                                                                                   "limit": param("int")}},
    ]  # fmt: skip
    cities = ["Lyon", "Oslo", "Lima", "Pune", "Kyiv", "Doha", "Bern", "Riga", "Cork", "Nice", "Baku", "Oran"]
    return [
        {
            "id": i,
            "query": f"Convert {100 + i} USD to EUR and find {i % 4 + 1} airports near {cities[i]}.",
            "answers": json.dumps(
                [
                    {"name": "convert", "arguments": {"amount": 100 + i, "target": "EUR"}},
                    {"name": "airports", "arguments": {"city": cities[i], "limit": i % 4 + 1}},
                ]
            ),
            "tools": json.dumps(tools),
        }  # fmt: skip
        for i in range(n)
    ]


def toolace_rows(n: int) -> list[dict]:
    system = (
        "You are an expert in composing functions.\nHere is a list of functions in JSON format that you can invoke:\n"
        '[{"name": "stock.quote", "description": "Quote.", "parameters": {"type": "dict", "properties": '
        '{"symbol": {"type": "string"}}, "required": ["symbol"]}}]\nShould you decide...[func1(a=b)]'
    )
    symbols = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "META"]
    return [
        {"system": system, "conversations": [{"from": "user", "value": f"Quote {s} please"},
                                             {"from": "assistant", "value": f'[stock.quote(symbol="{s}")]'}]}
        for s in symbols[:n]
    ]  # fmt: skip


def write_json(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows))


# What a CPU run changes in each training command: the model, the engine, the sizes; 2 steps, then 3 on resume.
CPU = ["model.dtype=float32", "model.gradient_checkpointing=false", "rollout.backend=hf", "rollout.n=2",
       "rollout.max_tokens=8", "train.prompts_per_step=1", "train.device=cpu", "algo.lr=1e-3",
       "train.save_every=1"]  # fmt: skip


def stand_in(command: str, tmp: Path, model: Path, port: int) -> list[list[str]]:
    """The command(s) that stand in for one guide line here (several for the multi-node line: one per node), with
    ``port`` as torchrun's rendezvous port."""
    for hub_id, name in HUB.items():
        command = command.replace(hub_id, str(tmp / "hub" / name))
    args = shlex.split(command)
    if args[:2] == ["uv", "run"]:
        args = args[2:]
    if args[0] in ("toolcall-schema", "grpo-export", "bench-eval", "torchrun"):
        args[0] = str(Path(sys.executable).parent / args[0])
    if "grpo_core.cli" in args:
        steps = "train.steps=3" if "--resume" in args else "train.steps=2"
        args += [f"model.name={model}", steps, *CPU]
        args[args.index("--nproc_per_node") + 1] = "2"
        if "--nnodes" in args:  # two one-rank "nodes" on this machine
            args[args.index("--nproc_per_node") + 1] = "1"
            args[args.index("--master_addr") + 1] = "127.0.0.1"
            args[args.index("--master_port") + 1] = str(port)
            rank = args.index("--node_rank") + 1
            return [args[:rank] + [str(r)] + args[rank + 1 :] for r in (0, 1)]
        return [args[:1] + ["--master_port", str(port)] + args[1:]]
    if args[0].endswith("bench-eval"):
        args[args.index("--backend") + 1] = "hf"
        bench = args.index("--benchmark") + 1
        small = {"bfcl": "bfcl:simple_python,irrelevance", "acebench": "acebench:normal_atom_bool,special_irrelevant"}
        args[bench] = small.get(args[bench], args[bench])
        if "--data" in args:
            data = args.index("--data") + 1
            args[data] = str(SHARED / Path(args[data]).relative_to("data"))
        args += ["--limit", "2", "--max-tokens", "8"]
    return [args]


def test_every_command_of_the_reproduction_guide_runs(tmp_path, free_port):
    from rollout_vllm.testing import byte_tokenizer, tiny_llama

    tokenizer = byte_tokenizer()
    model = tmp_path / "tiny-model"
    tiny_llama(tokenizer).save_pretrained(model)
    tokenizer.save_pretrained(model)
    write_json(tmp_path / "hub" / "xlam" / "train.json", xlam_rows(12))
    write_json(tmp_path / "hub" / "toolace" / "train.json", toolace_rows(6))
    env = {**os.environ, "DS_BUILD_OPS": "0", "OMP_NUM_THREADS": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}  # fmt: skip
    skipped = []
    for line in guide_commands():
        if "--data" in line and not SHARED.is_dir():
            skipped.append(line)  # API-Bank / ACEBench data live in ../shared (absent from a user's clone)
            continue
        if line.startswith("cat "):
            proc = subprocess.run(line, shell=True, cwd=tmp_path, capture_output=True, text=True)
            assert proc.returncode == 0, (line, proc.stderr)
            continue
        runs = stand_in(line, tmp_path, model, free_port())
        procs = [subprocess.Popen(a, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for a in runs]  # fmt: skip
        for args, proc in zip(runs, procs):
            out, err = proc.communicate(timeout=900)
            if proc.returncode != 0:  # the whole command and the end of its stderr, untruncated
                pytest.fail(f"exit {proc.returncode}: {shlex.join(args)}\n{err[-6000:]}", pytrace=False)
    # What the steps left: the data, both runs' checkpoints, the resumed step, the export and the scores.
    records = (tmp_path / "data" / "tool-n1-train.jsonl").read_text().splitlines()
    assert len(records) == 18 and {json.loads(r)["id"].split("-")[0] for r in records} >= {"xlam", "toolace"}
    assert (tmp_path / "runs" / "tool-n1-2nodes" / "checkpoint-2" / "model" / "config.json").is_file()
    metrics = [json.loads(x) for x in (tmp_path / "runs" / "tool-n1" / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if "time_update" in m] == [1, 2, 3]
    assert (tmp_path / "tool-n1-7b" / "model.safetensors").is_file() and (
        tmp_path / "tool-n1-7b" / "prompt.json"
    ).is_file()
    bfcl = json.loads((tmp_path / "eval" / "bfcl" / "results.json").read_text())
    assert bfcl["categories"]["simple_python"]["total"] == 2
    for name in ("api-bank", "acebench"):
        if not skipped:
            results = json.loads((tmp_path / "eval" / name / "results.json").read_text())
            assert sum(c["total"] for c in results["categories"].values()) > 0, name
    if skipped:
        pytest.skip(f"ran all but {len(skipped)} commands, whose data is in ../shared: {skipped}")
