//! The tee tier's quote check: is this an Intel DCAP quote (SGX or TDX) from a genuine enclave,
//! whose certificate chain ends at the chain's trusted root, with collateral valid now?
//!
//! [`verify_quote`] answers with a [`Verdict`] (what the enclave is: its measurement, the 64
//! bytes it committed to, its TCB status and advisories) or a precise [`QuoteError`]. It is
//! deterministic: the quote, the collateral, the root CA and the time all come in as arguments.
//! What to accept (which TCB statuses, which measurements) is the caller's policy, kept on chain.
//!
//! ## Where it runs
//! The check uses `dcap-qvl` (MIT), which cannot be compiled into the wasm runtime: its library
//! declares the `cdylib` and `staticlib` crate types, which cargo builds for dependencies too,
//! and a `no_std` cdylib does not link for wasm32 without an allocator and a panic handler. So
//! it runs natively in the node, behind the runtime interface [`dcap`] (a host function, the
//! way zkVerify runs its Groth16 verification): the runtime calls `dcap::verify_quote`, the node
//! runs [`verify_quote`]. The consequence: changing the verification logic takes a node
//! upgrade, not only a runtime upgrade; so the host function is versioned and each version's
//! verdicts are frozen ([`dcap`], `docs/tee.md`).
//!
//! With the `std` feature off (the wasm runtime) only the types and the host function's
//! declaration are compiled.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

#[cfg(feature = "std")]
mod native;
#[cfg(feature = "std")]
pub use native::verify_quote;
#[cfg(feature = "test-pki")]
pub mod test_pki;

/// What a quote says the enclave is.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug)]
pub enum Measurement {
	/// An SGX enclave.
	Sgx {
		/// Hash of the enclave's code and initial data.
		mr_enclave: [u8; 32],
		/// Hash of the key that signed the enclave.
		mr_signer: [u8; 32],
		/// Product id the signer gave the enclave.
		isv_prod_id: u16,
		/// Security version of the enclave.
		isv_svn: u16,
	},
	/// A TDX trust domain.
	Tdx {
		/// Hash of the TD's initial contents.
		mr_td: [u8; 48],
		/// The runtime measurement registers 0 to 3 (firmware, OS, application, …).
		rtmrs: [[u8; 48]; 4],
	},
}

/// Intel's verdict on the platform's and the quoting enclave's patch level (TCB status).
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug)]
pub enum TcbStatus {
	/// Patched.
	UpToDate,
	/// Patched, but software mitigations are needed for the advisories listed.
	SwHardeningNeeded,
	/// Patched, but the platform's configuration is affected by the advisories listed.
	ConfigurationNeeded,
	/// Both of the above.
	ConfigurationAndSwHardeningNeeded,
	/// Missing security patches.
	OutOfDate,
	/// Missing security patches, and the configuration is affected.
	OutOfDateConfigurationNeeded,
	/// The platform's keys are revoked.
	Revoked,
	/// TDX 1.5: the TD launched on an out-of-date TCB that was since patched in place; it
	/// should be relaunched (with or without a configuration change).
	TdRelaunchAdvised,
}

/// Longest advisory id kept (`INTEL-SA-00615` is 14 bytes).
pub const MAX_ADVISORY_ID_LEN: usize = 32;
/// Most advisories kept in a verdict.
pub const MAX_ADVISORIES: usize = 32;

/// A verified quote.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct Verdict {
	/// What the enclave is.
	pub measurement: Measurement,
	/// The 64 bytes the enclave put in its report: what it binds (a key's hash, a statement).
	pub report_data: [u8; 64],
	/// The patch level of the platform and the quoting enclave, the worse of the two.
	pub tcb_status: TcbStatus,
	/// Intel security advisories that apply (`INTEL-SA-…`), at most [`MAX_ADVISORIES`].
	pub advisory_ids: Vec<Vec<u8>>,
}

