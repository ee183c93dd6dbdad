"""BindJS property records, as the harness reads them, to JSON Schema (draft 2020-12).

A record is ``{"$property": kind, "options": {...}, "at": [line, column]}``; a plain object with a ``type``
(the older object form, ``{type: "string", title: ...}``) is read the same way. Every property takes
``title``, ``description``, ``required`` and ``defaultValue``; the rest of its options are its own:

- string: ``validation {minLength, maxLength, pattern, format: text|email|url}``, ``examples``
- number: ``validation {min, max}``; ``integer: true`` for whole numbers
- boolean
- enum: ``options``, a list of values or of ``{value, label}``
- date: ``includeTime`` (default true): an ISO 8601 date-time, else a date
- array: ``valueType`` (a property), ``validation {minItems, maxItems}``
- group: ``properties`` (nested properties)
- asset: ``assetTypes`` (e.g. image, video); the value is an asset's name, resolved by the host
- content: ``contentTypes``; the value is a content item's id, resolved by the host
- component: ``allowedComponents`` (component names); the value is ``{component, props}``

Editor-only options (``inspector``, ``placeholder`` and anything unknown) are kept under ``x-bindjs`` with
the property's kind, so an editor can rebuild its form from the schema alone. A ``defaultValue`` that its
own schema refuses is a compile error.
"""

from dataclasses import dataclass

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

DIALECT = "https://json-schema.org/draft/2020-12/schema"
COMMON = ("title", "description", "required", "defaultValue", "examples")
KINDS = ("string", "number", "boolean", "enum", "date", "array", "group", "asset", "content", "component")
STRING_FORMATS = {"email": "email", "url": "uri"}


@dataclass(frozen=True)
class SchemaProblem:
    at: tuple[int, int] | None
    message: str


