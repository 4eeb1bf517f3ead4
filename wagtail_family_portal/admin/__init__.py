"""Wagtail admin screens for the municipality's agents.

- ``scoping``: which rows an agent may see (their municipalities only) and the permission policy
  that enforces it;
- ``forms``: the base form that restricts foreign-key choices to those rows;
- ``views``: Wagtail's generic views, scoped;
- ``filters``: list filters whose choices are scoped too;
- ``viewsets``: one ``ModelViewSet`` per model, grouped in the "Family portal" menu.

Everything is wired in ``wagtail_hooks.py``.
"""
