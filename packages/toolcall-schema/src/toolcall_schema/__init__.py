"""toolcall-schema: one validated record type for every tool-calling dataset, prompt rendering and
output parsing."""

from importlib import metadata as _metadata

from .callsyntax import CallSyntaxError, format_calls, parse_calls
from .converters import CONVERTERS
from .io import (
    ConversionReport,
    convert_file,
    convert_hub,
    convert_items,
    read_jsonl,
    read_parquet,
    to_dataset,
    to_openai,
    write_jsonl,
    write_parquet,
)
from .model import Message, Record, Tool, ToolCall
from .parse import Diagnosis, ParsedOutput, format_completion, format_tool_call, parse_output
from .prompt import TOOL_N1_SYSTEM_PROMPT, build_messages, render_prompt, sft_target
from .validate import RecordError, record_errors, record_schema, validate_record

try:
    __version__ = _metadata.version("toolcall-schema")
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "CONVERTERS",
    "CallSyntaxError",
    "ConversionReport",
    "Diagnosis",
    "Message",
    "ParsedOutput",
    "Record",
    "RecordError",
    "TOOL_N1_SYSTEM_PROMPT",
    "Tool",
    "ToolCall",
    "build_messages",
    "convert_file",
    "convert_hub",
    "convert_items",
    "format_calls",
    "format_completion",
    "format_tool_call",
    "parse_calls",
    "parse_output",
    "read_jsonl",
    "read_parquet",
    "record_errors",
    "record_schema",
    "render_prompt",
    "sft_target",
    "to_dataset",
    "to_openai",
    "validate_record",
    "write_jsonl",
    "write_parquet",
]
