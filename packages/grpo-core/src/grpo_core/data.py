"""Training and evaluation records, worked examples, and pass-rate curriculum (SimpleGRPO)."""

from __future__ import annotations

import random
import warnings

from toolcall_schema import Record, augment, read_jsonl, synthetic, synthetic_math

from .config import DataConfig


def load_records(cfg: DataConfig) -> tuple[list[Record], list[Record], list[Record]]:
    """(train, eval, worked-example records). Synthetic data (``synthetic``: tool calls, ``synthetic-math``:
    big-value word problems) evaluates on families never trained on."""
    if cfg.source == "synthetic-math":
        train_f, test_f = synthetic_math.family_split()
        train = synthetic_math.generate(cfg.train_size, seed=cfg.seed, families=train_f)
        evals = synthetic_math.generate(cfg.eval_size, seed=cfg.seed + 10_000, families=test_f, prefix="heldout")
        pool = synthetic_math.generate(cfg.shots, seed=cfg.seed + 20_000, families=train_f, prefix="shot")
    elif cfg.source == "synthetic":
        train_f, test_f = synthetic.family_split()
        # Distractors in training come from the training families too: the held-out tools are never shown.
        train = synthetic.generate(
            cfg.train_size,
            seed=cfg.seed,
            families=train_f,
            distractors=cfg.distractors,
            distractor_families=train_f,
            repeat=cfg.repeat,
        )
        evals = synthetic.generate(
            cfg.eval_size, seed=cfg.seed + 10_000, families=test_f, distractors=cfg.distractors, prefix="heldout"
        )

        def worked_examples(n: int, no_call: float, offset: int, prefix: str, repeat: float = 0.0) -> list[Record]:
            return synthetic.generate(
                n,
                seed=cfg.seed + offset,
                families=train_f,
                parallel=0,
                no_call=no_call,
                distractors=cfg.distractors,
                distractor_families=train_f,
                prefix=prefix,
                repeat=repeat,
            )

        pool = worked_examples(cfg.shots, 0.0, 20_000, "shot")
        pool += worked_examples(cfg.no_call_shots, 1.0, 30_000, "shot-no-call")
        pool += worked_examples(cfg.repeat_shots, 0.0, 40_000, "shot-repeat", repeat=1.0)
    else:
        records = list(read_jsonl(cfg.source))
        evals = list(read_jsonl(cfg.eval_source))[: cfg.eval_size] if cfg.eval_source else []
        pool = [r for r in records if r.answer][: cfg.shots]
        pool += [r for r in records if not r.answer][: cfg.no_call_shots]
        if len(pool) < cfg.shots + cfg.no_call_shots:
            warnings.warn(
                f"{cfg.source} has {len(pool)} worked examples of the {cfg.shots} with a call and "
                f"{cfg.no_call_shots} without asked for (data.shots, data.no_call_shots)",
                stacklevel=2,
            )
        train = [r for r in records if r not in pool]
    if cfg.irrelevance > 0:
        train = list(augment.add_irrelevance(train, cfg.irrelevance, seed=cfg.seed))
    if cfg.mask_rate > 0:
        train = list(augment.add_masked(train, cfg.mask_rate, seed=cfg.seed, tool_rate=cfg.mask_tools))
    return train, evals, pool


class Curriculum:
    """Prompt sampling. Uniform by default; with ``adaptive`` each record's weight follows its running pass
    rate p as p(1-p) + floor, so groups that can still teach something (neither always right nor always
    wrong) come up more often. With ``group_key``, records sharing that ``meta`` value (the two halves of a
    minimal pair) are drawn together, as far as ``k`` allows."""

    def __init__(self, records: list[Record], adaptive: bool, floor: float = 0.05, group_key: str = "") -> None:
        self.records, self.adaptive, self.floor, self.group_key = records, adaptive, floor, group_key
        self.pass_rate: dict[str, float] = {}
        self.groups: dict[str, list[int]] = {}
        for i, r in enumerate(records):
            if group_key and r.meta.get(group_key):
                self.groups.setdefault(r.meta[group_key], []).append(i)

    def sample(self, k: int, rng: random.Random) -> list[Record]:
        if not self.adaptive and not self.group_key:
            return rng.sample(self.records, min(k, len(self.records)))
        weights = [self.weight(r) for r in self.records]
        picked: list[int] = []
        pool = list(range(len(self.records)))
        while pool and len(picked) < k:
            i = rng.choices(pool, weights=[weights[j] for j in pool])[0]
            group = self.groups.get(self.records[i].meta.get(self.group_key), [])
            for j in [i] + [j for j in group if j != i]:
                if j in pool and len(picked) < k:
                    pool.remove(j)
                    picked.append(j)
        return [self.records[i] for i in picked]

    def weight(self, record: Record) -> float:
        """p(1-p) + floor by the record's pass rate (0.5 before it is seen); 1 when sampling is uniform."""
        if not self.adaptive:
            return 1.0
        p = self.pass_rate.get(record.id, 0.5)
        return self.floor + p * (1 - p)

    def update(self, record_id: str, correct: list[bool], momentum: float = 0.5) -> None:
        """Fold one group's verdicts (each sample right or not, as the reward states it) into the pass rate."""
        rate = sum(map(bool, correct)) / max(1, len(correct))
        old = self.pass_rate.get(record_id)
        self.pass_rate[record_id] = rate if old is None else momentum * old + (1 - momentum) * rate
