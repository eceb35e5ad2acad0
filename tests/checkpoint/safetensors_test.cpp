// SafetensorsWriter output read back by SafetensorsFile, and every malformed
// header rejected with a message naming the file and, where relevant, the tensor.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "engine/checkpoint/safetensors_reader.h"
#include "engine/checkpoint/safetensors_writer.h"
#include "test_util.h"

namespace gs {
namespace {

using testing::error_of;

std::span<const std::byte> as_bytes(const std::vector<float>& v) {
  return std::as_bytes(std::span<const float>(v));
}

// A file with the given header text and data_size zero bytes of data.
void write_raw(const std::filesystem::path& path, const std::string& header,
               std::size_t data_size) {
  std::vector<char> bytes(8 + header.size() + data_size, 0);
  const std::uint64_t length = header.size();
  std::memcpy(bytes.data(), &length, 8);
  std::memcpy(bytes.data() + 8, header.data(), header.size());
  testing::write_bytes(path, bytes);
}

std::string open_error(const std::filesystem::path& path) {
  return error_of([&] { SafetensorsFile file(path); });
}

TEST(Safetensors, WriteThenRead) {
  testing::TempDir dir;
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};
  const std::vector<float> b = {0.5f, -1.25f, 3.0f};
  std::vector<std::byte> b16(b.size() * 2);
  convert_from_f32(b.data(), b.size(), DType::bf16, b16.data());
  std::vector<std::byte> h16(b.size() * 2);
  convert_from_f32(b.data(), b.size(), DType::f16, h16.data());

  SafetensorsWriter writer(dir / "t.safetensors",
                           {{"a", DType::f32, {2, 3}},
                            {"b", DType::bf16, {3}},
                            {"c", DType::f16, {3}},
                            {"empty", DType::f32, {0, 4}}},
                           {{"format", "pt"}});
  writer.write_next(as_bytes(a));
  writer.write_next(b16);
  writer.write_next(h16);
  writer.write_next({});
  writer.finish();

  const std::vector<char> bytes = testing::read_bytes(dir / "t.safetensors");
  std::uint64_t header_size;
  std::memcpy(&header_size, bytes.data(), 8);
  EXPECT_EQ(header_size % 8, 0u);  // the data region starts 8-byte aligned
  EXPECT_EQ(bytes.size(), 8 + header_size + 24 + 6 + 6);

