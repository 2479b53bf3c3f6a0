"""Backup, restore and verification, for SQLite and PostgreSQL.

A backup is a directory ``alliance-backup-<UTC time>/`` holding the dump and
``manifest.json``:

- SQLite: ``database.sqlite3``, a copy made with SQLite's online backup API (consistent
  while the application runs);
- PostgreSQL: ``database.pgdump``, ``pg_dump --format=custom`` by the ``pg_dump`` of the
  server's major version, taken in the same snapshot as the manifest's counts
  (``pg_export_snapshot``);
- the manifest: row counts per table, the audit chain's head, the applied migrations, the
  encrypted fields and the school keys' ids, the fingerprint of the master key that wraps
  them, creation time, application version, size and SHA-256 of the dump.

The master key is never in a backup: the operator keeps it separately, and a restore needs
it to read the encrypted fields (docs/operations.md). See
docs/decisions/0016-encryption-and-backups.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import load_backend

from alliance.audit.chain import first_break
from alliance.audit.models import AuditEvent
from alliance.core import clock
from alliance.vault import crypto, keyring
from alliance.vault.fields import encrypted_fields
from alliance.vault.services import check_decryption

MANIFEST = "manifest.json"
FORMAT = "alliance-backup"
FORMAT_VERSION = 1
DUMP_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
#: Tables that ``migrate`` fills by itself: a freshly migrated database counts as empty.
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what and where."""


# --------------------------------------------------------------------------- facts of a database
def table_counts(using: str = "default") -> dict[str, int]:
    connection = connections[using]
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def audit_head(using: str = "default") -> dict[str, Any] | None:
    last = (
        AuditEvent.objects.using(using)
        .order_by("-sequence")
        .values("sequence", "entry_hash")
        .first()
    )
    return dict(last) if last else None


def applied_migrations(using: str = "default") -> list[str]:
    recorder = MigrationRecorder(connections[using])
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def school_key_ids(using: str = "default") -> list[dict[str, str]]:
    from alliance.vault.models import SchoolKey

    rows = SchoolKey.objects.using(using).order_by("pk").values_list("key_id", "master_key_id")
    return [{"key_id": key_id, "master_key_id": master_id} for key_id, master_id in rows]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _app_version() -> str:
    try:
        return metadata.version("alliance")
    except metadata.PackageNotFoundError:
        return "unknown"


def _facts(using: str) -> dict[str, Any]:
    return {
        "tables": table_counts(using),
        "audit_head": audit_head(using),
        "migrations": applied_migrations(using),
        "encrypted_fields": [f"{m._meta.label}.{f.name}" for m, f in encrypted_fields()],
        "school_keys": school_key_ids(using),
    }


@contextlib.contextmanager
def sqlite_alias(path: Path, *, read_only: bool = True) -> Iterator[str]:
    """A temporary Django database alias on an SQLite file (a backup being checked)."""
    alias = f"alliance_backup_{os.getpid()}_{id(path)}"
    base = connections["default"].settings_dict
    name = f"file:{path}?mode=ro" if read_only else str(path)
    settings_dict = {**base, "NAME": name, "OPTIONS": {}}
    # Registered as a live connection only (not in settings.DATABASES): nothing else, such
    # as migrate or flush, ever iterates over it.
    wrapper = load_backend("django.db.backends.sqlite3").DatabaseWrapper(settings_dict, alias)
    setattr(connections._connections, alias, wrapper)  # type: ignore[attr-defined]
    try:
        yield alias
    finally:
        wrapper.close()
        with contextlib.suppress(AttributeError):
            delattr(connections._connections, alias)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- PostgreSQL tools
