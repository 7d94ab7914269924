//! Service layer, renos communication, compliance and people: email, escalations, users,
//! GDPR, subcontractors, chat, notifications, team/time, quality, security.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use entity::renos;
use rust_decimal::Decimal;
use sea_orm::entity::prelude::*;
use serde_json::json;
use service::Error;
use service::renos::users::{self, NewRenosUser, RenosUserView};
use tests::TestDb;
use tests::counts::{audit_count, count};
use tests::errors::{assert_conflict, assert_not_found};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const HASH: &str = "$2b$12$abcdefghijklmnopqrstuv0123456789ABCDEFGHIJKLMNOPQRSTU";

fn ts(s: &str) -> DateTimeWithTimeZone {
    DateTimeWithTimeZone::parse_from_rfc3339(s).unwrap()
}

fn now() -> DateTimeWithTimeZone {
    Utc::now().fixed_offset()
}

/// Asserts a validation error naming exactly `fields`.
#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(r: Result<T, Error>, fields: &[&str]) {
    match r {
        Err(Error::Validation { fields: got }) => {
            let got: BTreeSet<String> = got.into_iter().map(|f| f.field).collect();
            let want: BTreeSet<String> = fields.iter().map(|f| (*f).to_owned()).collect();
            assert_eq!(got, want, "validation fields");
        }
        other => panic!("expected a validation error on {fields:?}, got {other:?}"),
    }
}

async fn lead(t: &TestDb, id: &str) -> String {
    t.exec(&format!("INSERT INTO renos.leads (id) VALUES ('{id}')"))
        .await
        .unwrap();
    id.to_owned()
}

async fn customer(t: &TestDb, id: &str, email: Option<&str>) -> String {
    let email = email.map_or("NULL".to_owned(), |e| format!("'{e}'"));
    t.exec(&format!(
        "INSERT INTO renos.customers (id, name, email) VALUES ('{id}', 'Customer {id}', {email})"
    ))
    .await
    .unwrap();
    id.to_owned()
}

async fn booking(t: &TestDb, id: &str, status: &str) -> String {
    t.exec(&format!(
        "INSERT INTO renos.bookings (id, status) VALUES ('{id}', '{status}')"
    ))
    .await
    .unwrap();
    id.to_owned()
}

async fn user(t: &TestDb, email: &str) -> RenosUserView {
    users::create_user(
        &t.db,
        NewRenosUser {
            email: email.to_owned(),
            name: format!("Name of {email}"),
            phone: Some("+45 12345678".into()),
            password_hash: HASH.into(),
            role: None,
        },
    )
    .await
    .unwrap()
}

// ---------------------------------------------------------------------------------------
// Email threads
// ---------------------------------------------------------------------------------------

mod email {
    use super::*;
    use renos::email_ingest_runs::EmailIngestRunStatus;
    use renos::email_messages::EmailMessageDirection;
    use renos::email_responses::EmailResponseStatus;
    use service::renos::email::ingest_runs::{self, IngestOutcome};
    use service::renos::email::messages::{self, NewEmailMessage};
    use service::renos::email::responses::{self, NewEmailResponse};
    use service::renos::email::threads::{self, NewEmailThread};

    fn thread(gmail: &str) -> NewEmailThread {
        NewEmailThread {
            gmail_thread_id: gmail.into(),
            subject: "Rengøring".into(),
            snippet: Some("Hej".into()),
            participants: vec![" Kunde@Example.COM ".into()],
            customer_id: None,
            labels: vec!["INBOX".into()],
        }
    }

    fn message(gmail_thread: &str, gmail_msg: Option<&str>, sent: &str) -> NewEmailMessage {
        NewEmailMessage {
            gmail_message_id: gmail_msg.map(str::to_owned),
            gmail_thread_id: gmail_thread.into(),
            thread_id: None,
            from: "Kunde <kunde@example.com>".into(),
            to: vec!["info@rendetalje.dk".into()],
            subject: Some("Re: Rengøring".into()),
            body: "Tak".into(),
            body_preview: None,
            direction: None,
            is_ai_generated: false,
            ai_model: None,
            sent_at: ts(sent),
            conversation_id: None,
        }
    }

    #[tokio::test]
    async fn create_thread_stores_normalised_participants_and_rejects_duplicates() {
        let t = TestDb::new().await;
        let c = customer(&t, "c1", Some("kunde@example.com")).await;
        let mut input = thread("g1");
        input.customer_id = Some(c.clone());
        let before = now();
        let row = threads::create_thread(&t.db, input.clone()).await.unwrap();
        assert_eq!(row.participants, vec!["kunde@example.com"]);
        assert_eq!(row.labels, vec!["INBOX"]);
        assert_eq!(row.message_count, 0);
        assert_eq!(row.customer_id.as_deref(), Some("c1"));
        assert!(row.last_message_at >= before - Duration::seconds(1));
        assert_conflict(threads::create_thread(&t.db, input).await);
    }

    #[tokio::test]
    async fn create_thread_lists_every_bad_field() {
        let t = TestDb::new().await;
        let input = NewEmailThread {
            gmail_thread_id: "  ".into(),
            subject: "".into(),
            participants: vec!["not-an-email".into()],
            labels: vec![" ".into()],
            ..Default::default()
        };
        assert_invalid(
            threads::create_thread(&t.db, input).await,
            &["gmail_thread_id", "subject", "participants[0]", "labels[0]"],
        );
        assert_eq!(
            count(&t, "SELECT count(*) FROM renos.email_threads").await,
            0
        );
    }

    #[tokio::test]
    async fn create_thread_with_unknown_customer_is_a_validation_error() {
        let t = TestDb::new().await;
        let mut input = thread("g1");
        input.customer_id = Some("nope".into());
        assert!(matches!(
            threads::create_thread(&t.db, input).await,
            Err(Error::Validation { .. })
        ));
    }

    #[tokio::test]
    async fn upsert_thread_inserts_then_updates_the_same_row() {
        let t = TestDb::new().await;
        customer(&t, "c1", None).await;
        let mut first = thread("g1");
        first.customer_id = Some("c1".into());
        let a = threads::upsert_thread(&t.db, first).await.unwrap();
        messages::add_message(&t.db, message("g1", Some("m1"), "2026-01-01T10:00:00Z"))
            .await
            .unwrap();
        let mut second = thread("g1");
        second.subject = "Ny emne".into();
        second.labels = vec!["IMPORTANT".into()];
        second.customer_id = None;
        let b = threads::upsert_thread(&t.db, second).await.unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!(b.subject, "Ny emne");
        assert_eq!(b.labels, vec!["IMPORTANT"]);
        assert_eq!(
            b.customer_id.as_deref(),
            Some("c1"),
            "customer kept when not given"
        );
        assert_eq!(b.message_count, 1, "message count kept");
        customer(&t, "c2", None).await;
        let mut third = thread("g1");
        third.customer_id = Some("c2".into());
        let c = threads::upsert_thread(&t.db, third).await.unwrap();
        assert_eq!(c.customer_id.as_deref(), Some("c2"));
        assert_eq!(
            count(&t, "SELECT count(*) FROM renos.email_threads").await,
            1
        );
        assert_invalid(
            threads::upsert_thread(&t.db, NewEmailThread::default()).await,
            &["gmail_thread_id", "subject"],
        );
    }

