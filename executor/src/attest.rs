//! The tee tier on the executor's side: the enclave keys, generated in this process's memory
//! (inside the enclave or trust domain the executor runs in) and never written anywhere, and
//! the [`Attestor`] that quotes them.
//!
//! - [`TestPkiAttestor`] (**TEST ONLY**, dev chains): quotes from the repository's test PKI,
//!   which the dev and test presets trust and a production genesis (Intel's root) refuses.
//! - [`TdxAttestor`]: a real TDX guest's quote through Linux configfs-tsm
//!   (`/sys/kernel/config/tsm/report`); its collateral comes from a PCCS.

use std::path::PathBuf;

use anyhow::{bail, Context};
use sp_core::{ed25519, Pair};
use verity_primitives::{
	attestation::{statement_report_data, EnclaveKeys},
	inference::{Evidence, ExecutorSignature, ResultStatement, SigningKey},
};
use verity_tee::{test_pki, Collateral};

/// Makes quotes of the enclave the executor runs in.
pub trait Attestor: Send + Sync {
	/// What it is, for logs.
	fn describe(&self) -> String;

	/// A quote committing to `report_data`.
	fn quote(&self, report_data: &[u8; 64]) -> anyhow::Result<Vec<u8>>;

	/// The collateral that `quote` is verified with.
	fn collateral(&self, quote: &[u8]) -> anyhow::Result<Collateral>;
}

/// **TEST ONLY**: quotes of the test PKI for the test executor enclave
/// (`verity_tee::TEST_EXECUTOR_MR_ENCLAVE`). Anyone can make them; only dev chains trust them.
pub struct TestPkiAttestor;

/// The test executor enclave's identity.
pub const TEST_EXECUTOR_ENCLAVE: test_pki::TestEnclave = test_pki::TestEnclave {
	mr_enclave: verity_tee::TEST_EXECUTOR_MR_ENCLAVE,
	mr_signer: [0xdc; 32],
	isv_prod_id: 1,
	isv_svn: 1,
};

impl Attestor for TestPkiAttestor {
	fn describe(&self) -> String {
		"TEST ONLY test-PKI attestor (no hardware; dev chains only)".into()
	}

	fn quote(&self, report_data: &[u8; 64]) -> anyhow::Result<Vec<u8>> {
		Ok(TEST_EXECUTOR_ENCLAVE.quote(report_data))
	}

	fn collateral(&self, _quote: &[u8]) -> anyhow::Result<Collateral> {
		Ok(test_pki::collateral())
	}
}

/// A TDX guest's quotes through configfs-tsm, with collateral from a PCCS.
pub struct TdxAttestor {
	/// The configfs-tsm report directory (`/sys/kernel/config/tsm/report`).
	pub configfs: PathBuf,
	/// The PCCS (or Intel PCS) base URL collateral is fetched from.
	pub pccs_url: String,
}

impl TdxAttestor {
	/// The attestor, if this machine is a TDX guest with configfs-tsm.
	pub fn detect(pccs_url: String) -> anyhow::Result<Self> {
		let configfs = PathBuf::from("/sys/kernel/config/tsm/report");
		if !configfs.is_dir() {
			bail!("no {}: not a TDX guest with configfs-tsm (Linux 6.7+)", configfs.display());
		}
		Ok(Self { configfs, pccs_url })
	}
}

impl Attestor for TdxAttestor {
	fn describe(&self) -> String {
		format!("TDX via configfs-tsm ({}), collateral from {}", self.configfs.display(), self.pccs_url)
	}

	fn quote(&self, report_data: &[u8; 64]) -> anyhow::Result<Vec<u8>> {
		// One report entry per request: write the report data, read the quote, remove it.
		let entry = self.configfs.join(format!("verity-{}-{}", std::process::id(), rand_core::RngCore::next_u64(&mut rand_core::OsRng)));
		std::fs::create_dir(&entry).with_context(|| format!("create {}", entry.display()))?;
		let quote = (|| {
			std::fs::write(entry.join("inblob"), report_data).context("write inblob")?;
			let quote = std::fs::read(entry.join("outblob")).context("read outblob")?;
			let provider = std::fs::read_to_string(entry.join("provider")).unwrap_or_default();
			if provider.trim() != "tdx_guest" {
				bail!("configfs-tsm provider is {:?}, not tdx_guest", provider.trim());
			}
			Ok(quote)
		})();
		let _ = std::fs::remove_dir(&entry);
		quote
	}

	/// Fetched from the PCCS; called off the async runtime's workers (`spawn_blocking`).
	fn collateral(&self, quote: &[u8]) -> anyhow::Result<Collateral> {
		tokio::runtime::Handle::current().block_on(crate::pccs::fetch_collateral(&self.pccs_url, quote))
	}
}

/// The enclave's keys: made fresh in memory when the executor starts.
pub struct Enclave {
	signing: ed25519::Pair,
	encryption: x25519_dalek::StaticSecret,
	attestor: Box<dyn Attestor>,
}

impl Enclave {
	/// New keys, quoted by `attestor`.
	pub fn new(attestor: Box<dyn Attestor>) -> Self {
		let (signing, _) = ed25519::Pair::generate();
		let encryption = x25519_dalek::StaticSecret::random_from_rng(rand_core::OsRng);
		Self { signing, encryption, attestor }
	}

	/// The attestor.
	pub fn attestor(&self) -> &dyn Attestor {
		self.attestor.as_ref()
	}

	/// The public keys, as registered.
	pub fn keys(&self) -> EnclaveKeys {
		EnclaveKeys {
			signing: SigningKey::Ed25519(self.signing.public()),
			encryption: x25519_dalek::PublicKey::from(&self.encryption).to_bytes(),
		}
	}

	/// The X25519 secret that opens sealed inputs.
	pub fn encryption_secret(&self) -> &x25519_dalek::StaticSecret {
		&self.encryption
	}

	/// The tee tier's evidence for `statement`, with a quote binding it if `quote_per_job`.
	pub fn evidence(&self, statement: &ResultStatement, quote_per_job: bool) -> anyhow::Result<Evidence> {
		let signature = ExecutorSignature::Ed25519(self.signing.sign(&statement.signing_payload()));
		let quote = if quote_per_job {
			let quote = self.attestor.quote(&statement_report_data(statement))?;
			Some(quote.try_into().map_err(|_| anyhow::anyhow!("the quote is longer than the chain accepts"))?)
		} else {
			None
		};
		Ok(Evidence::Tee { signature, quote })
	}
}
