#!/usr/bin/env python3
"""Parse ../shared/spec/data-model.md into spec/model.json, the machine-readable
description of the canonical schema that the migrations, entities and the catalog test
agree on. The rewrite decisions of docs/decisions.md are applied here, in one place
(search for "DECISION").

Usage: python3 tools/spec_to_model.py [path/to/data-model.md] > spec/model.json
"""
import json
import re
import sys

SPEC = sys.argv[1] if len(sys.argv) > 1 else "../shared/spec/data-model.md"

SCHEMA_COMMENTS = {
    "vault": "Document storage and vector embeddings",
    "billy": "Billy.dk MCP integration",
    "renos": "Cleaning service management",
    "crm": "Multi-tenant CRM platform",
    "flow": "Lead generation and compliance",
    "shared": "Shared resources across applications",
}
SCHEMAS = ["shared", "vault", "billy", "renos", "crm", "flow"]

TYPE_MAP = {
    "text": "text",
    "uuid": "uuid",
    "integer": "integer",
    "smallint": "smallint",
    "double precision": "double precision",
    "boolean": "boolean",
    "timestamptz": "timestamp with time zone",
    # DECISION D3: crm/flow naive timestamp(3) become timestamptz (UTC).
    "timestamp(3)": "timestamp with time zone",
    "date": "date",
    "time": "time without time zone",
    "jsonb": "jsonb",
    "text[]": "text[]",
    "vector(1536)": "vector(1536)",
}

# Columns whose value list in the notes is closed: they become Rust enums stored as text,
# guarded by a CHECK constraint (DECISION D7). Extra values from the notes' asides are added.
ENUM_EXTRA = {
    ("renos", "users", "role"): ["manager", "client"],
}
# Listed values exist, but the set is open by design (DECISION D8): kept as text.
ENUM_SKIP = {
    ("vault", "documents", "source"),
    ("vault", "sync_status", "source"),
    ("renos", "leads", "source"),
    ("renos", "cleaning_tasks", "category"),
    ("renos", "booking_validations", "confidence"),
    ("renos", "learned_patterns", "confidence"),
    ("renos", "customer_intelligence", "risk_score"),
    ("renos", "customer_intelligence", "satisfaction_score"),
    ("renos", "subcontractor_reviews", "rating"),
    ("renos", "subcontractors", "rating"),
    ("renos", "email_threads", "confidence"),
    ("renos", "undo_actions", "type"),
    ("renos", "undo_actions", "entity_type"),
    ("crm", "deals", "probability"),
    ("crm", "contacts", "source"),
    ("crm", "activities", "outcome"),
    ("billy", "audit_logs", "resource_type"),
    ("billy", "usage_metrics", "hour"),
    ("billy", "usage_metrics", "cache_hit_rate"),
    ("flow", "integrations", "name"),
    ("flow", "webhooks", "method"),
    ("flow", "execution_steps", "step_type"),
    ("renos", "subcontractor_availability", "recurring_pattern"),
    ("crm", "deals", "pipeline"),
}


def norm_default(raw, pg_type, nullable):
    """Spec default -> the text pg_get_expr() renders for it."""
    d = raw.strip()
    if d in ("", "uuid v4 (app-generated)", "cuid (app-generated)"):
        return None
    if d.startswith("auto-updated"):
        return "now()"  # DECISION D4: DB default + trigger for updated_at
    if d == "now()":
        return "now()"
    if d in ("'{}'::jsonb", "'[]'::jsonb"):
        return d
    if d.startswith("'{}' (empty array)"):
        return "'{}'::text[]"
    if d in ("true", "false"):
        return d
    m = re.fullmatch(r"'([^']*)'", d)
    if m:
        if pg_type == "text":
            return f"'{m.group(1)}'::text"
        raise ValueError(f"quoted default for {pg_type}: {d}")
    if re.fullmatch(r"-?\d+(\.\d+)?", d):
        if pg_type == "double precision" and "." not in d:
            return d
        if pg_type.startswith("numeric") and "." not in d:
            return d
        return d
    raise ValueError(f"unknown default {d!r}")


def parse_cols(s):
    return [c.strip() for c in s.split(",")]


