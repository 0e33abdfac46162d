//! `--output html`: one self-contained page for people — a summary, a sortable and filterable
//! VM table, and per VM its path drawn hop by hop with the deciding rule at each hop, findings
//! with their fixes, suppressions and (with `--baseline`) what changed.
//!
//! Self-contained: styles and the small sorting/filtering script are inline and nothing is
//! fetched, so the file works as a mail attachment. Every string that came from ARM (names,
//! rule names, messages, ids) is attacker-controlled and goes through [`esc`]; the script reads
//! only the DOM and never builds HTML from data.

use std::fmt::Write as _;

use super::overview::client_phrase;
use super::table::summary_line;
use super::{baseline, compliance, FindingReport, PathReport, Report, VmReport};
use crate::engine::Verdict;
use crate::rules::Severity;

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f2328}
header,main{max-width:1200px;margin:0 auto;padding:16px 24px}header{border-bottom:1px solid var(--line)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}h3{font-size:16px;margin:0}
.meta{color:var(--muted);margin:0}.banner{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px;margin-top:10px}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px;background:var(--bg)}
.card b{display:block;font-size:24px}.card.reachable b{color:var(--bad)}.card.blocked b{color:var(--ok)}.card.unknown b{color:var(--warn)}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);cursor:pointer;user-select:none;white-space:nowrap}th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
.tools{display:flex;gap:8px;margin-bottom:8px}.tools input,.tools select{padding:5px 8px;border:1px solid var(--line);border-radius:6px}.tools input{flex:1}
.v{font-weight:600}.v.reachable{color:var(--bad)}.v.blocked{color:var(--ok)}.v.unknown{color:var(--warn)}
.sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;color:#fff;background:var(--muted)}
.sev.critical,.sev.high{background:var(--bad)}.sev.medium{background:#bc4c00}.sev.low{background:var(--warn)}
.tag{display:inline-block;border:1px solid var(--line);border-radius:10px;padding:0 6px;font-size:12px;margin-left:4px}.tag.new{border-color:var(--bad);color:var(--bad)}
article.vm{border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:14px 0}code{font-size:12px;word-break:break-all;color:var(--muted)}
.path{margin:10px 0}.hops{display:flex;flex-wrap:wrap;align-items:stretch;gap:4px;list-style:none;padding:0;margin:6px 0}
.hops li{border:1px solid var(--line);border-radius:6px;padding:4px 8px;background:#fff;max-width:260px;font-size:12px}
.hops li+li::before{content:"→";margin-right:6px;color:var(--muted)}.hops .k{font-weight:600}
.hops li.stop{border-color:var(--bad);background:#ffebe9}.hops li.unk{border-color:#d4a72c;background:#fff8c5}.hops li.pass{border-color:#4ac26b}
pre{white-space:pre-wrap;background:var(--bg);padding:6px 8px;border-radius:6px;margin:4px 0;font-size:12px}
.suppressed td{opacity:.6}.muted{color:var(--muted)}
"#;

const SCRIPT: &str = r#"
(function(){
var t=document.getElementById('vm-table');if(!t)return;
var body=t.tBodies[0],f=document.getElementById('vm-filter'),sel=document.getElementById('verdict-filter');
function apply(){var q=(f.value||'').toLowerCase(),v=sel.value,n=0;
 Array.prototype.forEach.call(body.rows,function(r){var ok=(!q||r.textContent.toLowerCase().indexOf(q)>=0)&&(!v||r.getAttribute('data-verdict')===v);r.hidden=!ok;if(ok)n++;});
 document.getElementById('vm-count').textContent=n;}
f.addEventListener('input',apply);sel.addEventListener('change',apply);
Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){th.addEventListener('click',function(){
 var asc=th.getAttribute('aria-sort')!=='ascending';Array.prototype.forEach.call(t.tHead.rows[0].cells,function(c){c.removeAttribute('aria-sort');});
 th.setAttribute('aria-sort',asc?'ascending':'descending');
 var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){
  var x=a.cells[i].getAttribute('data-sort')||a.cells[i].textContent,y=b.cells[i].getAttribute('data-sort')||b.cells[i].textContent;
  var nx=parseFloat(x),ny=parseFloat(y),c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?c:-c;});
 rows.forEach(function(r){body.appendChild(r);});});});
// A shareable view: report.html?q=web&verdict=reachable filters on open.
var qs=new URLSearchParams(location.search);if(qs.get('q'))f.value=qs.get('q');if(qs.get('verdict'))sel.value=qs.get('verdict');
apply();})();
"#;

