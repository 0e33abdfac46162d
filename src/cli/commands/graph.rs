//! `rdpaudit graph`: the RDP reachability graph (VMs and source classes; edges: who can open
//! RDP to whom, with the deciding rules) as Graphviz dot, Mermaid or JSON.

use super::assess::{assess_report, Lateral, Subject};
use crate::cli::args::{GraphArgs, GraphFormat};
use crate::cli::{output, CliError, ExitStatus};
use crate::report::graph;

pub(crate) fn run(args: &GraphArgs) -> Result<ExitStatus, CliError> {
    let lateral = Lateral {
        full: true,
        from: None,
    };
    let subject = Subject::Scope(&args.scope);
    let (report, _) = assess_report(&args.input, &args.eval, subject, false, lateral)?;
    let g = graph::Graph::of(&report);
    output::print(&match args.output {
        GraphFormat::Dot => g.dot(),
        GraphFormat::Mermaid => g.mermaid(),
        GraphFormat::Json => g.json(),
    });
    Ok(if report.complete {
        ExitStatus::Clean
    } else {
        ExitStatus::Incomplete
    })
}
