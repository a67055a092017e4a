//! Confidential inputs (tee tier): an input sealed to one attested enclave's X25519 key, so that
//! only that enclave can read it. See `docs/tee.md`.
//!
//! The construction is Verity's own ECIES (not RFC 9180 HPKE: no HPKE labels or key schedule),
//! from RustCrypto and dalek crates: an ephemeral X25519 key agreement with the recipient key, HKDF-SHA256 over
//! the shared secret bound to both public keys, and AES-256-GCM. The plaintext is a fresh
//! 32-byte salt and the input; the chain keeps the ciphertext and `commitment =
//! BLAKE2-256(salt || input)`, which result statements bind and which is also the AEAD's
//! associated data, so that a ciphertext cannot be moved under another commitment.
//!
//! Sealed bytes: ephemeral public key (32) || ciphertext (salt, input, 16-byte tag).

use aes_gcm::{
	aead::{Aead, Payload},
	Aes256Gcm, KeyInit, Nonce,
};
use hkdf::Hkdf;
use sha2::Sha256;
use sp_core::H256;
use sp_crypto_hashing::blake2_256;
use verity_primitives::inference::JobInput;
use x25519_dalek::{PublicKey, StaticSecret};

const INFO: &[u8] = b"verity/sealed-input/v1";

/// Why a sealed input cannot be opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealedError {
	/// The input is not sealed.
	#[error("the input is not sealed")]
	NotSealed,
	/// Sealed to another enclave's key.
	#[error("sealed to another enclave key")]
	WrongRecipient,
	/// Too short, a degenerate key, or the AEAD refused it (tampered, or under another
	/// commitment).
	#[error("the ciphertext does not open: tampered, or sealed under another commitment")]
	BadCiphertext,
	/// It opened, but the plaintext does not hash to the commitment.
	#[error("the plaintext does not match its commitment")]
	CommitmentMismatch,
}

/// Seals `input` to the enclave key `recipient`.
pub fn seal(recipient: [u8; 32], input: &[u8]) -> anyhow::Result<JobInput> {
	let mut salt = [0u8; 32];
	rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut salt);
	let plaintext = [&salt[..], input].concat();
	let commitment = H256(blake2_256(&plaintext));
	let ephemeral = StaticSecret::random_from_rng(rand_core::OsRng);
	let ephemeral_public = PublicKey::from(&ephemeral).to_bytes();
	let shared = ephemeral.diffie_hellman(&PublicKey::from(recipient));
	anyhow::ensure!(shared.was_contributory(), "the recipient key is degenerate");
	let (cipher, nonce) = cipher(shared.as_bytes(), &ephemeral_public, &recipient);
	let sealed = cipher
		.encrypt(&nonce, Payload { msg: &plaintext, aad: commitment.as_bytes() })
		.map_err(|_| anyhow::anyhow!("encryption failed"))?;
	let ciphertext = [&ephemeral_public[..], &sealed].concat();
	Ok(JobInput::Sealed {
		recipient,
		ciphertext: ciphertext.try_into().map_err(|_| anyhow::anyhow!("the input is too long to seal"))?,
		commitment,
	})
}

/// Opens a sealed input with the enclave's secret key: the input, checked against its
/// commitment.
pub fn open(secret: &StaticSecret, input: &JobInput) -> Result<Vec<u8>, SealedError> {
	let JobInput::Sealed { recipient, ciphertext, commitment } = input else {
		return Err(SealedError::NotSealed);
	};
	if PublicKey::from(secret).to_bytes() != *recipient {
		return Err(SealedError::WrongRecipient);
	}
	if ciphertext.len() < 32 {
		return Err(SealedError::BadCiphertext);
	}
	let (ephemeral_public, sealed) = ciphertext.split_at(32);
	let ephemeral_public: [u8; 32] = ephemeral_public.try_into().expect("32 bytes");
	let shared = secret.diffie_hellman(&PublicKey::from(ephemeral_public));
	if !shared.was_contributory() {
		return Err(SealedError::BadCiphertext);
	}
	let (cipher, nonce) = cipher(shared.as_bytes(), &ephemeral_public, recipient);
	let plaintext = cipher
		.decrypt(&nonce, Payload { msg: sealed, aad: commitment.as_bytes() })
		.map_err(|_| SealedError::BadCiphertext)?;
	if plaintext.len() < 32 || H256(blake2_256(&plaintext)) != *commitment {
		return Err(SealedError::CommitmentMismatch);
	}
	Ok(plaintext[32..].to_vec())
}

/// The AEAD key and nonce from the shared secret, bound to both public keys.
fn cipher(shared: &[u8; 32], ephemeral_public: &[u8; 32], recipient: &[u8; 32]) -> (Aes256Gcm, Nonce<aes_gcm::aead::consts::U12>) {
	let salt = [&ephemeral_public[..], &recipient[..]].concat();
	let mut okm = [0u8; 44];
	Hkdf::<Sha256>::new(Some(&salt), shared).expand(INFO, &mut okm).expect("44 bytes is a valid HKDF length");
	(Aes256Gcm::new_from_slice(&okm[..32]).expect("32-byte key"), *Nonce::from_slice(&okm[32..]))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn enclave() -> StaticSecret {
		StaticSecret::from([7; 32])
	}

	#[test]
	fn only_the_enclave_key_opens_a_sealed_input_and_tampering_is_refused() {
		let recipient = PublicKey::from(&enclave()).to_bytes();
		let sealed = seal(recipient, b"a private prompt").unwrap();
		assert_eq!(open(&enclave(), &sealed).unwrap(), b"a private prompt");
		// The commitment is what statements bind: the input hash of the job.
		assert_eq!(sealed.hash(), match &sealed { JobInput::Sealed { commitment, .. } => *commitment, _ => unreachable!() });
		assert_eq!(open(&StaticSecret::from([8; 32]), &sealed), Err(SealedError::WrongRecipient));
		let JobInput::Sealed { recipient, ciphertext, commitment } = sealed.clone() else { unreachable!() };
		for position in [0, 40, ciphertext.len() - 1] {
			let mut tampered = ciphertext.clone().into_inner();
			tampered[position] ^= 1;
			let tampered = JobInput::Sealed { recipient, ciphertext: tampered.try_into().unwrap(), commitment };
			assert_eq!(open(&enclave(), &tampered), Err(SealedError::BadCiphertext), "byte {position}");
		}
		let moved = JobInput::Sealed { recipient, ciphertext, commitment: H256::repeat_byte(1) };
		assert_eq!(open(&enclave(), &moved), Err(SealedError::BadCiphertext));
		assert_eq!(open(&enclave(), &JobInput::Inline(Default::default())), Err(SealedError::NotSealed));
		// Two seals of the same input differ (fresh salt and ephemeral key).
		assert_ne!(seal(recipient, b"a private prompt").unwrap(), seal(recipient, b"a private prompt").unwrap());
	}
}
