// Object::open: the loader's pipeline, ELF -> BTF -> maps -> functions (relocated) -> linked programs.
#include "bpfrt/object.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include <elf.h>
#include <fmt/format.h>

#include "object/btf_util.hpp"
#include "object/elf_file.hpp"
#include "object/functions.hpp"
#include "object/linker.hpp"
#include "object/map_defs.hpp"
#include "object/section_defs.hpp"

namespace bpfrt {

// Builds an Object from its parts; a friend of Object.
class ObjectBuilder {
 public:
  static Result<Object> build(std::shared_ptr<const std::vector<uint8_t>> bytes, const OpenOptions& options);
};

namespace {

std::string default_name(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  for (const char* suffix : {".bpf.o", ".o"}) {
    if (name.size() > std::strlen(suffix) && name.ends_with(suffix)) {
      name.resize(name.size() - std::strlen(suffix));
      break;
    }
  }
  return name;
}

Result<std::string> read_license(const object::ElfFile& elf) {
  const object::ElfSection* sec = elf.find_section("license");
  if (sec == nullptr) {
    return std::string();
  }
  const auto& b = sec->bytes;
  const auto nul = std::find(b.begin(), b.end(), uint8_t{0});
  if (nul == b.end()) {
    return make_error(ErrorCode::kInvalidArgument, "section 'license': the string is not NUL-terminated");
  }
  return std::string(b.begin(), nul);
}

Result<uint32_t> read_version(const object::ElfFile& elf) {
  const object::ElfSection* sec = elf.find_section("version");
  if (sec == nullptr) {
    return uint32_t{0};
  }
  if (sec->bytes.size() != sizeof(uint32_t)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("section 'version': {} bytes, expected 4", sec->bytes.size()));
  }
  uint32_t v = 0;
  std::memcpy(&v, sec->bytes.data(), sizeof(v));
  return v;
}

Error in_program(const object::FunctionCode& fn, Error error) {
  error.message = fmt::format("program '{}' (section '{}'): {}", fn.name, fn.section, error.message);
  return error;
}

}  // namespace

Result<Object> ObjectBuilder::build(std::shared_ptr<const std::vector<uint8_t>> bytes, const OpenOptions& options) {
  auto elf = object::ElfFile::parse(*bytes);
  if (!elf) {
    return elf.take_error();
  }
  Object obj;
  obj.elf_ = bytes;
  obj.name_ = options.name;
  auto license = read_license(*elf);
  if (!license) {
    return license.take_error();
  }
  obj.license_ = std::move(*license);
  auto version = read_version(*elf);
  if (!version) {
    return version.take_error();
  }
  obj.kernel_version_ = *version;

  object::BtfPtr btf;
  if (const auto* sec = elf->find_section(".BTF"); sec != nullptr) {
    auto parsed = object::parse_btf(sec->bytes, "section '.BTF'");
    if (!parsed) {
      return parsed.take_error();
    }
    btf = std::move(*parsed);
  }
  std::optional<object::BtfExt> btf_ext;
  if (const auto* sec = elf->find_section(".BTF.ext"); sec != nullptr) {
    if (!btf) {
      return make_error(ErrorCode::kInvalidArgument, "section '.BTF.ext' needs a .BTF section, which is missing");
    }
    auto parsed = object::parse_btf_ext(sec->bytes, btf.get());
    if (!parsed) {
      return parsed.take_error();
    }
    btf_ext = std::move(*parsed);
  }

  auto maps = object::collect_maps(*elf, btf.get());
  if (!maps) {
    return maps.take_error();
  }
  object::CodeInputs in{&*elf, btf.get(), btf_ext ? &*btf_ext : nullptr, &*maps, &options};
  auto code = object::collect_functions(in);
  if (!code) {
    return code.take_error();
  }
  obj.core_target_ = code->core_target;
  const auto& fns = code->functions;
  std::vector<size_t> program_fn;  // program index -> function index
  for (size_t fi = 0; fi < fns.size(); ++fi) {
    const object::FunctionCode& fn = fns[fi];
    if (!fn.entry) {
      continue;
    }
    auto section = object::classify_section(fn.section);
    if (!section) {
      Error e = section.take_error();
      e.message = fmt::format("program '{}': {}", fn.name, e.message);
      return e;
    }
    object::LinkedProgram linked = object::link_program(fns, fi);
    auto program = Program::from_instructions(std::move(linked.insns));
    if (!program) {
      return in_program(fn, program.take_error());
    }
    std::vector<uint32_t> used;
    for (const auto& r : linked.relocations) {
      if (r.kind == AppliedRelocation::Kind::kMap || r.kind == AppliedRelocation::Kind::kMapValue) {
        used.push_back(r.map_index);
      }
    }
    std::sort(used.begin(), used.end());
    used.erase(std::unique(used.begin(), used.end()), used.end());
    obj.programs_.push_back(ObjectProgram{.name = fn.name,
                                        .section = fn.section,
                                        .type = section->type,
                                        .expected_attach_type = section->expected_attach_type,
                                        .attach = std::move(section->attach),
                                        .program = std::move(*program),
                                        .functions = std::move(linked.functions),
                                        .relocations = std::move(linked.relocations),
                                        .core_relocations = std::move(linked.core_relocations),
                                        .used_maps = std::move(used)});
    program_fn.push_back(fi);
  }
  if (obj.programs_.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "the object has no programs (no function in a SEC() code section)");
  }
  auto program_index = [&](const object::ElfSymbol& sym) -> int {
    for (size_t i = 0; i < program_fn.size(); ++i) {
      const object::FunctionCode& fn = fns[program_fn[i]];
      if (fn.section_index == sym.shndx && fn.start * 8 == sym.value) {
        return static_cast<int>(i);
      }
    }
    return -1;
  };
  BPFRT_TRY(object::collect_init_slots(*elf, *maps, program_index));
  auto globals = object::collect_globals(*elf, btf.get(), *maps);
  if (!globals) {
    return globals.take_error();
  }
  obj.globals_ = std::move(*globals);
  for (auto& md : *maps) {
    obj.maps_.push_back(std::move(md.spec));
  }
  return obj;
}

