"""The régie's screens in the admin ("Billing"): régies and the secrets' variable, price grids
with their bands, invoices (read-only, PDF, credit notes, export), and the billing permission
kept apart from the family file's."""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from wagtail_family_portal.models import BillingOffice, Invoice, PriceGrid
from wagtail_family_portal.permissions import BILLING_AGENTS_GROUP_NAME, BILLING_PERMISSIONS
from wagtail_family_portal.services.billing import payments

from . import factories
from .admin_login import login

pytestmark = pytest.mark.django_db


def url(viewset, view, *args):
    return reverse(f"family_portal_{viewset}:{view}", args=args)


def field_errors(response, field):
    """A field's errors as the agent read them (the admin is in English for the test agent;
    the tests themselves run in French)."""
    with translation.override("en"):
        return [str(error) for error in response.context["form"].errors[field]]


def messages_of(response):
    return [str(message).strip() for message in response.context["messages"]]


def join_billing(user):
    user.groups.add(Group.objects.get(name=BILLING_AGENTS_GROUP_NAME))
    return user


@pytest.fixture
def billing_agent(agent):
    """The agent of ``municipality`` in the "Billing agents" group too."""
    return join_billing(agent)


@pytest.fixture
def other_billing_client(client, other_municipality):
    """A billing agent of another town."""
    other = join_billing(factories.AgentFactory(username="autre", municipality=other_municipality))
    return login(client, other)


@pytest.fixture
def invoice(office, family, lea, canteen):
    return factories.issued_invoice(office, family, [(lea, canteen, 10, "3.20")])


def assert_denied(response):
    """Wagtail answers a permission error with a redirect to the dashboard and a message (a
    403 for a script's request)."""
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")


# Régies


def office_data(municipality, **overrides):
    data = {
        "municipality": municipality.pk,
        "name": "Régie loisirs",
        "code": "LOI",
        "address": "",
        "phone": "",
        "email": "",
        "siret": "",
        "payment_terms_days": "30",
        "reminder_days": "10",
        "payment_instructions": "",
        "footer": "",
        "payment_backend": "tipi",
        "payment_options": '{"numcli": "012345"}',
        "payment_secrets_env": "FAMILY_PORTAL_PAYFIP_LOI",
        "creditor_name": "",
        "creditor_identifier": "",
        "creditor_iban": "",
        "creditor_bic": "",
        "debit_days_after_issue": "10",
    }
    data.update(overrides)
    return data


def test_agent_creates_a_regie_naming_the_variable_of_its_secrets(
    agent_client, billing_agent, municipality, other_municipality
):
    form = agent_client.get(url("billing_offices", "add")).context["form"]
    assert list(form.fields["municipality"].queryset) == [municipality]
    assert not any("secret" in name and name != "payment_secrets_env" for name in form.fields)

    response = agent_client.post(url("billing_offices", "add"), office_data(municipality))

    assert response.status_code == 302
    office = BillingOffice.objects.get(code="LOI")
    assert (office.municipality, office.payment_secrets_env) == (
        municipality,
        "FAMILY_PORTAL_PAYFIP_LOI",
    )
    forged = agent_client.post(
        url("billing_offices", "add"), office_data(other_municipality, code="AUT")
    )
    assert "municipality" in forged.context["form"].errors
    assert not BillingOffice.objects.filter(code="AUT").exists()


def test_a_paying_service_needs_the_variable_of_its_secrets(
    agent_client, billing_agent, municipality
):
    response = agent_client.post(
        url("billing_offices", "add"), office_data(municipality, payment_secrets_env="")
    )

    assert response.status_code == 200
    assert field_errors(response, "payment_secrets_env") == [
        "Name the environment variable that holds the service's secrets."
    ]


def test_the_regie_shows_whether_its_variable_is_set_never_its_value(
    agent_client, billing_agent, office, monkeypatch
):
    office.payment_backend, office.payment_secrets_env = "tipi", "FAMILY_PORTAL_PAYFIP_ENF"
    office.save()

    monkeypatch.delenv("FAMILY_PORTAL_PAYFIP_ENF", raising=False)
    missing = agent_client.get(url("billing_offices", "edit", office.pk)).content.decode()
    assert "Not set on this server" in missing

    monkeypatch.setenv("FAMILY_PORTAL_PAYFIP_ENF", '{"secret": "s3cr3t-value"}')
    edit = agent_client.get(url("billing_offices", "edit", office.pk)).content.decode()
    listing = agent_client.get(url("billing_offices", "index")).content.decode()
    assert "Set on this server" in edit and "Set on this server" in listing
    assert "s3cr3t-value" not in edit + listing

    monkeypatch.setenv("FAMILY_PORTAL_PAYFIP_ENF", "not json")
    invalid = agent_client.get(url("billing_offices", "index")).content.decode()
    assert "Set on this server, but not valid JSON" in invalid


