"""PostgreSQL: the role the application runs as, which cannot rewrite the audit log.

Two roles: the *owner* (owns the schema, runs ``migrate``) and the *app* role (``DATABASE_URL`` of
the web and worker processes). The app role reads and writes ordinary tables but on the audit
table may only SELECT and INSERT: no UPDATE or DELETE (the trigger refuses them for everybody
anyway), no TRUNCATE (a privilege it is not granted) and no ALTER/DISABLE TRIGGER (only the owner
may alter a table). Run this as the owner after each ``migrate`` (new tables need their grants).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

AUDIT_TABLE = "accounts_auditevent"


def app_role_sql(role: str, *, password: str | None = None, create: bool = True) -> list[str]:
    """The statements, in order. ``role`` must be a plain identifier (checked by the caller)."""
    quoted = connection.ops.quote_name(role)
    database = connection.ops.quote_name(connection.settings_dict["NAME"])
    statements = []
    if create:
        login = f" LOGIN PASSWORD {_literal(password)}" if password else " LOGIN"
        statements.append(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_literal(role)}) THEN "
            f"CREATE ROLE {quoted}{login} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS; END IF; END $$"
        )
    statements += [
        f"GRANT CONNECT ON DATABASE {database} TO {quoted}",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"REVOKE CREATE ON SCHEMA public FROM {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {AUDIT_TABLE} FROM {quoted}",
        f"GRANT SELECT, INSERT ON {AUDIT_TABLE} TO {quoted}",
    ]
    return statements


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Command(BaseCommand):
    help = "Print (or with --execute run) the SQL that creates the application role and its grants (PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the application role, e.g. pension_app")
        parser.add_argument("--password", help="login password for a new role (or set it yourself)")
        parser.add_argument("--execute", action="store_true", help="run the statements as the current (owner) role")

    def handle(self, *args: Any, role: str, password: str | None, execute: bool, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Roles are a PostgreSQL matter; SQLite has none (see docs/security.md).")
        if not role.replace("_", "").isalnum() or role[0].isdigit():
            raise CommandError("The role name must be letters, digits and underscores.")
        statements = app_role_sql(role, password=password)
        if not execute:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(f"Role {role} has its grants; the audit table is SELECT and INSERT only.")
