//! `renos { scoreLead scoreLeads convertLead }`: lead scoring (§3.5) and lead → customer
//! conversion, through `service::renos::{lead_score_updates, lead_conversion}`.

use async_graphql::dynamic::{Enum, Field, FieldFuture, InputValue, Object, Type, TypeRef};
use serde_json::json;
use service::renos::lead_conversion::convert_lead;
use service::renos::lead_score_updates::{score_and_save_lead, score_open_leads};

use super::{
    Out, authorize, enum_value, finish, object, object_out, read_row, savepoint, string, sub, value,
};
use crate::graphql::guard::Action;

const LEADS: &str = "renos.leads";
const CUSTOMERS: &str = "renos.customers";

const SCORE_RESULT: &str = "RenosLeadScoreResult";
const SUMMARY: &str = "RenosLeadScoringSummary";
const CONVERSION: &str = "RenosLeadConversionResult";
const TIER: &str = "RenosLeadTier";
const CONFIDENCE: &str = "RenosLeadScoreConfidence";

pub fn types() -> Vec<Type> {
    vec![
        Enum::new(TIER)
            .description("Hot (score ≥ 75), warm (≥ 50) or cold.")
            .items(["HOT", "WARM", "COLD"])
            .into(),
        Enum::new(CONFIDENCE)
            .description("Confidence of the conversion estimate.")
            .items(["HIGH", "MEDIUM", "LOW"])
            .into(),
        Object::new(SCORE_RESULT)
            .description("A lead scored and stored (score, priority, scoreMetadata, lastScored).")
            .field(object("lead", TypeRef::named_nn("RenosLead")))
            .field(value("score", TypeRef::named_nn(TypeRef::INT)))
            .field(enum_value("tier", TypeRef::named_nn(TIER)))
            .field(value("recommendation", TypeRef::named_nn(TypeRef::STRING)))
            .field(value("dataAvailability", TypeRef::named_nn(TypeRef::INT)))
            .field(value("responseSpeed", TypeRef::named_nn(TypeRef::INT)))
            .field(value("contactQuality", TypeRef::named_nn(TypeRef::INT)))
            .field(value("serviceValue", TypeRef::named_nn(TypeRef::INT)))
            .field(value("engagement", TypeRef::named_nn(TypeRef::INT)))
            .field(value(
                "conversionProbability",
                TypeRef::named_nn(TypeRef::FLOAT),
            ))
            .field(enum_value("confidence", TypeRef::named_nn(CONFIDENCE)))
            .field(value(
                "strengths",
                TypeRef::named_nn_list_nn(TypeRef::STRING),
            ))
            .into(),
        Object::new(SUMMARY)
            .description("Open leads scored by scoreLeads, per tier.")
            .field(value("total", TypeRef::named_nn(TypeRef::INT)))
            .field(value("hot", TypeRef::named_nn(TypeRef::INT)))
            .field(value("warm", TypeRef::named_nn(TypeRef::INT)))
            .field(value("cold", TypeRef::named_nn(TypeRef::INT)))
            .into(),
        Object::new(CONVERSION)
            .description("A converted lead and its customer.")
            .field(object("lead", TypeRef::named_nn("RenosLead")))
            .field(object("customer", TypeRef::named_nn("RenosCustomer")))
            .field(value(
                "createdCustomer",
                TypeRef::named_nn(TypeRef::BOOLEAN),
            ))
            .into(),
    ]
}

pub fn fields() -> Vec<Field> {
    vec![score_lead(), score_leads(), convert()]
}

fn score_lead() -> Field {
    Field::new("scoreLead", TypeRef::named_nn(SCORE_RESULT), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::Operation)?;
            let id = string(&ctx, "id")?;
            let now = service::clock::now().to_utc();
            let sp = savepoint(&db).await?;
            let res = score_and_save_lead(&sp, &id, now).await;
            let scored = finish(sp, res, None).await?;
            let lead = read_row(&db, LEADS, json!(scored.lead.id), &sub(&ctx, "lead")).await?;
            let s = &scored.score;
            object_out(json!({
                "lead": lead,
                "score": s.score,
                "tier": s.tier.as_str(),
                "recommendation": s.recommendation.text(),
                "dataAvailability": s.data_availability,
                "responseSpeed": s.factors.response_speed,
                "contactQuality": s.factors.contact_quality,
                "serviceValue": s.factors.service_value,
                "engagement": s.factors.engagement,
                "conversionProbability": s.conversion_probability,
                "confidence": s.confidence,
                "strengths": s.strengths,
            }))
        })
    })
    .description(
        "Scores one lead (with its customer) now and stores score, priority, scoreMetadata \
         and lastScored.",
    )
    .argument(InputValue::new("id", TypeRef::named_nn(TypeRef::STRING)))
}

fn score_leads() -> Field {
    Field::new("scoreLeads", TypeRef::named_nn(SUMMARY), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::Operation)?;
            let now = service::clock::now().to_utc();
            let sp = savepoint(&db).await?;
            let res = score_open_leads(&sp, now).await;
            let s = finish(sp, res, None).await?;
            object_out(json!({
                "total": s.total, "hot": s.hot, "warm": s.warm, "cold": s.cold,
            }))
        })
    })
    .description("Scores and stores every lead that is not converted or lost.")
}

fn convert() -> Field {
    Field::new("convertLead", TypeRef::named_nn(CONVERSION), |ctx| {
        FieldFuture::new(async move {
            let db = authorize(&ctx, Action::Operation)?;
            let id = string(&ctx, "id")?;
            let now = service::clock::now().to_utc();
            let sp = savepoint(&db).await?;
            let res = convert_lead(&sp, &id, now, None).await;
            let c = finish(sp, res, None).await?;
            let lead = read_row(&db, LEADS, json!(c.lead.id), &sub(&ctx, "lead")).await?;
            let customer =
                read_row(&db, CUSTOMERS, json!(c.customer.id), &sub(&ctx, "customer")).await?;
            let out: Out = object_out(json!({
                "lead": lead,
                "customer": customer,
                "createdCustomer": c.created_customer,
            }));
            out
        })
    })
    .description(
        "Converts a lead into a customer: its linked customer, else the customer with its \
         email (any case), else a new one; the lead becomes CONVERTED. Idempotent; a LOST \
         lead is a CONFLICT.",
    )
    .argument(InputValue::new("id", TypeRef::named_nn(TypeRef::STRING)))
}
