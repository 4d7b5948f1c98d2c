//! The fuzz targets' committed inputs, replayed on stable in every test run: the seed corpora
//! (`fuzz/corpus/<target>/`) and every input that once crashed a target (`fuzz/regressions/<target>/`), each
//! through the same `tallyvault::fuzzing` entry point the target calls. The seeds are made by
//! `write_seed_corpora` below (`TALLYVAULT_WRITE_FUZZ_SEEDS=1`, ignored test).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tallyvault::fuzzing;

type Entry = fn(&[u8]);

pub const TARGETS: &[(&str, Entry)] = &[
    ("claude_log", |d| {
        fuzzing::claude_log(d);
    }),
    ("codex_log", |d| {
        fuzzing::codex_log(d);
    }),
    ("csv_file", |d| {
        fuzzing::csv_file(d);
    }),
    ("env_file", |d| {
        fuzzing::env_file(d);
    }),
    ("provider_response", |d| {
        fuzzing::provider_response(d);
    }),
    ("stored_blob", |d| {
        fuzzing::stored_blob(d);
    }),
    ("backup_file", |d| {
        fuzzing::backup_file(d);
    }),
    ("backup_snapshot", |d| {
        fuzzing::backup_snapshot(d);
    }),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

#[test]
fn every_committed_fuzz_input_is_handled() {
    let mut seeds = 0;
    let mut regressions = 0;
    for (target, entry) in TARGETS {
        let corpus = inputs(&fuzz_dir().join("corpus").join(target));
        assert!(!corpus.is_empty(), "{target} has a committed seed corpus");
        let crashes = inputs(&fuzz_dir().join("regressions").join(target));
        for path in corpus.iter().chain(&crashes) {
            let data = std::fs::read(path).expect("read input");
            let outcome = std::panic::catch_unwind(|| entry(&data));
            assert!(outcome.is_ok(), "{target}: {} panics", path.display());
        }
        seeds += corpus.len();
        regressions += crashes.len();
    }
    eprintln!(
        "fuzz corpora: {seeds} seeds and {regressions} crash regressions over {} targets",
        TARGETS.len()
    );
}

/// The seeds parse: a target whose seeds all fail to parse would fuzz nothing but its first check.
#[test]
fn the_seeds_reach_the_parsers() {
    let corpus = |target: &str| inputs(&fuzz_dir().join("corpus").join(target));
    let count = |target: &str, f: fn(&[u8]) -> usize| -> usize {
        corpus(target)
            .iter()
            .map(|p| f(&std::fs::read(p).expect("read")))
            .sum()
    };
    assert!(
        count("claude_log", fuzzing::claude_log) >= 4,
        "claude seeds give records"
    );
    assert!(
        count("codex_log", fuzzing::codex_log) >= 2,
        "codex seeds give records"
    );
    assert!(
        count("csv_file", fuzzing::csv_file) >= 3,
        "csv seeds give records"
    );
    assert!(
        count("env_file", fuzzing::env_file) >= 3,
        "env seeds give entries"
    );
    assert!(
        count("provider_response", fuzzing::provider_response) >= 6,
        "provider seeds give rows"
    );
    assert!(
        corpus("backup_file")
            .iter()
            .any(|p| fuzzing::backup_file(&std::fs::read(p).expect("read"))),
        "a backup seed restores"
    );
    assert!(
        corpus("backup_snapshot")
            .iter()
            .any(|p| fuzzing::backup_snapshot(&std::fs::read(p).expect("read"))),
        "a snapshot seed restores"
    );
}

fn write(target: &str, name: &str, data: &[u8]) {
    let dir = fuzz_dir().join("corpus").join(target);
    std::fs::create_dir_all(&dir).expect("corpus dir");
    std::fs::write(dir.join(name), data).expect("write seed");
}

fn claude(id: &str, extra: &str, usage: &str) -> String {
    format!(
        r#"{{"type":"assistant","timestamp":"2026-11-01T10:00:00.000Z","sessionId":"s","requestId":"req-{id}"{extra},"message":{{"id":"msg-{id}","model":"claude-sonnet-4-5-20250929","usage":{usage}}}}}"#
    )
}

/// A small vault database (512-byte pages) with a credential, an audit log and usage.
fn small_snapshot() -> Vec<u8> {
    use tallyvault::clock::SystemClock;
    use tallyvault::crypto::{KdfPolicy, SecretString};
    use tallyvault::store::{Store, DB_FILE};
    use tallyvault::vault::{NewCredential, Provider, Vault};
    let dir = tempfile::tempdir().expect("dir");
    let v = Vault::create(
        dir.path(),
        Store::open(dir.path()).expect("store"),
        &SecretString::new(fuzzing::BACKUP_PASSWORD.into()),
        &KdfPolicy::insecure_for_tests(1),
        Arc::new(SystemClock),
    )
    .expect("vault");
    v.add_credential(NewCredential {
        provider: Some(Provider::OpenAI),
        label: "seed".into(),
        secret: SecretString::new("sk-proj-seed-secret".into()),
        note: Some("a note".into()),
        expires_at: None,
    })
    .expect("credential");
    v.set_setting("auto_lock_minutes", "5").expect("setting");
    v.lock().expect("lock");
    drop(v);
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE)).expect("raw");
    conn.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM;")
        .expect("shrink");
    drop(conn);
    std::fs::read(dir.path().join(DB_FILE)).expect("read db")
}

