import datetime as dt

import pytest

from . import factories


@pytest.fixture(scope="session")
def portal_wheel(tmp_path_factory):
    """The package's wheel, built once from a copy of the sources (tests/test_packaging.py)."""
    from .test_packaging import build_wheel

    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture
def freeze_clock(monkeypatch):
    """Stop the portal's one clock (``clock.local_now``, hence ``clock.today``) at a naive local
    datetime: ``freeze_clock(NOW)``. The pages, the API, the services and the live server's
    thread all read it."""
    from wagtail_family_portal import clock

    def freeze(moment):
        monkeypatch.setattr(clock, "local_now", lambda: moment)
        return moment

    return freeze


@pytest.fixture
def signing_clock(monkeypatch):
    """Stop the clock Django's signer reads at ``moment``, a Unix time, to age a signed link:
    ``signing_clock(time.time() + 4 * 24 * 3600)``; ``signing_clock(None)`` starts it again.
    Not the portal's clock: the signer stamps and checks the links' age with ``time.time()``."""
    import time
    import types

    from django.core import signing

    def freeze(moment):
        stopped = types.SimpleNamespace(time=lambda: moment)
        monkeypatch.setattr(signing, "time", time if moment is None else stopped)
        return moment

    return freeze


@pytest.fixture
def fixed_now(freeze_clock):
    """The portal's clock stopped at ``factories.NOW``, Thursday 3 December 2026, 09:00: the
    pages, the API, the services and the live server's thread read it. A module whose every test
    runs then says ``pytestmark = pytest.mark.usefixtures("fixed_now")``."""
    return freeze_clock(factories.NOW)


@pytest.fixture
def english():
    """Messages are matched against their English source, whatever translations exist (the
    French wording is checked on the pages). Modules use it with ``usefixtures``."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def private_root(settings, tmp_path):
    """The private storage (documents, photos waiting for validation) in a fresh directory."""
    settings.WAGTAIL_FAMILY_PORTAL_PRIVATE_ROOT = str(tmp_path / "private")
    return tmp_path / "private"


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: rate-limit counters must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def site_language(settings):
    """Each test starts in the site's language (French): a request with another Accept-Language
    leaves its language active in the thread, which would make later tests depend on order."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def municipality(db):
    return factories.MunicipalityFactory(name="Belleville-sur-Loire")


@pytest.fixture
def other_municipality(db):
    return factories.MunicipalityFactory(name="Autreville")


@pytest.fixture
def family(municipality):
    return factories.FamilyFactory(municipality=municipality, name="Martin")


@pytest.fixture
def other_family(other_municipality):
    """A family of another town."""
    return factories.FamilyFactory(municipality=other_municipality, name="Dupont")


@pytest.fixture
def neighbour_family(municipality):
    """A family of the same town that no account of the tests is linked to, and its child:
    ``(family, child)``."""
    neighbour = factories.FamilyFactory(municipality=municipality, name="Durand")
    child = factories.ChildFactory(family=neighbour, first_name="Zoé")
    return neighbour, child


@pytest.fixture
def parent(family):
    """An active family account subscribed to ``family``."""
    user = factories.UserFactory(username="parent@example.org", email="parent@example.org")
    factories.SubscriptionFactory(user=user, family=family)
    return user


@pytest.fixture
def agent(municipality):
    """An agent of ``municipality``, in the agents' group (not a superuser)."""
    return factories.AgentFactory(username="agent", municipality=municipality)


@pytest.fixture
def agent_client(client, agent):
    """A test client logged into the admin as ``agent`` (not a superuser: the agents' group's
    permissions are what is tested), the admin in English."""
    from .admin_login import login

    assert not agent.is_superuser
    return login(client, agent)


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def claire(family):
    """The guardian of ``family``."""
    return factories.GuardianFactory(family=family, first_name="Claire")


@pytest.fixture
def lea(family):
    """A child of ``family``, the first one (her planning colour is the first, #1f77b4)."""
    return factories.ChildFactory(family=family, first_name="Léa")


@pytest.fixture
def hugo(family):
    """Léa's younger brother."""
    return factories.ChildFactory(family=family, first_name="Hugo", birth_date=dt.date(2020, 1, 1))


@pytest.fixture
def school(municipality):
    return factories.EstablishmentFactory(municipality=municipality, name="École Jules Ferry")


