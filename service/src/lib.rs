//! Business logic of Tekup Database: the functions backend code imports and the GraphQL API
//! calls for every write and business rule. No HTTP or GraphQL here.

pub mod database;
