"""Shared vocabulary of the lineage service: events, subjects, ids, settings, tables.

Imports nothing of producer_sdk, projector or graphql_api.
"""
