"""Just enough JSON Schema (as OpenAPI 3.1 documents use it) to check a fake's requests and answers against
a service's published description: type, properties, required, additionalProperties, items, anyOf,
enum, minimum/maximum, $ref. A problem is named by its path in the document."""

from __future__ import annotations

from typing import Any

TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "integer": (int,), "number": (int, float),
    "boolean": (bool,), "null": (type(None),),
}  # fmt: skip


class OpenAPI:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def schema(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.document["components"]["schemas"][name]
        return found

    def problems(self, value: Any, schema: dict[str, Any], where: str = "$", strict: bool = False) -> list[str]:
        """What is wrong with `value`; `strict` also refuses properties the schema does not name."""
        if "$ref" in schema:
            return self.problems(value, self.schema(schema["$ref"].rsplit("/", 1)[1]), where, strict)
        if "anyOf" in schema:
            options = [self.problems(value, option, where, strict) for option in schema["anyOf"]]
            return [] if any(not o for o in options) else [f"{where}: matches none of anyOf ({options[0][0]})"]
        kind = schema.get("type")
        if kind is not None:
            allowed = TYPES[kind]
            if not isinstance(value, allowed) or (kind in ("integer", "number") and isinstance(value, bool)):
                return [f"{where}: expected {kind}, got {type(value).__name__}"]
        if "enum" in schema and value not in schema["enum"]:
            return [f"{where}: {value!r} is not one of {schema['enum']}"]
        if isinstance(value, int | float) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                return [f"{where}: {value} < {schema['minimum']}"]
            if "maximum" in schema and value > schema["maximum"]:
                return [f"{where}: {value} > {schema['maximum']}"]
        out: list[str] = []
        if isinstance(value, dict):
            props = schema.get("properties", {})
            out += [f"{where}.{key}: required" for key in schema.get("required", []) if key not in value]
            for key, item in value.items():
                if key in props:
                    out += self.problems(item, props[key], f"{where}.{key}", strict)
                elif schema.get("additionalProperties") is False or (strict and "additionalProperties" not in schema):
                    out.append(f"{where}.{key}: not allowed")
        if isinstance(value, list) and "items" in schema:
            for n, item in enumerate(value):
                out += self.problems(item, schema["items"], f"{where}[{n}]", strict)
        return out
