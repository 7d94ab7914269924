//! Top-level lists: filter, total order, offset or keyset (cursor) pagination and the
//! total count, all in one statement.

use sea_orm::QueryResult;
use serde_json::Value as Json;

use super::catalog::{Table, catalog};
use super::cursor;
use super::exec;
use super::filter::{Filter, FilterRenderer};
use super::order::{self, Key, OrderBy};
use super::select;
use super::sql::{Built, Params};
use crate::{Error, Result};

/// Rows per page when the caller gives no size.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// Most rows per page (a larger size is a validation error).
pub const MAX_PAGE_SIZE: i64 = 1000;

/// Which slice of the ordered rows to return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Page {
    /// Skip `offset` rows, return up to `limit` (default [`DEFAULT_PAGE_SIZE`]).
    Offset {
        /// Rows to skip (≥ 0).
        offset: i64,
        /// Page size (1..=[`MAX_PAGE_SIZE`]).
        limit: Option<i64>,
    },
    /// Relay forward pagination: up to `first` rows after `cursor` (from the start when
    /// none).
    After {
        /// A `__cursor` of an earlier page under the same ordering.
        cursor: Option<String>,
        /// Page size (1..=[`MAX_PAGE_SIZE`]).
        first: Option<i64>,
    },
    /// Relay backward pagination: the `last` rows before `cursor` (the end when none),
    /// returned in the list's order.
    Before {
        /// A `__cursor` of an earlier page under the same ordering.
        cursor: Option<String>,
        /// Page size (1..=[`MAX_PAGE_SIZE`]).
        last: Option<i64>,
    },
}

impl Default for Page {
    fn default() -> Self {
        Self::After {
            cursor: None,
            first: None,
        }
    }
}

/// A list of rows of one table.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// `schema.table`.
    pub table: String,
    /// Readable columns to return (each row holds exactly these, plus `__cursor`).
    pub columns: Vec<String>,
    /// Condition on the rows.
    pub filter: Option<Filter>,
    /// Sort keys; the primary key is always appended as tie-break.
    pub order: Vec<OrderBy>,
    /// The slice to return.
    pub page: Page,
    /// Whether to count all rows matching the filter (`totalCount`).
    pub with_total: bool,
    /// Give only the first and the last row a `__cursor` (enough for `pageInfo`); every
    /// row gets one otherwise (Relay edges).
    pub skip_row_cursors: bool,
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq)]
pub struct Connection {
    /// Row objects of the selected columns, each with its opaque `__cursor` string.
    pub rows: Vec<Json>,
    /// Rows matching the filter, regardless of the page (when requested).
    pub total_count: Option<i64>,
    /// More rows follow this page (exact for `After` and `Offset`; for `Before`, true
    /// when a cursor was given).
    pub has_next_page: bool,
    /// Rows precede this page (exact for `Before` and `Offset`; for `After`, true when a
    /// cursor was given, as Relay allows).
    pub has_previous_page: bool,
}

impl Connection {
    /// The cursor of the first row.
    pub fn start_cursor(&self) -> Option<&str> {
        self.rows.first().and_then(|r| r["__cursor"].as_str())
    }

    /// The cursor of the last row.
    pub fn end_cursor(&self) -> Option<&str> {
        self.rows.last().and_then(|r| r["__cursor"].as_str())
    }
}

/// A built list statement and what is needed to read its result.
#[derive(Debug)]
pub struct ListPlan {
    /// The statement.
    pub built: Built,
    fingerprint: String,
    size: i64,
    backward: bool,
    cursor_given: bool,
    offset: i64,
    with_total: bool,
    skip_row_cursors: bool,
}

/// A page size: `None` → default; outside 1..=max → validation error on `field`.
pub fn page_size(size: Option<i64>, field: &str) -> Result<i64> {
    let n = size.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&n) {
        return Err(Error::invalid(
            field,
            format!("must be between 1 and {MAX_PAGE_SIZE}"),
        ));
    }
    Ok(n)
}

/// An offset: negative → validation error on `field`.
pub fn non_negative(n: i64, field: &str) -> Result<i64> {
    if n < 0 {
        return Err(Error::invalid(field, "must not be negative"));
    }
    Ok(n)
}

