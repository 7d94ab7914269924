//! The report of `tekup import legacy` and `tekup verify`.

use serde::Serialize;

use super::engine::{MAX_EXAMPLES, Reasons};
use crate::ops::Report;
use crate::ops::report::table;

/// A skipped source row, by key.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SkipExample {
    /// The source key (`id` or the mapping's key expression).
    pub key: String,
    pub reason: String,
}

/// One source table → one canonical table.
#[derive(Clone, Debug, Serialize)]
pub struct TableReport {
    pub layout: String,
    /// `schema.table` in the source.
    pub source: String,
    /// `schema.table` in the target.
    pub target: String,
    /// Source rows (all, also those a stopped run did not reach).
    pub source_rows: u64,
    /// Import: new target rows.
    pub inserted: u64,
    /// Import: target rows changed.
    pub updated: u64,
    /// Import: target rows already equal.
    pub unchanged: u64,
    /// Verify: valid source rows equal in the target.
    pub equal: u64,
    /// Verify: valid source rows whose target row differs.
    pub different: u64,
    /// Verify: valid source rows with no target row.
    pub missing: u64,
    /// Source rows not imported (invalid or refused by the target).
    pub skipped: u64,
    /// Skip reasons with their counts.
    pub skip_reasons: Reasons,
    /// The first skipped rows.
    pub skip_examples: Vec<SkipExample>,
    /// SHA-256 over the per-row MD5s of the converted source values of the rows imported
    /// (or compared), in source key order.
    pub source_checksum: String,
    /// The same over the target rows' same columns (`missing` for an absent row).
    pub target_checksum: String,
    /// Source columns that no canonical column takes (dropped as the spec says, e.g.
    /// Billy v1.3.0 cache counters, or a layout variant the mapping does not know).
    pub unmapped_source_columns: Vec<String>,
    /// Why the table failed (the run is then not ok).
    pub error: Option<String>,
}

impl TableReport {
    pub fn new(layout: &str, source: String, target: String) -> Self {
        Self {
            layout: layout.to_owned(),
            source,
            target,
            source_rows: 0,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            equal: 0,
            different: 0,
            missing: 0,
            skipped: 0,
            skip_reasons: Reasons::new(),
            skip_examples: Vec::new(),
            source_checksum: String::new(),
            target_checksum: String::new(),
            unmapped_source_columns: Vec::new(),
            error: None,
        }
    }

    /// Records a skipped row.
    pub fn skip(&mut self, key: &str, reason: &str) {
        self.skipped += 1;
        *self.skip_reasons.entry(reason.to_owned()).or_insert(0) += 1;
        if self.skip_examples.len() < MAX_EXAMPLES {
            self.skip_examples.push(SkipExample {
                key: key.to_owned(),
                reason: reason.to_owned(),
            });
        }
    }

    /// Whether source and target checksums agree.
    pub fn checksums_match(&self) -> bool {
        self.source_checksum == self.target_checksum
    }
}

/// A legacy layout and whether the source has it.
#[derive(Clone, Debug, Serialize)]
pub struct LayoutFound {
    pub layout: String,
    pub found: bool,
    /// Variant notes (e.g. the Billy audit-log shape).
    pub variant: Option<String>,
}

/// What `tekup import legacy` and `tekup verify` report.
#[derive(Debug, Serialize)]
pub struct LegacyReport {
    /// `import`, `dry-run` or `verify`.
    pub mode: String,
    /// The source URL, password redacted.
    pub source: String,
    pub layouts: Vec<LayoutFound>,
    pub tables: Vec<TableReport>,
    /// `--stop-after` was reached: the run ended early (as if killed).
    pub stopped_early: bool,
}

impl LegacyReport {
    /// A table's report by target name (`vault.documents`).
    pub fn table(&self, target: &str) -> Option<&TableReport> {
        self.tables.iter().find(|t| t.target == target)
    }
}

