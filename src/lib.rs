//! Rosette: a membership and organising system for local political parties.
//! See ARCHITECTURE.md for the map of the code.

pub mod domain;
pub mod import;
pub mod store;
