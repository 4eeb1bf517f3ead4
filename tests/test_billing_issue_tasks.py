"""After a run is issued (tasks.invoices_issued): each invoice's PDF stored, the "invoice
available" e-mail to the family's accounts with a button to the invoice, once."""

import datetime as dt

import pytest
from django.urls import URLResolver, path
from django.utils import translation
from django.utils.translation import gettext

from wagtail_family_portal import tasks
from wagtail_family_portal.emails import kinds
from wagtail_family_portal.emails.rendering import RenderedEmail
from wagtail_family_portal.emails.samples import sample_email
from wagtail_family_portal.models import FamilyPortalPage, Invoice

from . import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_root")]

PORTAL = "http://localhost/espace-famille/"


@pytest.fixture
def invoice(office, family, lea, canteen, site):
    return factories.issued_invoice(
        office, family, [(lea, canteen, 16, "3.20")], due_date=dt.date(2026, 12, 31)
    )


@pytest.fixture
def second_parent(family):
    user = factories.UserFactory(
        username="papa@example.org", email="papa@example.org", first_name="Paul"
    )
    factories.SubscriptionFactory(user=user, family=family)
    return user


def invoice_detail_route(monkeypatch, registered: bool):
    """The portal's routes with (or without) the invoice's page, whatever this branch has."""
    routes = [route for route in FamilyPortalPage.routes if route.name != "invoice_detail"]
    if registered:
        routes.append(
            path(
                "f/<int:family_id>/facture/<int:invoice_id>/",
                lambda *a: None,
                name="invoice_detail",
            )
        )
    monkeypatch.setattr(FamilyPortalPage, "routes", tuple(routes))
    # Wagtail keeps the resolver of a page class: a fresh one for the patched routes.
    monkeypatch.setattr(
        FamilyPortalPage, "_routablepage_urlresolver", URLResolver(r"^/", routes), raising=False
    )


def test_each_linked_account_gets_the_invoice_with_a_button_to_it(
    invoice, parent, second_parent, mailoutbox, monkeypatch
):
    invoice_detail_route(monkeypatch, registered=True)

    result = tasks.invoices_issued([invoice.pk])

    assert result == {"stored": 1, "sent": 2}
    assert sorted(message.to[0] for message in mailoutbox) == [
        "papa@example.org",
        "parent@example.org",
    ]
    message = mailoutbox[0]
    with translation.override("fr"):
        subject = gettext("Your invoice {{ number }} is available").replace(
            "{{ number }}", "2026-000001"
        )
    assert message.subject == subject
    link = f"{PORTAL}f/{invoice.family_id}/facture/{invoice.pk}/"
    html = message.alternatives[0][0]
    assert f'href="{link}"' in html and link in message.body
    for text in (message.body, html):
        assert "2026-000001" in text and "51,20 €" in text  # 16 × 3,20
        assert "31/12/2026" in text and "Martin" in text
        assert "Belleville-sur-Loire" in text
    invoice.refresh_from_db()
    assert invoice.notified_at is not None
    assert invoice.pdf.name.endswith(".pdf")
    with invoice.pdf.open("rb") as handle:
        assert handle.read().startswith(b"%PDF")


def test_a_second_run_sends_nothing_and_keeps_the_file(invoice, parent, mailoutbox):
    tasks.invoices_issued([invoice.pk])
    invoice.refresh_from_db()
    stored, notified = invoice.pdf.name, invoice.notified_at

    assert tasks.invoices_issued([invoice.pk]) == {"stored": 0, "sent": 0}

    assert len(mailoutbox) == 1
    invoice.refresh_from_db()
    assert (invoice.pdf.name, invoice.notified_at) == (stored, notified)


def test_a_family_without_an_account_gets_its_pdf_only(invoice, mailoutbox):
    assert tasks.invoices_issued([invoice.pk]) == {"stored": 1, "sent": 0}

    assert mailoutbox == []
    invoice.refresh_from_db()
    assert invoice.pdf and invoice.notified_at is None


