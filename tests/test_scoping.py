"""The scoping rules exist once.

Family side: ``Family.objects.for_account(user)`` is the rule. The planning API's fast path,
``planning.account_family``, says it again in plain SQL (the page families open most pays no
queryset building): it must give the same answer as the rule for every account and every
family id — anonymous, inactive, superuser, agent, no subscription, several families, a family
of another town, another account's family, an unknown id. The last tests change one side
alone and check that the comparison notices.

Agent side: ``scoping.for_agent`` and ``scoping.sites_for_agent`` follow
``Municipality.objects.for_agent``; the admin and the site settings import them from the
``wagtail_family_portal/models/scoping.py``.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from wagtail.models import Page, Site

from wagtail_family_portal import planning
from wagtail_family_portal.admin import scoping as admin_scoping
from wagtail_family_portal.models import (
    Family,
    FamilyPortalSettings,
    Municipality,
    Subscription,
    scoping,
)
from wagtail_family_portal.models.families import FamilyQuerySet

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two towns (one with a site), their families, and every kind of account."""
    root = Page.get_first_root_node()
    home = root.add_child(title="Belleville", slug="belleville-scoping")
    site = Site.objects.create(hostname="belleville.example", port=80, root_page=home)
    town = factories.MunicipalityFactory(name="Belleville", site=site)
    other_town = factories.MunicipalityFactory(name="Autreville")
    martin = factories.FamilyFactory(municipality=town, name="Martin")
    durand = factories.FamilyFactory(municipality=town, name="Durand")
    petit = factories.FamilyFactory(municipality=other_town, name="Petit")
    factories.FamilyFactory(municipality=town, name="Nobody's")  # no account linked

    def account(name, *families, **fields):
        user = factories.UserFactory(username=f"{name}@example.org", **fields)
        for linked in families:
            factories.SubscriptionFactory(user=user, family=linked)
        return user

    agent = factories.AgentFactory(username="agent@example.org", municipality=town)
    accounts = {
        "anonymous": AnonymousUser(),
        "no subscription": account("alone"),
        "one family": account("one", martin),
        "several families": account("several", martin, durand),
        "two towns": account("towns", durand, petit),
        "another town only": account("elsewhere", petit),
        "inactive account": account("inactive", martin, is_active=False),
        "superuser without subscription": account("root", is_superuser=True, is_staff=True),
        "superuser with a family": account("rootparent", petit, is_superuser=True),
        "agent of the town": agent,
        "agent and parent elsewhere": account("agentparent", petit, is_staff=True),
    }
    town.agents.add(accounts["agent and parent elsewhere"])
    unknown = max(Family.objects.values_list("pk", flat=True)) + 1000
    family_ids = [*Family.objects.values_list("pk", flat=True), unknown]
    return accounts, family_ids, town


def rule(user, family_id):
    """The rule's answer, as the planning's fast path answers: (id, town, town's site)."""
    family = (
        Family.objects.for_account(user).select_related("municipality").filter(pk=family_id).first()
    )
    if family is None:
        return None
    return (family.pk, family.municipality_id, family.municipality.site_id)


def fast_path(user, family_id):
    found = planning.account_family(user, family_id)
    return None if found is None else (found.pk, found.municipality_id, found.site_id)


def disagreements(accounts, family_ids) -> list[str]:
    return [
        f"{name}, family {family_id}: rule {rule(user, family_id)}, "
        f"planning {fast_path(user, family_id)}"
        for name, user in accounts.items()
        for family_id in family_ids
        if rule(user, family_id) != fast_path(user, family_id)
    ]


def test_the_planning_fast_path_answers_as_family_for_account_on_every_shape(world):
    accounts, family_ids, _town = world

    assert disagreements(accounts, family_ids) == []
    # The comparison is not empty on both sides: the shapes do reach families.
    found = {
        name: sorted(pk for pk in family_ids if fast_path(user, pk))
        for name, user in accounts.items()
    }
    assert found["several families"] and found["two towns"] and found["inactive account"]
    assert found["anonymous"] == found["no subscription"] == []
    assert found["superuser without subscription"] == found["agent of the town"] == []


def test_a_rule_changed_alone_is_noticed(world, monkeypatch):
    """Had ``for_account`` started to refuse inactive accounts without the SQL following, the
    comparison would say so."""
    accounts, family_ids, _town = world
    original = FamilyQuerySet.for_account

    def active_only(self, user):
        families = original(self, user)
        return families if user.is_active else families.none()

    monkeypatch.setattr(FamilyQuerySet, "for_account", active_only)

    assert any(line.startswith("inactive account") for line in disagreements(accounts, family_ids))


def test_a_fast_path_changed_alone_is_noticed(world, monkeypatch):
    """Had the SQL started to accept any linked family, the comparison would say so."""
    accounts, family_ids, _town = world
    loose = planning.ACCOUNT_FAMILY_SQL.replace(
        "WHERE user_id = %s", "WHERE user_id = %s OR user_id IS NOT NULL"
    )
    assert loose != planning.ACCOUNT_FAMILY_SQL
    monkeypatch.setattr(planning, "ACCOUNT_FAMILY_SQL", loose)

    assert any(line.startswith("one family") for line in disagreements(accounts, family_ids))


def test_account_family_is_the_rule_for_one_family_and_a_towns_portal_shows_its_own(world):
    accounts, family_ids, town = world
    for user in accounts.values():
        for family_id in family_ids:
            family = Family.objects.account_family(user, family_id)
            assert (family.pk if family else None) == (rule(user, family_id) or [None])[0]
            on_portal = Family.objects.account_family(user, family_id, municipality=town)
            expected = family if family is not None and family.municipality == town else None
            assert on_portal == expected

    towns = accounts["two towns"]
    assert [f.name for f in Family.objects.for_account(towns).on_portal(town)] == ["Durand"]
    assert sorted(f.name for f in Family.objects.for_account(towns).on_portal(None)) == [
        "Durand",
        "Petit",
    ]


def test_an_accounts_subscriptions_are_the_links_for_account_follows(world):
    accounts, _family_ids, _town = world
    for user in accounts.values():
        linked = Subscription.objects.for_account(user).listed()
        assert [s.family for s in linked] == list(Family.objects.for_account(user))


def test_agent_scoping_follows_the_municipalities_of_the_agent(world):
    accounts, _family_ids, town = world
    for name, user in accounts.items():
        municipalities = set(Municipality.objects.for_agent(user))
        families = set(scoping.for_agent(Family.objects.all(), user))
        assert families == set(Family.objects.filter(municipality__in=municipalities)), name
        sites = set(scoping.sites_for_agent(user))
        if user.is_authenticated and user.is_active and user.is_superuser:
            assert sites == set(Site.objects.all()), name
        else:
            assert sites == {m.site for m in municipalities if m.site}, name
    assert set(Municipality.objects.for_agent(accounts["agent of the town"])) == {town}
    assert scoping.for_agent(Family.objects.all(), None).count() == 0
    with pytest.raises(TypeError):
        scoping.for_agent(Site.objects.all(), accounts["agent of the town"])


def test_the_site_settings_and_the_admin_share_the_neutral_rule():
    policy = FamilyPortalSettings.get_permission_policy()

    assert isinstance(policy, scoping.MunicipalitySitePermissionPolicy)
    assert admin_scoping.for_agent is scoping.for_agent
    assert admin_scoping.sites_for_agent is scoping.sites_for_agent
