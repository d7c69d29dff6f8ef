"""``completion/complete``: values for the ``product_id`` and ``label`` arguments of the prompts and the fills
template, from the local store and the credentials' public rows: fast, offline, never the exchange.

- ``product_id``: the products with stored fills (``TradeStore.fill_products``, one index seek each);
- ``label``: the credential labels (``env`` when set) and the labels that have stored sync state.

Matching is by prefix, case-insensitive; at most :data:`MAX_VALUES` (the spec's limit), with ``total`` and
``has_more``. Any other argument, prompt or template gets an empty list (never an error: a client asks
for every argument it shows). Registered through the low-level handler API because the SDK's
``@mcp.completion()`` does not hand its handler the request's state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from mcp.types import CompleteRequestParams, CompleteResult, Completion, PromptReference, ResourceTemplateReference

from .resources import FILLS_TEMPLATE

if TYPE_CHECKING:
    from mcp.server.context import ServerRequestContext

    from .surface import SurfaceServer
    from .sync_tools import ServerState

__all__ = ["COMPLETED_ARGUMENTS", "MAX_VALUES", "complete", "register_completions"]

MAX_VALUES = 100
#: Which arguments complete, by prompt name or resource template.
COMPLETED_ARGUMENTS: dict[str, frozenset[str]] = {
    "monthly_review": frozenset({"label"}),
    "fee_audit": frozenset({"product_id"}),
    "reconcile": frozenset({"label"}),
    FILLS_TEMPLATE: frozenset({"product_id"}),
}


def _labels(state: ServerState) -> list[str]:
    tracker = state.tracker
    names = {i.label for i in tracker.credentials.list()}
    names |= {s.label for s in tracker.store.sync_states()}
    return sorted(names)


def complete(state: ServerState, target: str, argument: str, value: str) -> Completion:
    """The completion of ``argument`` (typed so far: ``value``) of prompt or template ``target``."""
    if argument not in COMPLETED_ARGUMENTS.get(target, frozenset()):
        return Completion(values=[], total=0, has_more=False)
    if argument == "product_id":
        candidates = state.tracker.store.fill_products()
    else:
        candidates = _labels(state)
    typed = (value or "").strip().lower()
    found = [c for c in candidates if c.lower().startswith(typed)]
    return Completion(values=found[:MAX_VALUES], total=len(found), has_more=len(found) > MAX_VALUES)


def register_completions(mcp: SurfaceServer[Any]) -> None:
    """Serve ``completion/complete`` on ``mcp`` (which advertises the completions capability for it)."""

    async def handler(ctx: ServerRequestContext[Any], params: CompleteRequestParams) -> CompleteResult:
        ref = params.ref
        if isinstance(ref, PromptReference):
            target = ref.name
        elif isinstance(ref, ResourceTemplateReference):
            target = str(ref.uri)
        else:
            target = ""
        state = cast("ServerState", ctx.lifespan_context)
        return CompleteResult(completion=complete(state, target, params.argument.name, params.argument.value))

    mcp.add_request_handler("completion/complete", CompleteRequestParams, handler)
