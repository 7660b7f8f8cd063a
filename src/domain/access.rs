//! Who may see and do what. A signed-in user's role assignments become one `Scope`, computed
//! once per request; the store turns its grants into the `WHERE` clause of every query
//! that reaches people, so a page can never show more than the scope allows.

use super::values::{Role, UnitKind};

impl Role {
    /// The spelling used on the command line and in the API (`membership-officer`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Secretary => "secretary",
            Role::Chair => "chair",
            Role::MembershipOfficer => "membership-officer",
            Role::WomensOfficer => "womens-officer",
            Role::BranchSecretary => "branch-secretary",
            Role::BranchMembershipSecretary => "branch-membership-secretary",
            Role::Caller => "caller",
            Role::Buddy => "buddy",
            Role::BranchCaptain => "branch-captain",
        }
    }

    /// How a person reads the role on a page.
    pub fn label(self) -> &'static str {
        match self {
            Role::Secretary => "Secretary",
            Role::Chair => "Chair",
            Role::MembershipOfficer => "Membership Officer",
            Role::WomensOfficer => "Women's Officer",
            Role::BranchSecretary => "Branch Secretary",
            Role::BranchMembershipSecretary => "Branch Membership Secretary",
            Role::Caller => "Caller",
            Role::Buddy => "Buddy",
            Role::BranchCaptain => "Branch Captain",
        }
    }

    /// Whether the role can be held for a unit of this kind: branch roles for a branch,
    /// the local party's officers for a local party, callers and buddies for either.
    pub fn fits(self, unit: UnitKind) -> bool {
        match self {
            Role::BranchSecretary | Role::BranchMembershipSecretary | Role::BranchCaptain => {
                unit == UnitKind::Branch
            }
            Role::Caller | Role::Buddy => matches!(unit, UnitKind::Branch | UnitKind::LocalParty),
            _ => unit == UnitKind::LocalParty,
        }
    }

    /// Whether it is held for a branch (the rest are held for a local party, or either).
    pub fn for_branch(self) -> bool {
        matches!(
            self,
            Role::BranchSecretary | Role::BranchMembershipSecretary | Role::BranchCaptain
        )
    }

    /// A volunteer's role: they see only the people shared with them (to call, or to
    /// welcome as their buddy), and count as volunteers rather than officers.
    pub fn volunteers(self) -> bool {
        matches!(self, Role::Caller | Role::Buddy)
    }

    /// How the volunteers' roles are stored, for queries that tell them from officers.
    pub fn volunteer_names() -> Vec<&'static str> {
        Role::ALL
            .iter()
            .filter(|r| r.volunteers())
            .map(|r| r.name())
            .collect()
    }

    /// Whether it changes and exports the records it sees. Volunteers and branch captains
    /// (who lead a branch's campaigning, and see its members to do so) only read.
    pub fn changes_records(self) -> bool {
        !self.volunteers() && self != Role::BranchCaptain
    }

    fn reach(self, unit_id: i64, geographic: bool) -> Reach {
        match self {
            Role::Secretary | Role::Chair | Role::MembershipOfficer => Reach::Everyone,
            Role::WomensOfficer => Reach::Women,
            Role::BranchSecretary | Role::BranchMembershipSecretary | Role::BranchCaptain => {
                if geographic {
                    Reach::GeographicBranch(unit_id)
                } else {
                    Reach::Branch(unit_id)
                }
            }
            Role::Caller | Role::Buddy => Reach::AssignedToMe,
        }
    }
}

/// Which people of a local party a grant covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Everyone,
    /// Members of one branch (a unit id) and, if it is a forum branch, the people in the
    /// forum now.
    Branch(i64),
    /// Members of a branch known to be geographic: the same people as `Branch` would
    /// find (such a branch has no forum), but the store finds them by the branch's own
    /// index instead of gathering a forum's people beside them.
    GeographicBranch(i64),
    /// People who self-identify as women.
    Women,
    /// Only people shared with this user to call.
    AssignedToMe,
}

impl Reach {
    /// The branch the grant is limited to, if it is.
    pub fn branch(self) -> Option<i64> {
        match self {
            Reach::Branch(b) | Reach::GeographicBranch(b) => Some(b),
            Reach::Everyone | Reach::Women | Reach::AssignedToMe => None,
        }
    }
}

