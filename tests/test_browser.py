"""Smoke test in a real browser: a parent logs in on a phone and sees the dashboard."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from .browser import DESKTOP_VIEWPORT, PHONE_VIEWPORT, screenshot

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data; serialized_rollback restores Wagtail's initial
    # pages and site after the flush, for the tests that run next.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def fits_width(page, width: int) -> bool:
    """Whether the page, laid out ``width`` pixels wide, needs no horizontal scrolling."""
    page.set_viewport_size({"width": width, "height": 800})
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_parent_logs_in_and_sees_the_dashboard(
    browser_page, live_server, portal_page, portal_settings, enrolled_family, parent
):
    portal_settings.welcome_text = (
        "<p>Les inscriptions aux accueils de loisirs des vacances d’hiver sont ouvertes "
        "jusqu’au 15 janvier.</p>"
    )
    portal_settings.save()
    page = browser_page
    page.goto(live_server.url + "/espace-famille/")
    expect(page.locator("#wfp-login")).to_be_visible()
    expect(page.locator("#wfp-signup")).to_be_visible()
    assert fits_width(page, 360)
    page.set_viewport_size(DESKTOP_VIEWPORT)
    screenshot(page, "portal-home-desktop")
    page.set_viewport_size(PHONE_VIEWPORT)
    screenshot(page, "portal-home-phone")

    page.fill("input[name=username]", "parent@example.org")
    page.fill("input[name=password]", "correct-horse-battery")
    page.locator("#wfp-login button[type=submit]").click()
    page.wait_for_url(live_server.url + "/espace-famille/")

    expect(page.locator(".wfp-family__title")).to_contain_text("Martin")
    expect(page.get_by_text("Léa Martin")).to_be_visible()
    expect(page.locator("[data-block=planning]").get_by_text("Repas école").first).to_be_visible()
    expect(page.get_by_text("vacances d’hiver")).to_be_visible()
    assert fits_width(page, 360)
    page.set_viewport_size(PHONE_VIEWPORT)
    screenshot(page, "dashboard-phone")

    page.set_viewport_size(DESKTOP_VIEWPORT)
    screenshot(page, "dashboard-desktop")


def test_wrong_password_keeps_the_parent_on_the_login_page(
    browser_page, live_server, portal_page, parent
):
    page = browser_page
    page.goto(live_server.url + "/espace-famille/connexion/")
    page.fill("input[name=username]", "parent@example.org")
    page.fill("input[name=password]", "wrong")
    with page.expect_navigation():
        page.locator("#wfp-login button[type=submit]").click()

    expect(page.locator("[role=alert]")).to_be_visible()
    assert page.url.startswith(live_server.url + "/espace-famille/connexion/")
    screenshot(page, "login-error-phone")


def test_demo_journey_parent_dashboard_and_agent_admin(browser_page, live_server):
    """The issue's "done when": the demo parent sees the dashboard in French, the demo agent
    sees only their own town's families in the admin."""
    call_command("load_family_portal_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    page = browser_page
    page.goto(live_server.url + "/espace-famille/")
    page.fill("input[name=username]", "parent@example.org")
    page.fill("input[name=password]", "demo-parent-2026")
    page.locator("#wfp-login button[type=submit]").click()
    page.wait_for_url(live_server.url + "/espace-famille/")
    expect(page.locator(".wfp-family__title")).to_contain_text("Famille Martin")
    expect(page.get_by_role("heading", name="Mon dossier famille")).to_be_visible()
    expect(page.get_by_text("Léa Martin")).to_be_visible()
    screenshot(page, "demo-dashboard")

    page.set_viewport_size(DESKTOP_VIEWPORT)
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", "agent")
    page.locator("button[type=submit]").click()
    page.wait_for_url(live_server.url + "/admin/")
    page.goto(live_server.url + "/admin/family-portal/families/")
    expect(page.get_by_role("link", name="Durand")).to_be_visible()
    expect(page.get_by_text("DEMO-DURAND-2026")).to_be_visible()
    expect(page.get_by_role("link", name="Bernard")).to_have_count(0)
    screenshot(page, "demo-admin-families")


def test_sign_up_activate_log_in_and_subscribe_with_the_demo_code(
    browser_page, live_server, mailoutbox
):
    """Issue 3's journey: sign up, open the activation link from the outbox, activate, log in,
    subscribe with DEMO-DURAND-2026 and see that family's dashboard, without logging in again."""
    call_command("load_family_portal_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    page = browser_page
    page.goto(live_server.url + "/espace-famille/")
    page.locator("#wfp-signup a.wfp-button").click()
    page.wait_for_url("**/espace-famille/inscription/")
    expect(page.locator("#wfp-terms")).to_contain_text("code abonné")

    page.locator("input[name=civility][value=MME]").check()
    page.fill("input[name=last_name]", "Durand")
    page.fill("input[name=first_name]", "Sophie")
    page.fill("input[name=email]", "Sophie.Durand@Example.org")
    page.fill("input[name=phone]", "06 98 76 54 32")
    page.fill("input[name=password1]", "cantine-du-mercredi-42")
    page.fill("input[name=password2]", "cantine-du-mercredi-42")
    page.locator("input[name=accept_terms]").check()
    screenshot(page, "signup-phone")
    page.locator("#wfp-signup-form button[type=submit]").click()
    page.wait_for_url("**/espace-famille/inscription/envoyee/")
    expect(page.locator("#wfp-signup-done")).to_be_visible()

    [message] = [m for m in mailoutbox if m.to == ["sophie.durand@example.org"]]
    assert message.subject == "Portail citoyen : confirmation de création de compte"
    link = next(line.strip() for line in message.body.splitlines() if "/activation/" in line)
    assert link.startswith(live_server.url + "/espace-famille/activation/")
    page.goto(link)
    page.locator("#wfp-activate button[type=submit]").click()
    page.wait_for_url("**/espace-famille/connexion/")
    expect(page.locator(".wfp-messages")).to_be_visible()

    page.fill("input[name=username]", "sophie.durand@example.org")
    page.fill("input[name=password]", "cantine-du-mercredi-42")
    page.locator("#wfp-login button[type=submit]").click()
    page.wait_for_url(live_server.url + "/espace-famille/")
    expect(page.locator("#wfp-no-family")).to_be_visible()

    page.locator("#wfp-no-family a.wfp-button").click()
    page.wait_for_url("**/espace-famille/abonnements/ajouter/")
    page.fill("input[name=code]", "demo durand 2026")
    page.locator("#wfp-subscribe-search button[type=submit]").click()
    expect(page.locator("#wfp-found-family")).to_contain_text("Durand")
    expect(page.locator("#wfp-found-family")).to_contain_text("Belleville-sur-Loire")
    screenshot(page, "subscribe-confirm-phone")
    page.locator("#wfp-subscribe-confirm button[type=submit]").click()

    page.wait_for_url(live_server.url + "/espace-famille/")
    expect(page.locator(".wfp-family__title")).to_contain_text("Durand")
    expect(page.locator("#wfp-no-family")).to_have_count(0)
    assert fits_width(page, 360)
    page.set_viewport_size(PHONE_VIEWPORT)
    screenshot(page, "subscribed-dashboard-phone")


def test_family_file_changes_wait_for_the_agent_who_accepts_or_refuses(
    browser_page, chromium, live_server
):
    """Issue 4: the demo parent changes the address, a phone number and an allergy, sees them
    highlighted; the demo agent accepts two and refuses the allergy with a message; the parent
    sees the file updated and the message."""
    from django.urls import reverse

    from wagtail_family_portal.models import Child, Family, Guardian, Request

    call_command("load_family_portal_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    martin = Family.objects.get(name="Martin")
    claire = Guardian.objects.get(family=martin, first_name="Claire")
    lea = Child.objects.get(family=martin, first_name="Léa")
    family_url = f"{live_server.url}/espace-famille/famille/{martin.pk}/"
    page = browser_page
    page.goto(live_server.url + "/espace-famille/connexion/")
    page.fill("input[name=username]", "parent@example.org")
    page.fill("input[name=password]", "demo-parent-2026")
    page.locator("#wfp-login button[type=submit]").click()
    page.wait_for_url(live_server.url + "/espace-famille/")

    page.goto(family_url)
    page.locator("#wfp-family-address a.wfp-change-link").click()
    page.fill("input[name=address_line1]", "12 rue des Lilas")
    page.locator("#wfp-change-form button[type=submit]").click()
    page.wait_for_url(family_url + "#wfp-family-address")
    expect(page.locator(".wfp-messages")).to_contain_text("en attente de validation")
    pending_address = page.locator("#wfp-family-address .wfp-pending-change")
    expect(pending_address).to_contain_text("12 rue des Lilas")
    expect(pending_address).to_contain_text("en attente de validation")

    page.goto(f"{family_url}modifier/guardian/{claire.pk}/")
    page.fill("input[name=mobile_phone]", "07 81 22 33 44")
    page.locator("#wfp-change-form button[type=submit]").click()
    page.goto(f"{family_url}modifier/health/{lea.pk}/")
    page.fill("textarea[name=allergies]", "Arachides, fruits à coque et kiwi.")
    page.locator("#wfp-change-form button[type=submit]").click()
    page.goto(f"{family_url}enfant/{lea.pk}/")
    expect(page.locator("mark.wfp-pending").filter(has_text="kiwi")).to_be_visible()
    screenshot(page, "family-change-pending-phone")
    martin.refresh_from_db()
    assert martin.address_line1 != "12 rue des Lilas"  # nothing changed yet

    agent_context = chromium.new_context(viewport=DESKTOP_VIEWPORT, locale="fr-FR")
    agent_page = agent_context.new_page()
    agent_page.goto(live_server.url + "/admin/login/")
    agent_page.fill("input[name=username]", "agent")
    agent_page.fill("input[name=password]", "agent")
    agent_page.locator("button[type=submit]").click()
    agent_page.wait_for_url(live_server.url + "/admin/")
    agent_page.goto(live_server.url + reverse("family_portal_file_changes:index"))
    expect(agent_page.locator("main")).to_contain_text("Martin")
    screenshot(agent_page, "admin-changes-queue")
    requests = list(
        Request.objects.filter(family=martin, kind="file_change", state="pending").order_by("pk")
    )
    assert len(requests) == 3
    for request in requests:
        agent_page.goto(
            live_server.url + reverse("family_portal_file_changes:inspect", args=[request.pk])
        )
        accept_url = reverse("family_portal_file_changes:accept", args=[request.pk])
        refuse_url = reverse("family_portal_file_changes:refuse", args=[request.pk])
        if "kiwi" in agent_page.locator("main").inner_text():
            screenshot(agent_page, "admin-change-detail")
            form = agent_page.locator(f"form[action='{refuse_url}']")
            form.locator("textarea[name=refuse-message]").fill(
                "Merci de joindre le certificat médical mis à jour au PAI."
            )
        else:
            form = agent_page.locator(f"form[action='{accept_url}']")
        with agent_page.expect_navigation():
            form.locator("button[type=submit]").click()
    agent_context.close()

    page.goto(family_url)
    expect(page.locator("#wfp-family-address")).to_contain_text("12 rue des Lilas")
    expect(page.locator("#wfp-family-address .wfp-pending-change")).to_have_count(0)
    expect(page.locator("#wfp-guardians")).to_contain_text("07 81 22 33 44")
    expect(page.locator("#wfp-answers")).to_contain_text("certificat médical")
    screenshot(page, "family-answers-phone")
    page.goto(f"{family_url}enfant/{lea.pk}/")
    expect(page.locator("mark.wfp-pending")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("kiwi")


def test_planning_booking_period_list_and_a_refused_day(browser_page, chromium, live_server):
    """Issue 5: the demo parent books a day from the planning, requests a period from the form,
    sees the list view; the agent refuses one day with a message; the parent sees "refusée"."""
    import datetime as dt

    from django.urls import reverse

    from wagtail_family_portal.models import Activity, BookingLine, Child, Family
    from wagtail_family_portal.services import bookings

    call_command("load_family_portal_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    martin = Family.objects.get(name="Martin")
    hugo = Child.objects.get(family=martin, first_name="Hugo")
    lea = Child.objects.get(family=martin, first_name="Léa")
    morning = Activity.objects.get(short_code="2/Péri MATIN")
    evening = Activity.objects.get(short_code="1/Péri SOIR")
    today = dt.date.today()
    open_days, _skipped = bookings.preview_days(
        family=martin,
        child_id=hugo.pk,
        activity_id=morning.pk,
        operation="booking",
        dates=[today + dt.timedelta(days=n) for n in range(7, 120)],
    )
    day = open_days[0]
    base = f"{live_server.url}/espace-famille/famille/{martin.pk}/"

    page = browser_page
    page.goto(live_server.url + "/espace-famille/connexion/")
    page.fill("input[name=username]", "parent@example.org")
    page.fill("input[name=password]", "demo-parent-2026")
    page.locator("#wfp-login button[type=submit]").click()
    page.wait_for_url(live_server.url + "/espace-famille/")

    page.goto(f"{base}planning/?vue=semaine&date={day.isoformat()}")
    the_day = page.locator("li.wfp-day", has=page.locator(f"time[datetime='{day.isoformat()}']"))
    cell = the_day.locator(f"li.wfp-cell.wfp-child-{hugo.pk}").filter(has_text="Périscolaire matin")
    expect(cell).to_contain_text("inscrit")
    screenshot(page, "planning-week-phone")
    cell.locator("a").click()
    expect(page.locator("main")).to_contain_text("Hugo")
    page.locator("form.wfp-actions button[type=submit]").click()
    page.wait_for_url(f"{base}planning/**")
    expect(cell).to_contain_text("réservé")

    start = open_days[5]
    page.goto(f"{base}reservations/")
    page.locator(f"input[name=children][value='{lea.pk}']").check()
    page.select_option("select[name=activity]", str(evening.pk))
    page.locator("input[name=operation][value=booking]").check()
    page.fill("input[name=start]", start.isoformat())
    page.fill("input[name=end]", (start + dt.timedelta(days=13)).isoformat())
    for weekday in ("0", "1", "3", "4"):
        page.locator(f"input[name=weekdays][value='{weekday}']").check()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    expect(page.locator("main")).to_contain_text("Périscolaire soir")
    screenshot(page, "period-preview-phone")
    with page.expect_navigation():
        page.locator("button[name=step][value=confirm]").click()
    expect(page.locator("main")).to_contain_text("Léa")

    page.goto(f"{base}demandes/")
    expect(page.locator("main")).to_contain_text("Périscolaire soir")
    expect(page.locator("main")).to_contain_text("En cours")
    screenshot(page, "requests-list-phone")

    line = BookingLine.objects.filter(child=lea, activity=evening, state="pending").first()
    agent_context = chromium.new_context(viewport=DESKTOP_VIEWPORT, locale="fr-FR")
    agent_page = agent_context.new_page()
    agent_page.goto(live_server.url + "/admin/login/")
    agent_page.fill("input[name=username]", "agent")
    agent_page.fill("input[name=password]", "agent")
    agent_page.locator("button[type=submit]").click()
    agent_page.wait_for_url(live_server.url + "/admin/")
    agent_page.goto(live_server.url + reverse("family_portal_bookings:index"))
    expect(agent_page.locator("main")).to_contain_text("Léa")
    screenshot(agent_page, "admin-bookings-queue")
    agent_page.goto(live_server.url + reverse("family_portal_bookings:inspect", args=[line.pk]))
    refuse_url = reverse("family_portal_bookings:refuse", args=[line.pk])
    form = agent_page.locator(f"form[action='{refuse_url}']")
    form.locator("textarea").fill("Plus de place ce jour-là au périscolaire du soir.")
    with agent_page.expect_navigation():
        form.locator("button[type=submit]").click()
    agent_context.close()
    line.refresh_from_db()
    assert line.state == "refused"

    page.goto(f"{base}demandes/{line.request_id}/")
    expect(page.locator("main")).to_contain_text("Refusée")
    expect(page.locator("main")).to_contain_text("Plus de place ce jour-là")
    screenshot(page, "request-refused-phone")


def test_receipt_decision_with_a_message_digest_and_unread_history(
    browser_page, chromium, live_server, mailoutbox
):
    """Issue 6: the parent books, the receipt is in the outbox; the agent accepts with a
    message; the digest runs; the parent sees "1 nouveau message" and the history."""
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone
    from wagtail.models import Site

    from wagtail_family_portal.models import Activity, BookingLine, Child, Family
    from wagtail_family_portal.services import bookings, notifications

    call_command("load_family_portal_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    martin = Family.objects.get(name="Martin")
    lea = Child.objects.get(family=martin, first_name="Léa")
    evening = Activity.objects.get(short_code="1/Péri SOIR")
    today = dt.date.today()
    open_days, _skipped = bookings.preview_days(
        family=martin,
        child_id=lea.pk,
        activity_id=evening.pk,
        operation="booking",
        dates=[today + dt.timedelta(days=n) for n in range(7, 120)],
    )
    day = open_days[0]
    base = f"{live_server.url}/espace-famille/famille/{martin.pk}/"

    page = browser_page
    page.goto(live_server.url + "/espace-famille/connexion/")
    page.fill("input[name=username]", "parent@example.org")
    page.fill("input[name=password]", "demo-parent-2026")
    page.locator("#wfp-login button[type=submit]").click()
    page.wait_for_url(live_server.url + "/espace-famille/")

    page.goto(f"{base}planning/?vue=semaine&date={day.isoformat()}")
    the_day = page.locator("li.wfp-day", has=page.locator(f"time[datetime='{day.isoformat()}']"))
    cell = the_day.locator(f"li.wfp-cell.wfp-child-{lea.pk}").filter(has_text="Périscolaire soir")
    cell.locator("a").click()
    page.locator("form.wfp-actions button[type=submit]").click()
    page.wait_for_url(f"{base}planning/**")
    expect(cell).to_contain_text("réservation demandée")

    # The demo's own requests had theirs too: this one is about the day just booked.
    [receipt] = [m for m in mailoutbox if day.strftime("%d/%m/%Y") in m.body]
    assert receipt.to == ["parent@example.org"]
    assert receipt.subject == "Accusé d’enregistrement électronique"
    assert "Votre demande de réservation pour Périscolaire soir" in receipt.body
    assert "est en cours d’instruction" in receipt.body

    line = BookingLine.objects.get(child=lea, activity=evening, date=day)
    agent_context = chromium.new_context(viewport=DESKTOP_VIEWPORT, locale="fr-FR")
    agent_page = agent_context.new_page()
    agent_page.goto(live_server.url + "/admin/login/")
    agent_page.fill("input[name=username]", "agent")
    agent_page.fill("input[name=password]", "agent")
    agent_page.locator("button[type=submit]").click()
    agent_page.wait_for_url(live_server.url + "/admin/")
    agent_page.goto(live_server.url + reverse("family_portal_bookings:inspect", args=[line.pk]))
    accept_url = reverse("family_portal_bookings:accept", args=[line.pk])
    form = agent_page.locator(f"form[action='{accept_url}']")
    form.locator("textarea").fill("Pensez au goûter : la sortie au parc finit à 18 h.")
    with agent_page.expect_navigation():
        form.locator("button[type=submit]").click()
    agent_context.close()
    line.refresh_from_db()
    assert line.state == "accepted"

    # The 13:00 or 18:00 run that follows the decision (run here, as the schedule would).
    site = Site.objects.get(is_default_site=True)
    run = notifications.run_digests(site, now=timezone.now() + dt.timedelta(days=1))
    assert run.sent == 1
    [digest] = [m for m in mailoutbox if m.subject == "Accusé de traitement"]
    assert digest.to == ["parent@example.org"]
    assert "1 de vos demandes a été traitée :" in digest.body
    assert f"{day:%d/%m/%Y} | 16:30 | Réservation | Léa Martin | Périscolaire soir | réservé" in (
        digest.body
    )
    assert "Pensez au goûter" in digest.body

    page.goto(f"{base}demandes/")
    row = page.locator("main tr", has_text="Périscolaire soir").first
    expect(row).to_contain_text("1 nouveau message")
    expect(row).to_contain_text("Acceptée")
    screenshot(page, "requests-new-message-phone")
    page.goto(f"{base}demandes/{line.request_id}/")
    expect(page.locator("main")).to_contain_text("Pensez au goûter")
    expect(page.locator("main")).to_contain_text("Le service")
    screenshot(page, "request-history-phone")
    page.goto(f"{base}demandes/")
    expect(page.locator("main tr", has_text="Périscolaire soir").first).not_to_contain_text(
        "nouveau message"
    )
