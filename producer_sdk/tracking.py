"""`ln.Run(...)`: start a run of a pipeline, a notebook or the running script."""

from __future__ import annotations

import sys
from pathlib import Path

from producer_sdk import _runtime
from producer_sdk import records as schema
from producer_sdk.errors import LineageError, UnknownPipeline
from producer_sdk.notebook import (
    find_notebook,
    in_kernel,
    read_notebook,
    script_path,
    undetected_notebook_error,
)


def Run(  # noqa: N802 - the seed API spells it `ln.Run(...)`, as lamindb does
    pipeline_name: str | None = None,
    *,
    pipeline: schema.Pipeline | None = None,
    version: str | None = None,
    name: str | None = None,
    notebook: str | Path | None = None,
    global_context: bool | None = None,
    parent: schema.Run | None = None,
) -> schema.Run:
    """Start a run now (`RunStarted`) and return it.

    - `ln.Run(pipeline_name="Cell Ranger")`: a run of the registered pipeline of that name
      (its latest version, or `version=`). An unknown name raises UnknownPipeline, whose
      message holds the `ln.add(lns.Pipeline(...))` line to type.
    - `ln.Run(pipeline=pipeline)`: a run of that pipeline record.
    - `ln.Run()`: inside a Jupyter notebook, a run of the notebook (detected, or
      `notebook="path.ipynb"`); in a script, a run of the script tracked as a pipeline
      named after its file.

    `global_context=True` makes it `ln.context.run` (finishing the previous global run);
    it is the default for `ln.Run()` without a pipeline. `with ln.Run(...) as run:` makes
    it the current run inside the block and finishes it at the end of the block.
    `parent=run` names the run that started this one (`RunStarted.parent_run_id`).
    """
    client = _runtime.client()
    transform: schema.Transform
    announce: str | None = None
    if pipeline is not None:
        transform = pipeline
    elif pipeline_name is not None:
        found = client.find_pipeline(pipeline_name, version)
        if found is None:
            raise UnknownPipeline(pipeline_name, version, client.api_url)
        transform = found
    else:
        transform, announce = _implicit_transform(notebook)
        if global_context is None:
            global_context = True
    run = schema.Run(pipeline=transform, name=name, parent=parent)
    if global_context:
        _runtime.set_global_run(run)
    client.start_run(run)
    if announce:
        print(f"{announce} (run {run.id})", file=sys.stderr)  # noqa: T201 - told to the user
    return run


Run.__lineage_kind__ = "run"  # type: ignore[attr-defined]  # so `select(ln.Run)` works


def _implicit_transform(notebook: str | Path | None) -> tuple[schema.Transform, str | None]:
    path = Path(notebook).resolve() if notebook is not None else find_notebook()
    if path is not None:
        facts = read_notebook(path)
        return schema.Notebook(
            name=facts.name, version=facts.version, title=facts.title, reference=str(path)
        ), None
    if in_kernel():
        raise undetected_notebook_error()
    script = script_path()
    if script is None:
        raise LineageError(
            "ln.Run(): not in a notebook and not in a script file; name the pipeline: "
            'ln.Run(pipeline_name=...) after ln.add(lns.Pipeline(name=..., v="1"))'
        )
    message = f"ln.Run(): tracking the script {script.name} as pipeline {script.name!r} v1"
    return schema.Pipeline(name=script.name, version="1", reference=str(script)), message
