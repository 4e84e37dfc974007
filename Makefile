# Two commands that work on a fresh machine: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000
# A local run is a development run: DEBUG on (and so a development SECRET_KEY).
export DEBUG ?= true

.PHONY: install run serve test test-postgres lint format migrate demo clean

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev,postgres]"
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

demo: migrate
	$(PY) manage.py load_protocols
	$(PY) manage.py demo

# The web server and, beside it, the jobs worker (reminders and e-mail; to the console here).
# Both stop together.
run: demo
	@echo "Serving on http://$(HOST)/ with the jobs worker (log in with a demo login above)"
	$(PY) manage.py run_huey & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST)

# Production settings (DEBUG off, gunicorn, WhiteNoise) on the embedded database, to try
# production locally over plain HTTP: only the HTTPS-only settings are turned off.
.serve-secret-key:
	$(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

LOCAL_PRODUCTION = DEBUG=false SECRET_KEY="$$(cat .serve-secret-key)" \
	ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false \
	CSRF_COOKIE_SECURE=false SECURE_HSTS_SECONDS=0 BEHIND_TLS_PROXY=false \
	EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend SITE_URL=http://$(HOST)

serve: demo .serve-secret-key
	$(LOCAL_PRODUCTION) $(PY) manage.py collectstatic --noinput -v0 --clear
	@echo "Serving production settings on http://$(HOST)/ with the jobs worker"
	$(LOCAL_PRODUCTION) $(PY) manage.py run_huey & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(LOCAL_PRODUCTION) $(VENV)/bin/gunicorn tracker.wsgi --bind $(HOST) --workers 2 \
	  --access-logfile -

test: install
	$(VENV)/bin/pytest

# The whole suite but the browser tests, on a private PostgreSQL 15 cluster (.ci/postgres).
test-postgres: install
	.ci/postgres $(VENV)/bin/pytest --ignore=tests/e2e

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* jobs.sqlite3 jobs.sqlite3-* .pytest_cache .ruff_cache .mypy_cache .hypothesis staticfiles .serve-secret-key
