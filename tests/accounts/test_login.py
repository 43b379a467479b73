"""Login: Argon2 hashes, lockout after repeated failures, secure cookies."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from tests.conftest import make_user
from wuyi.accounts.models import Role

PASSWORD = "correct horse battery 9"


def test_passwords_are_hashed_with_argon2(city):
    user = make_user("gw", Role.GRID_WORKER, grid=city.grid_a)
    assert user.password.startswith("argon2$")


def test_a_grid_worker_logs_in_and_lands_on_their_home_page(city, client):
    make_user("gw", Role.GRID_WORKER, grid=city.grid_a)
    response = client.post(reverse("login"), {"username": "gw", "password": PASSWORD}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "网格员" in page
    assert "第一网格" in page


def test_a_wrong_password_is_refused_with_a_chinese_message(city, client):
    make_user("gw", Role.GRID_WORKER, grid=city.grid_a)
    response = client.post(reverse("login"), {"username": "gw", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_even_for_the_right_password(city, client):
    make_user("gw", Role.GRID_WORKER, grid=city.grid_a)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "gw", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "gw", "password": PASSWORD})
    assert response.status_code == 429
    assert "暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_user_so_others_can_still_log_in(city, client):
    make_user("gw", Role.GRID_WORKER, grid=city.grid_a)
    make_user("other", Role.GRID_WORKER, grid=city.grid_b)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "gw", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "other", "password": PASSWORD})
    assert response.status_code == 302


def test_pages_need_a_login(city, client):
    response = client.get(reverse("territory:my_grids"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, city):
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    make_user("gw", Role.GRID_WORKER, grid=city.grid_a)
    response = client.post(reverse("login"), {"username": "gw", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_logging_in_needs_the_csrf_token(city):
    from django.test import Client

    make_user("gw", Role.GRID_WORKER, grid=city.grid_a)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "gw", "password": PASSWORD})
    assert response.status_code == 403
