//! The tee tier's shared vocabulary: the keys an enclave registers, how its quote binds them,
//! and the measurements governance allows.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

use crate::inference::{ResultStatement, SigningKey};

/// The keys an enclave generated inside itself: it signs result statements with one and
/// decrypts confidential inputs with the other.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct EnclaveKeys {
	/// Signs the tee tier's result statements.
	pub signing: SigningKey,
	/// X25519 public key that confidential inputs are sealed to (ephemeral X25519, HKDF-SHA256,
	/// AES-256-GCM: `docs/tee.md`).
	pub encryption: [u8; 32],
}

impl EnclaveKeys {
	/// The domain tag of the report data that binds enclave keys.
	pub const DOMAIN: &'static [u8] = b"verity/enclave/v1";

	/// The 64 bytes an enclave's quote must carry as `report_data` to register these keys for
	/// `executor` on the chain with `genesis_hash`: BLAKE2-256 of the SCALE encoding of
	/// `(DOMAIN, genesis_hash, executor, signing, encryption)`, then 32 zero bytes.
	pub fn report_data<AccountId: Encode>(&self, genesis_hash: H256, executor: &AccountId) -> [u8; 64] {
		let hash = (Self::DOMAIN, genesis_hash, executor, &self.signing, self.encryption)
			.using_encoded(sp_io::hashing::blake2_256);
		padded(hash)
	}
}

/// The `report_data` of a quote made for one job: BLAKE2-256 of the statement's signing payload,
/// then 32 zero bytes.
pub fn statement_report_data(statement: &ResultStatement) -> [u8; 64] {
	padded(sp_io::hashing::blake2_256(&statement.signing_payload()))
}

fn padded(hash: [u8; 32]) -> [u8; 64] {
	let mut data = [0u8; 64];
	data[..32].copy_from_slice(&hash);
	data
}

/// An entry of the measurement allowlist: which enclave images may hold attested keys.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AllowedMeasurement {
	/// One SGX enclave build, by its code hash.
	SgxEnclave {
		/// The enclave's `MRENCLAVE`.
		#[serde(with = "hex_array")]
		mr_enclave: [u8; 32],
	},
	/// Every SGX enclave a signer released for a product, from a security version on.
	SgxSigner {
		/// The signer's `MRSIGNER`.
		#[serde(with = "hex_array")]
		mr_signer: [u8; 32],
		/// The product.
		isv_prod_id: u16,
		/// The lowest accepted security version.
		min_isv_svn: u16,
	},
	/// A TDX trust domain, by its initial contents and the runtime registers that matter.
	Tdx {
		/// The TD's `MRTD`.
		#[serde(with = "hex_array")]
		mr_td: [u8; 48],
		/// Required values of `RTMR0..3`; `None` where any value is accepted (`RTMR3` only: the
		/// attestation pallet refuses an entry that leaves firmware, kernel or command line open).
		rtmrs: [Option<Rtmr>; 4],
	},
}

/// A TDX runtime measurement register's value.
#[derive(
	Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Rtmr(#[serde(with = "hex_array")] pub [u8; 48]);

/// The storage key of an [`AllowedMeasurement`]: one entry per enclave build, signer product or
/// trust domain.
#[derive(
	Clone, Copy, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum MeasurementKey {
	/// An SGX `MRENCLAVE`.
	SgxEnclave([u8; 32]),
	/// An SGX `MRSIGNER` and product id.
	SgxSigner([u8; 32], u16),
	/// A TDX `MRTD`.
	Tdx([u8; 48]),
}

impl AllowedMeasurement {
	/// Where the entry is stored.
	pub fn key(&self) -> MeasurementKey {
		match self {
			AllowedMeasurement::SgxEnclave { mr_enclave } => MeasurementKey::SgxEnclave(*mr_enclave),
			AllowedMeasurement::SgxSigner { mr_signer, isv_prod_id, .. } =>
				MeasurementKey::SgxSigner(*mr_signer, *isv_prod_id),
			AllowedMeasurement::Tdx { mr_td, .. } => MeasurementKey::Tdx(*mr_td),
		}
	}
}


/// Fixed-size byte arrays as `0x`-hex in JSON (genesis presets, chain specs).
mod hex_array {
	use alloc::vec::Vec;

	pub fn serialize<S: serde::Serializer, const N: usize>(bytes: &[u8; N], serializer: S) -> Result<S::Ok, S::Error> {
		sp_core::bytes::serialize(&bytes[..], serializer)
	}

	pub fn deserialize<'de, D: serde::Deserializer<'de>, const N: usize>(deserializer: D) -> Result<[u8; N], D::Error> {
		let bytes: Vec<u8> = sp_core::bytes::deserialize(deserializer)?;
		bytes.try_into().map_err(|_| serde::de::Error::custom("wrong length"))
	}
}

/// An executor's attested enclave, as [`AttestationApi`] reports it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct AttestedEnclave {
	/// The keys its quote bound.
	pub keys: EnclaveKeys,
	/// The allowlist entry its measurement matched.
	pub measurement: MeasurementKey,
	/// When the quote was verified (unix seconds).
	pub attested_at: u64,
	/// When the attestation ends (unix seconds).
	pub expires_at: u64,
}

/// A model's requirements on the enclaves that serve its tee tier.
#[derive(Clone, PartialEq, Eq, Default, Encode, Decode, TypeInfo, Debug)]
pub struct EnclaveRequirements {
	/// Allowlist entries that may serve it; empty: any allowed measurement.
	pub measurements: alloc::vec::Vec<MeasurementKey>,
	/// Whether every result carries a fresh quote whose `report_data` binds its statement.
	pub quote_per_job: bool,
}

sp_api::decl_runtime_apis! {
	/// The tee tier's state.
	pub trait AttestationApi<AccountId> where AccountId: codec::Codec {
		/// The trust root quotes chain to (DER), if the tee tier is configured.
		fn trusted_root() -> Option<alloc::vec::Vec<u8>>;

		/// `executor`'s attested enclave, while its attestation is on chain.
		fn enclave(executor: AccountId) -> Option<AttestedEnclave>;

		/// `model`'s enclave requirements (none set: the default, any allowed enclave).
		fn enclave_requirements(model: crate::inference::ModelId) -> EnclaveRequirements;
	}
}
