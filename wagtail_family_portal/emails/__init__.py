"""E-mails: the kinds the portal sends, their CMS-edited wording, rendering and sending."""
