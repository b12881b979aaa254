#include "registry_cli.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "bpfrt/kernel_object.hpp"

#include "byte_input.hpp"
#include "commands.hpp"

namespace bpfrt::cli {

void add_registry_option(CLI::App* command, std::string& registry) {
  registry = RegistryOptions::default_registry_name();
  command->add_option("--registry", registry, "registry (shared-memory segment) name; default $BPFRT_REGISTRY or bpfrt")
      ->capture_default_str();
}

void add_output_options(CLI::App* command, OutputOptions& out) {
  command->add_flag("-j,--json", out.json, "JSON output");
  command->add_flag("-p,--pretty", out.pretty, "indented JSON output (implies -j)");
}

std::unique_ptr<Runtime> open_runtime(const std::string& registry, bool create) {
  enable_kernel_maps();  // records naming kernel maps (bpfrt load --target shared) open here too
  RegistryOptions options;
  options.name = registry;
  options.create = create;
  return unwrap(Runtime::open(options));
}

std::unique_ptr<Runtime> open_existing_runtime(const std::string& registry) {
  enable_kernel_maps();
  RegistryOptions options;
  options.name = registry;
  options.create = false;
  auto rt = Runtime::open(options);
  if (!rt && rt.error().code == ErrorCode::kNotFound) {
    return nullptr;
  }
  return unwrap(std::move(rt));
}

std::string map_errno_text(int rc) {
  switch (-rc) {
    case ENOENT:
      return "no such element (ENOENT)";
    case EEXIST:
      return "the element exists (EEXIST)";
    case E2BIG:
      return "the map is full or the index is out of range (E2BIG)";
    case ENOSPC:
      return "no space left in the map (ENOSPC)";
    case EINVAL:
      return "invalid argument (EINVAL)";
    case EPERM:
      return "not permitted by the map's access flags (EPERM)";
    case EBADF:
      return "no such program or map handle (EBADF)";
    case EOPNOTSUPP:
      return "not supported by this map type (EOPNOTSUPP)";
    case kENOTSUPP:
      return "not supported by this map type (ENOTSUPP)";
    default:
      return fmt::format("{} ({})", std::strerror(-rc), -rc);
  }
}

std::string hex_bytes(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i != 0) {
      s += ' ';
    }
    s += fmt::format("{:02x}", p[i]);
  }
  return s;
}

nlohmann::json json_bytes(const uint8_t* p, size_t n) {
  nlohmann::json a = nlohmann::json::array();
  for (size_t i = 0; i < n; ++i) {
    a.push_back(fmt::format("0x{:02x}", p[i]));
  }
  return a;
}

std::vector<uint8_t> parse_bytes(const std::string& text, const char* what) {
  return unwrap(parse_byte_input(text, what));
}

void print_json(const nlohmann::json& j, const OutputOptions& out) {
  std::cout << (out.pretty ? j.dump(2) : j.dump()) << '\n';
}

}  // namespace bpfrt::cli
