// `bpfrt map ...`: create, list, show, dump, lookup, update, delete, push/pop/peek, getnext, remove.
#include <cerrno>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "registry_cli.hpp"

namespace bpfrt::cli {
namespace {

using nlohmann::json;

struct MapArgs {
  std::string registry;
  OutputOptions out;
  std::string name;
  std::string type;
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  std::string flags = "0";
  uint64_t map_extra = 0;
  std::string inner;
  std::string key;
  std::string value;
  std::string update_flags = "any";
};

const std::vector<std::pair<const char*, uint32_t>> kMapFlags = {
    {"no_prealloc", 1u << 0}, {"no_common_lru", 1u << 1},  {"numa_node", 1u << 2}, {"rdonly", 1u << 3},
    {"wronly", 1u << 4},      {"stack_build_id", 1u << 5}, {"zero_seed", 1u << 6}, {"rdonly_prog", 1u << 7},
    {"wronly_prog", 1u << 8}, {"clone", 1u << 9},          {"mmapable", 1u << 10}, {"preserve_elems", 1u << 11},
    {"inner_map", 1u << 12},
};

// A number (decimal or 0x hex) or names joined by ',' or '|'.
uint32_t parse_map_flags(const std::string& text) {
  try {
    size_t used = 0;
    const unsigned long v = std::stoul(text, &used, 0);
    if (used == text.size() && v <= UINT32_MAX) {
      return static_cast<uint32_t>(v);
    }
  } catch (const std::exception&) {
  }
  uint32_t flags = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find_first_of(",|", start), text.size());
    std::string word = text.substr(start, end - start);
    for (char& c : word) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (word.starts_with("bpf_f_")) {
      word = word.substr(6);
    }
    bool known = false;
    for (const auto& [n, bit] : kMapFlags) {
      if (word == n) {
        flags |= bit;
        known = true;
      }
    }
    if (!known) {
      fail(fmt::format("unknown map flag '{}'", word));
    }
    start = end + 1;
  }
  return flags;
}

uint64_t parse_update_flags(const std::string& text) {
  if (text == "any") {
    return kBpfAny;
  }
  if (text == "noexist") {
    return kBpfNoexist;
  }
  if (text == "exist") {
    return kBpfExist;
  }
  if (text == "lock") {
    return kBpfFLock;
  }
  try {
    return std::stoull(text, nullptr, 0);
  } catch (const std::exception&) {
    fail(fmt::format("invalid update flags '{}' (any, noexist, exist, lock or a number)", text));
  }
}

std::string errno_text(int rc) {
  return map_errno_text(rc);
}

bool keyless(const Map& m) {
  return m.key_size() == 0;
}

std::vector<uint8_t> sized(const Map& m, const std::string& text, size_t want, const char* what, bool per_cpu_ok) {
  std::vector<uint8_t> bytes = parse_bytes(text, what);
  if (per_cpu_ok && m.is_percpu() && bytes.size() == m.value_size()) {
    // One value for every CPU.
    const size_t stride = (m.value_size() + 7) / 8 * 8;
    std::vector<uint8_t> all(m.user_value_size(), 0);
    for (uint32_t cpu = 0; cpu < m.ncpus(); ++cpu) {
      std::memcpy(all.data() + cpu * stride, bytes.data(), bytes.size());
    }
    return all;
  }
  if (bytes.size() != want) {
    fail(fmt::format("{} is {} bytes; map '{}' needs {}", what, bytes.size(), m.spec().name, want));
  }
  return bytes;
}

json map_json(const RegistryMapInfo& info) {
  json j{{"handle", info.handle},
         {"type", map_type_name(info.spec.type)},
         {"name", info.name},
         {"flags", info.spec.flags},
         {"bytes_key", info.spec.key_size},
         {"bytes_value", info.spec.value_size},
         {"max_entries", info.spec.max_entries},
         {"bytes_memlock", info.memory_size},
         {"owner_pid", info.owner_pid}};
  if (info.spec.map_extra != 0) {
    j["map_extra"] = info.spec.map_extra;
  }
  if (!info.shm_name.empty()) {
    j["shm"] = info.shm_name;
  }
  if (info.kernel.id != 0) {
    json k{{"id", info.kernel.id}, {"name", info.kernel.kernel_name}};
    if (!info.kernel.pin_path.empty()) {
      k["pinned"] = info.kernel.pin_path;
    } else {
      k["holder_pid"] = info.kernel.holder_pid;
    }
    j["kernel"] = k;
  }
  return j;
}

