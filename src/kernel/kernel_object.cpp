// KernelObject: a BPF object loaded into the running kernel through libbpf, run with
// BPF_PROG_TEST_RUN; map snapshots of bpfrt and kernel maps for `bpfrt diff`.
#include "bpfrt/kernel_object.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <linux/bpf.h>
#include <unistd.h>

namespace bpfrt {
namespace {

constexpr size_t kMaxRawTpArgs = 12;  // the kernel's MAX_BPF_FUNC_ARGS

std::string errno_text(int err) {
  return std::strerror(err < 0 ? -err : err);
}

size_t round8(size_t n) {
  return (n + 7) & ~size_t{7};
}

bool keyless(MapType t) {
  return t == MapType::kQueue || t == MapType::kStack || t == MapType::kRingbuf || t == MapType::kBloomFilter;
}

bool percpu(MapType t) {
  return t == MapType::kPercpuHash || t == MapType::kPercpuArray || t == MapType::kLruPercpuHash;
}

// Why a map's contents cannot be compared between runtimes, or "".
std::string not_comparable(MapType t) {
  switch (t) {
    case MapType::kProgArray:
      return "a prog array holds program references, which differ between runtimes";
    case MapType::kPerfEventArray:
      return "a perf event array holds perf event file descriptors";
    case MapType::kArrayOfMaps:
    case MapType::kHashOfMaps:
      return "a map of maps holds map references, which differ between runtimes";
    case MapType::kBloomFilter:
      return "a bloom filter cannot be enumerated through bpf()";
    case MapType::kStackTrace:
      return "stack traces hold addresses, which differ between runtimes";
    default:
      return "";
  }
}

// Splits a per-CPU value buffer into each CPU's value, sorted.
std::vector<std::vector<uint8_t>> split_values(const uint8_t* p, size_t total, uint32_t value_size, bool per_cpu) {
  std::vector<std::vector<uint8_t>> out;
  if (!per_cpu) {
    out.emplace_back(p, p + value_size);
    return out;
  }
  const size_t stride = round8(value_size);
  for (size_t off = 0; off + value_size <= total; off += stride) {
    out.emplace_back(p + off, p + off + value_size);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string hex(const std::vector<uint8_t>& bytes) {
  std::string s;
  for (size_t i = 0; i < bytes.size(); ++i) {
    s += fmt::format("{}{:02x}", i == 0 ? "" : " ", bytes[i]);
  }
  return s.empty() ? "(empty)" : s;
}

std::string values_text(const std::vector<std::vector<uint8_t>>& values) {
  if (values.size() == 1) {
    return hex(values[0]);
  }
  std::string s = "per-CPU {";
  for (size_t i = 0; i < values.size(); ++i) {
    s += (i == 0 ? "" : ", ") + hex(values[i]);
  }
  return s + "}";
}

int ringbuf_sample(void* ctx, void* data, size_t size) {
  auto* items = static_cast<std::vector<std::vector<uint8_t>>*>(ctx);
  const auto* p = static_cast<const uint8_t*>(data);
  items->emplace_back(p, p + size);
  return 0;
}

}  // namespace

Status check_kernel_privilege() {
  const bpf_insn insns[] = {{0xb7, 0, 0, 0, 0}, {0x95, 0, 0, 0, 0}};
  const int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "bpfrt_probe", "GPL", insns, 2, nullptr);
  if (fd >= 0) {
    close(fd);
    return {};
  }
  const int err = errno;
  if (err == EPERM || err == EACCES) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("--target kernel needs CAP_BPF (or CAP_SYS_ADMIN; CAP_NET_ADMIN for packet "
                                  "programs, CAP_PERFMON for tracing) to load programs into the kernel, and this "
                                  "process (euid {}) lacks it: {}",
                                  geteuid(), errno_text(err)));
  }
  return make_error(ErrorCode::kUnsupported,
                    fmt::format("the kernel refuses to load BPF programs (bpf(BPF_PROG_LOAD): {})", errno_text(err)));
}

