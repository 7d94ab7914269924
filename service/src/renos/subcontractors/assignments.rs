//! `renos.task_assignments`: a booking assigned to a subcontractor, with the checked
//! lifecycle `assigned → accepted → in_progress → completed`, `assigned → rejected` and
//! `assigned | accepted → cancelled`.

use entity::renos::bookings::{self, BookingStatus};
use entity::renos::subcontractors::SubcontractorStatus;
use entity::renos::task_assignments::{self, TaskAssignmentStatus};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveEnum, QueryOrder, QuerySelect, TransactionSession, TransactionTrait};

use crate::error::{Error, Result};
use crate::renos::transition::Status;
use crate::validate::{Problems, limit, opt_text};

/// Statuses in which an assignment still holds its booking.
pub const OPEN_STATUSES: [TaskAssignmentStatus; 3] = [
    TaskAssignmentStatus::Assigned,
    TaskAssignmentStatus::Accepted,
    TaskAssignmentStatus::InProgress,
];

/// Largest value of `actual_hours` (`numeric(5,2)`).
pub const MAX_ACTUAL_HOURS: Decimal = Decimal::from_parts(99_999, 0, 0, false, 2);

/// Input of [`assign_booking`].
#[derive(Clone, Debug)]
pub struct NewAssignment {
    pub booking_id: String,
    pub subcontractor_id: Uuid,
    /// The assigning `shared.users` id, when known.
    pub assigned_by: Option<Uuid>,
    pub notes: Option<String>,
    pub calendar_event_id: Option<String>,
}

/// Assigns a booking to a subcontractor (status `assigned`). The booking must exist and be
/// neither cancelled nor completed, the subcontractor must exist and be active, and the
/// booking must not have an open assignment (conflict). One transaction; the booking row
/// is locked so two concurrent assignments of one booking cannot both succeed.
pub async fn assign_booking<C: TransactionTrait>(
    db: &C,
    input: NewAssignment,
) -> Result<task_assignments::Model> {
    let mut f = Problems::new();
    let booking_id = f.text("booking_id", &input.booking_id);
    f.finish()?;
    let txn = db.begin().await?;
    let booking = bookings::Entity::find_by_id(booking_id.as_str())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("booking_id", "refers to no booking"))?;
    if matches!(
        booking.status,
        BookingStatus::Cancelled | BookingStatus::Completed
    ) {
        return Err(Error::conflict(format!(
            "booking is {}",
            booking.status.to_value()
        )));
    }
    let sub = entity::renos::subcontractors::Entity::find_by_id(input.subcontractor_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::invalid("subcontractor_id", "refers to no subcontractor"))?;
    if sub.status != SubcontractorStatus::Active {
        return Err(Error::conflict(format!(
            "subcontractor is {}",
            sub.status.to_value()
        )));
    }
    let open = task_assignments::Entity::find()
        .filter(task_assignments::Column::BookingId.eq(booking_id.as_str()))
        .filter(task_assignments::Column::Status.is_in(OPEN_STATUSES))
        .count(&txn)
        .await?;
    if open > 0 {
        return Err(Error::conflict("booking already has an open assignment"));
    }
    let row = task_assignments::ActiveModel {
        booking_id: Set(Some(booking_id)),
        subcontractor_id: Set(Some(sub.id)),
        assigned_by: Set(input.assigned_by),
        status: Set(TaskAssignmentStatus::Assigned),
        notes: Set(opt_text(input.notes.as_deref())),
        calendar_event_id: Set(opt_text(input.calendar_event_id.as_deref())),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The checked states of a task assignment.
const STATUS: Status<task_assignments::Entity, TaskAssignmentStatus> = Status {
    entity: "task assignment",
    id: task_assignments::Column::Id,
    status: task_assignments::Column::Status,
    of: |r| r.status,
};

/// `assigned → accepted`.
pub async fn accept_assignment<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<task_assignments::Model> {
    STATUS
        .transition(
            db,
            id,
            &[TaskAssignmentStatus::Assigned],
            TaskAssignmentStatus::Accepted,
            Vec::new(),
        )
        .await
}

/// `assigned → rejected`; the reason, when given, replaces the notes.
pub async fn reject_assignment<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    reason: Option<&str>,
) -> Result<task_assignments::Model> {
    let mut sets = Vec::new();
    if let Some(r) = opt_text(reason) {
        sets.push((task_assignments::Column::Notes, Expr::value(r)));
    }
    STATUS
        .transition(
            db,
            id,
            &[TaskAssignmentStatus::Assigned],
            TaskAssignmentStatus::Rejected,
            sets,
        )
        .await
}

