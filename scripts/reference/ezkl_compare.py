#!/usr/bin/env python3
"""Proves the shipped digits MLP with EZKL and with Verity's Groth16 prover, and compares them.

EZKL (Halo2 + KZG over BN254) is the usual general-purpose zkML prover; this script measures both
on the same 64-32-10 integer MLP in one run and prints proving time and proof size side by side.
Usage (scripts/ezkl-compare.sh sets up the venv and passes the right paths):

    python3 scripts/reference/ezkl_compare.py --prove-bench PATH/prove_bench [--runs N]
        [--ezkl-runs N] [--sample I] [--model models/digits-mlp/model.vmlp] [--work DIR]

Needs numpy, onnx and ezkl (pip). Everything is local: the KZG SRS comes from ezkl.gen_srs
(a test SRS, fine for timing, not for production), never from a download.

How the EZKL circuit matches ours: the model file is parsed here (mirroring mlp/src/lib.rs) and
exported to ONNX as Gemm -> Relu -> Mul(2^-shift) -> Floor -> Clip(0, 127) -> Gemm, with the
integer weights as float initializers. EZKL runs at input and parameter scale 0, so every
value is an exact integer in its fixed point: the Mul by a power of two is a free change of
scale, the Floor works at scale `shift` and is exact, and the logits come out as integers. The
script checks that EZKL's logits equal ours bit for bit: for the proven digit, and through EZKL's
witness generation (its circuit's forward pass) for every held-out digit. Exit status 1 if not.
"""
import argparse
import asyncio
import gzip
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
MAGIC = b"VMLP\0\0\0\x01"
GROTH16_PROOF_BYTES = 384  # two G1 points and one G2 point on BLS12-381, uncompressed as the chain takes them (docs/zk.md)


# ---- the model file: MAGIC then SCALE(QuantizedMlp), see mlp/src/lib.rs ----

def _compact(buf, pos):
    """SCALE compact integer (the length prefix of a Vec)."""
    mode = buf[pos] & 3
    if mode == 0:
        return buf[pos] >> 2, pos + 1
    if mode == 1:
        return int.from_bytes(buf[pos:pos + 2], "little") >> 2, pos + 2
    if mode == 2:
        return int.from_bytes(buf[pos:pos + 4], "little") >> 2, pos + 4
    n = (buf[pos] >> 2) + 4
    return int.from_bytes(buf[pos + 1:pos + 1 + n], "little"), pos + 1 + n


def load_model(path):
    """Returns [(weights[out][in] int64, biases int64, shift or None)], input layer first."""
    buf = Path(path).read_bytes()
    if not buf.startswith(MAGIC):
        sys.exit(f"{path}: not a Verity MLP file")
    count, pos = _compact(buf, len(MAGIC))
    layers = []
    for _ in range(count):
        inputs = int.from_bytes(buf[pos:pos + 4], "little")
        outputs = int.from_bytes(buf[pos + 4:pos + 8], "little")
        pos += 8
        n, pos = _compact(buf, pos)
        assert n == inputs * outputs, "weights do not match the layer's widths"
        weights = np.frombuffer(buf, np.int8, n, pos).reshape(outputs, inputs).astype(np.int64)
        pos += n
        n, pos = _compact(buf, pos)
        assert n == outputs, "biases do not match the layer's width"
        biases = np.frombuffer(buf, "<i4", n, pos).astype(np.int64)
        pos += 4 * n
        tag, pos = buf[pos], pos + 1  # enum Activation: 0 = ReluShift { shift: u8 }, 1 = Identity
        shift = None
        if tag == 0:
            shift, pos = buf[pos], pos + 1
        elif tag != 1:
            sys.exit(f"{path}: unknown activation {tag}")
        layers.append((weights, biases, shift))
    if pos != len(buf):
        sys.exit(f"{path}: trailing bytes")
    return layers


def forward(layers, x):
    """The bit-exact integer forward pass of QuantizedMlp::forward, batched: int8 rows to logits."""
    a = np.asarray(x, np.int64)
    for weights, biases, shift in layers:
        acc = a @ weights.T + biases
        if shift is not None:
            a = np.minimum(127, np.maximum(0, acc) >> shift)
    return acc


def held_out_inputs():
    """The held-out digits (index = 4 mod 5) as model inputs (pixel * 7), with their labels."""
    rows = np.loadtxt(gzip.open(ROOT / "mlp/data/digits.csv.gz", "rt"), delimiter=",", dtype=np.int64)
    rows = rows[np.arange(len(rows)) % 5 == 4]
    return np.minimum(rows[:, :64], 16) * 7, rows[:, 64]


# ---- ONNX export ----

