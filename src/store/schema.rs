//! Table and column names, shared by the migrations and the queries.

use sea_query::Iden;

#[derive(Iden, Clone, Copy)]
pub enum SchemaMigrations {
    Table,
    Version,
    Name,
    AppliedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Units {
    Table,
    Id,
    PublicId,
    Slug,
    Name,
    Kind,
    BranchType,
    ParentId,
    CreatedAt,
    RequireSecondFactor,
    ReportPeriodDays,
    EmailImprint,
    EmailSenderName,
    EmailReplyTo,
    EmailPerMinute,
    /// A forum branch's rule (`gender = woman`), if people join it by one.
    ForumRule,
}

/// People in forum branches, a row for each time they were in one.
#[derive(Iden, Clone, Copy)]
pub enum ForumMembers {
    Table,
    Id,
    UnitId,
    PersonId,
    JoinedOn,
    LeftOn,
    /// `opted_in` or `rule`.
    How,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Wards {
    Table,
    Id,
    LocalPartyId,
    Name,
    NameKey,
    BranchId,
}

#[derive(Iden, Clone, Copy)]
pub enum People {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    Kind,
    FirstName,
    LastName,
    Email,
    Mobile,
    Phone,
    AddressLine1,
    AddressLine2,
    Town,
    Postcode,
    Ward,
    DateOfBirth,
    Gender,
    Affiliate,
    EmailConsent,
    EmailConsentSource,
    EmailConsentAt,
    PhoneConsent,
    PhoneConsentSource,
    PhoneConsentAt,
    SmsConsent,
    SmsConsentSource,
    SmsConsentAt,
    PostConsent,
    PostConsentSource,
    PostConsentAt,
    Notes,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum PersonTags {
    Table,
    PersonId,
    Tag,
}

#[derive(Iden, Clone, Copy)]
pub enum Memberships {
    Table,
    Id,
    PublicId,
    PersonId,
    LocalPartyId,
    MembershipNumber,
    Rate,
    BranchId,
    JoinedOn,
    PaidUntil,
    LeftOn,
    LeftReason,
    Suspended,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum MembershipEvents {
    Table,
    Id,
    MembershipId,
    Kind,
    OnDate,
    PaidUntil,
    Detail,
    RecordedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Payments {
    Table,
    Id,
    PublicId,
    MembershipId,
    PaidOn,
    AmountPence,
    Method,
    PeriodFrom,
    PeriodTo,
    RecordedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    Action,
    Subject,
    Detail,
    LocalPartyId,
}

#[derive(Iden, Clone, Copy)]
pub enum AuditPeople {
    Table,
    EntryId,
    PersonId,
}

/// Segments of the audit journal already taken into the log, by file name, so a segment
/// left behind by a crash after its commit is never taken in twice.
#[derive(Iden, Clone, Copy)]
pub enum AuditSegments {
    Table,
    Name,
    TakenAt,
    Entries,
}

/// `audit_people` while migration 24 rebuilds it.
#[derive(Iden, Clone, Copy)]
pub enum AuditPeopleByPerson {
    Table,
}

#[derive(Iden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    PublicId,
    Email,
    Name,
    PasswordHash,
    CreatedAt,
    DisabledAt,
    TotpSecret,
    TotpPending,
    TotpLastStep,
    /// The digest of the token in the user's private calendar feed's address.
    CalendarToken,
}

#[derive(Iden, Clone, Copy)]
pub enum RoleAssignments {
    Table,
    Id,
    PublicId,
    UserId,
    Role,
    UnitId,
    CreatedAt,
    CreatedBy,
}

#[derive(Iden, Clone, Copy)]
pub enum Sessions {
    Table,
    IdHash,
    UserId,
    Csrf,
    CreatedAt,
    LastSeenAt,
    SecondFactorPending,
}

#[derive(Iden, Clone, Copy)]
pub enum ApiTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    LastUsedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum OneTimeLinks {
    Table,
    TokenHash,
    UserId,
    Purpose,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum SignInFailures {
    Table,
    Id,
    Key,
    At,
}

#[derive(Iden, Clone, Copy)]
pub enum CallerAssignments {
    Table,
    UserId,
    PersonId,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Segments {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    Name,
    Query,
    CreatedBy,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Outbox {
    Table,
    Id,
    PublicId,
    ToAddress,
    Subject,
    Body,
    Html,
    /// An event's iCalendar file, attached as `text/calendar` (a sign-up's confirmation).
    Calendar,
    State,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(Iden, Clone, Copy)]
pub enum MailSuppressions {
    Table,
    Address,
    Reason,
    At,
}

#[derive(Iden, Clone, Copy)]
pub enum ActionReports {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    PeriodFrom,
    PeriodTo,
    GeneratedAt,
    GeneratedBy,
    Body,
}

#[derive(Iden, Clone, Copy)]
pub enum CallLists {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    Name,
    Script,
    DoneWhen,
    MinGapHours,
    CreatedBy,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum CallListPeople {
    Table,
    CallListId,
    PersonId,
    State,
    ClaimedBy,
    ClaimedUntil,
    LastAttemptAt,
    NeedsOfficer,
}

#[derive(Iden, Clone, Copy)]
pub enum CallListCallers {
    Table,
    CallListId,
    UserId,
}

#[derive(Iden, Clone, Copy)]
pub enum CallOutcomes {
    Table,
    Id,
    CallListId,
    PersonId,
    UserId,
    Outcome,
    Notes,
    NeedsOfficer,
    At,
}

#[derive(Iden, Clone, Copy)]
pub enum Tasks {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    PersonId,
    Kind,
    AssigneeId,
    DueOn,
    Notes,
    DoneAt,
    /// What was done, said when the task was marked done.
    ClosingNote,
    CreatedBy,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    UniqueKey,
    State,
    RunAt,
    Attempts,
    MaxAttempts,
    LockedBy,
    LockedUntil,
    LastError,
    CreatedAt,
    FinishedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum Emails {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    AuthorId,
    Subject,
    Body,
    Purpose,
    Audience,
    AudienceLabel,
    SenderName,
    ReplyTo,
    State,
    SendAt,
    CreatedAt,
    FinishedAt,
    /// The event an invitation is for: its merge field `event_url` is each recipient's
    /// own sign-up link.
    EventId,
    /// The survey an email asks people to answer: its merge field `survey_url` is each
    /// recipient's own link.
    SurveyId,
}

#[derive(Iden, Clone, Copy)]
pub enum EmailRecipients {
    Table,
    Id,
    PublicId,
    EmailId,
    PersonId,
    Address,
    State,
    Reason,
    Attempts,
    NextAttemptAt,
    ClaimedBy,
    SentAt,
    UnsubscribedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ServerKeys {
    Table,
    Name,
    Secret,
}

#[derive(Iden, Clone, Copy)]
pub enum MailSoftBounces {
    Table,
    Address,
    Count,
    LastAt,
}

/// Member files uploaded through the web, with the choices made for reading them and
/// what their last check or import found.
#[derive(Iden, Clone, Copy)]
pub enum Imports {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    UserId,
    FileName,
    Bytes,
    /// `--map` lines: `Header=field`.
    Maps,
    /// `--map-value` lines: `field:Value=code`.
    ValueMaps,
    DateOrder,
    /// `uploaded`, `checked`, `imported` or `failed`.
    State,
    /// What the last run said, in words.
    Outcome,
    /// The last run's problems, as JSON: `[{"row", "column", "message"}]`.
    Problems,
    CreatedAt,
    UpdatedAt,
}

/// Meetings, socials, training, stalls, canvasses.
#[derive(Iden, Clone, Copy)]
pub enum Events {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    UnitId,
    Kind,
    Title,
    Description,
    Place,
    StartsAt,
    EndsAt,
    /// The IANA time zone the times were written in.
    TimeZone,
    Capacity,
    Audience,
    /// The right from the rules file that decides who may vote, if not the usual one.
    VoteRight,
    FreezeDate,
    /// Whom to ask about it: a name, an address or a number, shown on its public page.
    Contact,
    /// How many hours before the start the reminder goes.
    RemindHours,
    /// Bumped by every change, so calendars replace their copy (RFC 5545 `SEQUENCE`).
    Sequence,
    CancelledAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

/// Each person's place at an event.
#[derive(Iden, Clone, Copy)]
pub enum EventPeople {
    Table,
    Id,
    EventId,
    PersonId,
    State,
    SignedUpAt,
    CheckedInAt,
    /// When the last reminder went, so each person gets the automatic one once.
    RemindedAt,
    /// How they came: `officer`, `public` (the sign-up page), `invitation` or `stall`.
    Source,
}

/// A new member marked as welcomed: how, by whom, when.
#[derive(Iden, Clone, Copy)]
pub enum Welcomes {
    Table,
    Id,
    LocalPartyId,
    PersonId,
    /// `call`, `email`, `one_to_one` or `event`.
    How,
    ByActor,
    At,
}

/// A journey: steps that start when something happens to a person.
#[derive(Iden, Clone, Copy)]
pub enum Journeys {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    Name,
    /// `joined` or `first_event`.
    Trigger,
    /// The steps in their text form.
    Steps,
    Active,
    ActiveSince,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    /// A branch or forum branch: only its people are put on the journey, and its
    /// organisers change it. Empty for the whole local party.
    UnitId,
}

/// One person's run through a journey.
#[derive(Iden, Clone, Copy)]
pub enum JourneyRuns {
    Table,
    Id,
    PublicId,
    JourneyId,
    PersonId,
    /// The index of the next step to take.
    Step,
    NextAt,
    /// `active`, `done` or `stopped`.
    State,
    /// What was done last, in words.
    Note,
    StartedAt,
    UpdatedAt,
}

/// A course someone has done.
#[derive(Iden, Clone, Copy)]
pub enum Training {
    Table,
    Id,
    LocalPartyId,
    PersonId,
    Course,
    OnDate,
    Provider,
    RecordedBy,
    RecordedAt,
}

/// A notice from the local party's officers to every branch's officers.
#[derive(Iden, Clone, Copy)]
pub enum Notices {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    Subject,
    Body,
    SentBy,
    SentAt,
}

/// Who a notice went to, and when they read it.
#[derive(Iden, Clone, Copy)]
pub enum NoticeReads {
    Table,
    Id,
    NoticeId,
    UserId,
    ReadAt,
}

/// A survey: its questions in their text form (`domain::surveys::parse_questions`).
#[derive(Iden, Clone, Copy)]
pub enum Surveys {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    /// The unit it is run for: whoever organises for the unit runs it and reads it.
    UnitId,
    Title,
    Intro,
    Questions,
    /// `off` (personal links only), `anonymous` or `contact` (a public link that asks for
    /// contact details and consent).
    PublicLink,
    CreatedBy,
    CreatedAt,
    ClosedAt,
}

/// One set of answers to a survey: a person's (through their personal link, or a public
/// link with contact details), or nobody's (an anonymous public link).
#[derive(Iden, Clone, Copy)]
pub enum SurveyResponses {
    Table,
    Id,
    PublicId,
    SurveyId,
    PersonId,
    /// `link` (a personal link) or `public`.
    Via,
    AnsweredAt,
}

/// One answer: a chosen option (one row each), a scale's point, or free text.
#[derive(Iden, Clone, Copy)]
pub enum SurveyAnswers {
    Table,
    Id,
    ResponseId,
    /// The question's number, counted from 1.
    Question,
    Choice,
    Point,
    Answer,
}

/// An organisation the local party works with; whoever organises for its unit sees it.
#[derive(Iden, Clone, Copy)]
pub enum Organisations {
    Table,
    Id,
    PublicId,
    LocalPartyId,
    UnitId,
    Name,
    Kind,
    Notes,
    CreatedBy,
    CreatedAt,
}

/// A person (usually of kind `contact`) who is an organisation's contact, with their role
/// there.
#[derive(Iden, Clone, Copy)]
pub enum OrganisationContacts {
    Table,
    Id,
    OrganisationId,
    PersonId,
    Role,
}

/// A meeting, joint event or speaker exchanged with an organisation.
#[derive(Iden, Clone, Copy)]
pub enum OrganisationDealings {
    Table,
    Id,
    OrganisationId,
    Kind,
    OnDate,
    Note,
    EventId,
    RecordedBy,
    RecordedAt,
}