    #[tokio::test]
    async fn find_thread_by_gmail_id_finds_only_that_thread() {
        let t = TestDb::new().await;
        let a = threads::create_thread(&t.db, thread("g1")).await.unwrap();
        threads::create_thread(&t.db, thread("g2")).await.unwrap();
        let found = threads::find_thread_by_gmail_id(&t.db, " g1 ")
            .await
            .unwrap();
        assert_eq!(found.map(|f| f.id), Some(a.id));
        assert!(
            threads::find_thread_by_gmail_id(&t.db, "g3")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn list_threads_returns_newest_first_with_five_newest_messages_and_customer() {
        let t = TestDb::new().await;
        customer(&t, "c1", None).await;
        let mut a = thread("g-a");
        a.customer_id = Some("c1".into());
        threads::create_thread(&t.db, a).await.unwrap();
        threads::create_thread(&t.db, thread("g-b")).await.unwrap();
        for i in 1..=7 {
            messages::add_message(
                &t.db,
                message(
                    "g-a",
                    Some(&format!("a{i}")),
                    &format!("2030-01-0{i}T10:00:00Z"),
                ),
            )
            .await
            .unwrap();
        }
        messages::add_message(&t.db, message("g-b", Some("b1"), "2020-01-01T10:00:00Z"))
            .await
            .unwrap();

        let all = threads::list_threads(&t.db, None, None).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[0].thread.gmail_thread_id, "g-a",
            "newest last_message_at first"
        );
        let ids: Vec<_> = all[0]
            .messages
            .iter()
            .map(|m| m.gmail_message_id.clone().unwrap())
            .collect();
        assert_eq!(ids, vec!["a7", "a6", "a5", "a4", "a3"]);
        assert_eq!(all[0].customer.as_ref().map(|c| c.id.as_str()), Some("c1"));
        assert!(all[1].customer.is_none());
        assert_eq!(all[1].messages.len(), 1);

        let mine = threads::list_threads(&t.db, Some("c1"), None)
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].thread.gmail_thread_id, "g-a");
        let limited = threads::list_threads(&t.db, None, Some(1)).await.unwrap();
        assert_eq!(limited.len(), 1);
        assert!(
            threads::list_threads(&t.db, Some("nobody"), None)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn add_message_updates_thread_count_and_last_message_at_forward_only() {
        let t = TestDb::new().await;
        let th = threads::create_thread(&t.db, thread("g1")).await.unwrap();
        let m = messages::add_message(&t.db, message("g1", Some("m1"), "2031-05-01T12:00:00Z"))
            .await
            .unwrap();
        assert_eq!(
            m.thread_id.as_deref(),
            Some(th.id.as_str()),
            "linked by gmail id"
        );
        assert_eq!(m.direction, EmailMessageDirection::Inbound);
        assert_eq!(m.status, "delivered");
        let after = threads::find_thread_by_gmail_id(&t.db, "g1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.message_count, 1);
        assert_eq!(after.last_message_at, ts("2031-05-01T12:00:00Z"));

        let mut older = message("g1", Some("m0"), "2031-04-01T12:00:00Z");
        older.thread_id = Some(th.id.clone());
        messages::add_message(&t.db, older).await.unwrap();
        let after = threads::find_thread_by_gmail_id(&t.db, "g1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.message_count, 2);
        assert_eq!(
            after.last_message_at,
            ts("2031-05-01T12:00:00Z"),
            "never moves back"
        );
    }

    #[tokio::test]
    async fn add_message_rolls_back_the_counter_when_the_insert_fails() {
        let t = TestDb::new().await;
        threads::create_thread(&t.db, thread("g1")).await.unwrap();
        messages::add_message(&t.db, message("g1", Some("m1"), "2030-01-01T00:00:00Z"))
            .await
            .unwrap();
        assert_conflict(
            messages::add_message(&t.db, message("g1", Some("m1"), "2030-01-02T00:00:00Z")).await,
        );
        let th = threads::find_thread_by_gmail_id(&t.db, "g1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(th.message_count, 1);
        assert_eq!(th.last_message_at, ts("2030-01-01T00:00:00Z"));
    }

    #[tokio::test]
    async fn add_message_without_a_thread_and_ai_generated_and_bad_input() {
        let t = TestDb::new().await;
        let mut ai = message("unknown-thread", None, "2030-01-01T00:00:00Z");
        ai.direction = Some(EmailMessageDirection::AiGenerated);
        let m = messages::add_message(&t.db, ai).await.unwrap();
        assert!(m.thread_id.is_none());
        assert!(m.is_ai_generated, "ai_generated direction implies the flag");

        let th = threads::create_thread(&t.db, thread("g1")).await.unwrap();
        let mut wrong = message("g2", None, "2030-01-01T00:00:00Z");
        wrong.thread_id = Some(th.id.clone());
        assert_invalid(messages::add_message(&t.db, wrong).await, &["thread_id"]);
        let mut missing = message("g1", None, "2030-01-01T00:00:00Z");
        missing.thread_id = Some("nope".into());
        assert_invalid(messages::add_message(&t.db, missing).await, &["thread_id"]);
        let mut bad = message(" ", Some(" "), "2030-01-01T00:00:00Z");
        bad.from = "".into();
        bad.to = vec!["".into()];
        assert_invalid(
            messages::add_message(&t.db, bad).await,
            &["gmail_thread_id", "from", "to[0]", "gmail_message_id"],
        );
        let th = threads::find_thread_by_gmail_id(&t.db, "g1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(th.message_count, 0);
    }

    #[tokio::test]
    async fn list_messages_is_oldest_first_and_find_by_gmail_id() {
        let t = TestDb::new().await;
        let th = threads::create_thread(&t.db, thread("g1")).await.unwrap();
        for (id, at) in [
            ("m2", "2030-01-02T00:00:00Z"),
            ("m1", "2030-01-01T00:00:00Z"),
        ] {
            messages::add_message(&t.db, message("g1", Some(id), at))
                .await
                .unwrap();
        }
        let list = messages::list_messages(&t.db, &th.id).await.unwrap();
        let ids: Vec<_> = list
            .iter()
            .map(|m| m.gmail_message_id.clone().unwrap())
            .collect();
        assert_eq!(ids, vec!["m1", "m2"]);
        let m = messages::find_message_by_gmail_id(&t.db, "m2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(m.sent_at, ts("2030-01-02T00:00:00Z"));
        assert!(
            messages::find_message_by_gmail_id(&t.db, "m3")
                .await
                .unwrap()
                .is_none()
        );
    }

    fn response(lead: &str) -> NewEmailResponse {
        NewEmailResponse {
            lead_id: lead.into(),
            recipient_email: "Kunde@Example.com".into(),
            subject: "Tilbud".into(),
            body: "Hej, her er dit tilbud".into(),
            ai_model: Some("gpt".into()),
        }
    }

    #[tokio::test]
    async fn create_response_is_pending_and_validated() {
        let t = TestDb::new().await;
        lead(&t, "l1").await;
        let r = responses::create_response(&t.db, response("l1"))
            .await
            .unwrap();
        assert_eq!(r.status, EmailResponseStatus::Pending);
        assert_eq!(r.recipient_email, "kunde@example.com");
        let bad = NewEmailResponse {
            lead_id: "".into(),
            recipient_email: "x".into(),
            subject: " ".into(),
            body: "".into(),
            ai_model: None,
        };
        assert_invalid(
            responses::create_response(&t.db, bad).await,
            &["lead_id", "recipient_email", "subject", "body"],
        );
        assert!(matches!(
            responses::create_response(&t.db, response("no-lead")).await,
            Err(Error::Validation { .. })
        ));
    }

    #[tokio::test]
    async fn response_workflow_pending_approved_sent() {
        let t = TestDb::new().await;
        lead(&t, "l1").await;
        let r = responses::create_response(&t.db, response("l1"))
            .await
            .unwrap();
        assert_conflict(responses::send_response(&t.db, &r.id, "gm1").await);
        let a = responses::approve_response(&t.db, &r.id, Some("gt1"))
            .await
            .unwrap();
        assert_eq!(a.status, EmailResponseStatus::Approved);
        assert_eq!(a.gmail_thread_id.as_deref(), Some("gt1"));
        assert_conflict(responses::approve_response(&t.db, &r.id, None).await);
        assert_conflict(responses::reject_response(&t.db, &r.id, Some("late")).await);
        assert_invalid(
            responses::send_response(&t.db, &r.id, " ").await,
            &["gmail_message_id"],
        );
        let s = responses::send_response(&t.db, &r.id, "gm1").await.unwrap();
        assert_eq!(s.status, EmailResponseStatus::Sent);
        assert_eq!(s.gmail_message_id.as_deref(), Some("gm1"));
        assert!(s.sent_at.is_some());
        assert_conflict(responses::send_response(&t.db, &r.id, "gm2").await);
        let stored = responses::get_response(&t.db, &r.id).await.unwrap();
        assert_eq!(stored.gmail_message_id.as_deref(), Some("gm1"));
        assert_not_found(responses::approve_response(&t.db, "nope", None).await);
        assert_not_found(responses::send_response(&t.db, "nope", "x").await);
        assert_not_found(responses::get_response(&t.db, "nope").await);
    }

    #[tokio::test]
    async fn approve_without_thread_keeps_it_and_reject_only_from_pending() {
        let t = TestDb::new().await;
        lead(&t, "l1").await;
        let r = responses::create_response(&t.db, response("l1"))
            .await
            .unwrap();
        t.exec(&format!(
            "UPDATE renos.email_responses SET gmail_thread_id = 'keep' WHERE id = '{}'",
            r.id
        ))
        .await
        .unwrap();
        let a = responses::approve_response(&t.db, &r.id, None)
            .await
            .unwrap();
        assert_eq!(a.gmail_thread_id.as_deref(), Some("keep"));

        let r2 = responses::create_response(&t.db, response("l1"))
            .await
            .unwrap();
        let rej = responses::reject_response(&t.db, &r2.id, Some(" too pushy "))
            .await
            .unwrap();
        assert_eq!(rej.status, EmailResponseStatus::Rejected);
        assert_eq!(rej.rejected_reason.as_deref(), Some("too pushy"));
        assert_conflict(responses::approve_response(&t.db, &r2.id, None).await);
        assert_conflict(responses::reject_response(&t.db, &r2.id, None).await);
        assert_not_found(responses::reject_response(&t.db, "nope", None).await);

        let pending = responses::create_response(&t.db, response("l1"))
            .await
            .unwrap();
        let list = responses::list_responses(&t.db, EmailResponseStatus::Pending, None)
            .await
            .unwrap();
        assert_eq!(
            list.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
            vec![pending.id]
        );
        let rejected = responses::list_responses(&t.db, EmailResponseStatus::Rejected, None)
            .await
            .unwrap();
        assert_eq!(rejected.len(), 1);
    }

    #[tokio::test]
    async fn ingest_run_starts_running_and_finishes_once() {
        let t = TestDb::new().await;
        let run = ingest_runs::start_ingest_run(&t.db).await.unwrap();
        assert_eq!(run.status, EmailIngestRunStatus::Running);
        assert!(run.finished_at.is_none());
        let done = ingest_runs::finish_ingest_run(
            &t.db,
            &run.id,
            IngestOutcome {
                failed: false,
                total_emails: 10,
                new_emails: 6,
                updated_emails: 3,
                errors: 1,
                error_log: vec!["timeout".into()],
            },
        )
        .await
        .unwrap();
        assert_eq!(done.status, EmailIngestRunStatus::Completed);
        assert!(done.finished_at.is_some());
        assert_eq!(
            (
                done.total_emails,
                done.new_emails,
                done.updated_emails,
                done.errors
            ),
            (10, 6, 3, 1)
        );
        assert_eq!(done.error_log, Some(json!(["timeout"])));
        assert_conflict(
            ingest_runs::finish_ingest_run(&t.db, &run.id, IngestOutcome::default()).await,
        );
        assert_not_found(
            ingest_runs::finish_ingest_run(&t.db, "nope", IngestOutcome::default()).await,
        );
        let got = ingest_runs::get_ingest_run(&t.db, &run.id).await.unwrap();
        assert_eq!(got, done);
        assert_not_found(ingest_runs::get_ingest_run(&t.db, "nope").await);
    }

    #[tokio::test]
    async fn ingest_run_failure_and_bad_counters() {
        let t = TestDb::new().await;
        assert!(
            ingest_runs::latest_ingest_run(&t.db)
                .await
                .unwrap()
                .is_none()
        );
        let first = ingest_runs::start_ingest_run(&t.db).await.unwrap();
        t.exec(&format!(
            "UPDATE renos.email_ingest_runs SET started_at = now() - interval '1 hour' WHERE id = '{}'",
            first.id
        ))
        .await
        .unwrap();
        let run = ingest_runs::start_ingest_run(&t.db).await.unwrap();
        assert_eq!(
            ingest_runs::latest_ingest_run(&t.db)
                .await
                .unwrap()
                .unwrap()
                .id,
            run.id
        );
        assert_invalid(
            ingest_runs::finish_ingest_run(
                &t.db,
                &run.id,
                IngestOutcome {
                    total_emails: -1,
                    errors: 0,
                    error_log: vec!["x".into()],
                    ..Default::default()
                },
            )
            .await,
            &["total_emails", "errors"],
        );
        assert_invalid(
            ingest_runs::finish_ingest_run(
                &t.db,
                &run.id,
                IngestOutcome {
                    total_emails: 1,
                    new_emails: 1,
                    updated_emails: 1,
                    ..Default::default()
                },
            )
            .await,
            &["total_emails"],
        );
        let failed = ingest_runs::finish_ingest_run(
            &t.db,
            &run.id,
            IngestOutcome {
                failed: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(failed.status, EmailIngestRunStatus::Failed);
        assert!(failed.error_log.is_none());
    }
}

// ---------------------------------------------------------------------------------------
// Escalations
// ---------------------------------------------------------------------------------------

mod escalations {
    use super::*;
    use renos::escalations::EscalationSeverity;
    use service::renos::escalations::{self, NewEscalation};

    fn esc(lead: &str, severity: EscalationSeverity) -> NewEscalation {
        NewEscalation {
            lead_id: lead.into(),
            customer_email: " Vred@Kunde.dk ".into(),
            customer_name: Some("Vred Kunde".into()),
            thread_id: "gt1".into(),
            severity,
            conflict_score: 80,
            matched_keywords: vec!["klage".into(), "refusion".into()],
            email_snippet: "Jeg vil klage".into(),
        }
    }

    #[tokio::test]
    async fn create_escalation_is_raised_by_the_system() {
        let t = TestDb::new().await;
        lead(&t, "l1").await;
        let e = escalations::create_escalation(&t.db, esc("l1", EscalationSeverity::High))
            .await
            .unwrap();
        assert_eq!(e.escalated_by, "system");
        assert_eq!(e.customer_email, "vred@kunde.dk");
        assert!(e.resolved_at.is_none());
        assert_eq!(e.matched_keywords, vec!["klage", "refusion"]);
        assert!(!e.jonas_notified);
    }

    #[tokio::test]
    async fn create_escalation_rejects_bad_input_and_unknown_lead() {
        let t = TestDb::new().await;
        let bad = NewEscalation {
            lead_id: "".into(),
            customer_email: "nope".into(),
            customer_name: None,
            thread_id: " ".into(),
            severity: EscalationSeverity::Low,
            conflict_score: -1,
            matched_keywords: vec!["".into()],
            email_snippet: "".into(),
        };
        assert_invalid(
            escalations::create_escalation(&t.db, bad).await,
            &[
                "lead_id",
                "customer_email",
                "thread_id",
                "conflict_score",
                "matched_keywords[0]",
                "email_snippet",
            ],
        );
        assert!(matches!(
            escalations::create_escalation(&t.db, esc("ghost", EscalationSeverity::Low)).await,
            Err(Error::Validation { .. })
        ));
    }

    #[tokio::test]
    async fn resolve_escalation_once_and_audit() {
        let t = TestDb::new().await;
        lead(&t, "l1").await;
        let e = escalations::create_escalation(&t.db, esc("l1", EscalationSeverity::Critical))
            .await
            .unwrap();
        assert_invalid(
            escalations::resolve_escalation(&t.db, &e.id, " ").await,
            &["resolution"],
        );
        let r = escalations::resolve_escalation(&t.db, &e.id, "Refunded")
            .await
            .unwrap();
        assert!(r.resolved_at.is_some());
        assert_eq!(r.resolution.as_deref(), Some("Refunded"));
        assert_conflict(escalations::resolve_escalation(&t.db, &e.id, "Again").await);
        assert_not_found(escalations::resolve_escalation(&t.db, "nope", "x").await);
        assert_eq!(audit_count(&t, "renos.escalations", "resolve").await, 1);
    }

    #[tokio::test]
    async fn list_open_escalations_orders_by_severity_then_age() {
        let t = TestDb::new().await;
        lead(&t, "l1").await;
        let mut ids = Vec::new();
        for s in [
            EscalationSeverity::Low,
            EscalationSeverity::Critical,
            EscalationSeverity::Medium,
            EscalationSeverity::Critical,
            EscalationSeverity::High,
        ] {
            ids.push(
                escalations::create_escalation(&t.db, esc("l1", s))
                    .await
                    .unwrap()
                    .id,
            );
        }
        // The first critical one is older.
        t.exec(&format!(
            "UPDATE renos.escalations SET escalated_at = now() - interval '1 day' WHERE id = '{}'",
            ids[1]
        ))
        .await
        .unwrap();
        escalations::resolve_escalation(&t.db, &ids[4], "done")
            .await
            .unwrap();
        let open = escalations::list_open_escalations(&t.db, None, None)
            .await
            .unwrap();
        let got: Vec<_> = open.iter().map(|e| e.id.clone()).collect();
        assert_eq!(
            got,
            vec![
                ids[1].clone(),
                ids[3].clone(),
                ids[2].clone(),
                ids[0].clone()
            ]
        );
        let severe =
            escalations::list_open_escalations(&t.db, Some(EscalationSeverity::Medium), None)
                .await
                .unwrap();
        assert_eq!(severe.len(), 3);
        assert!(severe.iter().all(|e| e.severity != EscalationSeverity::Low));
        let one = escalations::list_open_escalations(&t.db, None, Some(1))
            .await
            .unwrap();
        assert_eq!(one[0].id, ids[1]);
        assert!(
            escalations::rank(EscalationSeverity::Critical)
                > escalations::rank(EscalationSeverity::High)
        );
        assert!(
            escalations::rank(EscalationSeverity::Medium)
                > escalations::rank(EscalationSeverity::Low)
        );
    }
}

// ---------------------------------------------------------------------------------------
// RenOS users
// ---------------------------------------------------------------------------------------

mod renos_users {
    use super::*;
    use renos::users::UserRole;
    use service::renos::users::UserFilter;

    #[tokio::test]
    async fn create_user_normalises_email_hides_the_hash_and_audits() {
        let t = TestDb::new().await;
        let u = user(&t, "  Anna@Rendetalje.DK ").await;
        assert_eq!(u.email, "anna@rendetalje.dk");
        assert_eq!(u.role, UserRole::Employee);
        assert!(u.is_active);
        let v = serde_json::to_value(&u).unwrap();
        assert!(v.get("password_hash").is_none());
        assert!(!v.to_string().contains(HASH));
        let creds = users::credentials_for(&t.db, "ANNA@rendetalje.dk")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(creds.password_hash, HASH);
        assert_eq!(creds.user_id, u.id);
        assert!(
            !format!("{creds:?}").contains(HASH),
            "Debug redacts the hash"
        );
        assert_eq!(audit_count(&t, "renos.users", "create").await, 1);
    }

    #[tokio::test]
    async fn create_user_rejects_duplicates_plain_passwords_and_bad_fields() {
        let t = TestDb::new().await;
        user(&t, "anna@rendetalje.dk").await;
        assert_conflict(
            users::create_user(
                &t.db,
                NewRenosUser {
                    email: "ANNA@rendetalje.dk".into(),
                    name: "Anna 2".into(),
                    phone: None,
                    password_hash: HASH.into(),
                    role: Some(UserRole::Admin),
                },
            )
            .await,
        );
        // A legacy row stored with capitals still blocks the same address.
        t.exec(
            "INSERT INTO renos.users (id, email, name, password_hash) \
             VALUES ('legacy', 'Bo@Example.com', 'Bo', '$2b$10$xxxxxxxxxxxxxxxxxxxxxx')",
        )
        .await
        .unwrap();
        assert_conflict(
            users::create_user(
                &t.db,
                NewRenosUser {
                    email: "bo@example.com".into(),
                    name: "Bo".into(),
                    phone: None,
                    password_hash: HASH.into(),
                    role: None,
                },
            )
            .await,
        );
        assert_invalid(
            users::create_user(
                &t.db,
                NewRenosUser {
                    email: "not an email".into(),
                    name: " ".into(),
                    phone: None,
                    password_hash: "hunter2".into(),
                    role: None,
                },
            )
            .await,
            &["email", "name", "password_hash"],
        );
        assert_eq!(count(&t, "SELECT count(*) FROM renos.users").await, 2);
    }

    #[tokio::test]
    async fn get_find_and_list_users() {
        let t = TestDb::new().await;
        let b = user(&t, "bent@example.com").await;
        let a = user(&t, "anna@example.com").await;
        let owner = users::create_user(
            &t.db,
            NewRenosUser {
                email: "owner@example.com".into(),
                name: "Zed Owner".into(),
                phone: None,
                password_hash: HASH.into(),
                role: Some(UserRole::Owner),
            },
        )
        .await
        .unwrap();
        assert_eq!(users::get_user(&t.db, &b.id).await.unwrap(), b);
        assert_not_found(users::get_user(&t.db, "nope").await);
        let found = users::find_user_by_email(&t.db, " BENT@example.com")
            .await
            .unwrap();
        assert_eq!(found.map(|u| u.id), Some(b.id.clone()));
        assert!(
            users::find_user_by_email(&t.db, "x@example.com")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            users::credentials_for(&t.db, "x@example.com")
                .await
                .unwrap()
                .is_none()
        );

        let all = users::list_users(&t.db, UserFilter::default())
            .await
            .unwrap();
        let names: Vec<_> = all.iter().map(|u| u.id.clone()).collect();
        assert_eq!(names, vec![a.id.clone(), b.id.clone(), owner.id.clone()]);
        let owners = users::list_users(
            &t.db,
            UserFilter {
                role: Some(UserRole::Owner),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(owners.len(), 1);
        users::set_user_active(&t.db, &a.id, false).await.unwrap();
        let inactive = users::list_users(
            &t.db,
            UserFilter {
                is_active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            inactive.iter().map(|u| u.id.clone()).collect::<Vec<_>>(),
            vec![a.id]
        );
        let limited = users::list_users(
            &t.db,
            UserFilter {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(limited.len(), 1);
    }

    #[tokio::test]
    async fn record_login_and_set_user_active() {
        let t = TestDb::new().await;
        let u = user(&t, "anna@example.com").await;
        assert!(u.last_login_at.is_none());
        let logged = users::record_login(&t.db, &u.id).await.unwrap();
        assert!(logged.last_login_at.is_some());
        assert_not_found(users::record_login(&t.db, "nope").await);
        let off = users::set_user_active(&t.db, &u.id, false).await.unwrap();
        assert!(!off.is_active);
        assert!(
            !users::credentials_for(&t.db, &u.email)
                .await
                .unwrap()
                .unwrap()
                .is_active
        );
        let on = users::set_user_active(&t.db, &u.id, true).await.unwrap();
        assert!(on.is_active);
        assert_not_found(users::set_user_active(&t.db, "nope", true).await);
        assert_eq!(audit_count(&t, "renos.users", "deactivate").await, 1);
        assert_eq!(audit_count(&t, "renos.users", "activate").await, 1);
    }
}

// ---------------------------------------------------------------------------------------
// GDPR
// ---------------------------------------------------------------------------------------

mod gdpr {
    use super::*;
    use renos::chat_messages::ChatMessageRole;
    use renos::chat_sessions::ChatSessionContext;
    use renos::data_deletion_requests::DataDeletionRequestStatus;
    use renos::data_export_requests::DataExportRequestStatus;
    use service::renos::chat::{self, NewChatMessage, NewChatSession};
    use service::renos::gdpr::consents::{self, NewConsent};
    use service::renos::gdpr::deletion::{self, NewDeletionRequest};
    use service::renos::gdpr::export;
    use service::renos::gdpr::privacy_policies::{self, NewPrivacyPolicy};
    use service::renos::notifications::{self, NewNotification};
    use service::renos::team::members::{self, NewTeamMember};
    use service::renos::team::time_entries::{self, NewTimeEntry};

    fn consent(user_id: &str, kind: &str) -> NewConsent {
        NewConsent {
            user_id: user_id.into(),
            consent_type: kind.into(),
            ip_address: "192.0.2.10".into(),
            user_agent: "Mozilla/5.0".into(),
            version: Some("2.0".into()),
        }
    }

    /// A user with one of everything personal.
    async fn rich_user(t: &TestDb, email: &str) -> (RenosUserView, String) {
        let u = user(t, email).await;
        consents::grant_consent(&t.db, consent(&u.id, "marketing"))
            .await
            .unwrap();
        notifications::create_notification(
            &t.db,
            NewNotification {
                organization_id: "org".into(),
                user_id: u.id.clone(),
                kind: "job_assigned".into(),
                title: "Nyt job".into(),
                message: "Du har et nyt job".into(),
                data: None,
            },
        )
        .await
        .unwrap();
        let m = members::create_team_member(
            &t.db,
            NewTeamMember {
                user_id: u.id.clone(),
                employee_id: format!("E-{email}"),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        time_entries::clock_in(
            &t.db,
            NewTimeEntry {
                team_member_id: m.id.clone(),
                notes: Some("Kodeord til alarm: 1234".into()),
                location: Some(json!({"lat": 55.6, "lng": 12.5})),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let s = chat::create_session(
            &t.db,
            NewChatSession {
                user_id: u.id.clone(),
                organization_id: "org".into(),
                context: ChatSessionContext::Employee,
                title: Some("Hjælp".into()),
                metadata: None,
            },
        )
        .await
        .unwrap();
        chat::add_message(
            &t.db,
            NewChatMessage {
                session_id: s.id.clone(),
                role: ChatMessageRole::User,
                content: "Hvornår har jeg fri?".into(),
                metadata: None,
            },
        )
        .await
        .unwrap();
        (u, m.id)
    }

    #[tokio::test]
    async fn request_data_export_is_pending_once_per_user() {
        let t = TestDb::new().await;
        let u = user(&t, "anna@example.com").await;
        let r = export::request_data_export(&t.db, &u.id).await.unwrap();
        assert_eq!(r.status, DataExportRequestStatus::Pending);
        assert_eq!(r.email, "anna@example.com");
        assert_conflict(export::request_data_export(&t.db, &u.id).await);
        assert_not_found(export::request_data_export(&t.db, "nope").await);
        assert_eq!(
            audit_count(&t, "renos.data_export_requests", "request_export").await,
            1
        );
        export::start_export_processing(&t.db, &r.id).await.unwrap();
        assert_conflict(export::request_data_export(&t.db, &u.id).await);
        export::fail_data_export(&t.db, &r.id).await.unwrap();
        let again = export::request_data_export(&t.db, &u.id).await.unwrap();
        assert_ne!(again.id, r.id);
        let list = export::list_export_requests(&t.db, &u.id).await.unwrap();
        assert_eq!(list.len(), 2);
    }

    #[tokio::test]
    async fn export_user_data_contains_everything_about_the_user_only() {
        let t = TestDb::new().await;
        let (u, member_id) = rich_user(&t, "anna@example.com").await;
        let (other, _) = rich_user(&t, "bo@example.com").await;
        export::request_data_export(&t.db, &u.id).await.unwrap();
        deletion::request_data_deletion(
            &t.db,
            NewDeletionRequest {
                user_id: u.id.clone(),
                scheduled_deletion_date: now() + Duration::days(30),
                reason: None,
            },
        )
        .await
        .unwrap();
        let doc = export::export_user_data(&t.db, &u.id).await.unwrap();
        assert_eq!(doc["format_version"], json!(1));
        assert_eq!(doc["user"]["id"], json!(u.id));
        assert_eq!(doc["user"]["email"], json!("anna@example.com"));
        assert!(doc["user"].get("password_hash").is_none());
        assert!(!doc.to_string().contains(HASH));
        assert!(
            !doc.to_string().contains(&other.id),
            "no data of other users"
        );
        assert_eq!(doc["consents"].as_array().unwrap().len(), 1);
        assert_eq!(doc["consents"][0]["consent_type"], json!("marketing"));
        assert_eq!(doc["notifications"].as_array().unwrap().len(), 1);
        assert_eq!(doc["team_member"]["id"], json!(member_id));
        assert_eq!(doc["time_entries"].as_array().unwrap().len(), 1);
        assert_eq!(doc["chat_sessions"].as_array().unwrap().len(), 1);
        assert_eq!(
            doc["chat_sessions"][0]["messages"][0]["content"],
            json!("Hvornår har jeg fri?")
        );
        assert_eq!(doc["data_export_requests"].as_array().unwrap().len(), 1);
        assert_eq!(doc["data_deletion_requests"].as_array().unwrap().len(), 1);
        assert_eq!(doc["time_corrections_submitted"], json!([]));
        assert_not_found(export::export_user_data(&t.db, "nope").await);
    }

    #[tokio::test]
    async fn export_user_data_of_a_bare_user() {
        let t = TestDb::new().await;
        let u = user(&t, "anna@example.com").await;
        let doc = export::export_user_data(&t.db, &u.id).await.unwrap();
        assert!(doc["team_member"].is_null());
        assert_eq!(doc["time_entries"], json!([]));
        assert_eq!(doc["consents"], json!([]));
    }

    #[tokio::test]
    async fn complete_data_export_sets_link_and_checks_state() {
        let t = TestDb::new().await;
        let u = user(&t, "anna@example.com").await;
        let r = export::request_data_export(&t.db, &u.id).await.unwrap();
        let expires = ts("2099-01-01T00:00:00Z");
        assert_invalid(
            export::complete_data_export(&t.db, &r.id, "ftp://x", now() - Duration::hours(1)).await,
            &["download_url", "expires_at"],
        );
        let p = export::start_export_processing(&t.db, &r.id).await.unwrap();
        assert_eq!(p.status, DataExportRequestStatus::Processing);
        assert_conflict(export::start_export_processing(&t.db, &r.id).await);
        let done =
            export::complete_data_export(&t.db, &r.id, "https://files.example.com/e.zip", expires)
                .await
                .unwrap();
        assert_eq!(done.status, DataExportRequestStatus::Completed);
        assert_eq!(
            done.download_url.as_deref(),
            Some("https://files.example.com/e.zip")
        );
        assert_eq!(done.expires_at, Some(expires));
        assert_conflict(
            export::complete_data_export(&t.db, &r.id, "https://x.example.com/", expires).await,
        );
        assert_conflict(export::fail_data_export(&t.db, &r.id).await);
        assert_not_found(
            export::complete_data_export(&t.db, "nope", "https://x.example.com/", expires).await,
        );
        assert_not_found(export::start_export_processing(&t.db, "nope").await);
        assert_not_found(export::fail_data_export(&t.db, "nope").await);
        assert_eq!(
            audit_count(&t, "renos.data_export_requests", "complete_export").await,
            1
        );
        // Straight from pending works too.
        let u2 = user(&t, "bo@example.com").await;
        let r2 = export::request_data_export(&t.db, &u2.id).await.unwrap();
        let d2 = export::complete_data_export(&t.db, &r2.id, "https://x.example.com/2", expires)
            .await
            .unwrap();
        assert_eq!(d2.status, DataExportRequestStatus::Completed);
        let f = export::request_data_export(&t.db, &u2.id).await.unwrap();
        let failed = export::fail_data_export(&t.db, &f.id).await.unwrap();
        assert_eq!(failed.status, DataExportRequestStatus::Failed);
        assert!(failed.download_url.is_none());
    }

    #[tokio::test]
    async fn request_and_cancel_data_deletion() {
        let t = TestDb::new().await;
        let u = user(&t, "anna@example.com").await;
        let past = NewDeletionRequest {
            user_id: u.id.clone(),
            scheduled_deletion_date: now() - Duration::hours(2),
            reason: None,
        };
        assert_invalid(
            deletion::request_data_deletion(&t.db, past).await,
            &["scheduled_deletion_date"],
        );
        let when = now() + Duration::days(30);
        let r = deletion::request_data_deletion(
            &t.db,
            NewDeletionRequest {
                user_id: u.id.clone(),
                scheduled_deletion_date: when,
                reason: Some(" moving away ".into()),
            },
        )
        .await
        .unwrap();
        assert_eq!(r.status, DataDeletionRequestStatus::Pending);
        assert_eq!(r.reason.as_deref(), Some("moving away"));
        assert_eq!(r.email, "anna@example.com");
        assert_conflict(
            deletion::request_data_deletion(
                &t.db,
                NewDeletionRequest {
                    user_id: u.id.clone(),
                    scheduled_deletion_date: when,
                    reason: None,
                },
            )
            .await,
        );
        assert_not_found(
            deletion::request_data_deletion(
                &t.db,
                NewDeletionRequest {
                    user_id: "nope".into(),
                    scheduled_deletion_date: when,
                    reason: None,
                },
            )
            .await,
        );
        let c = deletion::cancel_data_deletion(&t.db, &r.id).await.unwrap();
        assert_eq!(c.status, DataDeletionRequestStatus::Cancelled);
        assert_conflict(deletion::cancel_data_deletion(&t.db, &r.id).await);
        assert_not_found(deletion::cancel_data_deletion(&t.db, "nope").await);
        // After cancelling, a new request is allowed.
        deletion::request_data_deletion(
            &t.db,
            NewDeletionRequest {
                user_id: u.id.clone(),
                scheduled_deletion_date: when,
                reason: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            deletion::list_deletion_requests(&t.db, &u.id)
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            audit_count(&t, "renos.data_deletion_requests", "request_deletion").await,
            2
        );
        assert_eq!(
            audit_count(&t, "renos.data_deletion_requests", "cancel_deletion").await,
            1
        );
    }

    #[tokio::test]
    async fn execute_due_deletions_anonymises_due_users_and_keeps_work_records() {
        let t = TestDb::new().await;
        let (u, member_id) = rich_user(&t, "anna@example.com").await;
        let (keep, _) = rich_user(&t, "bo@example.com").await;
        let (later, _) = rich_user(&t, "cy@example.com").await;
        export::request_data_export(&t.db, &u.id).await.unwrap();
        export::request_data_export(&t.db, &keep.id).await.unwrap();
        // A RESTRICT reference: the user assessed a job (would block a hard delete).
        lead(&t, "l1").await;
        t.exec(
            "INSERT INTO renos.quality_checklists (id, service_type, name, items) \
             VALUES ('ql', 'home', 'Home', '[]')",
        )
        .await
        .unwrap();
        t.exec(&format!(
            "INSERT INTO renos.quality_assessments (id, lead_id, checklist_id, assessed_by, \
             completed_items, overall_score, percentage_score, total_points_earned, \
             max_possible_points) VALUES ('qa', 'l1', 'ql', '{}', '[]', 0, 0, 0, 0)",
            u.id
        ))
        .await
        .unwrap();
        let shared = service::shared::users::upsert_user(
            &t.db,
            service::shared::users::NewUser {
                email: u.email.clone(),
                name: "Anna".into(),
            },
        )
        .await
        .unwrap();
        t.exec(&format!(
            "UPDATE renos.users SET shared_user_id = '{}' WHERE id = '{}'",
            shared.id, u.id
        ))
        .await
        .unwrap();
        let due = deletion::request_data_deletion(
            &t.db,
            NewDeletionRequest {
                user_id: u.id.clone(),
                scheduled_deletion_date: now() + Duration::days(1),
                reason: None,
            },
        )
        .await
        .unwrap();
        let not_due = deletion::request_data_deletion(
            &t.db,
            NewDeletionRequest {
                user_id: later.id.clone(),
                scheduled_deletion_date: now() + Duration::days(10),
                reason: None,
            },
        )
        .await
        .unwrap();

        let run = deletion::execute_due_deletions(&t.db, now() + Duration::days(2))
            .await
            .unwrap();
        assert_eq!(run.completed, vec![due.id.clone()]);
        assert!(run.failed.is_empty());

        let gone = users::get_user(&t.db, &u.id).await.unwrap();
        assert_eq!(gone.email, deletion::anonymised_email(&u.id));
        assert_eq!(gone.name, deletion::ANONYMISED_NAME);
        assert!(gone.phone.is_none());
        assert!(!gone.is_active);
        assert!(gone.shared_user_id.is_none());
        assert!(
            users::credentials_for(&t.db, "anna@example.com")
                .await
                .unwrap()
                .is_none()
        );
        let hash: i64 = count(
            &t,
            &format!(
                "SELECT count(*) FROM renos.users WHERE id = '{}' AND password_hash = '{}'",
                u.id,
                deletion::ANONYMISED_PASSWORD_HASH
            ),
        )
        .await;
        assert_eq!(hash, 1);
        for table in [
            "consent_records",
            "notifications",
            "data_export_requests",
            "chat_sessions",
        ] {
            assert_eq!(
                count(
                    &t,
                    &format!(
                        "SELECT count(*) FROM renos.{table} WHERE user_id = '{}'",
                        u.id
                    )
                )
                .await,
                0,
                "{table} deleted"
            );
            assert!(
                count(
                    &t,
                    &format!(
                        "SELECT count(*) FROM renos.{table} WHERE user_id = '{}'",
                        keep.id
                    )
                )
                .await
                    > 0,
                "{table} of other users kept"
            );
        }
        assert_eq!(
            count(&t, "SELECT count(*) FROM renos.quality_assessments").await,
            1
        );
        assert_eq!(
            count(
                &t,
                &format!(
                    "SELECT count(*) FROM renos.team_members WHERE id = '{member_id}' AND NOT is_active"
                )
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &t,
                &format!(
                    "SELECT count(*) FROM renos.time_entries WHERE team_member_id = '{member_id}' \
                     AND location IS NULL AND notes IS NULL"
                )
            )
            .await,
            1
        );
        let requests = deletion::list_deletion_requests(&t.db, &u.id)
            .await
            .unwrap();
        assert_eq!(requests[0].status, DataDeletionRequestStatus::Completed);
        assert_eq!(requests[0].email, deletion::anonymised_email(&u.id));
        let untouched = deletion::list_deletion_requests(&t.db, &later.id)
            .await
            .unwrap();
        assert_eq!(untouched[0].id, not_due.id);
        assert_eq!(untouched[0].status, DataDeletionRequestStatus::Pending);
        assert_eq!(
            users::get_user(&t.db, &later.id).await.unwrap().email,
            "cy@example.com"
        );
        assert_eq!(
            audit_count(&t, "renos.data_deletion_requests", "execute_deletion").await,
            1
        );
        let audit_text: i64 = count(
            &t,
            "SELECT count(*) FROM shared.audit_logs WHERE metadata::text LIKE '%anna@%'",
        )
        .await;
        assert_eq!(audit_text, 0, "no email in the audit trail");

        let again = deletion::execute_due_deletions(&t.db, now() + Duration::days(2))
            .await
            .unwrap();
        assert_eq!(again, deletion::DeletionRun::default());
    }

    #[tokio::test]
    async fn execute_due_deletions_marks_a_failing_request_failed_and_goes_on() {
        let t = TestDb::new().await;
        let a = user(&t, "anna@example.com").await;
        let b = user(&t, "bo@example.com").await;
        t.exec(&format!(
            "CREATE FUNCTION pg_temp_block() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'blocked'; END $$; \
             CREATE TRIGGER block_anna BEFORE UPDATE ON renos.users FOR EACH ROW \
             WHEN (OLD.id = '{}') EXECUTE FUNCTION pg_temp_block();",
            a.id
        ))
        .await
        .unwrap();
        let mut ids = Vec::new();
        for u in [&a, &b] {
            ids.push(
                deletion::request_data_deletion(
                    &t.db,
                    NewDeletionRequest {
                        user_id: u.id.clone(),
                        scheduled_deletion_date: now() + Duration::minutes(5),
                        reason: None,
                    },
                )
                .await
                .unwrap()
                .id,
            );
        }
        consents::grant_consent(&t.db, consent(&a.id, "marketing"))
            .await
            .unwrap();
        let run = deletion::execute_due_deletions(&t.db, now() + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(run.failed, vec![ids[0].clone()]);
        assert_eq!(run.completed, vec![ids[1].clone()]);
        let failed = deletion::list_deletion_requests(&t.db, &a.id)
            .await
            .unwrap();
        assert_eq!(failed[0].status, DataDeletionRequestStatus::Failed);
        assert_eq!(
            consents::current_consents(&t.db, &a.id)
                .await
                .unwrap()
                .len(),
            1,
            "the failed erasure was rolled back"
        );
        assert_eq!(
            users::get_user(&t.db, &a.id).await.unwrap().email,
            "anna@example.com"
        );
        assert_eq!(
            users::get_user(&t.db, &b.id).await.unwrap().email,
            deletion::anonymised_email(&b.id)
        );
    }

    #[tokio::test]
    async fn consents_grant_supersede_revoke_and_history() {
        let t = TestDb::new().await;
        let u = user(&t, "anna@example.com").await;
        let first = consents::grant_consent(&t.db, consent(&u.id, " Marketing "))
            .await
            .unwrap();
        assert_eq!(first.consent_type, "marketing");
        assert!(first.granted);
        assert_eq!(first.version, "2.0");
        let mut v1 = consent(&u.id, "analytics");
        v1.version = None;
        v1.ip_address = "2001:db8::1".into();
        let a = consents::grant_consent(&t.db, v1).await.unwrap();
        assert_eq!(a.version, consents::DEFAULT_POLICY_VERSION);
        assert_eq!(a.ip_address, "2001:db8::1");
        let second = consents::grant_consent(&t.db, consent(&u.id, "marketing"))
            .await
            .unwrap();
        let current = consents::current_consents(&t.db, &u.id).await.unwrap();
        let ids: Vec<_> = current.iter().map(|c| c.id.clone()).collect();
        assert_eq!(
            ids,
            vec![a.id.clone(), second.id.clone()],
            "one per type, by type"
        );
        assert!(
            consents::has_consent(&t.db, &u.id, "MARKETING")
                .await
                .unwrap()
        );
        let revoked = consents::revoke_consent(&t.db, &u.id, "marketing")
            .await
            .unwrap();
        assert_eq!(revoked.id, second.id);
        assert!(!revoked.granted);
        assert!(revoked.revoked_at.is_some());
        assert!(
            !consents::has_consent(&t.db, &u.id, "marketing")
                .await
                .unwrap()
        );
        assert_not_found(consents::revoke_consent(&t.db, &u.id, "marketing").await);
        assert_invalid(
            consents::revoke_consent(&t.db, &u.id, " ").await,
            &["consent_type"],
        );
        let history = consents::consent_history(&t.db, &u.id).await.unwrap();
        assert_eq!(history.len(), 3);
        assert!(
            history
                .iter()
                .filter(|c| c.consent_type == "marketing")
                .all(|c| !c.granted)
        );
        assert_eq!(
            audit_count(&t, "renos.consent_records", "grant_consent").await,
            3
        );
        assert_eq!(
            audit_count(&t, "renos.consent_records", "revoke_consent").await,
            1
        );
    }

    #[tokio::test]
    async fn grant_consent_rejects_bad_input_and_unknown_users() {
        let t = TestDb::new().await;
        let bad = NewConsent {
            user_id: "x".into(),
            consent_type: "".into(),
            ip_address: "999.1.1.1".into(),
            user_agent: " ".into(),
            version: Some("".into()),
        };
        assert_invalid(
            consents::grant_consent(&t.db, bad).await,
            &["consent_type", "ip_address", "user_agent", "version"],
        );
        assert_not_found(consents::grant_consent(&t.db, consent("nope", "marketing")).await);
    }

    #[tokio::test]
    async fn privacy_policies_keep_at_most_one_active() {
        let t = TestDb::new().await;
        assert!(
            privacy_policies::active_policy(&t.db)
                .await
                .unwrap()
                .is_none()
        );
        let v1 = privacy_policies::publish_policy(
            &t.db,
            NewPrivacyPolicy {
                version: "1.0".into(),
                content: "Første".into(),
                activate: true,
            },
        )
        .await
        .unwrap();
        assert!(v1.active);
        let v2 = privacy_policies::publish_policy(
            &t.db,
            NewPrivacyPolicy {
                version: "2.0".into(),
                content: "Anden".into(),
                activate: false,
            },
        )
        .await
        .unwrap();
        assert!(!v2.active);
        assert_eq!(
            privacy_policies::active_policy(&t.db)
                .await
                .unwrap()
                .unwrap()
                .id,
            v1.id
        );
        let a2 = privacy_policies::activate_policy(&t.db, &v2.id)
            .await
            .unwrap();
        assert!(a2.active);
        assert_eq!(
            privacy_policies::active_policy(&t.db)
                .await
                .unwrap()
                .unwrap()
                .id,
            v2.id
        );
        let v3 = privacy_policies::publish_policy(
            &t.db,
            NewPrivacyPolicy {
                version: "3.0".into(),
                content: "Tredje".into(),
                activate: true,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            count(
                &t,
                "SELECT count(*) FROM renos.privacy_policies WHERE active"
            )
            .await,
            1
        );
        assert_eq!(
            privacy_policies::active_policy(&t.db)
                .await
                .unwrap()
                .unwrap()
                .id,
            v3.id
        );
        assert_conflict(
            privacy_policies::publish_policy(
                &t.db,
                NewPrivacyPolicy {
                    version: "1.0".into(),
                    content: "dup".into(),
                    activate: true,
                },
            )
            .await,
        );
        assert_eq!(
            privacy_policies::active_policy(&t.db)
                .await
                .unwrap()
                .unwrap()
                .id,
            v3.id
        );
        assert_not_found(privacy_policies::activate_policy(&t.db, "nope").await);
        assert_eq!(
            privacy_policies::active_policy(&t.db)
                .await
                .unwrap()
                .unwrap()
                .id,
            v3.id
        );
        assert_invalid(
            privacy_policies::publish_policy(
                &t.db,
                NewPrivacyPolicy {
                    version: " ".into(),
                    content: "".into(),
                    activate: false,
                },
            )
            .await,
            &["version", "content"],
        );
        let all = privacy_policies::list_policies(&t.db).await.unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(
            audit_count(&t, "renos.privacy_policies", "publish_policy").await,
            3
        );
        assert_eq!(
            audit_count(&t, "renos.privacy_policies", "activate_policy").await,
            1
        );
    }
}

// ---------------------------------------------------------------------------------------
// Subcontractors
// ---------------------------------------------------------------------------------------

mod subcontractors {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};
    use renos::subcontractor_agreements::SubcontractorAgreementStatus;
    use renos::subcontractor_documents::{SubcontractorDocumentStatus, SubcontractorDocumentType};
    use renos::subcontractors::SubcontractorStatus;
    use renos::task_assignments::TaskAssignmentStatus;
    use service::renos::subcontractors::agreements::{self, NewAgreement};
    use service::renos::subcontractors::assignments::{self, AssignmentFilter, NewAssignment};
    use service::renos::subcontractors::availability::{self, NewAvailability};
    use service::renos::subcontractors::documents::{self, NewSubcontractorDocument};
    use service::renos::subcontractors::profiles::{
        self, NewSubcontractor, SubcontractorFilter, SubcontractorUpdate,
    };
    use service::renos::subcontractors::push_subscriptions as push;
    use service::renos::subcontractors::reviews::{self, NewReview};
    use service::renos::subcontractors::services::{self, NewSubcontractorService};
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn new_sub(email: &str) -> NewSubcontractor {
        NewSubcontractor {
            company_name: "Rent & Pænt ApS".into(),
            contact_name: "Mette".into(),
            email: email.into(),
            phone: "+45 11223344".into(),
            address: Some("Vej 1".into()),
            cvr_number: Some("DK 1234 5678".into()),
            website_url: Some("https://rentogpaent.dk".into()),
            notes: None,
        }
    }

    async fn sub(t: &TestDb, email: &str) -> renos::subcontractors::Model {
        profiles::create_subcontractor(&t.db, new_sub(email))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn create_subcontractor_normalises_and_validates() {
        let t = TestDb::new().await;
        let s = profiles::create_subcontractor(&t.db, new_sub(" Mette@Rent.DK "))
            .await
            .unwrap();
        assert_eq!(s.email, "mette@rent.dk");
        assert_eq!(s.cvr_number.as_deref(), Some("12345678"));
        assert_eq!(s.status, SubcontractorStatus::Active);
        assert_eq!(s.rating, Some(Decimal::ZERO));
        assert_conflict(profiles::create_subcontractor(&t.db, new_sub("mette@rent.dk")).await);
        let bad = NewSubcontractor {
            company_name: " ".into(),
            contact_name: "".into(),
            email: "x".into(),
            phone: "".into(),
            address: None,
            cvr_number: Some("123".into()),
            website_url: Some("rent.dk".into()),
            notes: None,
        };
        assert_invalid(
            profiles::create_subcontractor(&t.db, bad).await,
            &[
                "company_name",
                "contact_name",
                "email",
                "phone",
                "cvr_number",
                "website_url",
            ],
        );
        assert_eq!(audit_count(&t, "renos.subcontractors", "create").await, 1);
    }

    #[tokio::test]
    async fn update_subcontractor_changes_fields_and_audits_status() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        sub(&t, "b@rent.dk").await;
        let same = profiles::update_subcontractor(&t.db, s.id, SubcontractorUpdate::default())
            .await
            .unwrap();
        assert_eq!(same, s);
        let u = profiles::update_subcontractor(
            &t.db,
            s.id,
            SubcontractorUpdate {
                company_name: Some("Nyt Navn".into()),
                website_url: Some(None),
                status: Some(SubcontractorStatus::Suspended),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(u.company_name, "Nyt Navn");
        assert!(u.website_url.is_none());
        assert_eq!(u.status, SubcontractorStatus::Suspended);
        assert_eq!(u.email, "a@rent.dk");
        assert_eq!(
            audit_count(&t, "renos.subcontractors", "change_status").await,
            1
        );
        profiles::update_subcontractor(
            &t.db,
            s.id,
            SubcontractorUpdate {
                notes: Some(Some("ok".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            audit_count(&t, "renos.subcontractors", "change_status").await,
            1
        );
        assert_conflict(
            profiles::update_subcontractor(
                &t.db,
                s.id,
                SubcontractorUpdate {
                    email: Some("B@rent.dk".into()),
                    ..Default::default()
                },
            )
            .await,
        );
        assert_invalid(
            profiles::update_subcontractor(
                &t.db,
                s.id,
                SubcontractorUpdate {
                    phone: Some(" ".into()),
                    cvr_number: Some(Some("abc".into())),
                    ..Default::default()
                },
            )
            .await,
            &["phone", "cvr_number"],
        );
        assert_not_found(
            profiles::update_subcontractor(
                &t.db,
                Uuid::new_v4(),
                SubcontractorUpdate {
                    notes: Some(None),
                    ..Default::default()
                },
            )
            .await,
        );
    }

    #[tokio::test]
    async fn get_and_list_subcontractors_best_rated_first() {
        let t = TestDb::new().await;
        let a = sub(&t, "a@rent.dk").await;
        let b = sub(&t, "b@rent.dk").await;
        let c = sub(&t, "c@rent.dk").await;
        t.exec(&format!(
            "UPDATE renos.subcontractors SET rating = 4.5 WHERE id = '{}'; \
             UPDATE renos.subcontractors SET rating = NULL WHERE id = '{}'",
            b.id, a.id
        ))
        .await
        .unwrap();
        profiles::update_subcontractor(
            &t.db,
            c.id,
            SubcontractorUpdate {
                status: Some(SubcontractorStatus::Inactive),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let all = profiles::list_subcontractors(&t.db, SubcontractorFilter::default())
            .await
            .unwrap();
        assert_eq!(
            all.iter().map(|s| s.id).collect::<Vec<_>>(),
            vec![b.id, c.id, a.id],
            "4.5, then 0, then unrated"
        );
        let active = profiles::list_subcontractors(
            &t.db,
            SubcontractorFilter {
                status: Some(SubcontractorStatus::Active),
                limit: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(active.len(), 2);
        assert_eq!(
            profiles::get_subcontractor(&t.db, a.id).await.unwrap().id,
            a.id
        );
        assert_not_found(profiles::get_subcontractor(&t.db, Uuid::new_v4()).await);
    }

    #[tokio::test]
    async fn services_add_list_remove() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        let service_id = Uuid::new_v4();
        let row = services::add_service(
            &t.db,
            NewSubcontractorService {
                subcontractor_id: s.id,
                service_id,
                experience_years: Some(5),
                certifications: vec!["Svanemærket".into()],
            },
        )
        .await
        .unwrap();
        assert_eq!(row.certifications, vec!["Svanemærket"]);
        assert_conflict(
            services::add_service(
                &t.db,
                NewSubcontractorService {
                    subcontractor_id: s.id,
                    service_id,
                    experience_years: None,
                    certifications: vec![],
                },
            )
            .await,
        );
        assert_invalid(
            services::add_service(
                &t.db,
                NewSubcontractorService {
                    subcontractor_id: s.id,
                    service_id: Uuid::new_v4(),
                    experience_years: Some(-1),
                    certifications: vec![" ".into()],
                },
            )
            .await,
            &["experience_years", "certifications[0]"],
        );
        assert!(matches!(
            services::add_service(
                &t.db,
                NewSubcontractorService {
                    subcontractor_id: Uuid::new_v4(),
                    service_id,
                    experience_years: None,
                    certifications: vec![],
                },
            )
            .await,
            Err(Error::Validation { .. })
        ));
        assert_eq!(services::list_services(&t.db, s.id).await.unwrap().len(), 1);
        services::remove_service(&t.db, row.id).await.unwrap();
        assert!(
            services::list_services(&t.db, s.id)
                .await
                .unwrap()
                .is_empty()
        );
        assert_not_found(services::remove_service(&t.db, row.id).await);
    }

    #[tokio::test]
    async fn documents_add_review_expire_list() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        let doc = |name: &str, exp: Option<NaiveDate>| NewSubcontractorDocument {
            subcontractor_id: s.id,
            document_type: SubcontractorDocumentType::Insurance,
            document_name: name.into(),
            storage_url: format!("https://files.example.com/{name}"),
            expiration_date: exp,
            status: None,
        };
        let old = documents::add_document(&t.db, doc("old.pdf", Some(date(2020, 1, 1))))
            .await
            .unwrap();
        assert_eq!(old.status, SubcontractorDocumentStatus::Pending);
        let fresh = documents::add_document(&t.db, doc("new.pdf", Some(date(2099, 1, 1))))
            .await
            .unwrap();
        let valid =
            documents::set_document_status(&t.db, old.id, SubcontractorDocumentStatus::Valid)
                .await
                .unwrap();
        assert_eq!(valid.status, SubcontractorDocumentStatus::Valid);
        documents::set_document_status(&t.db, fresh.id, SubcontractorDocumentStatus::Valid)
            .await
            .unwrap();
        assert_not_found(
            documents::set_document_status(
                &t.db,
                Uuid::new_v4(),
                SubcontractorDocumentStatus::Valid,
            )
            .await,
        );
        assert_eq!(
            documents::expire_documents(&t.db, date(2026, 1, 1))
                .await
                .unwrap(),
            1
        );
        let list = documents::list_documents(&t.db, s.id).await.unwrap();
        let by_name = |n: &str| list.iter().find(|d| d.document_name == n).unwrap().status;
        assert_eq!(by_name("old.pdf"), SubcontractorDocumentStatus::Expired);
        assert_eq!(by_name("new.pdf"), SubcontractorDocumentStatus::Valid);
        let mut bad = doc(" ", None);
        bad.storage_url = "file:///etc/passwd".into();
        assert_invalid(
            documents::add_document(&t.db, bad).await,
            &["document_name", "storage_url"],
        );
    }

    #[tokio::test]
    async fn availability_slots_are_checked_and_listed_by_range() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        let h = |x: u32| Some(NaiveTime::from_hms_opt(x, 0, 0).unwrap());
        let slot = |d: NaiveDate, start, end| NewAvailability {
            subcontractor_id: s.id,
            date: d,
            start_time: start,
            end_time: end,
            is_available: true,
            recurring: false,
            recurring_pattern: Some("ignored".into()),
            notes: None,
        };
        let a = availability::add_availability(&t.db, slot(date(2030, 1, 2), h(8), h(12)))
            .await
            .unwrap();
        assert!(
            a.recurring_pattern.is_none(),
            "pattern only kept when recurring"
        );
        availability::add_availability(&t.db, slot(date(2030, 1, 2), None, None))
            .await
            .unwrap();
        availability::add_availability(&t.db, slot(date(2030, 1, 5), h(9), h(10)))
            .await
            .unwrap();
        assert_conflict(
            availability::add_availability(&t.db, slot(date(2030, 1, 2), h(8), h(16))).await,
        );
        assert_invalid(
            availability::add_availability(&t.db, slot(date(2030, 1, 3), h(12), h(8))).await,
            &["end_time"],
        );
        assert_invalid(
            availability::add_availability(&t.db, slot(date(2030, 1, 3), h(12), None)).await,
            &["end_time"],
        );
        let mut rec = slot(date(2030, 1, 4), None, None);
        rec.recurring = true;
        rec.recurring_pattern = None;
        assert_invalid(
            availability::add_availability(&t.db, rec.clone()).await,
            &["recurring_pattern"],
        );
        rec.recurring_pattern = Some("weekly".into());
        let r = availability::add_availability(&t.db, rec).await.unwrap();
        assert_eq!(r.recurring_pattern.as_deref(), Some("weekly"));

        let jan2 = availability::list_availability(&t.db, s.id, date(2030, 1, 1), date(2030, 1, 2))
            .await
            .unwrap();
        assert_eq!(jan2.len(), 2);
        assert!(jan2[0].start_time.is_none(), "whole-day slot first");
        assert_eq!(jan2[1].id, a.id);
        let all = availability::list_availability(&t.db, s.id, date(2030, 1, 1), date(2030, 1, 31))
            .await
            .unwrap();
        assert_eq!(all.len(), 4);
        assert_invalid(
            availability::list_availability(&t.db, s.id, date(2030, 2, 1), date(2030, 1, 1)).await,
            &["to"],
        );
        availability::remove_availability(&t.db, a.id)
            .await
            .unwrap();
        assert_not_found(availability::remove_availability(&t.db, a.id).await);
    }

    fn assignment(booking: &str, sub_id: Uuid) -> NewAssignment {
        NewAssignment {
            booking_id: booking.into(),
            subcontractor_id: sub_id,
            assigned_by: None,
            notes: Some("Nøgle under måtten".into()),
            calendar_event_id: None,
        }
    }

    #[tokio::test]
    async fn assign_booking_checks_booking_subcontractor_and_open_assignments() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        let other = sub(&t, "b@rent.dk").await;
        booking(&t, "b1", "scheduled").await;
        booking(&t, "b-cancelled", "cancelled").await;
        let a = assignments::assign_booking(&t.db, assignment("b1", s.id))
            .await
            .unwrap();
        assert_eq!(a.status, TaskAssignmentStatus::Assigned);
        assert_eq!(a.booking_id.as_deref(), Some("b1"));
        assert_conflict(assignments::assign_booking(&t.db, assignment("b1", other.id)).await);
        assert_invalid(
            assignments::assign_booking(&t.db, assignment("nope", s.id)).await,
            &["booking_id"],
        );
        assert_invalid(
            assignments::assign_booking(&t.db, assignment(" ", s.id)).await,
            &["booking_id"],
        );
        assert_conflict(assignments::assign_booking(&t.db, assignment("b-cancelled", s.id)).await);
        assert_invalid(
            assignments::assign_booking(&t.db, assignment("b1", Uuid::new_v4())).await,
            &["subcontractor_id"],
        );
        booking(&t, "b2", "confirmed").await;
        profiles::update_subcontractor(
            &t.db,
            other.id,
            SubcontractorUpdate {
                status: Some(SubcontractorStatus::Suspended),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_conflict(assignments::assign_booking(&t.db, assignment("b2", other.id)).await);
        // A rejected assignment frees the booking.
        assignments::reject_assignment(&t.db, a.id, Some("syg"))
            .await
            .unwrap();
        let again = assignments::assign_booking(&t.db, assignment("b1", s.id))
            .await
            .unwrap();
        assert_ne!(again.id, a.id);
    }

    #[tokio::test]
    async fn assignment_lifecycle_is_checked() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        booking(&t, "b1", "scheduled").await;
        let a = assignments::assign_booking(&t.db, assignment("b1", s.id))
            .await
            .unwrap();
        assert_conflict(assignments::start_assignment(&t.db, a.id).await);
        assert_conflict(assignments::complete_assignment(&t.db, a.id, None).await);
        let acc = assignments::accept_assignment(&t.db, a.id).await.unwrap();
        assert_eq!(acc.status, TaskAssignmentStatus::Accepted);
        assert_conflict(assignments::accept_assignment(&t.db, a.id).await);
        assert_conflict(assignments::reject_assignment(&t.db, a.id, None).await);
        let st = assignments::start_assignment(&t.db, a.id).await.unwrap();
        assert_eq!(st.status, TaskAssignmentStatus::InProgress);
        assert!(st.started_at.is_some());
        assert_conflict(assignments::cancel_assignment(&t.db, a.id).await);
        assert_conflict(assignments::attach_invoice(&t.db, a.id, "inv", None).await);
        t.exec(&format!(
            "UPDATE renos.task_assignments SET started_at = now() - interval '90 minutes' WHERE id = '{}'",
            a.id
        ))
        .await
        .unwrap();
        let done = assignments::complete_assignment(&t.db, a.id, None)
            .await
            .unwrap();
        assert_eq!(done.status, TaskAssignmentStatus::Completed);
        assert!(done.completed_at.is_some());
        assert_eq!(done.actual_hours, Some(dec("1.50")));
        assert_conflict(assignments::complete_assignment(&t.db, a.id, None).await);
        let inv = assignments::attach_invoice(&t.db, a.id, "billy-inv-1", Some("2026-001"))
            .await
            .unwrap();
        assert_eq!(inv.invoice_id.as_deref(), Some("billy-inv-1"));
        assert_eq!(inv.invoice_number.as_deref(), Some("2026-001"));
        assert_eq!(inv.status, TaskAssignmentStatus::Completed);
        assert_invalid(
            assignments::attach_invoice(&t.db, a.id, " ", None).await,
            &["invoice_id"],
        );
        for r in [
            assignments::accept_assignment(&t.db, Uuid::new_v4()).await,
            assignments::start_assignment(&t.db, Uuid::new_v4()).await,
            assignments::cancel_assignment(&t.db, Uuid::new_v4()).await,
            assignments::get_assignment(&t.db, Uuid::new_v4()).await,
        ] {
            assert_not_found(r);
        }
        assert_eq!(
            assignments::get_assignment(&t.db, a.id).await.unwrap().id,
            a.id
        );
    }

    #[tokio::test]
    async fn complete_with_given_hours_cancel_and_list() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        booking(&t, "b1", "scheduled").await;
        booking(&t, "b2", "scheduled").await;
        let a = assignments::assign_booking(&t.db, assignment("b1", s.id))
            .await
            .unwrap();
        assignments::accept_assignment(&t.db, a.id).await.unwrap();
        assignments::start_assignment(&t.db, a.id).await.unwrap();
        assert_invalid(
            assignments::complete_assignment(&t.db, a.id, Some(dec("1.234"))).await,
            &["actual_hours"],
        );
        assert_invalid(
            assignments::complete_assignment(&t.db, a.id, Some(dec("-1"))).await,
            &["actual_hours"],
        );
        assert_invalid(
            assignments::complete_assignment(&t.db, a.id, Some(dec("1000"))).await,
            &["actual_hours"],
        );
        let done = assignments::complete_assignment(&t.db, a.id, Some(dec("3.25")))
            .await
            .unwrap();
        assert_eq!(done.actual_hours, Some(dec("3.25")));
        let b = assignments::assign_booking(&t.db, assignment("b2", s.id))
            .await
            .unwrap();
        let c = assignments::cancel_assignment(&t.db, b.id).await.unwrap();
        assert_eq!(c.status, TaskAssignmentStatus::Cancelled);
        assert_conflict(assignments::cancel_assignment(&t.db, b.id).await);

        let all = assignments::list_assignments(&t.db, AssignmentFilter::default())
            .await
            .unwrap();
        assert_eq!(all.len(), 2);
        let completed = assignments::list_assignments(
            &t.db,
            AssignmentFilter {
                status: Some(TaskAssignmentStatus::Completed),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            completed.iter().map(|a| a.id).collect::<Vec<_>>(),
            vec![a.id]
        );
        let for_b2 = assignments::list_assignments(
            &t.db,
            AssignmentFilter {
                booking_id: Some("b2".into()),
                subcontractor_id: Some(s.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(for_b2.iter().map(|a| a.id).collect::<Vec<_>>(), vec![b.id]);
    }

    async fn completed_assignment(t: &TestDb, booking_id: &str, sub_id: Uuid) -> Uuid {
        booking(t, booking_id, "scheduled").await;
        let a = assignments::assign_booking(&t.db, assignment(booking_id, sub_id))
            .await
            .unwrap();
        assignments::accept_assignment(&t.db, a.id).await.unwrap();
        assignments::start_assignment(&t.db, a.id).await.unwrap();
        assignments::complete_assignment(&t.db, a.id, Some(dec("2")))
            .await
            .unwrap();
        a.id
    }

    fn review(assignment_id: Uuid, rating: i32) -> NewReview {
        NewReview {
            task_assignment_id: assignment_id,
            rating,
            quality_score: Some(rating),
            would_recommend: Some(true),
            comments: Some("Fint".into()),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn reviews_recompute_the_average_rating() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        let other = sub(&t, "b@rent.dk").await;
        let a1 = completed_assignment(&t, "b1", s.id).await;
        let a2 = completed_assignment(&t, "b2", s.id).await;
        let a3 = completed_assignment(&t, "b3", s.id).await;
        let o1 = completed_assignment(&t, "b4", other.id).await;
        let r1 = reviews::review_assignment(&t.db, review(a1, 5))
            .await
            .unwrap();
        assert_eq!(r1.rating, dec("5.00"));
        assert_eq!(r1.review.subcontractor_id, s.id);
        let r2 = reviews::review_assignment(&t.db, review(a2, 4))
            .await
            .unwrap();
        assert_eq!(r2.rating, dec("4.50"));
        let r3 = reviews::review_assignment(&t.db, review(a3, 4))
            .await
            .unwrap();
        assert_eq!(r3.rating, dec("4.33"));
        reviews::review_assignment(&t.db, review(o1, 1))
            .await
            .unwrap();
        let stored = profiles::get_subcontractor(&t.db, s.id).await.unwrap();
        assert_eq!(stored.rating, Some(dec("4.33")));
        assert_eq!(
            profiles::get_subcontractor(&t.db, other.id)
                .await
                .unwrap()
                .rating,
            Some(dec("1.00"))
        );
        // One review per assignment; the failed insert leaves the rating alone.
        assert_conflict(reviews::review_assignment(&t.db, review(a1, 1)).await);
        assert_eq!(
            profiles::get_subcontractor(&t.db, s.id)
                .await
                .unwrap()
                .rating,
            Some(dec("4.33"))
        );
        assert_eq!(reviews::list_reviews(&t.db, s.id).await.unwrap().len(), 3);
        t.exec(&format!(
            "DELETE FROM renos.subcontractor_reviews WHERE task_assignment_id = '{a3}'"
        ))
        .await
        .unwrap();
        assert_eq!(
            reviews::recompute_rating(&t.db, s.id).await.unwrap(),
            dec("4.50")
        );
        assert_eq!(
            profiles::get_subcontractor(&t.db, s.id)
                .await
                .unwrap()
                .rating,
            Some(dec("4.50"))
        );
        assert_not_found(reviews::recompute_rating(&t.db, Uuid::new_v4()).await);
    }

    #[tokio::test]
    async fn review_requires_a_completed_assignment_and_valid_scores() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        booking(&t, "b1", "scheduled").await;
        let open = assignments::assign_booking(&t.db, assignment("b1", s.id))
            .await
            .unwrap();
        assert_conflict(reviews::review_assignment(&t.db, review(open.id, 5)).await);
        assert_not_found(reviews::review_assignment(&t.db, review(Uuid::new_v4(), 5)).await);
        let done = completed_assignment(&t, "b2", s.id).await;
        let mut bad = review(done, 0);
        bad.quality_score = Some(6);
        bad.timeliness_score = Some(0);
        bad.photos = Some(json!({"not": "an array"}));
        assert_invalid(
            reviews::review_assignment(&t.db, bad).await,
            &["rating", "quality_score", "timeliness_score", "photos"],
        );
        assert_invalid(
            reviews::review_assignment(&t.db, review(done, 6)).await,
            &["rating", "quality_score"],
        );
        assert!(reviews::list_reviews(&t.db, s.id).await.unwrap().is_empty());
        // An assignment whose subcontractor was deleted cannot be reviewed.
        let orphan = completed_assignment(&t, "b3", sub(&t, "c@rent.dk").await.id).await;
        t.exec("DELETE FROM renos.subcontractors WHERE email = 'c@rent.dk'")
            .await
            .unwrap();
        assert_conflict(reviews::review_assignment(&t.db, review(orphan, 5)).await);
    }

    #[test]
    fn average_rating_rounds_half_away_from_zero() {
        assert_eq!(reviews::average_rating(&[]), Decimal::ZERO);
        assert_eq!(reviews::average_rating(&[5, 4, 4]), dec("4.33"));
        assert_eq!(reviews::average_rating(&[5, 5, 4]), dec("4.67"));
        assert_eq!(reviews::average_rating(&[1, 2]), dec("1.50"));
        // 1/8 = 0.125 → 0.13 (half away from zero, not banker's rounding to 0.12).
        assert_eq!(
            reviews::average_rating(&[1, 0, 0, 0, 0, 0, 0, 0]),
            dec("0.13")
        );
    }

    fn agreement(sub_id: Uuid) -> NewAgreement {
        NewAgreement {
            subcontractor_id: sub_id,
            agreement_type: "framework".into(),
            terms: "Standardvilkår".into(),
            signed_date: None,
            expiration_date: Some(date(2027, 12, 31)),
            document_url: Some("https://files.example.com/a.pdf".into()),
            payment_terms: Some("netto 14".into()),
            hourly_rate_dkk: Some(dec("349.50")),
            created_by: None,
            notes: None,
        }
    }

    #[tokio::test]
    async fn agreements_lifecycle() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        let a = agreements::create_agreement(&t.db, agreement(s.id))
            .await
            .unwrap();
        assert_eq!(a.status, SubcontractorAgreementStatus::Pending);
        assert_eq!(a.hourly_rate_dkk, Some(dec("349.50")));
        let act = agreements::activate_agreement(&t.db, a.id, None)
            .await
            .unwrap();
        assert_eq!(act.status, SubcontractorAgreementStatus::Active);
        assert_eq!(act.signed_date, Some(Utc::now().date_naive()));
        assert_conflict(agreements::activate_agreement(&t.db, a.id, None).await);
        let b = agreements::create_agreement(&t.db, agreement(s.id))
            .await
            .unwrap();
        let signed = agreements::activate_agreement(&t.db, b.id, Some(date(2026, 3, 1)))
            .await
            .unwrap();
        assert_eq!(signed.signed_date, Some(date(2026, 3, 1)));
        assert_eq!(
            agreements::expire_agreements(&t.db, date(2027, 12, 31))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            agreements::expire_agreements(&t.db, date(2028, 1, 1))
                .await
                .unwrap(),
            2
        );
        assert_conflict(agreements::terminate_agreement(&t.db, b.id).await);
        let c = agreements::create_agreement(&t.db, agreement(s.id))
            .await
            .unwrap();
        let term = agreements::terminate_agreement(&t.db, c.id).await.unwrap();
        assert_eq!(term.status, SubcontractorAgreementStatus::Terminated);
        assert_conflict(agreements::terminate_agreement(&t.db, c.id).await);
        assert_not_found(agreements::terminate_agreement(&t.db, Uuid::new_v4()).await);
        assert_not_found(agreements::activate_agreement(&t.db, Uuid::new_v4(), None).await);
        assert_eq!(
            agreements::list_agreements(&t.db, s.id)
                .await
                .unwrap()
                .len(),
            3
        );
    }

    #[tokio::test]
    async fn create_agreement_validates() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        let mut bad = agreement(s.id);
        bad.agreement_type = "".into();
        bad.terms = " ".into();
        bad.signed_date = Some(date(2026, 6, 1));
        bad.expiration_date = Some(date(2026, 5, 1));
        bad.hourly_rate_dkk = Some(dec("10.005"));
        bad.document_url = Some("nope".into());
        assert_invalid(
            agreements::create_agreement(&t.db, bad).await,
            &[
                "agreement_type",
                "terms",
                "expiration_date",
                "hourly_rate_dkk",
                "document_url",
            ],
        );
        assert!(matches!(
            agreements::create_agreement(&t.db, agreement(Uuid::new_v4())).await,
            Err(Error::Validation { .. })
        ));
    }

    fn subscription(endpoint: &str, auth: &str) -> serde_json::Value {
        json!({"endpoint": endpoint, "keys": {"p256dh": "BPk", "auth": auth}})
    }

    #[tokio::test]
    async fn push_subscriptions_are_one_per_endpoint() {
        let t = TestDb::new().await;
        let s = sub(&t, "a@rent.dk").await;
        let a = push::register_push_subscription(
            &t.db,
            s.id,
            subscription("https://push.example.com/1", "a1"),
            Some("Firefox"),
        )
        .await
        .unwrap();
        let again = push::register_push_subscription(
            &t.db,
            s.id,
            subscription("https://push.example.com/1", "a2"),
            None,
        )
        .await
        .unwrap();
        assert_eq!(again.id, a.id);
        assert_eq!(again.subscription["keys"]["auth"], json!("a2"));
        assert!(again.last_used_at >= a.last_used_at);
        let b = push::register_push_subscription(
            &t.db,
            s.id,
            subscription("https://push.example.com/2", "b"),
            None,
        )
        .await
        .unwrap();
        let list = push::list_push_subscriptions(&t.db, s.id).await.unwrap();
        assert_eq!(list.len(), 2);
        t.exec(&format!(
            "UPDATE renos.push_subscriptions SET last_used_at = now() - interval '1 day' WHERE id = '{}'",
            a.id
        ))
        .await
        .unwrap();
        let touched = push::touch_push_subscription(&t.db, a.id).await.unwrap();
        assert!(touched.last_used_at > Utc::now() - Duration::minutes(1));
        assert_eq!(
            push::list_push_subscriptions(&t.db, s.id).await.unwrap()[0].id,
            a.id
        );
        push::remove_push_subscription(&t.db, b.id).await.unwrap();
        assert_not_found(push::remove_push_subscription(&t.db, b.id).await);
        assert_not_found(push::touch_push_subscription(&t.db, b.id).await);
        assert_invalid(
            push::register_push_subscription(&t.db, s.id, json!({"endpoint": "http://x"}), None)
                .await,
            &[
                "subscription.endpoint",
                "subscription.keys.p256dh",
                "subscription.keys.auth",
            ],
        );
        assert_invalid(
            push::register_push_subscription(&t.db, s.id, json!([1]), None).await,
            &[
                "subscription",
                "subscription.endpoint",
                "subscription.keys.p256dh",
                "subscription.keys.auth",
            ],
        );
        assert!(matches!(
            push::register_push_subscription(
                &t.db,
                Uuid::new_v4(),
                subscription("https://push.example.com/3", "c"),
                None
            )
            .await,
            Err(Error::Validation { .. })
        ));
    }
}

// ---------------------------------------------------------------------------------------
// Chat and notifications
// ---------------------------------------------------------------------------------------

mod chat_and_notifications {
    use super::*;
    use renos::chat_messages::ChatMessageRole;
    use renos::chat_sessions::ChatSessionContext;
    use service::renos::chat::{self, NewChatMessage, NewChatSession};
    use service::renos::notifications::{self, NewNotification};

    fn session(user_id: &str) -> NewChatSession {
        NewChatSession {
            user_id: user_id.into(),
            organization_id: "org".into(),
            context: ChatSessionContext::Owner,
            title: None,
            metadata: Some(json!({"page": "/jobs"})),
        }
    }

    fn msg(session_id: &str, role: ChatMessageRole, content: &str) -> NewChatMessage {
        NewChatMessage {
            session_id: session_id.into(),
            role,
            content: content.into(),
            metadata: None,
        }
    }

    #[tokio::test]
    async fn chat_sessions_and_messages() {
        let t = TestDb::new().await;
        let a = chat::create_session(&t.db, session("u1")).await.unwrap();
        let b = chat::create_session(&t.db, session("u1")).await.unwrap();
        chat::create_session(&t.db, session("u2")).await.unwrap();
        t.exec("UPDATE renos.chat_sessions SET updated_at = now() - interval '1 day'")
            .await
            .unwrap();
        let m1 = chat::add_message(&t.db, msg(&a.id, ChatMessageRole::User, "Hej"))
            .await
            .unwrap();
        let m2 = chat::add_message(&t.db, msg(&a.id, ChatMessageRole::Assistant, "Hej!"))
            .await
            .unwrap();
        let sessions = chat::list_sessions(&t.db, "u1", None).await.unwrap();
        assert_eq!(
            sessions.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
            vec![a.id.clone(), b.id.clone()],
            "the session with a new message moves first"
        );
        assert_eq!(
            chat::list_sessions(&t.db, "u1", Some(1))
                .await
                .unwrap()
                .len(),
            1
        );
        let msgs = chat::list_messages(&t.db, &a.id).await.unwrap();
        assert_eq!(
            msgs.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
            vec![m1.id, m2.id]
        );
        assert!(chat::list_messages(&t.db, &b.id).await.unwrap().is_empty());
        assert_not_found(chat::add_message(&t.db, msg("nope", ChatMessageRole::User, "x")).await);
        assert_invalid(
            chat::add_message(&t.db, msg(&a.id, ChatMessageRole::User, " ")).await,
            &["content"],
        );
        let mut bad_meta = msg(&a.id, ChatMessageRole::User, "x");
        bad_meta.metadata = Some(json!("text"));
        assert_invalid(chat::add_message(&t.db, bad_meta).await, &["metadata"]);
        let bad = NewChatSession {
            user_id: "".into(),
            organization_id: " ".into(),
            context: ChatSessionContext::Customer,
            title: None,
            metadata: Some(json!([1])),
        };
        assert_invalid(
            chat::create_session(&t.db, bad).await,
            &["user_id", "organization_id", "metadata"],
        );
    }

    fn note(user_id: &str, title: &str) -> NewNotification {
        NewNotification {
            organization_id: "org".into(),
            user_id: user_id.into(),
            kind: "job_assigned".into(),
            title: title.into(),
            message: "besked".into(),
            data: Some(json!({"job": 1})),
        }
    }

    #[tokio::test]
    async fn notifications_create_read_and_list_unread() {
        let t = TestDb::new().await;
        let a = user(&t, "a@example.com").await;
        let b = user(&t, "b@example.com").await;
        let n1 = notifications::create_notification(&t.db, note(&a.id, "1"))
            .await
            .unwrap();
        assert!(!n1.is_read);
        assert_eq!(n1.r#type, "job_assigned");
        let n2 = notifications::create_notification(&t.db, note(&a.id, "2"))
            .await
            .unwrap();
        notifications::create_notification(&t.db, note(&b.id, "b"))
            .await
            .unwrap();
        t.exec(&format!(
            "UPDATE renos.notifications SET created_at = now() - interval '1 hour' WHERE id = '{}'",
            n1.id
        ))
        .await
        .unwrap();
        let unread = notifications::list_unread(&t.db, &a.id, None)
            .await
            .unwrap();
        assert_eq!(
            unread.iter().map(|n| n.id.clone()).collect::<Vec<_>>(),
            vec![n2.id.clone(), n1.id.clone()]
        );
        assert_eq!(notifications::count_unread(&t.db, &a.id).await.unwrap(), 2);
        assert_not_found(notifications::mark_read(&t.db, &b.id, &n1.id).await);
        let read = notifications::mark_read(&t.db, &a.id, &n1.id)
            .await
            .unwrap();
        assert!(read.is_read);
        let first_read_at = read.read_at.unwrap();
        let again = notifications::mark_read(&t.db, &a.id, &n1.id)
            .await
            .unwrap();
        assert_eq!(
            again.read_at,
            Some(first_read_at),
            "read_at keeps the first read"
        );
        assert_eq!(notifications::count_unread(&t.db, &a.id).await.unwrap(), 1);
        assert_not_found(notifications::mark_read(&t.db, &a.id, "nope").await);
        assert_eq!(notifications::mark_all_read(&t.db, &a.id).await.unwrap(), 1);
        assert_eq!(notifications::mark_all_read(&t.db, &a.id).await.unwrap(), 0);
        assert!(
            notifications::list_unread(&t.db, &a.id, None)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(notifications::count_unread(&t.db, &b.id).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn create_notification_validates_and_needs_a_user() {
        let t = TestDb::new().await;
        let bad = NewNotification {
            organization_id: "".into(),
            user_id: " ".into(),
            kind: "".into(),
            title: "".into(),
            message: " ".into(),
            data: Some(json!(3)),
        };
        assert_invalid(
            notifications::create_notification(&t.db, bad).await,
            &[
                "organization_id",
                "user_id",
                "kind",
                "title",
                "message",
                "data",
            ],
        );
        assert!(matches!(
            notifications::create_notification(&t.db, note("ghost", "x")).await,
            Err(Error::Validation { .. })
        ));
    }
}

// ---------------------------------------------------------------------------------------
// Team members, time entries, time corrections
// ---------------------------------------------------------------------------------------

mod team {
    use super::*;
    use renos::time_corrections::TimeCorrectionStatus;
    use service::renos::team::members::{self, NewTeamMember};
    use service::renos::team::time_corrections::{self, NewTimeCorrection};
    use service::renos::team::time_entries::{self, NewTimeEntry};
    use std::str::FromStr;

    async fn member(t: &TestDb, email: &str) -> (RenosUserView, renos::team_members::Model) {
        let u = user(t, email).await;
        let m = members::create_team_member(
            &t.db,
            NewTeamMember {
                user_id: u.id.clone(),
                employee_id: format!("E-{email}"),
                skills: vec!["vinduer".into()],
                hourly_rate: Some(Decimal::from_str("185.50").unwrap()),
                availability: Some(json!({"mon": ["08-16"]})),
                hire_date: None,
            },
        )
        .await
        .unwrap();
        (u, m)
    }

    #[tokio::test]
    async fn team_members_create_find_activate_list() {
        let t = TestDb::new().await;
        let (u, m) = member(&t, "a@example.com").await;
        assert_eq!(m.hourly_rate, Some(185.5));
        assert_eq!(m.skills, vec!["vinduer"]);
        assert!(m.is_active);
        assert_eq!(m.performance_metrics, json!({}));
        assert_conflict(
            members::create_team_member(
                &t.db,
                NewTeamMember {
                    user_id: u.id.clone(),
                    employee_id: "E-other".into(),
                    ..Default::default()
                },
            )
            .await,
        );
        let (_, m2) = member(&t, "b@example.com").await;
        assert_invalid(
            members::create_team_member(
                &t.db,
                NewTeamMember {
                    user_id: "".into(),
                    employee_id: " ".into(),
                    skills: vec!["".into()],
                    hourly_rate: Some(Decimal::from_str("-1").unwrap()),
                    availability: Some(json!([])),
                    hire_date: None,
                },
            )
            .await,
            &[
                "user_id",
                "employee_id",
                "skills[0]",
                "hourly_rate",
                "availability",
            ],
        );
        assert!(matches!(
            members::create_team_member(
                &t.db,
                NewTeamMember {
                    user_id: "ghost".into(),
                    employee_id: "E-ghost".into(),
                    ..Default::default()
                },
            )
            .await,
            Err(Error::Validation { .. })
        ));
        assert_eq!(
            members::find_by_user(&t.db, &u.id)
                .await
                .unwrap()
                .unwrap()
                .id,
            m.id
        );
        assert!(
            members::find_by_user(&t.db, "nope")
                .await
                .unwrap()
                .is_none()
        );
        let off = members::set_team_member_active(&t.db, &m2.id, false)
            .await
            .unwrap();
        assert!(!off.is_active);
        assert_not_found(members::set_team_member_active(&t.db, "nope", true).await);
        let active = members::list_team_members(&t.db, true, None).await.unwrap();
        assert_eq!(
            active.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
            vec![m.id.clone()]
        );
        let all = members::list_team_members(&t.db, false, None)
            .await
            .unwrap();
        assert_eq!(all.len(), 2);
    }

    #[tokio::test]
    async fn clock_in_and_out() {
        let t = TestDb::new().await;
        let (_, m) = member(&t, "a@example.com").await;
        let start = ts("2030-01-01T08:00:00Z");
        let e = time_entries::clock_in(
            &t.db,
            NewTimeEntry {
                team_member_id: m.id.clone(),
                start_time: Some(start),
                booking_id: Some("b1".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(e.start_time, start);
        assert!(e.end_time.is_none());
        assert_eq!(
            time_entries::open_entry(&t.db, &m.id)
                .await
                .unwrap()
                .unwrap()
                .id,
            e.id
        );
        assert_conflict(
            time_entries::clock_in(
                &t.db,
                NewTimeEntry {
                    team_member_id: m.id.clone(),
                    ..Default::default()
                },
            )
            .await,
        );
        assert_invalid(
            time_entries::clock_out(&t.db, &e.id, Some(ts("2030-01-01T07:00:00Z")), 0).await,
            &["end_time"],
        );
        assert_invalid(
            time_entries::clock_out(&t.db, &e.id, Some(ts("2030-01-01T09:00:00Z")), 61).await,
            &["break_duration"],
        );
        assert_invalid(
            time_entries::clock_out(&t.db, &e.id, Some(ts("2030-01-01T09:00:00Z")), -1).await,
            &["break_duration"],
        );
        let closed = time_entries::clock_out(&t.db, &e.id, Some(ts("2030-01-01T16:00:00Z")), 30)
            .await
            .unwrap();
        assert_eq!(closed.end_time, Some(ts("2030-01-01T16:00:00Z")));
        assert_eq!(closed.break_duration, 30);
        assert_conflict(time_entries::clock_out(&t.db, &e.id, None, 0).await);
        assert_not_found(time_entries::clock_out(&t.db, "nope", None, 0).await);
        assert!(
            time_entries::open_entry(&t.db, &m.id)
                .await
                .unwrap()
                .is_none()
        );
        // Clocking in again is fine once the previous entry is closed; default start = now.
        let e2 = time_entries::clock_in(
            &t.db,
            NewTimeEntry {
                team_member_id: m.id.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(e2.start_time > now() - Duration::minutes(1));
        let jan = time_entries::list_time_entries(
            &t.db,
            &m.id,
            ts("2030-01-01T00:00:00Z"),
            ts("2030-01-02T00:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(
            jan.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
            vec![e.id.clone()]
        );
        assert_invalid(
            time_entries::list_time_entries(&t.db, &m.id, start, start).await,
            &["to"],
        );
    }

    #[tokio::test]
    async fn clock_in_needs_an_active_known_member_and_valid_location() {
        let t = TestDb::new().await;
        let (_, m) = member(&t, "a@example.com").await;
        assert_not_found(
            time_entries::clock_in(
                &t.db,
                NewTimeEntry {
                    team_member_id: "nope".into(),
                    ..Default::default()
                },
            )
            .await,
        );
        assert_invalid(
            time_entries::clock_in(
                &t.db,
                NewTimeEntry {
                    team_member_id: m.id.clone(),
                    location: Some(json!("here")),
                    ..Default::default()
                },
            )
            .await,
            &["location"],
        );
        members::set_team_member_active(&t.db, &m.id, false)
            .await
            .unwrap();
        assert_conflict(
            time_entries::clock_in(
                &t.db,
                NewTimeEntry {
                    team_member_id: m.id.clone(),
                    ..Default::default()
                },
            )
            .await,
        );
    }

    #[test]
    fn minutes_between_floors_and_never_goes_negative() {
        let a = ts("2030-01-01T08:00:00Z");
        assert_eq!(
            time_entries::minutes_between(a, ts("2030-01-01T09:30:59Z")),
            90
        );
        assert_eq!(
            time_entries::minutes_between(a, ts("2030-01-01T07:00:00Z")),
            0
        );
    }

    async fn closed_entry(t: &TestDb, member_id: &str) -> renos::time_entries::Model {
        let e = time_entries::clock_in(
            &t.db,
            NewTimeEntry {
                team_member_id: member_id.into(),
                start_time: Some(ts("2030-01-01T08:00:00Z")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        time_entries::clock_out(&t.db, &e.id, Some(ts("2030-01-01T16:00:00Z")), 30)
            .await
            .unwrap()
    }

    fn correction(entry_id: &str, by: &str) -> NewTimeCorrection {
        NewTimeCorrection {
            original_entry_id: entry_id.into(),
            corrected_start_time: ts("2030-01-01T07:30:00Z"),
            corrected_end_time: Some(ts("2030-01-01T16:30:00Z")),
            corrected_break_duration: 45,
            reason: "Glemte at stemple ind".into(),
            submitted_by: by.into(),
        }
    }

    #[tokio::test]
    async fn submit_and_approve_a_correction_updates_the_entry() {
        let t = TestDb::new().await;
        let (u, m) = member(&t, "a@example.com").await;
        let boss = user(&t, "boss@example.com").await;
        let e = closed_entry(&t, &m.id).await;
        let c = time_corrections::submit_time_correction(&t.db, correction(&e.id, &u.id))
            .await
            .unwrap();
        assert_eq!(c.status, TimeCorrectionStatus::Pending);
        assert_eq!(c.original_start_time, ts("2030-01-01T08:00:00Z"));
        assert_eq!(c.original_end_time, Some(ts("2030-01-01T16:00:00Z")));
        assert_eq!(c.original_break_duration, 30);
        assert_conflict(
            time_corrections::submit_time_correction(&t.db, correction(&e.id, &u.id)).await,
        );
        assert_eq!(
            time_corrections::list_pending_corrections(&t.db)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(matches!(
            time_corrections::approve_time_correction(&t.db, &c.id, &u.id).await,
            Err(Error::Forbidden)
        ));
        assert_invalid(
            time_corrections::approve_time_correction(&t.db, &c.id, "ghost").await,
            &["decided_by"],
        );
        let ok = time_corrections::approve_time_correction(&t.db, &c.id, &boss.id)
            .await
            .unwrap();
        assert_eq!(ok.status, TimeCorrectionStatus::Approved);
        assert_eq!(ok.approved_by.as_deref(), Some(boss.id.as_str()));
        assert!(ok.approved_at.is_some());
        let entry = time_entries::list_time_entries(
            &t.db,
            &m.id,
            ts("2030-01-01T00:00:00Z"),
            ts("2030-01-02T00:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(entry[0].start_time, ts("2030-01-01T07:30:00Z"));
        assert_eq!(entry[0].end_time, Some(ts("2030-01-01T16:30:00Z")));
        assert_eq!(entry[0].break_duration, 45);
        assert_conflict(time_corrections::approve_time_correction(&t.db, &c.id, &boss.id).await);
        assert_conflict(
            time_corrections::reject_time_correction(&t.db, &c.id, &boss.id, "no").await,
        );
        assert_not_found(time_corrections::approve_time_correction(&t.db, "nope", &boss.id).await);
        assert!(
            time_corrections::list_pending_corrections(&t.db)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            audit_count(&t, "renos.time_corrections", "approve").await,
            1
        );
    }

    #[tokio::test]
    async fn reject_a_correction_leaves_the_entry_alone() {
        let t = TestDb::new().await;
        let (u, m) = member(&t, "a@example.com").await;
        let boss = user(&t, "boss@example.com").await;
        let e = closed_entry(&t, &m.id).await;
        let c = time_corrections::submit_time_correction(&t.db, correction(&e.id, &u.id))
            .await
            .unwrap();
        assert_invalid(
            time_corrections::reject_time_correction(&t.db, &c.id, &boss.id, " ").await,
            &["rejection_reason"],
        );
        assert!(matches!(
            time_corrections::reject_time_correction(&t.db, &c.id, &u.id, "self").await,
            Err(Error::Forbidden)
        ));
        let r = time_corrections::reject_time_correction(&t.db, &c.id, &boss.id, "Ikke korrekt")
            .await
            .unwrap();
        assert_eq!(r.status, TimeCorrectionStatus::Rejected);
        assert_eq!(r.rejected_by.as_deref(), Some(boss.id.as_str()));
        assert_eq!(r.rejection_reason.as_deref(), Some("Ikke korrekt"));
        assert!(r.rejected_at.is_some());
        let entries = time_entries::list_time_entries(
            &t.db,
            &m.id,
            ts("2030-01-01T00:00:00Z"),
            ts("2030-01-02T00:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(entries[0].start_time, ts("2030-01-01T08:00:00Z"));
        assert_conflict(time_corrections::approve_time_correction(&t.db, &c.id, &boss.id).await);
        assert_not_found(
            time_corrections::reject_time_correction(&t.db, "nope", &boss.id, "x").await,
        );
        // After a decision, a new correction may be submitted.
        time_corrections::submit_time_correction(&t.db, correction(&e.id, &u.id))
            .await
            .unwrap();
        assert_eq!(audit_count(&t, "renos.time_corrections", "reject").await, 1);
    }

    #[tokio::test]
    async fn submit_correction_validates() {
        let t = TestDb::new().await;
        let (u, m) = member(&t, "a@example.com").await;
        let e = closed_entry(&t, &m.id).await;
        let mut bad = correction(&e.id, " ");
        bad.reason = "".into();
        bad.corrected_end_time = Some(ts("2030-01-01T07:00:00Z"));
        bad.corrected_break_duration = -5;
        assert_invalid(
            time_corrections::submit_time_correction(&t.db, bad).await,
            &[
                "reason",
                "submitted_by",
                "corrected_end_time",
                "corrected_break_duration",
            ],
        );
        let mut reopen = correction(&e.id, &u.id);
        reopen.corrected_end_time = None;
        assert_invalid(
            time_corrections::submit_time_correction(&t.db, reopen).await,
            &["corrected_end_time"],
        );
        assert_not_found(
            time_corrections::submit_time_correction(&t.db, correction("nope", &u.id)).await,
        );
        assert!(matches!(
            time_corrections::submit_time_correction(&t.db, correction(&e.id, "ghost")).await,
            Err(Error::Validation { .. })
        ));
        assert!(
            time_corrections::list_pending_corrections(&t.db)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

// ---------------------------------------------------------------------------------------
// Quality
// ---------------------------------------------------------------------------------------

mod quality {
    use super::*;
    use renos::photo_documentation::PhotoDocumentationType;
    use renos::quality_assessments::QualityAssessmentStatus;
    use service::renos::quality::{self, NewAssessment, NewChecklist, NewPhoto};
    use std::collections::{HashMap, HashSet};

    fn checklist(kind: &str) -> NewChecklist {
        NewChecklist {
            service_type: kind.into(),
            name: "Standard".into(),
            description: None,
            items: json!([
                {"id": "floors", "points": 5, "label": "Gulve"},
                {"id": "windows", "points": 3},
                {"id": "kitchen", "points": 2}
            ]),
        }
    }

    #[tokio::test]
    async fn checklists_are_versioned_per_service_type() {
        let t = TestDb::new().await;
        let v1 = quality::create_checklist(&t.db, checklist("home"))
            .await
            .unwrap();
        assert_eq!(v1.version, 1);
        assert!(v1.is_active);
        let other = quality::create_checklist(&t.db, checklist("office"))
            .await
            .unwrap();
        let v2 = quality::create_checklist(&t.db, checklist("home"))
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        assert_eq!(
            quality::active_checklist(&t.db, "home")
                .await
                .unwrap()
                .unwrap()
                .id,
            v2.id
        );
        assert_eq!(
            quality::active_checklist(&t.db, "office")
                .await
                .unwrap()
                .unwrap()
                .id,
            other.id
        );
        assert_eq!(
            count(
                &t,
                "SELECT count(*) FROM renos.quality_checklists WHERE is_active"
            )
            .await,
            2
        );
        assert!(
            quality::active_checklist(&t.db, "boat")
                .await
                .unwrap()
                .is_none()
        );
        let mut bad = checklist(" ");
        bad.name = "".into();
        bad.items = json!([{"id": "a", "points": 1}, {"id": "a", "points": 2}, {"points": -1}]);
        assert_invalid(
            quality::create_checklist(&t.db, bad).await,
            &["service_type", "name", "items[1].id", "items[2]"],
        );
        let mut empty = checklist("home");
        empty.items = json!([]);
        assert_invalid(quality::create_checklist(&t.db, empty).await, &["items"]);
        let mut object = checklist("home");
        object.items = json!({});
        assert_invalid(quality::create_checklist(&t.db, object).await, &["items"]);
    }

    #[tokio::test]
    async fn record_assessment_scores_against_the_checklist() {
        let t = TestDb::new().await;
        lead(&t, "l1").await;
        let u = user(&t, "inspector@example.com").await;
        let cl = quality::create_checklist(&t.db, checklist("home"))
            .await
            .unwrap();
        let a = quality::record_assessment(
            &t.db,
            NewAssessment {
                lead_id: "l1".into(),
                checklist_id: cl.id.clone(),
                assessed_by: u.id.clone(),
                completed_item_ids: vec!["windows".into(), "floors".into()],
                notes: Some("Godt".into()),
            },
        )
        .await
        .unwrap();
        assert_eq!(a.total_points_earned, 8);
        assert_eq!(a.max_possible_points, 10);
        assert_eq!(a.percentage_score, 80.0);
        assert_eq!(a.overall_score, 80);
        assert_eq!(a.completed_items, json!(["floors", "windows"]));
        assert_eq!(a.status, QualityAssessmentStatus::Completed);
        assert_invalid(
            quality::record_assessment(
                &t.db,
                NewAssessment {
                    lead_id: "".into(),
                    checklist_id: cl.id.clone(),
                    assessed_by: u.id.clone(),
                    completed_item_ids: vec!["roof".into(), "floors".into(), "floors".into()],
                    notes: None,
                },
            )
            .await,
            &["lead_id", "completed_item_ids[0]", "completed_item_ids[2]"],
        );
        assert_not_found(
            quality::record_assessment(
                &t.db,
                NewAssessment {
                    lead_id: "l1".into(),
                    checklist_id: "nope".into(),
                    assessed_by: u.id.clone(),
                    completed_item_ids: vec![],
                    notes: None,
                },
            )
            .await,
        );
        assert!(matches!(
            quality::record_assessment(
                &t.db,
                NewAssessment {
                    lead_id: "l1".into(),
                    checklist_id: cl.id.clone(),
                    assessed_by: "ghost".into(),
                    completed_item_ids: vec![],
                    notes: None,
                },
            )
            .await,
            Err(Error::Validation { .. })
        ));
        let list = quality::list_assessments(&t.db, "l1").await.unwrap();
        assert_eq!(
            list.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
            vec![a.id]
        );
    }

    #[test]
    fn score_handles_empty_and_partial_checklists() {
        let points: HashMap<String, i64> = [("a".to_owned(), 1), ("b".to_owned(), 2)]
            .into_iter()
            .collect();
        let done: HashSet<String> = ["b".to_owned()].into_iter().collect();
        let s = quality::score(&points, &done);
        assert_eq!((s.earned, s.possible, s.overall), (2, 3, 67));
        assert!((s.percentage - 66.666).abs() < 0.01);
        let zero = quality::score(&HashMap::new(), &HashSet::new());
        assert_eq!((zero.earned, zero.possible, zero.overall), (0, 0, 0));
        assert_eq!(zero.percentage, 0.0);
    }

    #[tokio::test]
    async fn photos_are_stored_and_listed_in_order_taken() {
        let t = TestDb::new().await;
        lead(&t, "l1").await;
        let u = user(&t, "cleaner@example.com").await;
        let photo = |at: &str, kind| NewPhoto {
            lead_id: "l1".into(),
            checklist_item_id: Some("floors".into()),
            kind,
            photo_url: "https://img.example.com/1.jpg".into(),
            thumbnail_url: None,
            description: None,
            uploaded_by: u.id.clone(),
            taken_at: ts(at),
            metadata: Some(json!({"camera": "x"})),
        };
        let after = quality::add_photo(
            &t.db,
            photo("2030-01-01T12:00:00Z", PhotoDocumentationType::After),
        )
        .await
        .unwrap();
        let before = quality::add_photo(
            &t.db,
            photo("2030-01-01T08:00:00Z", PhotoDocumentationType::Before),
        )
        .await
        .unwrap();
        let list = quality::list_photos(&t.db, "l1").await.unwrap();
        assert_eq!(
            list.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
            vec![before.id, after.id]
        );
        let mut bad = photo("2030-01-01T08:00:00Z", PhotoDocumentationType::Issue);
        bad.photo_url = "/tmp/x.jpg".into();
        bad.thumbnail_url = Some("nope".into());
        bad.uploaded_by = " ".into();
        bad.metadata = Some(json!([]));
        assert_invalid(
            quality::add_photo(&t.db, bad).await,
            &["photo_url", "thumbnail_url", "uploaded_by", "metadata"],
        );
        let mut ghost = photo("2030-01-01T08:00:00Z", PhotoDocumentationType::Quality);
        ghost.lead_id = "ghost".into();
        assert!(matches!(
            quality::add_photo(&t.db, ghost).await,
            Err(Error::Validation { .. })
        ));
    }
}

// ---------------------------------------------------------------------------------------
// Security events and the RenOS audit log
// ---------------------------------------------------------------------------------------

mod security {
    use super::*;
    use renos::security_events::SecurityEventSeverity;
    use service::renos::security::{self, NewRenosAuditEntry, NewSecurityEvent};

    fn event(org: &str, severity: SecurityEventSeverity) -> NewSecurityEvent {
        NewSecurityEvent {
            organization_id: org.into(),
            user_id: Some("u1".into()),
            event_type: "failed_login".into(),
            severity,
            description: "3 failed logins".into(),
            metadata: Some(json!({"attempts": 3})),
            ip_address: Some("198.51.100.7".into()),
            user_agent: None,
        }
    }

    #[tokio::test]
    async fn security_events_record_resolve_and_list() {
        let t = TestDb::new().await;
        let low = security::record_security_event(&t.db, event("org", SecurityEventSeverity::Low))
            .await
            .unwrap();
        let crit =
            security::record_security_event(&t.db, event("org", SecurityEventSeverity::Critical))
                .await
                .unwrap();
        let high =
            security::record_security_event(&t.db, event("org", SecurityEventSeverity::High))
                .await
                .unwrap();
        security::record_security_event(&t.db, event("other", SecurityEventSeverity::Critical))
            .await
            .unwrap();
        assert!(!low.resolved);
        let open = security::list_unresolved_security_events(&t.db, "org", None)
            .await
            .unwrap();
        assert_eq!(
            open.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
            vec![crit.id.clone(), high.id.clone(), low.id.clone()]
        );
        let r = security::resolve_security_event(&t.db, &crit.id, "admin")
            .await
            .unwrap();
        assert!(r.resolved);
        assert!(r.resolved_at.is_some());
        assert_eq!(r.resolved_by.as_deref(), Some("admin"));
        assert_conflict(security::resolve_security_event(&t.db, &crit.id, "admin").await);
        assert_not_found(security::resolve_security_event(&t.db, "nope", "admin").await);
        assert_invalid(
            security::resolve_security_event(&t.db, &low.id, " ").await,
            &["resolved_by"],
        );
        let open = security::list_unresolved_security_events(&t.db, "org", Some(1))
            .await
            .unwrap();
        assert_eq!(open[0].id, high.id);
        let bad = NewSecurityEvent {
            organization_id: "".into(),
            user_id: None,
            event_type: " ".into(),
            severity: SecurityEventSeverity::Low,
            description: "".into(),
            metadata: Some(json!(1)),
            ip_address: Some("not-an-ip".into()),
            user_agent: None,
        };
        assert_invalid(
            security::record_security_event(&t.db, bad).await,
            &[
                "organization_id",
                "event_type",
                "description",
                "metadata",
                "ip_address",
            ],
        );
    }

    #[tokio::test]
    async fn record_change_writes_both_audit_trails() {
        let t = TestDb::new().await;
        let row = security::record_change(
            &t.db,
            NewRenosAuditEntry {
                organization_id: "org".into(),
                user_id: Some("u1".into()),
                action: "update".into(),
                entity_type: "bookings".into(),
                entity_id: Some("b1".into()),
                old_values: Some(json!({"status": "scheduled"})),
                new_values: Some(json!({"status": "confirmed"})),
                ip_address: Some("192.0.2.1".into()),
                user_agent: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(row.entity_type, "bookings");
        assert_eq!(
            count(
                &t,
                "SELECT count(*) FROM shared.audit_logs WHERE resource_type = 'renos.bookings' \
                 AND resource_id = 'b1' AND action = 'update'"
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &t,
                "SELECT count(*) FROM shared.audit_logs WHERE metadata::text LIKE '%scheduled%'"
            )
            .await,
            0,
            "old/new values stay out of the shared trail"
        );
        assert_invalid(
            security::record_change(
                &t.db,
                NewRenosAuditEntry {
                    organization_id: "".into(),
                    user_id: None,
                    action: " ".into(),
                    entity_type: "".into(),
                    entity_id: None,
                    old_values: None,
                    new_values: None,
                    ip_address: Some("x".into()),
                    user_agent: None,
                },
            )
            .await,
            &["organization_id", "action", "entity_type", "ip_address"],
        );
        assert_eq!(count(&t, "SELECT count(*) FROM renos.audit_logs").await, 1);
    }
}
