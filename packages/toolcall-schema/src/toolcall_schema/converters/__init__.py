"""Converters from every supported source format into :class:`toolcall_schema.Record`."""

from . import acebench, apibank, bfcl, openai, toolace, xlam  # noqa: F401  (registers the formats)
from ._common import CONVERTERS, Converter, read_json_items

__all__ = ["CONVERTERS", "Converter", "read_json_items"]
