//! The import engine: reads a legacy table in key order and in batches, converts and
//! validates every row, upserts the valid ones into the canonical table (one transaction
//! per batch), and computes per-row checksums of source and target values.
//!
//! Every statement is built from catalog names (quoted) and the mapping's own SQL;
//! row values travel as one JSON parameter per batch and are turned into the target's
//! row type by `jsonb_populate_record`, so PostgreSQL itself does the typing.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionTrait, Value as SqlValue,
};
use serde_json::{Map, Value};
use service::billy::crypto::{ApiKey, KeyScheme, Keyring};
use service::billy::organizations::{replace_api_key, reveal_api_key};
use sha2::{Digest, Sha256};

use super::map::{Naming, Src, TableMap, camel, q, s};
use super::report::TableReport;
use crate::ops::{OpsError, OpsResult};
use crate::progress::Step;

/// How many skipped rows are listed by key in a table report.
pub const MAX_EXAMPLES: usize = 5;

/// A column of the target table, from its catalog.
#[derive(Clone, Debug)]
pub struct TargetCol {
    pub name: String,
    /// `udt_name` (`text`, `uuid`, `timestamptz`, `vector`, `_text`, …).
    pub udt: String,
    pub nullable: bool,
    /// Dimensions of a `vector(n)` column.
    pub dims: Option<usize>,
    /// Values allowed by a `CHECK (col = ANY (ARRAY[...]))` constraint.
    pub allowed: Option<Vec<String>>,
}

/// A source column's type.
#[derive(Clone, Debug)]
pub struct SourceCol {
    pub data_type: String,
    pub udt: String,
}

/// A mapping resolved against both catalogs: the column list and the SQL.
#[derive(Debug)]
pub struct Plan {
    pub map: TableMap,
    /// Mapped target columns in target order.
    pub cols: Vec<TargetCol>,
    /// Columns compared, updated and checksummed.
    pub compare: Vec<String>,
    /// Source columns no canonical column takes (dropped by design or an unknown variant).
    pub unmapped: Vec<String>,
    source_select: String,
    count_sql: String,
}

/// What the engine does with valid rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Upsert (in a real or a dry-run transaction).
    Import,
    /// Compare only.
    Verify,
}

/// Options of one run.
pub struct RunOpts<'a> {
    pub action: Action,
    pub batch_size: u64,
    /// Rows still allowed before stopping as if killed (`--stop-after`).
    pub budget: Option<u64>,
    pub keyring: Option<&'a Keyring>,
}

fn stmt(sql: impl Into<String>, values: Vec<SqlValue>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql.into(), values)
}

