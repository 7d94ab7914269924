//! `service::renos` operations: bookings, the booking timer with breaks, cleaning plans —
//! against PostgreSQL through the harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeZone, Utc};
use entity::renos::bookings::{self, BookingStatus, BookingTimerStatus};
use entity::renos::breaks::BreakReason;
use entity::renos::cleaning_plans::CleaningPlanFrequency;
use rust_decimal::Decimal;
use service::renos::booking_list::{BookingFilter, find_bookings};
use service::renos::bookings::{
    NewBooking, cancel_booking, confirm_booking, create_booking, get_booking,
};
use service::renos::cleaning_plans::{
    NewCleaningPlan, NewCleaningTask, PlanFilter, create_cleaning_plan, find_cleaning_plans,
    link_plan_to_booking,
};
use service::renos::leads::{NewLead, create_lead};
use service::renos::time_tracking::{pause_timer, resume_timer, start_timer, stop_timer};
use tests::TestDb;
use tests::builders::renos::customer;
use tests::counts::audit_count;
use tests::errors::{fields, is_conflict, is_not_found};

// ---------------------------------------------------------------- helpers

/// 2025-06-02 at `h:m:s` UTC.
fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, h, m, s).unwrap()
}

fn new_booking(scheduled_at: DateTime<Utc>) -> NewBooking {
    NewBooking {
        customer_id: None,
        lead_id: None,
        quote_id: None,
        service_type: Some("Privatrengøring".into()),
        address: None,
        scheduled_at,
        estimated_duration: None,
        notes: None,
    }
}

async fn booking(t: &TestDb) -> bookings::Model {
    create_booking(&t.db, new_booking(at(8, 0, 0)), None)
        .await
        .unwrap()
}

async fn booking_for(t: &TestDb, customer_id: &str, when: DateTime<Utc>) -> bookings::Model {
    create_booking(
        &t.db,
        NewBooking {
            customer_id: Some(customer_id.into()),
            ..new_booking(when)
        },
        None,
    )
    .await
    .unwrap()
}

fn task(name: &str) -> NewCleaningTask {
    NewCleaningTask {
        name: name.into(),
        category: "Kitchen".into(),
        ..Default::default()
    }
}

fn plan(customer_id: &str, name: &str, tasks: Vec<NewCleaningTask>) -> NewCleaningPlan {
    NewCleaningPlan {
        customer_id: customer_id.into(),
        name: name.into(),
        service_type: "Hovedrengøring".into(),
        tasks,
        ..Default::default()
    }
}

// ---------------------------------------------------------------- bookings