#[test]
#[ignore = "writes the seed corpora into fuzz/corpus: TALLYVAULT_WRITE_FUZZ_SEEDS=1"]
fn write_seed_corpora() {
    if std::env::var("TALLYVAULT_WRITE_FUZZ_SEEDS").as_deref() != Ok("1") {
        return;
    }
    let plain = r#"{"input_tokens":1200,"output_tokens":340,"cache_creation_input_tokens":50,"cache_read_input_tokens":9000}"#;
    let cache = r#"{"input_tokens":3,"output_tokens":10,"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":20},"cache_read_input_tokens":0,"speed":"fast"}"#;
    let lines = [
        claude("a", "", plain),
        claude("b", r#","costUSD":0.0123"#, plain),
        claude("c", r#","isSidechain":true"#, cache),
        r#"{"type":"progress","timestamp":"2026-11-01T10:00:01.000Z","data":{"message":{"type":"assistant","timestamp":"2026-11-01T10:00:01.000Z","requestId":"req-d","message":{"id":"msg-d","model":"claude-opus-4-1","usage":{"input_tokens":5,"output_tokens":6}}}}}"#.to_string(),
        r#"{"type":"user","timestamp":"2026-11-01T10:00:02.000Z","message":{"role":"user","content":"hi"}}"#.to_string(),
    ];
    write(
        "claude_log",
        "session",
        format!("{}\n", lines.join("\n")).as_bytes(),
    );
    write(
        "claude_log",
        "crlf-and-tail",
        format!("{}\r\n{}", lines[0], lines[2]).as_bytes(),
    );
    write(
        "claude_log",
        "no-message-id",
        claude("", "", plain)
            .replace(r#""id":"msg-","#, "")
            .as_bytes(),
    );

    let codex = [
        r#"{"timestamp":"2026-11-01T09:59:59.000Z","type":"session_meta","payload":{"id":"s1","forked_from_id":"s0","timestamp":"2026-11-01T09:59:59.000Z"}}"#,
        r#"{"timestamp":"2026-11-01T10:00:00.000Z","type":"turn_context","payload":{"model":"gpt-5-codex"}}"#,
        r#"{"timestamp":"2026-11-01T10:00:05.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":1000,"cached_input_tokens":200,"output_tokens":50,"reasoning_output_tokens":10},"last_token_usage":{"input_tokens":1000,"cached_input_tokens":200,"output_tokens":50,"reasoning_output_tokens":10}}}}"#,
        r#"{"timestamp":"2026-11-01T10:01:05.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":3000,"cached_input_tokens":900,"output_tokens":70,"reasoning_output_tokens":10}}}}"#,
        r#"{"timestamp":"2026-11-01T10:02:05.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":3000,"cached_input_tokens":900,"output_tokens":70,"reasoning_output_tokens":10}}}}"#,
    ];
    write(
        "codex_log",
        "session",
        format!("{}\n", codex.join("\n")).as_bytes(),
    );
    write(
        "codex_log",
        "no-fork",
        format!("{}\n", codex[1..4].join("\n")).as_bytes(),
    );

    write(
        "csv_file",
        "generic",
        b"timestamp,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,requests,cost_usd,provider,project\n\
          2026-11-01T10:00:00Z,gpt-4o,1000,200,50,0,3,0.0123,openai,app\n\
          2026-11-02 11:00:00,claude-sonnet-4-5,\"1,200\",300,,,1,,,\n\
          2026-11-03,unknown-model,5,5,0,0,0,,,\n",
    );
    write(
        "csv_file",
        "openai-console",
        b"usage_date_utc,model_version,usage_input_tokens_no_cache,usage_output_tokens,usage_input_tokens_cache_read,num_model_requests,project_id\n\
          2026-11-01,gpt-4o-2024-08-06,100,20,5,2,proj_1\n",
    );
    write(
        "csv_file",
        "mapped",
        b"time=When,model=Engine,cost=Dollars\0When,Engine,Dollars,input_tokens\n2026-11-01T00:00:00+02:00,gpt-4o-mini,$1.50,10\n",
    );
    write(
        "csv_file",
        "bad-rows",
        b"timestamp,model,input_tokens\nnot a date,gpt-4o,1\n2026-11-01,,2\n2026-11-01,gpt-4o,-3\n",
    );

    write(
        "env_file",
        "forms",
        "\u{feff}# keys\r\nexport OPENAI_API_KEY=sk-proj-abc\r\nANTHROPIC_API_KEY=\"sk-ant-api03-x\\n\" # prod\r\nGROQ_KEY='gsk_1 2'\nPLAIN=value # comment\nEMPTY=\n"
            .as_bytes(),
    );
    write(
        "env_file",
        "problems",
        b"OK=1\nnot an assignment sk-secret\nBAD=\"sk-unterminated\n1X=2\nQ='open\nT=\"x\" trailing\n",
    );

    let bodies: [(u8, &str, &str); 8] = [
        (
            0,
            "openai-completions",
            r#"{"object":"page","data":[{"object":"bucket","start_time":1761955200,"end_time":1761958800,"results":[{"object":"organization.usage.completions.result","input_tokens":1000,"output_tokens":200,"num_model_requests":3,"input_cached_tokens":100,"input_audio_tokens":0,"project_id":"proj_a","model":"gpt-4o-mini-2024-07-18","batch":false,"service_tier":"default"}]}],"has_more":true,"next_page":"page_2"}"#,
        ),
        (
            1,
            "openai-embeddings",
            r#"{"data":[{"start_time":1761955200,"results":[{"input_tokens":77,"num_model_requests":1,"model":"text-embedding-3-small"}]}],"has_more":false,"next_page":null}"#,
        ),
        (
            3,
            "openai-images",
            r#"{"data":[{"start_time":1761955200,"results":[{"num_model_requests":2,"model":"dall-e-3","size":"1024x1024","source":"image.generation","project_id":"p"}]}],"has_more":false,"next_page":null}"#,
        ),
        (
            6,
            "openai-costs",
            r#"{"object":"page","data":[{"object":"bucket","start_time":1761955200,"end_time":1762041600,"results":[{"object":"organization.costs.result","amount":{"value":0.123456789,"currency":"usd"},"line_item":"gpt-4o-mini, input","project_id":"proj_a"}]}],"has_more":false,"next_page":null}"#,
        ),
        (
            7,
            "anthropic-messages",
            r#"{"data":[{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-01T01:00:00Z","results":[{"uncached_input_tokens":1000,"cache_read_input_tokens":5,"cache_creation":{"ephemeral_5m_input_tokens":7,"ephemeral_1h_input_tokens":1},"output_tokens":50,"server_tool_use":{"web_search_requests":0},"model":"claude-sonnet-4-5-20250929","workspace_id":"wrkspc_1","service_tier":"standard"}]}],"has_more":true,"next_page":"cursor=="}"#,
        ),
        (
            8,
            "anthropic-cost",
            r#"{"data":[{"starting_at":"2026-11-01T00:00:00Z","ending_at":"2026-11-02T00:00:00Z","results":[{"amount":"123.45","currency":"USD","description":"Claude Sonnet 4.5 Usage - Input Tokens","model":"claude-sonnet-4-5","cost_type":"tokens","token_type":"uncached_input_tokens","workspace_id":null}]}],"has_more":false,"next_page":null}"#,
        ),
        (
            9,
            "openrouter-activity",
            r#"{"data":[{"date":"2026-11-01","model":"openai/gpt-4o","model_permaslug":"openai/gpt-4o-2024-08-06","endpoint_id":"e1","provider_name":"OpenAI","usage":0.0123,"byok_usage_inference":0,"requests":3,"prompt_tokens":100,"completion_tokens":20,"reasoning_tokens":5}]}"#,
        ),
        (
            0,
            "error-401",
            r#"{"error":{"message":"Incorrect API key provided: sk-proj-abc123. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
        ),
    ];
    for (pick, name, body) in bodies {
        let mut data = vec![pick];
        data.extend_from_slice(body.as_bytes());
        write("provider_response", name, &data);
    }

    use tallyvault::crypto::{self, Key, SecretString};
    let key = Key::from_bytes([7u8; 32]);
    let blob = crypto::seal(
        &key,
        &crypto::field_aad("credentials", "secret", 1),
        b"sk-proj-seed",
    );
    write("stored_blob", "blob", &blob);
    let head = tallyvault::audit::Head {
        seq: 3,
        tag: [9u8; 32],
    };
    let dir = tempfile::tempdir().expect("dir");
    tallyvault::audit::Anchor::new(&key, head)
        .write(dir.path())
        .expect("anchor");
    write(
        "stored_blob",
        "anchor",
        &std::fs::read(dir.path().join(tallyvault::audit::ANCHOR_FILE)).expect("anchor"),
    );

    let snapshot = small_snapshot();
    write("backup_snapshot", "vault", &snapshot);
    write(
        "backup_file",
        "vault",
        &tallyvault::vault::Vault::seal_backup_bytes(
            &snapshot,
            &SecretString::new(fuzzing::BACKUP_PASSWORD.into()),
            1,
        ),
    );
}