def test_regies_are_scoped_to_the_agents_municipality(
    agent_client, billing_agent, office, other_municipality
):
    other = factories.BillingOfficeFactory(municipality=other_municipality, name="Régie d'ailleurs")

    response = agent_client.get(url("billing_offices", "index"))

    assert list(response.context["object_list"]) == [office]
    assert agent_client.get(url("billing_offices", "edit", other.pk)).status_code == 404


# Price grids


def band(label, quotient_min, quotient_max, price, **overrides):
    data = {
        "label": label,
        "quotient_min": quotient_min,
        "quotient_max": quotient_max,
        "price": price,
        "outside_price": "",
        "for_missing_quotient": "",
    }
    data.update(overrides)
    return data


def grid_data(activity, office, bands=(), *, initial=0, **overrides):
    data = {
        "activity": activity.pk,
        "billing_office": office.pk,
        "valid_from": "2026-09-01",
        "valid_until": "2027-08-31",
        "method": "bands",
        "unit": "booked_day",
        "effort_rate": "",
        "minimum_price": "",
        "maximum_price": "",
        "outside_price_increase": "0",
        "second_child_reduction": "0",
        "third_child_reduction": "0",
        "bill_late_absences": "on",
        "bill_no_shows": "on",
        "unbooked_surcharge": "0",
        "bands": inline_formset(list(bands), initial=initial),
    }
    data.update(overrides)
    return nested_form_data(data)


GOOD_BANDS = [
    band("tranche 1", "0", "600", "1.20"),
    band("tranche 2", "600.01", "1200", "2.40"),
    band("tranche 3", "1200.01", "", "3.60", for_missing_quotient="on"),
]


def test_agent_creates_a_price_grid_with_its_bands(agent_client, billing_agent, canteen, office):
    form = agent_client.get(url("price_grids", "add")).context["form"]
    assert list(form.fields["activity"].queryset) == [canteen]
    assert list(form.fields["billing_office"].queryset) == [office]

    response = agent_client.post(url("price_grids", "add"), grid_data(canteen, office, GOOD_BANDS))

    assert response.status_code == 302
    grid = PriceGrid.objects.get(activity=canteen)
    assert [(b.label, b.price) for b in grid.bands.order_by("quotient_min")] == [
        ("tranche 1", Decimal("1.20")),
        ("tranche 2", Decimal("2.40")),
        ("tranche 3", Decimal("3.60")),
    ]


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        (
            [band("tranche 1", "0", "600", "1.20"), band("tranche 2", "700", "", "2.40")],
            "There is a gap between the bands “tranche 1” and “tranche 2”.",
        ),
        (
            [band("tranche 1", "0", "600", "1.20"), band("tranche 2", "500", "", "2.40")],
            "The bands “tranche 1” and “tranche 2” overlap.",
        ),
        (
            [band("tranche 1", "0", "", "1.20"), band("tranche 2", "600.01", "900", "2.40")],
            "Only the last band may have no upper limit.",
        ),
        ([], "A grid by family quotient needs at least one band."),
    ],
)
def test_bands_with_gaps_or_overlaps_are_refused_in_the_form(
    agent_client, billing_agent, canteen, office, bands, message
):
    response = agent_client.post(url("price_grids", "add"), grid_data(canteen, office, bands))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PriceGrid.objects.exists()


def test_a_deleted_band_is_not_checked(agent_client, billing_agent, canteen, office):
    bands = [*GOOD_BANDS, band("en trop", "100", "200", "9", DELETE="1")]

    response = agent_client.post(url("price_grids", "add"), grid_data(canteen, office, bands))

    assert response.status_code == 302
    assert PriceGrid.objects.get().bands.count() == 3


def test_overlapping_validity_is_refused(agent_client, billing_agent, canteen, office):
    grid = PriceGrid.objects.create(
        activity=canteen, billing_office=office, valid_from=dt.date(2026, 1, 1)
    )
    grid.bands.create(label="unique", quotient_min=0, price=Decimal("2"))
    grid.save()

    response = agent_client.post(url("price_grids", "add"), grid_data(canteen, office, GOOD_BANDS))

    assert response.status_code == 200
    assert field_errors(response, "valid_from") == [
        "Another price grid of this activity is valid on some of these dates."
    ]


