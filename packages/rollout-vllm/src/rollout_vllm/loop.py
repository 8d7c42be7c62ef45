"""The multi-turn rollout loop: all live sequences advance together; environments act concurrently.

Token bookkeeping is exact by construction: generated ids are kept as sampled (mask 1, with their
sampling-time log-probs) and each observation is tokenised on its own and appended (mask 0), so
``completion_ids`` is precisely what the model saw and ``mask`` marks precisely the injected tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from .core import Backend, Sample, SamplingConfig
from .envs import FunctionCallEnv


def rollout(
    backend: Backend,
    prompts: Sequence[list[int]],
    n: int,
    sampling: SamplingConfig,
    env=None,
    *,
    workers: int = 8,
) -> list[Sample]:
    """``n`` samples per prompt (token ids), ordered prompt-major. Each continues until EOS, ``max_turns``
    environment rounds or ``max_tokens`` completion tokens (observations included)."""
    env = env or FunctionCallEnv()
    tok = backend.tokenizer
    samples = [Sample(i, j, list(p)) for i, p in enumerate(prompts) for j in range(n)]
    live = list(samples)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while live:
            budgets = [sampling.max_tokens - len(s.completion_ids) for s in live]
            outs = backend.generate_step([s.prompt_ids + s.completion_ids for s in live], sampling, env.stop, budgets)
            acting = []
            for s, out in zip(live, outs, strict=True):
                s.append(out.ids, out.logprobs, generated=True)
                if out.finish == "stop" and s.tool_rounds < sampling.max_turns:
                    acting.append(s)
                else:
                    s.finish_reason = {"stop": "max_turns"}.get(out.finish, out.finish)
                    s.truncated = out.finish == "length" or out.finish == "stop"
            texts = [tok.decode(s.completion_ids, skip_special_tokens=False) for s in acting]
            batched = getattr(env, "act_batch", None)  # an environment may serve a whole round at once
            observations = batched(texts) if batched else list(pool.map(env.act, texts))
            live = []
            for s, obs in zip(acting, observations, strict=True):
                s.tool_rounds += 1
                if obs is None:
                    s.finish_reason = "done"
                    continue
                obs_ids = tok(obs, add_special_tokens=False)["input_ids"]
                room = sampling.max_tokens - len(s.completion_ids)
                s.append(obs_ids[:room], None, generated=False)
                if len(obs_ids) >= room:
                    s.finish_reason, s.truncated = "length", True
                else:
                    live.append(s)
    eos = getattr(tok, "eos_token", None)
    for s in samples:
        s.text = tok.decode(s.completion_ids, skip_special_tokens=False)
        s.response = s.text[: -len(eos)] if eos and s.finish_reason == "eos" and s.text.endswith(eos) else s.text
    return samples
