//! Deterministic bulk data set for the GraphQL API benchmark (`scripts/bench-api`).
//!
//! Unlike the rest of this crate it does not go through the service layer: rows are made
//! server-side with `INSERT ... SELECT ... FROM generate_series(lo, hi)` in batches, every
//! value a pure function of the row number (no `now()`, no `random()`), so two loads with the
//! same [`Sizes`] produce byte-identical tables. Then `ANALYZE`.
//!
//! Tables: `shared.users`, `renos.customers`, `renos.leads` (a customer each, a `score`
//! 0..=100, `assigned_user_id` → `shared.users` for 9 of 10 leads), `renos.bookings` (a
//! customer each, round robin, `scheduled_at` spread over two years). Status columns only
//! take values of their CHECK lists (`spec/model.json` `enum`).
//!
//! Keys: `shared.users.id = md5('tekup-bench-user-' || n)::uuid`; text ids are a prefix and
//! the zero-padded row number (`bcus000000001`, `blead000000001`, `bbook000000001`), so id
//! order is row order.

use std::time::Instant;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

/// How many rows of each table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizes {
    pub users: i64,
    pub customers: i64,
    pub leads: i64,
    pub bookings: i64,
}

impl Default for Sizes {
    fn default() -> Self {
        Self {
            users: 1_000,
            customers: 10_000,
            leads: 50_000,
            bookings: 200_000,
        }
    }
}

/// Load options.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Rows per `INSERT` statement.
    pub batch: i64,
    /// `TRUNCATE ... CASCADE` the four tables first (otherwise they must be empty).
    pub truncate: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            batch: 50_000,
            truncate: false,
        }
    }
}

/// What was loaded.
#[derive(Clone, Debug)]
pub struct Summary {
    /// `(table, rows now in the table, seconds spent inserting)`.
    pub tables: Vec<(&'static str, i64, f64)>,
    pub analyze_seconds: f64,
    pub total_seconds: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{:<20} {:>10} {:>9}", "table", "rows", "seconds")?;
        for (table, rows, secs) in &self.tables {
            writeln!(f, "{table:<20} {rows:>10} {secs:>9.2}")?;
        }
        writeln!(
            f,
            "{:<20} {:>10} {:>9.2}",
            "ANALYZE", "", self.analyze_seconds
        )?;
        write!(f, "{:<20} {:>10} {:>9.2}", "total", "", self.total_seconds)
    }
}

const TABLES: [&str; 4] = [
    "shared.users",
    "renos.customers",
    "renos.leads",
    "renos.bookings",
];

