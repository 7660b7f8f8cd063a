//! The register's pages: the member list with its filters and export, one person's record,
//! and the forms that change it.

pub mod add;
pub mod duplicates;
pub mod forms;
pub mod list;
pub mod record;
