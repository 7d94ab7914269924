//! A snapshot of what the migrations built, read from `pg_catalog`: one line per schema,
//! table, column (type, nullability, default), primary key, unique constraint, check
//! constraint, index, foreign key (with its actions), trigger, function and generated
//! (`derived`) column of the six
//! schemas, plus row-level security, policies, privileges and the `access` schema. Two snapshots, or a snapshot and the model, compare as sets of lines.

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DbErr, Statement};

/// The schemas Tekup Database owns.
pub const SCHEMAS: &str = "'vault','billy','renos','crm','flow','shared'";

/// Lines describing the database objects; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalog {
    pub lines: BTreeSet<String>,
}

impl Catalog {
    /// Reads the catalog of the database `db` is connected to.
    pub async fn read<C: ConnectionTrait>(db: &C) -> Result<Self, DbErr> {
        let mut lines = BTreeSet::new();
        for sql in QUERIES {
            let sql = sql.replace("{SCHEMAS}", SCHEMAS);
            let rows = db
                .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
                .await?;
            for row in rows {
                let line: String = row.try_get("", "line")?;
                lines.insert(line.replace('"', ""));
            }
        }
        Ok(Self { lines })
    }

    /// The lines of one kind (`table`, `column`, `fk`, ...).
    pub fn kind(&self, kind: &str) -> BTreeSet<String> {
        let prefix = format!("{kind} ");
        self.lines
            .iter()
            .filter(|l| l.starts_with(&prefix))
            .cloned()
            .collect()
    }

    /// Without the lines of the given kinds.
    pub fn without(&self, kinds: &[&str]) -> Self {
        let lines = self
            .lines
            .iter()
            .filter(|l| !kinds.iter().any(|k| l.starts_with(&format!("{k} "))))
            .cloned()
            .collect();
        Self { lines }
    }

    /// A readable difference: lines only in `self` ("+", extra) and only in `other` ("-",
    /// missing). Empty when they are equal.
    pub fn diff(&self, expected: &Catalog) -> String {
        let mut out = String::new();
        for l in expected.lines.difference(&self.lines) {
            out.push_str(&format!("- missing: {l}\n"));
        }
        for l in self.lines.difference(&expected.lines) {
            out.push_str(&format!("+ extra:   {l}\n"));
        }
        out
    }
}

