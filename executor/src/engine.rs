//! Inference engines: one trait, one implementation per model format.
//!
//! A model lives in its own folder of the models directory. Its on-chain id is the SHA-256 of
//! its weights file, computed here when it is loaded: the executor serves a model only under the
//! id its bytes hash to, so a job for a registered id whose file changed on disk finds no engine
//! and is refused rather than answered by other weights.
//!
//! - `model.vmlp`: a [`verity_mlp`] integer MLP. Input: one int8 per byte. Output: the logits,
//!   little-endian i32s. Bit-exact.
//! - `model.safetensors` + `config.json` + `tokenizer.json`: a BERT sentence encoder on candle
//!   (all-MiniLM-L6-v2 is the shipped one). Input: UTF-8 text. Output: the mean-pooled,
//!   L2-normalized embedding, little-endian f32s.

use std::{
	collections::BTreeMap,
	path::{Path, PathBuf},
	sync::Arc,
};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use sha2::{Digest, Sha256};
use tokenizers::Tokenizer;
use verity_primitives::inference::ModelId;

/// Why an engine did not produce an output.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
	/// The input is not something this model takes (size, encoding). The job fails on chain
	/// with this reason and the payer is refunded.
	#[error("bad input: {0}")]
	BadInput(String),
	/// The engine itself failed.
	#[error("engine failure: {0}")]
	Internal(String),
	/// The model has no prover here (zk tier).
	#[error("this executor cannot prove this model: it has no zk/proving.key")]
	NoProver,
}

/// A loaded model that turns job inputs into job outputs.
pub trait Engine: Send + Sync {
	/// The model's on-chain id: SHA-256 of its weights file.
	fn model_id(&self) -> ModelId;
	/// The folder name, for logs and metrics.
	fn name(&self) -> &str;
	/// The format ("int8-mlp", "bert-embedding").
	fn format(&self) -> &'static str;
	/// Runs the model on one input. Blocking: call it off the async runtime.
	fn run(&self, input: &[u8]) -> Result<Vec<u8>, EngineError>;
	/// The memory one proof takes, in bytes, if this engine proves its runs (zk tier).
	fn proving_memory(&self) -> Option<u64> {
		None
	}
	/// Runs the model on one input and proves the run (zk tier): the output and the compressed
	/// Groth16 proof. Blocking, and heavy: call it off the async runtime, within the memory
	/// budget.
	fn prove(&self, _input: &[u8]) -> Result<(Vec<u8>, Vec<u8>), EngineError> {
		Err(EngineError::NoProver)
	}
}

/// Where engines run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceChoice {
	/// The CPU (the default, and what CI tests).
	Cpu,
	/// The first CUDA GPU (needs the `cuda` feature).
	Cuda,
}

impl DeviceChoice {
	fn device(self) -> anyhow::Result<Device> {
		Ok(match self {
			DeviceChoice::Cpu => Device::Cpu,
			DeviceChoice::Cuda => Device::new_cuda(0).map_err(|e| {
				anyhow::anyhow!("no CUDA device ({e}); was the executor built with --features cuda?")
			})?,
		})
	}
}

/// The model formats the executor can run (`--engines`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineKind {
	/// `model.vmlp`: the integer MLP.
	#[value(name = "int8-mlp")]
	IntMlp,
	/// `model.safetensors`: a BERT sentence encoder on candle.
	#[value(name = "bert-embedding")]
	BertEmbedding,
}

/// The models directory when none is configured: `~/.cache/verity/models`, where
/// `scripts/setup.sh` installs the shipped models.
pub fn default_models_dir() -> PathBuf {
	PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| ".".into())).join(".cache/verity/models")
}

/// The id of the model in `folder`: the SHA-256 of its weights file.
pub fn folder_model_id(folder: &Path) -> anyhow::Result<ModelId> {
	let weights = ["model.vmlp", "model.safetensors"]
		.iter()
		.map(|file| folder.join(file))
		.find(|path| path.is_file())
		.ok_or_else(|| anyhow::anyhow!("no model.vmlp or model.safetensors in {}", folder.display()))?;
	file_id(&weights)
}

/// SHA-256 of a file.
pub fn file_id(path: &Path) -> anyhow::Result<ModelId> {
	let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
	Ok(ModelId::from(<[u8; 32]>::from(Sha256::digest(&bytes))))
}