def export_onnx(layers, path):
    from onnx import TensorProto, checker, helper, numpy_helper, save

    nodes, inits = [], []
    x = "input"
    for i, (weights, biases, shift) in enumerate(layers):
        inits += [numpy_helper.from_array(weights.astype(np.float32), f"W{i}"),
                  numpy_helper.from_array(biases.astype(np.float32), f"B{i}")]
        nodes.append(helper.make_node("Gemm", [x, f"W{i}", f"B{i}"], [f"acc{i}"], transB=1))
        x = f"acc{i}"
        if shift is not None:
            inits += [numpy_helper.from_array(np.array(2.0 ** -shift, np.float32), f"scale{i}"),
                      numpy_helper.from_array(np.array(0, np.float32), f"lo{i}"),
                      numpy_helper.from_array(np.array(127, np.float32), f"hi{i}")]
            nodes += [helper.make_node("Relu", [x], [f"relu{i}"]),
                      helper.make_node("Mul", [f"relu{i}", f"scale{i}"], [f"scaled{i}"]),
                      helper.make_node("Floor", [f"scaled{i}"], [f"floor{i}"]),
                      helper.make_node("Clip", [f"floor{i}", f"lo{i}", f"hi{i}"], [f"h{i}"])]
            x = f"h{i}"
    nodes.append(helper.make_node("Identity", [x], ["logits"]))
    graph = helper.make_graph(
        nodes, "digits_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, layers[0][0].shape[1]])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, layers[-1][0].shape[0]])],
        inits)
    # An older IR/opset than onnx's default: EZKL's ONNX reader (tract) lags behind onnx releases.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    checker.check_model(model)
    save(model, str(path))


def onnx_float_forward(layers, x):
    """What the exported graph computes in float32: must equal the integer pass."""
    a = np.asarray(x, np.float32)
    for weights, biases, shift in layers:
        acc = a @ weights.T.astype(np.float32) + biases.astype(np.float32)
        if shift is not None:
            a = np.clip(np.floor(np.maximum(acc, 0) * np.float32(2.0 ** -shift)), 0, 127)
    return acc


# ---- the two provers ----

def _sync(result):
    """Some ezkl versions return coroutines (calibrate_settings, gen_witness, ...)."""
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def ezkl_logits(compiled, out_scale, inputs, work):
    """EZKL's circuit forward pass (its witness) on each input: cheap, so it covers every digit."""
    import ezkl

    data, witness = work / "check-input.json", work / "check-witness.json"
    logits = []
    for x in inputs:
        data.write_text(json.dumps({"input_data": [[float(v) for v in x]]}))
        w = _sync(ezkl.gen_witness(str(data), compiled, str(witness)))
        logits.append([ezkl.felt_to_float(f, out_scale) for f in w["outputs"][0]])
    return np.array(logits)


def run_ezkl(onnx_path, inputs, sample, work, runs):
    import ezkl

    paths = {k: str(work / v) for k, v in dict(
        settings="settings.json", data="input.json", compiled="model.compiled", srs="kzg.srs",
        vk="vk.key", pk="pk.key", witness="witness.json", proof="proof.json").items()}
    Path(paths["data"]).write_text(json.dumps({"input_data": [[float(v) for v in inputs[sample]]]}))

    args = ezkl.PyRunArgs()
    # Scale 0: our values are integers already, so EZKL's fixed point loses nothing (see header).
    args.input_scale, args.param_scale, args.scale_rebase_multiplier = 0, 0, 1
    # The same statement as ours: input and output public, weights baked into the circuit.
    args.input_visibility, args.output_visibility, args.param_visibility = "public", "public", "fixed"
    # Like ours, prove without first running a mock prover and verifying the proof ("safe" mode).
    args.check_mode = "unsafe"
    assert _sync(ezkl.gen_settings(str(onnx_path), paths["settings"], py_run_args=args))
    assert _sync(ezkl.calibrate_settings(paths["data"], str(onnx_path), paths["settings"], "resources",
                                         scales=[0], scale_rebase_multiplier=[1]))
    settings = json.loads(Path(paths["settings"]).read_text())
    logrows = settings["run_args"]["logrows"]
    assert _sync(ezkl.compile_circuit(str(onnx_path), paths["compiled"], paths["settings"]))
    out_scale = settings["model_output_scales"][0]
    all_logits = ezkl_logits(paths["compiled"], out_scale, inputs, work)
    assert _sync(ezkl.gen_srs(paths["srs"], logrows)) is not False  # local test SRS, no download
    started = time.perf_counter()
    assert _sync(ezkl.setup(paths["compiled"], paths["vk"], paths["pk"], paths["srs"]))
    setup_s = time.perf_counter() - started
    witness = _sync(ezkl.gen_witness(paths["data"], paths["compiled"], paths["witness"],
                                     paths["vk"], paths["srs"]))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        assert _sync(ezkl.prove(paths["witness"], paths["compiled"], paths["pk"], paths["proof"],
                                paths["srs"]))
        times.append(time.perf_counter() - started)
    assert _sync(ezkl.verify(paths["proof"], paths["settings"], paths["vk"], paths["srs"]))

    outputs = [ezkl.felt_to_float(f, out_scale) for f in witness["outputs"][0]]
    proof = json.loads(Path(paths["proof"]).read_text())
    raw = proof.get("proof")
    raw_bytes = len(bytes.fromhex(raw.removeprefix("0x"))) if isinstance(raw, str) else len(raw)
    return dict(version=getattr(ezkl, "__version__", "?"), logrows=logrows, setup_s=setup_s,
                prove_s=sum(times) / len(times), runs=runs, proof_bytes=raw_bytes,
                proof_file_bytes=os.path.getsize(paths["proof"]), outputs=outputs, all_logits=all_logits,
                scales=(settings["run_args"]["input_scale"], settings["run_args"]["param_scale"]),
                pk_bytes=os.path.getsize(paths["pk"]))


