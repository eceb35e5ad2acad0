#include "engine/planner/hardware_profiles.h"

#include <climits>
#include <cmath>

#include "common/check.h"

namespace gs::planner {

namespace {

std::vector<HardwareProfile> gpu_profiles() {
  HardwareProfile a100;
  a100.name = "a100-80gb";
  // NVIDIA A100 Tensor Core GPU datasheet, A100 80GB SXM column: "GPU Memory
  // Bandwidth 2,039GB/s", "GPU Memory 80GB HBM2e", "TF32 Tensor Core 156 TFLOPS",
  // "BFLOAT16 / FP16 Tensor Core 312 TFLOPS" (the starred figures, 312 / 624, are
  // with sparsity), no FP8; "NVLink: 600GB/s" (both directions together).
  a100.memory_gbps = 2039;
  a100.memory_gb = 80;
  a100.tflops_tf32 = 156;
  a100.tflops_16 = 312;
  a100.link_gbps = 600.0 / 2;
  // DGX A100 datasheet: 8x single-port ConnectX-6 200Gb/s HDR InfiniBand for 8 GPUs.
  a100.network_gbps = 200.0 / 8;

  HardwareProfile h100;
  h100.name = "h100-sxm";
  // NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column: "GPU Memory Bandwidth
  // 3.35TB/s", "GPU Memory 80GB"; "TF32 989", "BFLOAT16 / FP16 1,979", "FP8 3,958"
  // teraFLOPS are all "with sparsity", so dense is half; "NVIDIA NVLink: 900GB/s".
  h100.memory_gbps = 3350;
  h100.memory_gb = 80;
  h100.tflops_tf32 = 989.0 / 2;
  h100.tflops_16 = 1979.0 / 2;
  h100.tflops_fp8 = 3958.0 / 2;
  h100.link_gbps = 900.0 / 2;
  // DGX H100 datasheet: 8x ConnectX-7 (400Gb/s InfiniBand) for the 8 GPUs' compute traffic.
  h100.network_gbps = 400.0 / 8;

  HardwareProfile h200 = h100;
  h200.name = "h200";
  // NVIDIA H200 Tensor Core GPU datasheet, H200 SXM column: "GPU Memory 141GB",
  // "GPU Memory Bandwidth 4.8TB/s"; compute and "NVLink: 900GB/s" as H100 SXM (same
  // die); DGX H200: 8x ConnectX-7 400Gb/s as DGX H100.
  h200.memory_gbps = 4800;
  h200.memory_gb = 141;

  std::vector<HardwareProfile> profiles = {a100, h100, h200};
  for (HardwareProfile& p : profiles) {
    p.link_latency_us = 10;
    p.network_latency_us = 20;
    p.devices_per_host = 8;
  }
  return profiles;
}

// One host's CPU ranks talking over MPI shared memory: a transfer is a copy (read
// plus write), so it moves at half the memory bandwidth. No compute peak is assumed.
HardwareProfile cpu_profile(double bandwidth_gbps) {
  HardwareProfile cpu;
  cpu.name = "cpu";
  cpu.memory_gbps = bandwidth_gbps;
  cpu.link_gbps = bandwidth_gbps / 2;
  cpu.link_latency_us = 5;
  cpu.devices_per_host = INT_MAX;  // ranks per host are not limited by the profile
  return cpu;
}

}  // namespace

std::vector<std::string> hardware_profile_names() {
  std::vector<std::string> names;
  for (const HardwareProfile& p : gpu_profiles()) names.push_back(p.name);
  names.push_back("cpu");
  return names;
}

HardwareProfile hardware_profile(const std::string& name, std::optional<double> bandwidth_gbps) {
  GS_CHECK(!bandwidth_gbps || (std::isfinite(*bandwidth_gbps) && *bandwidth_gbps > 0),
           "--bandwidth must be a positive number of GB/s, got " << *bandwidth_gbps);
  if (name == "cpu") {
    GS_CHECK(bandwidth_gbps, "the cpu profile needs the machine's memory read bandwidth: pass "
                             "--bandwidth GBPS (GB/s, e.g. from a STREAM-like read test)");
    return cpu_profile(*bandwidth_gbps);
  }
  for (HardwareProfile p : gpu_profiles()) {
    if (p.name != name) continue;
    if (bandwidth_gbps) p.memory_gbps = *bandwidth_gbps;
    return p;
  }
  std::string names;
  for (const std::string& n : hardware_profile_names()) names += (names.empty() ? "" : ", ") + n;
  GS_FAIL("unknown hardware profile '" << name << "': use one of " << names);
}

}  // namespace gs::planner
