"""Production settings: what a hospital's security review checks first."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-key-long-and-random-enough-for-the-deploy-check-0123",
    "ALLOWED_HOSTS": "tracker.example.org",
}


def manage(*args, **env):
    dropped = {"DEBUG", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_with_production_settings_prints_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = manage("check", DEBUG="false", ALLOWED_HOSTS="tracker.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.django_db
def test_https_only_and_remembered_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    plain = client.get(reverse("login"))
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    secure = client.get(reverse("login"), secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
def test_the_csrf_cookie_is_not_readable_by_scripts(client):
    response = client.get(reverse("login"))
    assert response.cookies["csrftoken"]["httponly"] is True


def test_connections_are_kept_open_between_requests_and_checked_before_reuse(settings):
    database = settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] == 600
    assert database["CONN_HEALTH_CHECKS"] is True


def test_a_negative_connection_age_refuses_to_start():
    result = manage("check", DEBUG="true", CONN_MAX_AGE="-5")
    assert result.returncode != 0
    assert "CONN_MAX_AGE=-5 is negative" in result.stderr


def caches_with(**env) -> str:
    script = (
        "from django.conf import settings; "
        "print({k: v['BACKEND'] for k, v in settings.CACHES.items()})"
    )
    result = manage("shell", "-c", script, DEBUG="true", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_page_parts_are_kept_in_each_workers_memory_and_reset_limits_in_the_database():
    backends = caches_with()
    assert "'default': 'django.core.cache.backends.db.DatabaseCache'" in backends
    assert "'pages': 'django.core.cache.backends.locmem.LocMemCache'" in backends
    assert "'fragments': 'django.core.cache.backends.locmem.LocMemCache'" in backends


def test_several_app_servers_share_a_redis_cache():
    backends = caches_with(CACHE_URL="redis://cache.internal:6379/0")
    assert "'default': 'django.core.cache.backends.redis.RedisCache'" in backends
    assert "'pages': 'django.core.cache.backends.redis.RedisCache'" in backends
    assert "'fragments': 'django.core.cache.backends.redis.RedisCache'" in backends


def test_a_cache_address_that_is_not_redis_refuses_to_start():
    result = manage("check", DEBUG="true", CACHE_URL="memcached://cache:11211")
    assert result.returncode != 0
    assert "is not a Redis address" in result.stderr


def test_no_page_parts_kept_when_asked():
    backends = caches_with(FRAGMENT_CACHE_ENTRIES="0")
    assert "'pages': 'django.core.cache.backends.dummy.DummyCache'" in backends
    assert "'fragments': 'django.core.cache.backends.dummy.DummyCache'" in backends


def test_a_worker_keeps_a_bounded_number_of_pages():
    script = (
        "from django.conf import settings; "
        "print(settings.CACHES['pages']['OPTIONS'], settings.CACHES['fragments']['OPTIONS'])"
    )
    result = manage("shell", "-c", script, DEBUG="true", PAGE_CACHE_ENTRIES="50")
    assert result.returncode == 0, result.stderr
    assert "{'MAX_ENTRIES': 50} {'MAX_ENTRIES': 5000}" in result.stdout


@pytest.mark.parametrize("system", ["hospital MRNs", "mrn", "www.example.org/mrn"])
def test_a_fhir_mrn_system_that_is_not_an_absolute_uri_refuses_to_start(system):
    result = manage("check", DEBUG="true", FHIR_MRN_SYSTEM=system)
    assert result.returncode != 0
    assert "FHIR_MRN_SYSTEM is an absolute URI" in result.stderr


def test_a_fhir_mrn_system_as_an_oid_is_accepted():
    result = manage("check", DEBUG="true", FHIR_MRN_SYSTEM="urn:oid:2.16.840.1.113883.2.1.4.1")
    assert result.returncode == 0, result.stderr
