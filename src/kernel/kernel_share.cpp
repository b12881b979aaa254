// Kernel maps shared through the registry: an object's bpfrt programs loaded onto the kernel's maps,
// each map's record naming its kernel map, and the opener that lets any process reopen such a record
// (bpf_obj_get on the pin, else BPF_MAP_GET_FD_BY_ID) after checking it is still the same map.
#include <cerrno>
#include <csignal>
#include <cstring>

#include <bpf/bpf.h>
#include <fmt/format.h>
#include <linux/bpf.h>
#include <unistd.h>

#include "bpfrt/kernel_object.hpp"

namespace bpfrt {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) {
      close(fd);
    }
  }
};

bool alive(uint32_t pid) {
  return pid != 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

std::string shape_text(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries, uint32_t flags) {
  return fmt::format("{} key {}B value {}B max_entries {} flags 0x{:x}", map_type_name(static_cast<MapType>(type)),
                     key_size, value_size, max_entries, flags);
}

Error open_error(const MapSpec& spec, const KernelMapRef& ref, int err, bool by_pin) {
  if (err == ENOENT) {
    std::string why;
    if (!ref.pin_path.empty()) {
      why = fmt::format("its pin {} is gone", ref.pin_path);
    } else if (ref.holder_pid != 0 && !alive(ref.holder_pid)) {
      why = fmt::format("the process that held it, pid {}, has exited", ref.holder_pid);
    } else {
      why = "nothing holds it any more";
    }
    return make_error(
        ErrorCode::kNotFound,
        fmt::format("map '{}': kernel map id {} no longer exists ({}); remove the stale record with `bpfrt "
                    "unload` or `bpfrt map remove {}`",
                    spec.name, ref.id, why, spec.name));
  }
  if (err == EPERM || err == EACCES) {
    return make_error(ErrorCode::kUnsupported,
                      by_pin
                          ? fmt::format("map '{}': opening kernel map id {} through its pin {}: {} (this process, euid "
                                        "{}, needs read/write access to the pin, and CAP_BPF)",
                                        spec.name, ref.id, ref.pin_path, std::strerror(err), geteuid())
                          : fmt::format("map '{}': opening kernel map id {} (BPF_MAP_GET_FD_BY_ID) needs CAP_SYS_ADMIN "
                                        "(CAP_BPF is not enough for opening by id), and this process (euid {}) lacks "
                                        "it: {}",
                                        spec.name, ref.id, geteuid(), std::strerror(err)));
  }
  return make_error(ErrorCode::kIo,
                    fmt::format("map '{}': opening kernel map id {}{}: {}", spec.name, ref.id,
                                by_pin ? " through its pin " + ref.pin_path : std::string(), std::strerror(err)));
}

Result<std::shared_ptr<Map>> open_kernel_map_hook(const MapSpec& spec, const KernelMapRef& ref) {
  return open_kernel_map(spec, ref);
}

}  // namespace

Result<KernelMapRef> kernel_map_ref(const KernelMapInfo& km, const std::string& pin_path) {
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(km.fd, &info, &len) != 0) {
    return make_error(ErrorCode::kIo,
                      fmt::format("kernel map '{}': BPF_OBJ_GET_INFO_BY_FD: {}", km.name, std::strerror(errno)));
  }
  KernelMapRef ref;
  ref.id = info.id;
  ref.kernel_name = std::string(info.name, strnlen(info.name, sizeof(info.name)));
  ref.pin_path = pin_path;
  ref.holder_pid = pin_path.empty() ? static_cast<uint32_t>(getpid()) : 0;
  return ref;
}

Result<std::shared_ptr<Map>> open_kernel_map(const MapSpec& spec, const KernelMapRef& ref) {
  Fd fd;
  bool by_pin = false;
  int err = 0;
  if (!ref.pin_path.empty()) {
    fd.fd = bpf_obj_get(ref.pin_path.c_str());
    err = errno;
    by_pin = fd.fd >= 0 || err != ENOENT;
  }
  if (fd.fd < 0 && !by_pin) {  // no pin (or it is gone): the id, while some process holds the map
    fd.fd = bpf_map_get_fd_by_id(ref.id);
    err = errno;
  }
  if (fd.fd < 0) {
    return open_error(spec, ref, err, by_pin);
  }
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.fd, &info, &len) != 0) {
    return make_error(ErrorCode::kIo, fmt::format("map '{}': kernel map id {}: BPF_OBJ_GET_INFO_BY_FD: {}", spec.name,
                                                  ref.id, std::strerror(errno)));
  }
  const std::string kernel_name(info.name, strnlen(info.name, sizeof(info.name)));
  if (info.id != ref.id) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("map '{}': its pin {} now holds kernel map id {} ('{}'), the record names id {} "
                                  "('{}'): the pin was replaced; reload the object",
                                  spec.name, ref.pin_path, info.id, kernel_name, ref.id, ref.kernel_name));
  }
  const std::string want =
      shape_text(static_cast<uint32_t>(spec.type), spec.key_size, spec.value_size, spec.max_entries, spec.flags);
  const std::string have = shape_text(info.type, info.key_size, info.value_size, info.max_entries, info.map_flags);
  if (want != have || kernel_name != ref.kernel_name) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("map '{}': kernel map id {} is now '{}' ({}), the record names '{}' ({}): not the "
                                  "same map any more",
                                  spec.name, ref.id, kernel_name, have, ref.kernel_name, want));
  }
  KernelMapInfo km;
  km.name = kernel_name;
  km.fd = fd.fd;
  km.spec = spec;
  return make_kernel_map(km, spec.name);  // duplicates the fd; ours closes here
}

void enable_kernel_maps() {
  set_kernel_map_opener(&open_kernel_map_hook);
}

Result<LoadedObject> load_object_with_kernel_maps(Runtime& runtime, const Object& object, const KernelObject& kernel,
                                                  ObjectLoadOptions options) {
  enable_kernel_maps();
  options.make_map = [&](uint32_t, const ObjectMap& m, const MapSpec& spec) -> Result<uint32_t> {
    const KernelMapInfo* km = kernel.find_map(m.name);
    if (km == nullptr) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("map '{}' is not in the kernel's copy of object '{}'", m.name, kernel.name()));
    }
    auto map = make_kernel_map(*km, spec.name);
    if (!map) {
      return map.take_error();
    }
    auto ref = kernel_map_ref(*km, kernel.map_pin_path(*km));
    if (!ref) {
      return ref.take_error();
    }
    return runtime.add_map(std::move(*map), *ref);
  };
  return load_object(runtime, object, options);
}

}  // namespace bpfrt
