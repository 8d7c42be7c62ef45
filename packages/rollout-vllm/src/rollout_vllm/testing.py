"""Tiny local models for tests (here and downstream): a byte-level tokenizer with ChatML special tokens that
round-trips any text, and a 2-layer Llama built from a config. Nothing is downloaded."""

from __future__ import annotations

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def byte_tokenizer():
    """A ``PreTrainedTokenizerFast`` over the 256 byte symbols plus ``<|im_start|>``/``<|im_end|>``/``<|pad|>``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {ch: i for i, ch in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|pad|>", additional_special_tokens=["<|im_start|>"]
    )
    fast.chat_template = CHATML
    return fast


def tiny_llama(tokenizer, *, seed: int = 0, max_positions: int = 4096):
    """A randomly initialised 2-layer, 32-wide ``LlamaForCausalLM`` sized to ``tokenizer``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=max_positions,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(config)


def _add(a: float, b: float) -> float:
    return a + b


# Registered callables for the ``tools`` task in tests (``rollout.tools = "rollout_vllm.testing:TOOLS"``).
TOOLS = {"add": _add}


class ScriptedConversations:
    """A backend that plays fixed conversations (for multi-turn environment tests): ``scripts[key]`` is a list of
    model messages, played one per generation to every sequence whose prompt contains ``key``; ``variants``
    alternate, by sample, between several scripts for one key (sample ``k`` of the first call plays variant
    ``k % len``; its first message must name the variant uniquely)."""

    def __init__(self, tokenizer, scripts: dict[str, list[list[str]]]) -> None:
        self.tokenizer, self.scripts = tokenizer, scripts
        self.headers: dict[str, int] = {}

    def generate_step(self, prompts, sampling, stop, max_new):
        from .core import StepOutput

        outs = []
        for k, (p, room) in enumerate(zip(prompts, max_new)):
            text = self.tokenizer.decode(p)
            key = next(key for key in self.scripts if key in text)
            headers = text.count("<|im_start|>assistant")
            step = headers - self.headers.setdefault(key, headers)
            variants = self.scripts[key]
            if step == 0:
                script = variants[k % len(variants)]
            else:
                script = next(v for v in variants if v[0] in text)
            message = script[min(step, len(script) - 1)]
            ids = self.tokenizer(message, add_special_tokens=False)["input_ids"][:room]
            marker = next((m for m in stop if message.endswith(m)), None)
            outs.append(StepOutput(ids, [-0.25] * len(ids), "stop" if marker else "eos", marker))
        return outs

    def update_weights(self, named) -> None:
        pass


def gold_conversation(record, thought: str | None = None) -> list[str]:
    """A ``bfcl_multi_turn`` record's ground truth written as a model would: one ``<tool_call>`` message per call
    (the worked solution's messages unless ``thought`` replaces their thought), then a closing answer per turn."""
    from toolcall_schema.multi_turn import gold_calls

    from .multi_turn import gold_call_message

    messages = []
    for turn in gold_calls(record):
        for c in turn:
            message = gold_call_message(c)
            if thought is not None:
                message = f"<think>{thought}</think>" + message.split("</think>", 1)[1]
            messages.append(message)
        messages.append("Done.<|im_end|>")
    return messages
