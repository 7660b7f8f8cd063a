//! Call lists: what a caller may record, and what it means for the person's place on the
//! list. Pure rules; the store keeps the lists and the web shows them.

/// When a person on a list needs no more calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoneWhen {
    /// Any conversation counts.
    Reached,
    /// Only a renewal (or a conversation that makes more calls pointless).
    Renewed,
}

impl DoneWhen {
    pub fn parse(text: &str) -> Option<DoneWhen> {
        match text {
            "reached" => Some(DoneWhen::Reached),
            "renewed" => Some(DoneWhen::Renewed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DoneWhen::Reached => "reached",
            DoneWhen::Renewed => "renewed",
        }
    }
}

/// A person's place on a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Waiting,
    Done,
    /// Not to be called from this list again (wrong number, asked not to be called).
    Blocked,
}

impl State {
    const ALL: [State; 3] = [State::Waiting, State::Done, State::Blocked];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Done => "done",
            State::Blocked => "blocked",
        }
    }

    pub fn parse(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// As the list's organiser reads it.
    pub fn label(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Done => "done",
            State::Blocked => "not to call",
        }
    }
}

/// What happened on a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    NoAnswer,
    Busy,
    LeftMessage,
    WrongNumber,
    CallBack,
    WillRenew,
    HasRenewed,
    WantsToResign,
    HasMoved,
    DoNotCall,
}

impl Outcome {
    pub const ALL: [Outcome; 10] = [
        Outcome::NoAnswer,
        Outcome::Busy,
        Outcome::LeftMessage,
        Outcome::WrongNumber,
        Outcome::CallBack,
        Outcome::WillRenew,
        Outcome::HasRenewed,
        Outcome::WantsToResign,
        Outcome::HasMoved,
        Outcome::DoNotCall,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::NoAnswer => "no_answer",
            Outcome::Busy => "busy",
            Outcome::LeftMessage => "left_message",
            Outcome::WrongNumber => "wrong_number",
            Outcome::CallBack => "call_back",
            Outcome::WillRenew => "will_renew",
            Outcome::HasRenewed => "has_renewed",
            Outcome::WantsToResign => "wants_to_resign",
            Outcome::HasMoved => "has_moved",
            Outcome::DoNotCall => "do_not_call",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::NoAnswer => "No answer",
            Outcome::Busy => "Busy",
            Outcome::LeftMessage => "Left a message",
            Outcome::WrongNumber => "Wrong number",
            Outcome::CallBack => "Call back later",
            Outcome::WillRenew => "Spoke: will renew",
            Outcome::HasRenewed => "Spoke: has renewed",
            Outcome::WantsToResign => "Spoke: wants to resign",
            Outcome::HasMoved => "Spoke: has moved",
            Outcome::DoNotCall => "Spoke: do not call again",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// Whether the person heard from us: spoken to (even just to ask for a call back) or
    /// left a message. A call nobody answered, or a wrong number, is an attempt only; the
    /// action report counts the two apart.
    pub fn contacted(self) -> bool {
        !matches!(
            self,
            Outcome::NoAnswer | Outcome::Busy | Outcome::WrongNumber
        )
    }

    /// The person's place on the list after this outcome.
    pub fn next_state(self, done_when: DoneWhen) -> State {
        match self {
            Outcome::WrongNumber | Outcome::DoNotCall => State::Blocked,
            Outcome::HasRenewed | Outcome::WantsToResign | Outcome::HasMoved => State::Done,
            Outcome::WillRenew if done_when == DoneWhen::Reached => State::Done,
            _ => State::Waiting,
        }
    }

    /// Outcomes an officer should see whatever the caller ticks.
    pub fn needs_officer(self) -> bool {
        matches!(self, Outcome::WantsToResign | Outcome::HasMoved)
    }
}

/// A follow-up someone has to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    CallBack,
    SendRenewalLink,
    UpdateDetails,
    WelcomeOneToOne,
    /// A caller flagged the person for an officer; made for the list's organiser.
    NeedsOfficer,
    /// Someone met at a stall or on the doorstep said they might join.
    Recruit,
}

impl TaskKind {
    pub const ALL: [TaskKind; 6] = [
        TaskKind::CallBack,
        TaskKind::SendRenewalLink,
        TaskKind::UpdateDetails,
        TaskKind::WelcomeOneToOne,
        TaskKind::NeedsOfficer,
        TaskKind::Recruit,
    ];

    /// What an officer may give by hand from a person's record.
    pub const BY_HAND: [TaskKind; 5] = [
        TaskKind::CallBack,
        TaskKind::SendRenewalLink,
        TaskKind::UpdateDetails,
        TaskKind::WelcomeOneToOne,
        TaskKind::Recruit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::CallBack => "call_back",
            TaskKind::SendRenewalLink => "send_renewal_link",
            TaskKind::UpdateDetails => "update_details",
            TaskKind::WelcomeOneToOne => "welcome_one_to_one",
            TaskKind::NeedsOfficer => "needs_officer",
            TaskKind::Recruit => "recruit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TaskKind::CallBack => "Call back",
            TaskKind::SendRenewalLink => "Send a renewal link",
            TaskKind::UpdateDetails => "Update their details",
            TaskKind::WelcomeOneToOne => "Welcome one-to-one",
            TaskKind::NeedsOfficer => "Needs an officer",
            TaskKind::Recruit => "Ask them to join",
        }
    }

    pub fn parse(text: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_and_contact_is_more_than_an_attempt() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        use Outcome::*;
        for o in [NoAnswer, Busy, WrongNumber] {
            assert!(!o.contacted(), "{o:?} is an attempt");
        }
        for o in [
            LeftMessage,
            CallBack,
            WillRenew,
            HasRenewed,
            WantsToResign,
            HasMoved,
        ] {
            assert!(o.contacted(), "{o:?} reached them");
        }
        assert!(DoNotCall.contacted(), "they said so themselves");
        assert_eq!(Outcome::parse("maybe"), None);
    }

    #[test]
    fn places_on_a_list_read_back_from_their_codes() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::Blocked.label(), "not to call");
        assert_eq!(State::parse("Blocked"), None);
    }

    #[test]
    fn the_list_moves_on_by_outcome_and_rule() {
        use Outcome::*;
        for o in [NoAnswer, Busy, LeftMessage, CallBack] {
            assert_eq!(o.next_state(DoneWhen::Reached), State::Waiting, "{o:?}");
        }
        assert_eq!(WrongNumber.next_state(DoneWhen::Renewed), State::Blocked);
        assert_eq!(DoNotCall.next_state(DoneWhen::Reached), State::Blocked);
        assert_eq!(WillRenew.next_state(DoneWhen::Reached), State::Done);
        assert_eq!(WillRenew.next_state(DoneWhen::Renewed), State::Waiting);
        assert_eq!(HasRenewed.next_state(DoneWhen::Renewed), State::Done);
        assert_eq!(WantsToResign.next_state(DoneWhen::Renewed), State::Done);
        assert!(WantsToResign.needs_officer() && !NoAnswer.needs_officer());
        assert_eq!(DoneWhen::parse("renewed"), Some(DoneWhen::Renewed));
    }

    #[test]
    fn task_kinds_round_trip() {
        for k in TaskKind::ALL {
            assert_eq!(TaskKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(TaskKind::parse("nap"), None);
    }
}
