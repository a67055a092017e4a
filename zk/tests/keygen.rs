//! The `verity-zkml keygen` command: it writes keys that prove and verify, reproducibly with a
//! seed, and refuses bad arguments and bad model files with a message.

use std::process::Command;

use verity_mlp::QuantizedMlp;

/// A path in this crate, found at run time (cargo sets `CARGO_MANIFEST_DIR` for tests), so that
/// a test binary built in another checkout sharing the target directory still finds it.
fn here(path: &str) -> String {
	format!("{}/{path}", std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test"))
}

fn model() -> String {
	here("../models/digits-mlp/model.vmlp")
}

fn keygen(args: &[&str]) -> std::process::Output {
	Command::new(env!("CARGO_BIN_EXE_verity-zkml")).args(args).output().expect("runs")
}

#[test]
fn keygen_writes_keys_that_prove_and_verify() {
	let dir = std::env::temp_dir().join(format!("verity-zkml-keygen-{}", std::process::id()));
	let (a, b) = (dir.join("a"), dir.join("b"));
	for out in [&a, &b] {
		let output = keygen(&["keygen", &model(), out.to_str().unwrap(), "--seed", "42"]);
		assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
		assert!(String::from_utf8_lossy(&output.stderr).contains("tests and development chains only"));
	}
	let key = std::fs::read(a.join("verifying.key")).unwrap();
	assert_eq!(key, std::fs::read(b.join("verifying.key")).unwrap(), "a seed makes the same keys");

	let model = QuantizedMlp::from_bytes(&std::fs::read(model()).unwrap()).unwrap();
	let pk: verity_zkml::ProvingKey = verity_zkml::decode(&std::fs::read(a.join("proving.key")).unwrap()).unwrap();
	let input = verity_mlp::digits::load()[0].input_bytes();
	let (output, proof) = verity_zkml::prove(&pk, &model, &input).unwrap();
	assert_eq!(verity_zkml::verify(&key, &input, &output, &proof), Ok(()));
	std::fs::remove_dir_all(&dir).unwrap();
}

/// The development chains' digits keys (`models/digits-mlp/zk/`, registered at genesis) are
/// `keygen --seed 1`, byte for byte: anyone can check (and, being seeded, forge with) them.
#[test]
fn the_committed_development_keys_are_seed_1() {
	let dir = std::env::temp_dir().join(format!("verity-zkml-dev-keys-{}", std::process::id()));
	let output = keygen(&["keygen", &model(), dir.to_str().unwrap(), "--seed", "1"]);
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	let committed = here("../models/digits-mlp/zk");
	for file in ["verifying.key", "proving.key"] {
		let made = std::fs::read(dir.join(file)).unwrap();
		assert!(made == std::fs::read(format!("{committed}/{file}")).unwrap(), "{file} differs from keygen --seed 1");
	}
	std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn keygen_refuses_bad_arguments_and_bad_models() {
	assert_eq!(keygen(&[]).status.code(), Some(2));
	assert_eq!(keygen(&["keygen", &model(), "/tmp/x", "--seed", "many"]).status.code(), Some(2));
	let not_a_model = keygen(&["keygen", &here("Cargo.toml"), "/tmp/verity-zkml-never"]);
	assert_eq!(not_a_model.status.code(), Some(1));
	assert!(String::from_utf8_lossy(&not_a_model.stderr).contains("not a Verity MLP file"));
}
