"""The projector: LINEAGE (NATS JetStream) -> the Postgres projection.

Entry points: `projector.service.run_projector`, `projector.rebuild.rebuild`.
"""
