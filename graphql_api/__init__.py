"""GraphQL API over the lineage projection: queries, lineage walks, live subscriptions."""
