"""After a run is issued: each invoice's PDF kept, then the "invoice available" e-mail.

``runs.issue`` queues ``tasks.invoices_issued(invoice_ids)`` after its commit; the task calls
``invoices_issued`` here. Each invoice's PDF is drawn and stored first (a family with no
account linked gets nothing more), then the accounts linked to the family get one e-mail each,
with a button to the invoice's page. ``Invoice.notified_at`` is claimed before sending, so that
a second run (the task retried, or queued twice) sends nothing; a failure to send gives the claim
back, and the next run sends it. Credit notes are stored, not announced.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch
from django.urls import NoReverseMatch
from django.utils import timezone, translation
from django.utils.translation import gettext

from ...emails import kinds
from ...emails.rendering import EmailRenderer, account_values, email_address
from ...models import FamilyPortalPage, Invoice, InvoiceLine, Subscription
from ...pdf.base import amount, date, period
from . import documents


@dataclass
class Outcome:
    stored: int = 0
    sent: int = 0
    notified: list = field(default_factory=list)  # ids of the invoices announced now


class _SiteMail:
    """What every e-mail of one site shares: its renderer, its portal page and address."""

    def __init__(self, site):
        self.site = site
        self.renderer = EmailRenderer(site)
        page = FamilyPortalPage.for_site(site) if site else None
        self.portal_url = page.get_full_url() if page else ""
        self.domain = site.hostname if site else "localhost"

    def invoice_link(self, invoice) -> str:
        """The invoice's page below the portal (route ``invoice_detail``); the portal's home
        when the route does not exist (a host that removed it)."""
        if not self.portal_url:
            return ""
        try:
            route = FamilyPortalPage().reverse_subpage(
                "invoice_detail",
                kwargs={"family_id": invoice.family_id, "invoice_id": invoice.pk},
            )
        except NoReverseMatch:
            return self.portal_url
        return self.portal_url.rstrip("/") + "/" + route.lstrip("/")


def summary(invoice: Invoice) -> str:
    """How and when the family pays, in one sentence (the ``{{ summary }}`` placeholder)."""
    balance = invoice.total - invoice.paid_amount
    if balance <= 0:
        return gettext("Your credit covers it: nothing is left to pay.")
    if invoice.direct_debit:
        return gettext("%(amount)s will be debited from your account on %(date)s.") % {
            "amount": amount(balance),
            "date": date(invoice.debit_date),
        }
    return gettext("%(amount)s is to be paid by %(date)s.") % {
        "amount": amount(balance),
        "date": date(invoice.due_date),
    }


def invoice_values(invoice: Invoice) -> dict:
    """The placeholders of the "invoice available" e-mail (kinds.INVOICE_AVAILABLE)."""
    return {
        "number": invoice.number,
        # Without the currency sign, as in the other billing e-mails ("{{ amount }} €").
        "amount": amount(invoice.total, currency=False),
        "balance": amount(max(invoice.total - invoice.paid_amount, 0), currency=False),
        "due_date": date(invoice.due_date),
        "period": period(invoice.period_start, invoice.period_end),
        "family_name": invoice.family_name,
        "summary": summary(invoice),
    }


def _accounts(invoices) -> dict:
    """The active accounts linked to each invoice's family, in one query."""
    by_family: dict = {}
    links = Subscription.objects.filter(
        family_id__in={invoice.family_id for invoice in invoices}, user__is_active=True
    ).select_related("user")
    for link in links.order_by("pk"):
        by_family.setdefault(link.family_id, []).append(link.user)
    return by_family


def invoices_issued(invoice_ids) -> Outcome:
    """Store the PDF of each issued invoice of ``invoice_ids`` and announce it to the family's
    accounts, once (see the module's docstring)."""
    invoices = list(
        Invoice.objects.filter(pk__in=list(invoice_ids))
        .exclude(state=Invoice.State.DRAFT)
        .select_related("billing_office__municipality__logo", "family__municipality__site")
        .select_related("corrects")
        .prefetch_related(Prefetch("lines", InvoiceLine.objects.order_by("position", "pk")))
        .order_by("pk")
    )
    outcome = Outcome()
    accounts = _accounts(invoices)
    sites: dict = {}
    with translation.override(settings.LANGUAGE_CODE):
        for invoice in invoices:
            if documents.store_invoice_pdf(invoice):
                outcome.stored += 1
            if invoice.kind != Invoice.Kind.INVOICE or invoice.state != Invoice.State.ISSUED:
                continue
            users = [user for user in accounts.get(invoice.family_id, []) if email_address(user)]
            if not users or invoice.notified_at:
                continue
            site = invoice.family.municipality.site
            mail = sites.get(site.pk if site else None)
            if mail is None:
                mail = sites[site.pk if site else None] = _SiteMail(site)
            sent = _announce(invoice, users, mail)
            if sent is not None:
                outcome.sent += sent
                outcome.notified.append(invoice.pk)
    return outcome


def _announce(invoice: Invoice, users, mail: _SiteMail) -> int | None:
    """Claim the invoice's notice and send it to ``users``; None when another run has it."""
    claimed = Invoice.objects.filter(pk=invoice.pk, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return None
    values = invoice_values(invoice)
    link = mail.invoice_link(invoice)
    sent = 0
    try:
        for user in users:
            email = mail.renderer.render(
                kinds.INVOICE_AVAILABLE.key,
                to=email_address(user),
                values={**account_values(user), "portal_url": mail.portal_url, **values},
                action_url=link,
                headers={"Message-ID": f"<invoice-{invoice.pk}-{user.pk}@{mail.domain}>"},
            )
            sent += email.send()
    except Exception:
        if not sent:  # nobody got it: the next run tries again
            Invoice.objects.filter(pk=invoice.pk).update(notified_at=None)
        raise
    return sent
