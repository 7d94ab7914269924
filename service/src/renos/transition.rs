//! Guarded status changes: one `UPDATE … SET status = <to>, … WHERE id = <id> AND status IN
//! (<from>…) RETURNING *`, so of two concurrent changes of one row only one can win. When
//! no row changed, the row is read again to tell a missing row (`NotFound`) from one in
//! another state (`Conflict` naming both states).

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Value};

use crate::error::{Error, Result};

/// The status column of a table whose rows move through checked states.
pub(crate) struct Status<E: EntityTrait, S> {
    /// The row's name in errors, e.g. `"task assignment"`.
    pub entity: &'static str,
    /// The primary key column.
    pub id: E::Column,
    /// The status column.
    pub status: E::Column,
    /// The status of a row.
    pub of: fn(&E::Model) -> S,
}

impl<E, S> Status<E, S>
where
    E: EntityTrait,
    S: ActiveEnum<Value = String> + Copy + Into<Value>,
{
    /// Moves the row `id` from one of the states `from` to `to`, setting `sets` too, and
    /// returns the changed row. A missing row is `NotFound`; a row in another state is a
    /// `Conflict` ("<entity> is <state>, expected <from, joined by 'or'>").
    pub(crate) async fn transition<C: ConnectionTrait>(
        &self,
        db: &C,
        id: impl Into<Value>,
        from: &[S],
        to: S,
        sets: Vec<(E::Column, SimpleExpr)>,
    ) -> Result<E::Model> {
        let id: Value = id.into();
        let mut q = E::update_many().col_expr(self.status, Expr::value(to));
        for (col, expr) in sets {
            q = q.col_expr(col, expr);
        }
        let updated = q
            .filter(self.id.eq(id.clone()))
            .filter(self.status.is_in(from.iter().copied()))
            .exec_with_returning(db)
            .await?;
        if let Some(row) = updated.into_iter().next() {
            return Ok(row);
        }
        let current = E::find()
            .filter(self.id.eq(id))
            .one(db)
            .await?
            .map(|r| (self.of)(&r));
        let expected: Vec<String> = from.iter().map(ActiveEnum::to_value).collect();
        Err(Error::wrong_state(
            self.entity,
            current,
            &expected.join(" or "),
        ))
    }
}