@pytest.fixture
def canteen(school, lea):
    """The school meal, validated by an agent, on Monday, Tuesday, Thursday and Friday of the
    factories' season; Léa is enrolled for the whole season."""
    from wagtail_family_portal.models import Activity

    meal = factories.ActivityFactory(
        establishment=school,
        name="Repas école",
        short_code="REPAS",
        booking_mode=Activity.BookingMode.AGENT,
    )
    factories.enrol(lea, meal)
    return meal


@pytest.fixture
def centre(school, lea):
    """The leisure centre, booked at once (no agent), on Wednesdays from 8:30 to 17:00; Léa is
    enrolled for the whole season."""
    from wagtail_family_portal.models import Activity

    wednesday = factories.ActivityFactory(
        establishment=school,
        name="Accueil de loisirs mercredi",
        short_code="ALSH",
        weekdays=[2],
        booking_mode=Activity.BookingMode.AUTOMATIC,
        start_time=dt.time(8, 30),
        end_time=dt.time(17, 0),
    )
    factories.enrol(lea, wednesday)
    return wednesday


@pytest.fixture
def office(municipality):
    """The régie of ``municipality`` (dummy online payment, SEPA creditor details)."""
    return factories.BillingOfficeFactory(municipality=municipality)


@pytest.fixture
def portal_site(db):
    """The default Wagtail site created by wagtail's initial migration (recreated if flushed)."""
    from wagtail.models import Page, Site

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        home = root.add_child(title="Accueil", slug="accueil")
        site = Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True
        )
    return site


@pytest.fixture
def portal_page(portal_site, municipality):
    """The family portal at /espace-famille/, on the site that ``municipality`` is tied to."""
    from wagtail_family_portal.models import FamilyPortalPage

    page = FamilyPortalPage(
        title="Espace famille",
        slug="espace-famille",
        intro="<p>Bienvenue sur l’espace famille de Belleville-sur-Loire.</p>",
    )
    portal_site.root_page.add_child(instance=page)
    municipality.site = portal_site
    municipality.save(update_fields=["site"])
    return page


@pytest.fixture
def site(portal_page, portal_site):
    """The portal's site, with its portal page (the e-mails link to it), tied to
    ``municipality`` (its name fills ``{{ municipality }}``)."""
    return portal_site


@pytest.fixture
def portal_settings(portal_site):
    """The site's FamilyPortalSettings (optional modules off by default)."""
    from wagtail_family_portal.models import FamilyPortalSettings

    return FamilyPortalSettings.for_site(portal_site)


@pytest.fixture
def rules(portal_site):
    """Set the site's field rules: ``rules({"guardian": {"iban": "hidden"}})``."""
    from wagtail_family_portal.models import FamilyFileRules

    def set_rules(overrides):
        setting = FamilyFileRules.for_site(portal_site)
        setting.rules = overrides
        setting.save()

    return set_rules


@pytest.fixture
def enrolled_family(family):
    """``family`` with a guardian and two schooled children, each enrolled in activities."""
    import datetime as dt

    school = factories.EstablishmentFactory(
        municipality=family.municipality, name="École Jules Ferry"
    )
    factories.GuardianFactory(family=family, first_name="Claire")
    lea = factories.ChildFactory(
        family=family, first_name="Léa", establishment=school, class_level="CE1"
    )
    hugo = factories.ChildFactory(
        family=family,
        first_name="Hugo",
        establishment=school,
        class_level="MS",
        birth_date=dt.date(2021, 3, 2),
    )
    # Dates around today, so that the enrolments stay current whenever the tests run.
    today = dt.date.today()
    season = {
        "season_start": today - dt.timedelta(days=60),
        "season_end": today + dt.timedelta(days=200),
    }
    period = {"start_date": season["season_start"], "end_date": season["season_end"]}
    canteen = factories.ActivityFactory(establishment=school, name="Repas école", **season)
    morning = factories.ActivityFactory(
        establishment=school,
        name="Périscolaire matin",
        kind="school_care",
        start_time=dt.time(7, 30),
        end_time=dt.time(8, 20),
        **season,
    )
    factories.EnrolmentFactory(child=lea, activity=canteen, **period)
    factories.EnrolmentFactory(child=lea, activity=morning, **period)
    factories.EnrolmentFactory(child=hugo, activity=canteen, **period)
    return family


@pytest.fixture
def parent_client(client, parent):
    """A test client logged in as ``parent``."""
    client.force_login(parent)
    return client
