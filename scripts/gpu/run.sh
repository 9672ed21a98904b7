#!/usr/bin/env bash
# GPU check kit, step 2 (on the GPU machine; offline): builds zerofleet from this tree against
# the LibTorch inside the installed PyTorch and the .debs that scripts/gpu/prepare.sh fetched
# (unpacked into a private prefix, never into /), then measures what docs/PERFORMANCE.md
# records for a GPU. Without CUDA it runs the same steps on the CPU with small sizes (the proof
# that the kit works, run in a plain Debian 12 root without the -dev packages).
#
# Usage: bash scripts/gpu/run.sh OUT_DIR
#   OUT_DIR gets summary.json (every figure and each step's status), gpu_check.log (everything
#   printed) and the raw output of each step. A failed or timed-out measurement is recorded and
#   the next one runs; only a failed build stops the run.
# Environment: ZF_TORCH_PREFIX (a LibTorch/Torch CMake prefix instead of PyTorch's),
#   ZF_GPU_WORK (build folder; default build-gpu/ in the tree), ZF_GPU_QUICK=1 (small sizes),
#   ZF_GPU_DEADLINE (seconds: steps are cut short so that the summary is written by then),
#   ZF_GPU_ONLY (space-separated step names, as in summary.json: run only those after the build).
set -uo pipefail
out=$(realpath -m "${1:?usage: scripts/gpu/run.sh OUT_DIR}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${ZF_GPU_WORK:-$repo/build-gpu}
deadline=${ZF_GPU_DEADLINE:-0}
mkdir -p "$out" "$work"
exec > >(tee -a "$out/gpu_check.log") 2>&1
start=$(date +%s)
elapsed() { echo $(($(date +%s) - start)); }
say() { echo "=== [$(elapsed) s] $*"; }
die() { say "FAILED: $*"; summarize; exit 1; }
: > "$out/steps.tsv"

# run_step NAME LIMIT_S CMD...: runs CMD with a time limit (shortened to meet the deadline) and
# records ok / failed (rc) / timeout / skipped with its seconds in steps.tsv.
run_step() {
  local name=$1 limit=$2 t0 rc status
  shift 2
  if [ -n "${ZF_GPU_ONLY:-}" ] && [[ " ${ZF_GPU_ONLY//$'\n'/ } " != *" $name "* ]]; then
    printf '%s\tskipped\t0\n' "$name" >> "$out/steps.tsv"; say "$name: skipped (ZF_GPU_ONLY)"
    return 0
  fi
  if [ "$deadline" -gt 0 ]; then
    local left=$((deadline - $(elapsed) - 15))
    [ "$left" -lt "$limit" ] && limit=$left
    if [ "$limit" -lt 10 ]; then
      printf '%s\tskipped\t0\n' "$name" >> "$out/steps.tsv"; say "$name: skipped (deadline)"
      return 0
    fi
  fi
  say "$name (at most $limit s)"
  t0=$(date +%s)
  timeout -k 10 -s INT "$limit" "$@"
  rc=$?
  case $rc in 0) status=ok ;; 124|137) status=timeout ;; *) status="failed ($rc)" ;; esac
  printf '%s\t%s\t%s\n' "$name" "$status" "$(($(date +%s) - t0))" >> "$out/steps.tsv"
  say "$name: $status"
}

say "0. the machine"
{
  echo "os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "compiler: $(c++ --version 2>/dev/null | head -1)"
  echo "cmake: $(cmake --version 2>/dev/null | head -1); ninja: $(ninja --version 2>/dev/null)"
  echo "nvcc: $(nvcc --version 2>/dev/null | tail -1)"
  echo "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null)"
  echo "python torch: $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)' 2>/dev/null)"
} | tee "$out/machine.txt"

summarize() {
  say "summary"
  python3 "$repo/scripts/gpu/summarize.py" "$out" "$(elapsed)" || echo "run: summary failed"
}

