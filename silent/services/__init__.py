"""Silent certification writes: ``ingest`` (agency records in), ``rounds`` (the daily comparison),
``agencies`` (API batch authentication)."""
