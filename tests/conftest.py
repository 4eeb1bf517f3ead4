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


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: rate-limit counters must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield


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
def parent(family):
    """An active family account subscribed to ``family``."""
    user = factories.UserFactory(username="parent@example.org", email="parent@example.org")
    factories.SubscriptionFactory(user=user, family=family)
    return user


@pytest.fixture
def agent(municipality):
    return factories.AgentFactory(username="agent", municipality=municipality)


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
def portal_settings(portal_site):
    """The site's FamilyPortalSettings (optional modules off by default)."""
    from wagtail_family_portal.models import FamilyPortalSettings

    return FamilyPortalSettings.for_site(portal_site)


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
