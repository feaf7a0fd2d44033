"""In a Jupyter kernel `view_lineage()` shows the explorer inline: an iframe on the deep
link and the link, with the link as the plain-text form."""

from __future__ import annotations

import uuid
from typing import Any

import IPython.display
import pytest

from producer_sdk import lineage_view


def test_in_a_kernel_the_explorer_is_displayed_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(lineage_view, "in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
    node = uuid.uuid4()
    link = lineage_view.view_lineage("http://h:8000", "dobject", node)
    assert link == f"http://h:8000/ui/dobject/{node}"
    [(bundle, options)] = shown
    assert options == {"raw": True}
    assert bundle["text/plain"] == link
    assert f'<iframe class="lineage-view" src="{link}"' in bundle["text/html"]
    assert f'<a href="{link}"' in bundle["text/html"]


def test_the_link_is_escaped_in_the_html() -> None:
    html = lineage_view.inline_html('http://h/ui/run/x"><script>')
    assert "<script>" not in html
    assert 'src="http://h/ui/run/x&quot;&gt;&lt;script&gt;"' in html
