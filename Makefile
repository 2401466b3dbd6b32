# Six Ways: `make run` installs everything and starts the service; `make test` runs every test.
# The Python version comes from .python-version; uv installs the locked packages into .venv.

PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv/bin
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never

.PHONY: run install test test-fast coverage lint format debian-deps worker clean bench bench-workshops bench-returns bench-rollup bench-api

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# Everything the service and its tests need: the locked Python and npm packages, and Debian's
# packages (below). Testing itself installs nothing.
install: $(UV) debian-deps
	$(UV) sync --frozen --quiet
	npm ci --no-audit --no-fund --loglevel=error

run: install
	DEBUG=1 $(VENV)/python manage.py migrate --noinput -v0
	DEBUG=1 $(VENV)/python manage.py load_instruments
	DEBUG=1 SITE_URL=http://127.0.0.1:$(PORT) $(VENV)/python manage.py demo
	@# The background worker sends emails (sign-in codes, invitations, reminders) and builds
	@# downloads; it runs beside the server and stops with it on Ctrl-C.
	DEBUG=1 SITE_URL=http://127.0.0.1:$(PORT) sh -c '$(VENV)/python manage.py db_worker & \
	  trap "kill $$! 2>/dev/null" EXIT INT TERM; \
	  $(VENV)/python manage.py runserver 127.0.0.1:$(PORT)'

# Debian's Chromium drives the browser tests; Playwright never downloads a browser of its own.
# The Noto fonts draw what people type in the PDFs (comments, names, titles) in any script, and
# emoji in colour: WeasyPrint finds them through fontconfig, and without them prints empty boxes.
# Each is installed only when dpkg-query says it is not (dpkg -s also succeeds for a package that
# was removed but left its settings behind).
DEBIAN_PACKAGES := chromium fonts-noto-core fonts-noto-color-emoji fonts-noto-cjk
debian-deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

test: install
	$(VENV)/pytest -n auto --dist worksteal $(PYTEST_ARGS)

test-fast: install
	$(VENV)/pytest -n auto --dist worksteal -m "not browser" $(PYTEST_ARGS)

# Which lines the tests (browser ones included) run: a summary here, the detail in htmlcov/.
coverage: install
	$(VENV)/pytest -n auto --dist worksteal --cov=sixways --cov-report=term:skip-covered \
	  --cov-report=html $(PYTEST_ARGS)

lint: install
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/djlint sixways/templates --lint
	DEBUG=1 $(VENV)/python manage.py makemigrations --check --dry-run

format: install
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

# The benchmark (docs/performance.md): several minutes. Installs wrk, which gives steadier
# figures than the Python load generator. Pass options with BENCH_ARGS, e.g.
# make bench BENCH_ARGS="--quick --databases sqlite".
bench: install
	@command -v wrk >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }
	$(VENV)/python bench/run.py $(BENCH_ARGS)

# Workshops: 100 rooms of 30 phones polling, 40 phones voting at once, memory over 10 minutes
# (docs/performance.md). About 25 minutes; BENCH_ARGS="--minutes 1 --databases sqlite" is quick.
bench-workshops: install
	@command -v wrk >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk; }
	$(VENV)/python bench/workshops.py $(BENCH_ARGS)

# Checking and importing files of 5,000 and 50,000 paper returns (docs/performance.md).
bench-returns: install
	$(VENV)/python bench/returns.py $(BENCH_ARGS)

# A system's places side by side: 10 places over 10 rounds (docs/performance.md).
bench-rollup: install
	$(VENV)/python bench/rollup.py $(BENCH_ARGS)

# The API's question-results table on a round of 100,000 responses, and an unchanged refresh
# (docs/performance.md). A few minutes, most of them making the responses.
bench-api: install
	$(VENV)/python bench/api.py $(BENCH_ARGS)

worker: install
	DEBUG=1 $(VENV)/python manage.py db_worker

clean:
	rm -rf .venv .tools node_modules staticfiles db.sqlite3* htmlcov .coverage
