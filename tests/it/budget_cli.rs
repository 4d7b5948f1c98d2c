//! The budget, alerts, forecast, anomalies and whatif commands as a user runs them: no vault, no password.

use std::process::{Command, Output};

use chrono::{Duration, Utc};

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tallyvault"))
            .args(args)
            .env("TALLYVAULT_HOME", self.dir.path())
            .env("HOME", self.dir.path())
            .env("TZ", "UTC")
            .env_remove("TALLYVAULT_PASSWORD")
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

/// 40 days of about $5 a day on claude-sonnet-4-5, and $100 a minute ago.
fn usage_csv() -> String {
    let now = Utc::now();
    let mut csv = String::from("timestamp,model,input_tokens,output_tokens,cost_usd,provider\n");
    for back in 1..=40 {
        let at = now - Duration::days(back);
        let cost = 4.0 + (back % 7) as f64 * 0.3;
        csv.push_str(&format!(
            "{},claude-sonnet-4-5,100000,20000,{cost:.2},anthropic\n",
            at.format("%Y-%m-%dT%H:%M:%SZ")
        ));
    }
    let at = now - Duration::minutes(1);
    csv.push_str(&format!(
        "{},claude-sonnet-4-5,100000,20000,100.00,anthropic\n",
        at.format("%Y-%m-%dT%H:%M:%SZ")
    ));
    csv
}

#[test]
fn budgets_alerts_and_forecasts_without_a_password() {
    let home = Home {
        dir: tempfile::tempdir().unwrap(),
    };
    let added = home.ok(&[
        "budget", "add", "--amount", "10", "--period", "day", "--name", "daily",
    ]);
    assert!(
        added.contains("Added budget 1 \"daily\": $10.00 per day"),
        "{added}"
    );
    home.ok(&[
        "budget",
        "add",
        "--amount",
        "1000",
        "--period",
        "month",
        "--cycle-day",
        "31",
        "--provider",
        "anthropic",
        "--thresholds",
        "90",
    ]);
    let refused = home.run(&[
        "budget",
        "add",
        "--amount",
        "5",
        "--period",
        "day",
        "--cycle-day",
        "3",
    ]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "one clear line: {stderr}");
    assert!(stderr.contains("only applies to month periods"), "{stderr}");
    assert!(!home
        .run(&["budget", "add", "--amount", "-3"])
        .status
        .success());

    // The import evaluates the budgets: $100 today is past every threshold of the $10 daily budget.
    let csv = home.dir.path().join("usage.csv");
    std::fs::write(&csv, usage_csv()).unwrap();
    let out = home.run(&["import", csv.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("alert #1: Budget \"daily\""), "{stderr}");

    let alerts = home.json(&["alerts", "list", "--json"]);
    let thresholds: Vec<i64> = alerts
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["budget_name"] == "daily")
        .filter_map(|a| a["threshold"].as_i64())
        .collect();
    assert_eq!(thresholds.len(), 3, "{alerts}");
    home.ok(&["import", csv.to_str().unwrap()]);
    let again = home.json(&["alerts", "list", "--json"]);
    assert_eq!(
        again.as_array().unwrap().len(),
        alerts.as_array().unwrap().len(),
        "no repeats"
    );
    assert!(home.ok(&["alerts", "ack", "1"]).contains("acknowledged"));
    let acked = home.json(&["alerts", "list", "--json"]);
    let first = acked
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == 1)
        .unwrap();
    assert_eq!(first["state"], "acknowledged");
    assert!(!home.run(&["alerts", "ack", "999"]).status.success());

    let list = home.json(&["budget", "list", "--json"]);
    assert_eq!(list[0]["spent"], 100_000_000_000i64, "exact nano-dollars");
    let check = home.run(&["budget", "check"]);
    assert_eq!(check.status.code(), Some(1), "a budget is over");
    home.ok(&["budget", "rm", "daily"]);
    home.ok(&["budget", "edit", "2", "--amount", "100000"]);
    let check = home.run(&["budget", "check", "--json"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    let forecast = home.json(&["forecast", "--json"]);
    let method = forecast["all_usage"]["method"].as_str().unwrap();
    assert!(method.starts_with("mstl+ets"), "{forecast}");
    assert_eq!(forecast["all_usage"]["history_days"], 40);
    let text = home.ok(&["forecast"]);
    assert!(
        text.contains("80% interval") && text.contains("method: mstl+ets"),
        "{text}"
    );

    let anomalies = home.json(&["anomalies", "--json", "--days", "10"]);
    assert!(
        anomalies.as_array().unwrap().is_empty(),
        "today is not judged until it is over"
    );

    let whatif = home.json(&[
        "whatif",
        "--model",
        "claude-sonnet-4-5",
        "--to",
        "claude-haiku-4-5,unknown-model",
        "--json",
    ]);
    let alts = whatif["whatif"]["alternatives"].as_array().unwrap();
    assert_eq!(alts[0]["model"], "claude-haiku-4-5");
    assert!(alts[0]["saving_nanos"].as_i64().unwrap() > 0);
    assert!(alts[1]["cost"].is_null());

    // Configuring the webhook needs the vault (and its password); there is none here.
    let out = home.run(&["alerts", "webhook", "set"]);
    assert!(!out.status.success());
}
