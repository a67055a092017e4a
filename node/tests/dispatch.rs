//! Off-chain-worker dispatch on the real `verity-node`: a job assigned to an executor is POSTed
//! to the executor's registered endpoint by the validator's off-chain worker, exactly once,
//! signed with the validator's dispatch key, which is in the chain's dispatcher set.

mod common;

use std::{
	io::{Read, Write},
	net::TcpListener,
	sync::mpsc,
	time::Duration,
};

use codec::{Decode, Encode};
use common::{decode_hex, Node, TempDir};
use serde_json::Value;
use sp_core::{Pair, H256};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{BoundedVec, Perbill};
use verity_primitives::{
	currency::MILLI_UNIT,
	dispatch::{Dispatch, DispatchKey, DispatchSignature},
	inference::{JobInput, JobSpec, SigningKey, VerificationMode},
	AccountId, BlockNumber,
};
use verity_runtime::{configs::MinExecutorStake, signing::sign_extrinsic, AssetKind, Runtime, RuntimeCall};

const TIMEOUT: Duration = Duration::from_secs(120);
const MODEL: H256 = H256::repeat_byte(0x5a);

/// A one-request-at-a-time HTTP server standing in for an executor: it answers 200 to every
/// request and hands each body to the test.
fn executor_endpoint() -> (u16, mpsc::Receiver<Vec<u8>>) {
	let listener = TcpListener::bind("127.0.0.1:0").unwrap();
	let port = listener.local_addr().unwrap().port();
	let (bodies, received) = mpsc::channel();
	std::thread::spawn(move || {
		for stream in listener.incoming() {
			let Ok(mut stream) = stream else { continue };
			stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
			let mut request = Vec::new();
			let mut buffer = [0u8; 4096];
			// Read the head, then the body: Content-Length bytes, or chunks up to the last one.
			let body = loop {
				let Ok(n) = stream.read(&mut buffer) else { break None };
				if n == 0 {
					break None;
				}
				request.extend_from_slice(&buffer[..n]);
				if let Some(body) = parse_body(&request) {
					break Some(body);
				}
			};
			let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
			if let Some(body) = body {
				let _ = bodies.send(body);
			}
		}
	});
	(port, received)
}

/// The body of a complete HTTP/1.1 request in `request`, or `None` if more is to come.
fn parse_body(request: &[u8]) -> Option<Vec<u8>> {
	let head_end = request.windows(4).position(|w| w == b"\r\n\r\n")?;
	let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
	let mut rest = &request[head_end + 4..];
	if head.contains("transfer-encoding: chunked") {
		let mut body = Vec::new();
		loop {
			let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
			let size = usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).ok()?.trim(), 16).ok()?;
			if size == 0 {
				return Some(body);
			}
			let chunk = rest.get(line_end + 2..line_end + 2 + size)?;
			body.extend_from_slice(chunk);
			rest = rest.get(line_end + 2 + size + 2..)?;
		}
	}
	let length = head
		.lines()
		.find_map(|line| line.strip_prefix("content-length:").and_then(|v| v.trim().parse::<usize>().ok()))
		.unwrap_or(0);
	rest.get(..length).map(<[u8]>::to_vec)
}

fn submit(node: &mut Node, who: Sr25519Keyring, call: RuntimeCall, landed: Vec<u8>, what: &str) {
	let extrinsic = sign_extrinsic(&who.pair(), call, 0, node.genesis_hash());
	node.submit(&extrinsic.encode()).unwrap_or_else(|e| panic!("{what}: {e}"));
	node.wait_for(TIMEOUT, what, |n| n.storage(&landed, None).map(|_| ()));
}

