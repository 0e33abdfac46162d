//! The one table style every table-shaped output shares: the border preset, the colours, and
//! how wide a table may grow. Pure: the CLI decides whether the output is a terminal.

use comfy_table::{presets, ContentArrangement, Table, TableStyle};

/// The width tables wrap to when the output is not a terminal (pipes, files, CI logs).
pub(crate) const PIPE_WIDTH: u16 = 160;

/// The width to wrap to: `None` lets comfy-table ask the terminal.
pub(crate) fn width(is_terminal: bool) -> Option<u16> {
    if is_terminal {
        None
    } else {
        Some(PIPE_WIDTH)
    }
}

/// A bordered table with a header row (findings, the rule list), wrapped to `width`.
pub(crate) fn table(header: &[&str], width: Option<u16>) -> Table {
    let mut t = base(presets::UTF8_FULL_CONDENSED, width);
    t.set_header(header.to_vec());
    t
}

/// A borderless, headerless table (the hops of a `check` path), wrapped to `width`.
pub(crate) fn plain_table(width: Option<u16>) -> Table {
    base(presets::NOTHING, width)
}

fn base(preset: TableStyle, width: Option<u16>) -> Table {
    let mut t = Table::new();
    t.load_style(preset)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        t.set_width(w);
    }
    t
}

/// The colours the table output uses (ANSI SGR codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    Bold,
    Good,
    Bad,
    Doubt,
}

impl Tone {
    fn code(self) -> &'static str {
        match self {
            Tone::Bold => "1",
            Tone::Good => "1;32",
            Tone::Bad => "1;31",
            Tone::Doubt => "1;33",
        }
    }
}

/// `s` in `tone` when `color`, else unchanged.
pub(crate) fn paint(color: bool, tone: Tone, s: &str) -> String {
    if color {
        format!("\x1b[{}m{s}\x1b[0m", tone.code())
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paints_only_with_colour() {
        assert_eq!(paint(false, Tone::Bad, "BLOCKED"), "BLOCKED");
        assert_eq!(
            paint(true, Tone::Bad, "BLOCKED"),
            "\x1b[1;31mBLOCKED\x1b[0m"
        );
        assert_eq!(paint(true, Tone::Bold, "vm"), "\x1b[1mvm\x1b[0m");
    }

    #[test]
    fn wraps_to_the_pipe_width_off_a_terminal() {
        assert_eq!(width(false), Some(PIPE_WIDTH));
        assert_eq!(width(true), None);
        let mut t = table(&["A", "B"], width(false));
        t.add_row(vec!["x".repeat(400), "y".into()]);
        let text = t.to_string();
        assert!(text
            .lines()
            .all(|l| l.chars().count() <= usize::from(PIPE_WIDTH)));
        assert!(text.starts_with('┌'));
        assert!(!plain_table(None).to_string().contains('┌'));
    }
}