  const SafetensorsFile file(dir / "t.safetensors");
  EXPECT_EQ(file.tensors().size(), 4u);
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_EQ(file.find("missing"), nullptr);
  const TensorView* ta = file.find("a");
  ASSERT_NE(ta, nullptr);
  EXPECT_EQ(ta->shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(ta->dtype, DType::f32);
  float row[3];
  read_row_f32(*ta, 1, 0, 3, row);
  EXPECT_EQ(row[0], 4);
  EXPECT_EQ(row[2], 6);
  read_row_f32(*file.find("b"), 0, 0, 3, row);
  EXPECT_EQ(row[1], -1.25f);
  read_row_f32(*file.find("c"), 0, 1, 3, row);
  EXPECT_EQ(row[0], -1.25f);
  EXPECT_EQ(row[1], 3.0f);
  EXPECT_EQ(file.find("empty")->shape, (std::vector<std::int64_t>{0, 4}));
}

TEST(Safetensors, ReadRowIsBoundsChecked) {
  testing::TempDir dir;
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};
  SafetensorsWriter writer(dir / "t.safetensors", {{"a", DType::f32, {2, 3}}});
  writer.write_next(as_bytes(a));
  writer.finish();
  const SafetensorsFile file(dir / "t.safetensors");
  float out[4];
  EXPECT_CONTAINS(error_of([&] { read_row_f32(*file.find("a"), 2, 0, 3, out); }),
                  "tensor a: row 2 is outside [0, 2)");
  EXPECT_CONTAINS(error_of([&] { read_row_f32(*file.find("a"), 0, 1, 4, out); }),
                  "columns [1, 4) are outside [0, 3)");
  EXPECT_CONTAINS(error_of([&] { read_row_f32(*file.find("a"), 0, 2, 1, out); }), "outside");
}

TEST(Safetensors, WriterChecksItsInput) {
  testing::TempDir dir;
  EXPECT_CONTAINS(error_of([&] {
                    SafetensorsWriter w(dir / "d.safetensors",
                                        {{"x", DType::f32, {1}}, {"x", DType::f32, {1}}});
                  }),
                  "tensor x is declared twice");
  SafetensorsWriter writer(dir / "w.safetensors", {{"x", DType::f32, {2}}, {"y", DType::f32, {1}}});
  const std::vector<float> one = {1};
  std::string message = error_of([&] { writer.write_next(as_bytes(one)); });
  EXPECT_CONTAINS(message, "w.safetensors");
  EXPECT_CONTAINS(message, "tensor x needs 8 bytes, got 4");
  EXPECT_CONTAINS(error_of([&] { writer.finish(); }), "finish() after 0 of 2 tensors");
  EXPECT_CONTAINS(error_of([&] { SafetensorsWriter w(dir / "no/such/dir/x.safetensors", {}); }),
                  "cannot open for writing");
}

TEST(Safetensors, HeaderLengthBeyondFile) {
  testing::TempDir dir;
  std::vector<char> bytes(18, 0);
  const std::uint64_t length = 1000;
  std::memcpy(bytes.data(), &length, 8);
  testing::write_bytes(dir / "long_header.safetensors", bytes);
  const std::string message = open_error(dir / "long_header.safetensors");
  EXPECT_CONTAINS(message, "long_header.safetensors");
  EXPECT_CONTAINS(message, "header length 1000 runs beyond the end of the file");

  testing::write_bytes(dir / "tiny.safetensors", {1, 2, 3});
  EXPECT_CONTAINS(open_error(dir / "tiny.safetensors"), "too small");
}

TEST(Safetensors, HeaderNotJson) {
  testing::TempDir dir;
  write_raw(dir / "garbage.safetensors", "{\"a\": [1, 2", 0);
  std::string message = open_error(dir / "garbage.safetensors");
  EXPECT_CONTAINS(message, "garbage.safetensors");
  EXPECT_CONTAINS(message, "header is not valid JSON");
  write_raw(dir / "list.safetensors", "[1, 2]", 0);
  EXPECT_CONTAINS(open_error(dir / "list.safetensors"), "header must be a JSON object");
}

TEST(Safetensors, OffsetsBeyondData) {
  testing::TempDir dir;
  write_raw(dir / "short.safetensors",
            R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8);
  const std::string message = open_error(dir / "short.safetensors");
  EXPECT_CONTAINS(message, "short.safetensors");
  EXPECT_CONTAINS(message, "tensor w");
  EXPECT_CONTAINS(message, "beyond the data region of 8 bytes");
}

TEST(Safetensors, OffsetsDisagreeWithShape) {
  testing::TempDir dir;
  write_raw(dir / "size.safetensors",
            R"({"w": {"dtype": "F16", "shape": [3, 2], "data_offsets": [0, 16]}})", 16);
  std::string message = open_error(dir / "size.safetensors");
  EXPECT_CONTAINS(message, "size.safetensors");
  EXPECT_CONTAINS(message, "tensor w");
  EXPECT_CONTAINS(message, "span 16 bytes but F16 shape (3, 2) needs 6 x 2 bytes");

  write_raw(dir / "reversed.safetensors",
            R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 16);
  EXPECT_CONTAINS(open_error(dir / "reversed.safetensors"), "end 4 is before begin 8");
}

TEST(Safetensors, UnsupportedDtype) {
  testing::TempDir dir;
  write_raw(dir / "f64.safetensors",
            R"({"w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}})", 8);
  const std::string message = open_error(dir / "f64.safetensors");
  EXPECT_CONTAINS(message, "f64.safetensors");
  EXPECT_CONTAINS(message, "tensor w");
  EXPECT_CONTAINS(message, "unsupported dtype \"F64\"");
}

TEST(Safetensors, MissingOrIllTypedFields) {
  testing::TempDir dir;
  auto error_for = [&](const std::string& header) {
    write_raw(dir / "fields.safetensors", header, 8);
    return open_error(dir / "fields.safetensors");
  };
  std::string message = error_for(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})");
  EXPECT_CONTAINS(message, "fields.safetensors: tensor w");
  EXPECT_CONTAINS(message, "no \"shape\"");
  EXPECT_CONTAINS(error_for(R"({"w": {"dtype": 1, "shape": [1], "data_offsets": [0, 4]}})"),
                  "\"dtype\" must be a string");
  EXPECT_CONTAINS(error_for(R"({"w": {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]}})"),
                  "\"shape\" must be a list");
  EXPECT_CONTAINS(error_for(R"({"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})"),
                  "must be a non-negative integer");
  EXPECT_CONTAINS(error_for(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})"),
                  "must be [begin, end]");
  EXPECT_CONTAINS(error_for(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0.0, 4]}})"),
                  "data_offsets begin must be a non-negative integer");
  EXPECT_CONTAINS(error_for(R"({"w": [1, 2]})"), "header entry must be an object");
  EXPECT_CONTAINS(error_for(R"({"__metadata__": {"format": 1}})"), "__metadata__ value \"format\"");
  EXPECT_CONTAINS(
      error_for(
          R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}})"),
      "overflows 64 bits");
}

}  // namespace
}  // namespace gs