def parse_paren_list(s):
    s = s.strip()
    if s in ("—", "-", ""):
        return []
    out = []
    for part in s.split(";"):
        part = part.strip().rstrip(".")
        m = re.fullmatch(r"\((.*)\)", part)
        if not m:
            raise ValueError(f"bad list item {part!r}")
        out.append(parse_cols(m.group(1)))
    return out


def parse_fks(s):
    s = s.strip()
    if s in ("—", "-", ""):
        return []
    out = []
    for m in re.finditer(
        r"`(\w+)` → `(\w+)\.(\w+)\((\w+)\)` ON DELETE (CASCADE|SET NULL|RESTRICT)", s
    ):
        out.append(
            {
                "columns": [m.group(1)],
                "ref_schema": m.group(2),
                "ref_table": m.group(3),
                "ref_columns": [m.group(4)],
                "on_delete": m.group(5),
            }
        )
    if not out:
        raise ValueError(f"bad fk {s!r}")
    return out


def enum_values(schema, table, col, notes, pg_type):
    if pg_type != "text" or (schema, table, col) in ENUM_SKIP:
        return None
    n = notes
    if "e.g." in n or "..." in n:
        return None
    m = re.search(r"((?:'[a-z_]+'\s*(?:/|,)\s*)+'[a-z_]+')", n)
    if not m:
        return None
    vals = re.findall(r"'([a-z_]+)'", m.group(1))
    if len(vals) < 2:
        return None
    return vals + ENUM_EXTRA.get((schema, table, col), [])


def short(name):
    """PostgreSQL truncates identifiers at 63 bytes; keep ours below that explicitly."""
    return name if len(name) <= 63 else name[:63]


def parse(text):
    tables = []
    blocks = re.split(r"^#### `", text, flags=re.M)[1:]
    for b in blocks:
        head, body = b.split("\n", 1)
        m = re.match(r"(\w+)\.(\w+)`", head)
        schema, table = m.group(1), m.group(2)
        body = body.split("\n### ")[0].split("\n---")[0]
        purpose = re.search(r"\*Purpose:\*\s*(.*)", body).group(1).strip()
        idm = re.search(r"\*ID strategy:\*\s*(\w+)", body).group(1)
        rows = [l for l in body.splitlines() if l.startswith("| ")]
        header = [h.strip() for h in rows[0].strip("|").split("|")]
        crmflow = "original DB column" in header
        columns = []
        for r in rows[1:]:
            cells = [c.strip() for c in r.strip().strip("|").split("|")]
            if crmflow:
                name, orig, typ, nullable, default, notes = cells
                orig = orig.strip('"')
            else:
                name, typ, nullable, default, notes = cells
                orig = None
            pg_type = TYPE_MAP.get(typ)
            if pg_type is None:
                mm = re.fullmatch(r"varchar\((\d+)\)", typ)
                mn = re.fullmatch(r"numeric\((\d+),(\d+)\)", typ)
                if mm:
                    pg_type = f"character varying({mm.group(1)})"
                elif mn:
                    pg_type = f"numeric({mn.group(1)},{mn.group(2)})"
                else:
                    raise ValueError(f"{schema}.{table}.{name}: type {typ}")
            is_list = nullable == "no*"
            col = {
                "name": name,
                "type": pg_type,
                "nullable": nullable == "yes",
                "default": norm_default(default, pg_type, nullable),
                "notes": notes,
            }
            if is_list and col["default"] is None:
                # DECISION D2: scalar lists are NOT NULL DEFAULT '{}'.
                col["default"] = "'{}'::text[]"
            if orig and orig != name:
                col["original_name"] = orig
            if name == "id" and pg_type == "uuid":
                col["default"] = "gen_random_uuid()"  # DECISION D1
            ev = enum_values(schema, table, name, notes, pg_type)
            if ev:
                col["enum"] = ev
            if default.startswith("auto-updated"):
                col["auto_updated"] = True
            columns.append(col)

        def bullet(label):
            mm = re.search(rf"^- {label}:\s*(.*)$", body, flags=re.M)
            return mm.group(1) if mm else ""

        pk = [c.strip("` ") for c in bullet("PK").split(",")]
        uniques = parse_paren_list(bullet("Unique"))
        indexes = parse_paren_list(bullet("Indexes"))
        fks = parse_fks(bullet("Foreign keys"))
        tables.append(
            {
                "schema": schema,
                "name": table,
                "purpose": purpose,
                "id_strategy": "uuid" if idm == "uuid" else "cuid",
                "columns": columns,
                "primary_key": pk,
                "uniques": uniques,
                "indexes": indexes,
                "foreign_keys": fks,
            }
        )
    return tables


