//! `centralino report` against the built binary: JSON, CSV and xlsx from an exported
//! register alone (`--input --lines`) and from the store of a config, usage errors with
//! exit code 2 and parse errors naming the file and line [SLA-9, SLA-10, issue 7
//! items 3-4].

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Runs the binary in `dir`: (exit code, stdout, stderr).
fn centralino(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_centralino"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "centralino-report-cli-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Four green-number calls on Tuesday 2026-11-24 (UTC times; Rome is UTC+1):
/// 1. 09:00:00 start, operator asked 09:00:10, answered 09:00:40, end 09:05:00 → TMA 40 s
/// 2. 09:01:00 start, operator asked 09:01:05, gave up 09:02:00 → TMA 60 s (to the end)
/// 3. 09:03:00 start, operator asked 09:03:10, answered 09:03:30, end 09:10:00 → TMA 30 s
/// 4. 10:00:00 start, hung up in the IVR 10:01:00 → not in TMA nor LS
///
/// TMA = (40 + 60 + 30) / 3 = 43.33 → 43.3 s; LS = 2 talked / 3 asked = 66.7 %.
/// AS with 2 lines and no config (always open): the local day is 86 400 one-second units;
/// two calls are up at once in [09:01, 09:02) and [09:03, 09:05) = 180 units, so
/// AS = 86 220 / 86 400 = 99.79 → 99.8 %. With 1 line every second with a call is busy:
/// [09:00, 09:10) + [10:00, 10:01) = 660 units, AS = 85 740 / 86 400 = 99.24 → 99.2 %.
const CALLS_CSV: &str = "id,channel,from,to,trunk,started_at,operator_requested_at,answered_at,ended_at,queue,agent,wait_seconds,talk_seconds,hangup_side,hangup_cause,outcome,recording_path,ticket_id\r
1,verde,0612345678,800904277,carrier,2026-11-24T09:00:00.000Z,2026-11-24T09:00:10.000Z,2026-11-24T09:00:40.000Z,2026-11-24T09:05:00.000Z,verde,2001,30,260,caller,,answered,,\r
2,verde,0612345679,800904277,carrier,2026-11-24T09:01:00.000Z,2026-11-24T09:01:05.000Z,,2026-11-24T09:02:00.000Z,verde,,55,,caller,,abandoned_queue,,\r
3,verde,0612345680,800904277,carrier,2026-11-24T09:03:00.000Z,2026-11-24T09:03:10.000Z,2026-11-24T09:03:30.000Z,2026-11-24T09:10:00.000Z,verde,2002,20,390,callee,,answered,,\r
4,verde,0612345681,800904277,carrier,2026-11-24T10:00:00.000Z,,,2026-11-24T10:01:00.000Z,,,,,caller,,abandoned_ivr,,\r
";

fn report_json(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "report",
        "--from",
        "2026-11-24",
        "--to",
        "2026-11-24",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = centralino(dir, &args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn sla_9_tiqv_from_an_exported_register_alone() {
    let dir = scratch("csv");
    std::fs::write(dir.join("calls.csv"), CALLS_CSV).unwrap();
    let doc = report_json(&dir, &["--input", "calls.csv", "--lines", "2"]);
    let month = &doc["tiqv"]["months"][0];
    assert_eq!(month["channel"], "verde");
    assert_eq!(month["month"], "2026-11");
    assert_eq!(month["partial"], true);
    assert_eq!(month["AS"].as_f64(), Some(99.8));
    assert_eq!(month["TMA"].as_f64(), Some(43.3));
    assert_eq!(month["LS"].as_f64(), Some(66.7));
    assert_eq!(month["met"]["AS"], true);
    assert_eq!(month["met"]["TMA"], true);
    assert_eq!(month["met"]["LS"], false);
    assert_eq!(month["detail"]["AS"]["numerator"], 86_220);
    assert_eq!(month["detail"]["AS"]["denominator"], 86_400);
    assert_eq!(month["detail"]["LS"]["numerator"], 2);
    assert_eq!(
        month["detail"]["TMA"]["numerator_seconds"].as_f64(),
        Some(130.0)
    );
    // The per-channel report carries the same figures with thresholds and verdicts.
    let verde = &doc["channels"][0];
    assert_eq!(verde["channel"], "verde");
    assert_eq!(verde["calls"], 4);
    assert_eq!(verde["tiqv"]["TMA"].as_f64(), Some(43.3));
    assert_eq!(verde["figures"]["LS"]["threshold"]["op"], ">");
    assert_eq!(verde["figures"]["LS"]["met"], false);
    // No tickets in a register export: no data, never 0 % or 100 %.
    assert!(verde["figures"]["SLA.C.4"]["value"].is_null());
    assert!(verde["figures"]["SLA.C.4"]["met"].is_null());
    // SLA.C.3: 1 abandoned of 3 queued = 33.3 % against <= 5 %.
    assert_eq!(verde["figures"]["SLA.C.3"]["value"].as_f64(), Some(33.3));
    assert_eq!(verde["figures"]["SLA.C.3"]["met"], false);
    assert_eq!(doc["total"]["tiqv"]["AS"].as_f64(), Some(99.8));
    assert_eq!(doc["daily"][0]["calls"], 4);
    let notes = doc["notes"].to_string();
    assert!(notes.contains("always open"), "{notes}");

    // Fewer lines, less accessibility: the --lines switch reaches AS.
    let doc = report_json(&dir, &["--input", "calls.csv", "--lines", "1"]);
    assert_eq!(doc["tiqv"]["months"][0]["AS"].as_f64(), Some(99.2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sla_10_csv_has_one_row_per_figure() {
    let dir = scratch("csvout");
    std::fs::write(dir.join("calls.csv"), CALLS_CSV).unwrap();
    let (code, out, err) = centralino(
        &dir,
        &[
            "report",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-24",
            "--format",
            "csv",
            "--input",
            "calls.csv",
            "--lines",
            "2",
            "--output",
            "r.csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.is_empty(),
        "the report goes to the file, not stdout: {out}"
    );
    let csv = std::fs::read_to_string(dir.join("r.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("section,indicator,channel,period,value,unit,threshold,met,numerator,denominator")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.contains(&"tiqv_month,AS,verde,2026-11,99.8,%,>95,true,86220,86400"),
        "{csv}"
    );
    assert!(
        rows.contains(&"tiqv_month,LS,verde,2026-11,66.7,%,>85,false,2,3"),
        "{csv}"
    );
    assert!(
        rows.contains(&"tiqv_month,TMA,verde,2026-11,43.3,s,<180,true,130,3"),
        "{csv}"
    );
    assert!(
        rows.contains(&"tender,SLA.C.4,verde,2026-11-24..2026-11-24,,%,>=80,,0,0"),
        "{csv}"
    );
    assert!(rows.iter().all(|r| r.split(',').count() == 10), "{csv}");
    assert!(!csv.contains("NaN"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sla_10_xlsx_has_the_five_sheets_and_a_chart() {
    let dir = scratch("xlsx");
    std::fs::write(dir.join("calls.csv"), CALLS_CSV).unwrap();
    let (code, _, err) = centralino(
        &dir,
        &[
            "report",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-24",
            "--format",
            "xlsx",
            "--input",
            "calls.csv",
            "--output",
            "r.xlsx",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(dir.join("r.xlsx")).unwrap();
    assert!(bytes.starts_with(b"PK"), "an xlsx is a zip file");
    // Python's zipfile reads the (deflated) workbook part for us.
    let script = "import sys, zipfile\n\
z = zipfile.ZipFile(sys.argv[1])\n\
names = z.namelist()\n\
print('charts:', sum(1 for n in names if n.startswith('xl/charts/chart')))\n\
print(z.read('xl/workbook.xml').decode())\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(dir.join("r.xlsx"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("charts: 1"), "{text}");
    for sheet in [
        "Riepilogo",
        "TIQV",
        "Fasce orarie",
        "Giornaliero",
        "Chiamate",
    ] {
        assert!(
            text.contains(&format!("name=\"{sheet}\"")),
            "sheet {sheet} missing: {text}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sla_10_usage_errors_exit_2_and_parse_errors_name_the_line() {
    let dir = scratch("errors");
    let cases: [&[&str]; 5] = [
        &[
            "report",
            "--from",
            "2026-11-25",
            "--to",
            "2026-11-24",
            "--format",
            "json",
        ],
        &[
            "report",
            "--from",
            "2026-02-30",
            "--to",
            "2026-03-01",
            "--format",
            "json",
        ],
        &[
            "report",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-24",
            "--format",
            "pdf",
        ],
        &[
            "report",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-24",
            "--format",
            "xlsx",
        ],
        &[
            "report",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-24",
            "--format",
            "json",
            "--bogus",
            "1",
        ],
    ];
    let expected = [
        "after --to",
        "not a date",
        "unknown format",
        "needs --output",
        "unknown option",
    ];
    for (args, what) in cases.iter().zip(expected) {
        let (code, _, err) = centralino(&dir, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(what), "{args:?}: {err}");
    }
    let bad = CALLS_CSV.replace("abandoned_ivr", "lost");
    std::fs::write(dir.join("calls.csv"), bad).unwrap();
    let (code, _, err) = centralino(
        &dir,
        &[
            "report",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-24",
            "--format",
            "json",
            "--input",
            "calls.csv",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("calls.csv: line 5: unknown outcome"), "{err}");
    let (code, _, err) = centralino(
        &dir,
        &[
            "report",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-24",
            "--format",
            "json",
            "--input",
            "missing.csv",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("missing.csv"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two green-number calls in the store, on Tuesday 2026-11-24 inside the demo's
/// service hours (verde Mon-Fri 09:00-17:00 Rome = 08:00-16:00 UTC):
/// A. 09:00:00 start, operator asked 09:00:10, answered 09:00:30, end 09:04:00 → TMA 30 s
/// B. 09:10:00 start, operator asked 09:10:05, gave up 09:11:00 → TMA 60 s
///
/// TMA = 45.0 s, LS = 1 / 2 = 50.0 %; AS = 100.0 % over the 8 open hours of verde =
/// 28 800 one-second units (the calendar of the config, not round the clock).
#[test]
fn sla_9_report_from_the_store_of_the_config() {
    let dir = scratch("store");
    std::fs::create_dir_all(dir.join("config")).unwrap();
    let demo = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/centralino.toml"),
    )
    .unwrap();
    std::fs::write(dir.join("config/centralino.toml"), demo).unwrap();
    // The IVR scripts the demo config names sit beside it.
    std::fs::create_dir_all(dir.join("config/ivr")).unwrap();
    for script in ["verde.toml", "centralino.toml"] {
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/ivr").join(script), dir.join("config/ivr").join(script)).unwrap();
    }
    // Same store as the demo config (`sqlite://data/centralino.db`), by absolute path.
    let url = format!("sqlite://{}/data/centralino.db?mode=rwc", dir.display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sql_store::{CallUpdate, Channel, HangupSide, NewCall, Outcome, Store, UnixMillis};
        let store = Store::open(&url).await.unwrap();
        let at = |h, m, s| UnixMillis::from_utc(2026, 11, 24, h, m, s).unwrap();
        let calls = [
            (
                at(9, 0, 0),
                at(9, 0, 10),
                Some(at(9, 0, 30)),
                at(9, 4, 0),
                Outcome::Answered,
            ),
            (
                at(9, 10, 0),
                at(9, 10, 5),
                None,
                at(9, 11, 0),
                Outcome::AbandonedQueue,
            ),
        ];
        for (start, asked, answered, end, outcome) in calls {
            let id = store
                .insert_call(&NewCall {
                    channel: Channel::Verde,
                    trunk: Some("carrier".to_owned()),
                    dialled: "800904277".to_owned(),
                    caller: "0612345678".to_owned(),
                    started_at: start,
                    sip_call_id: None,
                })
                .await
                .unwrap();
            store
                .update_call(id, &CallUpdate::operator_requested(asked, Some("verde")))
                .await
                .unwrap();
            if let Some(a) = answered {
                store
                    .update_call(id, &CallUpdate::answered(a, "2001"))
                    .await
                    .unwrap();
            }
            store
                .update_call(
                    id,
                    &CallUpdate::ended(end, outcome, HangupSide::Caller, "BYE"),
                )
                .await
                .unwrap();
        }
        store.close().await;
    });
    let doc = report_json(&dir, &[]);
    let months = doc["tiqv"]["months"].as_array().unwrap();
    let verde = months.iter().find(|m| m["channel"] == "verde").unwrap();
    assert_eq!(verde["TMA"].as_f64(), Some(45.0));
    assert_eq!(verde["LS"].as_f64(), Some(50.0));
    assert_eq!(verde["AS"].as_f64(), Some(100.0));
    assert_eq!(verde["detail"]["AS"]["denominator"], 28_800);
    // The switchboard has no calls: TMA and LS say "no data"; its hours are 08-19 (11 h).
    let switchboard = months
        .iter()
        .find(|m| m["channel"] == "centralino")
        .unwrap();
    assert!(switchboard["TMA"].is_null() && switchboard["LS"].is_null());
    assert_eq!(switchboard["detail"]["AS"]["denominator"], 39_600);
    assert_eq!(doc["total"]["calls"], 2);
    // --channel narrows the report to one channel and drops the total.
    let doc = report_json(&dir, &["--channel", "verde"]);
    assert_eq!(doc["channels"].as_array().map(Vec::len), Some(1));
    assert!(doc["total"].is_null());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--group-by day` adds one report per local day; a day without calls says "no data"
/// (null), never 0 or 100 %. A period across two months gives two partial TIQV months and
/// one semester row summing them [SLA-9, SLA-10].
#[test]
fn sla_10_group_by_day_and_months_of_the_period() {
    let dir = scratch("groups");
    std::fs::write(dir.join("calls.csv"), CALLS_CSV).unwrap();
    let (code, out, err) = centralino(
        &dir,
        &[
            "report",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-25",
            "--format",
            "json",
            "--input",
            "calls.csv",
            "--lines",
            "2",
            "--group-by",
            "day",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let groups = doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["period"], "2026-11-24");
    assert_eq!(groups[0]["total"]["calls"], 4);
    assert_eq!(groups[0]["total"]["tiqv"]["TMA"].as_f64(), Some(43.3));
    assert_eq!(groups[1]["period"], "2026-11-25");
    assert_eq!(groups[1]["total"]["calls"], 0);
    assert!(groups[1]["total"]["tiqv"]["TMA"].is_null());
    assert!(groups[1]["total"]["tiqv"]["LS"].is_null());
    // Both days always open: AS = (2 × 86 400 − 180) / 172 800 = 99.896 → 99.9 %.
    assert_eq!(doc["total"]["tiqv"]["AS"].as_f64(), Some(99.9));

    let doc = report_json(
        &dir,
        &[
            "--from",
            "2026-10-31",
            "--input",
            "calls.csv",
            "--lines",
            "2",
        ],
    );
    let months = doc["tiqv"]["months"].as_array().unwrap();
    let labels: Vec<&str> = months.iter().filter_map(|m| m["month"].as_str()).collect();
    assert_eq!(labels, ["2026-10", "2026-11"]);
    assert!(months[0]["TMA"].is_null());
    let semester = &doc["tiqv"]["semesters"][0];
    assert_eq!(semester["semester"], "2026-S2");
    assert_eq!(semester["months"], 2);
    assert_eq!(semester["TMA"].as_f64(), Some(43.3));

    let (code, _, err) = centralino(
        &dir,
        &[
            "report",
            "--from",
            "2026-11-24",
            "--to",
            "2026-11-24",
            "--format",
            "csv",
            "--group-by",
            "hour",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("unknown group"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