def run_ours(prove_bench, runs):
    if not prove_bench or not os.access(prove_bench, os.X_OK):
        sys.exit(f"prove_bench not found at {prove_bench}: build first: scripts/test.sh")
    line = subprocess.run([prove_bench, str(runs)], check=True, capture_output=True, text=True).stdout
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    # EZKL's prove reads its proving key from disk on every call, so ours is timed the same way.
    return dict(prove_s=float(fields["load_and_prove_mean_s"]), in_memory_s=float(fields["prove_mean_s"]),
                keygen_s=float(fields["keygen_s"]), runs=runs,
                proof_bytes=GROTH16_PROOF_BYTES, pk_bytes=int(fields["proving_key_bytes"]), line=line.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=ROOT / "models/digits-mlp/model.vmlp", type=Path)
    parser.add_argument("--prove-bench", default=os.path.expanduser(
        "~/.cache/verity/target/release/examples/prove_bench"))
    parser.add_argument("--runs", type=int, default=5, help="proofs for prove_bench to average")
    parser.add_argument("--ezkl-runs", type=int, default=1, help="EZKL proofs to average")
    parser.add_argument("--sample", type=int, default=0, help="which held-out digit EZKL proves")
    parser.add_argument("--work", type=Path, default=Path(os.path.expanduser("~/.cache/verity/ezkl-work")))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    layers = load_model(args.model)
    inputs, labels = held_out_inputs()
    logits = forward(layers, inputs)
    accuracy = (logits.argmax(1) == labels).mean()
    # The parse is right if it reproduces the documented held-out accuracy (docs/models.md: 96.66%).
    assert accuracy > 0.9, f"parsed model is only {accuracy:.2%} accurate: the parse is wrong"
    assert np.array_equal(onnx_float_forward(layers, inputs), logits), "ONNX graph != integer model"
    shape = "-".join(str(w.shape[1]) for w, _, _ in layers) + f"-{layers[-1][0].shape[0]}"
    print(f"model {args.model}: {shape}, shift {layers[0][2]}, held-out accuracy {accuracy:.2%}",
          flush=True)

    # Ours first: it fails fast with a clear message when the workspace is not built.
    ours = run_ours(args.prove_bench, args.runs)
    print(f"prove_bench: {ours['line']}", flush=True)

    onnx_path = args.work / "digits_mlp.onnx"
    export_onnx(layers, onnx_path)
    ez = run_ezkl(onnx_path, inputs, args.sample, args.work, args.ezkl_runs)
    expected = logits[args.sample].tolist()
    exact = ez["outputs"] == [float(v) for v in expected]
    mismatched = int((ez["all_logits"] != logits).any(axis=1).sum())

    print(f"\nEZKL {ez['version']} (Halo2, KZG on BN254): logrows {ez['logrows']}, input/param scale "
          f"{ez['scales'][0]}/{ez['scales'][1]}, setup {ez['setup_s']:.2f} s, proving key "
          f"{ez['pk_bytes']:,} B, proof file {ez['proof_file_bytes']:,} B (JSON with instances)")
    print(f"EZKL logits for held-out digit {args.sample} (label {labels[args.sample]}): "
          f"{'identical to' if exact else 'DIFFER from'} the integer model's")
    if not exact:
        print(f"  ezkl:  {ez['outputs']}\n  ours:  {expected}")
    print(f"EZKL circuit's forward pass (witness) on all {len(inputs)} held-out digits: "
          f"{len(inputs) - mismatched} of {len(inputs)} with logits identical to ours")
    print(f"Verity Groth16 (arkworks, BLS12-381): keygen {ours['keygen_s']:.2f} s, proving key "
          f"{ours['pk_bytes']:,} B\n")
    print(f"{'prover':<28}{'proving time (s)':>18}{'proof (bytes)':>15}{'proofs':>8}")
    print(f"{'EZKL ' + ez['version']:<28}{ez['prove_s']:>18.3f}{ez['proof_bytes']:>15,}{ez['runs']:>8}")
    print(f"{'Verity Groth16':<28}{ours['prove_s']:>18.3f}{ours['proof_bytes']:>15,}{ours['runs']:>8}")
    print(f"(both times: read the proving key from disk, then prove; EZKL in check_mode unsafe; ours with "
          f"the key already in memory: {ours['in_memory_s']:.3f} s)")
    print(f"\nspeedup (EZKL time / ours): {ez['prove_s'] / ours['prove_s']:.1f}x; "
          f"proof size ratio: {ez['proof_bytes'] / ours['proof_bytes']:.1f}x")
    return 0 if exact and mismatched == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
