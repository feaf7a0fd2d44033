"""The seed program of docs/reference/sdk.md, as users run it (a script of its own)."""

from __future__ import annotations

SEED = """
import producer_sdk as ln
from producer_sdk import schema as lns

filepath = ln.dev.datasets.file_fastq()                  # writes input.fastq.gz, returns its Path
pipeline = ln.add(lns.Pipeline(v="1", name="10x scRNA-seq nextseq"))
ln.Run(pipeline_name="10x scRNA-seq nextseq", global_context=True)
ln.add(ln.DObject(filepath))                             # output of ln.context.run

ln.add(lns.Pipeline(name="Cell Ranger", v="7"))
ln.Run(pipeline_name="Cell Ranger", global_context=True)
with ln.Session() as ss:
    dobject_fastq = ss.select(ln.DObject, name="input").one()
    dobject_fastq.load(is_run_input=True)                # InputLoaded for the current run
print(dobject_fastq.targets)                             # includes the Cell Ranger run
ln.add(dobject_fastq)                                    # already registered: adds nothing new
bam = ln.DObject(ln.dev.datasets.file_bam())             # writes output.bam
ln.add(bam)
with ln.Session() as ss:
    run = ss.select(lns.Run).join(ln.DObject, name="output", suffix=".bam").one()
    assert run.inputs[0].name == "input"
"""
