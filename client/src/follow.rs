//! One subscription to the chain's best heads, shared by everything in a process that waits on
//! the chain: the executor's job intake, the gateway's page and its waiting paid requests. Each
//! new best block is read once (its typed events, `EventsApi::events`) and handed
//! to every listener, so the RPC load is O(blocks), not O(waiters × polls).

use std::{sync::Arc, time::Duration};

use codec::Encode;
use sp_core::H256;
use tokio::sync::{broadcast, watch};
use verity_primitives::{
	inference::JobId,
	BlockNumber,
};

use crate::chain::{Chain, Event, Job};

/// How many blocks a listener may fall behind before it misses some ([`Follower::heads`]).
const HEAD_BUFFER: usize = 256;
/// How many skipped blocks are read when the best head jumps (a reorg or a burst of blocks).
const MAX_GAP: BlockNumber = 64;
/// The pause before subscribing again after the subscription failed.
const RESUBSCRIBE_PAUSE: Duration = Duration::from_secs(1);

/// A block of the best chain, read once for every listener.
#[derive(Clone, Debug)]
pub struct Head {
	/// Its number.
	pub number: BlockNumber,
	/// Its hash.
	pub hash: H256,
	/// Its events that services act on, each with the index of the extrinsic that emitted it.
	pub events: Vec<(Option<u32>, Event)>,
	/// Whether something may have been missed up to this head: its events could not be read,
	/// the best chain re-organised (a replaced block is not read), or blocks were skipped. A
	/// listener that acts on events reads what it follows again.
	pub incomplete: bool,
}

impl Head {
	/// Whether `job` may have changed at this head: an event of the block is about it, or the
	/// head is [`Head::incomplete`].
	pub fn may_change(&self, job: JobId) -> bool {
		self.incomplete || self.events.iter().any(|(_, event)| event.job() == Some(job))
	}
}

/// The shared head subscription of one process.
#[derive(Clone)]
pub struct Follower {
	chain: Chain,
	heads: broadcast::Sender<Arc<Head>>,
	/// Closed once every clone is dropped: the follow task then ends.
	_alive: watch::Receiver<()>,
}

impl Follower {
	/// Starts following `chain`'s best heads (a task on the current tokio runtime).
	pub fn start(chain: Chain) -> Self {
		let (heads, _) = broadcast::channel(HEAD_BUFFER);
		let (alive, _alive) = watch::channel(());
		tokio::spawn(follow(chain.clone(), heads.clone(), alive));
		Self { chain, heads, _alive }
	}

	/// Every best head from now on, in order (a listener more than [`HEAD_BUFFER`] heads
	/// behind is told how many it missed).
	pub fn heads(&self) -> broadcast::Receiver<Arc<Head>> {
		self.heads.subscribe()
	}

	/// Waits until `job` is closed on the best chain: its summary and the block it was read at.
	/// `on_change` sees each status the job is found in. The job is read at the best block, and
	/// again only at heads that may have changed it ([`Head::may_change`]); a job not on chain
	/// yet (the caller's node is ahead of this one) is read again at every head.
	pub async fn wait_closed(&self, job: JobId, mut on_change: impl FnMut(&Job)) -> anyhow::Result<(Job, H256)> {
		let mut heads = self.heads();
		let mut seen = None;
		let mut at = Some(self.chain.best_hash().await?);
		loop {
			if let Some(block) = at.take() {
				match self.chain.job_at(job, block).await? {
					Some(summary) => {
						if seen != Some(summary.status) {
							seen = Some(summary.status);
							on_change(&summary);
						}
						if !summary.status.is_open() {
							return Ok((summary, block));
						}
					},
					None if seen.is_some() => anyhow::bail!("job {job} is no longer on chain"),
					None => {},
				}
			}
			let (next, missed_some) = next_head(&mut heads).await?;
			if missed_some || seen.is_none() || next.may_change(job) {
				at = Some(next.hash);
			}
		}
	}
}

/// The next head, and whether the listener fell behind and missed some before it.
async fn next_head(heads: &mut broadcast::Receiver<Arc<Head>>) -> anyhow::Result<(Arc<Head>, bool)> {
	let mut missed_some = false;
	loop {
		match heads.recv().await {
			Ok(head) => return Ok((head, missed_some)),
			Err(broadcast::error::RecvError::Lagged(_)) => missed_some = true,
			Err(broadcast::error::RecvError::Closed) => anyhow::bail!("the chain follower stopped"),
		}
	}
}

async fn follow(chain: Chain, heads: broadcast::Sender<Arc<Head>>, alive: watch::Sender<()>) {
	// The last head sent: its number and hash.
	let mut last: Option<(BlockNumber, H256)> = None;
	loop {
		let mut subscription = match chain.rpc().chain_subscribe_new_heads().await {
			Ok(subscription) => subscription,
			Err(error) => {
				tracing::warn!(%error, "cannot follow the chain's heads; retrying");
				tokio::time::sleep(RESUBSCRIBE_PAUSE).await;
				continue;
			},
		};
		while let Some(Ok(header)) = subscription.next().await {
			// Every `Follower` is gone: nobody listens.
			if alive.is_closed() {
				return;
			}
			let number = header.number as BlockNumber;
			let parent = H256(header.parent_hash.0);
			// Blocks the subscription skipped are read by number (at most `MAX_GAP` of them), so
			// every listener sees them; a head that does not extend the last one sent (a re-org,
			// or a gap too long) is marked incomplete.
			let (from, mut incomplete) = match last {
				Some((last_number, last_hash)) if number == last_number + 1 => (number, parent != last_hash),
				Some((last_number, _)) if number > last_number + 1 && number - last_number <= MAX_GAP =>
					(last_number + 1, false),
				Some((_, last_hash)) if number > 0 && parent == last_hash => (number, false),
				Some(_) => (number, true),
				None => (number, false),
			};
			// The announced head's hash is its header's BLAKE2-256: no call needed for it.
			let tip = H256(sp_crypto_hashing::blake2_256(&header.encode()));
			for at in from..=number {
				let hash = if at == number {
					tip
				} else {
					match chain.block_hash(at).await {
						Ok(hash) => hash,
						Err(error) => {
							tracing::warn!(number = at, %error, "cannot read a skipped block");
							incomplete = true;
							continue;
						},
					}
				};
				let head = read_head(&chain, at, hash).await;
				if last.is_some_and(|(_, hash)| hash == head.hash) {
					continue;
				}
				let head = Arc::new(Head { incomplete: head.incomplete || incomplete, ..head });
				incomplete = false;
				last = Some((head.number, head.hash));
				let _ = heads.send(head);
			}
		}
		tracing::warn!("the chain's head subscription ended; subscribing again");
		tokio::time::sleep(RESUBSCRIBE_PAUSE).await;
	}
}

/// Block `number` of the best chain, `hash`, with its typed events (none, and incomplete, when
/// they cannot be read: a runtime without `EventsApi`, say).
async fn read_head(chain: &Chain, number: BlockNumber, hash: H256) -> Head {
	match chain.events_at(hash).await {
		Ok(events) => Head { number, hash, events, incomplete: false },
		Err(error) => {
			tracing::warn!(number, %error, "cannot read a block's events");
			Head { number, hash, events: Vec::new(), incomplete: true }
		},
	}
}