bool kernel_can_test_run(ProgType type) {
  switch (type) {
    case BPF_PROG_TYPE_XDP:
    case BPF_PROG_TYPE_SCHED_CLS:
    case BPF_PROG_TYPE_SCHED_ACT:
    case BPF_PROG_TYPE_SOCKET_FILTER:
    case BPF_PROG_TYPE_SYSCALL:
    case BPF_PROG_TYPE_RAW_TRACEPOINT:
      return true;
    default:
      return false;
  }
}

void KernelObject::Closer::operator()(bpf_object* o) const {
  bpf_object__close(o);
}

KernelObject::KernelObject(KernelObject&&) noexcept = default;
KernelObject& KernelObject::operator=(KernelObject&&) noexcept = default;
KernelObject::~KernelObject() = default;

Result<KernelObject> KernelObject::load(const std::string& path, const KernelLoadOptions& options) {
  BPFRT_TRY(check_kernel_privilege());
  libbpf_set_print(nullptr);
  // Selected programs, then (if that fails) only the selected ones: see KernelLoadOptions::programs.
  std::string first_error;
  for (const bool with_same_type : {true, false}) {
    LIBBPF_OPTS(bpf_object_open_opts, open_opts);
    if (!options.btf_path.empty()) {
      open_opts.btf_custom_path = options.btf_path.c_str();
    }
    KernelObject k;
    k.obj_.reset(bpf_object__open_file(path.c_str(), &open_opts));
    if (!k.obj_) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: libbpf cannot open the object: {}", path, errno_text(errno)));
    }
    k.name_ = bpf_object__name(k.obj_.get());
    std::vector<ProgType> selected_types;
    bpf_program* prog;
    for (const std::string& want : options.programs) {
      bool found = false;
      bpf_object__for_each_program(prog, k.obj_.get()) {
        if (want == bpf_program__name(prog) || want == bpf_program__section_name(prog)) {
          selected_types.push_back(bpf_program__type(prog));
          found = true;
        }
      }
      if (!found) {
        return make_error(ErrorCode::kNotFound, fmt::format("{}: no program '{}'", path, want));
      }
    }
    bpf_object__for_each_program(prog, k.obj_.get()) {
      bool load = options.programs.empty();
      for (const std::string& want : options.programs) {
        load |= want == bpf_program__name(prog) || want == bpf_program__section_name(prog);
      }
      if (with_same_type && !load) {
        load = std::find(selected_types.begin(), selected_types.end(), bpf_program__type(prog)) != selected_types.end();
      }
      bpf_program__set_autoload(prog, load);
    }
    bpf_map* map;
    bpf_object__for_each_map(map, k.obj_.get()) {
      if (options.pin_dir.empty()) {
        (void)bpf_map__set_pin_path(map, nullptr);
      } else {
        const std::string pin = fmt::format("{}/{}", options.pin_dir, bpf_map__name(map));
        if (const int rc = bpf_map__set_pin_path(map, pin.c_str()); rc != 0) {
          return make_error(ErrorCode::kIo, fmt::format("{}: map '{}': cannot pin at {}: {}", path, bpf_map__name(map),
                                                        pin, errno_text(rc)));
        }
      }
    }
    if (options.initial_values != nullptr) {
      for (const ObjectMap& m : options.initial_values->maps()) {
        bpf_map* gm = m.is_global_data() ? bpf_object__find_map_by_name(k.obj_.get(), m.name.c_str()) : nullptr;
        if (gm == nullptr || bpf_map__value_size(gm) != m.initial_value.size()) {
          continue;
        }
        if (const int rc = bpf_map__set_initial_value(gm, m.initial_value.data(), m.initial_value.size()); rc != 0) {
          return make_error(ErrorCode::kIo, fmt::format("{}: map '{}': cannot set its initial value: {}", path, m.name,
                                                        errno_text(rc)));
        }
      }
    }
    if (const int rc = bpf_object__load(k.obj_.get()); rc != 0) {
      if (first_error.empty()) {
        first_error = errno_text(rc);
      }
      if (with_same_type && !options.programs.empty()) {
        continue;
      }
      return make_error(ErrorCode::kRefused,
                        fmt::format("{}: the kernel (through libbpf) refuses to load the object: {}; run `bpftool "
                                    "prog loadall {} /sys/fs/bpf/x` for the kernel verifier's log",
                                    path, first_error, path));
    }
    bpf_object__for_each_map(map, k.obj_.get()) {
      KernelMapInfo info;
      info.name = bpf_map__name(map);
      info.fd = bpf_map__fd(map);
      info.spec.type = static_cast<MapType>(bpf_map__type(map));
      info.spec.key_size = bpf_map__key_size(map);
      info.spec.value_size = bpf_map__value_size(map);
      info.spec.max_entries = bpf_map__max_entries(map);
      info.spec.flags = bpf_map__map_flags(map);
      info.spec.name = info.name;
      if (const char* pin = bpf_map__pin_path(map); pin != nullptr && bpf_map__is_pinned(map)) {
        k.map_pins_[info.fd] = pin;
      }
      k.maps_.push_back(std::move(info));
    }
    bpf_object__for_each_program(prog, k.obj_.get()) {
      if (bpf_program__fd(prog) >= 0) {
        KernelProgramInfo info{bpf_program__name(prog), bpf_program__section_name(prog), bpf_program__fd(prog),
                               bpf_program__type(prog), ""};
        if (!options.program_pin_dir.empty()) {
          info.pin_path = fmt::format("{}/{}", options.program_pin_dir, info.name);
          if (const int rc = bpf_program__pin(prog, info.pin_path.c_str()); rc != 0) {
            for (const KernelProgramInfo& done : k.programs_) {
              ::unlink(done.pin_path.c_str());
            }
            if (!options.pin_dir.empty()) {
              (void)bpf_object__unpin_maps(k.obj_.get(), nullptr);
            }
            return make_error(ErrorCode::kIo, fmt::format("{}: program '{}': cannot pin at {}: {}", path, info.name,
                                                          info.pin_path, errno_text(rc)));
          }
        }
        k.programs_.push_back(std::move(info));
      }
    }
    return k;
  }
  return make_error(ErrorCode::kRefused, fmt::format("{}: the kernel refuses the object: {}", path, first_error));
}

