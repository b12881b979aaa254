// Shared by the object-loader tests: where the compiled BPF corpus lives, and reading files.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bpfrt/object.hpp"

namespace bpfrt::test {

inline std::string corpus_dir() {
  return BPFRT_BPF_OBJ_DIR;
}

inline std::string corpus_path(const std::string& name) {
  return corpus_dir() + "/" + name + ".bpf.o";
}

inline bool have_corpus_object(const std::string& name) {
  return std::filesystem::exists(corpus_path(name));
}

// Objects of the corpus that were built (those needing vmlinux.h are absent without kernel BTF).
inline std::vector<std::string> corpus_objects() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(corpus_dir(), ec)) {
    const std::string f = e.path().filename().string();
    if (f.ends_with(".bpf.o")) {
      names.push_back(f.substr(0, f.size() - 6));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

#define BPFRT_REQUIRE_CORPUS(name)                                                                         \
  do {                                                                                                     \
    if (!::bpfrt::test::have_corpus_object(name)) {                                                        \
      GTEST_SKIP() << "corpus object " << ::bpfrt::test::corpus_path(name)                                 \
                   << " was not built (no clang, or no kernel BTF for vmlinux.h; see the CMake messages)"; \
    }                                                                                                      \
  } while (0)

inline Object open_corpus(const std::string& name, const OpenOptions& options = {}) {
  auto obj = Object::open(corpus_path(name), options);
  if (!obj) {
    ADD_FAILURE() << obj.error().message;
    throw std::runtime_error(obj.error().message);
  }
  return std::move(*obj);
}

}  // namespace bpfrt::test
