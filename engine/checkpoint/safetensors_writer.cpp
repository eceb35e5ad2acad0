#include "engine/checkpoint/safetensors_writer.h"

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "common/check.h"

namespace gs {

namespace {

std::uint64_t entry_bytes(const SafetensorsEntry& entry) {
  std::uint64_t elements = 1;
  for (std::int64_t extent : entry.shape) elements *= static_cast<std::uint64_t>(extent);
  return elements * dtype_size(entry.dtype);
}

}  // namespace

SafetensorsWriter::SafetensorsWriter(const std::filesystem::path& path,
                                     std::vector<SafetensorsEntry> entries,
                                     const std::map<std::string, std::string>& metadata)
    : path_(path), entries_(std::move(entries)) {
  // ordered_json keeps declaration order, so the header reads like the data.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  std::uint64_t offset = 0;
  for (const SafetensorsEntry& entry : entries_) {
    GS_CHECK(!entry.name.empty() && entry.name != "__metadata__",
             path.string() << ": invalid tensor name \"" << entry.name << "\"");
    GS_CHECK(names.insert(entry.name).second,
             path.string() << ": tensor " << entry.name << " is declared twice");
    for (std::int64_t extent : entry.shape)
      GS_CHECK(extent >= 0, path.string()
                                << ": tensor " << entry.name << " has negative extent " << extent);
    const std::uint64_t end = offset + entry_bytes(entry);
    header[entry.name] = {{"dtype", safetensors_dtype_name(entry.dtype)},
                          {"shape", entry.shape},
                          {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump();
  // The spec allows trailing spaces; padding aligns the data region to 8 bytes.
  text.append((8 - text.size() % 8) % 8, ' ');

  out_.open(path, std::ios::binary | std::ios::trunc);
  GS_CHECK(out_, path.string() << ": cannot open for writing");
  const std::uint64_t length = text.size();  // little-endian, as is the host
  out_.write(reinterpret_cast<const char*>(&length), sizeof(length));
  out_.write(text.data(), static_cast<std::streamsize>(text.size()));
  GS_CHECK(out_, path.string() << ": write failed (header): " << std::strerror(errno));
}

void SafetensorsWriter::write_next(std::span<const std::byte> bytes) {
  GS_CHECK(next_ < entries_.size(), path_.string() << ": all " << entries_.size()
                                                   << " declared tensors are already written");
  const SafetensorsEntry& entry = entries_[next_];
  GS_CHECK(bytes.size() == entry_bytes(entry), path_.string() << ": tensor " << entry.name
                                                              << " needs " << entry_bytes(entry)
                                                              << " bytes, got " << bytes.size());
  out_.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  GS_CHECK(out_, path_.string() << ": write failed (tensor " << entry.name << "): " << std::strerror(errno));
  ++next_;
}

void SafetensorsWriter::finish() {
  GS_CHECK(next_ == entries_.size(), path_.string() << ": finish() after " << next_ << " of "
                                                    << entries_.size() << " tensors were written");
  out_.close();
  GS_CHECK(!out_.fail(), path_.string() << ": write failed while closing: " << std::strerror(errno));
}

}  // namespace gs