def test_an_effort_rate_grid_needs_its_rate_and_may_have_bounds(
    agent_client, billing_agent, canteen, office
):
    without_rate = agent_client.post(
        url("price_grids", "add"), grid_data(canteen, office, method="effort_rate")
    )
    assert field_errors(without_rate, "effort_rate") == ["An effort rate needs its percentage."]

    response = agent_client.post(
        url("price_grids", "add"),
        grid_data(
            canteen,
            office,
            method="effort_rate",
            effort_rate="0.5",
            minimum_price="1.00",
            maximum_price="6.00",
        ),
    )

    assert response.status_code == 302
    grid = PriceGrid.objects.get()
    assert (grid.effort_rate, grid.minimum_price, grid.maximum_price) == (
        Decimal("0.5"),
        Decimal("1.00"),
        Decimal("6.00"),
    )


def test_a_band_grid_has_no_rate(agent_client, billing_agent, canteen, office):
    response = agent_client.post(
        url("price_grids", "add"), grid_data(canteen, office, GOOD_BANDS, minimum_price="1")
    )

    assert field_errors(response, "minimum_price") == [
        "Only an effort-rate grid has a rate, a minimum and a maximum."
    ]


def test_grid_choices_and_ids_of_another_town_are_refused(
    agent_client, billing_agent, canteen, office, other_municipality
):
    other_activity = factories.ActivityFactory(establishment__municipality=other_municipality)
    other_office = factories.BillingOfficeFactory(municipality=other_municipality)
    other_grid = PriceGrid.objects.create(
        activity=other_activity, billing_office=other_office, valid_from=dt.date(2026, 1, 1)
    )

    forged = agent_client.post(
        url("price_grids", "add"), grid_data(other_activity, other_office, GOOD_BANDS)
    )

    assert {"activity", "billing_office"} <= set(forged.context["form"].errors)
    assert agent_client.get(url("price_grids", "edit", other_grid.pk)).status_code == 404


# Invoices


def test_invoices_list_filters_by_status_and_exports(
    agent_client, billing_agent, office, family, lea, canteen, invoice, freeze_clock
):
    from django.utils import timezone

    freeze_clock(timezone.make_aware(dt.datetime(2026, 12, 10, 9, 0)))
    paid = factories.issued_invoice(office, family, [(lea, canteen, 2, "3.20")])
    payments.record_payment(
        office=office, family=family, method="cheque", amount="6.40", invoices=[paid.pk]
    )

    to_pay = agent_client.get(url("invoices", "index"), {"status": "to_pay"})
    paid_list = agent_client.get(url("invoices", "index"), {"status": "paid"})
    overdue = agent_client.get(url("invoices", "index"), {"status": "overdue"})

    assert list(to_pay.context["object_list"]) == [invoice]
    assert list(paid_list.context["object_list"]) == [paid]
    assert list(overdue.context["object_list"]) == []

    export = agent_client.get(url("invoices", "index"), {"status": "to_pay", "export": "csv"})
    assert export.status_code == 200
    rows = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 2
    assert rows[1].startswith(f"{invoice.number},")
    assert "32.00" in rows[1] and family.subscriber_code in rows[1]


def test_invoices_list_runs_a_constant_number_of_queries(
    agent_client, billing_agent, office, family, lea, canteen
):
    factories.issued_invoice(office, family, [(lea, canteen, 1, "3.20")])
    agent_client.get(url("invoices", "index"))
    with CaptureQueriesContext(connection) as one:
        agent_client.get(url("invoices", "index"))
    for _ in range(5):
        factories.issued_invoice(office, family, [(lea, canteen, 1, "3.20")])
    with CaptureQueriesContext(connection) as six:
        response = agent_client.get(url("invoices", "index"))

    assert len(response.context["object_list"]) == 6
    assert len(six) == len(one)