/// The integer MLP engine.
pub struct MlpEngine {
	name: String,
	id: ModelId,
	model: verity_mlp::QuantizedMlp,
	/// The Groth16 proving key (`dir/zk/proving.key`), where the model is served at the zk tier.
	prover: Option<(verity_zkml::ProvingKey, u64)>,
}

/// Peak memory of one proof per byte of proving key: 6.6 MiB for the digits model's 563 KiB
/// key (docs/benchmarks.md), rounded up.
const PROVING_MEMORY_PER_KEY_BYTE: u64 = 16;

impl MlpEngine {
	/// Loads `dir/model.vmlp`, and `dir/zk/proving.key` if there is one.
	pub fn load(name: &str, dir: &Path) -> anyhow::Result<Self> {
		let path = dir.join("model.vmlp");
		let bytes = std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
		let model = verity_mlp::QuantizedMlp::from_bytes(&bytes)
			.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
		let id = ModelId::from(<[u8; 32]>::from(Sha256::digest(&bytes)));
		let key_path = dir.join("zk").join("proving.key");
		let prover = match std::fs::read(&key_path) {
			Ok(key) => {
				let proving_key = verity_zkml::decode::<verity_zkml::ProvingKey>(&key)
					.ok_or_else(|| anyhow::anyhow!("{}: not a proving key", key_path.display()))?;
				Some((proving_key, key.len() as u64 * PROVING_MEMORY_PER_KEY_BYTE))
			},
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
			Err(e) => anyhow::bail!("{}: {e}", key_path.display()),
		};
		Ok(Self { name: name.into(), id, model, prover })
	}
}

impl Engine for MlpEngine {
	fn model_id(&self) -> ModelId {
		self.id
	}

	fn name(&self) -> &str {
		&self.name
	}

	fn format(&self) -> &'static str {
		"int8-mlp"
	}

	fn run(&self, input: &[u8]) -> Result<Vec<u8>, EngineError> {
		self.model.run_bytes(input).map_err(|e| EngineError::BadInput(e.to_string()))
	}

	fn proving_memory(&self) -> Option<u64> {
		self.prover.as_ref().map(|(_, memory)| *memory)
	}

	fn prove(&self, input: &[u8]) -> Result<(Vec<u8>, Vec<u8>), EngineError> {
		let (proving_key, _) = self.prover.as_ref().ok_or(EngineError::NoProver)?;
		verity_zkml::prove(proving_key, &self.model, input).map_err(|e| match e {
			verity_zkml::ZkError::BadInput(reason) => EngineError::BadInput(reason),
			other => EngineError::Internal(other.to_string()),
		})
	}
}

/// Longest text a BERT job may carry, in bytes; longer token sequences are truncated to
/// [`MAX_TOKENS`] anyway, as sentence-transformers does.
pub const MAX_TEXT_BYTES: usize = 8 * 1024;
/// Tokens kept per input (all-MiniLM-L6-v2's `max_seq_length`).
pub const MAX_TOKENS: usize = 256;

/// A BERT sentence encoder on candle: mean pooling over tokens, then L2 normalization.
pub struct BertEmbeddingEngine {
	name: String,
	id: ModelId,
	model: BertModel,
	tokenizer: Tokenizer,
	device: Device,
}