void print_map(const RegistryMapInfo& info) {
  std::cout << fmt::format("{}: {}  name {}  flags 0x{:x}\n\tkey {}B  value {}B  max_entries {}  memlock {}B",
                           info.handle, map_type_name(info.spec.type), info.name, info.spec.flags, info.spec.key_size,
                           info.spec.value_size, info.spec.max_entries, info.memory_size);
  if (info.spec.map_extra != 0) {
    std::cout << fmt::format("  map_extra {}", info.spec.map_extra);
  }
  std::cout << fmt::format("\n\towner_pid {}", info.owner_pid);
  if (!info.shm_name.empty()) {
    std::cout << fmt::format("  shm /dev/shm/{}", info.shm_name);
  }
  if (info.kernel.id != 0) {
    std::cout << fmt::format("\n\tkernel map id {} ({})", info.kernel.id, info.kernel.kernel_name);
    std::cout << (info.kernel.pin_path.empty() ? fmt::format("  held by pid {}", info.kernel.holder_pid)
                                               : fmt::format("  pinned {}", info.kernel.pin_path));
  }
  std::cout << '\n';
}

json value_json(const Map& m, const uint8_t* value) {
  if (!m.is_percpu()) {
    return json_bytes(value, m.value_size());
  }
  json values = json::array();
  const size_t stride = (m.value_size() + 7) / 8 * 8;
  for (uint32_t cpu = 0; cpu < m.ncpus(); ++cpu) {
    values.push_back({{"cpu", cpu}, {"value", json_bytes(value + cpu * stride, m.value_size())}});
  }
  return values;
}

void print_element(const Map& m, const uint8_t* key, const uint8_t* value) {
  if (!keyless(m)) {
    std::cout << "key: " << hex_bytes(key, m.key_size()) << (m.is_percpu() ? "\n" : "  ");
  }
  if (!m.is_percpu()) {
    std::cout << "value: " << hex_bytes(value, m.value_size()) << '\n';
    return;
  }
  const size_t stride = (m.value_size() + 7) / 8 * 8;
  for (uint32_t cpu = 0; cpu < m.ncpus(); ++cpu) {
    std::cout << fmt::format("value (CPU {:02}): {}\n", cpu, hex_bytes(value + cpu * stride, m.value_size()));
  }
}

void dump_map(const MapArgs& a) {
  auto rt = open_runtime(a.registry, false);
  auto map = unwrap(rt->map(a.name));
  dump_map_contents(*map, a.out);
}

}  // namespace

void dump_map_contents(Map& m, const OutputOptions& options) {
  json out = json::array();
  size_t count = 0;
  const MapType t = m.type();
  if (t == MapType::kQueue || t == MapType::kStack || t == MapType::kRingbuf) {
    for (const auto& item : m.export_items()) {
      ++count;
      if (options.json || options.pretty) {
        out.push_back({{"value", json_bytes(item.data(), item.size())}});
      } else {
        std::cout << "value: " << hex_bytes(item.data(), item.size()) << '\n';
      }
    }
  } else if (t == MapType::kBloomFilter || t == MapType::kPerfEventArray) {
    fail(fmt::format("map '{}': {} maps cannot be dumped", m.spec().name, map_type_name(t)));
  } else {
    std::vector<uint8_t> key(m.key_size()), next(m.key_size()), value(m.user_value_size());
    bool first = true;
    for (size_t guard = 0; guard <= m.max_entries(); ++guard) {
      if (m.get_next_key(first ? nullptr : key.data(), next.data()) != 0) {
        break;
      }
      key = next;
      first = false;
      const int rc = m.lookup(key.data(), value.data(), 0);
      if (rc == -ENOENT) {
        continue;
      }
      if (rc != 0) {
        fail(fmt::format("map '{}': lookup: {}", m.spec().name, errno_text(rc)));
      }
      ++count;
      if (options.json || options.pretty) {
        out.push_back({{"key", json_bytes(key.data(), key.size())}, {"value", value_json(m, value.data())}});
      } else {
        print_element(m, key.data(), value.data());
      }
    }
  }
  if (options.json || options.pretty) {
    print_json(out, options);
  } else {
    std::cout << fmt::format("Found {} element{}\n", count, count == 1 ? "" : "s");
  }
}

