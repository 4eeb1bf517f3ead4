"""Billing runs in the admin, as the régie's agent uses them: create a run, review the drafts
(totals, families, warnings, lines), recompute, issue after a confirmation (twice is nothing),
export the lines; and another town's agent or a family-file agent kept out."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail_family_portal.models import BillingRun, DayState, Invoice
from wagtail_family_portal.permissions import BILLING_AGENTS_GROUP_NAME
from wagtail_family_portal.services.billing import runs

from . import factories
from .admin_login import login
from .test_billing_runs import CANTEEN_DAYS, NOVEMBER, grid_with_bands, set_days

pytestmark = pytest.mark.django_db


def url(view, *args):
    return reverse(f"family_portal_billing_runs:{view}", args=args)


def messages_of(response):
    return [str(message).strip() for message in response.context["messages"]]


@pytest.fixture
def billing_agent(agent):
    agent.groups.add(Group.objects.get(name=BILLING_AGENTS_GROUP_NAME))
    return agent


@pytest.fixture
def priced(family, office, canteen, lea):
    """The canteen priced by QF bands; the Martin family (QF 620) booked Léa on every canteen
    day of November."""
    family.family_quotient = Decimal("620")
    family.quotient_year = 2026
    family.save()
    grid = grid_with_bands(canteen, office)
    set_days(lea, canteen, CANTEEN_DAYS)
    return grid


@pytest.fixture
def run(priced, office, agent):
    return runs.create_run(office, *NOVEMBER, user=agent, label="Novembre 2026")


def run_form(office, **overrides):
    data = {
        "billing_office": office.pk,
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "label": "Novembre 2026",
    }
    data.update(overrides)
    return data


def test_agent_creates_a_run_and_reviews_its_drafts(agent_client, billing_agent, priced, office):
    form = agent_client.get(url("add")).context["form"]
    assert list(form.fields["billing_office"].queryset) == [office]

    response = agent_client.post(url("add"), run_form(office), follow=True)

    run = BillingRun.objects.get()
    assert response.redirect_chain[-1][0] == url("inspect", run.pk)
    assert (run.label, run.invoice_count, run.total_amount) == (
        "Novembre 2026",
        1,
        Decimal("54.40"),
    )
    page = response.content.decode()
    assert "1 draft invoice to review" in " ".join(messages_of(response))
    assert "54.40" in page and "Martin" in page
    assert "QF 620 → tranche 2" in page and "Léa Martin" in page
    assert "Recompute" in page and url("issue", run.pk) in page


def test_a_run_of_another_town_or_overlapping_one_is_refused(
    agent_client, billing_agent, run, office, other_municipality
):
    other_office = factories.BillingOfficeFactory(municipality=other_municipality)
    forged = agent_client.post(url("add"), run_form(other_office))
    assert "billing_office" in forged.context["form"].errors

    overlapping = agent_client.post(url("add"), run_form(office, period_start="2026-11-15"))
    assert overlapping.status_code == 200
    assert "already covers some of these dates" in overlapping.content.decode()
    reversed_period = agent_client.post(url("add"), run_form(office, period_end="2026-10-01"))
    assert "The period cannot end before it starts." in reversed_period.content.decode()
    assert BillingRun.objects.count() == 1


def test_the_review_lists_warnings(agent_client, billing_agent, run, family, lea, canteen):
    family.family_quotient = None
    family.save()
    agent_client.post(url("recompute", run.pk))

    page = agent_client.get(url("inspect", run.pk)).content.decode()

    run.refresh_from_db()
    assert run.warning_count == 1
    (warning,) = run.invoices.get().warnings
    assert f"Martin: {warning}" in page


def test_recompute_takes_corrections_into_account(agent_client, billing_agent, run, lea, canteen):
    from wagtail_family_portal.models import ChildDay

    ChildDay.objects.filter(child=lea, date__in=CANTEEN_DAYS[:7]).update(state=DayState.ABSENT)

    response = agent_client.post(url("recompute", run.pk), follow=True)

    run.refresh_from_db()
    assert run.total_amount == Decimal("32.00")  # 10 days × 3.20
    assert "Run recomputed: 1 draft invoice" in " ".join(messages_of(response))


def test_issue_asks_for_confirmation_then_numbers_the_invoices(agent_client, billing_agent, run):
    confirmation = agent_client.get(url("issue", run.pk))
    assert confirmation.status_code == 200
    assert "Yes, issue the invoices" in confirmation.content.decode()
    assert BillingRun.objects.get().is_draft

    response = agent_client.post(url("issue", run.pk), follow=True)

    invoice = Invoice.objects.get()
    assert (invoice.state, invoice.number) == ("issued", f"{invoice.year}-000001")
    assert f"1 invoice issued: {invoice.number}." in messages_of(response)
    page = response.content.decode()
    invoice_url = reverse("family_portal_invoices:inspect", args=[invoice.pk])
    assert invoice.number in page and invoice_url in page
    assert "Recompute" not in page

    again = agent_client.post(url("issue", run.pk), follow=True)
    assert any("already issued" in message for message in messages_of(again))
    assert list(Invoice.objects.values_list("number", flat=True)) == [invoice.number]
    recompute = agent_client.post(url("recompute", run.pk), follow=True)
    assert any("can no longer be computed" in message for message in messages_of(recompute))


def test_the_runs_list_shows_each_runs_figures(agent_client, billing_agent, run):
    response = agent_client.get(url("index"))

    page = response.content.decode()
    assert list(response.context["object_list"]) == [run]
    assert "Novembre 2026" in page and "54.40" in page and "draft" in page


def test_the_lines_of_a_run_export_as_csv(
    agent_client, billing_agent, run, office, neighbour_family, canteen, family
):
    neighbour, zoe = neighbour_family
    factories.enrol(zoe, canteen)
    set_days(zoe, canteen, CANTEEN_DAYS[:2])
    runs.compute(run)
    older = runs.create_run(office, dt.date(2026, 10, 1), dt.date(2026, 10, 31), user=None)
    assert older.pk != run.pk

    response = agent_client.get(
        reverse("family_portal_invoice_lines:index"), {"run": run.pk, "export": "csv"}
    )

    assert response.status_code == 200
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 3
    body = "\n".join(rows[1:])
    assert "Léa Martin" in body and "Zoé" in body and "QF 620 → tranche 2" in body
    assert family.subscriber_code in body and "54.40" in body
    xlsx = agent_client.get(
        reverse("family_portal_invoice_lines:index"), {"run": run.pk, "export": "xlsx"}
    )
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_review_runs_a_constant_number_of_queries(
    agent_client, billing_agent, run, canteen, municipality
):
    agent_client.get(url("inspect", run.pk))
    with CaptureQueriesContext(connection) as one:
        agent_client.get(url("inspect", run.pk))
    for number in range(4):
        family = factories.FamilyFactory(municipality=municipality, name=f"Famille {number}")
        child = factories.ChildFactory(family=family)
        factories.enrol(child, canteen)
        set_days(child, canteen, CANTEEN_DAYS[:3])
    runs.compute(run)
    with CaptureQueriesContext(connection) as five:
        response = agent_client.get(url("inspect", run.pk))

    assert len(response.context["invoices"]) == 5
    assert len(five) == len(one)


def test_the_review_shows_the_invoices_a_page_at_a_time(
    agent_client, billing_agent, run, canteen, municipality
):
    for number in range(21):
        family = factories.FamilyFactory(municipality=municipality, name=f"Famille {number:02}")
        child = factories.ChildFactory(family=family)
        factories.enrol(child, canteen)
        set_days(child, canteen, CANTEEN_DAYS[:1])
    runs.compute(run)

    first = agent_client.get(url("inspect", run.pk))
    second = agent_client.get(url("inspect", run.pk), {"p": 2})

    assert len(first.context["invoices"]) == 20
    assert [row["invoice"].family_name for row in second.context["invoices"]] == [
        "Famille 20",
        "Martin",
    ]


def test_runs_of_another_town_are_not_found(client, run, other_municipality):
    other = factories.AgentFactory(username="autre", municipality=other_municipality)
    other.groups.add(Group.objects.get(name=BILLING_AGENTS_GROUP_NAME))
    login(client, other)

    assert client.get(url("inspect", run.pk)).status_code == 404
    assert client.get(url("issue", run.pk)).status_code == 404
    assert client.post(url("issue", run.pk)).status_code == 404
    assert client.post(url("recompute", run.pk)).status_code == 404
    assert list(client.get(url("index")).context["object_list"]) == []
    assert BillingRun.objects.get().is_draft


def test_a_family_file_agent_cannot_open_the_runs(agent_client, run):
    for address in (url("index"), url("add"), url("inspect", run.pk), url("issue", run.pk)):
        response = agent_client.get(address, headers={"x-requested-with": "XMLHttpRequest"})
        assert response.status_code == 403, address
    denied = agent_client.post(url("issue", run.pk))
    assert denied.status_code == 302 and denied["Location"] == reverse("wagtailadmin_home")
    assert BillingRun.objects.get().is_draft


def test_the_lines_export_runs_a_constant_number_of_queries(
    agent_client, billing_agent, office, priced, canteen, municipality
):
    run = runs.create_run(office, *NOVEMBER, user=None)  # no label: named after its régie
    lines = reverse("family_portal_invoice_lines:index")

    def export():
        with CaptureQueriesContext(connection) as queries:
            response = agent_client.get(lines, {"run": run.pk, "export": "csv"})
            rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
        return len(rows), len(queries)

    one_row, one = export()
    for number in range(4):
        family = factories.FamilyFactory(municipality=municipality, name=f"Famille {number}")
        child = factories.ChildFactory(family=family)
        factories.enrol(child, canteen)
        set_days(child, canteen, CANTEEN_DAYS[:3])
    runs.compute(run)
    five_rows, five = export()

    assert (one_row, five_rows) == (2, 6)
    assert five == one
