#!/usr/bin/env bash
# GPU check kit, step 2 (on the GPU machine; offline): builds zerofleet from this tree against
# the LibTorch inside the installed PyTorch and the .debs that scripts/gpu/prepare.sh fetched
# (unpacked into a private prefix, never into /), then measures what docs/PERFORMANCE.md
# records for a GPU. Without CUDA it runs the same steps on the CPU, smaller (the container
# proof: tests/deploy/gpu_kit_test.sh).
#
# Usage: bash scripts/gpu/run.sh OUT_DIR
#   OUT_DIR gets summary.json (every figure), gpu_check.log (everything printed) and the
#   raw outputs of each step.
# Environment: ZF_TORCH_PREFIX (a LibTorch/Torch CMake prefix instead of PyTorch's),
#   ZF_GPU_WORK (build folder; default build-gpu/ in the tree), ZF_GPU_QUICK=1 (smallest
#   sizes, for the CPU proof).
set -euo pipefail
out=$(realpath -m "${1:?usage: scripts/gpu/run.sh OUT_DIR}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${ZF_GPU_WORK:-$repo/build-gpu}
mkdir -p "$out" "$work"
exec > >(tee -a "$out/gpu_check.log") 2>&1
start=$(date +%s)
step() { echo "=== [$(($(date +%s) - start)) s] $*"; }

step "1. unpack the Debian build dependencies into $work/prefix"
debs=("$repo"/scripts/gpu/debs/*.deb)
[ -e "${debs[0]}" ] || { echo "run: no .debs in scripts/gpu/debs (run scripts/gpu/prepare.sh first)"; exit 1; }
prefix=$work/prefix
rm -rf "$prefix" && mkdir -p "$prefix"
for deb in "${debs[@]}"; do
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$deb" "$prefix"
  else  # a .deb is an ar archive holding data.tar.*
    tmp=$(mktemp -d) && (cd "$tmp" && ar x "$deb" && tar -xf data.tar.* -C "$prefix") && rm -rf "$tmp"
  fi
done
lib=$prefix/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH=$prefix/usr/bin:$PATH
echo "${#debs[@]} packages; protoc: $(protoc --version)"

step "2. LibTorch"
torch=${ZF_TORCH_PREFIX:-}
if [ -z "$torch" ]; then
  torch=$(env -u LD_LIBRARY_PATH python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
fi
echo "Torch CMake prefix: $torch"

step "3. configure and build ($(nproc) cores)"
cmake -S "$repo" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DZF_BUILD_BENCH=OFF \
  -DCMAKE_PREFIX_PATH="$prefix/usr;$torch" -DCMAKE_LIBRARY_ARCHITECTURE=x86_64-linux-gnu \
  -DCMAKE_BUILD_RPATH="$lib" > "$out/configure.log"
tests=(nn_network_test nn_model_file_test nn_torch_evaluator_test nn_autocast_test trainer_test
       replay_buffer_test checkpoint_test resume_test)
ninja -C "$work/build" -j "$(nproc)" zerofleet zerofleet-learner zerofleet-actor \
  zerofleet-inference-server "${tests[@]}" > "$out/build.log"
bin=$work/build/bin
device=cpu
if "$bin/zerofleet" bench nn --device cuda --nets tiny --batches 1 --seconds 0.1 --json \
     > /dev/null 2>&1; then device=cuda; fi
quick=${ZF_GPU_QUICK:-}
[ "$device" = cpu ] && quick=1
echo "device: $device${quick:+ (quick sizes)}"

step "4. nn and learner unit tests (ZF_TEST_DEVICE=$device)"
(cd "$work/build" && ZF_TEST_DEVICE=$device ctest --output-on-failure -R \
  "^($(IFS='|'; echo "${tests[*]}"))\$") > "$out/tests.log" 2>&1 && tests_ok=true || tests_ok=false
tail -3 "$out/tests.log"

step "5. the network alone: evals/s and TFLOP/s"
if [ -n "$quick" ]; then nn_args=(--nets tiny,small --batches 16,64 --precisions fp32 --seconds 0.5)
else nn_args=(--nets small,base --batches 64,256,1024,4096 --precisions fp32,bf16 --seconds 2); fi
"$bin/zerofleet" bench nn --device "$device" --board-size 15 "${nn_args[@]}" --json > "$out/bench_nn.json"

step "6. the Python/Numba trainer's workload: 64 games x 400 sims, small net, 15x15"
ref_games=64 ref_sims=400 ref_iters=2
[ -n "$quick" ] && ref_games=8 ref_sims=50 ref_iters=1
t0=$(date +%s.%N)
"$bin/zerofleet" train --run-dir "$out/ref_run" --device "$device" --net small --board-size 15 \
  --sims "$ref_sims" --parallel-games "$ref_games" --games-per-iter "$ref_games" \
  --num-iterations "$ref_iters" --threads 2 --rating-budget 0 > "$out/ref_run.log" 2>&1
ref_seconds=$(python3 -c "print(($(date +%s.%N) - $t0) / $ref_iters)")
echo "seconds per iteration of $ref_games games x $ref_sims sims: $ref_seconds"

step "7. self-play at scale: many parallel games"
if [ -n "$quick" ]; then sp_games=(32); sp_seconds=3; else sp_games=(1024 4096); sp_seconds=20; fi
for g in "${sp_games[@]}"; do
  "$bin/zerofleet" bench selfplay --device "$device" --nets small --board-size 15 --sims 400 \
    --parallel-games "$g" --threads 2 --seconds "$sp_seconds" --json > "$out/selfplay_$g.json"
done

step "8. the fleet on one box: inference server on the $device, actors on the CPU cores"
if [ -n "$quick" ]; then fleet=(--seconds 10 --warmup 5 --actors 1 --games-per-actor 16)
else fleet=(--seconds 60 --warmup 20 --actors 4 --games-per-actor 256); fi
python3 "$repo/scripts/bench_distributed.py" --bin "$bin" --only distributed "${fleet[@]}" \
  --inference-args "--device $device --net small" > "$out/fleet.log" 2>&1 && fleet_ok=true || fleet_ok=false
tail -5 "$out/fleet.log"

step "9. training: a few minutes of ${device} training (bf16 on CUDA), loss falls, no NaN"
train_seconds=180
[ -n "$quick" ] && train_seconds=40
timeout -s INT "$train_seconds" "$bin/zerofleet" train --run-dir "$out/train_run" \
  --device "$device" --board-size 15 --rating-budget 0 > "$out/train.log" 2>&1 || true

step "10. summary"
python3 - "$out" "$device" "$tests_ok" "$ref_seconds" "$ref_games" "$ref_sims" "$fleet_ok" \
  "$(($(date +%s) - start))" <<'EOF'
import glob, json, math, os, sys
out, device, tests_ok, ref_s, ref_games, ref_sims, fleet_ok, wall = sys.argv[1:]
def load(p):
    try:
        with open(p) as f: return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as e: return {"error": str(e)}
losses = []
try:
    with open(os.path.join(out, "train_run/metrics.jsonl")) as f:
        losses = [json.loads(l) for l in f if l.strip()]
except OSError: pass
pl = [r["policy_loss"] + r["value_loss"] for r in losses]
summary = {
    "device": device, "wall_seconds": int(wall), "unit_tests_passed": tests_ok == "true",
    "bench_nn": load(os.path.join(out, "bench_nn.json")),
    "reference_workload": {"games": int(ref_games), "sims": int(ref_sims),
                           "seconds_per_iteration": float(ref_s), "reference_seconds": 11.0},
    "selfplay": {os.path.basename(p)[9:-5]: load(p) for p in glob.glob(os.path.join(out, "selfplay_*.json"))},
    "fleet_ok": fleet_ok == "true",
    "training": {"steps": losses[-1]["step"] if losses else 0,
                 "first_loss": pl[0] if pl else None, "last_loss": pl[-1] if pl else None,
                 "loss_fell": bool(pl) and pl[-1] < pl[0],
                 "finite": all(math.isfinite(x) for x in pl)},
}
with open(os.path.join(out, "summary.json"), "w") as f: json.dump(summary, f, indent=1)
print(json.dumps(summary)[:2000])
EOF
