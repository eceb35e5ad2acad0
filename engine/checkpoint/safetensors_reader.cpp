#include "engine/checkpoint/safetensors_reader.h"

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/checkpoint/weight_inventory.h"
#include "common/check.h"

namespace gs {

namespace {

using nlohmann::json;

// A field of a header entry as a non-negative integer; `what` names it for messages.
std::uint64_t read_unsigned(const json& value, const std::string& what) {
  GS_CHECK(value.is_number_unsigned(),
           what << " must be a non-negative integer, got " << value.dump());
  return value.get<std::uint64_t>();
}

TensorView parse_entry(const std::string& name, const json& entry, const std::byte* data,
                       std::uint64_t data_size, const std::string& where) {
  const std::string tensor = where + ": tensor " + name;
  GS_CHECK(entry.is_object(), tensor << ": header entry must be an object, got " << entry.dump());
  for (const char* field : {"dtype", "shape", "data_offsets"})
    GS_CHECK(entry.contains(field), tensor << ": header entry has no \"" << field << "\"");

  const json& dtype = entry["dtype"];
  GS_CHECK(dtype.is_string(), tensor << ": \"dtype\" must be a string, got " << dtype.dump());
  TensorView view;
  view.name = name;
  view.dtype = dtype_from_safetensors_name(dtype.get<std::string>(), tensor);

  const json& shape = entry["shape"];
  GS_CHECK(shape.is_array(), tensor << ": \"shape\" must be a list, got " << shape.dump());
  std::uint64_t elements = 1;
  for (const json& extent : shape) {
    const std::uint64_t n = read_unsigned(extent, tensor + ": each \"shape\" entry");
    GS_CHECK(n <= static_cast<std::uint64_t>(INT64_MAX) &&
                 !__builtin_mul_overflow(elements, n, &elements),
             tensor << ": shape " << shape.dump() << " overflows 64 bits");
    view.shape.push_back(static_cast<std::int64_t>(n));
  }

  const json& offsets = entry["data_offsets"];
  GS_CHECK(offsets.is_array() && offsets.size() == 2,
           tensor << ": \"data_offsets\" must be [begin, end], got " << offsets.dump());
  const std::uint64_t begin = read_unsigned(offsets[0], tensor + ": data_offsets begin");
  const std::uint64_t end = read_unsigned(offsets[1], tensor + ": data_offsets end");
  GS_CHECK(begin <= end, tensor << ": data_offsets end " << end << " is before begin " << begin);
  GS_CHECK(end <= data_size, tensor << ": data_offsets [" << begin << ", " << end
                                    << "] run beyond the data region of " << data_size << " bytes");
  std::uint64_t bytes;
  GS_CHECK(
      !__builtin_mul_overflow(elements, dtype_size(view.dtype), &bytes) && end - begin == bytes,
      tensor << ": data_offsets [" << begin << ", " << end << "] span " << end - begin
             << " bytes but " << safetensors_dtype_name(view.dtype) << " shape " << shape_string(view.shape)
             << " needs " << elements << " x " << dtype_size(view.dtype) << " bytes");
  view.data = data + begin;
  return view;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : file_(path) {
  const std::string where = path.string();
  const std::uint64_t size = file_.size();
  GS_CHECK(size >= 8, where << ": too small for a safetensors file: " << size
                            << " bytes, the header length alone is 8");
  std::uint64_t header_size;
  std::memcpy(&header_size, file_.data(), 8);  // little-endian, as is the host
  GS_CHECK(header_size <= size - 8, where << ": header length " << header_size
                                          << " runs beyond the end of the file (" << size
                                          << " bytes)");
  const char* header = reinterpret_cast<const char*>(file_.data() + 8);
  json root;
  try {
    root = json::parse(header, header + header_size);
  } catch (const json::exception& e) {
    // A parse_error, or out_of_range for a number beyond double.
    GS_FAIL(where << ": header is not valid JSON: " << e.what());
  }
  GS_CHECK(root.is_object(), where << ": header must be a JSON object, got " << root.type_name());

  const std::byte* data = file_.data() + 8 + header_size;
  const std::uint64_t data_size = size - 8 - header_size;
  for (const auto& [name, entry] : root.items()) {
    if (name == "__metadata__") {
      GS_CHECK(entry.is_object(),
               where << ": __metadata__ must be an object, got " << entry.dump());
      for (const auto& [key, value] : entry.items()) {
        GS_CHECK(value.is_string(), where << ": __metadata__ value \"" << key
                                          << "\" must be a string, got " << value.dump());
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    tensors_.emplace(name, parse_entry(name, entry, data, data_size, where));
  }
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

}  // namespace gs