/// Whether the source has `schema.table`.
pub async fn source_has(
    src: &DatabaseConnection,
    schema: &str,
    table: &str,
) -> Result<bool, DbErr> {
    let row = src
        .query_one_raw(stmt(
            "SELECT count(*)::bigint AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
            vec![schema.into(), table.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64>("", "n")? > 0,
        None => false,
    })
}

/// The columns of a source table.
pub async fn source_columns(
    src: &DatabaseConnection,
    schema: &str,
    table: &str,
) -> Result<HashMap<String, SourceCol>, DbErr> {
    let rows = src
        .query_all_raw(stmt(
            "SELECT column_name::text AS c, data_type::text AS d, udt_name::text AS u
             FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
            vec![schema.into(), table.into()],
        ))
        .await?;
    let mut out = HashMap::new();
    for r in rows {
        out.insert(
            r.try_get::<String>("", "c")?,
            SourceCol {
                data_type: r.try_get("", "d")?,
                udt: r.try_get("", "u")?,
            },
        );
    }
    Ok(out)
}

/// The columns of a target table, in table order, with NOT NULL, vector dimensions and
/// the value lists of simple CHECK constraints.
pub async fn target_columns<C: ConnectionTrait>(
    db: &C,
    schema: &str,
    table: &str,
) -> Result<Vec<TargetCol>, DbErr> {
    let rows = db
        .query_all_raw(stmt(
            "SELECT a.attname::text AS c, t.typname::text AS u, NOT a.attnotnull AS nullable,
                    format_type(a.atttypid, a.atttypmod) AS f
             FROM pg_attribute a JOIN pg_class k ON k.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = k.relnamespace JOIN pg_type t ON t.oid = a.atttypid
             WHERE n.nspname = $1 AND k.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
               AND a.attgenerated = ''
             ORDER BY a.attnum",
            vec![schema.into(), table.into()],
        ))
        .await?;
    let checks = db
        .query_all_raw(stmt(
            "SELECT pg_get_constraintdef(c.oid) AS d FROM pg_constraint c
             JOIN pg_class k ON k.oid = c.conrelid JOIN pg_namespace n ON n.oid = k.relnamespace
             WHERE c.contype = 'c' AND n.nspname = $1 AND k.relname = $2",
            vec![schema.into(), table.into()],
        ))
        .await?;
    let mut allowed: HashMap<String, Vec<String>> = HashMap::new();
    for c in checks {
        let def: String = c.try_get("", "d")?;
        if let Some((col, values)) = parse_any_check(&def) {
            allowed.insert(col, values);
        }
    }
    let mut out = Vec::new();
    for r in rows {
        let name: String = r.try_get("", "c")?;
        let format: String = r.try_get("", "f")?;
        let dims = format
            .strip_prefix("vector(")
            .and_then(|x| x.strip_suffix(')'))
            .and_then(|x| x.parse().ok());
        out.push(TargetCol {
            allowed: allowed.remove(&name),
            udt: r.try_get("", "u")?,
            nullable: r.try_get("", "nullable")?,
            dims,
            name,
        });
    }
    Ok(out)
}

/// `CHECK ((col = ANY (ARRAY['a'::text, 'b'::text])))` → (`col`, [a, b]).
fn parse_any_check(def: &str) -> Option<(String, Vec<String>)> {
    let inner = def.strip_prefix("CHECK ((")?.strip_suffix("))")?;
    let (col, rest) = inner.split_once(" = ANY (ARRAY[")?;
    let list = rest.strip_suffix("])")?;
    let col = col.trim().trim_matches('"').to_owned();
    if col.contains(' ') || col.contains('(') {
        return None;
    }
    let mut values = Vec::new();
    for item in list.split(", ") {
        let v = item
            .strip_suffix("::text")?
            .strip_prefix('\'')?
            .strip_suffix('\'')?;
        values.push(v.replace("''", "'"));
    }
    Some((col, values))
}

/// Resolves a mapping against the source and target catalogs.
pub async fn plan<C: ConnectionTrait>(
    db: &C,
    src_cols: &HashMap<String, SourceCol>,
    map: TableMap,
) -> OpsResult<Plan> {
    let target_cols = target_columns(db, map.target.0, map.target.1).await?;
    if target_cols.is_empty() {
        return Err(OpsError::Invalid(format!(
            "target table {} does not exist (run the migrations first)",
            map.target_name()
        )));
    }
    let mut exprs: Vec<(TargetCol, String)> = Vec::new();
    for tc in &target_cols {
        let explicit = map
            .columns
            .iter()
            .find(|(c, _)| *c == tc.name)
            .map(|(_, s)| s.clone());
        let src = match explicit {
            Some(src) => Some(src),
            None if map.exclude.contains(&tc.name.as_str()) => None,
            None => map.auto.and_then(|naming| {
                let name = match naming {
                    Naming::Snake => tc.name.clone(),
                    Naming::Camel => camel(&tc.name),
                };
                src_cols.contains_key(&name).then_some(Src::Col(name))
            }),
        };
        let expr = match src {
            None => continue,
            Some(Src::Expr(e)) => e,
            Some(Src::Col(c)) => source_col(&map, src_cols, &c, &tc.udt)?,
            Some(Src::Coalesce(list)) => {
                let mut parts = Vec::new();
                for c in &list {
                    parts.push(source_col(&map, src_cols, c, &tc.udt)?);
                }
                format!("coalesce({})", parts.join(", "))
            }
        };
        exprs.push((tc.clone(), expr));
    }
    for k in &map.conflict {
        if !exprs.iter().any(|(c, _)| c.name == *k) {
            return Err(OpsError::Invalid(format!(
                "{}: key column {k} has no source",
                map.target_name()
            )));
        }
    }
    let from = format!("{}.{} AS src", q(map.source.0), q(map.source.1));
    let filter = map
        .filter
        .as_ref()
        .map(|f| format!(" WHERE {f}"))
        .unwrap_or_default();
    let list = exprs
        .iter()
        .map(|(c, e)| format!("{e} AS {}", q(&c.name)))
        .collect::<Vec<_>>()
        .join(", ");
    let source_select = format!(
        "SELECT s._k, (to_jsonb(s) - '_k') AS r FROM (SELECT ({}) AS _k, {list} FROM {from}{filter}) s \
         WHERE ($1::text IS NULL OR s._k COLLATE \"C\" > $1::text) ORDER BY s._k COLLATE \"C\" LIMIT $2",
        map.key_expr
    );
    let count_sql = format!("SELECT count(*)::bigint AS n FROM {from}{filter}");
    let cols: Vec<TargetCol> = exprs.into_iter().map(|(c, _)| c).collect();
    let compare = cols
        .iter()
        .filter(|c| !map.no_compare.contains(&c.name.as_str()))
        .map(|c| c.name.clone())
        .collect();
    let mut unmapped: Vec<String> = src_cols
        .keys()
        .filter(|c| !list.contains(&s(c)) && !list.contains(&format!("src.{c}")))
        .cloned()
        .collect();
    unmapped.sort();
    Ok(Plan {
        map,
        cols,
        compare,
        unmapped,
        source_select,
        count_sql,
    })
}

fn source_col(
    map: &TableMap,
    src_cols: &HashMap<String, SourceCol>,
    c: &str,
    target_udt: &str,
) -> OpsResult<String> {
    match src_cols.get(c) {
        Some(sc) => Ok(convert(c, sc, target_udt)),
        None => Err(OpsError::Invalid(format!(
            "{}: source column {c} is missing (unknown layout variant)",
            map.source_name()
        ))),
    }
}

/// The conversion of a copied source column by source and target type.
fn convert(col: &str, sc: &SourceCol, target_udt: &str) -> String {
    let c = s(col);
    match sc.data_type.as_str() {
        "timestamp without time zone" if target_udt == "timestamptz" => {
            format!("({c} AT TIME ZONE 'UTC')")
        }
        "USER-DEFINED" => format!("{c}::text"),
        "inet" if target_udt == "text" => format!("host({c})"),
        "numeric" if target_udt == "float8" => format!("{c}::float8"),
        "uuid" if target_udt == "text" => format!("{c}::text"),
        _ => c,
    }
}

impl Plan {
    /// Source rows (with the mapping's filter).
    pub async fn count_source(&self, src: &DatabaseConnection) -> Result<u64, DbErr> {
        let row = src
            .query_one_raw(stmt(self.count_sql.clone(), vec![]))
            .await?;
        Ok(match row {
            Some(r) => u64::try_from(r.try_get::<i64>("", "n")?).unwrap_or(0),
            None => 0,
        })
    }

    /// The next batch of source rows after key `after`: (key, converted row).
    async fn read_batch(
        &self,
        src: &DatabaseConnection,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<(String, Map<String, Value>)>, DbErr> {
        let rows = src
            .query_all_raw(stmt(
                self.source_select.clone(),
                vec![
                    after.map(str::to_owned).into(),
                    i64::try_from(limit).unwrap_or(i64::MAX).into(),
                ],
            ))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let key: Option<String> = r.try_get("", "_k")?;
            let value: Value = r.try_get("", "r")?;
            let Value::Object(obj) = value else {
                return Err(DbErr::Custom("source row is not an object".into()));
            };
            out.push((key.unwrap_or_default(), obj));
        }
        Ok(out)
    }

    /// Problems of one converted row (empty: valid). Reasons name columns and, for
    /// enumerations, the offending value; never a Billy key or ciphertext.
    pub fn validate(&self, key: &str, row: &Map<String, Value>) -> Vec<String> {
        let mut problems = Vec::new();
        if key.is_empty() {
            problems.push("source key is NULL".to_owned());
        }
        for c in &self.cols {
            let v = row.get(&c.name).unwrap_or(&Value::Null);
            if v.is_null() {
                if !c.nullable && !self.map.or_now.contains(&c.name.as_str()) {
                    problems.push(format!(
                        "{}: NULL, but the canonical column is NOT NULL",
                        c.name
                    ));
                }
                continue;
            }
            if let Some(allowed) = &c.allowed {
                match v.as_str() {
                    Some(x) if allowed.iter().any(|a| a == x) => {}
                    Some(x) => problems.push(format!(
                        "{}: unknown value '{}' (allowed: {})",
                        c.name,
                        x.chars().take(40).collect::<String>(),
                        allowed.join(", ")
                    )),
                    None => problems.push(format!("{}: not text", c.name)),
                }
            }
            if c.udt == "uuid"
                && v.as_str()
                    .and_then(|x| sea_orm::prelude::Uuid::parse_str(x).ok())
                    .is_none()
            {
                problems.push(format!("{}: not a uuid", c.name));
            }
            if c.udt == "vector"
                && let Some(p) = check_vector(v, c.dims)
            {
                problems.push(format!("{}: {p}", c.name));
            }
        }
        if self.map.billy_key {
            match row.get("billy_api_key").and_then(Value::as_str) {
                Some(k) if KeyScheme::of(k) != KeyScheme::Unrecognised => {}
                Some(_) => {
                    problems.push("billy_api_key: not a recognised ciphertext format".to_owned())
                }
                None => {}
            }
        }
        for check in &self.map.checks {
            if let Some(p) = check(row) {
                problems.push(p);
            }
        }
        problems
    }

    fn key_match(&self, a: &str, b: &str) -> String {
        self.map
            .conflict
            .iter()
            .map(|k| format!("{a}.{} = {b}.{}", q(k), q(k)))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    fn target(&self) -> String {
        format!("{}.{}", q(self.map.target.0), q(self.map.target.1))
    }

    /// `WITH p AS (…)`: the batch's rows as target row values (`$1`: JSON array), with
    /// `__k` (source key) and `ord`; `or_now` columns fall back to the target, then now().
    fn prepared(&self) -> String {
        let list = self
            .cols
            .iter()
            .map(|c| {
                let n = q(&c.name);
                if self.map.or_now.contains(&c.name.as_str()) {
                    format!("coalesce(p0.{n}, t.{n}, now()) AS {n}")
                } else {
                    format!("p0.{n} AS {n}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "WITH p AS (SELECT j.ord, (j.e ->> '__k') AS __k, {list}
               FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS j(e, ord)
               CROSS JOIN LATERAL jsonb_populate_record(NULL::{tgt}, j.e) AS p0
               LEFT JOIN {tgt} AS t ON {on})",
            tgt = self.target(),
            on = self.key_match("t", "p0"),
        )
    }

    /// Upserts the rows; returns how many were inserted and updated.
    async fn upsert<C: ConnectionTrait>(&self, db: &C, rows: &Value) -> Result<(u64, u64), DbErr> {
        let cols = self
            .cols
            .iter()
            .map(|c| q(&c.name))
            .collect::<Vec<_>>()
            .join(", ");
        let update: Vec<&String> = self
            .compare
            .iter()
            .filter(|c| !self.map.conflict.contains(&c.as_str()))
            .collect();
        let conflict = self
            .map
            .conflict
            .iter()
            .map(|c| q(c))
            .collect::<Vec<_>>()
            .join(", ");
        let action = if update.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            format!(
                "DO UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({})",
                update
                    .iter()
                    .map(|c| format!("{0} = EXCLUDED.{0}", q(c)))
                    .collect::<Vec<_>>()
                    .join(", "),
                update
                    .iter()
                    .map(|c| format!("t0.{}", q(c)))
                    .collect::<Vec<_>>()
                    .join(", "),
                update
                    .iter()
                    .map(|c| format!("EXCLUDED.{}", q(c)))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        };
        let sql = format!(
            "{} INSERT INTO {} AS t0 ({cols}) SELECT {cols} FROM p ORDER BY ord \
             ON CONFLICT ({conflict}) {action} RETURNING (xmax = 0) AS inserted",
            self.prepared(),
            self.target()
        );
        let res = db
            .query_all_raw(stmt(sql, vec![rows.clone().into()]))
            .await?;
        let mut inserted = 0;
        for r in &res {
            if r.try_get::<bool>("", "inserted")? {
                inserted += 1;
            }
        }
        let updated = res.len() as u64 - inserted;
        // `updated_at` / `last_updated` touch triggers replace an unchanged timestamp with
        // now(); put the legacy value back so a re-run compares equal.
        for touched in ["updated_at", "last_updated"] {
            if self.compare.iter().any(|c| c == touched) {
                let n = q(touched);
                let sql = format!(
                    "{} UPDATE {} AS t0 SET {n} = p.{n} FROM p WHERE {} AND t0.{n} IS DISTINCT FROM p.{n}",
                    self.prepared(),
                    self.target(),
                    self.key_match("t0", "p")
                );
                db.execute_raw(stmt(sql, vec![rows.clone().into()])).await?;
            }
        }
        Ok((inserted, updated))
    }

    /// Per row (source order): source key, MD5 of the converted values, MD5 of the target
    /// row's same columns (`None`: no target row).
    async fn md5s<C: ConnectionTrait>(
        &self,
        db: &C,
        rows: &Value,
    ) -> Result<Vec<(String, String, Option<String>)>, DbErr> {
        let row_of = |a: &str| {
            format!(
                "md5(row({})::text)",
                self.compare
                    .iter()
                    .map(|c| format!("{a}.{}", q(c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let first_key = q(self.map.conflict.first().copied().unwrap_or("id"));
        let sql = format!(
            "{} SELECT p.__k, {} AS sm, CASE WHEN t2.{first_key} IS NULL THEN NULL ELSE {} END AS tm \
             FROM p LEFT JOIN {} AS t2 ON {} ORDER BY p.ord",
            self.prepared(),
            row_of("p"),
            row_of("t2"),
            self.target(),
            self.key_match("t2", "p")
        );
        let res = db
            .query_all_raw(stmt(sql, vec![rows.clone().into()]))
            .await?;
        res.iter()
            .map(|r| {
                Ok((
                    r.try_get("", "__k")?,
                    r.try_get("", "sm")?,
                    r.try_get("", "tm")?,
                ))
            })
            .collect()
    }
}

/// Checks a vector's text form: `[x,y,…]`, finite numbers, the column's dimensions.
fn check_vector(v: &Value, dims: Option<usize>) -> Option<String> {
    let Some(text) = v.as_str() else {
        return Some("not a vector".to_owned());
    };
    let Some(inner) = text
        .trim()
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
    else {
        return Some("malformed vector (not [x,y,…])".to_owned());
    };
    let mut n = 0usize;
    for part in inner.split(',') {
        match part.trim().parse::<f32>() {
            Ok(x) if x.is_finite() => n += 1,
            _ => return Some("malformed vector (a component is not a finite number)".to_owned()),
        }
    }
    match dims {
        Some(d) if d != n => Some(format!(
            "vector has {n} dimensions, the canonical column has {d}"
        )),
        _ => None,
    }
}

/// Running SHA-256 over per-row MD5s (the report's checksum).
#[derive(Default)]
struct Digest2 {
    source: Sha256,
    target: Sha256,
}

impl Digest2 {
    fn add(&mut self, source: &str, target: Option<&str>) {
        self.source.update(source.as_bytes());
        self.source.update(b"\n");
        self.target.update(target.unwrap_or("missing").as_bytes());
        self.target.update(b"\n");
    }

    fn finish(self) -> (String, String) {
        let hex = |h: Sha256| {
            h.finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        (hex(self.source), hex(self.target))
    }
}

/// Result of one row processed on its own.
enum RowOutcome {
    Inserted,
    Updated,
    Unchanged,
    Rejected(String),
}

/// Runs one table. `parent` is the target connection (real run, verify) or the dry-run
/// transaction; each batch is a transaction (a savepoint under a dry run), committed on
/// import and rolled back on verify. Returns the report and whether the run stopped
/// because `--stop-after` was reached.
pub async fn run_table<C: TransactionTrait<Transaction = DatabaseTransaction>>(
    parent: &C,
    src: &DatabaseConnection,
    plan: &Plan,
    opts: &mut RunOpts<'_>,
    step: &mut Step,
) -> OpsResult<(TableReport, bool)> {
    let mut report = TableReport::new(
        plan.map.layout,
        plan.map.source_name(),
        plan.map.target_name(),
    );
    report.source_rows = plan.count_source(src).await?;
    report.unmapped_source_columns = plan.unmapped.clone();
    let mut digest = Digest2::default();
    let mut after: Option<String> = None;
    let mut stopped = false;
    if plan.map.billy_key && opts.keyring.is_none() && report.source_rows > 0 {
        return Err(OpsError::Invalid(
            "billy organizations need the Billy keyring (BILLY_KEYRING_CURRENT_KEY_ID, BILLY_KEYRING_KEYS) \
             and the legacy secret (ENCRYPTION_KEY, ENCRYPTION_SALT) to re-encrypt API keys"
                .to_owned(),
        ));
    }
    loop {
        let mut limit = opts.batch_size;
        if let Some(b) = opts.budget {
            if b == 0 {
                stopped = true;
                break;
            }
            limit = limit.min(b);
        }
        let batch = plan.read_batch(src, after.as_deref(), limit).await?;
        let Some((last, _)) = batch.last() else {
            break;
        };
        after = Some(last.clone());
        let n = batch.len() as u64;
        let mut valid = Vec::new();
        for (key, row) in batch {
            let problems = plan.validate(&key, &row);
            if problems.is_empty() {
                valid.push((key, row));
            } else {
                report.skip(&key, &problems.join("; "));
            }
        }
        let txn = parent.begin().await?;
        let outcome = process_batch(&txn, plan, &valid, opts, &mut report, &mut digest).await;
        match (outcome, opts.action) {
            (Ok(()), Action::Import) => txn.commit().await?,
            (Ok(()), Action::Verify) => txn.rollback().await?,
            (Err(e), _) => {
                txn.rollback().await?;
                return Err(e);
            }
        }
        step.advance(n);
        if let Some(b) = opts.budget.as_mut() {
            *b = b.saturating_sub(n);
        }
        if n < limit && opts.budget.is_none_or(|b| b > 0) {
            break;
        }
    }
    let (s, t) = digest.finish();
    report.source_checksum = s;
    report.target_checksum = t;
    Ok((report, stopped))
}

fn batch_json(rows: &[(String, Map<String, Value>)]) -> Value {
    Value::Array(
        rows.iter()
            .map(|(k, r)| {
                let mut o = r.clone();
                o.insert("__k".to_owned(), Value::String(k.clone()));
                Value::Object(o)
            })
            .collect(),
    )
}

async fn process_batch(
    txn: &DatabaseTransaction,
    plan: &Plan,
    valid: &[(String, Map<String, Value>)],
    opts: &RunOpts<'_>,
    report: &mut TableReport,
    digest: &mut Digest2,
) -> OpsResult<()> {
    if valid.is_empty() {
        return Ok(());
    }
    let mut accepted: Vec<(String, Map<String, Value>)> = Vec::with_capacity(valid.len());
    match opts.action {
        Action::Verify => accepted.extend(valid.iter().cloned()),
        Action::Import if !plan.map.billy_key => {
            let sp = txn.begin().await?;
            match plan.upsert(&sp, &batch_json(valid)).await {
                Ok((ins, upd)) => {
                    sp.commit().await?;
                    report.inserted += ins;
                    report.updated += upd;
                    report.unchanged += valid.len() as u64 - ins - upd;
                    accepted.extend(valid.iter().cloned());
                }
                Err(_) => {
                    sp.rollback().await?;
                    one_by_one(txn, plan, valid, opts, report, &mut accepted).await?;
                }
            }
        }
        Action::Import => one_by_one(txn, plan, valid, opts, report, &mut accepted).await?,
    }
    if accepted.is_empty() {
        return Ok(());
    }
    let sums = plan.md5s(txn, &batch_json(&accepted)).await?;
    let by_key: HashMap<&str, &Map<String, Value>> =
        accepted.iter().map(|(k, r)| (k.as_str(), r)).collect();
    for (key, sm, tm) in &sums {
        if opts.action == Action::Verify
            && tm.is_none()
            && let Some(row) = by_key.get(key.as_str())
        {
            // Would the import refuse it (a parent skipped, a key that cannot be
            // decrypted…)? Try it in a savepoint that is rolled back.
            let sp = txn.begin().await?;
            let outcome = one_row(&sp, plan, key, row, opts).await?;
            sp.rollback().await?;
            if let RowOutcome::Rejected(reason) = outcome {
                report.skip(key, &reason);
                continue;
            }
        }
        let mut equal = tm.as_deref() == Some(sm.as_str());
        if opts.action == Action::Verify {
            if equal
                && plan.map.billy_key
                && let (Some(row), Some(keyring)) = (by_key.get(key.as_str()), opts.keyring)
            {
                equal = billy_key_matches(txn, keyring, row).await?;
            }
            match (tm, equal) {
                (None, _) => report.missing += 1,
                (Some(_), false) => report.different += 1,
                (Some(_), true) => report.equal += 1,
            }
        }
        digest.add(sm, tm.as_deref());
    }
    Ok(())
}

/// Rows one at a time, each in a savepoint: a row the target refuses (foreign key,
/// unique, check…) is skipped with the database's reason; so is a Billy key that cannot
/// be decrypted.
async fn one_by_one(
    txn: &DatabaseTransaction,
    plan: &Plan,
    rows: &[(String, Map<String, Value>)],
    opts: &RunOpts<'_>,
    report: &mut TableReport,
    accepted: &mut Vec<(String, Map<String, Value>)>,
) -> OpsResult<()> {
    for (key, row) in rows {
        let sp = txn.begin().await?;
        let outcome = one_row(&sp, plan, key, row, opts).await?;
        match outcome {
            RowOutcome::Rejected(reason) => {
                sp.rollback().await?;
                report.skip(key, &reason);
                continue;
            }
            RowOutcome::Inserted => report.inserted += 1,
            RowOutcome::Updated => report.updated += 1,
            RowOutcome::Unchanged => report.unchanged += 1,
        }
        sp.commit().await?;
        accepted.push((key.clone(), row.clone()));
    }
    Ok(())
}

async fn one_row(
    sp: &DatabaseTransaction,
    plan: &Plan,
    key: &str,
    row: &Map<String, Value>,
    opts: &RunOpts<'_>,
) -> OpsResult<RowOutcome> {
    let json = batch_json(&[(key.to_owned(), row.clone())]);
    let inner = sp.begin().await?;
    let (ins, upd) = match plan.upsert(&inner, &json).await {
        Ok(x) => {
            inner.commit().await?;
            x
        }
        Err(e) => {
            inner.rollback().await?;
            return Ok(RowOutcome::Rejected(format!(
                "refused by the target: {}",
                db_message(&e)
            )));
        }
    };
    let mut changed = false;
    if plan.map.billy_key
        && let Some(keyring) = opts.keyring
    {
        match billy_rekey(sp, keyring, row).await? {
            Ok(c) => changed = c,
            Err(reason) => return Ok(RowOutcome::Rejected(reason)),
        }
        if changed {
            // replace_api_key touched updated_at: restore the legacy value.
            plan.upsert(sp, &json).await?;
        }
    }
    Ok(if ins > 0 {
        RowOutcome::Inserted
    } else if upd > 0 || changed {
        RowOutcome::Updated
    } else {
        RowOutcome::Unchanged
    })
}

/// The database's message of an error, without the statement (which has no values, but
/// is long).
fn db_message(e: &DbErr) -> String {
    let text = e.to_string();
    let text = text
        .rsplit("error returned from database: ")
        .next()
        .unwrap_or(&text);
    let text = match text.rsplit_once(" at line ") {
        Some((head, tail)) if tail.chars().all(|c| c.is_ascii_digit()) => head,
        _ => text,
    };
    text.chars().take(200).collect()
}

fn row_uuid(row: &Map<String, Value>) -> Option<sea_orm::prelude::Uuid> {
    row.get("id")
        .and_then(Value::as_str)
        .and_then(|s| sea_orm::prelude::Uuid::parse_str(s).ok())
}

/// Decrypts `stored` (or the row's current value) as organisation `id` through the
/// service, inside a savepoint that is rolled back (the service reads the key from the
/// row and refuses inactive organisations).
async fn reveal_stored(
    db: &DatabaseTransaction,
    keyring: &Keyring,
    id: sea_orm::prelude::Uuid,
    stored: Option<&str>,
) -> OpsResult<Option<ApiKey>> {
    let sp = db.begin().await?;
    let (sql, values): (&str, Vec<SqlValue>) = match stored {
        Some(v) => (
            "UPDATE billy.organizations SET is_active = true, billy_api_key = $2 WHERE id = $1",
            vec![id.into(), v.to_owned().into()],
        ),
        None => (
            "UPDATE billy.organizations SET is_active = true WHERE id = $1",
            vec![id.into()],
        ),
    };
    sp.execute_raw(stmt(sql, values)).await?;
    let key = reveal_api_key(&sp, keyring, id).await.ok();
    sp.rollback().await?;
    Ok(key)
}

async fn current_ciphertext(
    db: &DatabaseTransaction,
    id: sea_orm::prelude::Uuid,
) -> OpsResult<Option<String>> {
    let row = db
        .query_one_raw(stmt(
            "SELECT billy_api_key FROM billy.organizations WHERE id = $1",
            vec![id.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("", "billy_api_key")?),
        None => None,
    })
}

/// Makes the organisation's stored key the legacy key's plaintext under the current key.
/// `Ok(Ok(true))`: re-encrypted; `Ok(Ok(false))`: already so; `Ok(Err(reason))`: the
/// legacy value cannot be decrypted (the row is skipped).
async fn billy_rekey(
    db: &DatabaseTransaction,
    keyring: &Keyring,
    row: &Map<String, Value>,
) -> OpsResult<Result<bool, String>> {
    let (Some(id), Some(legacy)) = (
        row_uuid(row),
        row.get("billy_api_key").and_then(Value::as_str),
    ) else {
        return Ok(Err("billy_api_key: missing".to_owned()));
    };
    let Some(plain) = reveal_stored(db, keyring, id, Some(legacy)).await? else {
        return Ok(Err(
            "billy_api_key: cannot be decrypted with the configured keys (legacy ENCRYPTION_KEY/ENCRYPTION_SALT or keyring)"
                .to_owned(),
        ));
    };
    if current_matches(db, keyring, id, &plain).await? {
        return Ok(Ok(false));
    }
    match replace_api_key(db, keyring, id, plain, None).await {
        Ok(_) => Ok(Ok(true)),
        Err(e) => Ok(Err(format!(
            "billy_api_key: refused by the service ({})",
            e.code()
        ))),
    }
}

/// Whether the stored key is under the current key id and decrypts to `plain`.
async fn current_matches(
    db: &DatabaseTransaction,
    keyring: &Keyring,
    id: sea_orm::prelude::Uuid,
    plain: &ApiKey,
) -> OpsResult<bool> {
    let Some(current) = current_ciphertext(db, id).await? else {
        return Ok(false);
    };
    if KeyScheme::of(&current).key_id() != Some(keyring.current_key_id().as_str()) {
        return Ok(false);
    }
    Ok(reveal_stored(db, keyring, id, None)
        .await?
        .is_some_and(|k| k.expose() == plain.expose()))
}

/// Verify: the target key is under the current key and equals the legacy plaintext.
async fn billy_key_matches(
    db: &DatabaseTransaction,
    keyring: &Keyring,
    row: &Map<String, Value>,
) -> OpsResult<bool> {
    let (Some(id), Some(legacy)) = (
        row_uuid(row),
        row.get("billy_api_key").and_then(Value::as_str),
    ) else {
        return Ok(false);
    };
    // The legacy plaintext, through the service: write the legacy value into the row in
    // a savepoint (rolled back) and reveal it.
    let Some(plain) = reveal_stored(db, keyring, id, Some(legacy)).await? else {
        return Ok(false);
    };
    current_matches(db, keyring, id, &plain).await
}

/// Skip reasons → counts.
pub type Reasons = BTreeMap<String, u64>;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    #[test]
    fn parses_simple_any_checks() {
        let (c, v) =
            super::parse_any_check("CHECK ((status = ANY (ARRAY['a'::text, 'b''c'::text])))")
                .unwrap();
        assert_eq!(c, "status");
        assert_eq!(v, vec!["a", "b'c"]);
        assert!(super::parse_any_check("CHECK ((rating >= 0))").is_none());
    }

    #[test]
    fn vectors_are_checked() {
        assert_eq!(super::check_vector(&json!("[1,2,3]"), Some(3)), None);
        assert!(
            super::check_vector(&json!("[1,2]"), Some(3))
                .unwrap()
                .contains("2 dimensions")
        );
        assert!(
            super::check_vector(&json!("[1,x]"), None)
                .unwrap()
                .contains("malformed")
        );
        assert!(
            super::check_vector(&json!("1,2"), None)
                .unwrap()
                .contains("malformed")
        );
    }
}
