"""``toolcall-schema``: convert, validate, inspect and augment tool-calling datasets."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from tqdm import tqdm

from . import augment as aug
from .converters import CONVERTERS
from .io import ConversionReport, convert_file, convert_hub, read_jsonl, write_jsonl, write_parquet
from .model import Record
from .validate import RecordError, record_errors


def _progress(it: Iterable, desc: str) -> Iterator:
    return iter(tqdm(it, desc=desc, unit=" rec", disable=None, file=sys.stderr, mininterval=0.5))


def _unit_interval(open_low: bool) -> Callable[[str], float]:
    """An argparse type: a number in (0, 1] (``open_low``) or [0, 1], refused before any file is opened."""

    def parse(text: str) -> float:
        value = float(text)
        if not (0 < value <= 1 if open_low else 0 <= value <= 1):
            raise argparse.ArgumentTypeError(f"must be in {'(' if open_low else '['}0, 1], not {text}")
        return value

    return parse


def _write(records: Iterable[Record], out: Path) -> int:
    if out.suffix == ".parquet":
        return write_parquet(records, out)
    return write_jsonl(records, out)


def cmd_convert(a: argparse.Namespace) -> int:
    report = ConversionReport()
    if a.hub:  # a dataset name for datasets.load_dataset: a hub id, or a local folder of data files
        out = Path(a.output or f"{Path(a.input).name}.records.jsonl")
        records = convert_hub(a.format, a.input, split=a.split, strict=a.strict, report=report)
    else:
        out = Path(a.output) if a.output else Path(a.input).with_suffix(".records.jsonl")
        records = convert_file(a.format, a.input, strict=a.strict, report=report)
    n = _write(_progress(records, f"convert {a.format}"), out)
    print(report.summary() if not a.quiet else report.summary().splitlines()[0])
    print(f"wrote {n} records to {out}")
    return 0


def cmd_validate(a: argparse.Namespace) -> int:
    bad = n = 0
    with open(a.input, encoding="utf-8") as f:
        for lineno, line in enumerate(_progress(f, "validate"), 1):
            if not line.strip():
                continue
            n += 1
            try:
                errs = record_errors(json.loads(line))
            except ValueError as e:
                errs = [f"not valid JSON: {e}"]
            if errs:
                bad += 1
                print(f"{a.input}:{lineno}: " + "; ".join(errs))
    print(f"{n - bad}/{n} records valid")
    return 1 if bad else 0


def cmd_stats(a: argparse.Namespace) -> int:
    print(json.dumps(aug.stats(_progress(read_jsonl(a.input), "stats")), indent=2))
    return 0


def cmd_augment(a: argparse.Namespace) -> int:
    records: Iterable[Record] = _progress(read_jsonl(a.input), "augment")
    dropped: list[str] = []
    if a.drop_unknown:
        records = aug.drop_unknown_tools(records, dropped)
    if a.dedupe:
        records = aug.dedupe(records)
    if a.irrelevance:
        records = aug.add_irrelevance(records, a.irrelevance, a.seed)
    if a.mask:
        records = aug.add_masked(records, a.mask, a.seed, a.mask_tools)
    n = _write(records, Path(a.output))
    if dropped:
        print(f"dropped {len(dropped)} records whose answer names an unknown tool: {', '.join(dropped[:20])}")
    print(f"wrote {n} records to {a.output}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="toolcall-schema", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("convert", help="convert a dataset file into records (JSONL or .parquet)")
    c.add_argument(
        "--from",
        dest="format",
        required=True,
        choices=sorted(CONVERTERS),
        help="; ".join(f"{k}: {v.help}" for k, v in sorted(CONVERTERS.items())),
    )
    c.add_argument(
        "input", help="input file (JSON array or JSON Lines; for bfcl and bfcl_multi_turn also a category name)"
    )
    c.add_argument("-o", "--output", help="output .jsonl or .parquet (default: INPUT.records.jsonl)")
    c.add_argument(
        "--hub",
        action="store_true",
        help="INPUT is a dataset for datasets.load_dataset (a hub id such as Salesforce/xlam-function-calling-60k, "
        "or a local folder of data files); needs the hub extra",
    )
    c.add_argument("--split", default="train", help="with --hub: the split to convert")
    c.add_argument("--strict", action="store_true", help="stop with exit 1 at the first bad record")
    c.add_argument("-q", "--quiet", action="store_true", help="print only the first summary line")
    c.set_defaults(fn=cmd_convert)
    v = sub.add_parser("validate", help="check every line of a records JSONL file against the schema")
    v.add_argument("input")
    v.set_defaults(fn=cmd_validate)
    s = sub.add_parser("stats", help="summary counts of a records JSONL file")
    s.add_argument("input")
    s.set_defaults(fn=cmd_stats)
    g = sub.add_parser("augment", help="Tool-N1 data steps on a records JSONL file")
    g.add_argument("input")
    g.add_argument("-o", "--output", required=True)
    g.add_argument("--drop-unknown", action="store_true", help="drop records whose answer names an unknown tool")
    g.add_argument("--dedupe", action="store_true", help="drop duplicate records")
    g.add_argument(
        "--irrelevance",
        type=_unit_interval(open_low=False),
        default=0.0,
        metavar="RATE",
        help="add an irrelevance variant (gold tools removed, answer []) for this fraction",
    )
    g.add_argument(
        "--mask",
        type=_unit_interval(open_low=False),
        default=0.0,
        metavar="RATE",
        help="add a Hammer-style masked variant for this fraction",
    )
    g.add_argument(
        "--mask-tools",
        type=_unit_interval(open_low=True),
        default=1.0,
        metavar="P",
        help="in a masked variant, rename each tool with this probability (at least one; default 1: every tool)",
    )
    g.add_argument("--seed", type=int, default=0)
    g.set_defaults(fn=cmd_augment)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except RecordError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except (FileNotFoundError, IsADirectoryError, PermissionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