/// Why a quote is refused.
#[derive(Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug)]
pub enum QuoteError {
	/// The quote does not parse.
	MalformedQuote,
	/// A quote version, TEE type, key type or QE vendor this check does not support.
	UnsupportedQuote,
	/// The collateral does not decode or parse (SCALE, PEM, DER or JSON).
	MalformedCollateral,
	/// A certificate chain (PCK, TCB signing, CRL issuer) does not end at the trusted root.
	UntrustedCertificateChain,
	/// A certificate in the chain is on a revocation list.
	RevokedCertificate,
	/// The collateral or a certificate is not valid at the time given (expired or not yet).
	CollateralExpired,
	/// The signature over the TCB info or the QE identity does not verify.
	BadCollateralSignature,
	/// The quoting enclave's report is not signed by the PCK key, or does not bind the
	/// attestation key, or is not the genuine quoting enclave.
	BadQeReport,
	/// The quote's signature by the attestation key does not verify.
	BadQuoteSignature,
	/// The quote's platform or TDX module matches no TCB level of the collateral.
	TcbMismatch,
	/// The TCB status is `Revoked`.
	TcbRevoked,
	/// A debug enclave or an insecure TD configuration.
	InsecureEnclave,
	/// Any other failure of the check.
	Other,
}

/// The quote collateral Intel's PCS serves, as `dcap-qvl`'s `QuoteCollateralV3` encodes in
/// SCALE (text fields as bytes, which encode the same as strings).
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug, Default)]
pub struct Collateral {
	/// PEM chain of the PCK CRL's issuer.
	pub pck_crl_issuer_chain: Vec<u8>,
	/// DER CRL of the root CA.
	pub root_ca_crl: Vec<u8>,
	/// DER CRL of the PCK CA.
	pub pck_crl: Vec<u8>,
	/// PEM chain of the TCB info's signer.
	pub tcb_info_issuer_chain: Vec<u8>,
	/// The TCB info (JSON).
	pub tcb_info: Vec<u8>,
	/// Its signature.
	pub tcb_info_signature: Vec<u8>,
	/// PEM chain of the QE identity's signer.
	pub qe_identity_issuer_chain: Vec<u8>,
	/// The QE identity (JSON).
	pub qe_identity: Vec<u8>,
	/// Its signature.
	pub qe_identity_signature: Vec<u8>,
	/// The PCK certificate chain (PEM), when the quote does not carry it.
	pub pck_certificate_chain: Option<Vec<u8>>,
}

impl Collateral {
	/// `MalformedCollateral` unless every part a quote check needs is there (only the PCK
	/// certificate chain may be missing: the quote usually carries it).
	pub fn check_complete(&self) -> Result<(), QuoteError> {
		let required = [
			&self.pck_crl_issuer_chain,
			&self.root_ca_crl,
			&self.pck_crl,
			&self.tcb_info_issuer_chain,
			&self.tcb_info,
			&self.tcb_info_signature,
			&self.qe_identity_issuer_chain,
			&self.qe_identity,
			&self.qe_identity_signature,
		];
		match required.iter().any(|part| part.is_empty()) {
			true => Err(QuoteError::MalformedCollateral),
			false => Ok(()),
		}
	}
}

/// Intel's SGX root CA (DER), the trust root of production quotes: `CN=Intel SGX Root CA`,
/// valid to 2049-12-31, SHA-256 fingerprint `44a0196b…fab674d3`. Public data, as Intel
/// publishes it (also in `dcap-qvl`, MIT).
pub const INTEL_SGX_ROOT_CA_DER: &[u8] = include_bytes!("intel_sgx_root_ca.der");

/// **TEST ONLY** root CA (DER) of the repository's test PKI ([`test_pki`], `tee/test-pki/`):
/// `CN=TEST ONLY Verity DCAP Root CA`, SHA-256 fingerprint `c0cc04d8…a5c496c9`. Its keys are
/// public, so anyone can make a quote it accepts: dev and test chains only.
pub const TEST_ROOT_CA_DER: &[u8] = include_bytes!("../test-pki/root_ca.der");