const KernelMapInfo* KernelObject::find_map(std::string_view name) const {
  // libbpf names global data maps after the object ("xdp_coun.bss"); the section name matches too.
  for (const KernelMapInfo& m : maps_) {
    if (m.name == name) {
      return &m;
    }
  }
  if (obj_ != nullptr) {
    const std::string n(name);
    if (const bpf_map* map = bpf_object__find_map_by_name(obj_.get(), n.c_str()); map != nullptr) {
      const int fd = bpf_map__fd(map);
      for (const KernelMapInfo& m : maps_) {
        if (m.fd == fd) {
          return &m;
        }
      }
    }
  }
  return nullptr;
}

std::string KernelObject::map_pin_path(const KernelMapInfo& map) const {
  auto it = map_pins_.find(map.fd);
  return it == map_pins_.end() ? std::string() : it->second;
}

const KernelProgramInfo* KernelObject::find_program(std::string_view name) const {
  for (const KernelProgramInfo& p : programs_) {
    if (p.name == name || p.section == name) {
      return &p;
    }
  }
  return nullptr;
}

Result<TestRunOutput> KernelObject::test_run(std::string_view program, const TestRunInput& in) const {
  const KernelProgramInfo* p = find_program(program);
  if (p == nullptr) {
    return make_error(ErrorCode::kNotFound, fmt::format("object '{}' has no loaded program '{}'", name_, program));
  }
  if (!kernel_can_test_run(p->type)) {
    return make_error(ErrorCode::kUnsupported,
                      fmt::format("program '{}': the kernel's BPF_PROG_TEST_RUN does not run {} programs", p->name,
                                  prog_type_name(p->type)));
  }
  const bool syscall = p->type == BPF_PROG_TYPE_SYSCALL;
  // Raw tracepoints run on their u64 arguments (ctx_in, at most 12 of them): no packet, no ctx_out.
  const bool raw_tp = p->type == BPF_PROG_TYPE_RAW_TRACEPOINT;
  if (raw_tp && !in.data_in.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("program '{}': a raw tracepoint program takes no packet data; give its u64 "
                                  "arguments as the context (--ctx-in)",
                                  p->name));
  }
  if (raw_tp && (in.ctx_in.size() % 8 != 0 || in.ctx_in.size() > kMaxRawTpArgs * 8)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("program '{}': a raw tracepoint context is up to {} u64 arguments ({} bytes), "
                                  "not {} bytes",
                                  p->name, kMaxRawTpArgs, kMaxRawTpArgs * 8, in.ctx_in.size()));
  }
  std::vector<uint8_t> data_out(in.data_in.size() + 4096);
  std::vector<uint8_t> ctx_out(std::max<size_t>(in.ctx_in.size(), 256));
  std::vector<uint8_t> ctx_in = in.ctx_in;
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  if (!in.data_in.empty()) {
    opts.data_in = in.data_in.data();
    opts.data_size_in = static_cast<uint32_t>(in.data_in.size());
    opts.data_out = data_out.data();
    opts.data_size_out = static_cast<uint32_t>(data_out.size());
  }
  if (!ctx_in.empty()) {
    opts.ctx_in = ctx_in.data();
    opts.ctx_size_in = static_cast<uint32_t>(ctx_in.size());
    if (!syscall && !raw_tp) {  // syscall programs: the kernel writes the context back into ctx_in
      opts.ctx_out = ctx_out.data();
      opts.ctx_size_out = static_cast<uint32_t>(ctx_out.size());
    }
  }
  // Syscall and raw tracepoint programs take no repeat (EINVAL): they are run `repeat` times here.
  const uint32_t repeat = in.repeat == 0 ? 1 : in.repeat;
  const bool one_at_a_time = syscall || raw_tp;
  opts.repeat = one_at_a_time ? 0 : repeat;
  const auto start = std::chrono::steady_clock::now();
  for (uint32_t i = 0; i < (one_at_a_time ? repeat : 1); ++i) {
    if (bpf_prog_test_run_opts(p->fd, &opts) != 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("program '{}': BPF_PROG_TEST_RUN: {}", p->name, errno_text(errno)));
    }
  }
  TestRunOutput out;
  out.retval = opts.retval;
  out.data_out.assign(data_out.begin(), data_out.begin() + opts.data_size_out);
  if (syscall) {
    out.ctx_out = ctx_in;
  } else if (!raw_tp) {
    out.ctx_out.assign(ctx_out.begin(), ctx_out.begin() + opts.ctx_size_out);
  }
  // The kernel times its own repeat loop; runs made one at a time are timed here, syscall included.
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
  out.duration_ns = one_at_a_time ? static_cast<uint64_t>(elapsed.count()) / repeat : opts.duration;
  return out;
}

