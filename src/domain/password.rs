//! What makes a password acceptable. Length beats complexity rules (NIST SP 800-63B):
//! at least 8 characters, not one of the passwords attackers try first, and not built
//! from the account's own name or address.

/// Passwords that appear at the top of every breach list, lower-cased. A password is
/// refused if, lower-cased and with trailing digits and symbols removed, it is one of these
/// or is one of these exactly.
const COMMON: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssword",
    "p@ssw0rd",
    "123456",
    "12345678",
    "123456789",
    "1234567890",
    "qwerty",
    "qwertyuiop",
    "qwerty123",
    "abc123",
    "111111",
    "000000",
    "iloveyou",
    "letmein",
    "welcome",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "admin",
    "administrator",
    "master",
    "shadow",
    "superman",
    "trustno1",
    "whatever",
    "starwars",
    "michael",
    "jennifer",
    "charlie",
    "liverpool",
    "arsenal",
    "chelsea",
    "manchester",
    "changeme",
    "secret",
    "freedom",
    "hello",
    "login",
    "access",
    "flower",
    "hunter",
    "ranger",
    "buster",
    "soccer",
    "hockey",
    "killer",
    "jordan",
    "pepper",
    "ginger",
    "summer",
    "winter",
    "autumn",
    "spring",
    "london",
    "england",
    "computer",
    "internet",
    "samsung",
    "google",
    "zaq12wsx",
    "1qaz2wsx",
    "asdfghjk",
    "asdfgh",
    "zxcvbnm",
    "qazwsx",
    "aa123456",
    "password1",
    "default",
    "guest",
    "labour",
    "labourparty",
    "party",
    "member",
    "members",
    "membership",
    "rosette",
    "solidarity",
    "socialism",
    "comrade",
    "unison",
    "unite",
    "democracy",
    "election",
    "vote",
    "letmein1",
    "welcome1",
    "abcdefgh",
    "abcd1234",
    "1q2w3e4r",
    "1q2w3e",
    "q1w2e3r4",
    "11111111",
    "12121212",
    "87654321",
    "00000000",
    "123123",
    "123123123",
    "654321",
    "666666",
    "7777777",
    "888888",
    "121212",
];

/// Why a password was refused, in words for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("use at least 8 characters")]
    TooShort,
    #[error("use at most 256 characters")]
    TooLong,
    #[error("that password is one of the most common ones and is tried first by attackers")]
    Common,
    #[error("do not build the password from your name or email address")]
    Personal,
    #[error("use more than one or two different characters")]
    Repetitive,
}

/// Checks a new password for the account with this email and name.
pub fn check(password: &str, email: &str, name: &str) -> Result<(), PasswordProblem> {
    let length = password.chars().count();
    if length < 8 {
        return Err(PasswordProblem::TooShort);
    }
    if length > 256 {
        return Err(PasswordProblem::TooLong);
    }
    let lower = password.to_lowercase();
    let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    if COMMON.contains(&lower.as_str()) || (stem.len() >= 4 && COMMON.contains(&stem)) {
        return Err(PasswordProblem::Common);
    }
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= 2 {
        return Err(PasswordProblem::Repetitive);
    }
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    let personal = std::iter::once(local.as_str())
        .chain(name.split_whitespace())
        .map(str::to_lowercase)
        .filter(|p| p.chars().count() >= 4);
    for p in personal {
        // The password is mostly the name: what is left when it is removed is short.
        if lower.contains(&p) && lower.chars().count() - p.chars().count() < 6 {
            return Err(PasswordProblem::Personal);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_common_passwords_are_refused() {
        assert_eq!(
            check("short1!", "a@example.org", "A B"),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(
            check("password", "a@example.org", "A B"),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check("Password123!", "a@example.org", "A B"),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check("LIVERPOOL", "a@example.org", "A B"),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check("12345678", "a@example.org", "A B"),
            Err(PasswordProblem::Common)
        );
        assert_eq!(
            check("aaaaaaaaaaaa", "a@example.org", "A B"),
            Err(PasswordProblem::Repetitive)
        );
        assert_eq!(
            check(&"x1".repeat(200), "a@example.org", "A B"),
            Err(PasswordProblem::TooLong)
        );
    }

    #[test]
    fn names_are_not_passwords() {
        assert_eq!(
            check("Priyanka2024", "priyanka@example.org", "Priyanka Shah"),
            Err(PasswordProblem::Personal)
        );
        assert_eq!(
            check("shahshah!", "p@example.org", "Priyanka Shah"),
            Err(PasswordProblem::Personal)
        );
    }

    #[test]
    fn long_passphrases_pass() {
        assert_eq!(
            check("correct horse battery staple", "a@example.org", "A B"),
            Ok(())
        );
        assert_eq!(
            check(
                "Priyanka walks the canal path",
                "priyanka@example.org",
                "Priyanka Shah"
            ),
            Ok(())
        );
        assert_eq!(check("tulip-harbour-9", "a@example.org", "A B"), Ok(()));
    }
}