impl ListQuery {
    /// The statement: `SELECT row, cur [, total] ... ORDER BY <keys> LIMIT size + 1`.
    pub fn build(&self) -> Result<ListPlan> {
        let cat = catalog()?;
        let table = cat.table(&self.table)?;
        let columns = select::columns(table, &self.columns)?;
        let keys = order::resolve(table, &self.order)?;
        let fingerprint = order::fingerprint(table, &keys);
        let mut params = Params::default();
        let filter = match &self.filter {
            Some(f) => FilterRenderer::new(cat, &mut params).render(table, "t0", f)?,
            None => "TRUE".to_owned(),
        };
        let (size, backward, cursor, offset) = match &self.page {
            Page::Offset { offset, limit } => (
                page_size(*limit, "page.limit")?,
                false,
                None,
                non_negative(*offset, "page.offset")?,
            ),
            Page::After { cursor, first } => (
                page_size(*first, "page.first")?,
                false,
                cursor.as_deref(),
                0,
            ),
            Page::Before { cursor, last } => {
                (page_size(*last, "page.last")?, true, cursor.as_deref(), 0)
            }
        };
        let scan: Vec<Key<'_>> = if backward {
            keys.iter().map(|k| k.reversed()).collect()
        } else {
            keys.clone()
        };
        let field = if backward {
            "page.before"
        } else {
            "page.after"
        };
        let mut cond = format!("({filter})");
        if let Some(c) = cursor {
            let values = cursor::decode(c, &fingerprint, field)?;
            cond = format!(
                "{cond} AND {}",
                order::after(&scan, "t0", &values, &mut params, field)?
            );
        }
        let limit = params.bind_i64(size + 1);
        let offset_sql = if offset > 0 {
            format!(" OFFSET {}", params.bind_i64(offset))
        } else {
            String::new()
        };
        let sql = select_sql(
            table,
            &SelectParts {
                row: &select::json_object("t0", &columns),
                cur: &cursor::keys_sql(&keys, "t0"),
                cond: &cond,
                filter: &filter,
                limit: &limit,
                offset: &offset_sql,
                with_total: self.with_total,
            },
            &scan,
        );
        Ok(ListPlan {
            built: params.finish(sql),
            fingerprint,
            size,
            backward,
            cursor_given: cursor.is_some(),
            offset,
            with_total: self.with_total,
            skip_row_cursors: self.skip_row_cursors,
        })
    }
}

struct SelectParts<'a> {
    row: &'a str,
    cur: &'a str,
    cond: &'a str,
    filter: &'a str,
    limit: &'a str,
    offset: &'a str,
    with_total: bool,
}

fn select_sql(table: &Table, p: &SelectParts<'_>, scan: &[Key<'_>]) -> String {
    let from = table.sql_name();
    let order_by = order::clause(scan, |_, c| order::column_of("t0")(c));
    if !p.with_total {
        return format!(
            "SELECT {} AS row, {} AS cur FROM {from} AS t0 WHERE {} ORDER BY {order_by} LIMIT {}{}",
            p.row, p.cur, p.cond, p.limit, p.offset
        );
    }
    // The count and the page in one statement; the LEFT JOIN keeps the count when the
    // page is empty, and the outer ORDER BY restores the page order after the join.
    let keys: Vec<String> = scan
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{} AS __o{i}", order::column_of("t0")(k.column)))
        .collect();
    let outer = order::clause(scan, |i, _| format!("s.__o{i}"));
    format!(
        "SELECT c.total AS total, s.row AS row, s.cur AS cur \
         FROM (SELECT count(*) AS total FROM {from} AS t0 WHERE {}) AS c \
         LEFT JOIN (SELECT {} AS row, {} AS cur, {} FROM {from} AS t0 WHERE {} \
         ORDER BY {order_by} LIMIT {}{}) AS s ON TRUE ORDER BY {outer}",
        p.filter,
        p.row,
        p.cur,
        keys.join(", "),
        p.cond,
        p.limit,
        p.offset
    )
}

