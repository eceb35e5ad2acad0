#include "engine/model.h"

#include "common/check.h"

namespace gs {

void Model::encode(int, std::span<const int>) {
  GS_FAIL("this model (" << config().architecture << ") has no encoder: it is decoder-only");
}

}  // namespace gs
