"""Step (3) of the comparison round: every person's survival grade, in one set-based statement.

Strong / medium / low as in Zhejiang's model (full, partial or no overlap of traces); the weights,
decay and thresholds are settings (docs/silent.md). Only new or changed grades are written.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection, transaction

_GRADES_SQL = """
INSERT INTO silent_survivalgrade
    (pensioner_id, grade, score, weak_sources, strong_seen_on, weak_seen_on, death_signal, graded_on)
SELECT n.pensioner_id, n.grade, n.score, n.weak_sources, n.strong_seen_on, n.weak_seen_on, n.death_signal, n.graded_on
FROM (
SELECT p.id AS pensioner_id,
       CASE WHEN d.pensioner_id IS NOT NULL THEN 'low'
            WHEN pp.strong_seen IS NOT NULL
              OR (COALESCE(pp.score, 0) >= %(certify)s AND COALESCE(pp.weak_sources, 0) >= %(min_sources)s)
              THEN 'strong'
            WHEN COALESCE(pp.score, 0) >= %(medium)s THEN 'medium'
            ELSE 'low' END AS grade,
       ROUND(COALESCE(pp.score, 0), 3) AS score,
       COALESCE(pp.weak_sources, 0) AS weak_sources,
       pp.strong_seen AS strong_seen_on, pp.weak_seen AS weak_seen_on,
       d.pensioner_id IS NOT NULL AS death_signal,
       %(today)s AS graded_on
FROM accounts_pensioner p
LEFT JOIN (
    SELECT pensioner_id,
           MAX(CASE WHEN kind = 'strong' THEN newest END) AS strong_seen,
           MAX(CASE WHEN kind = 'weak' THEN newest END) AS weak_seen,
           SUM(CASE WHEN kind = 'weak'
                    THEN weight * (1.0 - ({age}) * 1.0 / validity_days)
                         * (1.0 + %(bonus)s * (CASE WHEN n - 1 > %(cap)s THEN %(cap)s ELSE n - 1 END))
                    ELSE 0 END) AS score,
           SUM(CASE WHEN kind = 'weak' THEN 1 ELSE 0 END) AS weak_sources
    FROM (
        SELECT e.pensioner_id, s.kind, s.weight, s.validity_days, MAX(e.event_date) AS newest, COUNT(*) AS n
        FROM silent_evidenceevent e
        JOIN silent_datasource s ON s.id = e.source_id
        WHERE s.active AND s.kind IN ('strong', 'weak')
          AND e.event_date <= %(today)s AND e.event_date >= {cutoff}
        GROUP BY e.pensioner_id, s.id, s.kind, s.weight, s.validity_days
    ) per_source
    GROUP BY pensioner_id
) pp ON pp.pensioner_id = p.id
LEFT JOIN (
    SELECT DISTINCT e.pensioner_id
    FROM silent_evidenceevent e
    JOIN silent_datasource s ON s.id = e.source_id
    WHERE s.active AND s.kind = 'death'
      AND NOT EXISTS (
          SELECT 1 FROM silent_decision x JOIN casework_case c ON c.id = x.case_id
          WHERE x.trigger_id = e.id AND c.status = 'rejected')
    UNION
    SELECT id FROM accounts_pensioner WHERE suspension_reason = 'death_report'
) d ON d.pensioner_id = p.id
WHERE p.benefit_status <> 'terminated'
) n
LEFT JOIN silent_survivalgrade g ON g.pensioner_id = n.pensioner_id
WHERE g.pensioner_id IS NULL OR {new_changed}
ON CONFLICT (pensioner_id) DO UPDATE SET
    grade = excluded.grade, score = excluded.score, weak_sources = excluded.weak_sources,
    strong_seen_on = excluded.strong_seen_on, weak_seen_on = excluded.weak_seen_on,
    death_signal = excluded.death_signal, graded_on = excluded.graded_on
WHERE {changed}
"""

_VENDOR = {
    "postgresql": {
        "age": "%(today)s::date - newest",
        "cutoff": "%(today)s::date - s.validity_days",
        "distinct": "IS DISTINCT FROM",
    },
    "sqlite": {
        "age": "CAST(julianday(%(today)s) - julianday(newest) AS INTEGER)",
        "cutoff": "date(%(today)s, '-' || s.validity_days || ' days')",
        "distinct": "IS NOT",
    },
}

_GRADE_COLUMNS = ("grade", "score", "weak_sources", "strong_seen_on", "weak_seen_on", "death_signal")


def grades_refresh(*, today: datetime.date) -> int:
    """Grade every person whose benefit has not ended; returns how many grades were written
    (new or changed). Weak score = Σ over distinct weak sources of weight × (1 − age/validity) ×
    (1 + bonus × min(extra events, cap)), with each source's newest event inside its validity."""
    vendor = _VENDOR["postgresql" if connection.vendor == "postgresql" else "sqlite"]
    changed = " OR ".join(f"silent_survivalgrade.{col} {vendor['distinct']} excluded.{col}" for col in _GRADE_COLUMNS)
    # Unchanged grades are filtered out before the insert (a join with the current grades), not by
    # the conflict clause: ``ON CONFLICT DO UPDATE … WHERE false`` still looks up and locks every
    # existing row, i.e. writes to every page of the table each round.
    new_changed = "(" + " OR ".join(f"g.{col} {vendor['distinct']} n.{col}" for col in _GRADE_COLUMNS) + ")"
    sql = _GRADES_SQL.format(age=vendor["age"], cutoff=vendor["cutoff"], changed=changed, new_changed=new_changed)
    params = {
        "today": today,
        "certify": settings.SILENT_WEAK_CERTIFY_SCORE,
        "min_sources": settings.SILENT_WEAK_MIN_SOURCES,
        "medium": settings.SILENT_GRADE_MEDIUM_SCORE,
        "bonus": settings.SILENT_WEAK_REPEAT_BONUS,
        "cap": settings.SILENT_WEAK_REPEAT_CAP,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The two aggregates over every event of the last year hold ~10^6 groups each: in memory
            # rather than spilled to disk in batches (this transaction only).
            cursor.execute("SET LOCAL work_mem = %s", [settings.SILENT_GRADE_WORK_MEM])
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)