MapContents read_map_contents(std::string_view name, Map& map) {
  MapContents c;
  c.name = std::string(name);
  c.type = map.type();
  c.not_compared = not_comparable(c.type);
  if (!c.not_compared.empty()) {
    return c;
  }
  if (keyless(c.type)) {
    c.items = map.export_items();
    return c;
  }
  std::vector<uint8_t> key(map.key_size()), next(map.key_size()), value(map.user_value_size());
  bool first = true;
  while (map.get_next_key(first ? nullptr : key.data(), next.data()) == 0) {
    first = false;
    key = next;
    if (map.lookup(key.data(), value.data()) == 0) {
      c.entries[key] = split_values(value.data(), value.size(), map.value_size(), map.is_percpu());
    }
  }
  return c;
}

Result<MapContents> read_kernel_map_contents(const KernelMapInfo& m) {
  MapContents c;
  c.name = m.name;
  c.type = m.spec.type;
  c.not_compared = not_comparable(c.type);
  if (!c.not_compared.empty()) {
    return c;
  }
  const bool per_cpu = percpu(c.type);
  const int ncpus = libbpf_num_possible_cpus();
  const size_t value_bytes =
      per_cpu ? round8(m.spec.value_size) * static_cast<size_t>(std::max(ncpus, 1)) : m.spec.value_size;
  std::vector<uint8_t> value(std::max<size_t>(value_bytes, 1));
  if (c.type == MapType::kRingbuf) {
    ring_buffer* rb = ring_buffer__new(m.fd, ringbuf_sample, &c.items, nullptr);
    if (rb == nullptr) {
      return make_error(ErrorCode::kIo,
                        fmt::format("map '{}': cannot map the ring buffer: {}", m.name, errno_text(errno)));
    }
    (void)ring_buffer__consume(rb);
    ring_buffer__free(rb);
    return c;
  }
  if (c.type == MapType::kQueue || c.type == MapType::kStack) {
    while (bpf_map_lookup_and_delete_elem(m.fd, nullptr, value.data()) == 0) {
      c.items.emplace_back(value.begin(), value.begin() + m.spec.value_size);
    }
    if (c.type == MapType::kStack) {
      std::reverse(c.items.begin(), c.items.end());  // popped newest first
    }
    return c;
  }
  std::vector<uint8_t> key(std::max<uint32_t>(m.spec.key_size, 1)), next(key.size());
  bool first = true;
  while (bpf_map_get_next_key(m.fd, first ? nullptr : key.data(), next.data()) == 0) {
    first = false;
    key = next;
    if (bpf_map_lookup_elem(m.fd, key.data(), value.data()) == 0) {
      c.entries[std::vector<uint8_t>(key.begin(), key.begin() + m.spec.key_size)] =
          split_values(value.data(), value_bytes, m.spec.value_size, per_cpu);
    }
  }
  return c;
}

