"""Bad tool arguments as one plain sentence, for every tool (the one place that words them).

The SDK checks a call's arguments against the tool's pydantic signature and, on failure, sends
the model pydantic's own report: ``1 validation error for query_tradesArguments``, ``Input should
be ...``, ``[type=..., input_value=...]`` and a documentation link. That names pydantic's types,
echoes the caller's input, and costs tokens without saying what to send instead.

:class:`PlainArgumentsServer` is an ``MCPServer`` whose ``call_tool`` catches exactly that failure
(a ``ToolError`` caused by a ``ValidationError`` of the tool's arguments model) and re-raises it as
one sentence that names the argument and what it accepts, read from the tool's input schema:
``limit must be a whole number from 1 to 200.``, ``side must be one of: buy, sell.``. The rejected
value is never echoed. The ``ValidationError`` stays the ``__cause__``, so the SDK still logs the
field names. Every other error passes through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from pydantic import ValidationError

__all__ = ["PlainArgumentsServer", "plain_sentence"]

#: How many problems one answer lists (a model fixes them one by one anyway).
MAX_PROBLEMS = 3


def _branch(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A property's schema without its ``null`` alternative (``X | None`` is an ``anyOf``)."""
    merged = {k: v for k, v in schema.items() if k != "anyOf"}
    for option in schema.get("anyOf", ()):
        if option.get("type") != "null":
            merged = {**option, **{k: v for k, v in merged.items() if k not in option}}
            break
    return merged


def _property(schema: Mapping[str, Any], loc: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
    """The argument's display name and the schema of the exact value that failed (a list item, say)."""
    name = str(loc[0]) if loc else "arguments"
    prop = _branch(schema.get("properties", {}).get(name, {}))
    if len(loc) > 1 and isinstance(loc[1], int) and "items" in prop:
        return f"each item of {name}", _branch(prop["items"])
    return name, prop


def _choices(prop: Mapping[str, Any], error: Mapping[str, Any]) -> list[str]:
    if "enum" in prop:
        return [str(v) for v in prop["enum"]]
    if "const" in prop:
        return [str(prop["const"])]
    return re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))


def _bounded(name: str, prop: Mapping[str, Any], kind: str = "a whole number") -> str:
    """``name`` must be ``kind`` (a whole number, a number) with the schema's bounds, if it has any."""
    low, high = (_number(prop.get("minimum")), _number(prop.get("maximum")))
    if low is not None and high is not None:
        return f"{name} must be {kind} from {low} to {high}"
    if low is not None:
        return f"{name} must be {kind} of at least {low}"
    if high is not None:
        return f"{name} must be {kind} of at most {high}"
    return f"{name} must be {kind}"


def _number(value: Any) -> str | None:
    """``50.0`` → ``"50"``: a schema bound as a person writes it (None when there is no bound)."""
    if value is None:
        return None
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _whole_number(name: str, prop: Mapping[str, Any]) -> str:
    return _bounded(name, prop)


def _text_form(name: str, prop: Mapping[str, Any], formats: Mapping[str, str]) -> str:
    pattern = str(prop.get("pattern", "")).removeprefix("^").removesuffix("$")
    phrase = formats.get(pattern) or prop.get("description")
    return f"{name} must be {phrase}" if phrase else f"{name} must be text in the form the tool's schema gives"


def _problem(error: Mapping[str, Any], schema: Mapping[str, Any], formats: Mapping[str, str]) -> str:
    """One pydantic error as a clause: the argument, then what it accepts (never the value sent)."""
    loc = tuple(error.get("loc", ()))
    kind = str(error.get("type", ""))
    ctx = error.get("ctx", {}) or {}
    name, prop = _property(schema, loc)
    if kind == "missing":
        return f"{name} is required"
    if kind in ("literal_error", "enum"):
        return f"{name} must be one of: {', '.join(_choices(prop, error))}"
    if kind.startswith("int_") or kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        if prop.get("type") == "integer":
            return _whole_number(name, prop)
    if kind.startswith("float_") or kind in (
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "finite_number",
    ):
        if prop.get("type") == "number":
            return _bounded(name, prop, "a number")
    if kind.startswith("bool_"):
        return f"{name} must be true or false"
    if kind == "list_type":
        items = _branch(prop.get("items", {}))
        if "enum" in items:
            return f"{name} must be a list of values from: {', '.join(map(str, items['enum']))}"
        return f"{name} must be a list, even for a single value"
    if kind == "too_long":
        return f"{name} may hold at most {ctx.get('max_length', prop.get('maxItems'))} items"
    if kind == "too_short":
        return f"{name} must hold at least {ctx.get('min_length', prop.get('minItems'))} items"
    if kind == "string_too_long":
        return f"{name} must be at most {ctx.get('max_length', prop.get('maxLength'))} characters"
    if kind == "string_too_short":
        return f"{name} must be at least {ctx.get('min_length', prop.get('minLength'))} characters"
    if kind in ("string_type", "string_pattern_mismatch"):
        return _text_form(name, prop, formats)
    if kind in ("value_error", "assertion_error") and ctx.get("error") is not None:
        # A custom validator's own message (one of ours, from errors.py): it already says what to fix.
        message = str(ctx["error"]).rstrip(".")
        return message if name in message else f"{name}: {message}"
    if kind == "extra_forbidden":
        return f"{name} is not an argument of this tool"
    kind_words = {
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "array": "a list",
        "string": "text",
        "object": "an object",
    }
    return f"{name} must be {kind_words.get(str(prop.get('type')), 'a value the tool schema allows')}"


def plain_sentence(exc: ValidationError, schema: Mapping[str, Any], formats: Mapping[str, str] | None = None) -> str:
    """``exc`` (a tool-arguments ValidationError) as one sentence; ``schema`` is the tool's input schema.

    ``formats`` maps a string pattern (without ``^``/``$``) to a phrase such as ``"a product id
    BASE-QUOTE such as BTC-USD"``; a pattern without one falls back to the property's description.
    """
    problems = list(dict.fromkeys(_problem(e, schema, formats or {}) for e in exc.errors()))
    shown = problems[:MAX_PROBLEMS]
    more = len(problems) - len(shown)
    sentence = "; ".join(shown) + (f" (and {more} more)" if more else "")
    return sentence + "."


LifespanT = TypeVar("LifespanT")


class PlainArgumentsServer(MCPServer[LifespanT]):
    """An ``MCPServer`` that reports bad tool arguments as one plain sentence (see the module docstring)."""

    def __init__(self, *args: Any, argument_formats: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._argument_formats = dict(argument_formats or {})

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if (
                isinstance(exc, UnexpectedToolError)
                or not isinstance(cause, ValidationError)
                or cause.title != f"{name}Arguments"
            ):
                raise
            schema = next((t.input_schema for t in await self.list_tools() if t.name == name), {})
            raise ToolError(
                f"Error executing tool {name}: {plain_sentence(cause, schema, self._argument_formats)}"
            ) from cause
