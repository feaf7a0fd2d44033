"""The `lineage` console script."""
