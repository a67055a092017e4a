//! **TEST ONLY.** Verity's test DCAP PKI: quotes in the exact Intel DCAP format (SGX, version 3)
//! for any measurement and report data, which `verify_quote` accepts against
//! [`TEST_ROOT_CA_DER`], never against Intel's root.
//!
//! A real quote cannot commit to keys we choose, so dev and test chains trust this root instead
//! of Intel's to show the whole path (quote → verdict → enclave key → tee-tier result) end to
//! end. Its private keys are in the repository (`tee/test-pki/`, made by `generate.py`):
//! anyone can make a quote it accepts, so a chain that trusts it proves nothing about
//! hardware. Production genesis trusts Intel's root and refuses this one.
//!
//! The chain is the real one's shape: test root → PCK CA → PCK certificate (carrying a real
//! platform's SGX extension, so the TCB info matches) → QE report (signed by the PCK key,
//! binding the attestation key) → report body (signed by the attestation key).

use alloc::vec::Vec;
use codec::Decode;
use p256::ecdsa::{signature::Signer, Signature, SigningKey};
use sha2::{Digest, Sha256};

pub use crate::TEST_ROOT_CA_DER;
use crate::{Collateral, Measurement};

const COLLATERAL: &[u8] = include_bytes!("../test-pki/collateral.scale");
const PCK_CHAIN_PEM: &[u8] = include_bytes!("../test-pki/pck_chain.pem");
const PCK_KEY: &[u8; 32] = include_bytes!("../test-pki/pck.key");
/// A real SGX quote's header (48 bytes), report body (384) and QE report (384).
const TEMPLATE: &[u8; 816] = include_bytes!("../test-pki/quote_template.bin");

const HEADER_LEN: usize = 48;
const REPORT_LEN: usize = 384;
/// Where the fields we set lie in an SGX report body.
const MR_ENCLAVE: usize = 64;
const MR_SIGNER: usize = 128;
const ISV_PROD_ID: usize = 256;
const ISV_SVN: usize = 258;
const REPORT_DATA: usize = 320;
/// The report body's attribute flags (first byte) and the DEBUG flag in it.
const ATTRIBUTE_FLAGS: usize = 48;
const DEBUG_FLAG: u8 = 0x02;
/// The certification data type of a PEM PCK certificate chain.
const PCK_CERT_CHAIN: u16 = 5;

/// The collateral (CRLs, TCB info, QE identity, signed under the test root) of every test quote.
pub fn collateral() -> Collateral {
	Collateral::decode(&mut &COLLATERAL[..]).expect("the committed test collateral decodes")
}

/// An SGX enclave of the test PKI: what its quotes say it is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TestEnclave {
	/// Hash of the enclave's code and initial data.
	pub mr_enclave: [u8; 32],
	/// Hash of the key that signed the enclave.
	pub mr_signer: [u8; 32],
	/// Product id.
	pub isv_prod_id: u16,
	/// Security version.
	pub isv_svn: u16,
}

impl TestEnclave {
	/// The measurement a verified quote of this enclave reports.
	pub fn measurement(&self) -> Measurement {
		Measurement::Sgx {
			mr_enclave: self.mr_enclave,
			mr_signer: self.mr_signer,
			isv_prod_id: self.isv_prod_id,
			isv_svn: self.isv_svn,
		}
	}

	/// A quote of this enclave committing to `report_data`.
	pub fn quote(&self, report_data: &[u8; 64]) -> Vec<u8> {
		self.quote_with(report_data, false)
	}

	/// A quote of this enclave built in debug mode (its memory readable by the host), which the
	/// check refuses as `InsecureEnclave`.
	pub fn debug_quote(&self, report_data: &[u8; 64]) -> Vec<u8> {
		self.quote_with(report_data, true)
	}

	fn quote_with(&self, report_data: &[u8; 64], debug: bool) -> Vec<u8> {
		let mut signed = TEMPLATE[..HEADER_LEN + REPORT_LEN].to_vec();
		let body = &mut signed[HEADER_LEN..];
		if debug {
			body[ATTRIBUTE_FLAGS] |= DEBUG_FLAG;
		}
		body[MR_ENCLAVE..MR_ENCLAVE + 32].copy_from_slice(&self.mr_enclave);
		body[MR_SIGNER..MR_SIGNER + 32].copy_from_slice(&self.mr_signer);
		body[ISV_PROD_ID..ISV_PROD_ID + 2].copy_from_slice(&self.isv_prod_id.to_le_bytes());
		body[ISV_SVN..ISV_SVN + 2].copy_from_slice(&self.isv_svn.to_le_bytes());
		body[REPORT_DATA..].copy_from_slice(report_data);

		let attestation_key = signing_key(&Sha256::digest(b"verity/test-pki/attestation-key").into());
		let attestation_public = attestation_key.verifying_key().to_encoded_point(false);
		let attestation_public = &attestation_public.as_bytes()[1..];
		let qe_auth_data = [0u8; 32];

		// The quoting enclave's report binds the attestation key; the PCK key signs it.
		let mut qe_report = TEMPLATE[HEADER_LEN + REPORT_LEN..].to_vec();
		let binding = Sha256::new().chain_update(attestation_public).chain_update(qe_auth_data).finalize();
		qe_report[REPORT_DATA..REPORT_DATA + 32].copy_from_slice(&binding);
		qe_report[REPORT_DATA + 32..].fill(0);

		let mut auth = Vec::new();
		auth.extend_from_slice(&sign(&attestation_key, &signed));
		auth.extend_from_slice(attestation_public);
		auth.extend_from_slice(&qe_report);
		auth.extend_from_slice(&sign(&signing_key(PCK_KEY), &qe_report));
		auth.extend_from_slice(&(qe_auth_data.len() as u16).to_le_bytes());
		auth.extend_from_slice(&qe_auth_data);
		auth.extend_from_slice(&PCK_CERT_CHAIN.to_le_bytes());
		auth.extend_from_slice(&(PCK_CHAIN_PEM.len() as u32).to_le_bytes());
		auth.extend_from_slice(PCK_CHAIN_PEM);

		let mut quote = signed;
		quote.extend_from_slice(&(auth.len() as u32).to_le_bytes());
		quote.extend_from_slice(&auth);
		quote
	}
}

fn signing_key(secret: &[u8; 32]) -> SigningKey {
	SigningKey::from_slice(secret).expect("a valid P-256 scalar")
}

/// A raw `r || s` ECDSA P-256 signature over SHA-256 of `message` (RFC 6979, deterministic).
fn sign(key: &SigningKey, message: &[u8]) -> [u8; 64] {
	let signature: Signature = key.sign(message);
	signature.to_bytes().into()
}