std::vector<std::string> compare_map_contents(const MapContents& a, std::string_view a_name, const MapContents& b,
                                              std::string_view b_name) {
  std::vector<std::string> out;
  if (!a.not_compared.empty() || !b.not_compared.empty()) {
    return out;
  }
  for (const auto& [key, values] : a.entries) {
    auto it = b.entries.find(key);
    if (it == b.entries.end()) {
      out.push_back(fmt::format("map '{}' key {}: {} has {}, {} has no such key", a.name, hex(key), a_name,
                                values_text(values), b_name));
    } else if (it->second != values) {
      out.push_back(fmt::format("map '{}' key {}: {} has {}, {} has {}", a.name, hex(key), a_name, values_text(values),
                                b_name, values_text(it->second)));
    }
  }
  for (const auto& [key, values] : b.entries) {
    if (!a.entries.contains(key)) {
      out.push_back(fmt::format("map '{}' key {}: {} has no such key, {} has {}", a.name, hex(key), a_name, b_name,
                                values_text(values)));
    }
  }
  if (a.items != b.items) {
    out.push_back(fmt::format("map '{}': {} holds {} item(s), {} holds {}", a.name, a_name, a.items.size(), b_name,
                              b.items.size()));
    for (size_t i = 0; i < std::max(a.items.size(), b.items.size()); ++i) {
      const std::string x = i < a.items.size() ? hex(a.items[i]) : "(none)";
      const std::string y = i < b.items.size() ? hex(b.items[i]) : "(none)";
      if (x != y) {
        out.push_back(fmt::format("  item {}: {} {}, {} {}", i, a_name, x, b_name, y));
      }
    }
  }
  return out;
}

}  // namespace bpfrt
