"""Lineage records as `lns` (`from producer_sdk import schema as lns`): Pipeline, Notebook,
Run, DObject, as lamindb's lineage tutorial names them.

The records themselves live in `producer_sdk.records` and `producer_sdk.dobject`.
Relations (`run.inputs`, `pipeline.runs`, ...) are read from the GraphQL API when
accessed, so they always show what the service knows now, including this process's own
events (read-your-writes).
"""

from __future__ import annotations

from producer_sdk.records import DObject, Notebook, Pipeline, Run, Transform

__all__ = ["DObject", "Notebook", "Pipeline", "Run", "Transform"]