def test_invoice_detail_shows_lines_payments_and_the_pdf(
    agent_client, billing_agent, office, family, invoice
):
    payments.record_payment(
        office=office,
        family=family,
        method="cheque",
        amount="12.00",
        invoices=[invoice.pk],
        date=dt.date(2026, 12, 5),
    )

    response = agent_client.get(url("invoices", "inspect", invoice.pk))

    page = response.content.decode()
    assert response.status_code == 200
    assert invoice.number in page
    assert "QF 620 → tranche 2" in page
    assert "P2026-000001" in page and "Cheque" in page
    assert url("invoices", "pdf", invoice.pk) in page
    pdf = agent_client.get(url("invoices", "pdf", invoice.pk))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_an_issued_invoice_cannot_be_edited_nor_deleted(agent_client, billing_agent, invoice):
    page = agent_client.get(url("invoices", "inspect", invoice.pk)).content.decode()
    index = agent_client.get(url("invoices", "index")).content.decode()

    for view in ("edit", "delete"):
        with pytest.raises(NoReverseMatch):
            url("invoices", view, invoice.pk)
    base = url("invoices", "index")
    assert agent_client.post(f"{base}delete/{invoice.pk}/").status_code == 404
    assert agent_client.post(f"{base}edit/{invoice.pk}/", {"total": "0"}).status_code == 404
    assert ">Edit<" not in page and ">Delete<" not in page and f"delete/{invoice.pk}" not in index
    invoice.refresh_from_db()
    assert invoice.total == Decimal("32.00")


def test_invoices_of_another_town_are_not_found(other_billing_client, invoice):
    for view in ("inspect", "pdf", "credit_note"):
        assert other_billing_client.get(url("invoices", view, invoice.pk)).status_code == 404
    listing = other_billing_client.get(url("invoices", "index"))
    assert list(listing.context["object_list"]) == []


# The billing permission


def test_the_family_file_group_has_no_billing_permission(agent_client, invoice, office, canteen):
    grid = PriceGrid.objects.create(
        activity=canteen, billing_office=office, valid_from=dt.date(2026, 1, 1)
    )
    for address in (
        url("invoices", "index"),
        url("invoices", "inspect", invoice.pk),
        url("invoices", "pdf", invoice.pk),
        url("invoices", "credit_note", invoice.pk),
        url("billing_offices", "index"),
        url("billing_offices", "edit", office.pk),
        url("price_grids", "index"),
        url("price_grids", "edit", grid.pk),
        url("invoice_lines", "index"),
    ):
        assert_denied(agent_client.get(address))
        xhr = agent_client.get(address, headers={"x-requested-with": "XMLHttpRequest"})
        assert xhr.status_code == 403, address
    menu = agent_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Billing" not in menu and "Family portal" in menu


def test_a_billing_agent_sees_the_billing_menu(agent_client, billing_agent):
    menu = agent_client.get(reverse("wagtailadmin_home")).content.decode()

    for entry in ("Billing runs", "Invoices", "Payments", "Direct debit files", "Price grids"):
        assert entry in menu
    # One "Billing" menu gathers the régie's screens.
    assert menu.count('"Billing"') == 1


def test_billing_agents_group_holds_the_billing_permissions(db):
    group = Group.objects.get(name=BILLING_AGENTS_GROUP_NAME)

    codenames = set(
        group.permissions.filter(content_type__app_label="wagtail_family_portal").values_list(
            "codename", flat=True
        )
    )

    assert codenames == set(BILLING_PERMISSIONS)
    assert group.permissions.filter(codename="access_admin").exists()
    family_group = Group.objects.get(name="Family portal agents")
    assert not set(family_group.permissions.values_list("codename", flat=True)) & {
        "view_invoice",
        "view_billingoffice",
        "view_pricegrid",
        "view_billingrun",
    }


def test_billing_agents_group_migration_is_reversible(db):
    migration = importlib.import_module(
        "wagtail_family_portal.migrations.0020_billing_agents_group"
    )
    state = MigrationExecutor(connection).loader.project_state(
        ("wagtail_family_portal", "0020_billing_agents_group")
    )

    migration.delete_billing_group(state.apps, None)
    assert not Group.objects.filter(name=BILLING_AGENTS_GROUP_NAME).exists()
    migration.create_billing_group(state.apps, None)
    group = Group.objects.get(name=BILLING_AGENTS_GROUP_NAME)
    assert group.permissions.count() == len(BILLING_PERMISSIONS) + 1
    assert tuple(migration.BILLING_PERMISSIONS) == BILLING_PERMISSIONS


# Credit notes


