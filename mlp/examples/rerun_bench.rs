//! The digits model's forward pass natively, as the executor runs it: the reference that
//! `scripts/bench.sh` sets beside the runtime's re-run of the same number of parameters (the
//! re-execution pallet's `reexecute` benchmark, in wasm).
//!
//!   cargo run --release -p verity-mlp --example rerun_bench [ROUNDS]

use std::time::Instant;

use verity_mlp::{digits, QuantizedMlp};

const DIGITS: &[u8] = include_bytes!("../../models/digits-mlp/model.vmlp");

fn main() {
	let rounds: usize = std::env::args().nth(1).map_or(20, |arg| arg.parse().expect("ROUNDS is a number"));
	let inputs: Vec<Vec<u8>> = digits::load().iter().map(|sample| sample.input_bytes()).collect();
	let started = Instant::now();
	let mut checksum = 0u64;
	for _ in 0..rounds {
		for input in &inputs {
			// Decoded each time, as the runtime decodes the stored file for every re-run.
			let model = QuantizedMlp::from_bytes(DIGITS).expect("the shipped model decodes");
			checksum += model.run_bytes(input).expect("a digit is 64 bytes")[0] as u64;
		}
	}
	let runs = rounds * inputs.len();
	let mean_us = started.elapsed().as_secs_f64() * 1e6 / runs as f64;
	let model = QuantizedMlp::from_bytes(DIGITS).unwrap();
	println!(
		"model=digits-mlp parameters={} file_bytes={} runs={runs} native_mean_us={mean_us:.2} checksum={checksum}",
		model.parameters(),
		DIGITS.len()
	);
}
