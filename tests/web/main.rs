//! The web app and API driven in-process on both engines, one module per feature, with
//! the shared driver in `tests/common/web.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests stop at the first surprise

#[path = "../common/mod.rs"]
mod common;

mod access;
mod api;
mod audit;
mod calls;
mod emails;
mod events;
mod imports;
mod input;
mod journeys;
mod ladder;
mod layers;
mod members;
mod organisations;
mod people;
mod reports;
mod representation;
mod sign_in;
mod surveys;
mod women;
