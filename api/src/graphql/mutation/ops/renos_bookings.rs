//! `renos { startBookingTimer pauseBookingTimer resumeBookingTimer stopBookingTimer }`:
//! the booking timer through `service::renos::time_tracking` (the booking is locked for
//! each call; minutes are floored). Every field takes an optional `at` (ISO 8601, default
//! now): when the event happened, for clients that report events late.

use async_graphql::dynamic::{Field, FieldFuture, InputValue, Type, TypeRef};
use serde_json::{Value as Json, json};
use service::renos::time_tracking::{pause_timer, resume_timer, start_timer, stop_timer};
use service::{Error, FieldError};

use super::{
    at_or_now, authorize, finish, invalid, opt_arg, opt_string, row_out, savepoint, string,
};
use crate::graphql::guard::Action;

const BOOKINGS: &str = "renos.bookings";
const BREAKS: &str = "renos.breaks";

/// The service's `now` is the client's `at`.
fn now_is_at(e: Error) -> Error {
    match e {
        Error::Validation { fields } => Error::Validation {
            fields: fields
                .into_iter()
                .map(|f| {
                    if f.field == "now" {
                        FieldError::new("at", f.message)
                    } else {
                        f
                    }
                })
                .collect(),
        },
        other => other,
    }
}

pub fn types() -> Vec<Type> {
    Vec::new()
}

pub fn fields() -> Vec<Field> {
    vec![start(), pause(), resume(), stop()]
}

fn with_args(f: Field) -> Field {
    f.argument(InputValue::new(
        "bookingId",
        TypeRef::named_nn(TypeRef::STRING),
    ))
    .argument(InputValue::new("at", TypeRef::named(TypeRef::STRING)))
}

fn start() -> Field {
    let f = Field::new(
        "startBookingTimer",
        TypeRef::named_nn("RenosBooking"),
        |ctx| {
            FieldFuture::new(async move {
                let db = authorize(&ctx, Action::Operation)?;
                let id = string(&ctx, "bookingId")?;
                let at = at_or_now(&ctx)?;
                let sp = savepoint(&db).await?;
                let res = start_timer(&sp, &id, at).await.map_err(now_is_at);
                let b = finish(sp, res, None).await?;
                row_out(&ctx, &db, BOOKINGS, json!(b.id)).await
            })
        },
    )
    .description(
        "Starts the booking's timer (timerStatus NOT_STARTED → RUNNING, actualStartTime = \
         at); from PAUSED it resumes. Wrong states are a CONFLICT.",
    );
    with_args(f)
}

fn pause() -> Field {
    let f = Field::new(
        "pauseBookingTimer",
        TypeRef::named_nn("RenosBreak"),
        |ctx| {
            FieldFuture::new(async move {
                let db = authorize(&ctx, Action::Operation)?;
                let id = string(&ctx, "bookingId")?;
                let at = at_or_now(&ctx)?;
                // The enum name as the stored text, deserialised into the service's enum.
                let reason = match opt_arg(&ctx, "reason") {
                    Some(v) => Some(
                        serde_json::from_value(Json::String(v.enum_name()?.to_lowercase()))
                            .map_err(|_| invalid("reason", "unknown break reason"))?,
                    ),
                    None => None,
                };
                let notes = opt_string(&ctx, "notes")?;
                let sp = savepoint(&db).await?;
                let res = pause_timer(&sp, &id, reason, notes, at)
                    .await
                    .map_err(now_is_at);
                let brk = finish(sp, res, None).await?;
                row_out(&ctx, &db, BREAKS, json!(brk.id)).await
            })
        },
    )
    .description(
        "Pauses a RUNNING timer: opens a break starting at `at` and returns it (its \
         `booking` shows timerStatus PAUSED).",
    )
    .argument(InputValue::new(
        "reason",
        TypeRef::named("RenosBreakReason"),
    ))
    .argument(InputValue::new("notes", TypeRef::named(TypeRef::STRING)));
    with_args(f)
}

fn resume() -> Field {
    let f = Field::new(
        "resumeBookingTimer",
        TypeRef::named_nn("RenosBreak"),
        |ctx| {
            FieldFuture::new(async move {
                let db = authorize(&ctx, Action::Operation)?;
                let id = string(&ctx, "bookingId")?;
                let at = at_or_now(&ctx)?;
                let sp = savepoint(&db).await?;
                let res = resume_timer(&sp, &id, at).await.map_err(now_is_at);
                let brk = finish(sp, res, None).await?;
                row_out(&ctx, &db, BREAKS, json!(brk.id)).await
            })
        },
    )
    .description(
        "Resumes a PAUSED timer: ends the open break at `at` (duration in whole minutes) \
         and returns it.",
    );
    with_args(f)
}

fn stop() -> Field {
    let f = Field::new(
        "stopBookingTimer",
        TypeRef::named_nn("RenosBooking"),
        |ctx| {
            FieldFuture::new(async move {
                let db = authorize(&ctx, Action::Operation)?;
                let id = string(&ctx, "bookingId")?;
                let at = at_or_now(&ctx)?;
                let sp = savepoint(&db).await?;
                let res = stop_timer(&sp, &id, at, None).await.map_err(now_is_at);
                let b = finish(sp, res, None).await?;
                row_out(&ctx, &db, BOOKINGS, json!(b.id)).await
            })
        },
    )
    .description(
        "Stops the timer (closing an open break) and completes the booking: actualEndTime, \
         actualDuration (minutes minus breaks), timeVariance, efficiencyScore; status \
         COMPLETED, timerStatus COMPLETED.",
    );
    with_args(f)
}
