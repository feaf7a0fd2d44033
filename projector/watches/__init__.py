"""Watches: the change detector and the webhook delivery, run by the active projector
(docs/watches.md)."""
