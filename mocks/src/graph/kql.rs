//! The KQL subset mock-arm understands: the query shapes rdpaudit sends, and nothing that would
//! make the mock quietly answer something Resource Graph would not. Anything else is rejected
//! (400 `InvalidQuery`), so a client that starts sending a new shape finds out in its tests.
//!
//! ```text
//! query     := [ "Resources" ] { "|" operator }
//! operator  := where | project | order | limit
//! where     := "where" condition { "and" condition }
//! condition := column ( "=~" | "==" ) string
//!            | column ( "in~" | "in" ) "(" string { "," string } ")"
//! project   := "project" column { "," column }
//! order     := ( "order" | "sort" ) "by" "id" [ "asc" | "desc" ]
//! limit     := ( "limit" | "take" ) integer
//! string    := '…' | "…"            (backslash escapes \\ \' \" \n \t)
//! ```
//!
//! Keywords, the table name and `asc`/`desc` are case-insensitive; column names are exact, as in
//! KQL (`Type` is an error). `where` compares string columns only (`=~`/`in~` ignore ASCII
//! case, `==`/`in` do not). `order by id` without a direction is descending, as in KQL.
//! Whitespace and newlines are free; `//` starts a comment. A query may start with an operator
//! (Resource Graph then assumes `Resources`).

use crate::rows::Column;

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    /// All must hold (`where` clauses and `and` combine the same way).
    pub conditions: Vec<Condition>,
    /// Output columns, in order: the `project` list, or every column.
    pub columns: Vec<Column>,
    /// `order by id desc`.
    pub descending: bool,
    /// `limit` / `take`.
    pub limit: Option<u64>,
}

/// `column =~ 'x'`, `column in~ ('x', 'y')` and their case-sensitive forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    /// A string column.
    pub column: Column,
    /// Any of these values matches.
    pub values: Vec<String>,
    /// `=~` / `in~`.
    pub ignore_case: bool,
}

impl Condition {
    /// Whether a row's value of the column satisfies the condition.
    pub fn matches(&self, value: &str) -> bool {
        self.values.iter().any(|v| {
            if self.ignore_case {
                v.eq_ignore_ascii_case(value)
            } else {
                v == value
            }
        })
    }
}

/// Parses a query; the error names what the mock does not understand.
pub(crate) fn parse(text: &str) -> Result<Query, String> {
    let toks = lex(text)?;
    Parser { toks, pos: 0 }.query()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An identifier or keyword (`in~` is one word).
    Word(String),
    /// A string literal, unescaped.
    Str(String),
    /// A non-negative integer literal.
    Int(u64),
    /// Punctuation or an operator (`|`, `(`, `==`, `=~`, `!=`, …).
    Sym(String),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Str(s) => format!("the string '{s}'"),
            Tok::Int(n) => format!("'{n}'"),
            Tok::Sym(s) => format!("'{s}'"),
        }
    }
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while chars.get(i).is_some_and(|&c| c != '\n') {
                i += 1;
            }
        } else if c == '\'' || c == '"' {
            let (s, next) = string_literal(&chars, i)?;
            toks.push(Tok::Str(s));
            i = next;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            let mut word: String = chars[start..i].iter().collect();
            if word.eq_ignore_ascii_case("in") && chars.get(i) == Some(&'~') {
                word.push('~');
                i += 1;
            }
            toks.push(Tok::Word(word));
        } else if c.is_ascii_digit() {
            let start = i;
            while chars.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
            let digits: String = chars[start..i].iter().collect();
            if chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == '.')
            {
                return Err(format!("the literal starting '{digits}'"));
            }
            let n = digits
                .parse::<u64>()
                .map_err(|_| format!("the number {digits}"))?;
            toks.push(Tok::Int(n));
        } else if "=!~<>".contains(c) {
            let start = i;
            while chars.get(i).is_some_and(|c| "=!~<>".contains(*c)) {
                i += 1;
            }
            toks.push(Tok::Sym(chars[start..i].iter().collect()));
        } else {
            toks.push(Tok::Sym(c.to_string()));
            i += 1;
        }
    }
    Ok(toks)
}

/// Reads the string literal opening at `chars[start]`; returns it and the index after it.
fn string_literal(chars: &[char], start: usize) -> Result<(String, usize), String> {
    let quote = chars[start];
    let mut out = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err("an unterminated string literal".into()),
            Some(&c) if c == quote => return Ok((out, i + 1)),
            Some('\\') => {
                let escaped = match chars.get(i + 1) {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some(&c @ ('\\' | '\'' | '"')) => c,
                    Some(c) => return Err(format!("the escape sequence '\\{c}'")),
                    None => return Err("an unterminated string literal".into()),
                };
                out.push(escaped);
                i += 2;
            }
            Some(&c) => {
                out.push(c);
                i += 1;
            }
        }
    }
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

