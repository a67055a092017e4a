//! Proving and native verification of the shipped digits model: key generation once, then
//! `RUNS` proofs of held-out digits, timed; and the process's peak resident memory. Verification
//! takes the runtime's steps (decode the stored prepared key and the proof, verify), natively,
//! to set beside the runtime's weights. Proving is timed twice: with the key in memory, and
//! with the key read from disk and decoded (checked, as the executor loads it) before each
//! proof, which is what a prover that loads its key per call (EZKL's `prove`) is compared with.
//!
//! `prove_bench [RUNS]` (default 20). `scripts/bench.sh` runs it.

use std::time::Instant;

use verity_mlp::QuantizedMlp;
use ark_bls12_381::Bls12_381;
use verity_zkml::{
	decode, encode, prove, setup_from_seed,
	verifier::{self, PreparedKey, Proof, VerifyingKey},
	ProvingKey,
};

fn peak_rss_mib() -> f64 {
	let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
	status
		.lines()
		.find_map(|line| line.strip_prefix("VmHWM:"))
		.and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
		.map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() {
	let runs: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20);
	let model = QuantizedMlp::from_bytes(include_bytes!("../../models/digits-mlp/model.vmlp")).unwrap();
	let started = Instant::now();
	let (pk, vk) = setup_from_seed(&model, 0).unwrap();
	let keygen = started.elapsed().as_secs_f64();
	let key = encode(&vk);
	let stored = PreparedKey::new(&VerifyingKey::<Bls12_381>::decode(&key).unwrap()).encode_trusted();

	let key_file = std::env::temp_dir().join(format!("verity-prove-bench-{}.key", std::process::id()));
	std::fs::write(&key_file, encode(&pk)).unwrap();

	let (_, held_out) = verity_mlp::digits::split(&verity_mlp::digits::load());
	let (mut proving, mut loading_and_proving, mut verifying) = (Vec::new(), Vec::new(), Vec::new());
	for sample in held_out.iter().take(runs) {
		let input = sample.input_bytes();
		let started = Instant::now();
		let loaded: ProvingKey = decode(&std::fs::read(&key_file).unwrap()).unwrap();
		prove(&loaded, &model, &input).unwrap();
		loading_and_proving.push(started.elapsed().as_secs_f64());
		let started = Instant::now();
		let (output, proof) = prove(&pk, &model, &input).unwrap();
		proving.push(started.elapsed().as_secs_f64());
		let started = Instant::now();
		let key = PreparedKey::<Bls12_381>::decode_trusted(&stored).unwrap();
		verifier::verify(&key, &input, &output, &Proof::decode(&proof).unwrap()).unwrap();
		verifying.push(started.elapsed().as_secs_f64());
	}
	let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
	let max = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
	let _ = std::fs::remove_file(&key_file);
	println!(
		"model=digits-mlp keygen_s={keygen:.3} proofs={runs} prove_mean_s={:.3} prove_max_s={:.3} load_and_prove_mean_s={:.3} verify_native_mean_ms={:.2} peak_rss_mib={:.1} proving_key_bytes={} verifying_key_bytes={}",
		mean(&proving),
		max(&proving),
		mean(&loading_and_proving),
		mean(&verifying) * 1000.0,
		peak_rss_mib(),
		encode(&pk).len(),
		key.len()
	);
}
