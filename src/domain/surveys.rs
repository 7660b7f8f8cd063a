//! Surveys: questions an officer writes as text (single choice, multiple choice, a scale
//! of 1 to 5, free text), the answers read from a form, and the counts a results page
//! draws. An answer to a choice is kept as its option's words, so a filter reads
//! "wants training in public speaking" the way the question put it.

use super::fields::check_text;
use super::filter::FieldProblem;
use super::journeys::LineProblem;

/// What kind of answer a question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    Single,
    Multiple,
    /// A number from 1 to `SCALE_TOP`.
    Scale,
    Text,
}

/// The top of every scale question (1 is its bottom).
pub const SCALE_TOP: u8 = 5;

/// Limits that keep a survey readable on a phone and a results page quick.
const MOST_QUESTIONS: usize = 30;
const MOST_OPTIONS: usize = 20;
const MOST_PROMPT: usize = 300;
const MOST_OPTION: usize = 100;
/// The longest free-text answer taken, in characters.
pub const MOST_TEXT: usize = 2000;

impl QuestionKind {
    pub const ALL: [QuestionKind; 4] = [
        QuestionKind::Single,
        QuestionKind::Multiple,
        QuestionKind::Scale,
        QuestionKind::Text,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::Scale => "scale",
            QuestionKind::Text => "text",
        }
    }

    pub fn parse(text: &str) -> Option<QuestionKind> {
        QuestionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text.trim())
    }

    fn takes_options(self) -> bool {
        matches!(self, QuestionKind::Single | QuestionKind::Multiple)
    }
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub kind: QuestionKind,
    pub prompt: String,
    /// The choices of a single or multiple choice question, in order.
    pub options: Vec<String>,
}

/// Reads a survey's questions from their text form: each question on a line of its own
/// that starts with its kind (`single:`, `multiple:`, `scale:` or `text:`), and a choice
/// question's options below it, one a line, each starting with `-`.
pub fn parse_questions(text: &str) -> Result<Vec<Question>, Vec<LineProblem>> {
    let mut questions: Vec<(usize, Question)> = Vec::new();
    let mut problems = Vec::new();
    let mut bad = |line: usize, message: String| problems.push(LineProblem { line, message });
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Err(e) = check_text(line, false) {
            bad(number, e);
            continue;
        }
        if let Some(option) = line.strip_prefix('-') {
            let option = option.split_whitespace().collect::<Vec<_>>().join(" ");
            match questions.last_mut() {
                None => bad(
                    number,
                    "an option belongs under a question: start with 'single: QUESTION'".into(),
                ),
                Some((_, q)) if !q.kind.takes_options() => bad(
                    number,
                    format!(
                        "a {} question takes no options: use single or multiple",
                        q.kind.as_str()
                    ),
                ),
                Some(_) if option.is_empty() => bad(number, "write the option after '-'".into()),
                Some(_) if option.chars().count() > MOST_OPTION => bad(
                    number,
                    format!("an option takes at most {MOST_OPTION} characters"),
                ),
                Some((_, q)) if q.options.iter().any(|o| same(o, &option)) => {
                    bad(number, format!("'{option}' is already an option"))
                }
                Some((_, q)) if q.options.len() == MOST_OPTIONS => bad(
                    number,
                    format!("a question takes at most {MOST_OPTIONS} options"),
                ),
                Some((_, q)) => q.options.push(option),
            }
            continue;
        }
        let Some((kind, prompt)) = line.split_once(':') else {
            bad(
                number,
                "start a question with its kind: single:, multiple:, scale: or text:".into(),
            );
            continue;
        };
        let Some(kind) = QuestionKind::parse(&kind.to_lowercase()) else {
            bad(
                number,
                format!(
                    "'{}' is not a kind of question: use single, multiple, scale or text",
                    kind.trim()
                ),
            );
            continue;
        };
        let prompt = prompt.split_whitespace().collect::<Vec<_>>().join(" ");
        if prompt.is_empty() {
            bad(number, "write the question after the colon".into());
        } else if prompt.chars().count() > MOST_PROMPT {
            bad(
                number,
                format!("a question takes at most {MOST_PROMPT} characters"),
            );
        } else if questions.len() == MOST_QUESTIONS {
            bad(
                number,
                format!("a survey takes at most {MOST_QUESTIONS} questions"),
            );
        } else {
            questions.push((
                number,
                Question {
                    kind,
                    prompt,
                    options: Vec::new(),
                },
            ));
        }
    }
    for (line, q) in &questions {
        if q.kind.takes_options() && q.options.len() < 2 {
            bad(
                *line,
                "give this question at least two options, each on a line below it starting with '-'"
                    .into(),
            );
        }
    }
    let nothing = questions.is_empty();
    if problems.is_empty() && nothing {
        return Err(vec![LineProblem {
            line: 1,
            message: "a survey needs at least one question".into(),
        }]);
    }
    if problems.is_empty() {
        Ok(questions.into_iter().map(|(_, q)| q).collect())
    } else {
        Err(problems)
    }
}

