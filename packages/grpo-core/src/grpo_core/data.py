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
            cfg.train_size, seed=cfg.seed, families=train_f, distractors=cfg.distractors, distractor_families=train_f
        )
        evals = synthetic.generate(
            cfg.eval_size, seed=cfg.seed + 10_000, families=test_f, distractors=cfg.distractors, prefix="heldout"
        )

        def worked_examples(n: int, no_call: float, offset: int, prefix: str) -> list[Record]:
            return synthetic.generate(
                n,
                seed=cfg.seed + offset,
                families=train_f,
                parallel=0,
                no_call=no_call,
                distractors=cfg.distractors,
                distractor_families=train_f,
                prefix=prefix,
            )

        pool = worked_examples(cfg.shots, 0.0, 20_000, "shot")
        pool += worked_examples(cfg.no_call_shots, 1.0, 30_000, "shot-no-call")
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
    wrong) come up more often."""

    def __init__(self, records: list[Record], adaptive: bool, floor: float = 0.05) -> None:
        self.records, self.adaptive, self.floor = records, adaptive, floor
        self.pass_rate: dict[str, float] = {}

    def sample(self, k: int, rng: random.Random) -> list[Record]:
        if not self.adaptive:
            return rng.sample(self.records, min(k, len(self.records)))
        weights = [self.floor + (lambda p: p * (1 - p))(self.pass_rate.get(r.id, 0.5)) for r in self.records]
        picked: list[Record] = []
        pool = list(range(len(self.records)))
        for _ in range(min(k, len(pool))):
            i = rng.choices(pool, weights=[weights[j] for j in pool])[0]
            pool.remove(i)
            picked.append(self.records[i])
        return picked

    def update(self, record_id: str, correct: list[bool], momentum: float = 0.5) -> None:
        """Fold one group's verdicts (each sample right or not, as the reward states it) into the pass rate."""
        rate = sum(map(bool, correct)) / max(1, len(correct))
        old = self.pass_rate.get(record_id)
        self.pass_rate[record_id] = rate if old is None else momentum * old + (1 - momentum) * rate
