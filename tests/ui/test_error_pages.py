"""Error pages speak the clerk's language and say what to do next."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from tests.factories import make_draft

pytestmark = pytest.mark.django_db


def test_a_clerk_sending_gets_a_chinese_403_that_names_the_supervisor(client, clerk):
    draft = make_draft("CR2026112299")
    client.force_login(clerk)
    response = client.post("/admin/settlements/settlementdraft/",
                           {"action": "submit", "_selected_action": [draft.pk], "index": "0"})
    assert response.status_code == 403
    assert "没有权限" in response.text and "财务主管" in response.text


def test_the_403_in_english(client, clerk):
    draft = make_draft("CR2026112298")
    client.force_login(clerk)
    response = client.post("/admin/settlements/settlementdraft/",
                           {"action": "submit", "_selected_action": [draft.pk], "index": "0"},
                           headers={"accept-language": "en"})
    assert response.status_code == 403
    assert "Permission denied" in response.text and "supervisor" in response.text


def test_404_says_where_to_go(admin_client_zh):
    response = admin_client_zh.get("/no-such-page/")
    assert response.status_code == 404
    assert "找不到页面" in response.text


def test_500_page_renders_without_context():
    with translation.override("en"):
        html = render_to_string("500.html")
    assert "Server error" in html