def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def postgres_tool(name: str, using: str = "default") -> str:
    """``pg_dump`` or ``pg_restore`` of the server's major version (or newer, for pg_dump).

    Looked for in ``ALLIANCE_PG_BINDIR``, ``/usr/lib/postgresql/<major>/bin``, then on PATH.
    """
    connection = connections[using]
    connection.ensure_connection()
    server_major = connection.pg_version // 10000  # type: ignore[attr-defined]
    candidates = []
    if os.environ.get("ALLIANCE_PG_BINDIR"):
        candidates.append(str(Path(os.environ["ALLIANCE_PG_BINDIR"]) / name))
    candidates.append(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        if Path(candidate).is_file():
            major = _tool_major(candidate)
            if major is not None and major >= server_major:
                return candidate
    raise BackupError(
        f"no {name} of PostgreSQL {server_major} or newer found (install postgresql-client-"
        f"{server_major}, or set ALLIANCE_PG_BINDIR)"
    )


def _pg_args(using: str) -> tuple[list[str], dict[str, str]]:
    settings_dict = connections[using].settings_dict
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    args += ["--dbname", str(settings_dict["NAME"]), "--no-password"]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


def _run_tool(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(  # noqa: S603
        args, env=env, capture_output=True, text=True, timeout=3600, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()}")


# --------------------------------------------------------------------------- backup
def create_backup(output_dir: Path, *, using: str = "default") -> Path:
    """Write a backup directory under ``output_dir``; returns its path."""
    connection = connections[using]
    if connection.vendor not in DUMP_FILES:
        raise BackupError(f"backups of {connection.vendor} databases are not supported")
    if connection.in_atomic_block:
        raise BackupError("a backup cannot run inside a transaction")
    stamp = clock.now().astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = Path(output_dir) / f"alliance-backup-{stamp}"
    target.mkdir(parents=True, exist_ok=False)
    os.chmod(target, 0o700)
    dump = target / DUMP_FILES[connection.vendor]
    try:
        if connection.vendor == "sqlite":
            facts = _backup_sqlite(dump, using)
        else:
            facts = _backup_postgresql(dump, using)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    os.chmod(dump, 0o600)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": clock.now().astimezone(dt.UTC).isoformat(),
        "app_version": _app_version(),
        "vendor": connection.vendor,
        "dump_file": dump.name,
        "dump_bytes": dump.stat().st_size,
        "dump_sha256": sha256_of(dump),
        "master_key_included": False,
        "master_key_id": crypto.master_key_id(crypto.master_key()),
        **facts,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return target


def _backup_sqlite(dump: Path, using: str) -> dict[str, Any]:
    connection = connections[using]
    connection.ensure_connection()
    destination = sqlite3.connect(dump)
    try:
        connection.connection.backup(destination)
    finally:
        destination.close()
    # The manifest describes the copy itself, not the live database that goes on changing.
    with sqlite_alias(dump) as alias:
        return _facts(alias)


def _backup_postgresql(dump: Path, using: str) -> dict[str, Any]:
    pg_dump = postgres_tool("pg_dump", using)
    args, env = _pg_args(using)
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # One snapshot for the counts and the dump: they describe the same state.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        facts = _facts(using)
        _run_tool(
            [pg_dump, "--format=custom", "--file", str(dump), "--snapshot", snapshot, *args],
            env,
            "pg_dump",
        )
    return facts


# --------------------------------------------------------------------------- reading a backup
def load_manifest(backup: Path) -> dict[str, Any]:
    """The manifest, after checking the dump's size and checksum; refuses anything else."""
    backup = Path(backup)
    path = backup / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{path}: no manifest (is {backup} a backup directory?)") from None
    except (OSError, ValueError) as error:
        raise BackupError(f"{path}: unreadable manifest ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: not an Alliance backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path}: backup format version {manifest.get('format_version')}, this version of "
            f"Alliance reads version {FORMAT_VERSION}"
        )
    dump = backup / str(manifest.get("dump_file", ""))
    if not dump.is_file() or dump.name not in DUMP_FILES.values():
        raise BackupError(f"{dump}: the dump file named by the manifest is missing")
    checksum = sha256_of(dump)
    if checksum != manifest.get("dump_sha256") or dump.stat().st_size != manifest.get("dump_bytes"):
        raise BackupError(
            f"{dump}: checksum mismatch (SHA-256 {checksum[:16]}…, the manifest says "
            f"{str(manifest.get('dump_sha256'))[:16]}…): the dump was altered or truncated; "
            "refusing to use it"
        )
    return manifest


# --------------------------------------------------------------------------- verification
@dataclass
class VerifyReport:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def good(self, line: str) -> None:
        self.lines.append(f"ok: {line}")

    def bad(self, line: str) -> None:
        self.lines.append(f"FAILED: {line}")
        self.failures.append(line)


def _audit_chain_break(using: str) -> Any:
    """The audit chain's first break in database ``using`` (from the latest retention anchor
    when the audit app has anchors, as ``audit.services.audit_verify`` does on the default one).
    """
    events = AuditEvent.objects.using(using).order_by("sequence")
    try:
        anchor_model = apps.get_model("audit", "AuditAnchor")
    except LookupError:
        anchor_model = None
    anchor = (
        anchor_model.objects.using(using).order_by("-up_to_sequence").first()
        if anchor_model is not None
        else None
    )
    if anchor is None:
        return first_break(events.iterator(chunk_size=5000))
    return first_break(  # type: ignore[call-arg,unused-ignore]
        events.filter(sequence__gt=anchor.up_to_sequence).iterator(chunk_size=5000),
        start_sequence=anchor.up_to_sequence + 1,
        start_hash=anchor.last_hash,
    )


def verify_database(manifest: dict[str, Any], *, using: str = "default") -> VerifyReport:
    """Check a database against a manifest: counts, audit chain, migrations, decryption."""
    report = VerifyReport()
    counts = table_counts(using)
    expected = manifest.get("tables", {})
    wrong = [
        f"{table}: {counts.get(table, 'missing')} rows, expected {count}"
        for table, count in sorted(expected.items())
        if counts.get(table) != count
    ]
    extra = sorted(set(counts) - set(expected))
    if wrong:
        report.bad("row counts differ — " + "; ".join(wrong))
    else:
        report.good(f"row counts of {len(expected)} tables match ({sum(expected.values())} rows)")
    if extra:
        report.lines.append(f"note: tables not in the backup: {', '.join(extra)}")

    chain_break = _audit_chain_break(using)
    head = audit_head(using)
    if chain_break is not None:
        report.bad(str(chain_break))
    elif head != manifest.get("audit_head"):
        report.bad(
            f"audit chain head {head} differs from the manifest's {manifest.get('audit_head')}"
        )
    else:
        report.good(f"audit chain verifies, head at sequence {head['sequence'] if head else 0}")

    migrations = applied_migrations(using)
    if migrations != manifest.get("migrations"):
        missing = sorted(set(manifest.get("migrations", [])) - set(migrations))
        added = sorted(set(migrations) - set(manifest.get("migrations", [])))
        report.bad(f"applied migrations differ: missing {missing}, extra {added}")
    else:
        report.good(f"{len(migrations)} applied migrations match")

    keyring.clear_cache()
    try:
        check = check_decryption(using=using)
    except crypto.VaultError as error:  # e.g. no master key configured at all
        report.bad(f"encrypted fields cannot be checked: {error}")
        return report
    checked = sum(check.checked.values())
    if check.ok:
        report.good(f"{checked} encrypted value(s) decrypt with the configured master key")
    else:
        failed = ", ".join(f"{label}: {n}" for label, n in sorted(check.failures.items()))
        report.bad(f"encrypted values that do not decrypt — {failed}")
        report.lines.extend(f"  {line}" for line in check.first_errors)
        wanted = manifest.get("master_key_id")
        current = crypto.master_key_id(crypto.master_key())
        if wanted and wanted != current:
            report.lines.append(
                f"  the backup's keys are wrapped by master key {wanted}; the configured "
                f"master key is {current}"
            )
    return report


def verify_backup(backup: Path) -> VerifyReport:
    """Check a backup without restoring it.

    SQLite: the copy itself is opened read-only and checked like a restored database.
    PostgreSQL: checksum and ``pg_restore --list``; the full check is ``restore`` into a
    scratch database (it verifies after restoring).
    """
    manifest = load_manifest(backup)
    report = VerifyReport()
    report.good(f"checksum of {manifest['dump_file']} matches the manifest")
    dump = Path(backup) / manifest["dump_file"]
    if manifest["vendor"] == "sqlite":
        with sqlite_alias(dump) as alias:
            inner = verify_database(manifest, using=alias)
        report.lines += inner.lines
        report.failures += inner.failures
    else:
        pg_restore = postgres_tool("pg_restore")
        _run_tool([pg_restore, "--list", str(dump)], dict(os.environ), "pg_restore --list")
        report.good("the archive reads (pg_restore --list)")
        report.lines.append(
            "note: restore it into a scratch database (manage.py restore) for the full check"
        )
    return report


# --------------------------------------------------------------------------- restore
def non_empty_tables(using: str = "default") -> list[str]:
    return [
        table
        for table, count in table_counts(using).items()
        if count and table not in BOOKKEEPING_TABLES
    ]


def restore_backup(backup: Path, *, force: bool = False, using: str = "default") -> VerifyReport:
    """Restore a backup into this database (empty unless ``force``), then verify it."""
    manifest = load_manifest(backup)
    connection = connections[using]
    if manifest["vendor"] != connection.vendor:
        raise BackupError(
            f"this is a {manifest['vendor']} backup; the configured database is {connection.vendor}"
        )
    if connection.in_atomic_block:
        raise BackupError("a restore cannot run inside a transaction")
    busy = non_empty_tables(using)
    if busy and not force:
        shown = ", ".join(busy[:8]) + ("…" if len(busy) > 8 else "")
        raise BackupError(
            f"the database is not empty ({len(busy)} table(s) hold rows: {shown}); restore "
            "into an empty database, or pass --force to replace everything in it"
        )
    dump = Path(backup) / manifest["dump_file"]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        pg_restore = postgres_tool("pg_restore", using)
        args, env = _pg_args(using)
        _run_tool(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                *args,
                str(dump),
            ],
            env,
            "pg_restore",
        )
    keyring.clear_cache()
    return verify_database(manifest, using=using)
