//! The `verity` CLI names the cause of a failure and what to do.

use std::process::Command;

fn verity(args: &[&str]) -> (Option<i32>, String) {
	let output = Command::new(env!("CARGO_BIN_EXE_verity")).args(args).output().unwrap();
	(output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_bad_key_is_named_with_the_accepted_forms() {
	let (code, stderr) = verity(&["pay", "http://127.0.0.1:1/x", "--input", "a", "--key", "not a key"]);
	assert_eq!(code, Some(1));
	assert!(stderr.contains("invalid key") && stderr.contains("//Bob"), "{stderr}");
}

#[test]
fn pay_without_the_payers_own_node_is_refused_and_says_why() {
	// The payer's node, not the gateway, says which chain this is and checks the answer.
	let args = ["--node-url", "ws://127.0.0.1:1", "pay", "http://127.0.0.1:1/v1/models/m/infer", "--input", "a", "--key", "//Bob"];
	let (code, stderr) = verity(&args);
	assert_eq!(code, Some(1));
	assert!(stderr.contains("--node-url") && stderr.contains("ws://127.0.0.1:1"), "{stderr}");
}

#[test]
fn a_missing_input_is_named() {
	let (code, stderr) = verity(&["pay", "http://127.0.0.1:1/x", "--key", "//Bob"]);
	assert_eq!(code, Some(1));
	assert!(stderr.contains("--input"), "{stderr}");
}
