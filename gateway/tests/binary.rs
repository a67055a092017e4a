//! The `verity-gateway` binary refuses to start without what it needs, and says what that is.

use std::process::Command;

fn gateway(args: &[&str]) -> (Option<i32>, String) {
	let output = Command::new(env!("CARGO_BIN_EXE_verity-gateway")).args(args).output().unwrap();
	(output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn without_a_relayer_key_it_says_so() {
	let (code, stderr) = gateway(&["--node-url", "ws://127.0.0.1:1"]);
	assert_eq!(code, Some(1));
	assert!(stderr.contains("no relayer key"), "{stderr}");
}

#[test]
fn a_bad_model_name_is_refused_before_anything_runs() {
	let (code, stderr) = gateway(&["--key", "//Eve", "--model", "digits=0x12"]);
	assert_eq!(code, Some(2), "{stderr}");
	assert!(stderr.contains("the id is not 32 bytes"), "{stderr}");
}

#[test]
fn an_unreachable_node_is_named() {
	let (code, stderr) = gateway(&["--key", "//Eve", "--node-url", "ws://127.0.0.1:1"]);
	assert_eq!(code, Some(1));
	assert!(stderr.contains("cannot reach the node at ws://127.0.0.1:1"), "{stderr}");
}
