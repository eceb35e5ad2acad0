#include "launch/memory_budget.h"

#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "common/check.h"

namespace gs {

namespace {

// "12.3 GB (12300000000 bytes)": readable, and exact for scripts and tests.
std::string bytes_text(std::int64_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / 1e9 << " GB (" << bytes << " bytes)";
  return out.str();
}

// The first number in a file, or -1 when it is missing or not a number ("max").
std::int64_t read_number(const std::string& path) {
  std::ifstream in(path);
  std::int64_t value = -1;
  return in >> value ? value : -1;
}

}  // namespace

std::int64_t host_available_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::int64_t kib = 0, available = INT64_MAX;
  while (meminfo >> key >> kib) {
    if (key == "MemAvailable:") available = kib * 1024;
    meminfo.ignore(64, '\n');
  }
  const std::int64_t limit = read_number("/sys/fs/cgroup/memory.max");
  const std::int64_t used = read_number("/sys/fs/cgroup/memory.current");
  if (limit >= 0 && used >= 0) available = std::min(available, std::max<std::int64_t>(0, limit - used));
  return available;
}

int ranks_on_this_host() {
  const char* local_size = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  return local_size ? std::max(1, std::atoi(local_size)) : 1;
}

void check_rank_memory(const ShardPlan& plan, int rank, const ModelLimits& limits, DType weights,
                       std::int64_t available, int ranks_on_host, const std::string& host) {
  const std::int64_t weight_bytes =
      plan.footprint(rank, static_cast<int>(dtype_size(weights))).weight_bytes;
  // The KV cache is f32 whatever the weights are stored as.
  const std::int64_t kv_positions = limits.pool_blocks() * limits.block_size;
  const std::int64_t kv_bytes = plan.footprint(rank).kv_bytes_per_token * kv_positions;
  const std::int64_t needed = weight_bytes + kv_bytes;
  const std::int64_t share = available / ranks_on_host;
  GS_CHECK(needed <= share,
           "rank " << rank << " on " << host << " needs " << bytes_text(needed) << " (weights "
                   << bytes_text(weight_bytes) << " + KV cache " << bytes_text(kv_bytes) << " for "
                   << kv_positions << " positions (" << limits.pool_blocks() << " blocks of " << limits.block_size
                   << ")) but has "
                   << bytes_text(share) << " available (" << bytes_text(available) << " on the host for "
                   << ranks_on_host << (ranks_on_host == 1 ? " rank" : " ranks")
                   << "); use more ranks or hosts, --weight-dtype bf16, or a smaller --kv-cache-tokens, --max-seq-len or --max-batch");
}

}  // namespace gs
