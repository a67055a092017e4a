//! The engines on the shipped models (from the models directory `scripts/setup.sh` fills),
//! checked against independent references: the MLP against `verity-mlp`'s own forward pass and
//! labels, MiniLM against a plain numpy BERT (`scripts/reference/minilm_reference.py`).

use std::path::PathBuf;

use serde_json::Value;
use sha2::{Digest, Sha256};
use verity_executor::engine::{
	embedding_from_bytes, load_models, DeviceChoice, EngineError, EngineKind, Engines,
};

const ALL: [EngineKind; 2] = [EngineKind::IntMlp, EngineKind::BertEmbedding];

fn models_dir() -> PathBuf {
	let dir = std::env::var("VERITY_MODELS_DIR")
		.map(PathBuf::from)
		.unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/verity/models"));
	assert!(dir.join("all-minilm-l6-v2/model.safetensors").is_file(), "run scripts/setup.sh first");
	dir
}

fn engines() -> Engines {
	load_models(&models_dir(), DeviceChoice::Cpu, &ALL).unwrap()
}

fn by_name(engines: &Engines, name: &str) -> std::sync::Arc<dyn verity_executor::engine::Engine> {
	engines.values().find(|e| e.name() == name).unwrap_or_else(|| panic!("{name} loaded")).clone()
}

#[test]
fn model_ids_are_the_sha256_of_the_weights_files() {
	let dir = models_dir();
	let engines = engines();
	for (name, file) in [("digits-mlp", "model.vmlp"), ("all-minilm-l6-v2", "model.safetensors")] {
		let id: [u8; 32] = Sha256::digest(std::fs::read(dir.join(name).join(file)).unwrap()).into();
		assert_eq!(by_name(&engines, name).model_id().0, id, "{name}");
	}
}

#[test]
fn the_mlp_engine_is_the_bit_exact_integer_forward_pass() {
	let engine = by_name(&engines(), "digits-mlp");
	let model = verity_mlp::QuantizedMlp::from_bytes(include_bytes!("../../models/digits-mlp/model.vmlp")).unwrap();
	let (_, held_out) = verity_mlp::digits::split(&verity_mlp::digits::load());
	let mut correct = 0;
	for sample in &held_out {
		let output = engine.run(&sample.input_bytes()).unwrap();
		assert_eq!(output, model.run_bytes(&sample.input_bytes()).unwrap());
		let logits = verity_mlp::logits_from_bytes(&output).unwrap();
		correct += usize::from(verity_mlp::argmax(&logits) == sample.label as usize);
	}
	assert!(correct * 100 >= held_out.len() * 90, "{correct}/{} correct", held_out.len());
}

