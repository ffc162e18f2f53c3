//! SQL text in a query that diesel keeps prepared.
//!
//! diesel's `sql()` marks every statement that uses it as never to be
//! cached, so SQLite parsed and planned such a statement again at each use:
//! a section page spent 14% of its time preparing its statements. The text
//! here is fixed by the code (never by a request), and the values go in as
//! bound parameters, so one prepared statement serves every use.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::expression::{
    is_aggregate, AppearsOnTable, Expression, SelectableExpression, TypedExpressionType,
    ValidGrouping,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::QueryResult;

/// `before`, then `inner` (bound values, a tuple of them, or `()`), then
/// `after`, as an expression of SQL type `ST`.
#[derive(Debug, Clone)]
pub struct Wrapped<ST, E> {
    before: String,
    inner: E,
    after: &'static str,
    sql_type: PhantomData<ST>,
}

/// See [`Wrapped`]. `before` and `after` must be written by the code, never
/// taken from a request.
pub fn wrapped<ST, E>(before: impl Into<String>, inner: E, after: &'static str) -> Wrapped<ST, E> {
    Wrapped {
        before: before.into(),
        inner,
        after,
        sql_type: PhantomData,
    }
}

/// Fixed SQL text with no value in it.
pub fn fixed<ST>(sql: &'static str) -> Wrapped<ST, ()> {
    wrapped(sql, (), "")
}

impl<ST: diesel::sql_types::SqlType + TypedExpressionType, E> Expression for Wrapped<ST, E> {
    type SqlType = ST;
}

impl<ST, E, DB> QueryFragment<DB> for Wrapped<ST, E>
where
    DB: Backend,
    E: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(&self.before);
        self.inner.walk_ast(out.reborrow())?;
        out.push_sql(self.after);
        Ok(())
    }
}

impl<ST, E> QueryId for Wrapped<ST, E> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, E, GB> ValidGrouping<GB> for Wrapped<ST, E> {
    type IsAggregate = is_aggregate::Never;
}

impl<ST, E, QS> AppearsOnTable<QS> for Wrapped<ST, E> where Self: Expression {}

impl<ST, E, QS> SelectableExpression<QS> for Wrapped<ST, E> where Self: Expression {}

/// A whole statement that diesel keeps prepared, loaded into
/// `QueryableByName` rows as `diesel::sql_query` would be: SQL text written
/// by the code with bound values between its pieces. `sql_query` marks its
/// statements as never to be cached, so each use was parsed and planned
/// again (a random search on SQLite spent 7 % of its time preparing its
/// full-text statements).
pub struct Statement<'a, DB> {
    pieces: Vec<String>,
    binds: Vec<Box<dyn QueryFragment<DB> + Send + 'a>>,
}

/// See [`Statement`]: it starts with `sql`, which the code writes.
pub fn statement<'a, DB>(sql: impl Into<String>) -> Statement<'a, DB> {
    Statement {
        pieces: vec![sql.into()],
        binds: Vec::new(),
    }
}

impl<'a, DB: Backend> Statement<'a, DB> {
    /// A bound value of SQL type `ST`, then `sql` (written by the code).
    pub fn bind<ST, V>(mut self, value: V, sql: impl Into<String>) -> Self
    where
        V: diesel::expression::AsExpression<ST>,
        V::Expression: QueryFragment<DB> + Send + 'a,
        ST: diesel::sql_types::SqlType + TypedExpressionType,
    {
        self.binds.push(Box::new(value.as_expression()));
        self.pieces.push(sql.into());
        self
    }
}

impl<DB: Backend> QueryFragment<DB> for Statement<'_, DB> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut pieces = self.pieces.iter();
        if let Some(first) = pieces.next() {
            out.push_sql(first);
        }
        for (bind, piece) in self.binds.iter().zip(pieces) {
            bind.walk_ast(out.reborrow())?;
            out.push_sql(piece);
        }
        Ok(())
    }
}

impl<DB> QueryId for Statement<'_, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB> diesel::query_builder::Query for Statement<'_, DB> {
    type SqlType = diesel::sql_types::Untyped;
}

impl<DB, Conn> diesel::RunQueryDsl<Conn> for Statement<'_, DB> {}