def finish(tables):
    for t in tables:
        s, n = t["schema"], t["name"]
        t["primary_key_name"] = f"{n}_pkey"
        uq = []
        for cols in t["uniques"]:
            nulls_not_distinct = any(
                c["nullable"] for c in t["columns"] if c["name"] in cols
            ) and s == "flow"  # DECISION D6
            uq.append(
                {
                    "name": short(f"{n}_{'_'.join(cols)}_key"),
                    "columns": cols,
                    "nulls_not_distinct": nulls_not_distinct,
                }
            )
        t["uniques"] = uq
        covered = [u["columns"] for u in uq] + [t["primary_key"]]
        ix = []
        for cols in t["indexes"]:
            plain = [c.split()[0] for c in cols]
            # DECISION D5: an index identical to a unique key or the PK is not created twice.
            if plain in covered and all(len(c.split()) == 1 for c in cols):
                continue
            ix.append(
                {
                    "name": short(f"{n}_{'_'.join(plain)}_idx"),
                    "columns": cols,
                    "method": "btree",
                    "unique": False,
                }
            )
        t["indexes"] = ix
        for fk in t["foreign_keys"]:
            fk["name"] = short(f"{n}_{'_'.join(fk['columns'])}_fkey")
        for c in t["columns"]:
            if "enum" in c:
                t.setdefault("checks", []).append(
                    {"name": short(f"{n}_{c['name']}_check"), "column": c["name"], "values": c["enum"]}
                )
        t["updated_at_trigger"] = next(
            (c["name"] for c in t["columns"] if c.get("auto_updated")), None
        )
        t["origin"] = "data-model.md §5"
    return tables


def col(name, typ, nullable=True, default=None, notes=""):
    return {"name": name, "type": typ, "nullable": nullable, "default": default, "notes": notes}


def fk(name, cols, schema, table, on_delete, ref_cols=("id",)):
    return {
        "name": name,
        "columns": list(cols),
        "ref_schema": schema,
        "ref_table": table,
        "ref_columns": list(ref_cols),
        "on_delete": on_delete,
    }


def index(name, cols, method="btree", unique=False):
    return {"name": name, "columns": cols, "method": method, "unique": unique}


def links(item, stage="cross_schema_links"):
    """Marks what an additive migration (default: cross_schema_links) adds on top of the
    per-schema ones."""
    item["stage"] = stage
    return item


