#!/usr/bin/env bash
# A GPU figure in one command (issue #20): prints the WebGPU adapter Dawn gets, then runs the per-backend throughput
# tables (flow forward / reverse-KL step, RWM / MALA chain-steps) on webgpu and wasm, within 8 minutes.
# Installs nothing and reaches no network: run `npm ci` once beforehand (it installs webgpu's prebuilt Dawn).
#
#   tools/device/run.sh            full sizes (flows at batch 256/4096, chains up to 2^20), ≤ 8 min
#   tools/device/run.sh --quick    reduced sizes (flows at batch 256, chains up to 16384), ≈ 1–2 min
#
# Output: the markdown tables on stdout, also saved to tmp/device-<UTC time>.md (nothing is appended to BENCHMARKS.md).
# Vulkan driver: NVIDIA's ICD is used when found (nvidia_icd.json), else whatever the loader finds, else Mesa lavapipe
# (a CPU driver: the tables then say so). Set VK_ICD_FILENAMES yourself to choose.
set -euo pipefail
cd "$(dirname "$0")/../.."
quick=()
[ "${1:-}" = "--quick" ] && quick=(--quick)

if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -f "$icd" ]; then export VK_ICD_FILENAMES="$icd"; break; fi
  done
fi
if [ ! -d node_modules/webgpu ] || [ ! -d node_modules/@tensorflow/tfjs-backend-webgpu ]; then
  echo "tools/device/run.sh: node_modules lacks webgpu or @tensorflow/tfjs-backend-webgpu; run 'npm ci' first (offline: Dawn ships prebuilt)" >&2
  exit 2
fi
export NODE_OPTIONS="--conditions=@boltzflow/source ${NODE_OPTIONS:-}"

start=$(date +%s)
if ! node --import tsx tools/device/adapter.ts; then
  if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f /usr/share/vulkan/icd.d/lvp_icd.json ]; then
    echo "Retrying with Mesa lavapipe (CPU Vulkan driver) so the run still exercises the WebGPU path."
    export VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.json
    node --import tsx tools/device/adapter.ts || exit 2
  else
    echo "tools/device/run.sh: no WebGPU adapter; install the GPU's Vulkan driver (libvulkan1 + the vendor ICD) or point VK_ICD_FILENAMES at one" >&2
    exit 2
  fi
fi

mkdir -p tmp
out="tmp/device-$(date -u +%Y%m%dT%H%M%SZ).md"
# Section budgets (bench/flows.ts, bench/chains.ts) keep the run inside 8 minutes: flows ≤ 2 × 120 s, chains ≤ 2 × 98 s
# at their hard stops; `timeout` is the last resort.
timeout 470 node --import tsx tools/bench/run.ts --only flows,chains --backend wasm,webgpu --no-write "${quick[@]}" | tee "$out"
echo "tools/device/run.sh: done in $(($(date +%s) - start)) s; tables saved to $out"
