# The two commands of the README: `make demo` and `make test`. Only Python 3.11+ and make needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) example_site/manage.py
STAMP := $(VENV)/.installed
# A second virtualenv with Wagtail 7.4 LTS, the oldest Wagtail the package supports.
VENV74 := .venv74
STAMP74 := $(VENV74)/.installed
# Where `make demo` serves the example site: `make demo PORT=8001` for another port.
HOST := 127.0.0.1
PORT ?= 8000
# The demo runs in development mode (DEBUG on, which the demo loader requires); the admin's
# links follow the port.
DEMO_ENV := DJANGO_DEBUG=1 WAGTAILADMIN_BASE_URL=http://$(HOST):$(PORT)

.PHONY: demo test test-wagtail74 install lint format messages clean

$(STAMP): setup.cfg pyproject.toml example_site/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -r example_site/requirements.txt
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(DEMO_ENV) $(MANAGE) migrate --noinput
	$(DEMO_ENV) $(MANAGE) load_family_portal_demo --hostname $(HOST) --port $(PORT)
	$(DEMO_ENV) $(MANAGE) sync_family_portal_schedules
	@echo "Starting the django-q2 cluster and the development server on http://$(HOST):$(PORT)/ (Ctrl-C stops both)"
	@echo "E-mails (activation, password reset, receipts, decision digests) are sent by the django-q2"
	@echo "cluster and printed below, in this terminal."
	@trap 'kill 0' INT TERM EXIT; \
	$(DEMO_ENV) $(MANAGE) qcluster & \
	$(DEMO_ENV) $(MANAGE) runserver $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m pytest

$(STAMP74): setup.cfg pyproject.toml example_site/requirements.txt example_site/requirements-wagtail74.txt
	test -x $(VENV74)/bin/python || $(PYTHON) -m venv $(VENV74)
	$(VENV74)/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	$(VENV74)/bin/python -m pip install --quiet -r example_site/requirements.txt
	$(VENV74)/bin/python -m pip install --quiet -r example_site/requirements-wagtail74.txt
	touch $(STAMP74)

# The suite on Wagtail 7.4 LTS, SQLite, without the browser tests (the main suite runs them).
test-wagtail74: $(STAMP74)
	$(VENV74)/bin/python -c 'import wagtail; assert wagtail.__version__.startswith("7.4."), wagtail.__version__'
	$(VENV74)/bin/python -m pytest -m "not browser"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: $(STAMP)
	cd wagtail_family_portal && ../$(PY) ../example_site/manage.py makemessages -l fr --no-obsolete
	cd wagtail_family_portal && ../$(PY) ../example_site/manage.py compilemessages -l fr

clean:
	rm -rf $(VENV) $(VENV74) build dist *.egg-info example_site/db.sqlite3
