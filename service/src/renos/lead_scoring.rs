//! Deterministic lead scoring (service-api §3.5, the legacy RenOS `leadScoringService`):
//! a pure function of the lead, its customer and the current time. Persisting the result
//! lives in [`super::lead_score_updates`].
//!
//! `score = responseSpeed + contactQuality + serviceValue + engagement`, each 0–25:
//! - **responseSpeed** rewards fresh leads (age = `now − created_at`): ≤ 1 h → 25,
//!   ≤ 4 h → 20, ≤ 24 h → 15, ≤ 72 h → 10, older → 5.
//! - **contactQuality** rewards reachability: an email (lead's or customer's) and a phone
//!   (the customer's only, as in the legacy code): both → 25, email only → 15, phone only →
//!   10, none → 0; +5 (capped at 25) when the email's domain is a company domain, i.e. not
//!   gmail.com, hotmail.com, yahoo.com or outlook.com.
//! - **serviceValue** rewards the estimated value in DKK: ≥ 10,000 → 25, ≥ 5,000 → 20,
//!   ≥ 2,500 → 15, ≥ 1,000 → 10, > 0 → 5, else 0.
//! - **engagement** rewards signs of interest: +10 for a name longer than 20 characters,
//!   +5 for a lead phone, +5 `contacted` / +10 `quoted` / +15 `converted`; capped at 25.

use chrono::{DateTime, Duration, Utc};
use entity::renos::leads::{LeadPriority, LeadStatus};
use entity::renos::{customers, leads};
use serde_json::{Value, json};

/// Email domains that say nothing about a company.
pub const FREE_MAIL_DOMAINS: [&str; 4] = ["gmail.com", "hotmail.com", "yahoo.com", "outlook.com"];

/// Heat of a lead, derived from its score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeadTier {
    /// Score ≥ 75 (priority high).
    Hot,
    /// Score ≥ 50 (priority medium).
    Warm,
    /// Score < 50 (priority low).
    Cold,
}

impl LeadTier {
    /// The tier of a score.
    pub fn of(score: i32) -> Self {
        if score >= 75 {
            Self::Hot
        } else if score >= 50 {
            Self::Warm
        } else {
            Self::Cold
        }
    }

    /// The lead priority this tier maps to.
    pub fn priority(self) -> LeadPriority {
        match self {
            Self::Hot => LeadPriority::High,
            Self::Warm => LeadPriority::Medium,
            Self::Cold => LeadPriority::Low,
        }
    }

    /// `hot` / `warm` / `cold`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hot => "hot",
            Self::Warm => "warm",
            Self::Cold => "cold",
        }
    }
}

/// How sure the conversion estimate is (same brackets as the tiers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Score ≥ 75.
    High,
    /// Score ≥ 50.
    Medium,
    /// Score < 50.
    Low,
}

/// What sales should do next with the lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    /// Hot lead.
    ContactImmediately,
    /// Warm lead that is no longer fresh (responseSpeed < 15).
    ContactToday,
    /// Warm lead worth a lot (serviceValue ≥ 20).
    HighValue,
    /// Any other warm lead.
    ContactWithin24Hours,
    /// Cold lead that cannot be reached well (contactQuality < 10).
    MissingContactInfo,
    /// Cold lead without an estimated value (serviceValue = 0).
    UnclearNeed,
    /// Any other cold lead.
    LowPriority,
}

impl Recommendation {
    /// The Danish text stored in `score_metadata.recommendation`.
    pub fn text(self) -> &'static str {
        match self {
            Self::ContactImmediately => "Kontakt straks",
            Self::ContactToday => "Kontakt i dag",
            Self::HighValue => "Høj værdi – prioritér denne lead",
            Self::ContactWithin24Hours => "Kontakt inden for 24 timer",
            Self::MissingContactInfo => "Mangler kontaktoplysninger",
            Self::UnclearNeed => "Uklart behov – afklar opgaven",
            Self::LowPriority => "Lav prioritet",
        }
    }
}

/// The four factors of a score, each 0–25.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ScoreFactors {
    /// Freshness of the lead.
    pub response_speed: i32,
    /// Reachability (email, customer phone, company domain).
    pub contact_quality: i32,
    /// Estimated value bracket.
    pub service_value: i32,
    /// Name detail, lead phone and pipeline status.
    pub engagement: i32,
}

/// Result of [`score_lead`].
#[derive(Clone, Debug, PartialEq)]
pub struct LeadScore {
    /// Sum of the factors, 0–100.
    pub score: i32,
    /// Priority stored on the lead.
    pub priority: LeadPriority,
    /// Hot / warm / cold.
    pub tier: LeadTier,
    /// The factor breakdown.
    pub factors: ScoreFactors,
    /// Next step for sales.
    pub recommendation: Recommendation,
    /// Percentage (multiple of 10) of the ten scoring inputs that are present.
    pub data_availability: i32,
    /// `score / 100`.
    pub conversion_probability: f64,
    /// Confidence of that probability.
    pub confidence: Confidence,
    /// Labels of the strong factors (responseSpeed ≥ 20, contactQuality ≥ 20,
    /// serviceValue ≥ 20, engagement ≥ 15).
    pub strengths: Vec<&'static str>,
}

impl LeadScore {
    /// The `score_metadata` JSON: dataAvailability, responseSpeed, contactQuality,
    /// serviceValue, engagement, tier, recommendation.
    pub fn metadata(&self) -> Value {
        json!({
            "dataAvailability": self.data_availability,
            "responseSpeed": self.factors.response_speed,
            "contactQuality": self.factors.contact_quality,
            "serviceValue": self.factors.service_value,
            "engagement": self.factors.engagement,
            "tier": self.tier.as_str(),
            "recommendation": self.recommendation.text(),
        })
    }
}

