//! `rdpaudit graph`: the RDP reachability graph (VMs and source classes; edges: who can open
//! RDP to whom, with the deciding rules) as Graphviz dot, Mermaid or JSON.

use super::assess::{prepare, Assessed, Flags, Lateral, Subject};
use crate::cli::args::{GraphArgs, GraphFormat};
use crate::cli::{output, CliError, ExitStatus};
use crate::report::graph;

pub(crate) fn run(args: &GraphArgs) -> Result<ExitStatus, CliError> {
    let lateral = Lateral {
        full: true,
        from: None,
    };
    let subject = Subject::Scope(&args.scope);
    let flags = Flags {
        input: &args.input,
        eval: &args.eval,
        out: &args.quiet_output(),
        keep_raw: false,
    };
    let Assessed { report, .. } = prepare(flags, subject, lateral)?;
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
