import pytest
from toolcall_schema.pytypes import bfcl_schema_to_json_schema, pytype_to_schema


@pytest.mark.parametrize(
    ("text", "schema", "optional"),
    [
        ("str", {"type": "string"}, False),
        ("int", {"type": "integer"}, False),
        ("float", {"type": "number"}, False),
        ("bool", {"type": "boolean"}, False),
        ("str, optional", {"type": "string"}, True),
        ("int, optional, default=5", {"type": "integer"}, True),
        ("List[int]", {"type": "array", "items": {"type": "integer"}}, False),
        ("List[Dict[str, Any]]", {"type": "array", "items": {"type": "object", "additionalProperties": {}}}, False),
        ("Dict[str, int]", {"type": "object", "additionalProperties": {"type": "integer"}}, False),
        ("Optional[List[str]]", {"type": "array", "items": {"type": "string"}}, True),
        ("Union[int, float]", {"anyOf": [{"type": "integer"}, {"type": "number"}]}, False),
        ("Union[str, None]", {"type": "string"}, True),
        (
            "Tuple[int, int]",
            {"type": "array", "prefixItems": [{"type": "integer"}] * 2, "minItems": 2, "maxItems": 2},
            False,
        ),
        ("Callable[[int], int]", {"x-original-type": "Callable[[int], int]"}, False),
        ("Widget", {"x-original-type": "Widget"}, False),
    ],
)
def test_python_type_strings(text, schema, optional):
    assert pytype_to_schema(text) == (schema, optional)


def test_bfcl_types_map_to_json_schema_and_keep_the_original():
    s = bfcl_schema_to_json_schema(
        {
            "type": "dict",
            "properties": {
                "a": {"type": "float"},
                "b": {"type": "tuple", "items": {"type": "integer"}},
                "c": {"type": "any"},
                "d": {"type": "dict", "properties": {"e": {"type": "string"}}},
            },
            "required": ["a"],
        }
    )
    assert s["type"] == "object" and s["x-bfcl-type"] == "dict" and s["required"] == ["a"]
    p = s["properties"]
    assert p["a"] == {"type": "number", "x-bfcl-type": "float"}
    assert p["b"] == {"type": "array", "x-bfcl-type": "tuple", "items": {"type": "integer"}}
    assert p["c"] == {"x-bfcl-type": "any"}
    assert p["d"]["properties"]["e"] == {"type": "string"}


def test_bfcl_java_values_are_strings_with_the_java_type_kept():
    s = bfcl_schema_to_json_schema(
        {
            "type": "dict",
            "properties": {"m": {"type": "HashMap"}, "xs": {"type": "ArrayList", "items": {"type": "long"}}},
        },
        "java",
    )
    assert s["properties"]["m"] == {"type": "string", "x-bfcl-type": "HashMap"}
    assert s["properties"]["xs"]["items"] == {"type": "string", "x-bfcl-type": "long"}