/// The questions in their text form: what `parse_questions` reads back to the same.
pub fn questions_text(questions: &[Question]) -> String {
    let mut out = String::new();
    for q in questions {
        out.push_str(&format!("{}: {}\n", q.kind.as_str(), q.prompt));
        for o in &q.options {
            out.push_str(&format!("- {o}\n"));
        }
    }
    out
}

fn same(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// One question's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The options chosen, in their own words (one for a single choice).
    Chosen(Vec<String>),
    Scale(u8),
    Text(String),
}

/// The form field that carries question `index`'s answer (counted from 0).
pub fn field(index: usize) -> String {
    format!("q{}", index + 1)
}

/// Reads one set of answers from a form's fields (`q1`, `q2`…; a multiple choice repeats
/// its field; a choice's value is its option's number, counted from 1). A question may be
/// left out, but not every question; each mistake is named by its field.
pub fn read_answers(
    questions: &[Question],
    pairs: &[(String, String)],
) -> Result<Vec<Option<Answer>>, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut answers = Vec::with_capacity(questions.len());
    for (i, q) in questions.iter().enumerate() {
        let name = field(i);
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        let mut bad = |message: String| {
            problems.push(FieldProblem {
                field: name.clone(),
                message,
            })
        };
        if values.is_empty() {
            answers.push(None);
            continue;
        }
        let answer = match q.kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                if q.kind == QuestionKind::Single && values.len() > 1 {
                    bad("choose one answer".into());
                    None
                } else {
                    let mut chosen: Vec<String> = Vec::new();
                    for v in &values {
                        match v
                            .parse::<usize>()
                            .ok()
                            .and_then(|n| n.checked_sub(1))
                            .and_then(|n| q.options.get(n))
                        {
                            Some(o) if !chosen.contains(o) => chosen.push(o.clone()),
                            Some(_) => {}
                            None => bad(format!("'{v}' is not one of this question's options")),
                        }
                    }
                    Some(Answer::Chosen(chosen))
                }
            }
            QuestionKind::Scale => match values.as_slice() {
                [v] => match v.parse::<u8>() {
                    Ok(n) if (1..=SCALE_TOP).contains(&n) => Some(Answer::Scale(n)),
                    _ => {
                        bad(format!("choose a number from 1 to {SCALE_TOP}"));
                        None
                    }
                },
                _ => {
                    bad("choose one number".into());
                    None
                }
            },
            QuestionKind::Text => {
                let text = values.join("\n");
                if let Err(e) = check_text(&text, true) {
                    bad(e);
                    None
                } else if text.chars().count() > MOST_TEXT {
                    bad(format!("write at most {MOST_TEXT} characters"));
                    None
                } else {
                    Some(Answer::Text(text))
                }
            }
        };
        answers.push(answer);
    }
    if problems.is_empty() && answers.iter().all(Option::is_none) {
        problems.push(FieldProblem {
            field: field(0),
            message: "answer at least one question".into(),
        });
    }
    if problems.is_empty() {
        Ok(answers)
    } else {
        Err(problems)
    }
}

