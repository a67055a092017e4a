//! Trains the shipped digits classifier and writes its model file.
//!
//! `cargo run --release -p verity-mlp --bin verity-mlp-train -- [OUT]`
//! (default OUT: `models/digits-mlp/model.vmlp`). Deterministic: the same file every run.

use sha2::{Digest, Sha256};
use verity_mlp::train::{train_digits, SHIPPED};

fn main() {
	let out = std::env::args().nth(1).unwrap_or_else(|| "models/digits-mlp/model.vmlp".into());
	let trained = train_digits(&SHIPPED);
	let bytes = trained.quantized.to_bytes();
	if let Some(parent) = std::path::Path::new(&out).parent() {
		std::fs::create_dir_all(parent).expect("create the output directory");
	}
	std::fs::write(&out, &bytes).expect("write the model file");
	println!("settings:           {SHIPPED:?}");
	println!("held-out accuracy:  float {:.2}%, int8 {:.2}%", trained.float_accuracy * 100.0, trained.quantized_accuracy * 100.0);
	println!("model file:         {out} ({} bytes)", bytes.len());
	println!("model id (sha256):  0x{}", hex(&Sha256::digest(&bytes)));
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