/// Why a load was refused or failed.
#[derive(Debug)]
pub enum LoadError {
    /// A size is negative, or leads/bookings are wanted without customers (or users).
    BadSizes(String),
    /// A table already has rows and `truncate` is off.
    NotEmpty(&'static str, i64),
    Db(DbErr),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadSizes(msg) => write!(f, "bad sizes: {msg}"),
            Self::NotEmpty(table, n) => {
                write!(f, "{table} already has {n} rows (use --truncate)")
            }
            Self::Db(err) => write!(f, "database error: {err}"),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<DbErr> for LoadError {
    fn from(err: DbErr) -> Self {
        Self::Db(err)
    }
}

/// The `INSERT ... SELECT` of rows `lo..=hi` of `table` (one of [`TABLES`]).
fn insert_sql(table: &str, sizes: &Sizes, lo: i64, hi: i64) -> String {
    let Sizes {
        users, customers, ..
    } = *sizes;
    match table {
        "shared.users" => format!(
            r#"INSERT INTO shared.users (id, email, name, created_at, updated_at)
SELECT md5('tekup-bench-user-' || n)::uuid,
       'user' || n || '@bench.tekup.dk',
       (ARRAY['Anna','Mads','Sofie','Lars','Ida','Jonas','Emma','Mikkel','Freja','Rasmus'])[1 + n % 10]
         || ' ' || (ARRAY['Jensen','Nielsen','Hansen','Pedersen','Andersen','Christensen','Larsen','Sørensen'])[1 + (n / 10) % 8]
         || ' ' || n,
       timestamptz '2024-01-01 00:00:00+00' + n * interval '17 minutes',
       timestamptz '2024-01-01 00:00:00+00' + n * interval '17 minutes'
FROM generate_series({lo}::bigint, {hi}::bigint) AS n"#
        ),
        "renos.customers" => format!(
            r#"INSERT INTO renos.customers (id, name, email, phone, address, company_name, status, tags,
                             last_contact_at, created_at, updated_at)
SELECT 'bcus' || lpad(n::text, 9, '0'),
       (ARRAY['Anne','Peter','Maria','Henrik','Camilla','Søren','Louise','Thomas','Mette','Jakob'])[1 + n % 10]
         || ' ' || (ARRAY['Jensen','Nielsen','Hansen','Pedersen','Andersen','Christensen','Larsen','Sørensen','Rasmussen','Jørgensen'])[1 + (n / 10) % 10],
       'kunde' || n || '@example.dk',
       '+45 ' || lpad(((n * 7919) % 100000000)::text, 8, '0'),
       (ARRAY['Vestergade','Nørregade','Østergade','Strandvejen','Algade'])[1 + n % 5] || ' ' || (1 + n % 120)
         || ', ' || (ARRAY['8000 Aarhus C','2100 København Ø','5000 Odense C','9000 Aalborg','7100 Vejle'])[1 + (n / 5) % 5],
       CASE WHEN n % 4 = 0 THEN 'Firma ' || n || ' ApS' END,
       CASE WHEN n % 17 = 0 THEN 'inactive' ELSE 'active' END,
       CASE WHEN n % 3 = 0 THEN ARRAY['fast', 'privat'] WHEN n % 3 = 1 THEN ARRAY['erhverv'] ELSE '{{}}'::text[] END,
       timestamptz '2025-06-01 00:00:00+00' - (n % 500) * interval '1 day',
       timestamptz '2023-01-01 00:00:00+00' + n * interval '37 minutes',
       timestamptz '2023-01-01 00:00:00+00' + n * interval '37 minutes'
FROM generate_series({lo}::bigint, {hi}::bigint) AS n"#
        ),
        "renos.leads" => format!(
            r#"INSERT INTO renos.leads (id, customer_id, assigned_user_id, source, name, email, phone, address,
                         square_meters, rooms, task_type, status, follow_up_attempts, score, priority,
                         estimated_value, created_at, updated_at)
SELECT 'blead' || lpad(n::text, 9, '0'),
       'bcus' || lpad((1 + (n * 7919) % {customers})::text, 9, '0'),
       CASE WHEN n % 10 = 0 THEN NULL ELSE md5('tekup-bench-user-' || (1 + (n * 31) % {users}))::uuid END,
       (ARRAY['website_form','email','phone','referral'])[1 + n % 4],
       'Lead ' || n,
       'lead' || n || '@example.dk',
       '+45 ' || lpad(((n * 104729) % 100000000)::text, 8, '0'),
       'Lead vej ' || (1 + n % 200),
       (40 + (n * 13) % 260)::double precision,
       1 + (n % 7)::int,
       (ARRAY['Privatrengøring','Flytterengøring','Hovedrengøring','Erhverv','Airbnb','Vinduer'])[1 + n % 6],
       (ARRAY['new','contacted','qualified','quoted','converted','lost'])[1 + (n / 3) % 6],
       (n % 4)::int,
       s.score,
       CASE WHEN s.score >= 70 THEN 'high' WHEN s.score >= 40 THEN 'medium' ELSE 'low' END,
       (1000 + (n * 37) % 50000)::double precision,
       timestamptz '2024-06-01 00:00:00+00' + n * interval '7 minutes',
       timestamptz '2024-06-01 00:00:00+00' + n * interval '7 minutes'
FROM generate_series({lo}::bigint, {hi}::bigint) AS n,
     LATERAL (SELECT ((n * 2654435761) % 101)::int AS score) AS s"#
        ),
        "renos.bookings" => format!(
            r#"INSERT INTO renos.bookings (id, customer_id, service_type, address, scheduled_at,
                            estimated_duration, status, timer_status, created_at, updated_at)
SELECT 'bbook' || lpad(n::text, 9, '0'),
       'bcus' || lpad((1 + (n - 1) % {customers})::text, 9, '0'),
       (ARRAY['Privatrengøring','Flytterengøring','Hovedrengøring','Erhverv','Airbnb','Vinduer'])[1 + n % 6],
       'Booking vej ' || (1 + n % 300),
       timestamptz '2025-01-01 00:00:00+00' + ((n * 104729) % 1051200) * interval '1 minute',
       60 + (n % 8)::int * 30,
       st.status,
       CASE st.status WHEN 'completed' THEN 'completed' ELSE 'not_started' END,
       timestamptz '2024-12-01 00:00:00+00' + n * interval '1 minute',
       timestamptz '2024-12-01 00:00:00+00' + n * interval '1 minute'
FROM generate_series({lo}::bigint, {hi}::bigint) AS n,
     LATERAL (SELECT (ARRAY['scheduled','confirmed','completed','cancelled'])[1 + n % 4] AS status) AS st"#
        ),
        _ => unreachable!("unknown bench table {table}"),
    }
}

