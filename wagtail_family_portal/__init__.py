"""A family portal (portail famille) for French municipalities, as a Wagtail package."""

__version__ = "0.1.0"
