//! `--output csv`: one row per finding (a VM without findings still gets one row), for
//! spreadsheets and SIEM imports. With `--baseline` a `change` column says `new` or
//! `unchanged`, and each finding the baseline had and this run does not gets a `resolved` row.

use super::Report;

pub(crate) const HEADER: [&str; 14] = [
    "vm_id",
    "vm_name",
    "resource_group",
    "subscription_id",
    "deployment",
    "power_state",
    "rdp_port",
    "verdict",
    "explanation",
    "rule_id",
    "severity",
    "message",
    "resource_id",
    "suppressed",
];

pub(crate) fn render(report: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let with_change = report.baseline.is_some();
    let rows = rows(report);
    let mut header: Vec<&str> = HEADER.to_vec();
    if with_change {
        header.push("change");
    }
    // Writing to a Vec cannot fail for I/O reasons; a failure here is a bug, reported inline.
    let result = w
        .write_record(&header)
        .and_then(|_| rows.iter().try_for_each(|r| w.write_record(r)))
        .map_err(|e| e.to_string())
        .and_then(|_| w.into_inner().map_err(|e| e.to_string()));
    let mut out = match result {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("error: {e}\n"),
    };
    if super::eastwest::present(report) {
        // `--lateral`: a second table, after a blank line, with its own header.
        out.push('\n');
        out.push_str(&table(
            &super::eastwest::CSV_HEADER,
            &super::eastwest::csv_rows(report),
        ));
    }
    out
}

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let result = w
        .write_record(header)
        .and_then(|_| rows.iter().try_for_each(|r| w.write_record(r)))
        .map_err(|e| e.to_string())
        .and_then(|_| w.into_inner().map_err(|e| e.to_string()));
    match result {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => format!("error: {e}\n"),
    }
}

/// The rows, in [`HEADER`]'s columns (plus `change` with a baseline); `-o tsv` prints them too.
pub(crate) fn rows(report: &Report) -> Vec<Vec<String>> {
    let with_change = report.baseline.is_some();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for vm in &report.vms {
        let base = vec![
            vm.id.id.to_string(),
            vm.name.clone(),
            vm.resource_group.clone(),
            vm.subscription_id.clone(),
            vm.deployment.to_string(),
            vm.power_state.clone(),
            vm.rdp.port.to_string(),
            vm.rdp.verdict.as_str().to_string(),
            vm.rdp.explanation.clone(),
        ];
        if vm.findings.is_empty() {
            let mut r = base.clone();
            r.extend(std::iter::repeat_n(String::new(), 5));
            if with_change {
                r.push(String::new());
            }
            rows.push(r);
        }
        for f in &vm.findings {
            let mut r = base.clone();
            r.extend([
                f.rule_id.to_string(),
                f.severity.as_str().to_string(),
                f.message.clone(),
                f.resource_id.id.clone(),
                f.suppressed.to_string(),
            ]);
            if with_change {
                r.push(f.change.map(|c| c.as_str()).unwrap_or_default().to_string());
            }
            rows.push(r);
        }
    }
    for f in report.baseline.iter().flat_map(|b| &b.resolved_findings) {
        let mut r = vec![f.vm_id.clone(), f.vm_name.clone()];
        r.extend(std::iter::repeat_n(String::new(), 7));
        r.extend([
            f.rule_id.clone(),
            f.severity.clone(),
            f.message.clone(),
            f.resource_id.clone(),
            String::new(),
            "resolved".to_string(),
        ]);
        rows.push(r);
    }
    rows
}