const QUERIES: &[&str] = &[
    // schemas and their comments
    "SELECT 'schema ' || n.nspname || ' ' || coalesce(obj_description(n.oid, 'pg_namespace'), '') AS line
     FROM pg_namespace n WHERE n.nspname IN ({SCHEMAS})",
    // tables
    "SELECT 'table ' || n.nspname || '.' || c.relname AS line
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname IN ({SCHEMAS}) AND c.relkind IN ('r', 'p')",
    // columns: type, nullability, default
    "SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' '
            || format_type(a.atttypid, a.atttypmod)
            || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
            || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') AS line
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname IN ({SCHEMAS}) AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attgenerated = ''",
    // generated (derived) columns: hand-written, not in the model
    "SELECT 'derived ' || n.nspname || '.' || c.relname || '.' || a.attname || ' '
            || format_type(a.atttypid, a.atttypmod)
            || ' AS ' || pg_get_expr(d.adbin, d.adrelid) AS line
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname IN ({SCHEMAS}) AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attgenerated <> ''",
    // primary keys, unique and check constraints
    "SELECT CASE con.contype WHEN 'p' THEN 'pk ' WHEN 'u' THEN 'unique ' ELSE 'check ' END
            || n.nspname || '.' || c.relname || ' ' || con.conname || ' ('
            || (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
                FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)
            || ')'
            || CASE WHEN con.contype = 'u' AND i.indnullsnotdistinct THEN ' NULLS NOT DISTINCT' ELSE '' END
            AS line
     FROM pg_constraint con
     JOIN pg_class c ON c.oid = con.conrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_index i ON i.indexrelid = con.conindid
     WHERE n.nspname IN ({SCHEMAS}) AND con.contype IN ('p', 'u', 'c')",
    // indexes that do not back a constraint
    "SELECT 'index ' || n.nspname || '.' || t.relname || ' ' || ic.relname
            || CASE WHEN i.indisunique THEN ' UNIQUE' ELSE '' END
            || ' USING ' || am.amname || ' ('
            || (SELECT string_agg(
                        pg_get_indexdef(i.indexrelid, k.ord::int, true)
                        || CASE WHEN (i.indoption[k.ord - 1] & 1) = 1 THEN ' DESC' ELSE '' END
                        || CASE WHEN oc.opcdefault THEN '' ELSE ' ' || oc.opcname END,
                        ', ' ORDER BY k.ord)
                FROM unnest(i.indclass::oid[]) WITH ORDINALITY k(opc, ord)
                JOIN pg_opclass oc ON oc.oid = k.opc)
            || ')' AS line
     FROM pg_index i
     JOIN pg_class ic ON ic.oid = i.indexrelid
     JOIN pg_class t ON t.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     JOIN pg_am am ON am.oid = ic.relam
     WHERE n.nspname IN ({SCHEMAS})
       AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)",
    // foreign keys with their actions
    "SELECT 'fk ' || n.nspname || '.' || c.relname || ' ' || con.conname || ' ('
            || (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
                FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)
            || ') -> ' || rn.nspname || '.' || rc.relname || ' ('
            || (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
                FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum)
            || ') ON DELETE ' || CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
                 WHEN 'r' THEN 'RESTRICT' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END
            || ' ON UPDATE ' || CASE con.confupdtype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
                 WHEN 'r' THEN 'RESTRICT' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END AS line
     FROM pg_constraint con
     JOIN pg_class c ON c.oid = con.conrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_class rc ON rc.oid = con.confrelid
     JOIN pg_namespace rn ON rn.oid = rc.relnamespace
     WHERE n.nspname IN ({SCHEMAS}) AND con.contype = 'f'",
    // triggers
    "SELECT 'trigger ' || n.nspname || '.' || c.relname || ' ' || tg.tgname || ' '
            || p.proname AS line
     FROM pg_trigger tg
     JOIN pg_class c ON c.oid = tg.tgrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_proc p ON p.oid = tg.tgfoid
     WHERE n.nspname IN ({SCHEMAS}) AND NOT tg.tgisinternal",
    // functions, with their full definition
    "SELECT 'function ' || n.nspname || '.' || p.proname || '('
            || pg_get_function_arguments(p.oid) || ') ' || md5(pg_get_functiondef(p.oid)) AS line
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname IN ({SCHEMAS}) OR (n.nspname = 'public' AND p.proname LIKE 'tekup\\_%')",
    // row-level security, policies and privileges (migration `access`)
    "SELECT 'rls ' || n.nspname || '.' || c.relname AS line
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname IN ({SCHEMAS}) AND c.relrowsecurity",
    "SELECT 'policy ' || schemaname || '.' || tablename || ' ' || policyname || ' ' || cmd
            || ' ' || array_to_string(roles, ',') || ' USING ' || coalesce(qual, '-')
            || ' CHECK ' || coalesce(with_check, '-') AS line
     FROM pg_policies WHERE schemaname IN ({SCHEMAS})",
    // (only what is granted to the API's group role: an owner's own entry appears once any
    // grant was made and stays after the revoke)
    "SELECT 'acl ' || n.nspname || '.' || c.relname || ' ' || a.acl AS line
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     CROSS JOIN LATERAL (SELECT string_agg(x::text, ',' ORDER BY x::text) AS acl
                         FROM unnest(c.relacl) x WHERE x::text LIKE 'tekup\\_app=%') a
     WHERE ((n.nspname IN ({SCHEMAS}, 'access') AND c.relkind IN ('r', 'p', 'S'))
        OR (n.nspname = 'public' AND c.relname = 'seaql_migrations')) AND a.acl IS NOT NULL",
    "SELECT 'default-acl ' || n.nspname || ' ' || d.defaclobjtype::text || ' ' || d.defaclacl::text AS line
     FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace
     WHERE n.nspname IN ({SCHEMAS})",
    "SELECT 'access ' || CASE c.relkind WHEN 'i' THEN 'index ' ELSE 'table ' END || c.relname AS line
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'access' AND c.relkind IN ('r', 'i')",
    "SELECT 'access function ' || p.proname || '(' || pg_get_function_arguments(p.oid) || ') '
            || md5(pg_get_functiondef(p.oid)) AS line
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'access'",
    // extensions
    "SELECT 'extension ' || extname AS line FROM pg_extension WHERE extname IN ('vector', 'pg_trgm')",
];
