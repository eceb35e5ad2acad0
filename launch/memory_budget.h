// The memory check made before a rank allocates anything for a model: its slice
// of the weights plus its KV cache (batch x positions) must fit its share of
// what this host has available, or the load is refused with the numbers, rather
// than dying in the allocator (or the OOM killer) halfway through.
#pragma once

#include <cstdint>
#include <string>

#include "engine/llama_model.h"
#include "kernels/weight_matrix.h"
#include "parallel/shard_plan.h"

namespace gs {

// Bytes new allocations can still get on this host: /proc/meminfo's
// MemAvailable, lowered by a cgroup v2 memory limit if one applies.
std::int64_t host_available_bytes();

// Ranks of this job on this host, from Open MPI's launcher (1 when run alone).
// Not a collective: it runs inside phases that some ranks may have left early.
int ranks_on_this_host();

// Throws gs::Error with the bytes needed (weights and KV cache) and available
// when rank's resident footprint exceeds available / ranks_on_host.
void check_rank_memory(const ShardPlan& plan, int rank, const ModelLimits& limits, DType weights,
                       std::int64_t available, int ranks_on_host, const std::string& host);

}  // namespace gs
