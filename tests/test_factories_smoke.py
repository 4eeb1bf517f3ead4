from . import factories


def test_enrolment_factory_builds_a_consistent_family(db):
    enrolment = factories.EnrolmentFactory()
    enrolment.full_clean()
    assert enrolment.activity.establishment.municipality == enrolment.child.family.municipality