namespace {

void lookup_map(const MapArgs& a) {
  auto rt = open_runtime(a.registry, false);
  auto map = unwrap(rt->map(a.name));
  Map& m = *map;
  std::vector<uint8_t> key;
  if (!keyless(m)) {
    if (a.key.empty()) {
      fail(fmt::format("map '{}' needs --key", m.spec().name));
    }
    key = sized(m, a.key, m.key_size(), "key", false);
  }
  std::vector<uint8_t> value(m.user_value_size());
  if (m.type() == MapType::kBloomFilter) {
    if (a.value.empty()) {
      fail("a bloom filter lookup tests --value");
    }
    value = sized(m, a.value, m.value_size(), "value", false);
  }
  const int rc = m.lookup(keyless(m) ? nullptr : key.data(), value.data(), 0);
  if (rc != 0) {
    fail(keyless(m)
             ? fmt::format("map '{}': {}", m.spec().name, errno_text(rc))
             : fmt::format("map '{}': key {}: {}", m.spec().name, hex_bytes(key.data(), key.size()), errno_text(rc)));
  }
  if (m.type() == MapType::kBloomFilter) {
    std::cout << "maybe present\n";
    return;
  }
  if (a.out.json || a.out.pretty) {
    json j{{"value", value_json(m, value.data())}};
    if (!keyless(m)) {
      j["key"] = json_bytes(key.data(), key.size());
    }
    print_json(j, a.out);
    return;
  }
  print_element(m, key.data(), value.data());
}

void update_map(const MapArgs& a) {
  auto rt = open_runtime(a.registry, false);
  auto map = unwrap(rt->map(a.name));
  Map& m = *map;
  std::vector<uint8_t> key;
  if (!keyless(m)) {
    if (a.key.empty()) {
      fail(fmt::format("map '{}' needs --key", m.spec().name));
    }
    key = sized(m, a.key, m.key_size(), "key", false);
  }
  if (a.value.empty()) {
    fail("--value is required");
  }
  const std::vector<uint8_t> value = sized(m, a.value, m.user_value_size(), "value", true);
  const int rc = m.update(keyless(m) ? nullptr : key.data(), value.data(), parse_update_flags(a.update_flags));
  if (rc != 0) {
    fail(fmt::format("map '{}': update: {}", m.spec().name, errno_text(rc)));
  }
}

void delete_or_pop(const MapArgs& a, bool pop) {
  auto rt = open_runtime(a.registry, false);
  auto map = unwrap(rt->map(a.name));
  Map& m = *map;
  if (pop || keyless(m)) {
    std::vector<uint8_t> value(m.user_value_size());
    const int rc = m.lookup_and_delete(nullptr, value.data(), 0);
    if (rc != 0) {
      fail(fmt::format("map '{}': pop: {}", m.spec().name, errno_text(rc)));
    }
    print_element(m, nullptr, value.data());
    return;
  }
  if (a.key.empty()) {
    fail(fmt::format("map '{}' needs --key", m.spec().name));
  }
  const auto key = sized(m, a.key, m.key_size(), "key", false);
  if (const int rc = m.erase(key.data()); rc != 0) {
    fail(fmt::format("map '{}': delete: {}", m.spec().name, errno_text(rc)));
  }
}

void getnext(const MapArgs& a) {
  auto rt = open_runtime(a.registry, false);
  auto map = unwrap(rt->map(a.name));
  Map& m = *map;
  std::vector<uint8_t> key = a.key.empty() ? std::vector<uint8_t>{} : sized(m, a.key, m.key_size(), "key", false);
  std::vector<uint8_t> next(std::max<uint32_t>(m.key_size(), 1));
  const int rc = m.get_next_key(a.key.empty() ? nullptr : key.data(), next.data());
  if (rc != 0) {
    fail(fmt::format("map '{}': getnext: {}", m.spec().name, errno_text(rc)));
  }
  if (a.out.json || a.out.pretty) {
    print_json({{"next_key", json_bytes(next.data(), m.key_size())}}, a.out);
  } else {
    std::cout << "next key: " << hex_bytes(next.data(), m.key_size()) << '\n';
  }
}

void create(const MapArgs& a) {
  auto rt = open_runtime(a.registry);
  NewRegistryGuard new_registry(*rt);
  MapSpec spec;
  spec.name = a.name;
  spec.type = unwrap(parse_map_type(a.type));
  spec.key_size = a.key_size;
  spec.value_size = a.value_size;
  spec.max_entries = a.max_entries;
  spec.flags = parse_map_flags(a.flags);
  spec.map_extra = a.map_extra;
  const uint32_t inner = a.inner.empty() ? 0 : unwrap(rt->find(ObjectKind::kMap, a.inner));
  const uint32_t handle = unwrap(rt->create_map(spec, inner));
  new_registry.keep();
  if (a.out.json || a.out.pretty) {
    print_json({{"handle", handle}, {"name", a.name}}, a.out);
  } else {
    std::cout << fmt::format("created map '{}' with handle {}\n", a.name, handle);
  }
}

CLI::App* add(CLI::App* parent, const char* name, const char* help, std::shared_ptr<MapArgs> args) {
  CLI::App* c = parent->add_subcommand(name, help);
  add_registry_option(c, args->registry);
  return c;
}

}  // namespace