impl ListPlan {
    /// The page from the statement's rows.
    pub fn decode(&self, rows: &[QueryResult]) -> Result<Connection> {
        let mut total_count = None;
        let mut out = Vec::with_capacity(rows.len());
        let mut cursor_keys = Vec::with_capacity(rows.len());
        for r in rows {
            if self.with_total && total_count.is_none() {
                total_count = exec::int(r, "total")?;
            }
            let Some(row) = exec::json(r, "row")? else {
                continue;
            };
            cursor_keys.push(exec::json(r, "cur")?.unwrap_or(Json::Null));
            out.push(row);
        }
        let more = i64::try_from(out.len()).unwrap_or(i64::MAX) > self.size;
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        out.truncate(size);
        cursor_keys.truncate(size);
        let last = out.len().saturating_sub(1);
        for (i, (row, keys)) in out.iter_mut().zip(cursor_keys).enumerate() {
            if self.skip_row_cursors && i != 0 && i != last {
                continue;
            }
            if let Json::Object(map) = row {
                map.insert(
                    "__cursor".to_owned(),
                    Json::String(cursor::encode(&self.fingerprint, keys)),
                );
            }
        }
        let (has_next_page, has_previous_page) = if self.backward {
            out.reverse();
            (self.cursor_given, more)
        } else if self.cursor_given {
            (more, true)
        } else {
            (more, self.offset > 0)
        };
        Ok(Connection {
            rows: out,
            total_count: if self.with_total {
                Some(total_count.unwrap_or(0))
            } else {
                None
            },
            has_next_page,
            has_previous_page,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use serde_json::json;

    use super::*;
    use crate::read::filter::Op;
    use crate::read::order::Nulls;

    fn customers(order: Vec<OrderBy>) -> ListQuery {
        ListQuery {
            table: "renos.customers".into(),
            columns: vec!["id".into()],
            order,
            ..Default::default()
        }
    }

    #[test]
    fn mixed_directions_and_nulls_expand_to_an_or_chain_with_shared_parameters() {
        let q0 = customers(vec![
            OrderBy::desc("last_contact_at").nulls(Nulls::Last),
            OrderBy::asc("name"),
        ]);
        let fp = q0.build().unwrap().fingerprint;
        let keys = json!(["2024-01-01T00:00:00+00:00", "P1", "p01"]);
        let q = ListQuery {
            filter: Some(Filter::col("name", Op::Like(json!("P%")))),
            page: Page::After {
                cursor: Some(cursor::encode(&fp, keys)),
                first: Some(3),
            },
            with_total: true,
            ..q0
        };
        let b = q.build().unwrap().built;
        assert!(b.sql.contains(
            "((t0.\"last_contact_at\" < $2::timestamptz OR t0.\"last_contact_at\" IS NULL)) \
             OR (t0.\"last_contact_at\" = $2::timestamptz AND t0.\"name\" > $3::text) \
             OR (t0.\"last_contact_at\" = $2::timestamptz AND t0.\"name\" = $3::text AND t0.\"id\" > $4::text)"
        ));
        assert!(b.sql.contains("SELECT count(*) AS total FROM \"renos\".\"customers\" AS t0 WHERE t0.\"name\" LIKE $1::text"));
        assert_eq!(b.values.len(), 5);
    }

    #[test]
    fn a_null_cursor_value_and_backward_pages() {
        let q0 = customers(vec![OrderBy::asc("last_contact_at")]);
        let fp = q0.build().unwrap().fingerprint;
        let q = ListQuery {
            page: Page::Before {
                cursor: Some(cursor::encode(&fp, json!([null, "c9"]))),
                last: None,
            },
            ..q0
        };
        let b = q.build().unwrap().built;
        // Reversed: DESC NULLS FIRST; before a NULL there are NULLs with a smaller id and
        // every non-NULL value.
        assert!(b.sql.contains(
            "((t0.\"last_contact_at\" IS NOT NULL) OR (t0.\"last_contact_at\" IS NULL AND t0.\"id\" < $1::text))"
        ));
        assert!(b.sql.contains(
            "ORDER BY t0.\"last_contact_at\" DESC NULLS FIRST, t0.\"id\" DESC NULLS FIRST"
        ));
    }

    #[test]
    fn uniform_not_null_keys_use_a_row_comparison() {
        let q0 = customers(vec![OrderBy::desc("created_at")]);
        let fp = q0.build().unwrap().fingerprint;
        let q = ListQuery {
            page: Page::After {
                cursor: Some(cursor::encode(&fp, json!(["2024-01-01T00:00:00Z", "c1"]))),
                first: None,
            },
            ..customers(vec![OrderBy::desc("created_at"), OrderBy::desc("id")])
        };
        // Another ordering: the cursor is refused.
        assert!(q.build().is_err());
        let q0 = customers(vec![OrderBy::desc("created_at"), OrderBy::desc("id")]);
        let fp = q0.build().unwrap().fingerprint;
        let q = ListQuery {
            page: Page::After {
                cursor: Some(cursor::encode(&fp, json!(["2024-01-01T00:00:00Z", "c1"]))),
                first: None,
            },
            ..q0
        };
        let b = q.build().unwrap().built;
        assert!(
            b.sql
                .contains("(t0.\"created_at\", t0.\"id\") < ($1::timestamptz, $2::text)")
        );
    }
}
