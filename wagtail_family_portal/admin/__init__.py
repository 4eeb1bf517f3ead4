"""Wagtail admin screens for the municipality's agents, one module per domain.

- ``base``: what every screen shares: the base viewsets, Wagtail's generic views scoped to the
  agent's municipalities, the private photo input, the queues' columns;
- ``decisions``: accepting and refusing, one by one or in bulk (file changes, booking days);
- the domains, each with its viewsets and views: ``families`` (families, children, health
  information), ``accounts`` (accounts, subscriptions, codes tried), ``requests`` (changes to
  the family file), ``bookings`` (days to process) and ``agent_bookings`` (booking for a
  family), ``attendance``, ``activities`` (establishments, activities, closures, enrolments),
  ``municipalities``, ``emails`` (e-mail texts, decision e-mails sent);
- ``scoping`` and ``policies``: which rows an agent may see and the permission policies that
  enforce it; ``forms``, ``filters``, ``widgets``, ``audit`` (reads of health information);
- ``viewsets``: the "Family portal" menu group of every screen.

Everything is wired in ``wagtail_hooks.py``.
"""