/// Renders the whole report as one HTML document.
pub(crate) fn render(report: &Report) -> String {
    let mut out = String::with_capacity(4096 + report.vms.len() * 2048);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str("<title>rdpaudit report</title>\n<style>");
    out.push_str(STYLE);
    out.push_str("</style>\n</head>\n<body>\n");
    header(&mut out, report);
    out.push_str("<main>\n");
    summary(&mut out, report);
    if let Some(c) = &report.compliance {
        compliance_section(&mut out, c);
    }
    vm_table(&mut out, report);
    out.push_str("<section id=\"details\">\n<h2>VMs in detail</h2>\n");
    for (i, vm) in report.vms.iter().enumerate() {
        vm_detail(&mut out, i, vm, &client_label(report));
    }
    out.push_str("</section>\n");
    out.push_str(&lateral_section(report));
    if let Some(b) = &report.baseline {
        resolved_section(&mut out, b);
    }
    diagnostics(&mut out, report);
    out.push_str("</main>\n<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

fn header(out: &mut String, r: &Report) {
    let _ = write!(
        out,
        "<header>\n<h1>rdpaudit report</h1>\n<p class=\"meta\">{} · {} {}</p>\n",
        esc(&client_phrase(r)),
        esc(r.tool.name),
        esc(r.tool.version)
    );
    if !r.complete {
        out.push_str("<p class=\"banner\" id=\"incomplete\"><b>Incomplete audit:</b> some resources could not be read, so a clean result here is not proof (see Diagnostics).</p>\n");
    }
    out.push_str("</header>\n");
}

fn card(out: &mut String, class: &str, id: &str, n: usize, label: &str) {
    let _ = writeln!(
        out,
        "<div class=\"card {class}\" id=\"{id}\"><b>{n}</b>{}</div>",
        esc(label)
    );
}

fn summary(out: &mut String, r: &Report) {
    let s = &r.summary;
    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n");
    card(out, "", "sum-vms", s.vms, "Windows VMs");
    card(out, "reachable", "sum-reachable", s.reachable, "reachable");
    card(out, "blocked", "sum-blocked", s.blocked, "blocked");
    card(out, "unknown", "sum-unknown", s.unknown, "unknown");
    let exposed = r
        .vms
        .iter()
        .filter(|v| {
            v.findings
                .iter()
                .any(|f| f.rule_id == "RDP801" && !f.suppressed)
        })
        .count();
    card(
        out,
        "reachable",
        "sum-exposed",
        exposed,
        "open to the Internet",
    );
    out.push_str("</div>\n<div class=\"cards\" style=\"margin-top:12px\">\n");
    let f = &s.findings;
    for (n, sev) in [
        (f.critical, "critical"),
        (f.high, "high"),
        (f.medium, "medium"),
        (f.low, "low"),
        (f.info, "info"),
    ] {
        card(
            out,
            "",
            &format!("sum-{sev}"),
            n,
            &format!("{sev} findings"),
        );
    }
    out.push_str("</div>\n");
    let _ = writeln!(out, "<p class=\"muted\">{}</p>", esc(&summary_line(r)));
    if let Some(b) = &r.baseline {
        let _ = writeln!(
            out,
            "<p id=\"diff\">Since the baseline (rdpaudit {}): <b>{}</b> new, {} unchanged, <b>{}</b> resolved finding(s).</p>",
            esc(&b.tool_version),
            b.new,
            b.unchanged,
            b.resolved
        );
        if let Some(w) = &b.scope_warning {
            let _ = writeln!(out, "<p class=\"banner\">Warning: {}</p>", esc(w));
        }
        let lines: Vec<String> = r.vms.iter().flat_map(baseline::change_lines).collect();
        if !lines.is_empty() {
            out.push_str("<ul id=\"source-changes\">\n");
            for l in lines {
                let _ = writeln!(out, "<li>{}</li>", esc(&l));
            }
            out.push_str("</ul>\n");
        }
    }
    out.push_str("</section>\n");
}

fn compliance_section(out: &mut String, c: &compliance::ComplianceSummary) {
    let _ = writeln!(
        out,
        "<section id=\"compliance\">\n<h2>Compliance: {}</h2>\n<table>\n<thead><tr><th>Control</th><th>Status</th><th>Title</th><th>Rules</th><th>Failing VMs</th></tr></thead>\n<tbody>",
        esc(c.name)
    );
    for ctl in &c.controls {
        let _ = writeln!(
            out,
            "<tr class=\"control\"><td>{}</td><td class=\"v {}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(ctl.control),
            match ctl.status {
                compliance::Status::Pass => "blocked",
                compliance::Status::Fail => "reachable",
                compliance::Status::Unknown => "unknown",
            },
            ctl.status.as_str(),
            esc(ctl.title),
            esc(&ctl.rules.join(", ")),
            esc(&ctl.failing_vms.join(", ")),
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn worst(vm: &VmReport) -> Option<Severity> {
    vm.findings
        .iter()
        .filter(|f| !f.suppressed)
        .map(|f| f.severity)
        .max()
}

fn severity_rank(s: Option<Severity>) -> u8 {
    s.map(|s| s as u8 + 1).unwrap_or(0)
}

fn exposure(vm: &VmReport) -> String {
    let mut srcs: Vec<&str> = vm
        .rdp
        .paths
        .iter()
        // Private paths (internal frontends, private DNAT) are not exposure.
        .filter(|p| p.verdict == Verdict::Reachable && p.kind != "bastion" && p.frontend.is_none())
        .flat_map(|p| p.allowed_sources.iter().map(String::as_str))
        .collect();
    srcs.sort_unstable();
    srcs.dedup();
    srcs.join(", ")
}

fn vm_table(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "<section id=\"vms\">\n<h2>VMs (<span id=\"vm-count\">{}</span>)</h2>\n<div class=\"tools\"><input id=\"vm-filter\" type=\"search\" placeholder=\"Filter by name, group, rule…\" aria-label=\"Filter VMs\"><select id=\"verdict-filter\" aria-label=\"Verdict\"><option value=\"\">all verdicts</option><option value=\"reachable\">reachable</option><option value=\"blocked\">blocked</option><option value=\"unknown\">unknown</option></select></div>",
        r.vms.len()
    );
    out.push_str("<table id=\"vm-table\">\n<thead><tr><th>VM</th><th>Resource group</th><th>Power</th><th>Verdict</th><th>Open to</th><th>Worst finding</th><th>Findings</th></tr></thead>\n<tbody>\n");
    for (i, vm) in r.vms.iter().enumerate() {
        let w = worst(vm);
        let open = vm.findings.iter().filter(|f| !f.suppressed).count();
        let _ = writeln!(
            out,
            "<tr class=\"vm-row\" data-verdict=\"{v}\"><td><a href=\"#vm-{i}\">{}</a></td><td>{}</td><td>{}</td><td class=\"v {v}\">{v}</td><td>{}</td><td data-sort=\"{}\">{}</td><td data-sort=\"{open}\">{open}</td></tr>",
            esc(&vm.name),
            esc(&vm.resource_group),
            esc(&vm.power_state),
            esc(&exposure(vm)),
            severity_rank(w),
            w.map(|s| format!("<span class=\"sev {0}\">{0}</span>", s.as_str()))
                .unwrap_or_default(),
            v = vm.rdp.verdict.as_str(),
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// The first box of every drawn path: who is evaluated as the client.
fn client_label(r: &Report) -> String {
    if r.client == "internet" {
        "any Internet address".into()
    } else {
        r.client.clone()
    }
}

fn vm_detail(out: &mut String, i: usize, vm: &VmReport, client: &str) {
    let v = vm.rdp.verdict.as_str();
    let _ = writeln!(
        out,
        "<article class=\"vm\" id=\"vm-{i}\">\n<h3>{} <span class=\"v {v}\">{v}</span></h3>\n<code>{}</code>\n<p>{} · power {} · RDP port {}</p>",
        esc(&vm.name),
        esc(&vm.id.id),
        esc(&vm.rdp.explanation),
        esc(&vm.power_state),
        vm.rdp.port
    );
    for line in baseline::change_lines(vm) {
        let _ = writeln!(
            out,
            "<p class=\"change\"><span class=\"tag new\">changed</span> {}</p>",
            esc(&line)
        );
    }
    for p in &vm.rdp.paths {
        path(out, p, client);
    }
    if !vm.findings.is_empty() {
        out.push_str("<table class=\"findings\">\n<thead><tr><th>Severity</th><th>Rule</th><th>Finding</th><th>Fix</th></tr></thead>\n<tbody>\n");
        for f in &vm.findings {
            finding_row(out, f);
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</article>\n");
}

fn path(out: &mut String, p: &PathReport, client: &str) {
    let target = match (&p.address, p.port, &p.port_range) {
        (Some(a), Some(port), _) => format!(" {a}:{port}"),
        (Some(a), None, Some(r)) => format!(" {a}:{r}"),
        (Some(a), None, None) => format!(" {a}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "<div class=\"path\"><b>{}{}</b> — <span class=\"v {v}\">{v}</span>{}\n<ol class=\"hops\">\n<li class=\"pass\"><span class=\"k\">client</span><br>{}</li>",
        esc(p.kind),
        esc(&target),
        if p.allowed_sources.is_empty() {
            String::new()
        } else {
            format!(" · open to {}", esc(&p.allowed_sources.join(", ")))
        },
        esc(if p.kind == "bastion" { "a Bastion session (Azure portal)" } else { client }),
        v = p.verdict.as_str(),
    );
    for h in &p.hops {
        let class = if h.decision.stops() {
            "stop"
        } else if h.decision == crate::engine::Decision::Unknown {
            "unk"
        } else {
            "pass"
        };
        let name = h
            .resource
            .as_deref()
            .map(|r| r.rsplit('/').next().unwrap_or(r).to_string())
            .unwrap_or_default();
        let rule = match (&h.rule, h.priority) {
            (Some(r), Some(p)) => format!("<br>rule <b>{}</b> ({p})", esc(r)),
            (Some(r), None) => format!("<br>rule <b>{}</b>", esc(r)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "<li class=\"hop {class}\" title=\"{}\"><span class=\"k\">{}</span> {}<br>{}{}{}</li>",
            esc(h.detail.as_deref().unwrap_or("")),
            esc(h.hop.as_str()),
            esc(h.decision.as_str()),
            esc(&name),
            rule,
            h.detail
                .as_deref()
                .map(|d| format!("<br><span class=\"muted\">{}</span>", esc(d)))
                .unwrap_or_default()
        );
    }
    out.push_str("</ol></div>\n");
}

fn finding_row(out: &mut String, f: &FindingReport) {
    let sev = f.severity.as_str();
    let mut tags = String::new();
    if f.suppressed {
        tags.push_str("<span class=\"tag\">suppressed</span>");
    }
    if let Some(c) = f.change {
        let _ = write!(tags, "<span class=\"tag {0}\">{0}</span>", c.as_str());
    }
    let controls = if f.compliance.is_empty() {
        String::new()
    } else {
        format!(
            "<br><span class=\"muted\">{}</span>",
            esc(&f.compliance.join(", "))
        )
    };
    let _ = writeln!(
        out,
        "<tr class=\"finding{}\"><td><span class=\"sev {sev}\">{sev}</span>{tags}</td><td>{}</td><td>{}{controls}</td><td><pre>{}</pre></td></tr>",
        if f.suppressed { " suppressed" } else { "" },
        esc(f.rule_id),
        esc(&f.message),
        esc(&f.remediation),
    );
}

fn resolved_section(out: &mut String, b: &baseline::BaselineSummary) {
    if b.resolved_findings.is_empty() && b.removed_vms.is_empty() {
        return;
    }
    out.push_str("<section id=\"resolved\">\n<h2>Resolved since the baseline</h2>\n<table>\n<thead><tr><th>VM</th><th>Severity</th><th>Rule</th><th>Finding</th></tr></thead>\n<tbody>\n");
    for f in &b.resolved_findings {
        let _ = writeln!(
            out,
            "<tr class=\"resolved\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.vm_name),
            esc(&f.severity),
            esc(&f.rule_id),
            esc(&f.message)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    for id in &b.removed_vms {
        let _ = writeln!(
            out,
            "<p class=\"muted\">No longer in scope: <code>{}</code></p>",
            esc(id)
        );
    }
    out.push_str("</section>\n");
}

fn diagnostics(out: &mut String, r: &Report) {
    if r.diagnostics.is_empty() {
        return;
    }
    out.push_str("<section id=\"diagnostics\">\n<h2>Diagnostics</h2>\n<ul>\n");
    for d in &r.diagnostics {
        let _ = writeln!(
            out,
            "<li><b>{:?}</b> {}{}</li>",
            d.level,
            d.scope
                .as_deref()
                .map(|s| format!("<code>{}</code>: ", esc(s)))
                .unwrap_or_default(),
            esc(&d.message)
        );
    }
    out.push_str("</ul>\n</section>\n");
}

/// `--lateral`: the east-west section, per VM a table of its sources (docs/output-formats.md).
/// Every ARM string goes through [`esc`].
fn lateral_section(report: &Report) -> String {
    use super::eastwest::{head, present, rows_of};
    use super::words::lateral as words;
    if !present(report) {
        return String::new();
    }
    let mut out = format!(
        "<section id=\"lateral\">\n<h2>{}</h2>\n",
        esc(words::SECTION_TITLE)
    );
    for (i, vm) in report.vms.iter().enumerate() {
        if vm.lateral.is_none() {
            continue;
        }
        let _ = writeln!(
            out,
            "<article class=\"vm lateral\" id=\"lateral-{i}\">\n<h3><a href=\"#vm-{i}\">{}</a></h3>\n<p class=\"muted\">{}</p>",
            esc(&vm.name),
            esc(&head(vm))
        );
        let rows = rows_of(report, vm);
        if rows.is_empty() {
            out.push_str("</article>\n");
            continue;
        }
        out.push_str("<table class=\"lateral-table\">\n<thead><tr><th>Source</th><th>Kind</th><th>Verdict</th><th>Addresses</th><th>Deciding rules</th></tr></thead>\n<tbody>\n");
        for r in rows {
            let _ = writeln!(
                out,
                "<tr class=\"lateral-row{}\" data-kind=\"{}\"><td>{}</td><td>{}</td><td class=\"v {v}\">{v}</td><td>{}</td><td>{}</td></tr>",
                if r.stone { " stone" } else { "" },
                esc(r.kind),
                esc(&words::source_label(r.kind, r.source, r.stone)),
                esc(r.kind),
                esc(&r.addresses),
                esc(&r.rules),
                v = r.verdict.as_str(),
            );
        }
        out.push_str("</tbody>\n</table>\n</article>\n");
    }
    out.push_str("</section>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
