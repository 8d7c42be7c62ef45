"""The multi-turn rollout loop: all live sequences advance together; environments act concurrently.

Token bookkeeping is exact by construction: generated ids are kept as sampled (mask 1, with their
sampling-time log-probs) and each observation is tokenised on its own and appended (mask 0), so
``completion_ids`` is precisely what the model saw and ``mask`` marks precisely the injected tokens.

A stateful environment (one with ``begin(context)``, e.g. BFCL multi-turn) gets one episode per sample, started
from that prompt's context (its record); the episode's ``act(segment, finish)`` sees the message the model just
wrote and how it ended, also at its end-of-turn token when the environment ``acts_on_eos``; its ``summary()``
becomes ``Sample.episode``.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .core import Backend, Sample, SamplingConfig
from .envs import FunctionCallEnv


def rollout(
    backend: Backend,
    prompts: Sequence[list[int]],
    n: int,
    sampling: SamplingConfig,
    env=None,
    *,
    contexts: Sequence[Any] | None = None,
    workers: int = 8,
) -> list[Sample]:
    """``n`` samples per prompt (token ids), ordered prompt-major. Each continues until EOS, ``max_turns``
    environment rounds or ``max_tokens`` completion tokens (observations included). ``contexts``: one per prompt,
    for a stateful environment."""
    env = env or FunctionCallEnv()
    tok = backend.tokenizer
    samples = [Sample(i, j, list(p)) for i, p in enumerate(prompts) for j in range(n)]
    episodes: dict[int, Any] | None = None
    if hasattr(env, "begin"):
        if contexts is None or len(contexts) != len(prompts):
            raise ValueError(f"{type(env).__name__} keeps state per sample: pass contexts=, one per prompt")
        episodes = {id(s): env.begin(contexts[s.prompt_index]) for s in samples}
    on_eos = episodes is not None and getattr(env, "acts_on_eos", False)
    live = list(samples)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while live:
            left = [sampling.max_tokens - len(s.completion_ids) for s in live]
            budgets = [min(b, sampling.max_step_tokens) if sampling.max_step_tokens else b for b in left]
            outs = backend.generate_step([s.prompt_ids + s.completion_ids for s in live], sampling, env.stop, budgets)
            acting, finishes = [], []
            for s, out, room in zip(live, outs, left, strict=True):
                s.append(out.ids, out.logprobs, generated=True)
                step_cut = out.finish == "length" and len(out.ids) < room  # the message cap, not the whole budget
                hands_over = out.finish == "stop" or (on_eos and (out.finish == "eos" or step_cut))
                if hands_over and s.tool_rounds < sampling.max_turns:
                    acting.append(s)
                    finishes.append((out.finish, out.ids))
                else:
                    s.finish_reason = "max_turns" if hands_over else out.finish
                    s.truncated = out.finish == "length" or hands_over
            if episodes is not None:

                def act(s: Sample, finish: tuple[str, list[int]]) -> str | None:
                    return episodes[id(s)].act(tok.decode(finish[1], skip_special_tokens=False), finish[0])

                observations = list(pool.map(act, acting, finishes))
            else:
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
        if episodes is not None:
            s.episode = episodes[id(s)].summary()
        s.text = tok.decode(s.completion_ids, skip_special_tokens=False)
        s.response = s.text[: -len(eos)] if eos and s.finish_reason == "eos" and s.text.endswith(eos) else s.text
    return samples