def test_the_button_leads_to_the_invoice_s_page_of_the_portal(invoice, parent, mailoutbox):
    route = FamilyPortalPage().reverse_subpage(
        "invoice_detail", kwargs={"family_id": invoice.family_id, "invoice_id": invoice.pk}
    )

    tasks.invoices_issued([invoice.pk])

    [message] = mailoutbox
    assert route.endswith(f"/{invoice.family_id}/factures/{invoice.pk}/")
    assert f'href="{PORTAL}{route}"' in message.alternatives[0][0]


def test_without_the_invoice_page_the_button_leads_to_the_portal(
    invoice, parent, mailoutbox, monkeypatch
):
    invoice_detail_route(monkeypatch, registered=False)

    tasks.invoices_issued([invoice.pk])

    [message] = mailoutbox
    assert f'href="{PORTAL}"' in message.alternatives[0][0]


def test_a_direct_debit_invoice_says_when_it_is_debited(invoice, parent, mailoutbox):
    Invoice.objects.filter(pk=invoice.pk).update(
        direct_debit=True, debit_date=dt.date(2026, 12, 11)
    )

    tasks.invoices_issued([invoice.pk])

    [message] = mailoutbox
    with translation.override("fr"):
        expected = gettext("%(amount)s will be debited from your account on %(date)s.") % {
            "amount": "51,20\xa0€",
            "date": "11/12/2026",
        }
    assert expected in message.body


def test_an_e_mail_that_fails_is_sent_by_the_next_run(invoice, parent, mailoutbox, monkeypatch):
    def broken(self, connection=None):
        raise OSError("SMTP server unreachable")

    monkeypatch.setattr(RenderedEmail, "send", broken)
    with pytest.raises(OSError):
        tasks.invoices_issued([invoice.pk])
    invoice.refresh_from_db()
    assert invoice.pdf and invoice.notified_at is None

    monkeypatch.undo()
    assert tasks.invoices_issued([invoice.pk]) == {"stored": 0, "sent": 1}
    assert len(mailoutbox) == 1


def test_drafts_and_unknown_ids_are_left_alone(invoice, parent, mailoutbox):
    Invoice.objects.filter(pk=invoice.pk).update(state=Invoice.State.DRAFT)

    assert tasks.invoices_issued([invoice.pk, 999_999]) == {"stored": 0, "sent": 0}

    assert mailoutbox == []
    assert not Invoice.objects.get(pk=invoice.pk).pdf


def test_invoices_of_a_run_take_a_bounded_number_of_queries(
    office, family, neighbour_family, lea, canteen, parent, site, django_assert_max_num_queries
):
    neighbour, zoe = neighbour_family
    factories.SubscriptionFactory(
        user=factories.UserFactory(username="durand@example.org", email="durand@example.org"),
        family=neighbour,
    )
    ids = [
        factories.issued_invoice(office, family, [(lea, canteen, 4, "3.20")]).pk,
        factories.issued_invoice(office, neighbour, [(zoe, canteen, 2, "3.20")]).pk,
    ]
    tasks.invoices_issued([ids[0]])  # warms the site's caches (settings, portal page)

    # Per invoice: its file's check and record, the claim; per site: the e-mail texts.
    with django_assert_max_num_queries(16):
        assert tasks.invoices_issued(ids) == {"stored": 1, "sent": 1}


def test_the_admin_preview_and_test_e_mail_fill_every_placeholder(site):
    with translation.override("fr"):
        email = sample_email(kinds.INVOICE_AVAILABLE.key, site=site, to="editor@example.org")

    assert "2026-000123" in email.subject
    for text in (email.subject, email.text, email.html):
        assert "{{" not in text
    assert "42,50 €" in email.text and "31/12/2026" in email.text
    assert set(kinds.INVOICE_AVAILABLE.placeholders) <= {
        *kinds.SAMPLE_VALUES,
        "municipality",
        "summary",
    }
