// What the registry commands share: the --registry option, opening the runtime, hex formatting and
// JSON output in bpftool's style.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bpfrt/runtime.hpp"

namespace bpfrt::cli {

struct OutputOptions {
  bool json = false;
  bool pretty = false;
};

// Adds --registry (default $BPFRT_REGISTRY or "bpfrt") to a command.
void add_registry_option(CLI::App* command, std::string& registry);
// Adds -j/--json and -p/--pretty.
void add_output_options(CLI::App* command, OutputOptions& out);

// Opens the registry, creating it unless `create` is false (then a missing registry is an error).
std::unique_ptr<Runtime> open_runtime(const std::string& registry, bool create = true);
// Removes the registry `rt` opened if that open created it and the command fails before keep(): a
// failed command leaves no empty registry behind. A registry that existed, or that others started
// using meanwhile, stays as it is.
class NewRegistryGuard {
 public:
  explicit NewRegistryGuard(Runtime& rt) : rt_(rt.created_registry() ? &rt : nullptr) {}
  ~NewRegistryGuard() {
    if (rt_ != nullptr) {
      (void)rt_->remove_registry_if_unused();
    }
  }
  NewRegistryGuard(const NewRegistryGuard&) = delete;
  NewRegistryGuard& operator=(const NewRegistryGuard&) = delete;
  void keep() { rt_ = nullptr; }

 private:
  Runtime* rt_;
};
// For listings: nullptr if the registry does not exist.
std::unique_ptr<Runtime> open_existing_runtime(const std::string& registry);
// What a map operation's -errno means, for messages.
std::string map_errno_text(int rc);

// "01 00 00 00"
std::string hex_bytes(const uint8_t* p, size_t n);
// ["0x01", "0x00", ...] as bpftool -j prints bytes.
nlohmann::json json_bytes(const uint8_t* p, size_t n);
// Bytes typed by the user (byte_input.hpp); fails the command naming `what` and the bad token.
std::vector<uint8_t> parse_bytes(const std::string& text, const char* what);

void print_json(const nlohmann::json& j, const OutputOptions& out);

// Every element of a map, as `bpfrt map dump` prints it (cmd_map.cpp).
void dump_map_contents(Map& map, const OutputOptions& out);

}  // namespace bpfrt::cli