fn short(h: &str) -> String {
    h.chars().take(12).collect()
}

impl Report for LegacyReport {
    fn human(&self) -> String {
        let mut out = format!("{} from {}\n", self.mode, self.source);
        let found: Vec<&str> = self
            .layouts
            .iter()
            .filter(|l| l.found)
            .map(|l| l.layout.as_str())
            .collect();
        out.push_str(&format!(
            "layouts found: {}\n\n",
            if found.is_empty() {
                "none".to_owned()
            } else {
                found.join(", ")
            }
        ));
        for l in self.layouts.iter().filter(|l| l.variant.is_some()) {
            out.push_str(&format!(
                "  {}: {}\n",
                l.layout,
                l.variant.as_deref().unwrap_or_default()
            ));
        }
        let verify = self.mode == "verify";
        let header: Vec<&str> = if verify {
            vec![
                "source",
                "target",
                "rows",
                "equal",
                "different",
                "missing",
                "skipped",
                "source sum",
                "target sum",
            ]
        } else {
            vec![
                "source",
                "target",
                "rows",
                "inserted",
                "updated",
                "unchanged",
                "skipped",
                "source sum",
                "target sum",
            ]
        };
        let rows: Vec<Vec<String>> = self
            .tables
            .iter()
            .map(|t| {
                let (a, b, c) = if verify {
                    (t.equal, t.different, t.missing)
                } else {
                    (t.inserted, t.updated, t.unchanged)
                };
                let (ss, ts) = match &t.error {
                    Some(_) => ("FAILED".to_owned(), String::new()),
                    None if t.checksums_match() => (short(&t.source_checksum), "= same".to_owned()),
                    None => (short(&t.source_checksum), short(&t.target_checksum)),
                };
                vec![
                    t.source.clone(),
                    t.target.clone(),
                    t.source_rows.to_string(),
                    a.to_string(),
                    b.to_string(),
                    c.to_string(),
                    t.skipped.to_string(),
                    ss,
                    ts,
                ]
            })
            .collect();
        out.push_str(&table(&header, &rows));
        let mut notes = String::new();
        for t in &self.tables {
            if !t.unmapped_source_columns.is_empty() {
                notes.push_str(&format!(
                    "  {} → {}: source columns not imported: {}\n",
                    t.source,
                    t.target,
                    t.unmapped_source_columns.join(", ")
                ));
            }
            if let Some(e) = &t.error {
                notes.push_str(&format!("  {} → {}: FAILED: {e}\n", t.source, t.target));
            }
            for (reason, n) in &t.skip_reasons {
                notes.push_str(&format!(
                    "  {} → {}: {n} skipped: {reason}\n",
                    t.source, t.target
                ));
                let keys: Vec<&str> = t
                    .skip_examples
                    .iter()
                    .filter(|e| &e.reason == reason)
                    .map(|e| e.key.as_str())
                    .collect();
                if !keys.is_empty() {
                    notes.push_str(&format!("      e.g. source key {}\n", keys.join(", ")));
                }
            }
        }
        if !notes.is_empty() {
            out.push_str("\nnotes (skipped rows, failures, dropped columns):\n");
            out.push_str(&notes);
        }
        if self.stopped_early {
            out.push_str("\nstopped early (--stop-after): run the same command again to finish\n");
        }
        out.push_str(&format!("\n{}\n", if self.ok() { "ok" } else { "NOT OK" }));
        out
    }

    /// Import: no table failed and the run was not stopped early (skipped bad rows are
    /// reported, not failures). Verify: additionally every valid source row is present
    /// and equal in the target.
    fn ok(&self) -> bool {
        !self.stopped_early
            && self.tables.iter().all(|t| {
                t.error.is_none()
                    && (self.mode != "verify" || (t.different == 0 && t.missing == 0))
                    && (self.mode == "dry-run" || t.checksums_match())
            })
    }
}