void register_map_commands(CLI::App& app) {
  CLI::App* map = app.add_subcommand("map", "Maps in the registry (shared memory)");
  map->require_subcommand(1);

  auto a = std::make_shared<MapArgs>();
  CLI::App* create_cmd = add(map, "create", "Create a map", a);
  create_cmd->add_option("NAME", a->name, "map name")->required();
  create_cmd->add_option("--type", a->type, "hash, array, percpu_hash, lru_hash, ringbuf, ...")->required();
  create_cmd->add_option("--key-size", a->key_size, "key bytes");
  create_cmd->add_option("--value-size", a->value_size, "value bytes");
  create_cmd->add_option("--max-entries", a->max_entries, "entries (ring buffers: bytes)")->required();
  create_cmd->add_option("--flags", a->flags, "BPF_F_* flags: a number or names (no_prealloc,rdonly_prog,...)");
  create_cmd->add_option("--map-extra", a->map_extra, "bloom filter hash count / perf buffer bytes");
  create_cmd->add_option("--inner-map", a->inner, "map-in-map types: a map with the inner maps' shape");
  add_output_options(create_cmd, a->out);
  create_cmd->callback([a] { create(*a); });

  auto l = std::make_shared<MapArgs>();
  CLI::App* list = add(map, "list", "List maps", l);
  add_output_options(list, l->out);
  list->callback([l] {
    auto rt = open_existing_runtime(l->registry);
    const auto maps = rt ? rt->list_maps() : std::vector<RegistryMapInfo>{};
    if (l->out.json || l->out.pretty) {
      json out = json::array();
      for (const RegistryMapInfo& info : maps) {
        out.push_back(map_json(info));
      }
      print_json(out, l->out);
      return;
    }
    for (const RegistryMapInfo& info : maps) {
      print_map(info);
    }
  });

  auto s = std::make_shared<MapArgs>();
  CLI::App* show = add(map, "show", "Show one map", s);
  show->add_option("NAME", s->name, "map name or handle")->required();
  add_output_options(show, s->out);
  show->callback([s] {
    auto rt = open_runtime(s->registry, false);
    const RegistryMapInfo info = unwrap(rt->map_info(unwrap(rt->find(ObjectKind::kMap, s->name))));
    if (s->out.json || s->out.pretty) {
      print_json(map_json(info), s->out);
    } else {
      print_map(info);
    }
  });

  auto d = std::make_shared<MapArgs>();
  CLI::App* dump = add(map, "dump", "Print every element", d);
  dump->add_option("NAME", d->name, "map name or handle")->required();
  add_output_options(dump, d->out);
  dump->callback([d] { dump_map(*d); });

  auto lk = std::make_shared<MapArgs>();
  CLI::App* lookup = add(map, "lookup", "Look up one element (queues and stacks: peek)", lk);
  lookup->add_option("NAME", lk->name, "map name or handle")->required();
  lookup->add_option("--key", lk->key, "key as hex bytes (01000000 or \"1 0 0 0\")");
  lookup->add_option("--value", lk->value, "bloom filters: the value to test");
  add_output_options(lookup, lk->out);
  lookup->callback([lk] { lookup_map(*lk); });

  auto u = std::make_shared<MapArgs>();
  CLI::App* update = add(map, "update", "Create or update an element (queues and stacks: push)", u);
  update->add_option("NAME", u->name, "map name or handle")->required();
  update->add_option("--key", u->key, "key as hex bytes (01000000 or \"1 0 0 0\")");
  update->add_option("--value", u->value, "value as hex bytes (per-CPU maps: one value for all CPUs, or all)")
      ->required();
  update->add_option("--flags", u->update_flags, "any, noexist, exist, lock or a number")->capture_default_str();
  update->callback([u] { update_map(*u); });

  auto del = std::make_shared<MapArgs>();
  CLI::App* erase = add(map, "delete", "Delete an element", del);
  erase->add_option("NAME", del->name, "map name or handle")->required();
  erase->add_option("--key", del->key, "key as hex bytes (01000000 or \"1 0 0 0\")");
  erase->callback([del] { delete_or_pop(*del, false); });

  auto push = std::make_shared<MapArgs>();
  CLI::App* push_cmd = add(map, "push", "Push onto a queue or stack, or add to a bloom filter", push);
  push_cmd->add_option("NAME", push->name, "map name or handle")->required();
  push_cmd->add_option("--value", push->value, "value as hex bytes")->required();
  push_cmd->add_option("--flags", push->update_flags, "any or exist (make room)")->capture_default_str();
  push_cmd->callback([push] { update_map(*push); });

  auto pop = std::make_shared<MapArgs>();
  CLI::App* pop_cmd = add(map, "pop", "Pop from a queue or stack", pop);
  pop_cmd->add_option("NAME", pop->name, "map name or handle")->required();
  pop_cmd->callback([pop] { delete_or_pop(*pop, true); });

  auto peek = std::make_shared<MapArgs>();
  CLI::App* peek_cmd = add(map, "peek", "Peek at a queue or stack, or test a bloom filter", peek);
  peek_cmd->add_option("NAME", peek->name, "map name or handle")->required();
  peek_cmd->add_option("--value", peek->value, "bloom filters: the value to test");
  add_output_options(peek_cmd, peek->out);
  peek_cmd->callback([peek] { lookup_map(*peek); });

  auto gn = std::make_shared<MapArgs>();
  CLI::App* next = add(map, "getnext", "The key after --key (or the first key)", gn);
  next->add_option("NAME", gn->name, "map name or handle")->required();
  next->add_option("--key", gn->key, "key as hex bytes (01000000 or \"1 0 0 0\")");
  add_output_options(next, gn->out);
  next->callback([gn] { getnext(*gn); });

  auto rm = std::make_shared<MapArgs>();
  CLI::App* remove = add(map, "remove", "Remove a map from the registry", rm);
  remove->add_option("NAME", rm->name, "map name or handle")->required();
  remove->callback([rm] {
    auto rt = open_runtime(rm->registry, false);
    check(rt->remove_map(unwrap(rt->find(ObjectKind::kMap, rm->name))));
  });
}

}  // namespace bpfrt::cli
