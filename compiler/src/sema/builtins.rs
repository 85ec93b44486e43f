//! The built-in functions: names and arities. Their typing rules and run-time
//! semantics belong to the checker and the interpreter; the list here is what
//! name resolution needs, and `docs/language.md` documents each one.

/// A built-in function.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    pub min_args: usize,
    /// `None`: any number from `min_args` on.
    pub max_args: Option<usize>,
    pub signature: &'static str,
    pub summary: &'static str,
}

impl Builtin {
    pub fn accepts(&self, n: usize) -> bool {
        n >= self.min_args && self.max_args.is_none_or(|max| n <= max)
    }

    pub fn arity_text(&self) -> String {
        let args = |n: usize| format!("{n} argument{}", if n == 1 { "" } else { "s" });
        match self.max_args {
            Some(max) if max == self.min_args => args(max),
            Some(max) => format!("{} to {}", self.min_args, args(max)),
            None => format!("at least {}", args(self.min_args)),
        }
    }
}

const fn f(
    name: &'static str,
    min_args: usize,
    max_args: Option<usize>,
    signature: &'static str,
    summary: &'static str,
) -> Builtin {
    Builtin {
        name,
        min_args,
        max_args,
        signature,
        summary,
    }
}

/// Every built-in function, by name.
pub const BUILTINS: &[Builtin] = &[
    f(
        "date",
        1,
        Some(1),
        "date(dtm)",
        "HL7 DTM/TS → FHIR date, keeping the source precision",
    ),
    f(
        "datetime",
        1,
        Some(2),
        "datetime(dtm, zone?)",
        "HL7 DTM/TS → FHIR dateTime; `zone` (IANA) applies only where the source has no offset",
    ),
    f(
        "instant",
        1,
        Some(2),
        "instant(dtm, zone?)",
        "HL7 DTM/TS → FHIR instant (needs seconds)",
    ),
    f("time", 1, Some(1), "time(tm)", "HL7 TM → FHIR time"),
    f(
        "decimal",
        1,
        Some(1),
        "decimal(nm)",
        "HL7 NM → FHIR decimal, kept as written",
    ),
    f(
        "integer",
        1,
        Some(1),
        "integer(nm)",
        "HL7 NM/SI → FHIR integer, range-checked",
    ),
    f("code", 1, Some(1), "code(id)", "HL7 ID/IS → FHIR code"),
    f(
        "string",
        1,
        Some(1),
        "string(value)",
        "any primitive value as text",
    ),
    f(
        "uuid5",
        2,
        None,
        "uuid5(resource_type, key, ...)",
        "deterministic id from a declared key: reruns never duplicate",
    ),
    f(
        "reference",
        2,
        Some(2),
        "reference(resource_type, id)",
        "a FHIR Reference to `resource_type/id`",
    ),
    f(
        "concat",
        1,
        None,
        "concat(text, ...)",
        "the texts joined, absent parts skipped",
    ),
    f(
        "valued",
        1,
        Some(1),
        "valued(value)",
        "true when the value is present and not the HL7 null `\"\"`",
    ),
    f(
        "count",
        1,
        Some(1),
        "count(values)",
        "how many repetitions or items there are",
    ),
    f(
        "first",
        1,
        Some(1),
        "first(values)",
        "the first repetition or item",
    ),
    f("upper", 1, Some(1), "upper(text)", "upper-case text"),
    f("lower", 1, Some(1), "lower(text)", "lower-case text"),
    f(
        "trim",
        1,
        Some(1),
        "trim(text)",
        "text without leading and trailing spaces",
    ),
    f(
        "reject",
        1,
        Some(1),
        "reject(reason)",
        "reject the message with this (PHI-free) reason",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arities_read_naturally() {
        let by_name = |n: &str| BUILTINS.iter().find(|b| b.name == n).unwrap();
        assert_eq!(by_name("date").arity_text(), "1 argument");
        assert_eq!(by_name("datetime").arity_text(), "1 to 2 arguments");
        assert_eq!(by_name("uuid5").arity_text(), "at least 2 arguments");
        assert!(by_name("uuid5").accepts(5));
        assert!(!by_name("date").accepts(2));
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BUILTINS.len());
    }
}