impl BertEmbeddingEngine {
	/// Loads `dir/{model.safetensors,config.json,tokenizer.json}` onto `device`.
	pub fn load(name: &str, dir: &Path, device: DeviceChoice) -> anyhow::Result<Self> {
		let weights = dir.join("model.safetensors");
		let id = file_id(&weights)?;
		let config: BertConfig = serde_json::from_slice(&std::fs::read(dir.join("config.json"))?)?;
		let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))
			.map_err(|e| anyhow::anyhow!("tokenizer.json: {e}"))?;
		// One input at a time: no padding; at most MAX_TOKENS tokens.
		tokenizer.with_padding(None);
		tokenizer
			.with_truncation(Some(tokenizers::TruncationParams {
				max_length: MAX_TOKENS,
				..Default::default()
			}))
			.map_err(|e| anyhow::anyhow!("tokenizer truncation: {e}"))?;
		let device = device.device()?;
		// SAFETY of the memory map: the file is only read, and the executor owns the models
		// directory; it is hashed above and must not be rewritten while the executor runs.
		let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &device)? };
		let model = BertModel::load(vb, &config)?;
		Ok(Self { name: name.into(), id, model, tokenizer, device })
	}

	fn embed(&self, text: &str) -> candle_core::Result<Vec<f32>> {
		let encoding = self
			.tokenizer
			.encode(text, true)
			.map_err(|e| candle_core::Error::Msg(format!("tokenizer: {e}")))?;
		let ids = Tensor::new(encoding.get_ids(), &self.device)?.unsqueeze(0)?;
		let type_ids = ids.zeros_like()?;
		let hidden = self.model.forward(&ids, &type_ids, None)?; // [1, tokens, 384]
		let pooled = hidden.mean(1)?.squeeze(0)?;
		let norm = pooled.sqr()?.sum_all()?.sqrt()?;
		pooled.broadcast_div(&norm)?.to_dtype(DType::F32)?.to_vec1::<f32>()
	}
}

impl Engine for BertEmbeddingEngine {
	fn model_id(&self) -> ModelId {
		self.id
	}

	fn name(&self) -> &str {
		&self.name
	}

	fn format(&self) -> &'static str {
		"bert-embedding"
	}

	fn run(&self, input: &[u8]) -> Result<Vec<u8>, EngineError> {
		let text = std::str::from_utf8(input)
			.map_err(|_| EngineError::BadInput("input must be UTF-8 text".into()))?;
		if text.trim().is_empty() {
			return Err(EngineError::BadInput("input text is empty".into()));
		}
		if text.len() > MAX_TEXT_BYTES {
			return Err(EngineError::BadInput(format!(
				"input text is {} bytes; at most {MAX_TEXT_BYTES}",
				text.len()
			)));
		}
		let embedding = self.embed(text).map_err(|e| EngineError::Internal(e.to_string()))?;
		Ok(embedding.iter().flat_map(|v| v.to_le_bytes()).collect())
	}
}

/// Decodes an embedding job's output back to floats.
pub fn embedding_from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
	(bytes.len() % 4 == 0).then(|| {
		bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
	})
}

/// The engines of a models directory, by model id.
pub type Engines = BTreeMap<ModelId, Arc<dyn Engine>>;

/// Loads every model folder of `dir`. A folder whose format is not recognised is skipped with a
/// warning; one that is recognised but fails to load is an error (a broken model must not be
/// served, and silently dropping it would leave its jobs to expire).
pub fn load_models(dir: &Path, device: DeviceChoice, kinds: &[EngineKind]) -> anyhow::Result<Engines> {
	let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
		.map_err(|e| anyhow::anyhow!("models directory {}: {e}", dir.display()))?
		.filter_map(|entry| entry.ok().map(|e| e.path()))
		.filter(|path| path.is_dir())
		.collect();
	folders.sort();
	let mut engines = Engines::new();
	for folder in folders {
		let name = folder.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
		let kind = if folder.join("model.vmlp").is_file() {
			Some(EngineKind::IntMlp)
		} else if folder.join("model.safetensors").is_file() {
			Some(EngineKind::BertEmbedding)
		} else {
			None
		};
		if kind.is_some_and(|kind| !kinds.contains(&kind)) {
			tracing::info!(folder = %folder.display(), "engine not enabled (--engines): skipped");
			continue;
		}
		let engine: Arc<dyn Engine> = if kind == Some(EngineKind::IntMlp) {
			Arc::new(MlpEngine::load(&name, &folder)?)
		} else if kind == Some(EngineKind::BertEmbedding) {
			Arc::new(
				BertEmbeddingEngine::load(&name, &folder, device)
					.map_err(|e| anyhow::anyhow!("{}: {e}", folder.display()))?,
			)
		} else {
			tracing::warn!(folder = %folder.display(), "no model.vmlp or model.safetensors: skipped");
			continue;
		};
		tracing::info!(
			model = %name,
			id = ?engine.model_id(),
			format = engine.format(),
			zk = engine.proving_memory().is_some(),
			"model loaded"
		);
		engines.insert(engine.model_id(), engine);
	}
	Ok(engines)
}
