// Job steps of the network tests, on the node the step names:
//   submit      submit a digits job through this node (any executor may get it); remember it
//   completed   this node sees the remembered (signed) job's result, provisional (the digits
//               model has a zk key, so its signed results can be challenged), its
//               ResultProvisional event, and the output classifying the digit as 0
//   challenge   //Charlie challenges that result: the chain asks its executor for a proof
//   challenge-failed  this node sees the executor's proof accepted: the job Completed, the
//               challenger's bond to the executor (ChallengeFailed), every validator agreeing
//   submit-zk   the same job at the zk tier: the executor proves it, every validator verifies
//               the proof when it imports the block
//   completed-zk  the zk job completed (final at once), its JobCompleted event, the digit 0
//   drawn       the remembered job's executor was drawn in the block after the job's, whose
//               hash (the seed) carries its author's Aura seal: nobody knew it at submission
//   submit-eve  submit a job that only //Eve serves (no fee offered), due in 5 blocks
//   expired     this node sees that job expired, with the payer refunded the whole escrow
const lib = require("./lib.js");

// Waits until this node shows job `id` in `status`, and returns the first event of the job in
// the block of that transition, which must be `method` (by default `Job<status>`).
async function closedAs(api, nodeName, id, status, method = `Job${status}`) {
  await lib.until(`job ${id} ${status} on ${nodeName}`, async () =>
    (await lib.jobStatus(api, id)) === status ? true : undefined,
  );
  const event = await lib.jobEvent(api, id);
  if (!event || event.method !== method) throw new Error(`no ${method} for ${id}`);
  return event;
}

async function run(nodeName, networkInfo, args) {
  const api = await lib.connect(networkInfo, nodeName);
  switch (args[0]) {
    case "submit":
      lib.saveJob("completed", await lib.submitDigitJob(api, 1_000_000_000, 100));
      return 0;
    case "submit-zk":
      lib.saveJob("completed-zk", await lib.submitDigitJob(api, 5_000_000_000, 100, "Zk"));
      return 0;
    case "challenge": {
      const id = lib.loadJob("completed");
      const charlie = new zombie.Keyring({ type: "sr25519" }).addFromUri("//Charlie");
      const events = await lib.submit(api, api.tx.inference.challenge(id, null), charlie);
      if (!events.find(({ event }) => api.events.inference.ProofRequested.is(event))) throw new Error("no ProofRequested");
      return 0;
    }
    case "challenge-failed": {
      const id = lib.loadJob("completed");
      const event = await closedAs(api, nodeName, id, "Completed", "ChallengeFailed");
      if (event.data.bond.toBigInt() !== 1_000_000_000_000n) throw new Error(`bond ${event.data.bond}`);
      return 0;
    }
    case "completed":
    case "completed-zk": {
      const id = lib.loadJob(args[0]);
      if (args[0] === "completed") await closedAs(api, nodeName, id, "Provisional", "ResultProvisional");
      else await closedAs(api, nodeName, id, "Completed");
      const output = Buffer.from((await api.query.inference.outputs(id)).unwrap().toU8a(true));
      const logits = [...Array(10).keys()].map((i) => output.readInt32LE(4 * i));
      const digit = logits.indexOf(Math.max(...logits));
      if (digit !== 0) throw new Error(`classified as ${digit}: ${logits}`);
      return 0;
    }
    case "drawn": {
      const id = lib.loadJob("completed");
      const submitted = await lib.blockWith(api, id, "JobSubmitted");
      const assigned = await lib.blockWith(api, id, "JobAssigned");
      if (assigned !== submitted + 1) throw new Error(`job ${id} submitted in ${submitted}, drawn in ${assigned}`);
      const header = await api.rpc.chain.getHeader(await api.rpc.chain.getBlockHash(submitted));
      const sealed = header.digest.logs.some((log) => log.isSeal && log.asSeal[0].isAura);
      if (!sealed) throw new Error(`block ${submitted} has no Aura seal`);
      return 0;
    }
    case "submit-eve":
      // The nearest deadline the chain takes is 4 blocks after the job's block; one more, in
      // case the job lands a block late.
      lib.saveJob("expired", await lib.submitDigitJob(api, 0, 6));
      return 0;
    case "expired": {
      const id = lib.loadJob("expired");
      const event = await closedAs(api, nodeName, id, "Expired");
      // The escrow of a job offering no fee is the model's price: 0.01 VRT.
      if (event.data.refund.toBigInt() !== 10_000_000_000n) throw new Error(`refund ${event.data.refund}`);
      return 0;
    }
    default:
      throw new Error(`unknown step ${args[0]}`);
  }
}

module.exports = { run };