Result<Object> Object::open_memory(std::span<const uint8_t> bytes, const OpenOptions& options) {
  OpenOptions opts = options;
  if (opts.name.empty()) {
    opts.name = "object";
  }
  return ObjectBuilder::build(std::make_shared<const std::vector<uint8_t>>(bytes.begin(), bytes.end()), opts);
}

Result<Object> Object::open(const std::string& path, const OpenOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kIo, fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  auto bytes =
      std::make_shared<std::vector<uint8_t>>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return make_error(ErrorCode::kIo, fmt::format("{}: read error", path));
  }
  OpenOptions opts = options;
  if (opts.name.empty()) {
    opts.name = default_name(path);
  }
  auto obj = ObjectBuilder::build(std::move(bytes), opts);
  if (!obj) {
    Error e = obj.take_error();
    e.message = fmt::format("{}: {}", path, e.message);
    return e;
  }
  return obj;
}

const ObjectProgram* Object::find_program(std::string_view name) const {
  for (const auto& p : programs_) {
    if (p.name == name) {
      return &p;
    }
  }
  for (const auto& p : programs_) {
    if (p.section == name) {
      return &p;
    }
  }
  return nullptr;
}

const ObjectMap* Object::find_map(std::string_view name) const {
  for (const auto& m : maps_) {
    if (m.name == name) {
      return &m;
    }
  }
  return nullptr;
}

const GlobalVariable* Object::find_global(std::string_view name) const {
  for (const auto& g : globals_) {
    if (g.name == name) {
      return &g;
    }
  }
  return nullptr;
}

Status Object::set_global(std::string_view name, std::span<const uint8_t> bytes) {
  const GlobalVariable* g = find_global(name);
  if (g == nullptr) {
    return make_error(ErrorCode::kNotFound, fmt::format("object '{}' has no global variable '{}'", name_, name));
  }
  if (bytes.size() != g->size) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("global '{}' has {} bytes, not {}", name, g->size, bytes.size()));
  }
  ObjectMap& map = maps_[g->map_index];
  std::copy(bytes.begin(), bytes.end(), map.initial_value.begin() + g->offset);
  return {};
}

Result<std::span<const uint8_t>> Object::global_value(std::string_view name) const {
  const GlobalVariable* g = find_global(name);
  if (g == nullptr) {
    return make_error(ErrorCode::kNotFound, fmt::format("object '{}' has no global variable '{}'", name_, name));
  }
  return std::span<const uint8_t>(maps_[g->map_index].initial_value).subspan(g->offset, g->size);
}

}  // namespace bpfrt