const OPERATORS: &[&str] = &["where", "project", "order", "sort", "limit", "take"];

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn peek_sym(&self, sym: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(s)) if s == sym)
    }

    fn expect_sym(&mut self, sym: &str, context: &str) -> Result<(), String> {
        match self.next() {
            Some(Tok::Sym(s)) if s == sym => Ok(()),
            Some(t) => Err(format!(
                "{} where '{sym}' was expected {context}",
                t.describe()
            )),
            None => Err(format!(
                "the end of the query where '{sym}' was expected {context}"
            )),
        }
    }

    fn query(mut self) -> Result<Query, String> {
        let mut q = Query {
            conditions: Vec::new(),
            columns: Column::ALL.to_vec(),
            descending: false,
            limit: None,
        };
        // `Resources | …`, or straight into an operator: Resource Graph defaults the table.
        match self.peek() {
            None => return Err("an empty query".into()),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("resources") => self.pos += 1,
            Some(Tok::Word(w)) if !OPERATORS.iter().any(|o| w.eq_ignore_ascii_case(o)) => {
                return Err(format!("the table '{w}' (only Resources is served)"));
            }
            Some(Tok::Word(_)) => self.operator(&mut q)?,
            Some(t) => return Err(format!("a query starting with {}", t.describe())),
        }
        while let Some(t) = self.next() {
            if t != Tok::Sym("|".into()) {
                return Err(format!("{} where '|' was expected", t.describe()));
            }
            if self.peek().is_none() {
                return Err("a '|' with no operator after it".into());
            }
            self.operator(&mut q)?;
        }
        Ok(q)
    }

    fn operator(&mut self, q: &mut Query) -> Result<(), String> {
        let op = match self.next() {
            Some(Tok::Word(w)) => w.to_ascii_lowercase(),
            Some(t) => return Err(format!("{} where an operator was expected", t.describe())),
            None => return Err("a missing operator".into()),
        };
        if q.limit.is_some() && matches!(op.as_str(), "where" | "order" | "sort") {
            // Filtering or sorting a limited set is a different query; rdpaudit never sends it.
            return Err(format!("'{op}' after 'limit'"));
        }
        match op.as_str() {
            "where" => {
                q.conditions.push(self.condition(&q.columns)?);
                while self.peek_word("and") {
                    self.pos += 1;
                    q.conditions.push(self.condition(&q.columns)?);
                }
            }
            "project" => q.columns = self.project(&q.columns)?,
            "order" | "sort" => {
                match self.next() {
                    Some(Tok::Word(w)) if w.eq_ignore_ascii_case("by") => {}
                    _ => return Err(format!("'{op}' without 'by'")),
                }
                match self.next() {
                    Some(Tok::Word(w)) if w == "id" && q.columns.contains(&Column::Id) => {}
                    Some(Tok::Word(w)) if w == "id" => {
                        return Err("'order by id' after 'project' removed id".into());
                    }
                    Some(t) => {
                        return Err(format!("ordering by {} (only by id)", t.describe()));
                    }
                    None => return Err(format!("'{op} by' without a column")),
                }
                // KQL sorts descending unless told otherwise.
                q.descending = true;
                if self.peek_word("asc") {
                    q.descending = false;
                    self.pos += 1;
                } else if self.peek_word("desc") {
                    self.pos += 1;
                }
            }
            "limit" | "take" => match self.next() {
                Some(Tok::Int(n)) => q.limit = Some(q.limit.map_or(n, |l| l.min(n))),
                _ => return Err(format!("'{op}' without a number")),
            },
            other => return Err(format!("the operator '{other}'")),
        }
        match self.peek() {
            None => Ok(()),
            Some(t) if *t == Tok::Sym("|".into()) => Ok(()),
            Some(t) => Err(format!("{} after the '{op}' clause", t.describe())),
        }
    }

    fn column(&mut self, available: &[Column]) -> Result<Column, String> {
        match self.next() {
            Some(Tok::Word(w)) => match Column::parse(&w) {
                Some(c) if available.contains(&c) => Ok(c),
                Some(_) => Err(format!("the column '{w}' after 'project' removed it")),
                None => Err(format!("the column '{w}'")),
            },
            Some(t) => Err(format!("{} where a column was expected", t.describe())),
            None => Err("the end of the query where a column was expected".into()),
        }
    }

    fn condition(&mut self, available: &[Column]) -> Result<Condition, String> {
        let column = self.column(available)?;
        if !column.is_string() {
            return Err(format!(
                "a condition on the dynamic column '{}'",
                column.name()
            ));
        }
        let (list, ignore_case) = match self.next() {
            Some(Tok::Sym(s)) if s == "=~" => (false, true),
            Some(Tok::Sym(s)) if s == "==" => (false, false),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("in~") => (true, true),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("in") => (true, false),
            Some(t) => return Err(format!("the comparison {}", t.describe())),
            None => return Err("a condition without a comparison".into()),
        };
        let values = if list {
            self.expect_sym("(", "after 'in'")?;
            let mut values = vec![self.string()?];
            while self.peek_sym(",") {
                self.pos += 1;
                values.push(self.string()?);
            }
            self.expect_sym(")", "to close the list")?;
            values
        } else {
            vec![self.string()?]
        };
        Ok(Condition {
            column,
            values,
            ignore_case,
        })
    }

    fn string(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(s),
            Some(t) => Err(format!(
                "{} where a string literal was expected",
                t.describe()
            )),
            None => Err("the end of the query where a string literal was expected".into()),
        }
    }

    fn project(&mut self, available: &[Column]) -> Result<Vec<Column>, String> {
        let mut columns = vec![self.column(available)?];
        while self.peek_sym(",") {
            self.pos += 1;
            let c = self.column(available)?;
            if columns.contains(&c) {
                return Err(format!("the column '{}' projected twice", c.name()));
            }
            columns.push(c);
        }
        if self.peek_sym("=") {
            return Err("renaming columns in 'project'".into());
        }
        Ok(columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_query_rdpaudit_sends() {
        let q = parse(
            "Resources\n| where type in~ ('microsoft.compute/virtualmachines', \"microsoft.network/networkinterfaces\")\n\
             | where resourceGroup in~ ('rg-web')\n\
             | project id, name, type, location, resourceGroup, subscriptionId, sku, properties\n| order by id asc",
        )
        .expect("parses");
        assert_eq!(q.conditions.len(), 2);
        assert!(q.conditions[0].matches("Microsoft.Compute/virtualMachines"));
        assert!(q.conditions[1].matches("RG-WEB"));
        assert_eq!(q.columns.len(), 8);
        assert_eq!(q.columns[7], Column::Properties);
        assert!(!q.descending);
        assert_eq!(q.limit, None);
    }

    #[test]
    fn keywords_are_case_insensitive_and_comments_skipped() {
        let q = parse(
            "resources // all of them\n  |  WHERE type =~ 'x' AND name == 'Vm1'\n|SORT BY id|TAKE 5|limit 9",
        )
        .expect("parses");
        assert!(q.descending, "order by without a direction is descending");
        assert_eq!(q.limit, Some(5));
        assert!(q.conditions[0].matches("X"));
        assert!(q.conditions[1].matches("Vm1") && !q.conditions[1].matches("vm1"));
        assert_eq!(q.columns, Column::ALL.to_vec());
        let implicit = parse("where type == 'a' | project id").expect("parses");
        assert_eq!(implicit.columns, [Column::Id]);
        let escaped = parse(r"Resources | where name == 'it\'s'").expect("parses");
        assert!(escaped.conditions[0].matches("it's"));
    }

    #[test]
    fn rejects_what_it_does_not_understand() {
        for (q, why) in [
            ("", "an empty query"),
            (
                "ResourceContainers | project id",
                "the table 'ResourceContainers'",
            ),
            ("Resources | extend x = 1", "the operator 'extend'"),
            ("Resources | where type != 'x'", "the comparison '!='"),
            (
                "Resources | where type contains 'x'",
                "the comparison 'contains'",
            ),
            ("Resources | where Type =~ 'x'", "the column 'Type'"),
            (
                "Resources | where properties =~ 'x'",
                "dynamic column 'properties'",
            ),
            (
                "Resources | project id | where name =~ 'x'",
                "'name' after 'project'",
            ),
            ("Resources | project id, id", "projected twice"),
            ("Resources | project n = name", "the column 'n'"),
            ("Resources | project id = name", "renaming"),
            ("Resources | order by name asc", "only by id"),
            (
                "Resources | limit 3 | where name == 'a'",
                "'where' after 'limit'",
            ),
            ("Resources | where type =~ 'x", "unterminated"),
            (
                "Resources | where type in~ ()",
                "string literal was expected",
            ),
            ("Resources |", "no operator"),
            (
                "Resources | summarize count() by type",
                "the operator 'summarize'",
            ),
            (
                "Resources | where type =~ 'a' or type =~ 'b'",
                "'or' after the 'where' clause",
            ),
            ("Resources | take 5m", "literal starting '5'"),
        ] {
            let err = parse(q).expect_err(q);
            assert!(err.contains(why), "{q:?}: {err:?} does not mention {why:?}");
        }
    }
}
