# Two entry points: `make run` (demo node on http://127.0.0.1:8000) and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup assets browser fedify-peer oidc-provider lint clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

setup: $(STAMP) node_modules/.installed

assets: node_modules/.installed

# The Fedify peer of tests/test_fedify.py: Fedify and Node 22 (the npm package `node`) from the npm
# registry, in their own folder so the served assets stay small. Without npm the test is skipped.
PEER := tests/fedify_peer
$(PEER)/node_modules/.installed: $(PEER)/package.json
	@if command -v npm >/dev/null 2>&1 && npm install --prefix $(PEER) --no-audit --no-fund --loglevel=error; \
	then touch $@; else echo "note: could not install the Fedify peer; tests/test_fedify.py will be skipped"; fi

fedify-peer: $(PEER)/node_modules/.installed

# The OpenID provider of tests/test_oidc.py: panva's oidc-provider on Node 22 (npm package `node`),
# in its own folder like the Fedify peer. Without npm those tests are skipped and say why.
OP := tests/oidc_provider
$(OP)/node_modules/.installed: $(OP)/package.json
	@if command -v npm >/dev/null 2>&1 && npm install --prefix $(OP) --no-audit --no-fund --loglevel=error; \
	then touch $@; else echo "note: could not install oidc-provider; tests/test_oidc.py will be skipped"; fi

oidc-provider: $(OP)/node_modules/.installed

# Debian's Chromium for the browser test; skipped (the test then says why) where apt cannot run.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "note: could not install chromium; the browser test will be skipped"; \
	  else echo "note: chromium missing and apt-get unavailable; the browser test will be skipped"; fi; }

run: setup
	$(VENV)/bin/meent demo --data-dir demo-data --port 8000

lint: $(STAMP)
	$(VENV)/bin/ruff check node federation storage tests bench
	$(VENV)/bin/mypy

test: setup browser fedify-peer oidc-provider lint
	$(PY) -m pytest

clean:
	rm -rf $(VENV) node_modules $(PEER)/node_modules $(OP)/node_modules demo-data
