"""The policy's weights as the rollout engine serves them: the base model's own parameter names, full tensors.

A plain model gives its parameters as they are. A PEFT LoRA model gives each adapted layer's base weight with the
adapter's delta (``B @ A * scaling``) added, computed afresh on every sync and never written into the policy, so
vLLM serves base + adapter without knowing about LoRA and the trained base weights never drift by merge/unmerge
rounding.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch


def served_weights(model) -> Iterator[tuple[str, torch.Tensor]]:
    """``(name, tensor)`` pairs under the base model's names (what ``from_pretrained`` would load)."""
    if not hasattr(model, "peft_config"):
        for name, param in model.named_parameters():
            yield name, param.detach()
        return
    from peft.tuners.lora import LoraLayer

    adapter = model.active_adapter if isinstance(model.active_adapter, str) else model.active_adapter[0]
    deltas = {}
    for name, module in model.named_modules():
        if isinstance(module, LoraLayer) and adapter in module.lora_A:
            deltas[f"{name}.base_layer.weight"] = module
    for name, param in model.named_parameters():
        if ".lora_" in name:
            continue
        tensor = param.detach()
        if name in deltas:
            tensor = tensor + deltas[name].get_delta_weight(adapter).to(tensor.dtype)
        yield hf_name(name), tensor


def hf_name(peft_name: str) -> str:
    """A PEFT parameter name as the base model names it (``base_model.model.`` and ``.base_layer`` dropped)."""
    name = peft_name.removeprefix("base_model.model.")
    return name.replace(".base_layer.", ".")
