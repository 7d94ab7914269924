//! The manifest written beside a backup: what was dumped, the dump file's SHA-256, and per
//! table the row count and content checksum (`seeds::checksum`). `restore` verifies
//! against it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{OpsError, OpsResult};
use crate::checksum::{TableChecksum, combined};

/// Format version of the manifest file.
pub const VERSION: u32 = 1;

/// A backup's manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// When the backup was made (RFC 3339, UTC).
    pub created_at: String,
    /// The dumped schemas (`[]`: the whole database).
    pub schemas: Vec<String>,
    /// File name of the dump, beside the manifest.
    pub dump_file: String,
    /// SHA-256 of the dump file.
    pub dump_sha256: String,
    pub tables: Vec<TableChecksum>,
    /// `checksum::combined` over `tables`.
    pub combined: String,
}

impl Manifest {
    /// The manifest path of a dump file: `<dump>.manifest.json`.
    pub fn path_for(dump: &Path) -> PathBuf {
        let mut p = dump.as_os_str().to_owned();
        p.push(".manifest.json");
        PathBuf::from(p)
    }

    /// Writes the manifest as pretty JSON.
    pub fn write(&self, path: &Path) -> OpsResult<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| OpsError::Invalid(format!("manifest: {e}")))?;
        std::fs::write(path, text + "\n").map_err(|e| OpsError::io(path.display().to_string(), e))
    }

    /// Reads and checks a manifest: known version, and its combined checksum matches its
    /// table list (an edited table line is caught here).
    pub fn read(path: &Path) -> OpsResult<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| OpsError::io(path.display().to_string(), e))?;
        let m: Self = serde_json::from_str(&text)
            .map_err(|e| OpsError::Invalid(format!("{}: not a manifest: {e}", path.display())))?;
        if m.version != VERSION {
            return Err(OpsError::Invalid(format!(
                "{}: manifest version {} (expected {VERSION})",
                path.display(),
                m.version
            )));
        }
        Ok(m)
    }

    /// Whether the combined checksum agrees with the table list.
    pub fn self_consistent(&self) -> bool {
        combined(&self.tables) == self.combined
    }
}

/// SHA-256 of a file, hex.
pub fn file_sha256(path: &Path) -> OpsResult<String> {
    use std::io::Read;
    let mut f =
        std::fs::File::open(path).map_err(|e| OpsError::io(path.display().to_string(), e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| OpsError::io(path.display().to_string(), e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