/// One question's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// How many answered it.
    pub answered: usize,
    /// Each option (or each point of a scale, "1" to "5") and how many chose it.
    pub counts: Vec<(String, usize)>,
    /// A scale's average, in tenths (37 is 3.7).
    pub mean_tenths: Option<u32>,
    /// Free-text answers, in the order given.
    pub texts: Vec<String>,
}

/// The results of each question from every response (a response's answers in question
/// order). An answer to an option the question no longer has is counted under it still,
/// after the question's own options.
pub fn tally(questions: &[Question], responses: &[Vec<Option<Answer>>]) -> Vec<Tally> {
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut counts: Vec<(String, usize)> = match q.kind {
                QuestionKind::Scale => (1..=SCALE_TOP).map(|n| (n.to_string(), 0)).collect(),
                _ => q.options.iter().map(|o| (o.clone(), 0)).collect(),
            };
            let mut t = Tally {
                answered: 0,
                counts: Vec::new(),
                mean_tenths: None,
                texts: Vec::new(),
            };
            let mut sum = 0u64;
            for answer in responses.iter().filter_map(|r| r.get(i)).flatten() {
                t.answered += 1;
                let mut count = |label: &str| match counts.iter_mut().find(|(o, _)| same(o, label))
                {
                    Some((_, n)) => *n += 1,
                    None => counts.push((label.to_string(), 1)),
                };
                match answer {
                    Answer::Chosen(chosen) => chosen.iter().for_each(|c| count(c)),
                    Answer::Scale(n) => {
                        sum += u64::from(*n);
                        count(&n.to_string());
                    }
                    Answer::Text(text) => t.texts.push(text.clone()),
                }
            }
            if q.kind == QuestionKind::Scale && t.answered > 0 {
                t.mean_tenths =
                    u32::try_from((sum * 10 + t.answered as u64 / 2) / t.answered as u64).ok();
            }
            if q.kind != QuestionKind::Text {
                t.counts = counts;
            }
            t
        })
        .collect()
}

/// A member-list filter on an answer: people whose answer to question `question`
/// (counted from 1) of survey `survey` (its public id) chose `value` (an option's words,
/// in any case) or, on a scale, gave that number. Written `SURVEY:QUESTION:VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerFilter {
    pub survey: String,
    pub question: u32,
    pub value: String,
}

impl AnswerFilter {
    pub fn parse(text: &str) -> Result<AnswerFilter, String> {
        let usage = "write it as SURVEY:QUESTION:ANSWER, as a survey's results link it";
        let mut parts = text.splitn(3, ':');
        let (Some(survey), Some(question), Some(value)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("'{text}' is not an answer filter: {usage}"));
        };
        let Some(survey) = super::fields::read_public_id(survey) else {
            return Err(format!("'{}' is not a survey's id: {usage}", survey.trim()));
        };
        let question = match question.trim().parse::<u32>() {
            Ok(n) if (1..=MOST_QUESTIONS as u32).contains(&n) => n,
            _ => {
                return Err(format!(
                    "'{}' is not a question's number from 1 to {MOST_QUESTIONS}",
                    question.trim()
                ));
            }
        };
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() || value.chars().count() > MOST_OPTION {
            return Err(format!(
                "give the answer after the second colon, in at most {MOST_OPTION} characters"
            ));
        }
        Ok(AnswerFilter {
            survey,
            question,
            value,
        })
    }

    pub fn as_text(&self) -> String {
        format!("{}:{}:{}", self.survey, self.question, self.value)
    }

    /// The value as a scale's point, if it is one.
    pub fn scale_point(&self) -> Option<i32> {
        self.value
            .parse::<u8>()
            .ok()
            .filter(|n| (1..=SCALE_TOP).contains(n))
            .map(i32::from)
    }
}

/// A ready-made survey: its title, its introduction and its questions' text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadyMade {
    pub key: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub questions: &'static str,
}

