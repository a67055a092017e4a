//! The FRAME benchmarks of Verity's pallets run on the real wasm runtime through
//! `verity-node benchmark pallet`, quickly (3 steps, 1 repeat, one run for all), and render
//! through the weights template: a benchmark or the template cannot rot unnoticed. The full run that produces the
//! committed weights is `scripts/benchmarks/run.sh`.

mod common;

use std::process::Command;

use common::TempDir;

#[test]
fn every_verity_pallet_benchmark_runs_on_the_wasm_runtime() {
	let dir = TempDir::new("benchmarks");
	let wasm = dir.path().join("runtime.wasm");
	std::fs::write(&wasm, verity_runtime::WASM_BINARY.expect("the wasm runtime is built"))
		.unwrap();
	let template =
		concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/benchmarks/weight-template.hbs");

	let pallets = [
		"pallet_verity_models",
		"pallet_verity_executors",
		"pallet_verity_inference",
		"pallet_verity_x402",
		"pallet_verity_zk_verifier",
		"pallet_verity_attestation",
		"pallet_verity_reexecution",
	];
	// One run for every pallet (the runtime is compiled once), each benchmark run once
	// (`--min-duration 0`: the default keeps repeating one for ten seconds).
	let output = dir.path().join("weights");
	std::fs::create_dir(&output).unwrap();
	let run = Command::new(env!("CARGO_BIN_EXE_verity-node"))
		.args(["benchmark", "pallet", "--runtime"])
		.arg(&wasm)
		.args(["--genesis-builder", "runtime", "--genesis-builder-preset", "development"])
		.arg("--pallets")
		.args(pallets)
		.args(["--extrinsic", "*", "--steps", "3", "--repeat", "1", "--min-duration", "0", "--template", template])
		.arg("--output")
		.arg(&output)
		.output()
		.expect("verity-node runs");
	assert!(run.status.success(), "the benchmarks failed:\n{}", String::from_utf8_lossy(&run.stderr));
	for pallet in pallets {
		let weights = std::fs::read_to_string(output.join(format!("{pallet}.rs")))
			.unwrap_or_else(|e| panic!("{pallet}: no weights rendered: {e}"));
		assert!(weights.contains("pub trait WeightInfo"), "{pallet}: template rendered");
		assert!(weights.contains("impl WeightInfo for ()"), "{pallet}: test weights rendered");
	}
}
