// Hardware profiles: the few numbers a decode-step roofline needs, per device.
// GB are 1e9 bytes and TFLOPS 1e12 FLOP/s, as datasheets count them.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace gs::planner {

struct HardwareProfile {
  std::string name;
  double memory_gbps = 0;    // HBM (or DRAM) bandwidth
  double memory_gb = 0;      // capacity per device; 0 = unknown (not checked)
  // Dense tensor-core peaks; 0 = not available (compute not modelled for that precision).
  double tflops_tf32 = 0;
  double tflops_16 = 0;      // FP16 and BF16
  double tflops_fp8 = 0;
  // Per device and per direction: a ring all-reduce sends and receives at once, so
  // the datasheet's bidirectional NVLink figure is halved.
  double link_gbps = 0;      // between devices of one host (NVLink)
  double network_gbps = 0;   // between hosts (InfiniBand), one NIC per GPU
  // Fixed cost of one collective (assumed, not a datasheet figure: the order of
  // NCCL's small-message all-reduce latency).
  double link_latency_us = 0;
  double network_latency_us = 0;
  int devices_per_host = 1;
};

std::vector<std::string> hardware_profile_names();

// The named profile. `bandwidth_gbps` (--bandwidth) sets the memory bandwidth: it is
// required for `cpu`, whose memory speed depends on the machine, and overrides the
// datasheet for the others. Throws gs::Error naming the profiles.
HardwareProfile hardware_profile(const std::string& name, std::optional<double> bandwidth_gbps);

}  // namespace gs::planner
