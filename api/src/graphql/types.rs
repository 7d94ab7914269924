//! The output types of a table: the row object (readable columns and relations in both
//! directions), its column enums, and the has-many list type.

use async_graphql::dynamic::{Enum, Field, FieldFuture, FieldValue, InputValue, Object, TypeRef};
use service::read::{Catalog, Column, RelationKind, Table};

use super::{fields, filters, names, order, scalars};

/// `RenosCustomerList`: a has-many relation's page (`{ totalCount nodes }`).
pub fn list_type(t: &Table) -> String {
    format!("{}List", names::type_name(t))
}

/// The enums of the table's text enum columns.
pub fn enums(t: &Table) -> Vec<Enum> {
    t.columns
        .iter()
        .filter(|c| c.readable && scalars::is_enum(c))
        .map(|c| {
            Enum::new(names::enum_type(t, &c.name))
                .items(c.enum_values.iter().flatten().map(|v| names::screaming(v)))
        })
        .collect()
}

fn column_field(t: &Table, c: &'static Column) -> Field {
    Field::new(
        names::camel(&c.name),
        scalars::field_type(t, c),
        move |ctx| {
            FieldFuture::new(async move {
                let row = fields::parent(&ctx)?;
                Ok(scalars::to_gql(c, &row[&c.name]).map(FieldValue::value))
            })
        },
    )
}

/// The arguments of a has-many relation field (applied in SQL, per parent).
pub fn nested_list_args(field: Field, target: &Table) -> Field {
    field
        .argument(InputValue::new(
            "filter",
            TypeRef::named(filters::filter_type(target)),
        ))
        .argument(InputValue::new(
            "orderBy",
            TypeRef::named_nn_list(order::order_input_type(target)),
        ))
        .argument(InputValue::new("offset", TypeRef::named(TypeRef::INT)))
        .argument(InputValue::new("limit", TypeRef::named(TypeRef::INT)))
}

fn relation_field(name: String, ty: TypeRef) -> Field {
    Field::new(name, ty, |ctx| {
        FieldFuture::new(async move {
            let key = super::relations::stash_key(&ctx.field());
            let v = &fields::parent(&ctx)?[&key];
            Ok(if v.is_null() {
                None
            } else {
                Some(FieldValue::borrowed_any(v))
            })
        })
    })
}

/// The row object of a table.
pub fn object(cat: &'static Catalog, t: &'static Table) -> Object {
    let mut o = Object::new(names::type_name(t)).description(format!("A row of {}.", t.key));
    for c in t.columns.iter().filter(|c| c.readable) {
        o = o.field(column_field(t, c));
    }
    for r in &t.relations {
        let Ok(target) = cat.table(&r.target) else {
            continue;
        };
        let name = names::camel(&r.name);
        o = o.field(match r.kind {
            RelationKind::BelongsTo | RelationKind::HasOne => {
                relation_field(name, TypeRef::named(names::type_name(target)))
            }
            RelationKind::HasMany => nested_list_args(
                relation_field(name, TypeRef::named_nn(list_type(target))),
                target,
            ),
        });
    }
    o
}

/// The has-many page type of a table.
pub fn list_object(t: &Table) -> Object {
    Object::new(list_type(t))
        .field(fields::value(
            "totalCount",
            TypeRef::named_nn(TypeRef::INT),
            "totalCount",
        ))
        .field(fields::list(
            "nodes",
            TypeRef::named_nn_list_nn(names::type_name(t)),
            "nodes",
        ))
}
