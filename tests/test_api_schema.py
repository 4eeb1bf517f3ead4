"""What the API says about itself and answers on any address, whatever the host's settings.

The OpenAPI schema, ``manage.py spectacular --validate --fail-on-warn``, the Swagger UI page and
its assets (served by the package, no CDN), ``OPTIONS`` and the JSON 404 on every address, and
the error answers the schema documents.

Django REST framework and drf-spectacular read part of their settings when they are imported,
so overriding settings inside this process cannot show what another host gets: the last tests
run this whole file again in fresh processes, once under settings without ``REST_FRAMEWORK``
and ``SPECTACULAR_SETTINGS`` (``tests/settings_bare_host.py``) and once under settings that set
every DRF default differently (``tests/settings_hostile_host.py``).
"""

import io
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escapejs
from rest_framework.test import APIClient

from wagtail_family_portal.api import urls as api_urls
from wagtail_family_portal.models import Request

from . import factories

BASE = "/api/family-portal/v1/"
ROOT = Path(__file__).resolve().parent.parent
BAD_REQUEST_REF = {"$ref": "#/components/schemas/BadRequest"}
OTHER_HOSTS = ["tests.settings_bare_host", "tests.settings_hostile_host"]


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def client(parent):
    client = APIClient()
    client.force_authenticate(parent)
    return client


@pytest.fixture
def ids(family, parent):
    """An id of each kind the routes take, all of the account's family."""
    child = factories.ChildFactory(family=family)
    request = Request.objects.create(family=family, kind="file_change", created_by=parent)
    return {"family_id": family.pk, "child_id": child.pk, "id": request.pk, "year": 2025}


def route_path(pattern, ids) -> str:
    """A path the route ``pattern`` answers, with ``ids`` for its parameters."""
    if pattern.name == "unknown":
        return BASE + "no-such-thing/"
    if pattern.name == "docs-asset":
        kwargs = {"name": "swagger-ui.css"}
    else:
        kwargs = {key: ids[key] for key in pattern.pattern.converters}
    return reverse(f"wagtail_family_portal_api:{pattern.name}", kwargs=kwargs)


def schema_of(client) -> dict:
    response = client.get(BASE + "schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


# The schema


def test_schema_is_openapi_3(anonymous, db):
    schema = schema_of(anonymous)

    assert schema["openapi"].startswith("3.")
    assert schema["info"]["version"] == "1"
    assert set(schema["paths"]) == {
        BASE + "auth/token/",
        BASE + "auth/signup/",
        BASE + "auth/activate/",
        BASE + "auth/activate/resend/",
        BASE + "me/",
        BASE + "me/notifications/",
        BASE + "subscriptions/",
        BASE + "families/{family_id}/",
        BASE + "families/{family_id}/changes/",
        BASE + "families/{family_id}/children/{child_id}/photo/",
        BASE + "families/{family_id}/planning/",
        BASE + "families/{family_id}/requests/",
        BASE + "requests/{id}/",
        BASE + "requests/{id}/withdraw/",
        BASE + "families/{family_id}/invoices/",
        BASE + "invoices/{id}/",
        BASE + "invoices/{id}/pdf/",
        BASE + "families/{family_id}/attestations/{year}/pdf/",
        BASE + "invoices/pay/",
    }
    token_op = schema["paths"][BASE + "auth/token/"]["post"]
    assert token_op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TokenRequest"
    }
    assert {"200", "400", "429"} <= set(token_op["responses"])
    signup_op = schema["paths"][BASE + "auth/signup/"]["post"]
    assert {"202", "400", "429"} <= set(signup_op["responses"])


def test_choice_sets_sharing_a_field_name_have_their_own_names(anonymous, db):
    """``state``, ``kind`` and ``operation`` each name several choice sets: the package names
    them itself, so that no host setting (ENUM_NAME_OVERRIDES) is needed."""
    components = schema_of(anonymous)["components"]["schemas"]

    assert components["RequestStateEnum"]["enum"][0] == "pending"
    assert "booking_requested" in components["DayStateEnum"]["enum"]
    assert components["LineStateEnum"]["enum"] == [
        "pending",
        "accepted",
        "refused",
        "waiting_list",
        "withdrawn",
    ]
    assert components["RequestKindEnum"]["enum"] == ["file_change", "booking", "absence"]
    assert components["DayOperationEnum"]["enum"] == ["booking", "absence"]
    assert components["FileChangeOperationEnum"]["enum"] == ["update", "add", "remove"]
    # drf-spectacular's names for an unresolved collision carry a hash: "State3adEnum".
    assert not [name for name in components if name.startswith(("State", "Kind", "Operation"))]