say "1. unpack the Debian build dependencies into $work/prefix"
debs=("$repo"/scripts/gpu/debs/*.deb)
[ -e "${debs[0]}" ] || die "no .debs in scripts/gpu/debs (run scripts/gpu/prepare.sh first)"
prefix=$work/prefix
rm -rf "$prefix" && mkdir -p "$prefix"
for deb in "${debs[@]}"; do
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$deb" "$prefix"
  else  # a .deb is an ar archive holding data.tar.*
    tmp=$(mktemp -d) && (cd "$tmp" && ar x "$deb" && tar -xf data.tar.* -C "$prefix") && rm -rf "$tmp"
  fi || die "cannot unpack $deb"
done
lib=$prefix/usr/lib/x86_64-linux-gnu
# Only the build's own tools (protoc, grpc_cpp_plugin) see these libraries through the
# environment; the binaries find them through their RPATH (below).
with_libs() { env LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }
export PATH=$prefix/usr/bin:$PATH
# The .pc files say prefix=/usr: pkg-config (gRPC's CMake config finds re2 with it) must
# prepend the private prefix to their paths.
export PKG_CONFIG_PATH=$lib/pkgconfig:$prefix/usr/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=$prefix
echo "${#debs[@]} packages; protoc: $(with_libs protoc --version)"

say "2. LibTorch"
torch=${ZF_TORCH_PREFIX:-}
if [ -z "$torch" ]; then
  torch=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)') ||
    die "no ZF_TORCH_PREFIX and no PyTorch in python3"
fi
echo "Torch CMake prefix: $torch"
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=$PATH:/usr/local/cuda/bin
fi
# Torch's CMake config probes the GPU for its architecture list unless told; we compile no CUDA.
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}

say "3. configure and build ($(nproc) cores)"
# Debian keeps some headers (openssl/opensslconf.h) in the multiarch folder, which the
# compiler searches under /usr only. DT_RPATH (not RUNPATH) so that the Debian libraries' own
# dependencies (re2, c-ares, ...) are found in the prefix too, whatever the machine has.
rm -f "$work/build/CMakeCache.txt"  # a fresh configure (no stale paths); objects are kept
with_libs cmake -S "$repo" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DZF_BUILD_BENCH=OFF -DCMAKE_PREFIX_PATH="$prefix/usr;$torch" \
  -DCMAKE_CXX_FLAGS="-isystem $prefix/usr/include/x86_64-linux-gnu" \
  -DCMAKE_LIBRARY_ARCHITECTURE=x86_64-linux-gnu -DCMAKE_BUILD_RPATH="$lib" \
  -DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags > "$out/configure.log" 2>&1 ||
  { tail -30 "$out/configure.log"; die "configure (configure.log)"; }
tests=(nn_network_test nn_model_file_test nn_torch_evaluator_test nn_autocast_test trainer_test
       replay_buffer_test checkpoint_test resume_test)
with_libs ninja -C "$work/build" -j "$(nproc)" zerofleet zerofleet-learner zerofleet-actor \
  zerofleet-inference-server "${tests[@]}" > "$out/build.log" 2>&1 ||
  { grep -m5 -A8 'error' "$out/build.log"; tail -5 "$out/build.log"; die "build (build.log)"; }
printf 'build\tok\t%s\n' "$(elapsed)" >> "$out/steps.tsv"
bin=$work/build/bin
device=cpu
if "$bin/zerofleet" bench nn --device cuda --nets tiny --batches 1 --seconds 0.1 --json \
     > "$out/cuda_probe.log" 2>&1; then
  device=cuda
else
  echo "no CUDA for zerofleet: $(tail -2 "$out/cuda_probe.log")"
fi
quick=${ZF_GPU_QUICK:-}
[ "$device" = cpu ] && quick=1
echo "device: $device${quick:+ (quick sizes)}" | tee -a "$out/machine.txt"

# Most telling first: a deadline cuts the last steps short.
# 4. Self-play at scale: many parallel games, 400 sims, small net. Each row says where the
# time goes (eval_share: the evaluator's share of all threads' time; distinct_batch_sizes) and
# pads batches or not: on the H200 box (2026-11-30) unpadded batches of 511 made 4,096 games
# 10x slower (padding is the default on CUDA). Two rows with OMP_NUM_THREADS=1 (Torch's
# intra-op threads per process).
if [ -n "$quick" ]; then sp_configs=("32 2 auto 0"); sp_seconds=3
else sp_configs=("64 1 auto 0" "1024 8 auto 0" "2048 8 auto 0" "4096 8 auto 0" "4096 8 off 0"
                 "1024 8 auto 1" "2048 8 auto 1")
  sp_seconds=5; fi
for config in "${sp_configs[@]}"; do
  read -r g t pad omp1 <<< "$config"
  name="selfplay_${g}_t${t}_pad${pad}$([ "$omp1" = 1 ] && echo _omp1)"
  run_step "$name" 40 bash -c '[ "$1" = 1 ] && export OMP_NUM_THREADS=1; shift
    "$@" > "'"$out/$name.json"'"; rc=$?; cat "'"$out/$name.json"'"; exit $rc' _ "$omp1" \
    "$bin/zerofleet" bench selfplay --device "$device" --nets small --board-size 15 --sims 400 \
    --parallel-games "$g" --threads "$t" --seconds "$sp_seconds" --pad-batches "$pad" \
    --norecommend --json
done

# 5. The Python/Numba trainer's workload: 64 games x 400 sims (every move), small net, 15x15
# (on the H200 box, 2026-11-30, batches padded: ~30 s of self-play at 37.7k sims/s with one
# thread and one leaf per game, ~1.5 ms per network call of 64). Two ways to bigger or
# overlapping calls: four leaves per game (batch 256), two threads. Stopped at its limit if the
# iteration is longer: the summary then reads the games and sims/s off train's progress line.
ref_games=64 ref_sims=400
[ -n "$quick" ] && ref_games=8 ref_sims=50
echo "$ref_games $ref_sims" > "$out/reference_workload.txt"
for variant in "ref_t1 --threads 1" "ref_leaves4 --threads 1 --leaves-per-game 4" \
               "ref_t2 --threads 2"; do
  read -r name variant_args <<< "$variant"
  [ -n "$quick" ] && [ "$name" != ref_t1 ] && continue
  rm -rf "${out:?}/$name"  # train resumes a run folder: a rerun must start afresh
  # shellcheck disable=SC2086  # variant_args are separate flags
  run_step "reference_workload_${name#ref_}" 75 bash -c '"$@" > "'"$out/$name"'.log" 2>&1' _ \
    "$bin/zerofleet" train --run-dir "$out/$name" --device "$device" --net small \
    --board-size 15 --sims "$ref_sims" --fast-move-fraction 0 --parallel-games "$ref_games" \
    --games-per-iter "$ref_games" --num-iterations 1 --rating-budget 0 $variant_args
done

# 6. The nn and learner unit tests on the device.
test_regex="^($(IFS='|'; echo "${tests[*]}"))\$"
run_step tests "$([ -n "$quick" ] && echo 900 || echo 150)" bash -c 'cd "$1" &&
  ZF_TEST_DEVICE="$2" ctest --output-on-failure --timeout 300 -R "$3" > "$4" 2>&1
  rc=$?; tail -3 "$4"; exit $rc' _ "$work/build" "$device" "$test_regex" "$out/tests.log"

# 7. Training: bf16 on CUDA (the default there); the loss must fall and stay finite. SIGINT
# at the end of its time is train's normal way to stop (it checkpoints and exits).
train_s=60
if [ -n "$quick" ]; then train_args=(--net tiny --board-size 9 --min-positions 500 --parallel-games 16)
else train_args=(--net small --board-size 15 --parallel-games 256 --sims 100 --min-positions 1000)
fi
rm -rf "${out:?}/train_run"
run_step training $((train_s + 30)) bash -c 'timeout -s INT "$@" > "'"$out"'/train.log" 2>&1
  rc=$?; tail -2 "'"$out"'/train.log"; [ $rc -eq 0 ] || [ $rc -eq 124 ]' _ "$train_s" \
  "$bin/zerofleet" train --run-dir "$out/train_run" --device "$device" "${train_args[@]}" \
  --threads 2 --rating-budget 0

# 8. The fleet on one box: learner and inference server on the device, actors on the CPU cores.
if [ -n "$quick" ]; then
  fleet=(--seconds 10 --warmup 5 --actors 1 --games-per-actor 16 --preset cpu --device cpu)
else
  fleet=(--seconds 20 --warmup 10 --actors 4 --games-per-actor 256 --preset gpu
         --device "$device" --net small --board-size 15)
fi
run_step fleet 75 bash -c '"$@" > "'"$out"'/fleet.log" 2>&1; rc=$?; tail -5 "'"$out"'/fleet.log"
  exit $rc' _ python3 "$repo/scripts/bench_distributed.py" --bin "$bin" --only distributed \
  "${fleet[@]}"

# 9. The network alone: evals/s and TFLOP/s (the full table is in docs/PERFORMANCE.md).
if [ -n "$quick" ]; then nn_args=(--nets tiny,small --batches 16,64 --precisions fp32 --seconds 0.5)
else nn_args=(--nets small,base --batches 64,1024,4096 --precisions fp32,bf16 --seconds 0.5); fi
run_step bench_nn 120 bash -c '"$@" > "'"$out"'/bench_nn.json"' _ \
  "$bin/zerofleet" bench nn --device "$device" --board-size 15 "${nn_args[@]}" --json

summarize
