//! Content checksums of tables, the one definition every operator command uses (seed,
//! backup manifest, restore verification, legacy import report): per table the row count
//! and an MD5 over the rows' text forms in primary-key order, computed in PostgreSQL.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde::Serialize;

/// Rows and content checksum of one table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TableChecksum {
    /// `schema.table`.
    pub table: String,
    pub rows: i64,
    /// Hex MD5 of the concatenated per-row MD5s in primary-key order (of an empty table:
    /// the MD5 of the empty string).
    pub md5: String,
}

/// The checksum of `schema.table`, with `columns` (when empty: [`content_columns`]) in the order of
/// `order_by` (the primary key columns). Identifiers are quoted; values never interpolated.
pub async fn table_checksum<C: ConnectionTrait>(
    db: &C,
    schema: &str,
    table: &str,
    columns: &[&str],
    order_by: &[&str],
) -> Result<TableChecksum, DbErr> {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let all;
    let columns: Vec<&str> = if columns.is_empty() {
        all = content_columns(db, schema, table).await?;
        all.iter().map(String::as_str).collect()
    } else {
        columns.to_vec()
    };
    // `row(every column)::text` is the text of `t::text`.
    let row_expr = format!(
        "row({})::text",
        columns
            .iter()
            .map(|c| format!("t.{}", q(c)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let order = if order_by.is_empty() {
        "t::text".to_owned()
    } else {
        order_by
            .iter()
            .map(|c| format!("t.{}", q(c)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sql = format!(
        "SELECT count(*)::bigint AS n, md5(coalesce(string_agg(md5({row_expr}), '' ORDER BY {order}), '')) AS h \
         FROM {}.{} t",
        q(schema),
        q(table)
    );
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("{schema}.{table}")))?;
    Ok(TableChecksum {
        table: format!("{schema}.{table}"),
        rows: row.try_get("", "n")?,
        md5: row.try_get("", "h")?,
    })
}

/// The columns of `schema.table` that hold content, in table order: all but generated
/// columns (derived from the others, e.g. `vault.documents.content_tsv`).
pub async fn content_columns<C: ConnectionTrait>(
    db: &C,
    schema: &str,
    table: &str,
) -> Result<Vec<String>, DbErr> {
    column_names(
        db,
        "SELECT a.attname::text AS c FROM pg_attribute a
         JOIN pg_class t ON t.oid = a.attrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = $1 AND t.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attgenerated = ''
         ORDER BY a.attnum",
        schema,
        table,
    )
    .await
}

/// The primary-key columns of `schema.table`, in key order.
pub async fn primary_key<C: ConnectionTrait>(
    db: &C,
    schema: &str,
    table: &str,
) -> Result<Vec<String>, DbErr> {
    column_names(
        db,
        "SELECT a.attname::text AS c FROM pg_index i
         JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord) ON true
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
         WHERE i.indisprimary AND n.nspname = $1 AND t.relname = $2 ORDER BY k.ord",
        schema,
        table,
    )
    .await
}

/// The column `c` of every row of the catalog query `sql` over `$1` = schema, `$2` = table.
async fn column_names<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    schema: &str,
    table: &str,
) -> Result<Vec<String>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [schema.into(), table.into()],
        ))
        .await?;
    rows.iter().map(|r| r.try_get::<String>("", "c")).collect()
}

/// The tables of `schemas`, ordered by schema and table name.
pub async fn tables<C: ConnectionTrait>(
    db: &C,
    schemas: &[&str],
) -> Result<Vec<(String, String)>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT n.nspname::text AS s, c.relname::text AS t FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) ORDER BY 1, 2",
            [schemas
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<String>>()
                .into()],
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "s")?, r.try_get("", "t")?)))
        .collect()
}

/// Checksums of every table of `schemas` (ordered by schema and table name), each in
/// primary-key order.
pub async fn schema_checksums<C: ConnectionTrait>(
    db: &C,
    schemas: &[&str],
) -> Result<Vec<TableChecksum>, DbErr> {
    let mut out = Vec::new();
    for (s, t) in tables(db, schemas).await? {
        let pk = primary_key(db, &s, &t).await?;
        let pk: Vec<&str> = pk.iter().map(String::as_str).collect();
        out.push(table_checksum(db, &s, &t, &[], &pk).await?);
    }
    Ok(out)
}

/// One checksum over many tables' checksums (order as given).
pub fn combined(tables: &[TableChecksum]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for t in tables {
        h.update(t.table.as_bytes());
        h.update([0]);
        h.update(t.rows.to_le_bytes());
        h.update(t.md5.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
