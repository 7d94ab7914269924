//! Cleaning plans with their tasks, listing, and linking a plan to the booking that
//! executes it.

use entity::renos::cleaning_plans::{self, CleaningPlanFrequency};
use entity::renos::{cleaning_plan_bookings, cleaning_tasks, customers};
use rust_decimal::Decimal;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{LoaderTrait, QueryOrder, TransactionSession, TransactionTrait};
use serde_json::json;

use super::bookings::lock_booking;
use crate::error::{Error, Result};
use crate::money::{round_money, to_db};
use crate::shared::audit;
use crate::validate::{
    Problems, non_empty, non_negative_decimal, opt_text, positive, positive_minutes,
};

/// Estimated duration of a plan when none is given, in minutes.
pub const DEFAULT_PLAN_MINUTES: i32 = 120;
/// Estimated time of a task when none is given, in minutes.
pub const DEFAULT_TASK_MINUTES: i32 = 15;

/// One task of [`NewCleaningPlan`].
#[derive(Clone, Debug, Default)]
pub struct NewCleaningTask {
    pub name: String,
    pub description: Option<String>,
    /// e.g. `Kitchen`, `Bathroom`, `Windows`.
    pub category: String,
    /// Minutes, `> 0`; default [`DEFAULT_TASK_MINUTES`].
    pub estimated_time: Option<i32>,
    /// Default `true`.
    pub is_required: Option<bool>,
    /// DKK, `>= 0`.
    pub price_per_task: Option<Decimal>,
}

/// Input of [`create_cleaning_plan`].
#[derive(Clone, Debug, Default)]
pub struct NewCleaningPlan {
    /// An existing customer.
    pub customer_id: String,
    pub name: String,
    pub description: Option<String>,
    pub service_type: String,
    /// Default `once`.
    pub frequency: Option<CleaningPlanFrequency>,
    /// Minutes, `> 0`; default [`DEFAULT_PLAN_MINUTES`].
    pub estimated_duration: Option<i32>,
    /// DKK, `>= 0`.
    pub estimated_price: Option<Decimal>,
    /// `> 0`.
    pub square_meters: Option<f64>,
    pub address: Option<String>,
    pub notes: Option<String>,
    pub is_template: bool,
    /// In order (`sort_order` = position); may be empty.
    pub tasks: Vec<NewCleaningTask>,
}

/// A plan with its tasks (by `sort_order`) and customer.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanWithTasks {
    pub plan: cleaning_plans::Model,
    pub tasks: Vec<cleaning_tasks::Model>,
    pub customer: Option<customers::Model>,
}

struct CheckedTask {
    name: String,
    category: String,
    minutes: i32,
    price: Option<Decimal>,
}

fn check_tasks(p: &mut Problems, tasks: &[NewCleaningTask]) -> Vec<CheckedTask> {
    let mut out = Vec::with_capacity(tasks.len());
    for (i, t) in tasks.iter().enumerate() {
        let f = |name: &str| format!("tasks[{i}].{name}");
        let name = p.take(non_empty(&f("name"), &t.name));
        let category = p.take(non_empty(&f("category"), &t.category));
        let minutes = p.take(positive_minutes(
            &f("estimated_time"),
            t.estimated_time.unwrap_or(DEFAULT_TASK_MINUTES),
        ));
        let price = t
            .price_per_task
            .and_then(|v| p.take(non_negative_decimal(&f("price_per_task"), v)));
        if let (Some(name), Some(category), Some(minutes)) = (name, category, minutes) {
            out.push(CheckedTask {
                name,
                category,
                minutes,
                price: price.map(round_money),
            });
        }
    }
    out
}

