//! `renos.subcontractor_reviews`: one review per completed assignment; every review
//! recomputes the subcontractor's rating in the same transaction.

use entity::renos::subcontractor_reviews;
use entity::renos::subcontractors;
use entity::renos::task_assignments::{self, TaskAssignmentStatus};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveEnum, QueryOrder, QuerySelect, TransactionSession, TransactionTrait};

use crate::error::{Error, Result};
use crate::validate::{Problems, opt_text};

/// Input of [`review_assignment`]. Every score is 1..=5.
#[derive(Clone, Debug, Default)]
pub struct NewReview {
    pub task_assignment_id: Uuid,
    /// The reviewing `shared.users` id, when known.
    pub reviewed_by: Option<Uuid>,
    pub rating: i32,
    pub quality_score: Option<i32>,
    pub timeliness_score: Option<i32>,
    pub communication_score: Option<i32>,
    pub professionalism_score: Option<i32>,
    pub would_recommend: Option<bool>,
    pub comments: Option<String>,
    /// Photo references (a JSON array).
    pub photos: Option<Json>,
}

/// A stored review and the subcontractor's rating after it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewOutcome {
    pub review: subcontractor_reviews::Model,
    /// Average of all the subcontractor's review ratings, rounded to two decimals.
    pub rating: Decimal,
}

/// The average of `ratings` rounded half away from zero to two decimals (0 when empty).
pub fn average_rating(ratings: &[i32]) -> Decimal {
    if ratings.is_empty() {
        return Decimal::ZERO;
    }
    let sum: Decimal = ratings.iter().map(|r| Decimal::from(*r)).sum();
    (sum / Decimal::from(ratings.len()))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Reviews a `completed` assignment (another state is a conflict; a second review of the
/// same assignment too) and sets `subcontractors.rating` to the average of all the
/// subcontractor's reviews, in one transaction. The subcontractor row is locked, so
/// concurrent reviews of one subcontractor cannot leave a stale average.
pub async fn review_assignment<C: TransactionTrait>(
    db: &C,
    input: NewReview,
) -> Result<ReviewOutcome> {
    let mut f = Problems::new();
    f.range_i32("rating", input.rating, 1, 5);
    f.opt_range_i32("quality_score", input.quality_score, 1, 5);
    f.opt_range_i32("timeliness_score", input.timeliness_score, 1, 5);
    f.opt_range_i32("communication_score", input.communication_score, 1, 5);
    f.opt_range_i32("professionalism_score", input.professionalism_score, 1, 5);
    if let Some(p) = &input.photos {
        f.check(p.is_array(), "photos", "must be a JSON array");
    }
    f.finish()?;
    let txn = db.begin().await?;
    let assignment = task_assignments::Entity::find_by_id(input.task_assignment_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("task assignment"))?;
    if assignment.status != TaskAssignmentStatus::Completed {
        return Err(Error::conflict(format!(
            "task assignment is {}, expected completed",
            assignment.status.to_value()
        )));
    }
    let sub_id = assignment
        .subcontractor_id
        .ok_or_else(|| Error::conflict("task assignment has no subcontractor"))?;
    subcontractors::Entity::find_by_id(sub_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("subcontractor"))?;
    let review = subcontractor_reviews::ActiveModel {
        task_assignment_id: Set(assignment.id),
        subcontractor_id: Set(sub_id),
        reviewed_by: Set(input.reviewed_by),
        rating: Set(input.rating),
        quality_score: Set(input.quality_score),
        timeliness_score: Set(input.timeliness_score),
        communication_score: Set(input.communication_score),
        professionalism_score: Set(input.professionalism_score),
        would_recommend: Set(input.would_recommend),
        comments: Set(opt_text(input.comments.as_deref())),
        photos: Set(input.photos),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let rating = recompute_rating(&txn, sub_id).await?;
    txn.commit().await?;
    Ok(ReviewOutcome { review, rating })
}

/// Sets the subcontractor's rating to the average of its reviews (0 without reviews) and
/// returns it.
pub async fn recompute_rating<C: ConnectionTrait>(
    db: &C,
    subcontractor_id: Uuid,
) -> Result<Decimal> {
    let ratings: Vec<i32> = subcontractor_reviews::Entity::find()
        .select_only()
        .column(subcontractor_reviews::Column::Rating)
        .filter(subcontractor_reviews::Column::SubcontractorId.eq(subcontractor_id))
        .into_tuple()
        .all(db)
        .await?;
    let rating = average_rating(&ratings);
    let res = subcontractors::Entity::update_many()
        .col_expr(subcontractors::Column::Rating, Expr::value(rating))
        .filter(subcontractors::Column::Id.eq(subcontractor_id))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(Error::not_found("subcontractor"));
    }
    Ok(rating)
}

/// The subcontractor's reviews, newest first.
pub async fn list_reviews<C: ConnectionTrait>(
    db: &C,
    subcontractor_id: Uuid,
) -> Result<Vec<subcontractor_reviews::Model>> {
    Ok(subcontractor_reviews::Entity::find()
        .filter(subcontractor_reviews::Column::SubcontractorId.eq(subcontractor_id))
        .order_by_desc(subcontractor_reviews::Column::CreatedAt)
        .order_by_desc(subcontractor_reviews::Column::Id)
        .all(db)
        .await?)
}
