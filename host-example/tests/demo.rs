//! README's run command, `host-example demo`, works offline and reports a delivery.

use std::process::Command;

#[test]
fn demo_delivers_offline() {
    let output = Command::new(env!("CARGO_BIN_EXE_host-example"))
        .arg("demo")
        .output()
        .expect("host-example runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["status"], "delivered");
    assert!(
        stderr.contains("C: EHLO demo.example.org"),
        "transcript missing: {stderr}"
    );
    assert!(stderr.contains("identical to what was sent"), "{stderr}");
}
