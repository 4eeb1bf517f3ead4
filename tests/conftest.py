import pytest

from . import factories


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
