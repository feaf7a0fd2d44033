"""`dobject.view_lineage()` and `run.view_lineage()`: the explorer's view of a record.

Outside Jupyter this prints the explorer's absolute deep link,
`<api_url>/ui/dobject/<id>` or `<api_url>/ui/run/<id>` (docs/reference/explorer.md), built from
the API URL the SDK resolved (LINEAGE_API_URL, else what `lineage up` recorded). In a
Jupyter kernel it displays the explorer inline (an iframe on the deep link, with the link
under it; the plain-text form of the output is the link, for viewers without HTML).
"""

from __future__ import annotations

import sys
import uuid
from typing import Literal

from producer_sdk.notebook import in_kernel

NodeKind = Literal["dobject", "run"]


def deep_link(api_url: str, kind: NodeKind, node_id: uuid.UUID) -> str:
    """The explorer's URL focused on one node."""
    base = api_url.rstrip("/").removesuffix("/graphql")
    return f"{base}/ui/{kind}/{node_id}"


def view_lineage(api_url: str, kind: NodeKind, node_id: uuid.UUID) -> str:
    """Show the node's lineage: inline in Jupyter, else print the deep link; the link."""
    link = deep_link(api_url, kind, node_id)
    if in_kernel():
        _show_inline(link)
    else:
        print(link, file=sys.stdout)  # noqa: T201 - printing the link is the point
    return link


IFRAME_HEIGHT = 520


def inline_html(link: str) -> str:
    """The output cell's HTML: the explorer focused on the node, and its link."""
    import html  # only in Jupyter: keeps `import producer_sdk` from loading html.entities

    href = html.escape(link, quote=True)
    return (
        f'<div class="lineage-view">'
        f'<iframe class="lineage-view" src="{href}" title="lineage explorer" width="100%" '
        f'height="{IFRAME_HEIGHT}" style="border: 1px solid #dde; border-radius: 4px"></iframe>'
        f'<div><a href="{href}" target="_blank" rel="noopener">open in the lineage explorer: '
        f"{html.escape(link)}</a></div></div>"
    )


def _show_inline(link: str) -> None:
    """In Jupyter: the explorer's view in the output cell."""
    from IPython.display import display

    display({"text/html": inline_html(link), "text/plain": link}, raw=True)  # type: ignore[no-untyped-call]