def add_cross_schema_links(tables):
    """data-model.md §4 PROPOSALs P1, P2, P5, P6, P7 (DECISION D9) and the vault search
    indexes of §3 (DECISION D10)."""
    by = {(t["schema"], t["name"]): t for t in tables}

    def table(s, n):
        return by[(s, n)]

    # P1 identity: renos.users / billy.users -> shared.users, unique lower(email).
    for s in ("renos", "billy"):
        t = table(s, "users")
        t["columns"].append(links(col("shared_user_id", "uuid", notes="P1: shared.users identity")))
        t["foreign_keys"].append(links(fk("users_shared_user_id_fkey", ["shared_user_id"], "shared", "users", "SET NULL")))
        t["indexes"].append(links(index("users_shared_user_id_idx", ["shared_user_id"])))
    table("shared", "users")["indexes"].append(links(index("users_email_lower_key", ["lower(email)"], unique=True)))

    # P5 invoice <-> Billy organisation (the cache row itself is a lookup, not an FK).
    inv = table("renos", "invoices")
    inv["columns"].append(links(col("billy_organization_id", "uuid", notes="P5: Billy organisation of billy_invoice_id")))
    inv["foreign_keys"].append(links(fk("invoices_billy_organization_id_fkey", ["billy_organization_id"], "billy", "organizations", "SET NULL")))
    inv["indexes"].append(links(index("invoices_billy_organization_id_billy_invoice_id_idx", ["billy_organization_id", "billy_invoice_id"])))

    # P7 audit user.
    table("shared", "audit_logs")["foreign_keys"].append(
        links(fk("audit_logs_user_id_fkey", ["user_id"], "shared", "users", "SET NULL")))
    table("shared", "audit_logs")["indexes"].append(
        links(index("audit_logs_resource_type_resource_id_idx", ["resource_type", "resource_id"])))

    # P2 party links.
    tables.append({
        "schema": "shared", "name": "party_links",
        "purpose": "P2: one party (customer/contact) across renos, crm and Billy, joined by normalised email.",
        "id_strategy": "uuid",
        "columns": [
            col("id", "uuid", False, "gen_random_uuid()"),
            col("email_norm", "text", notes="lower(btrim(email)); NULL when the party has no email"),
            col("renos_customer_id", "text"),
            col("crm_contact_id", "text"),
            col("crm_company_id", "text"),
            col("billy_organization_id", "uuid"),
            col("billy_contact_id", "text", notes="Billy.dk contact id = billy.cached_customers.billy_id"),
            col("created_at", "timestamp with time zone", False, "now()"),
            {**col("updated_at", "timestamp with time zone", False, "now()"), "auto_updated": True},
        ],
        "primary_key": ["id"], "primary_key_name": "party_links_pkey",
        "uniques": [
            {"name": "party_links_email_norm_key", "columns": ["email_norm"], "nulls_not_distinct": False},
            {"name": "party_links_renos_customer_id_key", "columns": ["renos_customer_id"], "nulls_not_distinct": False},
            {"name": "party_links_crm_contact_id_key", "columns": ["crm_contact_id"], "nulls_not_distinct": False},
            {"name": "party_links_billy_organization_id_billy_contact_id_key",
             "columns": ["billy_organization_id", "billy_contact_id"], "nulls_not_distinct": False},
        ],
        "indexes": [index("party_links_crm_company_id_idx", ["crm_company_id"])],
        "foreign_keys": [
            fk("party_links_renos_customer_id_fkey", ["renos_customer_id"], "renos", "customers", "SET NULL"),
            fk("party_links_crm_contact_id_fkey", ["crm_contact_id"], "crm", "contacts", "SET NULL"),
            fk("party_links_crm_company_id_fkey", ["crm_company_id"], "crm", "companies", "SET NULL"),
            fk("party_links_billy_organization_id_fkey", ["billy_organization_id"], "billy", "organizations", "CASCADE"),
        ],
        "checks": [{"name": "party_links_email_norm_check", "column": "email_norm",
                    "expression": "email_norm = lower(btrim(email_norm))"}],
        "updated_at_trigger": "updated_at",
        "origin": "data-model.md §4 P2",
        "link_table": True,
        "stage": "cross_schema_links",
    })

    # P6 document links.
    tables.append({
        "schema": "vault", "name": "document_links",
        "purpose": "P6: a vault document linked to an entity of any schema.",
        "id_strategy": "composite",
        "columns": [
            col("document_id", "uuid", False),
            col("entity_schema", "text", False),
            col("entity_table", "text", False),
            col("entity_id", "text", False),
            col("relation", "text", False, "'about'::text", "what the document is to the entity"),
            col("created_at", "timestamp with time zone", False, "now()"),
        ],
        "primary_key": ["document_id", "entity_schema", "entity_table", "entity_id"],
        "primary_key_name": "document_links_pkey",
        "uniques": [],
        "indexes": [index("document_links_entity_schema_entity_table_entity_id_idx",
                          ["entity_schema", "entity_table", "entity_id"])],
        "foreign_keys": [fk("document_links_document_id_fkey", ["document_id"], "vault", "documents", "CASCADE")],
        "updated_at_trigger": None,
        "origin": "data-model.md §4 P6",
        "link_table": True,
        "stage": "cross_schema_links",
    })

    # Vault search indexes (§3): HNSW for cosine distance, GIN on metadata.
    table("vault", "embeddings")["indexes"].append(
        index("embeddings_embedding_hnsw_idx", ["embedding vector_cosine_ops"], method="hnsw"))
    table("vault", "documents")["indexes"].append(index("documents_metadata_idx", ["metadata"], method="gin"))
    for t in tables:
        for f in t["foreign_keys"]:
            f.setdefault("on_update", "CASCADE")