#[test]
fn an_assigned_job_is_posted_to_its_executor_once_signed_by_a_dispatcher() {
	let (port, received) = executor_endpoint();
	let dir = TempDir::new("dispatch");
	let mut node = Node::start(dir.path(), &["--dev", "--sealing", "instant"]);

	// The dev chain's dispatcher set is Alice's ed25519 dev key, which `--dev` put in the
	// node's keystore.
	let dispatchers = node
		.storage(&pallet_verity_inference::Dispatchers::<Runtime>::hashed_key(), None)
		.expect("a dispatcher set at genesis");
	let dispatchers = Vec::<DispatchKey>::decode(&mut &dispatchers[..]).unwrap();
	assert_eq!(dispatchers, vec![DispatchKey::from(Ed25519Keyring::Alice.public())]);

	// Charlie's model, served by Bob only, at the endpoint above.
	let (bob, charlie, dave) = (Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave);
	submit(
		&mut node,
		charlie,
		RuntimeCall::Models(pallet_verity_models::Call::register_model {
			model: MODEL,
			name: b"dispatch-test".to_vec().try_into().unwrap(),
			format: b"verity-int8-mlp".to_vec().try_into().unwrap(),
			limits: pallet_verity_models::IoLimits { max_input_len: 64, max_output_len: 16 },
			asset: AssetKind::Native,
			prices: pallet_verity_models::TierPrices { signed: Some(MILLI_UNIT), tee: None, zk: None },
			royalty: Perbill::from_percent(10),
		}),
		pallet_verity_models::Models::<Runtime>::hashed_key_for(MODEL),
		"the model registered",
	);
	let endpoint = format!("http://127.0.0.1:{port}/jobs");
	submit(
		&mut node,
		bob,
		RuntimeCall::Executors(pallet_verity_executors::Call::register_executor {
			registration: pallet_verity_executors::Registration {
				endpoint: endpoint.as_bytes().to_vec().try_into().unwrap(),
				signing_key: SigningKey::Sr25519(bob.public()),
				services: vec![pallet_verity_executors::Service { model: MODEL, mode: VerificationMode::Signed, fee: MILLI_UNIT }]
					.try_into()
					.unwrap(),
				hardware: pallet_verity_executors::HardwareClass::Cpu,
				capacity: 4,
				stake: MinExecutorStake::get(),
			},
		}),
		pallet_verity_executors::Executors::<Runtime>::hashed_key_for(bob.to_account_id()),
		"the executor registered",
	);
	let input: BoundedVec<u8, _> = b"7 7 7".to_vec().try_into().unwrap();
	submit(
		&mut node,
		dave,
		RuntimeCall::Inference(pallet_verity_inference::Call::submit_job {
			spec: JobSpec {
				model: MODEL,
				mode: VerificationMode::Signed,
				input: JobInput::Inline(input.clone()),
				max_fee: MILLI_UNIT,
				deadline: 1_000,
			},
		}),
		pallet_verity_inference::Jobs::<Runtime>::hashed_key_for(0u64),
		"the job submitted",
	);

	// The validator's off-chain worker POSTs the signed dispatch message.
	let body = received.recv_timeout(TIMEOUT).unwrap_or_else(|_| panic!("no dispatch; log:\n{}", node.log_tail()));
	let body: Value = serde_json::from_slice(&body).expect("a JSON body");
	let message = Dispatch::<AccountId, BlockNumber>::decode(&mut &decode_hex(body["dispatch"].as_str().unwrap())[..])
		.expect("a SCALE dispatch message");
	let signature = DispatchSignature::decode(&mut &decode_hex(body["signature"].as_str().unwrap())[..]).unwrap();
	assert!(dispatchers.contains(&message.dispatcher), "signed by a key of the dispatcher set");
	assert!(
		sp_core::ed25519::Pair::verify(
			&signature.into_inner(),
			message.signing_payload(),
			&message.dispatcher.clone().into_inner()
		),
		"the signature verifies"
	);
	assert_eq!(message.genesis_hash, node.genesis_hash());
	assert_eq!((message.job_id, message.executor.clone(), message.attempt), (0, bob.to_account_id(), 1));
	assert_eq!(message.input, JobInput::Inline(input));
	assert_eq!(message.deadline, 1_000);

	// Delivered once: later blocks do not dispatch it again.
	let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: Sr25519Keyring::Eve.to_account_id().into(),
		value: MILLI_UNIT,
	});
	let extrinsic = sign_extrinsic(&Sr25519Keyring::Ferdie.pair(), transfer, 0, node.genesis_hash());
	node.submit(&extrinsic.encode()).unwrap();
	std::thread::sleep(Duration::from_secs(5));
	assert!(received.try_recv().is_err(), "dispatched a second time");
}