#[tokio::test]
async fn create_booking_defaults_and_explicit_duration() {
    let t = TestDb::new().await;
    let c = customer(&t.db, "Kunde", None).await;
    let l = create_lead(
        &t.db,
        NewLead {
            source: "web".into(),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let b = create_booking(
        &t.db,
        NewBooking {
            customer_id: Some(c.id.clone()),
            lead_id: Some(l.id.clone()),
            address: Some(" Vej 1 ".into()),
            ..new_booking(at(9, 0, 0))
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(b.estimated_duration, 120);
    assert_eq!(b.status, BookingStatus::Scheduled);
    assert_eq!(b.timer_status, BookingTimerStatus::NotStarted);
    assert_eq!(b.scheduled_at, at(9, 0, 0).fixed_offset());
    assert_eq!(b.address.as_deref(), Some("Vej 1"));
    assert_eq!(b.customer_id.as_deref(), Some(c.id.as_str()));
    assert_eq!(get_booking(&t.db, &b.id).await.unwrap(), b);
    assert_eq!(audit_count(&t, "renos.bookings", "create").await, 1);

    let b = create_booking(
        &t.db,
        NewBooking {
            estimated_duration: Some(90),
            ..new_booking(at(9, 0, 0))
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(b.estimated_duration, 90);
    assert!(is_not_found(
        &get_booking(&t.db, "missing").await.unwrap_err()
    ));
}

#[tokio::test]
async fn create_booking_rejects_non_positive_durations_and_unknown_references() {
    let t = TestDb::new().await;
    for d in [0, -5] {
        let e = create_booking(
            &t.db,
            NewBooking {
                estimated_duration: Some(d),
                ..new_booking(at(9, 0, 0))
            },
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(fields(e), ["estimated_duration"]);
    }
    let e = create_booking(
        &t.db,
        NewBooking {
            lead_id: Some("missing".into()),
            ..new_booking(at(9, 0, 0))
        },
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(fields(e), ["bookings_lead_id"]);
    let e = create_booking(
        &t.db,
        NewBooking {
            customer_id: Some("missing".into()),
            ..new_booking(at(9, 0, 0))
        },
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(fields(e), ["bookings_customer_id"]);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.bookings")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn find_bookings_applies_both_date_bounds_inclusively() {
    let t = TestDb::new().await;
    let c = customer(&t.db, "Kunde", None).await;
    let day = |d: u32| Utc.with_ymd_and_hms(2025, 6, d, 10, 0, 0).unwrap();
    for d in [1, 5, 10] {
        booking_for(&t, &c.id, day(d)).await;
    }
    let days = |v: Vec<service::renos::booking_list::BookingDetails>| {
        v.iter()
            .map(|b| b.booking.scheduled_at.to_utc())
            .collect::<Vec<_>>()
    };
    let both = find_bookings(
        &t.db,
        BookingFilter {
            from: Some(day(2)),
            until: Some(day(8)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // defect 3 would have returned day 1 as well (only the upper bound applied)
    assert_eq!(days(both), [day(5)]);
    let inclusive = find_bookings(
        &t.db,
        BookingFilter {
            from: Some(day(5)),
            until: Some(day(10)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(days(inclusive), [day(10), day(5)]);
    let from_only = find_bookings(
        &t.db,
        BookingFilter {
            from: Some(day(5)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(days(from_only), [day(10), day(5)]);
    let until_only = find_bookings(
        &t.db,
        BookingFilter {
            until: Some(day(5)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(days(until_only), [day(5), day(1)]);
    let limited = find_bookings(
        &t.db,
        BookingFilter {
            limit: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(days(limited), [day(10)]);
    let e = find_bookings(
        &t.db,
        BookingFilter {
            from: Some(day(8)),
            until: Some(day(2)),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(fields(e), ["from"]);
}

#[tokio::test]
async fn find_bookings_filters_customer_and_status_with_relations() {
    let t = TestDb::new().await;
    let a = customer(&t.db, "A", None).await;
    let b = customer(&t.db, "B", None).await;
    let ba = booking_for(&t, &a.id, at(9, 0, 0)).await;
    let bb = booking_for(&t, &b.id, at(10, 0, 0)).await;
    cancel_booking(&t.db, &bb.id, None).await.unwrap();
    start_timer(&t.db, &ba.id, at(9, 0, 0)).await.unwrap();
    pause_timer(&t.db, &ba.id, Some(BreakReason::Lunch), None, at(9, 30, 0))
        .await
        .unwrap();

    let of_a = find_bookings(
        &t.db,
        BookingFilter {
            customer_id: Some(a.id.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(of_a.len(), 1);
    assert_eq!(of_a[0].booking.id, ba.id);
    assert_eq!(of_a[0].customer.as_ref().unwrap().id, a.id);
    assert!(of_a[0].lead.is_none());
    assert_eq!(of_a[0].breaks.len(), 1);
    assert_eq!(of_a[0].breaks[0].reason, Some(BreakReason::Lunch));

    let cancelled = find_bookings(
        &t.db,
        BookingFilter {
            status: Some(BookingStatus::Cancelled),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].booking.id, bb.id);
}

#[tokio::test]
async fn confirm_and_cancel_follow_the_booking_lifecycle() {
    let t = TestDb::new().await;
    let b = booking(&t).await;
    let c = confirm_booking(&t.db, &b.id, None).await.unwrap();
    assert_eq!(c.status, BookingStatus::Confirmed);
    // confirming again changes nothing and is not audited again
    assert_eq!(confirm_booking(&t.db, &b.id, None).await.unwrap(), c);
    assert_eq!(audit_count(&t, "renos.bookings", "confirmed").await, 1);
    let x = cancel_booking(&t.db, &b.id, None).await.unwrap();
    assert_eq!(x.status, BookingStatus::Cancelled);
    assert_eq!(cancel_booking(&t.db, &b.id, None).await.unwrap(), x);
    assert!(is_conflict(
        &confirm_booking(&t.db, &b.id, None).await.unwrap_err()
    ));
    assert_eq!(audit_count(&t, "renos.bookings", "cancelled").await, 1);

    // a completed booking can be neither cancelled nor confirmed
    let done = booking(&t).await;
    start_timer(&t.db, &done.id, at(9, 0, 0)).await.unwrap();
    stop_timer(&t.db, &done.id, at(10, 0, 0), None)
        .await
        .unwrap();
    assert!(is_conflict(
        &cancel_booking(&t.db, &done.id, None).await.unwrap_err()
    ));
    assert!(is_conflict(
        &confirm_booking(&t.db, &done.id, None).await.unwrap_err()
    ));

    // nor can a booking whose timer is running or paused
    let busy = booking(&t).await;
    start_timer(&t.db, &busy.id, at(9, 0, 0)).await.unwrap();
    assert!(is_conflict(
        &cancel_booking(&t.db, &busy.id, None).await.unwrap_err()
    ));
    pause_timer(&t.db, &busy.id, None, None, at(9, 10, 0))
        .await
        .unwrap();
    assert!(is_conflict(
        &confirm_booking(&t.db, &busy.id, None).await.unwrap_err()
    ));
    assert_eq!(
        get_booking(&t.db, &busy.id).await.unwrap().status,
        BookingStatus::Scheduled
    );

    assert!(is_not_found(
        &cancel_booking(&t.db, "missing", None).await.unwrap_err()
    ));
    assert!(is_not_found(
        &confirm_booking(&t.db, "missing", None).await.unwrap_err()
    ));
}

// ---------------------------------------------------------------- time tracking

#[tokio::test]
async fn timer_with_two_breaks_computes_actual_variance_and_efficiency() {
    let t = TestDb::new().await;
    let b = booking(&t).await; // estimated 120 min
    let started = start_timer(&t.db, &b.id, at(9, 0, 0)).await.unwrap();
    assert_eq!(started.timer_status, BookingTimerStatus::Running);
    assert_eq!(started.actual_start_time, Some(at(9, 0, 0).fixed_offset()));

    let br1 = pause_timer(
        &t.db,
        &b.id,
        Some(BreakReason::Lunch),
        Some(" frokost ".into()),
        at(10, 0, 0),
    )
    .await
    .unwrap();
    assert_eq!(br1.start_time, at(10, 0, 0).fixed_offset());
    assert_eq!(br1.notes.as_deref(), Some("frokost"));
    assert_eq!(br1.end_time, None);
    assert_eq!(
        get_booking(&t.db, &b.id).await.unwrap().timer_status,
        BookingTimerStatus::Paused
    );
    let ended1 = resume_timer(&t.db, &b.id, at(10, 15, 0)).await.unwrap();
    assert_eq!(ended1.id, br1.id);
    assert_eq!(ended1.duration, Some(15));
    assert_eq!(ended1.end_time, Some(at(10, 15, 0).fixed_offset()));
    assert_eq!(
        get_booking(&t.db, &b.id).await.unwrap().timer_status,
        BookingTimerStatus::Running
    );

    pause_timer(&t.db, &b.id, None, None, at(11, 0, 0))
        .await
        .unwrap();
    let ended2 = resume_timer(&t.db, &b.id, at(11, 20, 0)).await.unwrap();
    assert_eq!(ended2.duration, Some(20));

    let done = stop_timer(&t.db, &b.id, at(12, 0, 0), None).await.unwrap();
    // total 180 min − breaks (15 + 20) = 145; variance 145 − 120 = 25; efficiency 120/145
    assert_eq!(done.actual_duration, Some(145));
    assert_eq!(done.time_variance, Some(25));
    assert_eq!(done.efficiency_score, Some(120.0 / 145.0));
    assert_eq!(done.actual_end_time, Some(at(12, 0, 0).fixed_offset()));
    assert_eq!(done.timer_status, BookingTimerStatus::Completed);
    assert_eq!(done.status, BookingStatus::Completed);
    assert_eq!(
        t.scalar_i64(&format!(
            "SELECT count(*) FROM renos.breaks WHERE booking_id = '{}' AND end_time IS NOT NULL",
            b.id
        ))
        .await
        .unwrap(),
        2
    );
    assert_eq!(audit_count(&t, "renos.bookings", "complete").await, 1);
}

#[tokio::test]
async fn stop_while_paused_closes_the_open_break() {
    let t = TestDb::new().await;
    let b = booking(&t).await;
    start_timer(&t.db, &b.id, at(9, 0, 0)).await.unwrap();
    pause_timer(
        &t.db,
        &b.id,
        Some(BreakReason::Transport),
        None,
        at(9, 30, 0),
    )
    .await
    .unwrap();
    let done = stop_timer(&t.db, &b.id, at(10, 0, 0), None).await.unwrap();
    // total 60 − break 30 = 30; variance 30 − 120 = −90; efficiency 120/30 = 4
    assert_eq!(done.actual_duration, Some(30));
    assert_eq!(done.time_variance, Some(-90));
    assert_eq!(done.efficiency_score, Some(4.0));
    assert_eq!(
        t.scalar_i64(&format!(
            "SELECT duration::bigint FROM renos.breaks WHERE booking_id = '{}' AND end_time = '{}'",
            b.id,
            at(10, 0, 0).to_rfc3339()
        ))
        .await
        .unwrap(),
        30
    );
}

#[tokio::test]
async fn minutes_are_floored_and_zero_actual_stores_null_efficiency() {
    let t = TestDb::new().await;
    let b = booking(&t).await;
    start_timer(&t.db, &b.id, at(9, 0, 0)).await.unwrap();
    pause_timer(&t.db, &b.id, None, None, at(9, 10, 40))
        .await
        .unwrap();
    // 9 min 50 s → 9
    let br = resume_timer(&t.db, &b.id, at(9, 20, 30)).await.unwrap();
    assert_eq!(br.duration, Some(9));
    // total 60 min 59 s → 60; 60 − 9 = 51
    let done = stop_timer(&t.db, &b.id, at(10, 0, 59), None).await.unwrap();
    assert_eq!(done.actual_duration, Some(51));
    assert_eq!(done.time_variance, Some(51 - 120));

    // defect 9: a stop within the first minute gives actual 0 → efficiency NULL
    let quick = booking(&t).await;
    start_timer(&t.db, &quick.id, at(9, 0, 0)).await.unwrap();
    let done = stop_timer(&t.db, &quick.id, at(9, 0, 59), None)
        .await
        .unwrap();
    assert_eq!(done.actual_duration, Some(0));
    assert_eq!(done.time_variance, Some(-120));
    assert_eq!(done.efficiency_score, None);
    assert_eq!(done.status, BookingStatus::Completed);
}

#[tokio::test]
async fn start_from_paused_resumes_and_guards_reject_wrong_states() {
    let t = TestDb::new().await;
    let b = booking(&t).await;
    // not started: pause, resume and stop are conflicts
    assert!(is_conflict(
        &pause_timer(&t.db, &b.id, None, None, at(9, 0, 0))
            .await
            .unwrap_err()
    ));
    assert!(is_conflict(
        &resume_timer(&t.db, &b.id, at(9, 0, 0)).await.unwrap_err()
    ));
    assert!(is_conflict(
        &stop_timer(&t.db, &b.id, at(9, 0, 0), None)
            .await
            .unwrap_err()
    ));

    start_timer(&t.db, &b.id, at(9, 0, 0)).await.unwrap();
    // running: start again and resume are conflicts; the start time is kept
    assert!(is_conflict(
        &start_timer(&t.db, &b.id, at(9, 30, 0)).await.unwrap_err()
    ));
    assert!(is_conflict(
        &resume_timer(&t.db, &b.id, at(9, 30, 0)).await.unwrap_err()
    ));
    assert_eq!(
        get_booking(&t.db, &b.id).await.unwrap().actual_start_time,
        Some(at(9, 0, 0).fixed_offset())
    );

    pause_timer(&t.db, &b.id, None, None, at(9, 40, 0))
        .await
        .unwrap();
    // paused: pausing again is a conflict; start continues and ends the break
    assert!(is_conflict(
        &pause_timer(&t.db, &b.id, None, None, at(9, 45, 0))
            .await
            .unwrap_err()
    ));
    let resumed = start_timer(&t.db, &b.id, at(9, 50, 0)).await.unwrap();
    assert_eq!(resumed.timer_status, BookingTimerStatus::Running);
    assert_eq!(resumed.actual_start_time, Some(at(9, 0, 0).fixed_offset()));
    assert_eq!(
        t.scalar_i64(&format!(
            "SELECT duration::bigint FROM renos.breaks WHERE booking_id = '{}'",
            b.id
        ))
        .await
        .unwrap(),
        10
    );

    // a `now` before the start is invalid and changes nothing
    let e = stop_timer(&t.db, &b.id, at(8, 59, 0), None)
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["now"]);
    let e = pause_timer(&t.db, &b.id, None, None, at(8, 0, 0))
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["now"]);
    assert_eq!(
        get_booking(&t.db, &b.id).await.unwrap().timer_status,
        BookingTimerStatus::Running
    );

    stop_timer(&t.db, &b.id, at(11, 0, 0), None).await.unwrap();
    // completed: everything is a conflict
    assert!(is_conflict(
        &stop_timer(&t.db, &b.id, at(12, 0, 0), None)
            .await
            .unwrap_err()
    ));
    assert!(is_conflict(
        &start_timer(&t.db, &b.id, at(12, 0, 0)).await.unwrap_err()
    ));
    assert!(is_conflict(
        &pause_timer(&t.db, &b.id, None, None, at(12, 0, 0))
            .await
            .unwrap_err()
    ));

    // a cancelled booking cannot be started
    let c = booking(&t).await;
    cancel_booking(&t.db, &c.id, None).await.unwrap();
    assert!(is_conflict(
        &start_timer(&t.db, &c.id, at(9, 0, 0)).await.unwrap_err()
    ));

    for e in [
        start_timer(&t.db, "missing", at(9, 0, 0))
            .await
            .unwrap_err(),
        pause_timer(&t.db, "missing", None, None, at(9, 0, 0))
            .await
            .unwrap_err(),
        resume_timer(&t.db, "missing", at(9, 0, 0))
            .await
            .unwrap_err(),
        stop_timer(&t.db, "missing", at(9, 0, 0), None)
            .await
            .unwrap_err(),
    ] {
        assert!(is_not_found(&e), "{e:?}");
    }
}

#[tokio::test]
async fn resume_with_a_break_ending_before_it_started_is_invalid() {
    let t = TestDb::new().await;
    let b = booking(&t).await;
    start_timer(&t.db, &b.id, at(9, 0, 0)).await.unwrap();
    pause_timer(&t.db, &b.id, None, None, at(10, 0, 0))
        .await
        .unwrap();
    let e = resume_timer(&t.db, &b.id, at(9, 59, 0)).await.unwrap_err();
    assert_eq!(fields(e), ["now"]);
    assert_eq!(
        get_booking(&t.db, &b.id).await.unwrap().timer_status,
        BookingTimerStatus::Paused
    );
}

#[tokio::test]
async fn concurrent_stops_complete_the_booking_once() {
    let t = TestDb::new().await;
    let b = booking(&t).await;
    start_timer(&t.db, &b.id, at(9, 0, 0)).await.unwrap();
    let (r1, r2) = tokio::join!(
        stop_timer(&t.db, &b.id, at(10, 0, 0), None),
        stop_timer(&t.db, &b.id, at(10, 30, 0), None)
    );
    let ok = [&r1, &r2].iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 1, "{r1:?} {r2:?}");
    let err = r1.err().or(r2.err()).unwrap();
    assert!(is_conflict(&err), "{err:?}");
    assert_eq!(audit_count(&t, "renos.bookings", "complete").await, 1);

    // concurrent pauses open one break only
    let p = booking(&t).await;
    start_timer(&t.db, &p.id, at(9, 0, 0)).await.unwrap();
    let (a, b2) = tokio::join!(
        pause_timer(&t.db, &p.id, None, None, at(9, 10, 0)),
        pause_timer(&t.db, &p.id, None, None, at(9, 10, 0))
    );
    assert_eq!([a.is_ok(), b2.is_ok()].iter().filter(|x| **x).count(), 1);
    assert_eq!(
        t.scalar_i64(&format!(
            "SELECT count(*) FROM renos.breaks WHERE booking_id = '{}'",
            p.id
        ))
        .await
        .unwrap(),
        1
    );
}

// ---------------------------------------------------------------- cleaning plans

#[tokio::test]
async fn create_cleaning_plan_with_tasks_and_defaults() {
    let t = TestDb::new().await;
    let c = customer(&t.db, "Kunde", None).await;
    let p = create_cleaning_plan(
        &t.db,
        NewCleaningPlan {
            estimated_price: Some("1234.565".parse::<Decimal>().unwrap()),
            tasks: vec![
                task("Køkken"),
                NewCleaningTask {
                    name: "Vinduer".into(),
                    category: "Windows".into(),
                    description: Some("Indvendigt".into()),
                    estimated_time: Some(45),
                    is_required: Some(false),
                    price_per_task: Some("99.5".parse().unwrap()),
                },
            ],
            ..plan(&c.id, "Ugentlig", vec![])
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(p.plan.frequency, CleaningPlanFrequency::Once);
    assert_eq!(p.plan.estimated_duration, 120);
    assert!(p.plan.is_active);
    assert!(!p.plan.is_template);
    // 1234.565 → 1234.57 (half up)
    assert_eq!(p.plan.estimated_price, Some(1234.57));
    assert_eq!(p.customer.as_ref().unwrap().id, c.id);
    let tasks: Vec<_> = p
        .tasks
        .iter()
        .map(|t| {
            (
                t.name.as_str(),
                t.sort_order,
                t.estimated_time,
                t.is_required,
                t.price_per_task,
            )
        })
        .collect();
    assert_eq!(
        tasks,
        [
            ("Køkken", 0, 15, true, None),
            ("Vinduer", 1, 45, false, Some(99.5))
        ]
    );
    assert_eq!(audit_count(&t, "renos.cleaning_plans", "create").await, 1);

    let weekly = create_cleaning_plan(
        &t.db,
        NewCleaningPlan {
            frequency: Some(CleaningPlanFrequency::Weekly),
            estimated_duration: Some(180),
            is_template: true,
            ..plan(&c.id, "Skabelon", vec![])
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(weekly.plan.frequency, CleaningPlanFrequency::Weekly);
    assert_eq!(weekly.plan.estimated_duration, 180);
    assert!(weekly.plan.is_template);
    assert!(weekly.tasks.is_empty());
}

#[tokio::test]
async fn create_cleaning_plan_rejects_bad_input_and_unknown_customer() {
    let t = TestDb::new().await;
    let e = create_cleaning_plan(
        &t.db,
        NewCleaningPlan {
            customer_id: "".into(),
            name: " ".into(),
            service_type: "".into(),
            estimated_duration: Some(0),
            estimated_price: Some("-1".parse().unwrap()),
            square_meters: Some(-10.0),
            tasks: vec![
                task("ok"),
                NewCleaningTask {
                    name: "".into(),
                    category: " ".into(),
                    estimated_time: Some(-1),
                    price_per_task: Some("-0.01".parse().unwrap()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    let mut f = fields(e);
    f.sort();
    assert_eq!(
        f,
        [
            "customer_id",
            "estimated_duration",
            "estimated_price",
            "name",
            "service_type",
            "square_meters",
            "tasks[1].category",
            "tasks[1].estimated_time",
            "tasks[1].name",
            "tasks[1].price_per_task",
        ]
    );
    let e = create_cleaning_plan(&t.db, plan("missing", "P", vec![task("a")]), None)
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["cleaning_plans_customer_id"]);
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.cleaning_plans")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.cleaning_tasks")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn find_cleaning_plans_filters_active_and_customer() {
    let t = TestDb::new().await;
    let a = customer(&t.db, "A", None).await;
    let b = customer(&t.db, "B", None).await;
    let pa = create_cleaning_plan(&t.db, plan(&a.id, "A1", vec![task("x"), task("y")]), None)
        .await
        .unwrap();
    let pb = create_cleaning_plan(&t.db, plan(&b.id, "B1", vec![]), None)
        .await
        .unwrap();
    let old = create_cleaning_plan(&t.db, plan(&a.id, "A-old", vec![]), None)
        .await
        .unwrap();
    t.exec(&format!(
        "UPDATE renos.cleaning_plans SET is_active = false WHERE id = '{}'",
        old.plan.id
    ))
    .await
    .unwrap();

    let active = find_cleaning_plans(&t.db, PlanFilter::default())
        .await
        .unwrap();
    let names: Vec<_> = active.iter().map(|p| p.plan.name.as_str()).collect();
    assert_eq!(names, ["A1", "B1"]);
    let a1 = &active[0];
    assert_eq!(a1.plan.id, pa.plan.id);
    let task_names: Vec<_> = a1.tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(task_names, ["x", "y"]);
    assert_eq!(a1.customer.as_ref().unwrap().id, a.id);

    let inactive = find_cleaning_plans(
        &t.db,
        PlanFilter {
            is_active: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(inactive.len(), 1);
    assert_eq!(inactive[0].plan.id, old.plan.id);

    let of_b = find_cleaning_plans(
        &t.db,
        PlanFilter {
            customer_id: Some(b.id.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(of_b.len(), 1);
    assert_eq!(of_b[0].plan.id, pb.plan.id);
}

#[tokio::test]
async fn link_plan_to_booking_once_per_booking_and_same_customer() {
    let t = TestDb::new().await;
    let a = customer(&t.db, "A", None).await;
    let b = customer(&t.db, "B", None).await;
    let pa = create_cleaning_plan(&t.db, plan(&a.id, "A1", vec![]), None)
        .await
        .unwrap()
        .plan;
    let pa2 = create_cleaning_plan(&t.db, plan(&a.id, "A2", vec![]), None)
        .await
        .unwrap()
        .plan;
    let bk = booking_for(&t, &a.id, at(9, 0, 0)).await;
    let link = link_plan_to_booking(&t.db, &pa.id, &bk.id, None)
        .await
        .unwrap();
    assert_eq!(
        (link.plan_id.as_str(), link.booking_id.as_str()),
        (pa.id.as_str(), bk.id.as_str())
    );
    assert!(link.completed_tasks.is_empty());
    assert_eq!(
        audit_count(&t, "renos.cleaning_plans", "link_booking").await,
        1
    );

    // the booking already has a plan
    let e = link_plan_to_booking(&t.db, &pa2.id, &bk.id, None)
        .await
        .unwrap_err();
    assert!(is_conflict(&e), "{e:?}");
    // a booking of another customer
    let other = booking_for(&t, &b.id, at(9, 0, 0)).await;
    let e = link_plan_to_booking(&t.db, &pa.id, &other.id, None)
        .await
        .unwrap_err();
    assert_eq!(fields(e), ["booking_id"]);
    // a booking without customer may use any plan
    let loose = booking(&t).await;
    link_plan_to_booking(&t.db, &pa2.id, &loose.id, None)
        .await
        .unwrap();
    // an inactive plan
    t.exec(&format!(
        "UPDATE renos.cleaning_plans SET is_active = false WHERE id = '{}'",
        pa.id
    ))
    .await
    .unwrap();
    let fresh = booking_for(&t, &a.id, at(11, 0, 0)).await;
    let e = link_plan_to_booking(&t.db, &pa.id, &fresh.id, None)
        .await
        .unwrap_err();
    assert!(is_conflict(&e), "{e:?}");
    assert!(is_not_found(
        &link_plan_to_booking(&t.db, "missing", &fresh.id, None)
            .await
            .unwrap_err()
    ));
    assert!(is_not_found(
        &link_plan_to_booking(&t.db, &pa2.id, "missing", None)
            .await
            .unwrap_err()
    ));
    assert_eq!(
        t.scalar_i64("SELECT count(*) FROM renos.cleaning_plan_bookings")
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn concurrent_links_of_one_booking_keep_one() {
    let t = TestDb::new().await;
    let a = customer(&t.db, "A", None).await;
    let p1 = create_cleaning_plan(&t.db, plan(&a.id, "1", vec![]), None)
        .await
        .unwrap()
        .plan;
    let p2 = create_cleaning_plan(&t.db, plan(&a.id, "2", vec![]), None)
        .await
        .unwrap()
        .plan;
    let bk = booking_for(&t, &a.id, at(9, 0, 0)).await;
    let (r1, r2) = tokio::join!(
        link_plan_to_booking(&t.db, &p1.id, &bk.id, None),
        link_plan_to_booking(&t.db, &p2.id, &bk.id, None)
    );
    assert_eq!([r1.is_ok(), r2.is_ok()].iter().filter(|x| **x).count(), 1);
    let err = r1.err().or(r2.err()).unwrap();
    assert!(is_conflict(&err), "{err:?}");
}