def test_agent_makes_a_partial_credit_note_from_the_invoice(
    agent_client, billing_agent, invoice, freeze_clock
):
    from django.utils import timezone

    freeze_clock(timezone.make_aware(dt.datetime(2026, 12, 10, 9, 0)))
    form = agent_client.get(url("invoices", "credit_note", invoice.pk))
    assert form.status_code == 200
    assert "32.00" in form.content.decode()

    response = agent_client.post(
        url("invoices", "credit_note", invoice.pk),
        {"amount": "6,40", "reason": "Deux repas facturés à tort"},
        follow=True,
    )

    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    invoice.refresh_from_db()
    assert (note.corrects, note.total, note.number) == (invoice, Decimal("6.40"), "2026-000002")
    assert invoice.balance == Decimal("25.60") and invoice.state == "issued"
    assert response.redirect_chain[-1][0] == url("invoices", "inspect", invoice.pk)
    success = f"Credit note {note.number} of 6.40 € made for invoice {invoice.number}."
    assert any(message.startswith(success) for message in messages_of(response))
    page = response.content.decode()
    assert url("invoices", "inspect", note.pk) in page and "Deux repas facturés à tort" in page


def test_a_credit_note_without_amount_credits_the_whole_invoice(
    agent_client, billing_agent, invoice
):
    agent_client.post(url("invoices", "credit_note", invoice.pk), {"reason": "Annulation"})

    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.CANCELLED
    assert invoice.credit_notes.get().total == Decimal("32.00")
    page = agent_client.get(url("invoices", "inspect", invoice.pk)).content.decode()
    assert url("invoices", "credit_note", invoice.pk) not in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "5", "reason": ""}, "reason", "This field is required."),
        ({"amount": "abc", "reason": "x"}, "amount", "Give the amount as a number, e.g. 12.50."),
        ({"amount": "-3", "reason": "x"}, "amount", "The amount must be more than zero."),
        (
            {"amount": "40", "reason": "x"},
            "amount",
            "is more than the 32.00 € left to credit.",
        ),
    ],
)
def test_a_wrong_credit_note_is_refused_with_its_reason(
    agent_client, billing_agent, invoice, data, field, message
):
    response = agent_client.post(url("invoices", "credit_note", invoice.pk), data)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert any("The credit note was not made" in text for text in messages_of(response))
    assert not Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()


def test_editing_a_grid_checks_its_bands_again(agent_client, billing_agent, canteen, office):
    agent_client.post(url("price_grids", "add"), grid_data(canteen, office, GOOD_BANDS))
    grid = PriceGrid.objects.get()
    bands = list(grid.bands.order_by("quotient_min"))
    rows = [
        {**band(b.label, str(b.quotient_min), str(b.quotient_max or ""), str(b.price)), "id": b.pk}
        for b in bands
    ]
    rows[1]["quotient_min"] = "650"

    edit = url("price_grids", "edit", grid.pk)
    gap = agent_client.post(edit, grid_data(canteen, office, rows, initial=3))

    assert gap.status_code == 200
    assert "There is a gap between the bands “tranche 1” and “tranche 2”." in gap.content.decode()
    rows[1]["quotient_min"], rows[1]["price"] = "600.01", "2.50"
    saved = agent_client.post(edit, grid_data(canteen, office, rows, initial=3))
    assert saved.status_code == 302
    assert grid.bands.get(label="tranche 2").price == Decimal("2.50")


def test_a_grid_of_this_town_is_not_found_by_another_towns_agent(
    other_billing_client, canteen, office
):
    grid = PriceGrid.objects.create(
        activity=canteen, billing_office=office, valid_from=dt.date(2026, 1, 1)
    )

    assert other_billing_client.get(url("price_grids", "edit", grid.pk)).status_code == 404
    assert other_billing_client.post(url("price_grids", "delete", grid.pk)).status_code == 404
    assert other_billing_client.get(url("billing_offices", "edit", office.pk)).status_code == 404
    assert PriceGrid.objects.filter(pk=grid.pk).exists()


def test_credited_invoices_are_listed_as_cancelled_and_notes_apart(
    agent_client, billing_agent, invoice
):
    agent_client.post(url("invoices", "credit_note", invoice.pk), {"reason": "Annulation"})
    note = invoice.credit_notes.get()

    cancelled = agent_client.get(url("invoices", "index"), {"status": "cancelled"})
    notes = agent_client.get(url("invoices", "index"), {"kind": "credit_note"})

    assert list(cancelled.context["object_list"]) == [invoice]
    assert list(notes.context["object_list"]) == [note]


def test_the_demo_agent_is_a_billing_agent_too(db):
    from django.contrib.auth import get_user_model

    from wagtail_family_portal import demo

    from .test_demo import load

    load()

    agent = get_user_model().objects.get(username=demo.AGENT_USERNAME)
    assert agent.groups.filter(name=BILLING_AGENTS_GROUP_NAME).exists()
    assert agent.has_perm("wagtail_family_portal.view_invoice")
