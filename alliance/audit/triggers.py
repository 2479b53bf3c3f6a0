"""The SQL of the audit table's append-only triggers, per database vendor.

Kept here (not only in the migration) so tests can name and re-create them.

Two generations: migration ``0002`` refused every UPDATE and DELETE (``*_0002``); migration
``0003`` (retention, docs/decisions/0015) lets a DELETE through only for events covered by an
``AuditAnchor`` (sequence at or below the highest anchor), and makes the anchors themselves
append-only. ``SQLITE_UP``/``POSTGRES_UP`` are always the current generation.
"""

TABLE = "audit_auditevent"
ANCHOR_TABLE = "audit_auditanchor"
#: Every table the triggers protect (tests lift them all to flush a transactional test).
PROTECTED_TABLES = (TABLE, ANCHOR_TABLE)

SQLITE_UP_0002 = [
    f"""CREATE TRIGGER audit_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    f"""CREATE TRIGGER audit_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_DOWN_0002 = [
    "DROP TRIGGER IF EXISTS audit_no_update;",
    "DROP TRIGGER IF EXISTS audit_no_delete;",
]

POSTGRES_UP_0002 = [
    """CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END;
       $$ LANGUAGE plpgsql;""",
    f"""CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();""",
    f"""CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();""",
]
POSTGRES_DOWN_0002 = [
    f"DROP TRIGGER IF EXISTS audit_no_update_delete ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE};",
    "DROP FUNCTION IF EXISTS audit_refuse_change();",
]

# --------------------------------------------------------------------------- current (0003)

#: A DELETE passes only for a row at or below the highest anchor's sequence: the purge
#: writes the anchor first (itself append-only), then deletes the rows it covers.
_COVERED = f"OLD.sequence <= COALESCE((SELECT MAX(up_to_sequence) FROM {ANCHOR_TABLE}), 0)"  # noqa: S608

SQLITE_UP = [
    f"""CREATE TRIGGER audit_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    f"""CREATE TRIGGER audit_no_delete BEFORE DELETE ON {TABLE} WHEN NOT ({_COVERED})
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    f"""CREATE TRIGGER audit_anchor_no_update BEFORE UPDATE ON {ANCHOR_TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END;""",
    f"""CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON {ANCHOR_TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit anchors are append-only'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_no_update;",
    "DROP TRIGGER IF EXISTS audit_no_delete;",
    "DROP TRIGGER IF EXISTS audit_anchor_no_update;",
    "DROP TRIGGER IF EXISTS audit_anchor_no_delete;",
]

POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END;
       $$ LANGUAGE plpgsql;""",
    f"""CREATE OR REPLACE FUNCTION audit_refuse_uncovered_delete() RETURNS trigger AS $$
       BEGIN
         IF {_COVERED} THEN RETURN OLD; END IF;
         RAISE EXCEPTION 'audit events are append-only';
       END;
       $$ LANGUAGE plpgsql;""",
    f"""CREATE TRIGGER audit_no_update BEFORE UPDATE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();""",
    f"""CREATE TRIGGER audit_no_delete BEFORE DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_uncovered_delete();""",
    f"""CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();""",
    f"""CREATE TRIGGER audit_anchor_no_update_delete BEFORE UPDATE OR DELETE ON {ANCHOR_TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();""",
    f"""CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON {ANCHOR_TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();""",
]
POSTGRES_DOWN = [
    f"DROP TRIGGER IF EXISTS audit_no_update ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_no_delete ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_anchor_no_update_delete ON {ANCHOR_TABLE};",
    f"DROP TRIGGER IF EXISTS audit_anchor_no_truncate ON {ANCHOR_TABLE};",
    "DROP FUNCTION IF EXISTS audit_refuse_uncovered_delete();",
    "DROP FUNCTION IF EXISTS audit_refuse_change();",
]
