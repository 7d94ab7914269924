//! Relay connections of the root lists: `<Type>Connection { totalCount pageInfo edges
//! nodes }`, `<Type>Edge { cursor node }`, and the shared `PageInfo`.

use async_graphql::dynamic::{Object, TypeRef};
use serde_json::{Value as Json, json};
use service::read::{Connection, Page, Table};
use service::{Error, Result};

use super::{fields, names};

/// `RenosCustomerConnection`.
pub fn connection_type(t: &Table) -> String {
    format!("{}Connection", names::type_name(t))
}

fn edge_type(t: &Table) -> String {
    format!("{}Edge", names::type_name(t))
}

/// `PageInfo`.
pub fn page_info() -> Object {
    let b = || TypeRef::named_nn(TypeRef::BOOLEAN);
    Object::new("PageInfo")
        .field(fields::value("hasNextPage", b(), "hasNextPage"))
        .field(fields::value("hasPreviousPage", b(), "hasPreviousPage"))
        .field(fields::value(
            "startCursor",
            TypeRef::named(TypeRef::STRING),
            "startCursor",
        ))
        .field(fields::value(
            "endCursor",
            TypeRef::named(TypeRef::STRING),
            "endCursor",
        ))
}

/// The connection and edge types of a table.
pub fn objects(t: &Table) -> [Object; 2] {
    let node = names::type_name(t);
    [
        Object::new(connection_type(t))
            .field(fields::value(
                "totalCount",
                TypeRef::named_nn(TypeRef::INT),
                "totalCount",
            ))
            .field(fields::object(
                "pageInfo",
                TypeRef::named_nn("PageInfo"),
                "pageInfo",
            ))
            .field(fields::list(
                "edges",
                TypeRef::named_nn_list_nn(edge_type(t)),
                "rows",
            ))
            .field(fields::list(
                "nodes",
                TypeRef::named_nn_list_nn(&node),
                "rows",
            )),
        Object::new(edge_type(t))
            .field(fields::value(
                "cursor",
                TypeRef::named_nn(TypeRef::STRING),
                "__cursor",
            ))
            .field(fields::itself("node", TypeRef::named_nn(node))),
    ]
}

/// The engine page of the pagination arguments: `offset`/`limit`, or `last`/`before`,
/// or `first`/`after` (the default).
pub fn page(args: &Json) -> Result<Page> {
    let s = |k: &str| args[k].as_str().map(str::to_owned);
    let n = |k: &str| args[k].as_i64();
    let offset_style = n("offset").is_some() || n("limit").is_some();
    let backward = n("last").is_some() || s("before").is_some();
    let forward = n("first").is_some() || s("after").is_some();
    if [offset_style, backward, forward]
        .iter()
        .filter(|b| **b)
        .count()
        > 1
    {
        return Err(Error::invalid(
            "page",
            "use one of offset/limit, first/after or last/before",
        ));
    }
    Ok(if offset_style {
        Page::Offset {
            offset: n("offset").unwrap_or(0),
            limit: n("limit"),
        }
    } else if backward {
        Page::Before {
            cursor: s("before"),
            last: n("last"),
        }
    } else {
        Page::After {
            cursor: s("after"),
            first: n("first"),
        }
    })
}

/// A connection as the JSON value its object reads.
pub fn to_json(c: Connection) -> Json {
    json!({
        "totalCount": c.total_count.unwrap_or(0),
        "pageInfo": {
            "hasNextPage": c.has_next_page,
            "hasPreviousPage": c.has_previous_page,
            "startCursor": c.start_cursor(),
            "endCursor": c.end_cursor(),
        },
        "rows": c.rows,
    })
}