def add_vault_hybrid(tables):
    """Service layer (issue 4): embedding provenance, so a content or model change marks an
    embedding stale, and the keyword index of hybrid search (DECISION D15)."""
    by = {(t["schema"], t["name"]): t for t in tables}
    stage = "vault_hybrid"
    emb = by[("vault", "embeddings")]
    emb["columns"].append(links(col("content_hash", "text",
        notes="sha256 (hex) of the document content the vector was made from"), stage))
    emb["columns"].append(links(col("model", "text", notes="embedding model that made the vector"), stage))
    docs = by[("vault", "documents")]
    docs["indexes"].append(links(index("documents_content_fts_idx",
        ["to_tsvector('simple'::regconfig, content)"], method="gin"), stage))


def add_billy_usage_totals(tables):
    """Exact average durations (defect 2): the sum and number of timed calls per bucket, from
    which `avg_duration_ms` is recomputed in the same upsert (DECISION D16)."""
    t = next(t for t in tables if (t["schema"], t["name"]) == ("billy", "usage_metrics"))
    stage = "billy_usage_totals"
    t["columns"].append(links(col("duration_total_ms", "bigint", False, "0",
        "sum of the durations of the timed calls in this bucket"), stage))
    t["columns"].append(links(col("duration_count", "integer", False, "0",
        "number of timed calls in this bucket"), stage))


def add_fk_indexes(tables):
    """Every foreign key gets an index that starts with its columns (DECISION D17): joins and
    batched relation loads by the referencing column, and ON DELETE checks of the parent,
    must not scan the child table."""
    stage = "fk_indexes"
    for t in tables:
        keys = [t["primary_key"]] + [u["columns"] for u in t["uniques"]]
        keys += [[c.split()[0] for c in ix["columns"]] for ix in t["indexes"]]
        for f in t["foreign_keys"]:
            n = len(f["columns"])
            if any(k[:n] == f["columns"] for k in keys):
                continue
            name = short(f"{t['name']}_{'_'.join(f['columns'])}_idx")
            t["indexes"].append(links(index(name, list(f["columns"])), stage))
            keys.append(list(f["columns"]))


def add_api_read_paths(tables):
    """GraphQL API (issue 5, DECISION D18): a lead's assigned person as a shared identity
    (`renos.leads.assigned_user_id` -> `shared.users`), and the indexes behind the API's
    common orderings: leads by score (primary-key tie-break) and a customer's bookings by
    scheduled time (batched nested pages)."""
    by = {(t["schema"], t["name"]): t for t in tables}
    stage = "api_read_paths"
    leads = by[("renos", "leads")]
    leads["columns"].append(links(col("assigned_user_id", "uuid",
        notes="D18: the shared identity the lead is assigned to"), stage))
    leads["foreign_keys"].append(links({**fk("leads_assigned_user_id_fkey", ["assigned_user_id"],
        "shared", "users", "SET NULL"), "on_update": "CASCADE"}, stage))
    leads["indexes"].append(links(index("leads_assigned_user_id_idx", ["assigned_user_id"]), stage))
    leads["indexes"].append(links(index("leads_score_id_idx", ["score DESC", "id"]), stage))
    bookings = by[("renos", "bookings")]
    bookings["indexes"].append(links(index("bookings_customer_id_scheduled_at_id_idx",
        ["customer_id", "scheduled_at", "id"]), stage))


STAGES = ["cross_schema_links", "vault_hybrid", "billy_usage_totals", "fk_indexes", "api_read_paths"]


def main():
    text = open(SPEC, encoding="utf-8").read()
    tables = finish(parse(text))
    add_cross_schema_links(tables)
    add_vault_hybrid(tables)
    add_billy_usage_totals(tables)
    add_fk_indexes(tables)
    add_api_read_paths(tables)
    model = {
        "about": "Canonical schema of Tekup Database: data-model.md §5 with the decisions of "
        "docs/decisions.md applied (generated by tools/spec_to_model.py, then extended by "
        "tools/links.py). Migrations and entities are generated from this file, and the "
        "catalog test compares the live database against it.",
        "extensions": ["vector", "pg_trgm"],
        "schemas": [{"name": s, "comment": SCHEMA_COMMENTS[s]} for s in SCHEMAS],
        "stages": STAGES,
        "tables": tables,
    }
    json.dump(model, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
