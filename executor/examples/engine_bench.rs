//! Inferences per second of each model in the models directory, one at a time on one thread,
//! on the chosen device. `scripts/bench.sh` runs it.
//!
//! `engine_bench [--device cpu|cuda] [--seconds 5]`

use std::{path::PathBuf, time::Instant};

use clap::Parser;
use verity_executor::engine::{default_models_dir, load_models, DeviceChoice, EngineKind};

#[derive(Parser)]
struct Args {
	#[arg(long, value_enum, default_value = "cpu")]
	device: DeviceChoice,
	/// Seconds of measurement per model (after one warm-up run).
	#[arg(long, default_value_t = 5.0)]
	seconds: f64,
	#[arg(long, env = "VERITY_MODELS_DIR")]
	models_dir: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
	let args = Args::parse();
	let models_dir = args.models_dir.clone().unwrap_or_else(default_models_dir);
	let engines = load_models(&models_dir, args.device, &[EngineKind::IntMlp, EngineKind::BertEmbedding])?;
	let (_, held_out) = verity_mlp::digits::split(&verity_mlp::digits::load());
	for engine in engines.values() {
		let input = if engine.format() == "int8-mlp" {
			held_out[0].input_bytes()
		} else {
			b"A man is eating food in a small restaurant near the station.".to_vec()
		};
		engine.run(&input)?;
		let start = Instant::now();
		let mut runs = 0u64;
		while start.elapsed().as_secs_f64() < args.seconds {
			engine.run(&input)?;
			runs += 1;
		}
		let elapsed = start.elapsed().as_secs_f64();
		println!(
			"model={} format={} device={:?} runs={runs} inferences_per_s={:.1} mean_ms={:.3}",
			engine.name(),
			engine.format(),
			args.device,
			runs as f64 / elapsed,
			elapsed * 1000.0 / runs as f64
		);
	}
	Ok(())
}