def test_the_package_urls_validate_without_warnings(db, tmp_path):
    """What docs/api.md tells a host to run in its CI, with none of the package's settings."""
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--urlconf",
        "wagtail_family_portal.urls",
        "--file",
        str(tmp_path / "schema.yaml"),
        stderr=io.StringIO(),
    )


def test_the_whole_site_validates_with_the_package_settings(db, tmp_path):
    """The site's own URLs (Wagtail's admin API included), kept to this package's endpoints by
    the package's settings."""
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--custom-settings",
        "wagtail_family_portal.api.schema.SCHEMA_SETTINGS",
        "--file",
        str(tmp_path / "schema.yaml"),
        stderr=io.StringIO(),
    )
    assert "families/{family_id}/planning/" in (tmp_path / "schema.yaml").read_text()


# Swagger UI, offline


class AssetLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.links.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.links.append(attrs["href"])


def test_the_docs_page_loads_only_local_assets_and_they_are_served(anonymous, db):
    response = anonymous.get(BASE + "docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    parser = AssetLinks()
    parser.feed(page)
    assert len(parser.links) == 5  # icon, CSS, two scripts of Swagger UI, the page's script
    assert "cdn" not in page.lower()
    for link in parser.links:
        assert link.startswith(BASE) and not link.startswith("//"), link
        asset = anonymous.get(link)
        assert asset.status_code == 200, link
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert len(body) > 100, link
    script = anonymous.get(BASE + "docs/", {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert escapejs(BASE + "schema/") in script.content.decode()


@pytest.mark.parametrize(
    "name,content_type",
    [
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-ui-standalone-preset.js", "javascript"),
        ("swagger-ui.css", "text/css"),
        ("favicon-32x32.png", "image/png"),
    ],
)
def test_swagger_ui_assets_are_cached_by_browsers(anonymous, db, name, content_type):
    response = anonymous.get(BASE + "docs/assets/" + name)

    assert response.status_code == 200
    assert content_type in response["Content-Type"]
    assert "max-age=" in response["Cache-Control"]


def test_nothing_else_of_swagger_ui_is_served(anonymous, db):
    for name in ("LICENSE", "oauth2-redirect.html", "../__init__.py", "swagger-ui.css.map"):
        response = anonymous.get(BASE + "docs/assets/" + name)
        assert response.status_code == 404, name
        assert response["Content-Type"] == "application/json"


# OPTIONS and 404, on every address


def test_every_route_answers_options(client, ids):
    patterns = [pattern for pattern in api_urls.urlpatterns if pattern.name != "unknown"]
    assert len(patterns) == len(api_urls.urlpatterns) - 1 > 15

    for pattern in patterns:
        path = route_path(pattern, ids)
        response = client.options(path)
        assert response.status_code == 200, (path, response.content[:200])
        assert "OPTIONS" in response["Allow"], path
        if response.content:
            assert response["Content-Type"] == "application/json", path
            assert set(response.json()) >= {"name", "renders", "parses"}, path


def test_options_without_credentials_is_never_a_500(anonymous, ids):
    for pattern in api_urls.urlpatterns:
        path = route_path(pattern, ids)
        response = anonymous.options(path)
        assert response.status_code in (200, 401, 404), (path, response.status_code)


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize(
    "path",
    [
        "no-such-thing/",
        "families/abc/",
        "families/1/abc/",
        "requests/-1/",
        "families/12345678901234567890123/planning/",
        "me",
    ],
)
def test_unknown_addresses_are_a_json_404(client, db, method, path):
    response = getattr(client, method)(BASE + path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}
    assert "API" in response.json()["detail"]


def test_an_unknown_address_is_a_404_for_anonymous_clients_too(anonymous, db):
    response = anonymous.post(BASE + "families/abc/changes/", {}, format="json")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "Il n'y a rien à cette adresse de l'API du portail famille."
    }


def test_a_missing_final_slash_is_said(client, db):
    response = client.get(BASE + "me")

    assert response.status_code == 404
    assert "barre oblique" in response.json()["detail"]


def test_unknown_ids_are_a_translated_404_that_names_no_model(client, ids):
    unknown = {key: 999_999 for key in ids}
    with_ids = [
        pattern for pattern in api_urls.urlpatterns if getattr(pattern.pattern, "converters", None)
    ]
    assert len(with_ids) >= 7

    for pattern in with_ids:
        path = route_path(pattern, unknown)
        method = "post" if pattern.name.endswith(("changes", "withdraw", "photo")) else "get"
        response = getattr(client, method)(path, {}, format="json")
        assert response.status_code == 404, path
        detail = response.json()["detail"]
        assert detail == "Inconnu, ou non visible pour ce compte.", (path, detail)
        assert "matches the given query" not in detail


# The errors the schema documents, and that the API answers


IDS_IN_BODY = {BASE + "invoices/pay/"}


def test_every_operation_documents_the_errors_it_can_answer(anonymous, db):
    schema = schema_of(anonymous)

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            where = (method, path)
            assert {"400", "429"} <= codes, where
            bad_request = operation["responses"]["400"]["content"]["application/json"]["schema"]
            assert BAD_REQUEST_REF in (bad_request, *bad_request.get("anyOf", [])), where
            assert ("415" in codes) == (method != "get"), where
            if not path.startswith(BASE + "auth/"):
                assert "401" in codes, where
                assert ("403" in codes) == (method != "get"), where
            # An id in the path, or in the body (invoices/pay/: another family's invoice).
            assert ("404" in codes) == ("{" in path or path in IDS_IN_BODY), where
    bad_request = schema["components"]["schemas"]["BadRequest"]
    assert bad_request["properties"] == {"detail": {"type": "string"}}
    assert bad_request["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_the_error_answers_are_those_the_schema_documents(parent, family, settings):
    schema = schema_of(APIClient())
    token = APIClient()
    token.force_authenticate(parent)
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(parent)
    waiting = Request.objects.create(family=family, kind="file_change", created_by=parent)
    changes = f"{BASE}families/{family.pk}/changes/"
    withdraw = f"{BASE}requests/{waiting.pk}/withdraw/"
    activate = BASE + "auth/activate/"
    anonymous = APIClient()
    assert token.post(withdraw, {}, format="json").status_code == 200

    answers = [
        (
            "families/{family_id}/changes/",
            "post",
            token.post(changes, {"target_type": "x"}, format="json"),
        ),
        ("families/{family_id}/changes/", "post", token.post(changes, {"target_type": "x"})),
        (
            "families/{family_id}/changes/",
            "post",
            token.post(changes, data=b"{not json", content_type="application/json"),
        ),
        (
            "families/{family_id}/changes/",
            "post",
            token.post(changes, {"fields": {"profession": "a\x00"}}, format="json"),
        ),
        ("auth/activate/", "post", anonymous.post(activate, {"token": "x"}, format="json")),
        ("auth/activate/", "post", anonymous.post(activate, {}, format="json")),
        ("me/", "get", anonymous.get(BASE + "me/")),
        (
            "subscriptions/",
            "post",
            session.post(BASE + "subscriptions/", {"subscriber_code": "x"}, format="json"),
        ),
        ("families/{family_id}/", "get", token.get(f"{BASE}families/999999/")),
        ("requests/{id}/withdraw/", "post", token.post(withdraw, {}, format="json")),
    ]
    settings.WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"user": "1/minute"}
    token.get(BASE + "me/")
    answers.append(("me/", "get", token.get(BASE + "me/")))

    seen = set()
    for path, method, response in answers:
        responses = schema["paths"][BASE + path][method]["responses"]
        code = str(response.status_code)
        assert code in responses, (path, method, code)
        documented = responses[code]["content"]["application/json"]["schema"]
        jsonschema.Draft7Validator({**documented, "components": schema["components"]}).validate(
            response.json()
        )
        seen.add(code)
    assert seen == {"400", "401", "403", "404", "409", "415", "429"}


# The same in other hosts, each in a process of its own


@pytest.mark.slow
@pytest.mark.parametrize(
    "settings_module", ["tests.settings_bare_host", "tests.settings_hostile_host"]
)
def test_this_file_passes_in_other_hosts(settings_module):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            __file__,
            f"--ds={settings_module}",
            "-m",
            "not slow",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