#[test]
fn the_minilm_engine_matches_an_independent_reference() {
	let engine = by_name(&engines(), "all-minilm-l6-v2");
	let reference: Value = serde_json::from_str(include_str!("data/minilm-reference.json")).unwrap();
	for case in reference["cases"].as_array().unwrap() {
		let expected: Vec<f32> =
			case["embedding"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
		let output = engine.run(case["input"].as_str().unwrap().as_bytes()).unwrap();
		let got = embedding_from_bytes(&output).unwrap();
		assert_eq!(got.len(), 384);
		let cosine: f32 = got.iter().zip(&expected).map(|(a, b)| a * b).sum();
		let max_diff = got.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
		assert!(cosine > 0.9999 && max_diff < 1e-3, "{}: cosine {cosine}, max diff {max_diff}", case["input"]);
	}
}

#[test]
fn inputs_a_model_cannot_take_are_bad_input_with_a_reason() {
	let engines = engines();
	let mlp = by_name(&engines, "digits-mlp");
	let minilm = by_name(&engines, "all-minilm-l6-v2");
	let reason = |result: Result<Vec<u8>, EngineError>| match result {
		Err(EngineError::BadInput(reason)) => reason,
		other => panic!("expected bad input, got {other:?}"),
	};
	assert_eq!(reason(mlp.run(&[0; 63])), "input must be 64 int8 values (64 bytes), got 63 bytes");
	assert_eq!(reason(mlp.run(&[])), "input must be 64 int8 values (64 bytes), got 0 bytes");
	assert_eq!(reason(minilm.run(&[0xc3, 0x28])), "input must be UTF-8 text");
	assert_eq!(reason(minilm.run(b"   ")), "input text is empty");
	assert!(reason(minilm.run(&vec![b'a'; 9000])).contains("at most 8192"));
}

#[test]
fn only_enabled_engines_are_loaded_and_other_folders_are_skipped() {
	let dir = std::env::temp_dir().join(format!("verity-models-{}", std::process::id()));
	std::fs::create_dir_all(dir.join("digits-mlp")).unwrap();
	std::fs::create_dir_all(dir.join("notes")).unwrap();
	std::fs::copy(models_dir().join("digits-mlp/model.vmlp"), dir.join("digits-mlp/model.vmlp")).unwrap();
	let engines = load_models(&dir, DeviceChoice::Cpu, &ALL).unwrap();
	assert_eq!(engines.len(), 1);
	assert!(load_models(&dir, DeviceChoice::Cpu, &[EngineKind::BertEmbedding]).unwrap().is_empty());
	// A corrupt model file is an error, not a silently smaller set of models.
	std::fs::write(dir.join("digits-mlp/model.vmlp"), b"VMLP\0\0\0\x01garbage").unwrap();
	assert!(load_models(&dir, DeviceChoice::Cpu, &ALL).is_err());
	std::fs::remove_dir_all(&dir).unwrap();
}

/// Set in the child processes of [`the_minilm_engine_is_bit_exact_across_runs_and_thread_counts`].
const DETERMINISM_CHILD: &str = "VERITY_DETERMINISM_CHILD";
const DETERMINISM_TEST: &str = "the_minilm_engine_is_bit_exact_across_runs_and_thread_counts";

/// Texts from one word to the longest input, so that every matmul shape the model has is hit
/// with short and long sequences.
fn determinism_texts() -> Vec<String> {
	let long = "Verifiable inference needs every honest executor to get the same bytes. ".repeat(40);
	vec!["Hi".into(), "A man is eating food.".into(), long[..2_000.min(long.len())].into()]
}

/// Issue #18 (a re-execution committee compares output hashes, so its engine must be bit-exact):
/// MiniLM on the CPU gives the same bytes on every run and with any number of threads. Candle's
/// matmul (the `gemm` crate) splits its work by `RAYON_NUM_THREADS`, read at each call, over
/// output rows and columns only; how it blocks a reduction depends on the CPU's SIMD width and
/// cache sizes (`gemm-common`'s `kernel_params`), not on the thread count, so a committee's
/// device class must pin those, not the threads. The test runs itself once per thread count in
/// a child process, which runs each text twice, checks the runs agree and prints the SHA-256 of
/// all outputs.
#[test]
fn the_minilm_engine_is_bit_exact_across_runs_and_thread_counts() {
	if std::env::var(DETERMINISM_CHILD).is_ok() {
		let engine = by_name(&engines(), "all-minilm-l6-v2");
		let mut all = Sha256::new();
		for text in determinism_texts() {
			let first = engine.run(text.as_bytes()).unwrap();
			assert_eq!(engine.run(text.as_bytes()).unwrap(), first, "two runs of {text:?} differ");
			all.update(&first);
		}
		return println!("outputs sha256 {}", hex::encode(all.finalize()));
	}
	let digests: Vec<(usize, String)> = [1usize, 2, 3, 4, 8]
		.into_iter()
		.map(|threads| {
			let child = std::process::Command::new(std::env::current_exe().unwrap())
				.args(["--exact", DETERMINISM_TEST, "--nocapture", "--test-threads=1"])
				.env(DETERMINISM_CHILD, "1")
				.env("RAYON_NUM_THREADS", threads.to_string())
				.output()
				.unwrap();
			let stdout = String::from_utf8_lossy(&child.stdout);
			assert!(child.status.success(), "{threads} threads: {stdout}{}", String::from_utf8_lossy(&child.stderr));
			let digest = stdout.split("outputs sha256 ").nth(1).and_then(|rest| rest.split_whitespace().next());
			let digest = digest.unwrap_or_else(|| panic!("{threads} threads: no digest in {stdout}")).to_owned();
			(threads, digest)
		})
		.collect();
	assert!(digests.iter().all(|(_, digest)| *digest == digests[0].1), "outputs differ by thread count: {digests:?}");
}
