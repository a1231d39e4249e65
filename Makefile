.PHONY: demo test lint typecheck lock bench-status

demo:  ## set up and run the service with demo data (SQLite, ORM broker, console SMS)
	scripts/demo.sh

test:  ## set up and run lint + the whole suite on SQLite and PostgreSQL
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

typecheck:  ## mypy with the django and DRF plugins (strict on services and selectors)
	.venv/bin/mypy

lock:  ## regenerate requirements*.lock from the pins in requirements*.txt
	scripts/lock.sh

bench-status:  ## status endpoint vs a trivial endpoint under gunicorn on PostgreSQL
	.venv/bin/python bench/status_api/run.py
