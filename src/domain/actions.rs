//! What the audit log calls each action, and how a person reads it. The codes are stable
//! (filters, scripts and the log itself keep them); the words are for pages.

/// Every action written to the audit log, with its words.
pub const ACTIONS: &[(&str, &str)] = &[
    ("member.view", "Opened a record"),
    ("member.list", "Listed people"),
    ("api.member.list", "Listed people through the API"),
    ("member.search", "Searched for people"),
    ("member.update", "Changed contact details"),
    ("member.share", "Shared someone with a caller"),
    ("member.leave", "Recorded a leaving"),
    ("member.add", "Added a person by hand"),
    ("member.move", "Moved someone to another branch or rate"),
    ("member.duplicates", "Listed possible duplicates"),
    ("member.merge", "Merged two records of one person"),
    ("event.create", "Created an event"),
    ("event.people", "Read who is coming to an event"),
    ("event.signup", "Signed someone up for an event"),
    ("event.checkin", "Signed someone in at an event"),
    ("event.close", "Marked who did not come to an event"),
    ("event.update", "Changed an event"),
    ("event.cancel", "Cancelled an event"),
    ("event.cancel_place", "Gave up a place at an event"),
    ("event.remind", "Reminded people of an event"),
    ("event.met", "Recorded someone met at a stall or canvass"),
    ("calendar.feed", "Changed their private calendar feed"),
    ("member.welcomed", "Marked a new member welcomed"),
    ("member.training", "Recorded a course someone did"),
    ("notice.send", "Sent a notice to the branches' officers"),
    ("organisation.create", "Recorded an organisation"),
    (
        "organisation.update",
        "Changed an organisation or recorded dealings with it",
    ),
    (
        "organisation.view",
        "Opened an organisation and its contacts",
    ),
    ("organisation.contact", "Changed an organisation's contacts"),
    ("survey.create", "Made a survey"),
    ("survey.update", "Changed a survey"),
    ("survey.results", "Read a survey's results"),
    ("survey.answers", "Read who answered a survey, and how"),
    ("survey.answer", "Answered a survey"),
    (
        "survey.invite",
        "Drafted an email asking people to answer a survey",
    ),
    ("journey.step", "Took a journey's steps for someone"),
    ("journey.stop", "Took someone off a journey"),
    ("journey.update", "Changed a journey"),
    ("forum.join", "Put someone in a forum branch"),
    ("forum.leave", "Took someone out of a forum branch"),
    ("payment.record", "Recorded a payment"),
    ("payment.view", "Read payments"),
    ("export", "Exported people"),
    ("import", "Imported a file"),
    ("report.action", "Made an action report"),
    ("report.view", "Read an action report"),
    ("report.eligibility", "Listed who may exercise a right"),
    ("report.representation", "Read the representation figures"),
    ("calls.create", "Made a call list"),
    ("calls.callers", "Changed a call list's callers"),
    ("calls.view", "Read a call list's people"),
    ("calls.open", "Opened someone to call"),
    ("calls.outcome", "Recorded a call"),
    ("task.create", "Gave a follow-up"),
    ("task.done", "Closed a follow-up"),
    ("task.list", "Listed follow-ups"),
    ("email.create", "Drafted an email"),
    ("email.preview", "Previewed an email as someone"),
    ("email.send", "Sent an email"),
    ("email.cancel", "Cancelled an email"),
    ("email.lift", "Let mail go to a bounced address again"),
    (
        "consent.change",
        "Changed their own consent through an email link or a sign-up page",
    ),
    ("role.assign", "Gave a role"),
    ("role.remove", "Took a role away"),
    ("settings.report_period", "Changed the report period"),
    ("settings.second_factor", "Changed two-step sign-in"),
    ("settings.email", "Changed the email settings"),
];

/// An action's words, or its code if it is not one of `ACTIONS` (an entry written by an
/// older release).
pub fn label(code: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, words)| words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_has_one_code_and_words_without_codes() {
        for (i, (code, words)) in ACTIONS.iter().enumerate() {
            assert!(!ACTIONS[..i].iter().any(|(c, _)| c == code), "{code} twice");
            assert_eq!(label(code), *words);
            assert!(!words.contains('.') && !words.contains('_'), "{words}");
        }
        assert_eq!(label("something.old"), "something.old");
    }
}