class SchemaProblems(Exception):
    def __init__(self, problems: list[SchemaProblem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def component_schema(properties: object, *, at: tuple[int, int] | None) -> dict:
    """The JSON Schema of a component's ``properties`` record; raises :class:`SchemaProblems`."""
    problems: list[SchemaProblem] = []
    if not isinstance(properties, dict):
        raise SchemaProblems([SchemaProblem(at, "properties must be a record of property helpers")])
    schema = {"$schema": DIALECT, **_object_schema(properties, "properties", at, problems)}
    if problems:
        raise SchemaProblems(problems)
    return schema


def _object_schema(properties: dict, path: str, at, problems: list) -> dict:
    schema: dict = {"type": "object", "properties": {}}
    required = []
    for name, entry in properties.items():
        prop = _property(entry, f"{path}.{name}", at, problems)
        if prop is None:
            continue
        schema["properties"][name], is_required = prop
        if is_required:
            required.append(name)
    if required:
        schema["required"] = required
    return schema


def _location(entry: dict, fallback):
    at = entry.get("at")
    if isinstance(at, list) and len(at) == 2 and all(isinstance(n, int) for n in at):
        return tuple(at)
    return fallback


def _property(entry: object, path: str, at, problems: list) -> tuple[dict, bool] | None:
    if isinstance(entry, dict) and "$property" in entry:
        kind, options, at = entry["$property"], entry.get("options") or {}, _location(entry, at)
    elif isinstance(entry, dict) and isinstance(entry.get("type"), str):
        kind, options = entry["type"], {k: v for k, v in entry.items() if k != "type"}
    else:
        problems.append(SchemaProblem(at, f"{path} is not a property (use a helper such as PropertyString)"))
        return None
    if kind not in KINDS:
        problems.append(SchemaProblem(at, f"{path} has an unknown property type '{kind}'"))
        return None
    before = len(problems)
    schema = _KIND_SCHEMAS[kind](options, path, at, problems)
    if len(problems) > before:
        return None
    for key in ("title", "description"):
        if key in options:
            if not isinstance(options[key], str):
                problems.append(SchemaProblem(at, f"{path}: {key} must be a string"))
                return None
            schema[key] = options[key]
    if isinstance(options.get("examples"), list):
        schema["examples"] = options["examples"]
    extras = {k: v for k, v in options.items() if k not in COMMON and k not in _OWN_OPTIONS[kind]}
    schema["x-bindjs"] = {"type": kind, **extras}
    if "defaultValue" in options:
        schema["default"] = options["defaultValue"]
        if not _valid(schema, options["defaultValue"]):
            problems.append(SchemaProblem(at, f"{path}: defaultValue does not match the property's own schema"))
            return None
    required = options.get("required", False)
    if not isinstance(required, bool):
        problems.append(SchemaProblem(at, f"{path}: required must be true or false"))
        return None
    return schema, required


def _valid(schema: dict, value: object) -> bool:
    try:
        return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid(value)
    except SchemaError:
        return False


def _validation(options: dict, path: str, at, problems: list) -> dict:
    validation = options.get("validation", {})
    if not isinstance(validation, dict):
        problems.append(SchemaProblem(at, f"{path}: validation must be an object"))
        return {}
    return validation


def _copy_numbers(source: dict, mapping: dict, target: dict, path: str, at, problems: list) -> None:
    for key, keyword in mapping.items():
        if key in source:
            value = source[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(SchemaProblem(at, f"{path}: validation.{key} must be a number"))
            else:
                target[keyword] = value


def _string(options, path, at, problems) -> dict:
    schema: dict = {"type": "string"}
    validation = _validation(options, path, at, problems)
    _copy_numbers(validation, {"minLength": "minLength", "maxLength": "maxLength"}, schema, path, at, problems)
    if "pattern" in validation:
        schema["pattern"] = str(validation["pattern"])
    if validation.get("format") in STRING_FORMATS:
        schema["format"] = STRING_FORMATS[validation["format"]]
    return schema


def _number(options, path, at, problems) -> dict:
    schema: dict = {"type": "integer" if options.get("integer") is True else "number"}
    validation = _validation(options, path, at, problems)
    _copy_numbers(validation, {"min": "minimum", "max": "maximum"}, schema, path, at, problems)
    return schema


def _boolean(options, path, at, problems) -> dict:
    return {"type": "boolean"}


def _enum(options, path, at, problems) -> dict:
    choices = options.get("options")
    if not isinstance(choices, list) or not choices:
        problems.append(SchemaProblem(at, f"{path}: an enum needs options, a non-empty list"))
        return {}
    values = [c["value"] if isinstance(c, dict) and "value" in c else c for c in choices]
    if any(isinstance(v, dict | list) for v in values):
        problems.append(SchemaProblem(at, f"{path}: enum options are values or {{value, label}} objects"))
        return {}
    schema: dict = {"enum": values}
    labels = [c.get("label") for c in choices if isinstance(c, dict)]
    if any(isinstance(label, str) for label in labels):
        schema["oneOf"] = [
            {"const": c["value"], "title": c["label"]} if isinstance(c, dict) and "label" in c else {"const": v}
            for c, v in zip(choices, values, strict=True)
        ]
        del schema["enum"]
    return schema


def _date(options, path, at, problems) -> dict:
    return {"type": "string", "format": "date-time" if options.get("includeTime", True) is not False else "date"}


def _array(options, path, at, problems) -> dict:
    schema: dict = {"type": "array"}
    if "valueType" in options:
        item = _property(options["valueType"], f"{path}[]", at, problems)
        if item is not None:
            schema["items"] = item[0]
    validation = _validation(options, path, at, problems)
    _copy_numbers(validation, {"minItems": "minItems", "maxItems": "maxItems"}, schema, path, at, problems)
    return schema


def _group(options, path, at, problems) -> dict:
    nested = options.get("properties", {})
    if not isinstance(nested, dict):
        problems.append(SchemaProblem(at, f"{path}: a group's properties must be a record of properties"))
        return {}
    return _object_schema(nested, path, at, problems)


def _names(options, key, path, at, problems) -> list[str] | None:
    names = options.get(key)
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        problems.append(SchemaProblem(at, f"{path}: {key} must be a list of names"))
        return None
    return names


def _asset(options, path, at, problems) -> dict:
    _names(options, "assetTypes", path, at, problems)
    return {"type": "string", "minLength": 1}


def _content(options, path, at, problems) -> dict:
    _names(options, "contentTypes", path, at, problems)
    return {"type": "string", "minLength": 1}


def _component(options, path, at, problems) -> dict:
    name: dict = {"type": "string"}
    allowed = _names(options, "allowedComponents", path, at, problems)
    if allowed:
        name["enum"] = allowed
    return {
        "type": "object",
        "properties": {"component": name, "props": {"type": "object"}},
        "required": ["component"],
    }


_KIND_SCHEMAS = {
    "string": _string,
    "number": _number,
    "boolean": _boolean,
    "enum": _enum,
    "date": _date,
    "array": _array,
    "group": _group,
    "asset": _asset,
    "content": _content,
    "component": _component,
}
# Options each kind turns into schema keywords (the rest stay under x-bindjs).
_OWN_OPTIONS = {
    "string": {"validation"},
    "number": {"validation", "integer"},
    "boolean": set(),
    "enum": {"options"},
    "date": set(),
    "array": {"valueType", "validation"},
    "group": {"properties"},
    "asset": set(),
    "content": set(),
    "component": set(),
}
