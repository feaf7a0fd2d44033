"""The SDK version, sent in every event's `producer` field."""

__version__ = "0.1.0"
