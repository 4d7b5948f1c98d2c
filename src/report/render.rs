//! Report output: a table for people, JSON (ccusage's field names plus ours) and CSV for tools.

use serde_json::{json, Map, Value};

use super::{Amounts, Report, Row};

fn amounts_json(a: &Amounts) -> Map<String, Value> {
    let t = &a.tokens;
    let mut m = Map::new();
    m.insert("inputTokens".into(), json!(t.input));
    m.insert("outputTokens".into(), json!(t.output));
    m.insert(
        "cacheCreationTokens".into(),
        json!(t.cache_write_5m + t.cache_write_1h),
    );
    m.insert("cacheCreation5mTokens".into(), json!(t.cache_write_5m));
    m.insert("cacheCreation1hTokens".into(), json!(t.cache_write_1h));
    m.insert("cacheReadTokens".into(), json!(t.cache_read));
    m.insert("reasoningTokens".into(), json!(t.reasoning));
    m.insert("totalTokens".into(), json!(t.total()));
    m.insert("requests".into(), json!(a.requests));
    m.insert("totalCost".into(), json!(a.cost.as_f64()));
    m.insert("totalCostNanos".into(), json!(a.cost.nanos()));
    m.insert("unpricedTokens".into(), json!(a.unpriced_tokens));
    m.insert("unpricedRequests".into(), json!(a.unpriced_requests));
    m
}

fn row_json(report: &Report, row: &Row) -> Value {
    let (_, key_name) = report.grouping.keys();
    let mut m = Map::new();
    m.insert(key_name.into(), json!(row.key));
    if let Some(p) = &row.project {
        m.insert("projectPath".into(), json!(p));
    }
    if let Some(t) = &row.first_activity {
        m.insert("firstActivity".into(), json!(t));
    }
    if let Some(t) = &row.last_activity {
        m.insert("lastActivity".into(), json!(t));
    }
    m.extend(amounts_json(&row.amounts));
    m.insert(
        "modelsUsed".into(),
        json!(row.models.iter().map(|m| &m.model).collect::<Vec<_>>()),
    );
    let breakdowns: Vec<Value> = row
        .models
        .iter()
        .map(|ma| {
            let mut b = Map::new();
            b.insert("modelName".into(), json!(ma.model));
            let a = amounts_json(&ma.amounts);
            for k in [
                "inputTokens",
                "outputTokens",
                "cacheCreationTokens",
                "cacheReadTokens",
                "totalTokens",
                "requests",
            ] {
                b.insert(k.into(), a[k].clone());
            }
            b.insert("cost".into(), a["totalCost"].clone());
            b.insert("costNanos".into(), a["totalCostNanos"].clone());
            b.insert("unpricedTokens".into(), a["unpricedTokens"].clone());
            if ma.amounts.unpriced_requests > 0 {
                b.insert("missingPricing".into(), json!(true));
            }
            Value::Object(b)
        })
        .collect();
    m.insert("modelBreakdowns".into(), Value::Array(breakdowns));
    Value::Object(m)
}

/// `{"<kind>": [rows], "totals": {...}, "timezone": "..."}`.
pub fn render_json(report: &Report) -> Value {
    let (list_key, _) = report.grouping.keys();
    let mut totals = amounts_json(&report.totals);
    totals.insert("unpricedModels".into(), json!(report.unpriced_models));
    json!({
        list_key: report.rows.iter().map(|r| row_json(report, r)).collect::<Vec<_>>(),
        "totals": totals,
        "timezone": report.timezone,
    })
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A plain-text table; with `breakdown`, one indented line per model under each row.
pub fn render_table(report: &Report, breakdown: bool) -> String {
    let (_, key_name) = report.grouping.keys();
    let header = [
        key_name,
        "Input",
        "Output",
        "Cache write",
        "Cache read",
        "Total tokens",
        "Cost",
        "Unpriced tokens",
    ];
    let mut lines: Vec<[String; 8]> = Vec::new();
    let cells = |label: String, a: &Amounts| -> [String; 8] {
        [
            label,
            thousands(a.tokens.input),
            thousands(a.tokens.output),
            thousands(a.tokens.cache_write_5m + a.tokens.cache_write_1h),
            thousands(a.tokens.cache_read),
            thousands(a.tokens.total()),
            a.cost.to_string(),
            if a.unpriced_tokens > 0 {
                thousands(a.unpriced_tokens)
            } else {
                String::new()
            },
        ]
    };
    for row in &report.rows {
        lines.push(cells(row.key.clone(), &row.amounts));
        if breakdown {
            for m in &row.models {
                lines.push(cells(format!("  └ {}", m.model), &m.amounts));
            }
        }
    }
    lines.push(cells("Total".into(), &report.totals));
    let mut widths: [usize; 8] = header.map(str::len);
    for l in &lines {
        for (w, c) in widths.iter_mut().zip(l) {
            *w = (*w).max(c.chars().count());
        }
    }
    let fmt = |cols: &[String; 8]| -> String {
        cols.iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = widths[i] - c.chars().count();
                if i == 0 {
                    format!("{c}{}", " ".repeat(pad))
                } else {
                    format!("{}{c}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = String::new();
    out.push_str(&fmt(&header.map(String::from)));
    out.push('\n');
    let rule: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    let total_index = lines.len() - 1;
    for (i, l) in lines.iter().enumerate() {
        if i == total_index {
            out.push_str(&"─".repeat(rule));
            out.push('\n');
        }
        out.push_str(&fmt(l));
        out.push('\n');
    }
    if !report.unpriced_models.is_empty() {
        out.push_str(&format!(
            "Unpriced (not in the price table, excluded from cost, not free): {}\n\
             Add a price with `tallyvault prices set MODEL --input USD_PER_MTOK --output USD_PER_MTOK`.\n",
            report.unpriced_models.join(", ")
        ));
    }
    out
}

/// CSV: one line per row and model.
pub fn render_csv(report: &Report) -> Result<String, csv::Error> {
    let (_, key_name) = report.grouping.keys();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        key_name,
        "model",
        "input_tokens",
        "output_tokens",
        "cache_write_5m_tokens",
        "cache_write_1h_tokens",
        "cache_read_tokens",
        "reasoning_tokens",
        "total_tokens",
        "requests",
        "cost_usd",
        "unpriced_tokens",
    ])?;
    for row in &report.rows {
        for m in &row.models {
            let a = &m.amounts;
            w.write_record([
                row.key.clone(),
                m.model.clone(),
                a.tokens.input.to_string(),
                a.tokens.output.to_string(),
                a.tokens.cache_write_5m.to_string(),
                a.tokens.cache_write_1h.to_string(),
                a.tokens.cache_read.to_string(),
                a.tokens.reasoning.to_string(),
                a.tokens.total().to_string(),
                a.requests.to_string(),
                a.cost.dollars().normalize().to_string(),
                a.unpriced_tokens.to_string(),
            ])?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
