//! A checked embedding vector: exactly [`DIMENSIONS`] finite numbers, not all zero.

use sea_orm::prelude::PgVector;

use crate::error::{Error, Result};

/// Dimensions of every vault embedding (`vector(1536)`, OpenAI `text-embedding-3-small`).
pub const DIMENSIONS: usize = 1536;

/// An embedding (stored or query) that PostgreSQL will accept and cosine distance can use.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddingVector(Vec<f32>);

impl EmbeddingVector {
    /// Checks `values`: exactly [`DIMENSIONS`] elements, each finite and within `f32` range
    /// (pgvector stores `real`), and not all zero (cosine distance to a zero vector is NaN).
    pub fn parse(field: &str, values: &[f64]) -> Result<Self> {
        if values.len() != DIMENSIONS {
            return Err(Error::invalid(
                field,
                format!(
                    "must have exactly {DIMENSIONS} numbers (got {})",
                    values.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(DIMENSIONS);
        for (i, &v) in values.iter().enumerate() {
            // `as` saturates to ±inf for values beyond f32 range: check after converting.
            #[allow(clippy::cast_possible_truncation)]
            let f = v as f32;
            if !v.is_finite() || !f.is_finite() {
                return Err(Error::invalid(
                    field,
                    format!("element {i} is not a finite 32-bit number"),
                ));
            }
            out.push(f);
        }
        if out.iter().all(|v| *v == 0.0) {
            return Err(Error::invalid(field, "must not be all zeros"));
        }
        Ok(Self(out))
    }

    /// The components.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// The value to bind as a `vector` parameter.
    pub fn to_pg(&self) -> PgVector {
        PgVector::from(self.0.clone())
    }
}