/// **TEST ONLY**: the `MRENCLAVE` that the executor's test-PKI attestor reports for itself
/// (SHA-256 of `verity/test-pki/executor-enclave`), allowed by the dev and test presets. No real
/// enclave has it.
pub const TEST_EXECUTOR_MR_ENCLAVE: [u8; 32] = [
	0xc7, 0x4e, 0x5f, 0x60, 0x50, 0x12, 0x07, 0x3a, 0x8c, 0xf1, 0xa9, 0x88, 0x9d, 0xf9, 0xe1, 0x5b,
	0x7e, 0x8e, 0x99, 0x82, 0xb3, 0x03, 0x05, 0xcd, 0x6e, 0xfc, 0xbe, 0x84, 0xba, 0x5b, 0xce, 0x14,
];

/// The host function the runtime calls; the node runs [`host_verdict`].
///
/// Its verdicts are consensus, so each version's are frozen (`tests/data/golden-verdicts.txt`)
/// and every version stays in every node: a block is re-executed, when a node syncs, with the
/// version its runtime called. A change of verdicts is a new version, rolled out node first
/// (the version `register_only`, which the runtime cannot call yet), then by a runtime upgrade
/// that calls it, once every validator runs such a node (`docs/tee.md`).
#[sp_runtime_interface::runtime_interface]
pub trait Dcap {
	/// Verifies an Intel DCAP `quote` with its SCALE-encoded [`Collateral`] against the DER
	/// root CA at unix time `now_secs`: [`host_verdict`] version 1.
	fn verify_quote(
		quote: sp_runtime_interface::pass_by::PassFatPointerAndRead<&[u8]>,
		collateral: sp_runtime_interface::pass_by::PassFatPointerAndRead<&[u8]>,
		root_ca_der: sp_runtime_interface::pass_by::PassFatPointerAndRead<&[u8]>,
		now_secs: u64,
	) -> sp_runtime_interface::pass_by::AllocateAndReturnByCodec<Result<Verdict, QuoteError>> {
		crate::host_verdict(1, quote, collateral, root_ca_der, now_secs)
	}

	/// [`host_verdict`] version 2: collateral missing a required part is `MalformedCollateral`
	/// (version 1 lets `dcap-qvl` stumble on it first, mostly as `UntrustedCertificateChain`).
	/// Registered only: nodes serve it, the runtime does not call it yet.
	#[version(2, register_only)]
	fn verify_quote(
		quote: sp_runtime_interface::pass_by::PassFatPointerAndRead<&[u8]>,
		collateral: sp_runtime_interface::pass_by::PassFatPointerAndRead<&[u8]>,
		root_ca_der: sp_runtime_interface::pass_by::PassFatPointerAndRead<&[u8]>,
		now_secs: u64,
	) -> sp_runtime_interface::pass_by::AllocateAndReturnByCodec<Result<Verdict, QuoteError>> {
		crate::host_verdict(2, quote, collateral, root_ca_der, now_secs)
	}
}

/// The verdict version `version` of the host function [`dcap::verify_quote`] gives for `quote`
/// with SCALE-encoded `collateral` against `root_ca_der` at `now_secs` (versions 1 and 2).
#[cfg(feature = "std")]
pub fn host_verdict(
	version: u32,
	quote: &[u8],
	collateral: &[u8],
	root_ca_der: &[u8],
	now_secs: u64,
) -> Result<Verdict, QuoteError> {
	let collateral = Collateral::decode(&mut &collateral[..]).map_err(|_| QuoteError::MalformedCollateral)?;
	if version >= 2 {
		collateral.check_complete()?;
	}
	verify_quote(quote, &collateral, root_ca_der, now_secs)
}
