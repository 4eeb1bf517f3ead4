"""django-q2 task entry points: small functions that load rows by id and call the domain.

They are queued after commit by ``services/`` and may run twice without harm beyond a second
e-mail; a row deleted in between makes them do nothing.
"""

from django.contrib.auth import get_user_model
from django.utils import translation
from wagtail.models import Site

from .emails import kinds
from .emails.rendering import account_values, email_address, render_email


def _load(user_id, site_id):
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    site = Site.objects.filter(pk=site_id).first() if site_id else None
    return user, site


def _portal_link(portal_url: str, route: str, **kwargs) -> str:
    from .models import FamilyPortalPage

    return portal_url.rstrip("/") + "/" + FamilyPortalPage().reverse_subpage(route, kwargs=kwargs)


def _send(kind, user, site, portal_url, action_url, language, messages=None, **values) -> int:
    """Render ``kind`` for ``user`` in ``language`` and send it; 0 when there is no address.

    ``messages`` (a callable, run in ``language``) gives the blocks (title, text) the portal adds
    between the introduction and the common text.
    """
    if user is None or not email_address(user):
        return 0
    with translation.override(language):
        email = render_email(
            kind.key,
            to=email_address(user),
            site=site,
            values={**account_values(user), "portal_url": portal_url, **values},
            action_url=action_url() if callable(action_url) else action_url,
            messages=messages() if messages else (),
        )
        return email.send()


def send_activation_email(user_id, site_id, portal_url, language=None):
    """The activation e-mail; the link is made now, so that its validity starts at sending.

    It says what the subscriber code typed at sign-up gave: the sign-up's answer never does.
    """
    from .models import AccountProfile
    from .services.accounts import (
        activation_timeout,
        make_activation_token,
        signup_code_email_notice,
    )

    user, site = _load(user_id, site_id)
    if user is not None and user.is_active:
        return 0
    profile = (
        AccountProfile.objects.select_related("pending_family").filter(user=user).first()
        if user is not None
        else None
    )

    def messages():
        notice = signup_code_email_notice(profile) if profile is not None else None
        return [notice] if notice else []

    return _send(
        kinds.ACTIVATION,
        user,
        site,
        portal_url,
        lambda: _portal_link(portal_url, "activate", token=make_activation_token(user)),
        language,
        messages=messages,
        expiry_days=max(1, round(activation_timeout() / 86400)),
    )


def send_already_registered_email(user_id, site_id, portal_url, language=None):
    """Told to an address that signs up again: log in, or choose a new password."""
    user, site = _load(user_id, site_id)
    link = _portal_link(portal_url, "password_reset")
    return _send(kinds.ALREADY_REGISTERED, user, site, portal_url, link, language)


def send_password_reset_email(user_id, site_id, portal_url, reset_url, language=None):
    user, site = _load(user_id, site_id)
    return _send(kinds.PASSWORD_RESET, user, site, portal_url, reset_url, language)


def send_receipt_email(request_id, language=None):
    """The receipt of a request ("Accusé d'enregistrement électronique") to its author."""
    from .services.notifications import receipt_email

    with translation.override(language):
        email = receipt_email(request_id)
        return email.send() if email is not None else 0


def send_digests(site_id):
    """The digest of the site's latest slot (django-q2 schedule); queues its own continuation
    when the run stops at its time budget, and puts the schedules back on their times."""
    from django_q.tasks import async_task

    from .services import notifications

    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return None
    run = notifications.run_digests(site, time_budget=notifications.TIME_BUDGET)
    if not run.complete:
        async_task("wagtail_family_portal.tasks.send_digests", site_id)
    notifications.sync_schedules()
    return {"slot": run.slot.isoformat(), "sent": run.sent, "failed": len(run.failed)}


def invoices_issued(invoice_ids):
    """After a run is issued: each invoice's PDF stored, then the "invoice available" e-mail to
    the family's accounts, once per invoice (``services.billing.notices``)."""
    from .services.billing import notices

    outcome = notices.invoices_issued(invoice_ids)
    return {"stored": outcome.stored, "sent": outcome.sent}


def purge_subscription_attempts():
    """The nightly purge of the subscriber-code attempts older than their retention."""
    from .services.subscriptions import purge_attempts

    return purge_attempts()


def send_payment_reminders():
    """The daily reminders of overdue invoices (django-q2 schedule); each invoice once."""
    from .services.billing import reminders

    return reminders.send_reminders()


def direct_debit_file(run_id):
    """The pain.008 file of an issued run's direct debits (queued by the run's issue).

    Idempotent: a run has one file. A régie without its creditor details gets no file; the
    reason is logged for the agents and the administrators.
    """
    import logging

    from .models import BillingRun
    from .services.billing import BillingError, sepa

    run = BillingRun.objects.filter(pk=run_id).first()
    if run is None:
        return None
    try:
        batch = sepa.batch_for_run(run)
    except BillingError as error:
        logging.getLogger(__name__).error(
            "No direct debit file for run %s: %s", run_id, error.message
        )
        return {"error": str(error.message)}
    if batch is None:
        return None
    return {"batch": batch.pk, "debits": batch.transaction_count}