/// Creates an active plan and its tasks in one transaction. An unknown customer is a
/// validation error.
pub async fn create_cleaning_plan<C: TransactionTrait>(
    db: &C,
    input: NewCleaningPlan,
    actor: Option<Uuid>,
) -> Result<PlanWithTasks> {
    let mut p = Problems::new();
    let customer_id = p.take(non_empty("customer_id", &input.customer_id));
    let name = p.take(non_empty("name", &input.name));
    let service_type = p.take(non_empty("service_type", &input.service_type));
    let minutes = p.take(positive_minutes(
        "estimated_duration",
        input.estimated_duration.unwrap_or(DEFAULT_PLAN_MINUTES),
    ));
    let price = input
        .estimated_price
        .and_then(|v| p.take(non_negative_decimal("estimated_price", v)));
    let square_meters = input
        .square_meters
        .and_then(|v| p.take(positive("square_meters", v)));
    let tasks = check_tasks(&mut p, &input.tasks);
    p.finish()?;
    let (Some(customer_id), Some(name), Some(service_type), Some(minutes)) =
        (customer_id, name, service_type, minutes)
    else {
        return Err(Error::Internal);
    };

    let txn = db.begin().await?;
    let plan = cleaning_plans::ActiveModel {
        customer_id: Set(customer_id),
        name: Set(name),
        description: Set(opt_text(input.description)),
        service_type: Set(service_type),
        frequency: Set(input.frequency.unwrap_or(CleaningPlanFrequency::Once)),
        is_template: Set(input.is_template),
        is_active: Set(true),
        estimated_duration: Set(minutes),
        estimated_price: Set(price.map(|v| to_db(round_money(v)))),
        square_meters: Set(square_meters),
        address: Set(opt_text(input.address)),
        notes: Set(opt_text(input.notes)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut saved = Vec::with_capacity(tasks.len());
    for (i, (t, raw)) in tasks.into_iter().zip(input.tasks).enumerate() {
        let row = cleaning_tasks::ActiveModel {
            plan_id: Set(plan.id.clone()),
            name: Set(t.name),
            description: Set(opt_text(raw.description)),
            category: Set(t.category),
            estimated_time: Set(t.minutes),
            is_required: Set(raw.is_required.unwrap_or(true)),
            is_completed: Set(false),
            sort_order: Set(i32::try_from(i).unwrap_or(i32::MAX)),
            price_per_task: Set(t.price.map(to_db)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        saved.push(row);
    }
    let customer = customers::Entity::find_by_id(plan.customer_id.clone())
        .one(&txn)
        .await?;
    audit::record_action(
        &txn,
        actor,
        "create",
        "renos.cleaning_plans",
        &plan.id,
        json!({ "tasks": saved.len() }),
    )
    .await?;
    txn.commit().await?;
    Ok(PlanWithTasks {
        plan,
        tasks: saved,
        customer,
    })
}

/// Filters of [`find_cleaning_plans`].
#[derive(Clone, Debug)]
pub struct PlanFilter {
    pub customer_id: Option<String>,
    /// Always applied; default `true` (active plans).
    pub is_active: bool,
}

impl Default for PlanFilter {
    fn default() -> Self {
        Self {
            customer_id: None,
            is_active: true,
        }
    }
}

/// Plans matching `filter` with tasks and customer, oldest first.
pub async fn find_cleaning_plans<C: ConnectionTrait>(
    db: &C,
    filter: PlanFilter,
) -> Result<Vec<PlanWithTasks>> {
    let mut q = cleaning_plans::Entity::find()
        .filter(cleaning_plans::Column::IsActive.eq(filter.is_active));
    if let Some(c) = filter.customer_id {
        q = q.filter(cleaning_plans::Column::CustomerId.eq(c));
    }
    let plans = q
        .order_by_asc(cleaning_plans::Column::CreatedAt)
        .order_by_asc(cleaning_plans::Column::Id)
        .all(db)
        .await?;
    let tasks = plans
        .load_many(
            cleaning_tasks::Entity::find().order_by_asc(cleaning_tasks::Column::SortOrder),
            db,
        )
        .await?;
    let customers = plans.load_one(customers::Entity, db).await?;
    Ok(plans
        .into_iter()
        .zip(tasks)
        .zip(customers)
        .map(|((plan, tasks), customer)| PlanWithTasks {
            plan,
            tasks,
            customer,
        })
        .collect())
}

/// Links `plan_id` to the booking executing it (a booking has at most one plan: a second
/// link is a conflict). Plan and booking must exist, the plan must be active, and a booking
/// of another customer is a validation error.
pub async fn link_plan_to_booking<C: TransactionTrait>(
    db: &C,
    plan_id: &str,
    booking_id: &str,
    actor: Option<Uuid>,
) -> Result<cleaning_plan_bookings::Model> {
    let txn = db.begin().await?;
    let booking = lock_booking(&txn, booking_id).await?;
    let plan = cleaning_plans::Entity::find_by_id(plan_id.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("cleaning plan"))?;
    if !plan.is_active {
        return Err(Error::conflict("the cleaning plan is not active"));
    }
    if booking
        .customer_id
        .as_ref()
        .is_some_and(|c| *c != plan.customer_id)
    {
        return Err(Error::invalid(
            "booking_id",
            "the booking belongs to another customer than the plan",
        ));
    }
    let taken = cleaning_plan_bookings::Entity::find()
        .filter(cleaning_plan_bookings::Column::BookingId.eq(booking.id.clone()))
        .one(&txn)
        .await?;
    if taken.is_some() {
        return Err(Error::conflict("the booking is already linked to a plan"));
    }
    let link = cleaning_plan_bookings::ActiveModel {
        plan_id: Set(plan.id.clone()),
        booking_id: Set(booking.id.clone()),
        completed_tasks: Set(Vec::new()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record_action(
        &txn,
        actor,
        "link_booking",
        "renos.cleaning_plans",
        &plan.id,
        json!({ "booking_id": booking.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(link)
}