/// Scores `lead` (with its customer, if any) as of `now`.
pub fn score_lead(
    lead: &leads::Model,
    customer: Option<&customers::Model>,
    now: DateTime<Utc>,
) -> LeadScore {
    let factors = ScoreFactors {
        response_speed: response_speed(lead, now),
        contact_quality: contact_quality(lead, customer),
        service_value: service_value(lead.estimated_value),
        engagement: engagement(lead),
    };
    let score = factors.response_speed
        + factors.contact_quality
        + factors.service_value
        + factors.engagement;
    let tier = LeadTier::of(score);
    let confidence = match tier {
        LeadTier::Hot => Confidence::High,
        LeadTier::Warm => Confidence::Medium,
        LeadTier::Cold => Confidence::Low,
    };
    LeadScore {
        score,
        priority: tier.priority(),
        tier,
        factors,
        recommendation: recommendation(tier, &factors),
        data_availability: data_availability(lead, customer),
        conversion_probability: f64::from(score) / 100.0,
        confidence,
        strengths: strengths(&factors),
    }
}

fn present(v: Option<&String>) -> bool {
    v.is_some_and(|s| !s.trim().is_empty())
}

fn response_speed(lead: &leads::Model, now: DateTime<Utc>) -> i32 {
    let age = now.signed_duration_since(lead.created_at);
    if age <= Duration::hours(1) {
        25
    } else if age <= Duration::hours(4) {
        20
    } else if age <= Duration::hours(24) {
        15
    } else if age <= Duration::hours(72) {
        10
    } else {
        5
    }
}

fn contact_quality(lead: &leads::Model, customer: Option<&customers::Model>) -> i32 {
    let email = [lead.email.as_ref(), customer.and_then(|c| c.email.as_ref())]
        .into_iter()
        .flatten()
        .find(|e| !e.trim().is_empty());
    let has_phone = present(customer.and_then(|c| c.phone.as_ref()));
    let base = match (email.is_some(), has_phone) {
        (true, true) => 25,
        (true, false) => 15,
        (false, true) => 10,
        (false, false) => 0,
    };
    let company_domain = email
        .and_then(|e| e.trim().rsplit_once('@'))
        .map(|(_, domain)| domain.to_lowercase())
        .is_some_and(|d| !d.is_empty() && !FREE_MAIL_DOMAINS.contains(&d.as_str()));
    if company_domain {
        (base + 5).min(25)
    } else {
        base
    }
}

fn service_value(estimated: Option<f64>) -> i32 {
    let v = estimated.unwrap_or(0.0);
    if v >= 10_000.0 {
        25
    } else if v >= 5_000.0 {
        20
    } else if v >= 2_500.0 {
        15
    } else if v >= 1_000.0 {
        10
    } else if v > 0.0 {
        5
    } else {
        0
    }
}

fn engagement(lead: &leads::Model) -> i32 {
    let mut points = 0;
    if lead
        .name
        .as_ref()
        .is_some_and(|n| n.trim().chars().count() > 20)
    {
        points += 10;
    }
    if present(lead.phone.as_ref()) {
        points += 5;
    }
    points += match lead.status {
        LeadStatus::Contacted => 5,
        LeadStatus::Quoted => 10,
        LeadStatus::Converted => 15,
        LeadStatus::New | LeadStatus::Qualified | LeadStatus::Lost => 0,
    };
    points.min(25)
}

fn recommendation(tier: LeadTier, f: &ScoreFactors) -> Recommendation {
    match tier {
        LeadTier::Hot => Recommendation::ContactImmediately,
        LeadTier::Warm if f.response_speed < 15 => Recommendation::ContactToday,
        LeadTier::Warm if f.service_value >= 20 => Recommendation::HighValue,
        LeadTier::Warm => Recommendation::ContactWithin24Hours,
        LeadTier::Cold if f.contact_quality < 10 => Recommendation::MissingContactInfo,
        LeadTier::Cold if f.service_value == 0 => Recommendation::UnclearNeed,
        LeadTier::Cold => Recommendation::LowPriority,
    }
}

fn data_availability(lead: &leads::Model, customer: Option<&customers::Model>) -> i32 {
    let c_email = customer.and_then(|c| c.email.as_ref());
    let c_phone = customer.and_then(|c| c.phone.as_ref());
    let c_name = customer.map(|c| &c.name);
    let inputs = [
        present(lead.email.as_ref()),
        present(c_email),
        present(c_phone),
        present(lead.name.as_ref()),
        lead.estimated_value.is_some_and(|v| v != 0.0),
        present(lead.phone.as_ref()),
        present(c_name),
        present(lead.address.as_ref()),
        present(lead.source.as_ref()),
        present(lead.task_type.as_ref()),
    ];
    let count = inputs.iter().filter(|p| **p).count();
    // round(100 · present / 10) = 10 · present: exact, no rounding needed.
    i32::try_from(count * 10).unwrap_or(100)
}

fn strengths(f: &ScoreFactors) -> Vec<&'static str> {
    let mut out = Vec::new();
    if f.response_speed >= 20 {
        out.push("Hurtig respons");
    }
    if f.contact_quality >= 20 {
        out.push("Gode kontaktoplysninger");
    }
    if f.service_value >= 20 {
        out.push("Høj værdi");
    }
    if f.engagement >= 15 {
        out.push("Højt engagement");
    }
    out
}
