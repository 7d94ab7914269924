//! What every operator command returns: a report that prints as a table for people and as
//! JSON for machines (`--json`), and says whether the command succeeded (exit code).

use serde::Serialize;

/// A command's outcome.
pub trait Report: Serialize {
    /// The report for people (a summary table).
    fn human(&self) -> String;
    /// Whether the command succeeded; the process exits non-zero otherwise.
    fn ok(&self) -> bool {
        true
    }
}

/// A plain text table: a header row and rows, columns padded to their widest cell;
/// numeric-looking cells are right-aligned.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                let numeric = !c.is_empty()
                    && c.chars()
                        .all(|ch| ch.is_ascii_digit() || ch == '.' || ch == '-');
                if numeric {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = line(header.iter().map(|h| (*h).to_owned()).collect());
    out.push('\n');
    out.push_str(
        &widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  "),
    );
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.clone()));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn pads_and_aligns() {
        let t = super::table(
            &["table", "rows"],
            &[
                vec!["renos.leads".into(), "5".into()],
                vec!["x".into(), "1234".into()],
            ],
        );
        assert_eq!(
            t,
            "table        rows\n-----------  ----\nrenos.leads     5\nx            1234\n"
        );
    }
}