/// One role held for one unit, as the store reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    pub role: Role,
    pub unit_id: i64,
    pub unit_kind: UnitKind,
    /// The local party the unit is, or belongs to.
    pub local_party_id: i64,
    /// The unit is a geographic branch (not a forum branch, nor a local party).
    pub geographic: bool,
    /// Its local party requires a second factor of officers who see all its members.
    pub party_requires_second_factor: bool,
}

/// Whether a user without a second factor must set one up before going on: a local party
/// whose every member `scope` sees requires it of them.
pub fn second_factor_required(assignments: &[Assignment], scope: &Scope) -> bool {
    let whole = scope.whole_parties();
    assignments
        .iter()
        .any(|a| a.party_requires_second_factor && whole.contains(&a.local_party_id))
}

/// A set of people in one local party.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub local_party_id: i64,
    pub reach: Reach,
}

impl Grant {
    /// Everyone in a local party: what the service layer reads with for its own work
    /// (matching, counting) before it decides what an officer may see of it.
    pub fn everyone_in(local_party_id: i64) -> Grant {
        Grant {
            local_party_id,
            reach: Reach::Everyone,
        }
    }
}

/// Everything one user may do, derived from their assignments alone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    pub user_id: i64,
    /// People the user may see: the union of these grants.
    pub read: Vec<Grant>,
    /// People whose details, payments and history the user may change.
    pub write: Vec<Grant>,
    /// People the user may export.
    pub export: Vec<Grant>,
    /// Local parties whose roles this user assigns (the Secretary's).
    pub assigns_roles: Vec<i64>,
    /// Local parties whose audit log this user reads.
    pub reads_audit: Vec<i64>,
    /// Local parties this user imports member files into (the Secretary and the
    /// Membership Officer: an import can add, change and end anyone's membership).
    pub imports: Vec<i64>,
    /// The local parties the user works in, for dashboards and unit lists.
    pub local_parties: Vec<i64>,
}

impl Scope {
    pub fn of(user_id: i64, assignments: &[Assignment]) -> Scope {
        let mut scope = Scope {
            user_id,
            ..Scope::default()
        };
        for a in assignments {
            if !a.role.fits(a.unit_kind) {
                continue;
            }
            let grant = Grant {
                local_party_id: a.local_party_id,
                reach: a.role.reach(a.unit_id, a.geographic),
            };
            push_new(&mut scope.read, grant);
            if a.role.changes_records() {
                push_new(&mut scope.write, grant);
                push_new(&mut scope.export, grant);
            }
            if a.role == Role::Secretary {
                push_new(&mut scope.assigns_roles, a.local_party_id);
                push_new(&mut scope.reads_audit, a.local_party_id);
            }
            if matches!(a.role, Role::Secretary | Role::MembershipOfficer) {
                push_new(&mut scope.imports, a.local_party_id);
            }
            push_new(&mut scope.local_parties, a.local_party_id);
        }
        // A grant of everyone makes narrower grants in the same local party redundant.
        for list in [&mut scope.read, &mut scope.write, &mut scope.export] {
            let whole: Vec<i64> = list
                .iter()
                .filter(|g| g.reach == Reach::Everyone)
                .map(|g| g.local_party_id)
                .collect();
            list.retain(|g| g.reach == Reach::Everyone || !whole.contains(&g.local_party_id));
        }
        scope
    }

    /// The units the read grants name (local parties and branches), for `in_words`.
    pub fn units_named(&self) -> Vec<i64> {
        let mut ids = Vec::new();
        for g in &self.read {
            push_new(&mut ids, g.local_party_id);
            if let Some(b) = g.reach.branch() {
                push_new(&mut ids, b);
            }
        }
        ids
    }

