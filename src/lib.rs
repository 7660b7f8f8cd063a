//! Rosette: a membership and organising system for local political parties.
//! See ARCHITECTURE.md for the map of the code.

pub mod app;
pub mod bounces;
pub mod cli;
pub mod demo;
pub mod domain;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod secrets;
pub mod store;
pub mod web;