/// The ready-made surveys: the Women's Officer's first step (what women members want to
/// do and learn), and what new members hope for.
pub const READY_MADE: [ReadyMade; 2] = [
    ReadyMade {
        key: "women_interests",
        title: "Women members: your interests and training",
        intro: "We want the local party to be a place where every woman member has a real voice. Tell us what you would like to do, what would help you take part, and what training you would like: it shapes the women's branch's meetings, events and courses this year.",
        questions: "multiple: Which of these would you like to be involved in?
- Campaigning and canvassing
- Policy discussion
- Standing for office (branch, council or parliament)
- Social events
- Working with local women's organisations
- Fundraising
multiple: What training would you like?
- Public speaking
- Chairing meetings
- Campaigning and canvassing
- Using social media
- Standing as a candidate
- Being a branch officer
single: When can you usually come to meetings?
- Weekday daytimes
- Weekday evenings
- Weekends
- It varies
scale: How confident do you feel speaking up at party meetings? (1 not at all, 5 very)
multiple: What would make it easier for you to take part?
- Childcare or caring cover
- Meetings at a different time
- Online meetings
- Travel help
- Women-only sessions
- A buddy for my first meetings
text: Is there anything else you would like us to know?
",
    },
    ReadyMade {
        key: "new_members",
        title: "Welcome: what would you like to do?",
        intro: "Thank you for joining. A few questions, so that your branch can ask you to the things you want to do and not the ones you don't.",
        questions: "multiple: What made you join?
- A particular issue
- The national party
- Our local councillors and campaigns
- A friend or family member asked me
- Something else
multiple: Which of these would you like to do?
- Come to branch meetings
- Deliver leaflets
- Knock on doors
- Help at street stalls
- Make phone calls
- Help behind the scenes (admin, social media, design)
- Just be a member for now
single: How much time could you give in a usual month?
- Less than an hour
- A few hours
- A day or more
scale: How welcome have you felt so far? (1 not at all, 5 very)
text: Is there anything you would like to tell us, or ask?
",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn questions_read_from_their_text() {
        let qs = parse_questions(
            "single: Which evening?\n- Monday\n-  Tuesday \n\n# a comment\nScale: How sure are you?\ntext:  Anything   else?\nmultiple: What training?\n- Speaking\n- Chairing\n",
        )
        .expect("parses");
        assert_eq!(qs.len(), 4);
        assert_eq!(qs[0].kind, QuestionKind::Single);
        assert_eq!(qs[0].options, vec!["Monday", "Tuesday"]);
        assert_eq!(qs[1].kind, QuestionKind::Scale);
        assert_eq!(qs[2].prompt, "Anything else?");
        assert_eq!(qs[3].options.len(), 2);
    }

    #[test]
    fn the_text_form_reads_back_the_same() {
        for r in READY_MADE {
            let qs = parse_questions(r.questions).expect(r.key);
            assert_eq!(parse_questions(&questions_text(&qs)), Ok(qs));
        }
    }

    #[test]
    fn mistakes_are_named_by_line() {
        let e = parse_questions("single: One?\n- Only\nwhat: Two?\ntext:\nscale: Three?\n- no\n")
            .expect_err("bad");
        let lines: Vec<usize> = e.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 4, 6, 1], "{e:?}");
        assert!(e[0].message.contains("'what' is not a kind"), "{e:?}");
        assert!(e[2].message.contains("takes no options"), "{e:?}");
        assert!(e[3].message.contains("at least two options"), "{e:?}");
    }

    #[test]
    fn an_option_before_any_question_and_a_line_without_a_kind_are_mistakes() {
        let e = parse_questions("- first\nJust a question?").expect_err("bad");
        assert_eq!(e.len(), 2);
        assert!(e[0].message.contains("belongs under a question"));
        assert!(e[1].message.contains("start a question with its kind"));
    }

    #[test]
    fn an_empty_survey_and_repeated_options_are_refused() {
        assert!(parse_questions("\n# nothing\n").is_err());
        let e = parse_questions("single: Q\n- Yes\n- yes\n- No").expect_err("repeat");
        assert_eq!(e[0].line, 3);
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(parse_questions("text: Hello\u{7}?").is_err());
    }

    #[test]
    fn too_many_questions_are_refused() {
        let text = "text: Q\n".repeat(MOST_QUESTIONS + 1);
        let e = parse_questions(&text).expect_err("too many");
        assert_eq!(e[0].line, MOST_QUESTIONS + 1);
    }

    fn survey() -> Vec<Question> {
        parse_questions("single: Evening?\n- Mon\n- Tue\nmultiple: Training?\n- Speaking\n- Chairing\n- Canvassing\nscale: Confident?\ntext: Else?").expect("parses")
    }

    #[test]
    fn answers_read_from_a_form() {
        let a = read_answers(
            &survey(),
            &pairs(&[
                ("q1", "2"),
                ("q2", "1"),
                ("q2", "3"),
                ("q2", "1"),
                ("q3", "4"),
                ("q4", "  "),
            ]),
        )
        .expect("reads");
        assert_eq!(
            a,
            vec![
                Some(Answer::Chosen(vec!["Tue".into()])),
                Some(Answer::Chosen(vec!["Speaking".into(), "Canvassing".into()])),
                Some(Answer::Scale(4)),
                None,
            ]
        );
    }

    #[test]
    fn bad_answers_are_named_by_field() {
        let e = read_answers(
            &survey(),
            &pairs(&[
                ("q1", "1"),
                ("q1", "2"),
                ("q2", "9"),
                ("q3", "6"),
                ("q4", "a\u{0}b"),
            ]),
        )
        .expect_err("bad");
        let fields: Vec<&str> = e.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["q1", "q2", "q3", "q4"]);
        let none = read_answers(&survey(), &pairs(&[("q9", "1")])).expect_err("nothing");
        assert_eq!(none[0].message, "answer at least one question");
        let long = "x".repeat(MOST_TEXT + 1);
        assert!(read_answers(&survey(), &pairs(&[("q4", &long)])).is_err());
        assert!(read_answers(&survey(), &pairs(&[("q3", "0")])).is_err());
        assert!(read_answers(&survey(), &pairs(&[("q1", "-1")])).is_err());
    }

    #[test]
    fn results_count_each_option_and_scale_point() {
        let qs = survey();
        let r = |a: &[(&str, &str)]| read_answers(&qs, &pairs(a)).expect("reads");
        let t = tally(
            &qs,
            &[
                r(&[
                    ("q1", "1"),
                    ("q2", "1"),
                    ("q2", "2"),
                    ("q3", "5"),
                    ("q4", "More please"),
                ]),
                r(&[("q1", "1"), ("q2", "1"), ("q3", "2")]),
                r(&[("q2", "3")]),
                vec![Some(Answer::Chosen(vec!["Wednesday".into()]))],
            ],
        );
        assert_eq!(t[0].answered, 3);
        assert_eq!(
            t[0].counts,
            vec![
                ("Mon".into(), 2),
                ("Tue".into(), 0),
                ("Wednesday".into(), 1)
            ]
        );
        assert_eq!(
            t[1].counts,
            vec![
                ("Speaking".into(), 2),
                ("Chairing".into(), 1),
                ("Canvassing".into(), 1)
            ]
        );
        assert_eq!(t[1].answered, 3);
        assert_eq!(t[2].counts[4], ("5".into(), 1));
        assert_eq!(t[2].mean_tenths, Some(35));
        assert!(t[3].counts.is_empty());
        assert_eq!(t[3].texts, vec!["More please".to_string()]);
        assert_eq!(tally(&qs, &[])[2].mean_tenths, None);
    }

    #[test]
    fn an_answer_filter_reads_survey_question_and_answer() {
        let f = AnswerFilter::parse("0190ABCD-0000:2:Public  speaking").expect("reads");
        assert_eq!(f.survey, "0190abcd-0000");
        assert_eq!(f.question, 2);
        assert_eq!(f.value, "Public speaking");
        assert_eq!(f.scale_point(), None);
        assert_eq!(AnswerFilter::parse(&f.as_text()), Ok(f));
        assert_eq!(
            AnswerFilter::parse("abc:1:4").expect("reads").scale_point(),
            Some(4)
        );
        for bad in [
            "", "abc", "abc:1", "abc:0:x", "abc:x:y", "zz!:1:x", "abc:1: ", "abc:31:x",
        ] {
            assert!(AnswerFilter::parse(bad).is_err(), "{bad}");
        }
    }
}