    /// Who the user sees, in words, so every figure can say whom it counts: "everyone in
    /// Anytown; women in Bigtown". `name` gives a unit's name by id.
    pub fn in_words(&self, name: impl Fn(i64) -> String) -> String {
        let words: Vec<String> = self
            .read
            .iter()
            .map(|g| match g.reach {
                Reach::Everyone => format!("everyone in {}", name(g.local_party_id)),
                Reach::Women => format!("women in {}", name(g.local_party_id)),
                Reach::Branch(b) | Reach::GeographicBranch(b) => {
                    // "the Riverside branch", but "Ashford Branch", not "… Branch branch".
                    let branch = name(b);
                    if branch.to_lowercase().ends_with("branch") {
                        branch
                    } else {
                        format!("the {branch} branch")
                    }
                }
                Reach::AssignedToMe => {
                    format!(
                        "people shared with you to call in {}",
                        name(g.local_party_id)
                    )
                }
            })
            .collect();
        if words.is_empty() {
            "nobody yet: you hold no role".into()
        } else {
            words.join("; ")
        }
    }

    /// Whether the user sees every person of some local party (the officers a local party
    /// may require a second factor of).
    pub fn sees_everyone(&self) -> bool {
        self.read.iter().any(|g| g.reach == Reach::Everyone)
    }

    /// The local parties whose every person the user sees.
    pub fn whole_parties(&self) -> Vec<i64> {
        self.read
            .iter()
            .filter(|g| g.reach == Reach::Everyone)
            .map(|g| g.local_party_id)
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.read.is_empty()
    }

    /// Whether the user may see or change anything outside people they are assigned.
    pub fn is_officer(&self) -> bool {
        self.read.iter().any(|g| g.reach != Reach::AssignedToMe)
    }
}

/// Whether `grants` show a branch of a local party among the units a user works in: any
/// grant there but one limited to another branch does.
pub fn sees_branch(grants: &[Grant], local_party_id: i64, branch_id: i64) -> bool {
    grants.iter().any(|g| {
        g.local_party_id == local_party_id
            && match g.reach {
                Reach::Branch(id) | Reach::GeographicBranch(id) => id == branch_id,
                Reach::Everyone | Reach::Women | Reach::AssignedToMe => true,
            }
    })
}

fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(role: Role, unit_id: i64, unit_kind: UnitKind, local_party_id: i64) -> Assignment {
        Assignment {
            role,
            unit_id,
            unit_kind,
            local_party_id,
            geographic: false,
            party_requires_second_factor: false,
        }
    }

    #[test]
    fn a_second_factor_is_required_where_a_party_asks_it_of_those_who_see_everyone() {
        let asks = |a: Assignment| Assignment {
            party_requires_second_factor: true,
            ..a
        };
        let required = |held: &[Assignment]| second_factor_required(held, &Scope::of(9, held));
        // The Secretary sees all of a party that asks it.
        assert!(required(&[asks(at(
            Role::Secretary,
            1,
            UnitKind::LocalParty,
            1
        ))]));
        // A party that does not ask it.
        assert!(!required(&[at(
            Role::Secretary,
            1,
            UnitKind::LocalParty,
            1
        )]));
        // A branch's officer of a party that asks it does not see all its members.
        assert!(!required(&[asks(at(
            Role::BranchSecretary,
            5,
            UnitKind::Branch,
            1
        ))]));
        // Two parties: the one that asks is one the officer sees whole.
        assert!(required(&[
            at(Role::Secretary, 2, UnitKind::LocalParty, 2),
            asks(at(Role::Secretary, 1, UnitKind::LocalParty, 1)),
        ]));
        // The party that asks is seen only through a branch; the one seen whole does not ask.
        assert!(!required(&[
            at(Role::Secretary, 2, UnitKind::LocalParty, 2),
            asks(at(Role::BranchSecretary, 5, UnitKind::Branch, 1)),
        ]));
        assert!(!required(&[]));
    }

    #[test]
    fn a_geographic_branch_is_found_by_its_own_index_and_reads_as_any_branch() {
        let plain = |reach| Scope {
            read: vec![Grant {
                local_party_id: 1,
                reach,
            }],
            ..Scope::default()
        };
        let ward = Scope::of(
            7,
            &[Assignment {
                geographic: true,
                ..at(Role::BranchSecretary, 5, UnitKind::Branch, 1)
            }],
        );
        assert_eq!(ward.read[0].reach, Reach::GeographicBranch(5));
        assert_eq!(ward.write, ward.read);
        let forum = plain(Reach::Branch(5));
        assert_eq!(ward.units_named(), forum.units_named());
        let name = |id: i64| if id == 5 { "Riverside" } else { "Anytown" }.to_string();
        assert_eq!(ward.in_words(name), "the Riverside branch");
        assert_eq!(forum.in_words(name), "the Riverside branch");
        assert!(sees_branch(&ward.read, 1, 5) && !sees_branch(&ward.read, 1, 6));
        assert_eq!(Reach::GeographicBranch(5).branch(), Some(5));
        assert_eq!(Reach::Women.branch(), None);
        // A caller's role for a geographic branch is still only what is shared with them.
        let caller = Scope::of(
            7,
            &[Assignment {
                geographic: true,
                ..at(Role::Caller, 5, UnitKind::Branch, 1)
            }],
        );
        assert_eq!(caller.read[0].reach, Reach::AssignedToMe);
    }

    #[test]
    fn a_branch_grant_shows_its_own_branch_only() {
        let grant = |reach| Grant {
            local_party_id: 1,
            reach,
        };
        assert!(sees_branch(&[grant(Reach::Branch(5))], 1, 5));
        assert!(!sees_branch(&[grant(Reach::Branch(5))], 1, 6));
        assert!(
            !sees_branch(&[grant(Reach::Branch(5))], 2, 5),
            "another party"
        );
        assert!(sees_branch(&[grant(Reach::Everyone)], 1, 6));
        assert!(sees_branch(&[grant(Reach::Women)], 1, 6));
        assert!(sees_branch(
            &[grant(Reach::Branch(5)), grant(Reach::Branch(6))],
            1,
            6
        ));
        assert!(!sees_branch(&[], 1, 6));
    }

    #[test]
    fn a_scope_says_whom_it_sees_by_name() {
        let name =
            |id: i64| ["", "Anytown", "Bigtown", "", "", "Riverside"][id as usize].to_string();
        let officer = Scope::of(
            7,
            &[at(Role::MembershipOfficer, 1, UnitKind::LocalParty, 1)],
        );
        assert_eq!(officer.in_words(name), "everyone in Anytown");
        assert_eq!(officer.units_named(), [1]);
        let mixed = Scope::of(
            7,
            &[
                at(Role::WomensOfficer, 1, UnitKind::LocalParty, 1),
                at(Role::BranchSecretary, 5, UnitKind::Branch, 2),
                at(Role::Caller, 2, UnitKind::LocalParty, 2),
            ],
        );
        assert_eq!(
            mixed.in_words(name),
            "women in Anytown; the Riverside branch; people shared with you to call in Bigtown"
        );
        assert_eq!(mixed.units_named(), [1, 2, 5]);
        let branch = Scope::of(7, &[at(Role::BranchSecretary, 5, UnitKind::Branch, 2)]);
        assert_eq!(branch.in_words(|_| "Quay Branch".into()), "Quay Branch");
        assert!(Scope::of(7, &[]).in_words(name).starts_with("nobody"));
    }

    #[test]
    fn a_buddy_sees_only_people_shared_and_a_captain_reads_their_branch() {
        let buddy = Scope::of(7, &[at(Role::Buddy, 5, UnitKind::Branch, 1)]);
        assert_eq!(
            buddy.read,
            vec![Grant {
                local_party_id: 1,
                reach: Reach::AssignedToMe
            }]
        );
        assert!(buddy.write.is_empty() && buddy.export.is_empty());
        assert!(!buddy.is_officer());
        let captain = Scope::of(7, &[at(Role::BranchCaptain, 5, UnitKind::Branch, 1)]);
        assert_eq!(
            captain.read,
            vec![Grant {
                local_party_id: 1,
                reach: Reach::Branch(5)
            }]
        );
        assert!(
            captain.write.is_empty(),
            "a captain changes nobody's record"
        );
        assert!(captain.export.is_empty());
        assert!(captain.is_officer());
        assert!(!Role::BranchCaptain.fits(UnitKind::LocalParty));
        assert!(Role::Buddy.fits(UnitKind::LocalParty));
        assert_eq!(Role::volunteer_names(), vec!["caller", "buddy"]);
        assert!(!Role::BranchCaptain.volunteers());
    }

    #[test]
    fn roles_fit_their_level() {
        assert!(Role::Secretary.fits(UnitKind::LocalParty));
        assert!(!Role::Secretary.fits(UnitKind::Branch));
        assert!(Role::BranchSecretary.fits(UnitKind::Branch));
        assert!(!Role::BranchMembershipSecretary.fits(UnitKind::LocalParty));
        assert!(Role::Caller.fits(UnitKind::Branch));
        assert!(!Role::WomensOfficer.fits(UnitKind::Region));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.name()), Some(*r), "{}", r.name());
        }
    }

    #[test]
    fn the_secretary_sees_all_and_assigns_roles() {
        let s = Scope::of(7, &[at(Role::Secretary, 1, UnitKind::LocalParty, 1)]);
        assert_eq!(
            s.read,
            vec![Grant {
                local_party_id: 1,
                reach: Reach::Everyone
            }]
        );
        assert_eq!(s.assigns_roles, vec![1]);
        assert_eq!(s.reads_audit, vec![1]);
        assert_eq!(s.imports, vec![1]);
        assert!(s.sees_everyone() && s.is_officer());
        assert_eq!(s.whole_parties(), vec![1]);
    }

    #[test]
    fn only_the_secretary_and_membership_officer_import() {
        for (role, kind, imports) in [
            (Role::Secretary, UnitKind::LocalParty, true),
            (Role::MembershipOfficer, UnitKind::LocalParty, true),
            (Role::Chair, UnitKind::LocalParty, false),
            (Role::WomensOfficer, UnitKind::LocalParty, false),
            (Role::BranchMembershipSecretary, UnitKind::Branch, false),
            (Role::Caller, UnitKind::LocalParty, false),
        ] {
            let s = Scope::of(7, &[at(role, 3, kind, 1)]);
            assert_eq!(s.imports == vec![1], imports, "{role:?}");
        }
    }

    #[test]
    fn the_chair_and_membership_officer_see_all_but_assign_nothing() {
        for role in [Role::Chair, Role::MembershipOfficer] {
            let s = Scope::of(7, &[at(role, 1, UnitKind::LocalParty, 1)]);
            assert!(s.sees_everyone());
            assert!(s.assigns_roles.is_empty() && s.reads_audit.is_empty());
            assert_eq!(s.write, s.read);
        }
    }

    #[test]
    fn branch_roles_see_their_branch_only() {
        let s = Scope::of(7, &[at(Role::BranchSecretary, 12, UnitKind::Branch, 1)]);
        assert_eq!(s.read[0].reach, Reach::Branch(12));
        assert!(!s.sees_everyone());
        assert_eq!(s.local_parties, vec![1]);
    }

    #[test]
    fn the_womens_officer_sees_women() {
        let s = Scope::of(7, &[at(Role::WomensOfficer, 1, UnitKind::LocalParty, 1)]);
        assert_eq!(s.read[0].reach, Reach::Women);
    }

    #[test]
    fn callers_see_their_people_and_change_nothing() {
        let s = Scope::of(7, &[at(Role::Caller, 1, UnitKind::LocalParty, 1)]);
        assert_eq!(s.read[0].reach, Reach::AssignedToMe);
        assert!(s.write.is_empty() && s.export.is_empty());
        assert!(!s.is_officer());
    }

    #[test]
    fn several_roles_add_up_and_everyone_absorbs_narrower_grants() {
        let s = Scope::of(
            7,
            &[
                at(Role::BranchSecretary, 12, UnitKind::Branch, 1),
                at(Role::WomensOfficer, 1, UnitKind::LocalParty, 1),
                at(Role::BranchSecretary, 30, UnitKind::Branch, 2),
            ],
        );
        assert_eq!(s.read.len(), 3);
        let s = Scope::of(
            7,
            &[
                at(Role::BranchSecretary, 12, UnitKind::Branch, 1),
                at(Role::MembershipOfficer, 1, UnitKind::LocalParty, 1),
                at(Role::BranchSecretary, 30, UnitKind::Branch, 2),
            ],
        );
        assert_eq!(
            s.read,
            vec![
                Grant {
                    local_party_id: 1,
                    reach: Reach::Everyone
                },
                Grant {
                    local_party_id: 2,
                    reach: Reach::Branch(30)
                }
            ]
        );
    }

    #[test]
    fn a_misfiled_assignment_grants_nothing() {
        let s = Scope::of(7, &[at(Role::Secretary, 12, UnitKind::Branch, 1)]);
        assert!(s.is_empty() && s.assigns_roles.is_empty());
    }
}
