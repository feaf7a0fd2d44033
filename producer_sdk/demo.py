"""`lineage demo`: the seed program of docs/reference/sdk.md, against the running service."""

from __future__ import annotations


def run_demo() -> str:
    """Run the seed program in the current directory and say which run produced output.bam.

    It can run any number of times: the files it writes have fixed content, so later
    runs find the DObjects of the first one (with a warning naming them).
    """
    import producer_sdk as ln
    from producer_sdk import schema as lns

    # The seed program, as users type it.
    filepath = ln.dev.datasets.file_fastq()
    ln.add(lns.Pipeline(v="1", name="10x scRNA-seq nextseq"))
    ln.Run(pipeline_name="10x scRNA-seq nextseq", global_context=True)
    ln.add(ln.DObject(filepath))

    ln.add(lns.Pipeline(name="Cell Ranger", v="7"))
    cell_ranger = ln.Run(pipeline_name="Cell Ranger", global_context=True)
    with ln.Session() as ss:
        dobject_fastq = ss.select(ln.DObject, name="input").one()
        dobject_fastq.load(is_run_input=True)
    if cell_ranger not in dobject_fastq.targets:
        raise ln.LineageError("the Cell Ranger run is missing from the fastq's targets")
    ln.add(dobject_fastq)
    bam = ln.DObject(ln.dev.datasets.file_bam())
    ln.add(bam)
    with ln.Session() as ss:
        run = ss.select(lns.Run).join(ln.DObject, name="output", suffix=".bam").one()
        inputs = run.inputs
        if not inputs or inputs[0].name != "input":
            raise ln.LineageError(f"the run that produced output.bam has inputs {inputs}")

    transform = run.transform
    made_by = (
        f"{transform.type} {transform.name} v{transform.version}"
        if transform
        else "an unknown transform"
    )
    names = ", ".join(f"{d.name}{d.suffix}" for d in inputs)
    return f"run {run.id} of {made_by} produced output.bam from inputs: {names}"
