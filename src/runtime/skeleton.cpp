// Skeleton: one object opened, its globals set, loaded into a registry, run and inspected by name.
#include "bpfrt/skeleton.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace bpfrt {
namespace {

Error not_loaded(const Object& obj, std::string_view what) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("object '{}': {} needs the object loaded first (Skeleton::load)", obj.name(), what),
               std::nullopt};
}

}  // namespace

Skeleton::Skeleton(Object object) : object_(std::make_unique<Object>(std::move(object))) {}
Skeleton::Skeleton(Skeleton&&) noexcept = default;
Skeleton& Skeleton::operator=(Skeleton&&) noexcept = default;

Skeleton::~Skeleton() {
  if (runtime_ != nullptr && own_runtime_ == nullptr && !keep_) {
    (void)unload_object(*runtime_, loaded_);
  }
}

Result<Skeleton> Skeleton::open(const std::string& path, const OpenOptions& options) {
  auto obj = Object::open(path, options);
  if (!obj) {
    return obj.take_error();
  }
  return Skeleton(std::move(*obj));
}

Status Skeleton::set_global(std::string_view name, std::span<const uint8_t> bytes) {
  if (runtime_ == nullptr) {
    return object_->set_global(name, bytes);
  }
  const GlobalVariable* g = object_->find_global(name);
  if (g == nullptr) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("object '{}' has no global variable '{}'", object_->name(), name));
  }
  if (bytes.size() != g->size) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("global '{}' has {} bytes, not {}", name, g->size, bytes.size()));
  }
  // After load: through the map, which refuses writes to a frozen .rodata (EPERM).
  auto m = map(object_->maps()[g->map_index].name);
  if (!m) {
    return m.take_error();
  }
  std::vector<uint8_t> value((*m)->user_value_size());
  const uint32_t zero = 0;
  int rc = (*m)->lookup(&zero, value.data());
  if (rc == 0) {
    std::copy(bytes.begin(), bytes.end(), value.begin() + g->offset);
    rc = (*m)->update(&zero, value.data());
  }
  if (rc != 0) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("global '{}' cannot be written after load ({}): {}", name, object_->maps()[g->map_index].name,
                    rc == -EPERM ? "the section is read-only (frozen at load)" : std::strerror(-rc)));
  }
  return {};
}

Status Skeleton::load(const ObjectLoadOptions& options) {
  RegistryOptions ro;
  ro.name = "";
  auto rt = Runtime::open(ro);
  if (!rt) {
    return rt.take_error();
  }
  own_runtime_ = std::move(*rt);
  auto status = load(*own_runtime_, options);
  if (!status) {
    own_runtime_.reset();
  }
  return status;
}

Status Skeleton::load(Runtime& runtime, const ObjectLoadOptions& options) {
  if (runtime_ != nullptr) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("object '{}' is loaded already", object_->name()));
  }
  auto loaded = load_object(runtime, *object_, options);
  if (!loaded) {
    return loaded.take_error();
  }
  loaded_ = std::move(*loaded);
  runtime_ = &runtime;
  return {};
}

Result<std::shared_ptr<Map>> Skeleton::map(std::string_view name) const {
  if (runtime_ == nullptr) {
    return not_loaded(*object_, fmt::format("map '{}'", name));
  }
  const LoadedMap* m = loaded_.find_map(name);
  if (m == nullptr) {
    std::string names;
    for (const LoadedMap& lm : loaded_.maps) {
      names += (names.empty() ? "" : ", ") + lm.name;
    }
    return make_error(ErrorCode::kNotFound,
                      fmt::format("object '{}' has no map '{}' (maps: {})", object_->name(), name, names));
  }
  return runtime_->map(m->handle);
}

Result<std::vector<uint8_t>> Skeleton::global(std::string_view name) const {
  const GlobalVariable* g = object_->find_global(name);
  if (g == nullptr) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("object '{}' has no global variable '{}'", object_->name(), name));
  }
  if (runtime_ == nullptr) {
    auto v = object_->global_value(name);
    if (!v) {
      return v.take_error();
    }
    return std::vector<uint8_t>(v->begin(), v->end());
  }
  auto m = map(object_->maps()[g->map_index].name);
  if (!m) {
    return m.take_error();
  }
  std::vector<uint8_t> value((*m)->user_value_size());
  const uint32_t zero = 0;
  if (const int rc = (*m)->lookup(&zero, value.data()); rc != 0) {
    return make_error(ErrorCode::kIo, fmt::format("global '{}': {}", name, std::strerror(-rc)));
  }
  return std::vector<uint8_t>(value.begin() + g->offset, value.begin() + g->offset + g->size);
}

Result<TestRunOutput> Skeleton::run(std::string_view program, const TestRunInput& input, EngineKind kind) const {
  if (runtime_ == nullptr) {
    return not_loaded(*object_, fmt::format("running '{}'", program));
  }
  const LoadedProgram* p = loaded_.find_program(program);
  if (p == nullptr) {
    const ObjectProgram* op = object_->find_program(program);
    p = op == nullptr ? nullptr : loaded_.find_program(op->name);
  }
  if (p == nullptr) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("object '{}' has no loaded program '{}'", object_->name(), program));
  }
  return run_loaded_program(*runtime_, *object_, *p, kind, input, true);
}

}  // namespace bpfrt