/// `accepted → in_progress`, `started_at = now`.
pub async fn start_assignment<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<task_assignments::Model> {
    STATUS
        .transition(
            db,
            id,
            &[TaskAssignmentStatus::Accepted],
            TaskAssignmentStatus::InProgress,
            vec![(task_assignments::Column::StartedAt, Expr::cust("now()"))],
        )
        .await
}

/// `in_progress → completed`, `completed_at = now`. `actual_hours` (0..=999.99, two
/// decimals) is taken as given, or computed from `started_at` to now, rounded to two
/// decimals.
pub async fn complete_assignment<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    actual_hours: Option<Decimal>,
) -> Result<task_assignments::Model> {
    let mut f = Problems::new();
    if let Some(h) = actual_hours {
        f.exact_amount("actual_hours", h, MAX_ACTUAL_HOURS);
    }
    f.finish()?;
    let hours = match actual_hours {
        Some(h) => Expr::value(h),
        None => Expr::cust(
            "LEAST(round((extract(epoch FROM (now() - \"started_at\")) / 3600)::numeric, 2), 999.99)",
        ),
    };
    STATUS
        .transition(
            db,
            id,
            &[TaskAssignmentStatus::InProgress],
            TaskAssignmentStatus::Completed,
            vec![
                (task_assignments::Column::CompletedAt, Expr::cust("now()")),
                (task_assignments::Column::ActualHours, hours),
            ],
        )
        .await
}

/// `assigned | accepted → cancelled`.
pub async fn cancel_assignment<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<task_assignments::Model> {
    STATUS
        .transition(
            db,
            id,
            &[
                TaskAssignmentStatus::Assigned,
                TaskAssignmentStatus::Accepted,
            ],
            TaskAssignmentStatus::Cancelled,
            Vec::new(),
        )
        .await
}

/// Records the Billy.dk invoice of a `completed` assignment.
pub async fn attach_invoice<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    invoice_id: &str,
    invoice_number: Option<&str>,
) -> Result<task_assignments::Model> {
    let mut f = Problems::new();
    let invoice_id = f.text("invoice_id", invoice_id);
    f.finish()?;
    STATUS
        .transition(
            db,
            id,
            &[TaskAssignmentStatus::Completed],
            TaskAssignmentStatus::Completed,
            vec![
                (task_assignments::Column::InvoiceId, Expr::value(invoice_id)),
                (
                    task_assignments::Column::InvoiceNumber,
                    Expr::value(opt_text(invoice_number)),
                ),
            ],
        )
        .await
}

/// The assignment with this id.
pub async fn get_assignment<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<task_assignments::Model> {
    task_assignments::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("task assignment"))
}

/// Filters of [`list_assignments`]; `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct AssignmentFilter {
    pub subcontractor_id: Option<Uuid>,
    pub booking_id: Option<String>,
    pub status: Option<TaskAssignmentStatus>,
    pub limit: Option<u64>,
}

/// Assignments, newest first; `limit` defaults to 100 (at most 1000).
pub async fn list_assignments<C: ConnectionTrait>(
    db: &C,
    filter: AssignmentFilter,
) -> Result<Vec<task_assignments::Model>> {
    let mut q = task_assignments::Entity::find();
    if let Some(s) = filter.subcontractor_id {
        q = q.filter(task_assignments::Column::SubcontractorId.eq(s));
    }
    if let Some(b) = filter.booking_id {
        q = q.filter(task_assignments::Column::BookingId.eq(b));
    }
    if let Some(s) = filter.status {
        q = q.filter(task_assignments::Column::Status.eq(s));
    }
    Ok(q.order_by_desc(task_assignments::Column::AssignedAt)
        .order_by_desc(task_assignments::Column::Id)
        .limit(limit(filter.limit, 100, 1000))
        .all(db)
        .await?)
}
