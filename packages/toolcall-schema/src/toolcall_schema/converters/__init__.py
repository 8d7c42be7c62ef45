"""Converters from every supported source format into :class:`toolcall_schema.Record`."""

from . import acebench, apibank, bfcl, bfcl_multi_turn, openai, toolace, xlam  # noqa: F401  (registers the formats)
from ._common import CONVERTERS, Converter, read_json_items

__all__ = ["CONVERTERS", "Converter", "read_json_items"]
