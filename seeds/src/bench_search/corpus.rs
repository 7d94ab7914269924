//! The deterministic, clustered search corpus: documents with text and unit vectors.
//!
//! Every value is a function of the seed and the row number (SplitMix64 streams), so two
//! loads with the same [`Spec`] give the same rows.
//!
//! - 100 clusters; a centroid is a random Gaussian direction (normalised).
//! - A document picks a cluster; its vector is `normalise(centroid + a · Σ g_j u_{c,j} /
//!   √SUBSPACE + b · iso)`: a Gaussian position in the cluster's own random 32-dimensional
//!   subspace (`u_{c,j}`, unit vectors) plus small isotropic noise of norm ≈ `b`. Text
//!   embeddings have a low intrinsic dimension; pure isotropic noise in 1536 dimensions
//!   makes every in-cluster neighbour equidistant, which no real corpus looks like.
//! - `source` is one of five values, independent of the cluster, so `source = 'github'`
//!   selects 20 %. `repository` is one of 50, `metadata` `{"cluster": c, "shard": n % 10}`.
//! - `content`: 16 words of the cluster's vocabulary (`k07w13`: 40 words a cluster) and 8
//!   common words (`g123`: 200 words), so a two-word keyword query of a cluster matches a
//!   tenth of that cluster.
//! - Queries are drawn the same way from another stream: a vector, a cluster, two words.

use sea_orm::prelude::Uuid;

use crate::seed::rng::Rng;

/// Vector dimensions (the column is `vector(1536)`).
pub const DIMS: usize = 1536;
/// Number of clusters.
pub const CLUSTERS: u64 = 100;
/// Dimensions of a cluster's own subspace.
pub const SUBSPACE: usize = 32;
/// Weight of the in-cluster (subspace) part.
pub const SPREAD: f64 = 0.6;
/// Norm of the isotropic noise.
pub const NOISE: f64 = 0.25;
/// The `source` values; the first is the 20 % filter.
pub const SOURCES: [&str; 5] = ["github", "notion", "drive", "slack", "email"];
/// Words of a cluster's vocabulary.
pub const CLUSTER_WORDS: u64 = 40;
/// Common words.
pub const COMMON_WORDS: u64 = 200;

/// The SplitMix64 stream for `(seed, stream, n)` (the seed generator's `Rng`).
fn stream(seed: u64, stream: u64, n: u64) -> Rng {
    let mut r = Rng::from_state(
        seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F) ^ n.wrapping_mul(0xE703_7ED1_A0B4_28DB),
    );
    r.next_u64();
    r
}

