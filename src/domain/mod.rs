//! The membership rules: pure functions and values, no I/O. Everything here is fed by the
//! rules file (`rules/default.toml` unless the operator names another) and by dates passed
//! in by the caller, so a status is always computed for the moment it is read.

pub mod access;
pub mod actions;
pub mod calls;
pub mod cells;
pub mod dates;
pub mod duplicates;
pub mod emails;
pub mod events;
pub mod fields;
pub mod filter;
pub mod forms;
pub mod forums;
pub mod journeys;
pub mod ladder;
pub mod membership;
pub mod organisations;
pub mod password;
pub mod record;
pub mod report;
pub mod representation;
pub mod rights;
pub mod rules;
pub mod surveys;
pub mod values;

pub use membership::{Ending, Event, History, Span, StatusBounds, StatusRules};
pub use rights::RightCheck;
pub use rules::{Rate, Rules, RulesError};
pub use values::{
    BranchType, Channel, EventKind, Gender, Kind, LeftReason, Role, Status, UnitKind, WelcomeHow,
};
