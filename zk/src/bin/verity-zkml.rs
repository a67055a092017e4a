//! Generates a model's Groth16 keys.
//!
//! ```text
//! verity-zkml keygen MODEL.vmlp OUT_DIR [--seed N]
//! ```
//!
//! Writes `OUT_DIR/proving.key` and `OUT_DIR/verifying.key` (compressed canonical encoding).
//! Without `--seed` the randomness comes from the operating system and is dropped when the
//! command ends; with it the keys are reproducible, and **anyone who knows the seed can forge
//! proofs**: seeds are for tests and development chains only. See docs/zk.md.

use std::{path::PathBuf, process::ExitCode, time::Instant};

use ark_std::rand::{rngs::StdRng, SeedableRng};
use verity_mlp::QuantizedMlp;
use verity_zkml::{encode, setup_with_rng};

fn usage() -> ExitCode {
	eprintln!("usage: verity-zkml keygen MODEL.vmlp OUT_DIR [--seed N]");
	ExitCode::from(2)
}

fn main() -> ExitCode {
	let args: Vec<String> = std::env::args().skip(1).collect();
	let (Some("keygen"), Some(model_path), Some(out)) = (args.first().map(String::as_str), args.get(1), args.get(2)) else {
		return usage();
	};
	let seed = match args.get(3).map(String::as_str) {
		Some("--seed") => match args.get(4).and_then(|s| s.parse::<u64>().ok()) {
			Some(seed) => Some(seed),
			None => return usage(),
		},
		Some(_) => return usage(),
		None => None,
	};
	let model = match std::fs::read(model_path).map_err(|e| e.to_string()).and_then(|bytes| {
		QuantizedMlp::from_bytes(&bytes).map_err(|e| e.to_string())
	}) {
		Ok(model) => model,
		Err(e) => {
			eprintln!("{model_path}: {e}");
			return ExitCode::FAILURE;
		},
	};
	let mut rng = match seed {
		Some(seed) => {
			eprintln!("warning: keys from a fixed seed are for tests and development chains only");
			StdRng::seed_from_u64(seed)
		},
		None => StdRng::from_entropy(),
	};
	let started = Instant::now();
	let (pk, vk) = match setup_with_rng(&model, &mut rng) {
		Ok(keys) => keys,
		Err(e) => {
			eprintln!("{e}");
			return ExitCode::FAILURE;
		},
	};
	let out = PathBuf::from(out);
	let (pk_bytes, vk_bytes) = (encode(&pk), encode(&vk));
	if let Err(e) = std::fs::create_dir_all(&out)
		.and_then(|_| std::fs::write(out.join("proving.key"), &pk_bytes))
		.and_then(|_| std::fs::write(out.join("verifying.key"), &vk_bytes))
	{
		eprintln!("{}: {e}", out.display());
		return ExitCode::FAILURE;
	}
	println!(
		"keys for {model_path} in {:.2} s: proving.key {} bytes, verifying.key {} bytes ({} public inputs)",
		started.elapsed().as_secs_f64(),
		pk_bytes.len(),
		vk_bytes.len(),
		vk.gamma_abc_g1.len() - 1
	);
	ExitCode::SUCCESS
}