/// Uniform in `0..n`, by multiply-shift (the corpus's own draw: the same corpus, and the
/// cached ground truth, as before it shared the generator).
fn below(rng: &mut Rng, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// Standard normal (Box–Muller).
fn gauss(rng: &mut Rng) -> f64 {
    let u = 1.0 - rng.unit();
    let v = rng.unit();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

const STREAM_CENTROID: u64 = 1;
const STREAM_BASIS: u64 = 2;
const STREAM_DOC: u64 = 3;
const STREAM_QUERY: u64 = 4;

fn normalise(v: &mut [f64]) {
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

fn gaussian_unit(rng: &mut Rng) -> Vec<f64> {
    let mut v: Vec<f64> = (0..DIMS).map(|_| gauss(rng)).collect();
    normalise(&mut v);
    v
}

/// The clusters of a corpus: centroids and subspace bases.
#[derive(Clone, Debug)]
pub struct Clusters {
    seed: u64,
    centroids: Vec<Vec<f64>>,
    bases: Vec<Vec<Vec<f64>>>,
}

/// One generated document.
#[derive(Clone, Debug)]
pub struct Doc {
    pub id: Uuid,
    pub cluster: u64,
    pub source: &'static str,
    pub repository: String,
    pub path: String,
    pub content: String,
    pub metadata: String,
    pub vector: Vec<f32>,
}

/// One generated query.
#[derive(Clone, Debug)]
pub struct Query {
    pub cluster: u64,
    pub text: String,
    pub vector: Vec<f64>,
}

/// The id of document `n`: a fixed prefix and the row number, so id order is row order.
pub fn doc_id(n: u64) -> Uuid {
    Uuid::from_u128((0x5eac_0000_0000_4000_8000_u128 << 48) | u128::from(n))
}

fn word(cluster: u64, j: u64) -> String {
    format!("k{cluster:02}w{j:02}")
}

impl Clusters {
    /// The clusters of `seed`.
    pub fn new(seed: u64) -> Self {
        let centroids = (0..CLUSTERS)
            .map(|c| gaussian_unit(&mut stream(seed, STREAM_CENTROID, c)))
            .collect();
        let bases = (0..CLUSTERS)
            .map(|c| {
                let mut rng = stream(seed, STREAM_BASIS, c);
                (0..SUBSPACE).map(|_| gaussian_unit(&mut rng)).collect()
            })
            .collect();
        Self {
            seed,
            centroids,
            bases,
        }
    }

    fn point(&self, cluster: u64, rng: &mut Rng) -> Vec<f64> {
        let c = usize::try_from(cluster).unwrap_or(0);
        let mut v = self.centroids[c].clone();
        let a = SPREAD / (SUBSPACE as f64).sqrt();
        for u in &self.bases[c] {
            let g = a * gauss(rng);
            v.iter_mut().zip(u).for_each(|(x, y)| *x += g * y);
        }
        let b = NOISE / (DIMS as f64).sqrt();
        v.iter_mut().for_each(|x| *x += b * gauss(rng));
        normalise(&mut v);
        v
    }

    /// Document `n` (0-based).
    pub fn doc(&self, n: u64) -> Doc {
        let mut rng = stream(self.seed, STREAM_DOC, n);
        let cluster = below(&mut rng, CLUSTERS);
        let source = SOURCES[usize::try_from(below(&mut rng, 5)).unwrap_or(0)];
        let repository = format!("bench/repo-{:02}", below(&mut rng, 50));
        let mut words: Vec<String> = (0..16)
            .map(|_| word(cluster, below(&mut rng, CLUSTER_WORDS)))
            .collect();
        words.extend((0..8).map(|_| format!("g{:03}", below(&mut rng, COMMON_WORDS))));
        let vector = self
            .point(cluster, &mut rng)
            .into_iter()
            .map(|x| x as f32)
            .collect();
        Doc {
            id: doc_id(n),
            cluster,
            source,
            repository,
            path: format!("docs/{n:07}.md"),
            content: words.join(" "),
            metadata: format!("{{\"cluster\": {cluster}, \"shard\": {}}}", n % 10),
            vector,
        }
    }

    /// Query `n` (0-based).
    pub fn query(&self, n: u64) -> Query {
        let mut rng = stream(self.seed, STREAM_QUERY, n);
        let cluster = below(&mut rng, CLUSTERS);
        let w1 = below(&mut rng, CLUSTER_WORDS);
        let w2 = (w1 + 1 + below(&mut rng, CLUSTER_WORDS - 1)) % CLUSTER_WORDS;
        Query {
            cluster,
            text: format!("{} {}", word(cluster, w1), word(cluster, w2)),
            vector: self.point(cluster, &mut rng),
        }
    }
}

/// The PostgreSQL binary `COPY` header.
pub const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The PostgreSQL binary `COPY` trailer.
pub const COPY_TRAILER: &[u8] = &[0xff, 0xff];

/// Appends one `vault.embeddings (id, document_id, embedding)` tuple in binary `COPY`
/// format (pgvector's binary form: dimensions, unused, big-endian `float4`s).
pub fn push_embedding_tuple(buf: &mut Vec<u8>, n: u64, doc: &Doc) {
    buf.extend_from_slice(&3i16.to_be_bytes());
    let id = Uuid::from_u128(doc_id(n).as_u128() ^ (0xe << 76));
    for u in [id, doc.id] {
        buf.extend_from_slice(&16i32.to_be_bytes());
        buf.extend_from_slice(u.as_bytes());
    }
    let len = 4 + 4 * doc.vector.len();
    buf.extend_from_slice(&i32::try_from(len).unwrap_or(i32::MAX).to_be_bytes());
    buf.extend_from_slice(&i16::try_from(doc.vector.len()).unwrap_or(0).to_be_bytes());
    buf.extend_from_slice(&0i16.to_be_bytes());
    for x in &doc.vector {
        buf.extend_from_slice(&x.to_be_bytes());
    }
}

fn copy_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// One `vault.documents (id, source, repository, path, content, metadata)` line in text
/// `COPY` format.
pub fn push_document_line(buf: &mut String, doc: &Doc) {
    use std::fmt::Write;
    let _ = writeln!(
        buf,
        "{}\t{}\t{}\t{}\t{}\t{}",
        doc.id,
        doc.source,
        copy_text(&doc.repository),
        copy_text(&doc.path),
        copy_text(&doc.content),
        copy_text(&doc.metadata)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_are_deterministic_unit_vectors() {
        let c = Clusters::new(42);
        let a = c.doc(7);
        let b = Clusters::new(42).doc(7);
        assert_eq!(a.vector, b.vector);
        assert_eq!(a.content, b.content);
        let norm: f32 = a.vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
        assert_ne!(c.doc(8).vector, a.vector);
    }

    /// The ground truth is cached by size, seed and queries
    /// (`.local/bench-search/truth-*.json`): a change of the generated rows must change
    /// this test (and invalidate the cache), not pass unnoticed.
    #[test]
    fn corpus_of_seed_42_is_the_cached_one() {
        let c = Clusters::new(42);
        let d = c.doc(7);
        assert_eq!((d.cluster, d.source), (25, "email"));
        assert!(
            d.content.starts_with("k25w37 k25w02 k25w35"),
            "{}",
            d.content
        );
        assert!(d.content.ends_with("g082 g033 g131"), "{}", d.content);
        assert_eq!(
            d.vector[..3],
            [-0.015_808_21, -0.029_920_552, -0.013_920_283]
        );
        let q = c.query(3);
        assert_eq!(q.cluster, 31);
        assert!(
            (q.vector[5] - (-0.001_006_446_875)).abs() < 1e-12,
            "{}",
            q.vector[5]
        );
    }

    #[test]
    fn same_cluster_is_closer_than_other_clusters() {
        let c = Clusters::new(1);
        let q = c.query(0);
        let dot = |d: &Doc| {
            d.vector
                .iter()
                .zip(&q.vector)
                .map(|(x, y)| f64::from(*x) * y)
                .sum::<f64>()
        };
        let (mut same, mut other) = (Vec::new(), Vec::new());
        for n in 0..400 {
            let d = c.doc(n);
            if d.cluster == q.cluster {
                same.push(dot(&d))
            } else {
                other.push(dot(&d))
            }
        }
        let min_same = same.iter().copied().fold(f64::MAX, f64::min);
        let max_other = other.iter().copied().fold(f64::MIN, f64::max);
        assert!(
            !same.is_empty() && min_same > max_other,
            "{min_same} {max_other}"
        );
    }
}
