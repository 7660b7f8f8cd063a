//! Journeys: steps that start when something happens to a person (they join, or come to
//! their first event) and move on by themselves: an email, a wait, a buddy, a follow-up,
//! each only for the people a condition picks. An officer writes a journey's steps as
//! text, one step a line (an email's body on the indented lines below it), and every
//! mistake is named by its line.

use super::calls::TaskKind;
use super::forums::ForumRule;

/// What starts a journey for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// They came onto the register as a new member (joined within the new-member days)
    /// after the journey was switched on.
    Joined,
    /// They came to their first event on or after then.
    FirstEvent,
    /// They rejoined after their membership had ended.
    Rejoined,
    /// They were given an officer's role (a branch officer's among them).
    BecameOfficer,
}

impl Trigger {
    pub const ALL: [Trigger; 4] = [
        Trigger::Joined,
        Trigger::FirstEvent,
        Trigger::Rejoined,
        Trigger::BecameOfficer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Joined => "joined",
            Trigger::FirstEvent => "first_event",
            Trigger::Rejoined => "rejoined",
            Trigger::BecameOfficer => "became_officer",
        }
    }

    pub fn parse(text: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Trigger::Joined => "When someone joins",
            Trigger::FirstEvent => "When someone comes to their first event",
            Trigger::Rejoined => "When someone rejoins",
            Trigger::BecameOfficer => "When someone becomes an officer",
        }
    }
}

/// What one step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A members' notice to them (only to those entitled to members' communications, with
    /// an address that has not bounced).
    Email { subject: String, body: String },
    /// Wait this many days before the next step.
    Wait { days: u32 },
    /// A buddy from their branch's callers, who is shared them and given a call-back.
    Buddy,
    /// A follow-up for their branch's membership secretary (else branch secretary, else
    /// the Membership Officer).
    Task { kind: TaskKind },
    /// Onto the local party's call list of this name (someone who agreed to phone calls
    /// and has a number), to be rung with the rest of it.
    Queue { list: String },
}

/// Whom a step is for: a forum-style rule on the person (`gender = woman`), or whether
/// they answered a survey (`answered SURVEY`, `not answered SURVEY`, by the survey's id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Rule(ForumRule),
    Answered(String),
    NotAnswered(String),
}

impl Condition {
    pub fn parse(text: &str) -> Result<Condition, String> {
        let text = text.trim();
        let survey = |id: &str| {
            super::fields::read_public_id(id).ok_or_else(|| {
                format!(
                    "'{}' is not a survey's id: copy it from the survey's page",
                    id.trim()
                )
            })
        };
        if let Some(id) = text.strip_prefix("not answered ") {
            survey(id).map(Condition::NotAnswered)
        } else if let Some(id) = text.strip_prefix("answered ") {
            survey(id).map(Condition::Answered)
        } else {
            ForumRule::parse(text).map(Condition::Rule)
        }
    }

    pub fn in_words(&self) -> String {
        match self {
            Condition::Rule(r) => r.in_words(),
            Condition::Answered(_) => "those who answered the survey".into(),
            Condition::NotAnswered(_) => "those who have not answered the survey".into(),
        }
    }
}

/// One step, and whom it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub action: Action,
    /// Only for people this picks (`if gender = woman`); everyone else skips the step.
    pub only: Option<Condition>,
}

impl Step {
    /// The step in words, for the board.
    pub fn in_words(&self) -> String {
        let what = match &self.action {
            Action::Email { subject, .. } => format!("Email \"{subject}\""),
            Action::Wait { days: 1 } => "Wait a day".to_string(),
            Action::Wait { days } => format!("Wait {days} days"),
            Action::Buddy => "Give them a buddy in their branch".to_string(),
            Action::Task { kind } => format!("Follow-up: {}", kind.label()),
            Action::Queue { list } => format!("Onto the call list \"{list}\""),
        };
        match &self.only {
            Some(rule) => format!("{what} (only {})", rule.in_words()),
            None => what,
        }
    }
}

/// A mistake in a journey's text, by line (counted from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    pub message: String,
}

/// The local party's default: a new member gets a welcome email, a buddy and a welcome
/// one-to-one with their branch; a new woman member is also on the Women's Officer's
/// welcome queue, which lists every new woman member nobody has welcomed.
pub const DEFAULT_STEPS: &str = "email Welcome to {{ local_party }}, {{ first_name }}
  Dear {{ first_name }},

  Welcome, and thank you for joining {{ local_party }}. Your membership number is {{ membership_number }}.

  Someone from {{ branch }} will be in touch in the next few days to say hello, tell you what is coming up and hear what you would like to do. Every member is welcome at our meetings and events.
