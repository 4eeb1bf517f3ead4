"""The family portal's routes: every page a family reaches below the ``FamilyPortalPage``.

Plain ``path()`` entries, in one list. The page serves them through Wagtail's routable pages:
``FamilyPortalPage.get_subpage_urls()`` returns this list, which the app hands to the page when
it is ready (``apps.py``), so that the model imports no view. Route names are part of the
package's interface (templates and e-mails reverse them): they do not change.

Wagtail calls a route's function bound to the page, ``function(page, request, …)``; the
portal's views (each a ``base.portal_view``) take ``(request, page, …)``, which ``page_view``
adapts.
"""

import functools

from django.urls import path

from . import (
    accounts,
    billing,
    calendar,
    child_photo,
    family_changes,
    family_file,
    period_request,
    planning,
    planning_day,
    portal,
    requests,
    subscriptions,
    test_bank,
)


def page_view(view):
    """``view(request, page, …)`` as Wagtail calls a route of the page: ``(page, request, …)``."""

    @functools.wraps(view)
    def route(page, request, *args, **kwargs):
        return view(request, page, *args, **kwargs)

    return route


FAMILY = "famille/<int:family_id>/"

urlpatterns = [
    path("", page_view(portal.dashboard), name="index"),
    path("connexion/", page_view(portal.login), name="login"),
    path("deconnexion/", page_view(portal.logout), name="logout"),
    # Accounts (views/accounts.py).
    path("inscription/", page_view(accounts.signup), name="signup"),
    path("inscription/envoyee/", page_view(accounts.signup_done), name="signup_done"),
    path(
        "activation/nouveau-lien/",
        page_view(accounts.resend_activation),
        name="resend_activation",
    ),
    path("activation/<str:token>/", page_view(accounts.activate), name="activate"),
    path("mot-de-passe/", page_view(accounts.password_change), name="password_change"),
    path("mot-de-passe/oublie/", page_view(accounts.password_reset), name="password_reset"),
    path(
        "mot-de-passe/oublie/envoye/",
        page_view(accounts.password_reset_done),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        page_view(accounts.password_reset_confirm),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/fait/",
        page_view(accounts.password_reset_complete),
        name="password_reset_complete",
    ),
    path(
        "compte/notifications/",
        page_view(accounts.notification_settings),
        name="notification_settings",
    ),
    # "Mes abonnements" (views/subscriptions.py).
    path("abonnements/", page_view(subscriptions.subscription_list), name="subscriptions"),
    path("abonnements/ajouter/", page_view(subscriptions.subscribe), name="subscribe"),
    # The family file (views/family_file.py, family_changes.py, child_photo.py): every route is
    # a ``base.portal_view(family=True)``, which checks the family is the account's.
    path(FAMILY, page_view(family_file.family_file), name="family_file"),
    path(
        FAMILY + "enfant/<int:child_id>/",
        page_view(family_file.child_file),
        name="child_file",
    ),
    path(
        FAMILY + "modifier/<str:target_type>/<int:target_id>/",
        page_view(family_changes.family_change),
        name="family_change",
    ),
    path(
        FAMILY + "ajouter/<str:target_type>/",
        page_view(family_changes.family_add),
        name="family_add",
    ),
    path(
        FAMILY + "ajouter/<str:target_type>/<int:parent_id>/",
        page_view(family_changes.family_add),
        name="family_add_for",
    ),
    path(
        FAMILY + "retirer/contact/<int:contact_id>/",
        page_view(family_changes.remove_contact),
        name="family_remove_contact",
    ),
    path(
        FAMILY + "enfant/<int:child_id>/photo/",
        page_view(child_photo.child_photo),
        name="child_photo",
    ),
    path(
        FAMILY + "enfant/<int:child_id>/photo/modifier/",
        page_view(child_photo.child_photo_change),
        name="child_photo_change",
    ),
    path(
        FAMILY + "demandes/<int:request_id>/retirer/",
        page_view(family_changes.withdraw_change),
        name="withdraw_change",
    ),
    # The planning (views/planning.py), one day (planning_day.py), a period (period_request.py),
    # the calendar (calendar.py).
    path(FAMILY + "planning/", page_view(planning.planning), name="planning"),
    path(FAMILY + "planning/jour/", page_view(planning_day.planning_day), name="planning_day"),
    path(FAMILY + "reservations/", page_view(period_request.period_request), name="period_request"),
    path(
        FAMILY + "calendrier/",
        page_view(calendar.calendar_settings),
        name="calendar_settings",
    ),
    # Wagtail's page URLs take letters, digits, "-" and "_" only: the same feed ending in
    # ".ics" (…/calendrier/<token>.ics, the address families are given) is a Django URL of
    # wagtail_family_portal.urls. Calendar programs read the answer's Content-Type.
    path("calendrier/<str:token>/", page_view(calendar.calendar_feed), name="calendar_feed"),
    # "Mes demandes" (views/requests.py).
    path(FAMILY + "demandes/", page_view(requests.requests_list), name="requests_list"),
    path(
        FAMILY + "demandes/<int:request_id>/",
        page_view(requests.request_detail),
        name="request_detail",
    ),
    # "Mes factures" (views/billing.py): the invoices, one invoice, its PDF, paying online and
    # coming back, the yearly attestation; the local test bank of the dummy backend
    # (views/test_bank.py). The service's notification is a Django URL of
    # wagtail_family_portal.urls (no login, no CSRF token).
    path("factures/", page_view(billing.invoices_entry), name="invoices_entry"),
    path(FAMILY + "factures/", page_view(billing.invoices), name="invoices"),
    path(FAMILY + "factures/payer/", page_view(billing.pay), name="pay"),
    path(
        FAMILY + "factures/<int:invoice_id>/",
        page_view(billing.invoice_detail),
        name="invoice_detail",
    ),
    path(
        FAMILY + "factures/<int:invoice_id>/pdf/",
        page_view(billing.invoice_pdf),
        name="invoice_pdf",
    ),
    path(
        FAMILY + "factures/paiement/<int:online_payment_id>/",
        page_view(billing.payment_form),
        name="payment_form",
    ),
    path(
        FAMILY + "factures/paiement/retour/<int:office_id>/",
        page_view(billing.payment_return),
        name="payment_return",
    ),
    path(
        FAMILY + "attestations/<int:office_id>/<int:year>/",
        page_view(billing.attestation),
        name="attestation",
    ),
    path("banque-test/", page_view(test_bank.test_bank), name="test_bank"),
]
