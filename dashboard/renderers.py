"""CSV for every stats table, so a spreadsheet or a province's own screen can take the figures."""

from __future__ import annotations

import csv
import io
from typing import Any

from rest_framework.renderers import BaseRenderer


class CsvRenderer(BaseRenderer):
    """The response's ``rows`` as CSV (UTF-8 with a byte-order mark, which Excel needs for Chinese).

    Columns are the view's ``csv_columns`` (so an empty table still has its header line). Errors
    never come here: the stats views answer them as JSON.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        context = renderer_context or {}
        view, response = context.get("view"), context.get("response")
        rows, columns = data["rows"], list(getattr(view, "csv_columns", ()))
        if response is not None:
            response["Content-Disposition"] = f'attachment; filename="{getattr(view, "csv_name", "stats")}.csv"'
        if not columns and rows:
            columns = list(rows[0].keys())
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