async fn count(db: &DatabaseConnection, table: &str) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT count(*)::bigint AS n FROM {table}"),
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("count of {table}")))?;
    row.try_get::<i64>("", "n")
}

fn check_sizes(s: &Sizes) -> Result<(), LoadError> {
    if s.users < 0 || s.customers < 0 || s.leads < 0 || s.bookings < 0 {
        return Err(LoadError::BadSizes("sizes must not be negative".into()));
    }
    if (s.leads > 0 || s.bookings > 0) && s.customers == 0 {
        return Err(LoadError::BadSizes(
            "leads and bookings need at least one customer".into(),
        ));
    }
    if s.leads > 0 && s.users == 0 {
        return Err(LoadError::BadSizes(
            "leads need at least one shared user".into(),
        ));
    }
    Ok(())
}

/// Loads the data set; prints progress to stderr. The tables must be empty unless
/// `opts.truncate`.
pub async fn load(
    db: &DatabaseConnection,
    sizes: &Sizes,
    opts: &Options,
) -> Result<Summary, LoadError> {
    check_sizes(sizes)?;
    let batch = opts.batch.max(1);
    let started = Instant::now();
    if opts.truncate {
        eprintln!("bench-load: TRUNCATE {} CASCADE", TABLES.join(", "));
        db.execute_unprepared(&format!("TRUNCATE {} CASCADE", TABLES.join(", ")))
            .await?;
    } else {
        for table in TABLES {
            let n = count(db, table).await?;
            if n > 0 {
                return Err(LoadError::NotEmpty(table, n));
            }
        }
    }
    let wanted = [sizes.users, sizes.customers, sizes.leads, sizes.bookings];
    let mut tables = Vec::new();
    for (table, total) in TABLES.into_iter().zip(wanted) {
        let t0 = Instant::now();
        let mut lo = 1;
        while lo <= total {
            let hi = (lo + batch - 1).min(total);
            db.execute_unprepared(&insert_sql(table, sizes, lo, hi))
                .await?;
            eprintln!(
                "bench-load: {table:<16} {hi:>9} / {total} rows ({:.1} s)",
                t0.elapsed().as_secs_f64()
            );
            lo = hi + 1;
        }
        tables.push((table, t0.elapsed().as_secs_f64()));
    }
    // Denormalised counters, as the service keeps them. `updated_at` is set explicitly (to a
    // value that differs from the old one) so the touch trigger keeps it: no now().
    eprintln!("bench-load: renos.customers total_leads / total_bookings");
    db.execute_unprepared(
        "UPDATE renos.customers c SET total_leads = coalesce(l.n, 0), total_bookings = coalesce(b.n, 0),
                updated_at = c.created_at + interval '1 second'
         FROM renos.customers c2
         LEFT JOIN (SELECT customer_id, count(*)::int AS n FROM renos.leads GROUP BY 1) l ON l.customer_id = c2.id
         LEFT JOIN (SELECT customer_id, count(*)::int AS n FROM renos.bookings GROUP BY 1) b ON b.customer_id = c2.id
         WHERE c.id = c2.id",
    )
    .await?;
    let t0 = Instant::now();
    eprintln!("bench-load: ANALYZE");
    db.execute_unprepared(&format!("ANALYZE {}", TABLES.join(", ")))
        .await?;
    let analyze_seconds = t0.elapsed().as_secs_f64();
    let mut out = Vec::new();
    for (table, secs) in tables {
        out.push((table, count(db, table).await?, secs));
    }
    Ok(Summary {
        tables: out,
        analyze_seconds,
        total_seconds: started.elapsed().as_secs_f64(),
    })
}