buddy
task welcome_one_to_one
";

/// The local party's default for someone given an officer's role (a branch officer's
/// among them): a one-to-one, for their branch's membership secretary or else the local
/// party's Membership Officer, to welcome them to the role.
pub const OFFICER_STEPS: &str = "task welcome_one_to_one\n";

/// Reads a journey's steps from their text form.
pub fn parse_steps(text: &str) -> Result<Vec<Step>, Vec<LineProblem>> {
    let mut steps = Vec::new();
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let number = i + 1;
        i += 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            problems.push(LineProblem {
                line: number,
                message: "an indented line belongs to an email's body: start the step with 'email SUBJECT'".into(),
            });
            continue;
        }
        let (head, only) = match line.split_once(" if ") {
            Some((head, rule)) => match Condition::parse(rule) {
                Ok(r) => (head.trim(), Some(r)),
                Err(e) => {
                    problems.push(LineProblem {
                        line: number,
                        message: format!("after 'if': {e}"),
                    });
                    (head.trim(), None)
                }
            },
            None => (line.trim(), None),
        };
        let (word, rest) = head.split_once(' ').unwrap_or((head, ""));
        let rest = rest.trim();
        let action = match word {
            "email" => {
                // The body is every indented (or blank) line after, up to the next step.
                let mut body = Vec::new();
                while i < lines.len()
                    && (lines[i].starts_with(char::is_whitespace) || lines[i].trim().is_empty())
                {
                    body.push(lines[i].strip_prefix("  ").unwrap_or(lines[i].trim_start()));
                    i += 1;
                }
                let body = body.join("\n").trim().to_string();
                if rest.is_empty() {
                    Err("give the email a subject: email SUBJECT, with its body on the indented lines below".to_string())
                } else if body.is_empty() {
                    Err("write the email's body on the indented lines below it".to_string())
                } else {
                    super::emails::check(rest, &body)
                        .map(|()| Action::Email {
                            subject: rest.to_string(),
                            body,
                        })
                        .map_err(|p| {
                            p.iter()
                                .map(|p| format!("{}: {}", p.field, p.message))
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                }
            }
            "wait" => {
                let days = rest.trim_end_matches("days").trim_end_matches("day").trim();
                match days.parse::<u32>() {
                    Ok(d) if (1..=365).contains(&d) => Ok(Action::Wait { days: d }),
                    _ => Err(format!(
                        "'{rest}' is not a number of days from 1 to 365: write it like wait 3 days"
                    )),
                }
            }
            "buddy" if rest.is_empty() => Ok(Action::Buddy),
            "queue" => {
                let list = rest.split_whitespace().collect::<Vec<_>>().join(" ");
                if list.is_empty() || list.chars().count() > 100 {
                    Err("name the call list: queue LIST NAME".to_string())
                } else {
                    Ok(Action::Queue { list })
                }
            }
            "task" => match TaskKind::parse(rest) {
                Some(kind) if TaskKind::BY_HAND.contains(&kind) => Ok(Action::Task { kind }),
                _ => Err(format!(
                    "'{rest}' is not a follow-up: choose one of {}",
                    TaskKind::BY_HAND
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
            other => Err(format!(
                "'{other}' is not a step: start each line with email, wait, buddy, task or queue"
            )),
        };
        match action {
            Ok(action) => steps.push(Step { action, only }),
            Err(message) => problems.push(LineProblem {
                line: number,
                message,
            }),
        }
    }
    if steps.is_empty() && problems.is_empty() {
        problems.push(LineProblem {
            line: 1,
            message: "a journey needs at least one step".into(),
        });
    }
    if problems.is_empty() {
        Ok(steps)
    } else {
        Err(problems)
    }
}

/// What a run does at step `at` for someone `picked` says a step's condition holds for:
/// the index of the step to take now (skipping those not for them), or `None` when the
/// journey is over.
pub fn next_step(steps: &[Step], at: usize, picked: impl Fn(&Condition) -> bool) -> Option<usize> {
    (at..steps.len()).find(|&i| steps[i].only.as_ref().is_none_or(&picked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Gender;

    #[test]
    fn the_default_journey_reads_back() {
        let steps = parse_steps(DEFAULT_STEPS).expect("the default parses");
        assert_eq!(steps.len(), 3);
        match &steps[0].action {
            Action::Email { subject, body } => {
                assert_eq!(subject, "Welcome to {{ local_party }}, {{ first_name }}");
                assert!(
                    body.starts_with("Dear {{ first_name }},\n\nWelcome"),
                    "{body}"
                );
                assert!(!body.contains("\n  "), "the indent is taken off: {body}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(steps[1].action, Action::Buddy);
        assert_eq!(
            steps[2].action,
            Action::Task {
                kind: TaskKind::WelcomeOneToOne
            }
        );
        assert_eq!(steps[2].in_words(), "Follow-up: Welcome one-to-one");
    }

    #[test]
    fn conditions_waits_and_every_mistake_by_its_line() {
        let steps = parse_steps("wait 3 days\ntask call_back if gender = woman\nwait 1 day\n")
            .expect("parses");
        assert_eq!(steps[0].action, Action::Wait { days: 3 });
        assert_eq!(
            steps[1].only,
            Some(Condition::Rule(ForumRule::Gender(Gender::Woman)))
        );
        assert_eq!(steps[1].in_words(), "Follow-up: Call back (only women)");
        assert_eq!(steps[2].in_words(), "Wait a day");
        let problems = parse_steps(
            "wait soon\n  stray body\nfly away\ntask nap\nemail\nemail Hello {{ nickname }}\n  Hi\nbuddy if height > 2\n",
        )
        .expect_err("all wrong");
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 6, 8], "{problems:?}");
        assert!(problems[0].message.contains("wait 3 days"));
        assert!(problems[3].message.contains("welcome_one_to_one"));
        assert!(problems[4].message.contains("subject"), "{problems:?}");
        assert!(
            problems[5]
                .message
                .contains("merge field that does not exist"),
            "{problems:?}"
        );
        assert!(
            problems[6].message.starts_with("after 'if'"),
            "{problems:?}"
        );
        assert_eq!(
            parse_steps("# nothing\n\n").expect_err("empty")[0].message,
            "a journey needs at least one step"
        );
    }

    #[test]
    fn a_queue_step_names_its_call_list() {
        let steps = parse_steps("queue  New members'   calls if kind = member\n").expect("parses");
        assert_eq!(
            steps[0].action,
            Action::Queue {
                list: "New members' calls".into()
            }
        );
        assert_eq!(
            steps[0].in_words(),
            "Onto the call list \"New members' calls\" (only members)"
        );
        let problems = parse_steps("queue\nqueue   \n").expect_err("no list named");
        assert_eq!(problems.len(), 2);
        assert!(problems[0].message.contains("queue LIST NAME"));
    }

    #[test]
    fn a_step_may_be_for_those_who_answered_a_survey_or_not() {
        let steps = parse_steps(
            "task call_back if answered 01A2-B3\ntask recruit if not answered 01a2-b3\n",
        )
        .expect("parses");
        assert_eq!(steps[0].only, Some(Condition::Answered("01a2-b3".into())));
        assert_eq!(
            steps[1].only,
            Some(Condition::NotAnswered("01a2-b3".into()))
        );
        assert!(
            steps[1]
                .in_words()
                .ends_with("(only those who have not answered the survey)")
        );
        let bad = parse_steps("buddy if answered the big one\n").expect_err("not an id");
        assert!(bad[0].message.contains("not a survey's id"), "{bad:?}");
    }

    #[test]
    fn the_officers_default_is_a_one_to_one() {
        let steps = parse_steps(OFFICER_STEPS).expect("parses");
        assert_eq!(
            steps,
            vec![Step {
                action: Action::Task {
                    kind: TaskKind::WelcomeOneToOne
                },
                only: None
            }]
        );
    }

    #[test]
    fn triggers_read_back() {
        for t in Trigger::ALL {
            assert_eq!(Trigger::parse(t.as_str()), Some(t));
            assert!(t.label().starts_with("When someone"));
        }
        assert_eq!(Trigger::parse("birthday"), None);
    }

    #[test]
    fn a_run_skips_the_steps_not_for_them() {
        let steps = parse_steps("wait 1 day\ntask call_back if gender = woman\nbuddy\n").unwrap();
        let woman = |r: &Condition| *r == Condition::Rule(ForumRule::Gender(Gender::Woman));
        let man = |_: &Condition| false;
        assert_eq!(next_step(&steps, 0, woman), Some(0));
        assert_eq!(next_step(&steps, 1, woman), Some(1));
        assert_eq!(next_step(&steps, 1, man), Some(2));
        assert_eq!(next_step(&steps, 3, man), None);
    }
}
