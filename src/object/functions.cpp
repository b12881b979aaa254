#include "object/functions.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include <elf.h>
#include <fmt/format.h>

namespace bpfrt::object {
namespace {

constexpr uint8_t kOpLddw = 0x18;
constexpr uint8_t kOpCall = 0x85;

Error code_error(std::string what, std::optional<size_t> insn = std::nullopt) {
  return make_error(ErrorCode::kInvalidArgument, std::move(what), insn);
}

// Functions of one executable section, checked to lie inside it without overlapping.
Result<std::vector<FunctionCode>> section_functions(const ElfFile& elf, const ElfSection& sec) {
  if (sec.bytes.size() % sizeof(Instruction) != 0) {
    return code_error(
        fmt::format("section '{}': {} bytes is not a whole number of instructions", sec.name, sec.bytes.size()));
  }
  const size_t count = sec.bytes.size() / sizeof(Instruction);
  std::vector<const ElfSymbol*> syms;
  for (const ElfSymbol& sym : elf.symbols()) {
    if (sym.shndx == sec.index && sym.type == STT_FUNC) {
      syms.push_back(&sym);
    }
  }
  if (syms.empty()) {
    return code_error(fmt::format("section '{}': code without a function symbol", sec.name));
  }
  std::sort(syms.begin(), syms.end(), [](const ElfSymbol* a, const ElfSymbol* b) { return a->value < b->value; });
  std::vector<FunctionCode> out;
  const bool text = sec.name == ".text";
  for (size_t i = 0; i < syms.size(); ++i) {
    const ElfSymbol& sym = *syms[i];
    const std::string where = fmt::format("section '{}': function '{}'", sec.name, sym.name);
    if (sym.name.empty()) {
      return code_error(fmt::format("section '{}': function symbol {} has no name", sec.name, sym.index));
    }
    if (sym.value % 8 != 0 || sym.size % 8 != 0 || sym.size == 0) {
      return code_error(
          fmt::format("{}: offset {} and size {} must be non-zero multiples of 8", where, sym.value, sym.size));
    }
    if (sym.value / 8 >= count || sym.size / 8 > count - sym.value / 8) {
      return code_error(
          fmt::format("{}: {}+{} lies outside the section ({} bytes)", where, sym.value, sym.size, sec.bytes.size()));
    }
    if (i > 0 && syms[i - 1]->value + syms[i - 1]->size > sym.value) {
      return code_error(fmt::format("{} overlaps function '{}'", where, syms[i - 1]->name));
    }
    if (!text && sym.bind == STB_LOCAL) {
      return code_error(fmt::format("{} is static; entry programs must be global (libbpf refuses them too)", where));
    }
    FunctionCode fn;
    fn.name = sym.name;
    fn.section_index = sec.index;
    fn.section = sec.name;
    fn.start = sym.value / 8;
    fn.entry = !text;
    fn.global = sym.bind != STB_LOCAL;
    fn.insns.resize(sym.size / 8);
    std::memcpy(fn.insns.data(), sec.bytes.data() + sym.value, sym.size);
    out.push_back(std::move(fn));
  }
  return out;
}

class Relocator {
 public:
  Relocator(const CodeInputs& in, std::vector<FunctionCode>& fns) : in_(in), fns_(fns) {}

  // The function containing slot `insn` of section `sec`, or -1.
  ptrdiff_t function_at(size_t sec, size_t insn) const {
    for (size_t i = 0; i < fns_.size(); ++i) {
      const auto& f = fns_[i];
      if (f.section_index == sec && insn >= f.start && insn < f.start + f.insns.size()) {
        return static_cast<ptrdiff_t>(i);
      }
    }
    return -1;
  }

  // A function starting exactly at slot `insn` of .text.
  Result<size_t> text_function(size_t sec, int64_t insn, const std::string& where) const {
    const ElfSection* target = in_.elf->section(sec);
    if (target == nullptr || target->name != ".text") {
      return code_error(fmt::format("{}: calls and function addresses must target .text, not '{}'", where,
                                    target != nullptr ? target->name : "?"));
    }
    for (size_t i = 0; i < fns_.size(); ++i) {
      if (fns_[i].section_index == sec && static_cast<int64_t>(fns_[i].start) == insn) {
        return i;
      }
    }
    return code_error(fmt::format("{}: no function starts at slot {} of .text", where, insn));
  }

  Status apply(const ElfSection& sec, const ElfRelocation& rel, std::set<std::pair<size_t, size_t>>& done) {
    const ElfSymbol& sym = in_.elf->symbols()[rel.symbol];
    const ElfSection* sym_sec = sym.type == STT_SECTION ? in_.elf->section(sym.shndx) : nullptr;
    const std::string sym_name = !sym.name.empty()    ? sym.name
                                 : sym_sec != nullptr ? sym_sec->name
                                                      : fmt::format("#{}", sym.index);
    if (rel.offset % 8 != 0 || rel.offset >= sec.bytes.size()) {
      return code_error(fmt::format("section '{}': relocation against '{}' at offset {} is {}", sec.name, sym_name,
                                    rel.offset, rel.offset % 8 != 0 ? "not on an instruction" : "outside the section"));
    }
    const size_t slot = rel.offset / 8;
    const ptrdiff_t fi = function_at(sec.index, slot);
    if (fi < 0) {
      return code_error(fmt::format("section '{}': relocation against '{}' at slot {} is inside no function", sec.name,
                                    sym_name, slot));
    }
    FunctionCode& fn = fns_[static_cast<size_t>(fi)];
    const size_t local = slot - fn.start;
    Instruction& insn = fn.insns[local];
    const std::string where = fmt::format("section '{}', function '{}', instruction {}: relocation against '{}'",
                                          sec.name, fn.name, local, sym_name);
    done.insert({static_cast<size_t>(fi), local});
    if (sym.shndx == SHN_UNDEF) {
      return make_error(ErrorCode::kUnsupported,
                        fmt::format("{}: '{}' is an extern ({}); externs (.kconfig, .ksyms, kfuncs) are not supported",
                                    where, sym_name, insn.opcode == kOpCall ? "kfunc" : "variable"),
                        local);
    }
    if (insn.opcode == kOpCall) {
      if (insn.src != 1) {
        return code_error(fmt::format("{}: the call is not a BPF-to-BPF call (src {})", where, int{insn.src}), local);
      }
      if (sym.shndx >= SHN_LORESERVE || sym.value % 8 != 0) {
        return code_error(fmt::format("{}: bad call target", where), local);
      }
      auto target = text_function(sym.shndx, static_cast<int64_t>(sym.value / 8) + insn.imm + 1, where);
      if (!target) {
        return target.take_error();
      }
      fn.calls.push_back(CallSite{local, *target, false, sym_name});
      return {};
    }
    if (insn.opcode != kOpLddw || local + 1 >= fn.insns.size()) {
      return code_error(fmt::format("{}: instruction (opcode 0x{:02x}) is neither lddw nor call", where, insn.opcode),
                        local);
    }
    if (sym.shndx >= SHN_LORESERVE) {
      return code_error(fmt::format("{}: the symbol is in special section 0x{:x} (an uninitialised common global? "
                                    "initialise it or compile with -fno-common)",
                                    where, sym.shndx),
                        local);
    }
    const ElfSection* target = in_.elf->section(sym.shndx);
    if (target == nullptr) {
      return code_error(fmt::format("{}: the symbol's section {} does not exist", where, sym.shndx), local);
    }
    if (target->executable()) {
      if (sym.value % 8 != 0 || insn.imm % 8 != 0) {
        return code_error(
            fmt::format("{}: function address {}+{} is not on an instruction", where, sym.value, insn.imm), local);
      }
      auto callee = text_function(sym.shndx, (static_cast<int64_t>(sym.value) + insn.imm) / 8, where);
      if (!callee) {
        return callee.take_error();
      }
      insn.src = static_cast<uint8_t>(LddwSrc::kFunc);
      insn.imm = 0;
      fn.calls.push_back(CallSite{local, *callee, true, sym_name});
      return {};
    }
    const auto& maps = *in_.maps;
    for (size_t mi = 0; mi < maps.size(); ++mi) {
      const MapDefinition& md = maps[mi];
      if (md.section_index != sym.shndx) {
        continue;
      }
      AppliedRelocation applied;
      applied.insn = local;
      applied.symbol = sym_name;
      applied.map_index = static_cast<uint32_t>(mi);
      if (!md.spec.is_global_data()) {
        if (md.offset != sym.value) {
          continue;
        }
        applied.kind = AppliedRelocation::Kind::kMap;
        insn.src = static_cast<uint8_t>(LddwSrc::kMapIdx);
        insn.imm = static_cast<int32_t>(mi);
        fn.insns[local + 1].imm = 0;
      } else {
        const int64_t off = static_cast<int64_t>(sym.value) + insn.imm;
        if (off < 0 || static_cast<uint64_t>(off) >= md.spec.value_size) {
          return code_error(
              fmt::format("{}: offset {} lies outside '{}' ({} bytes)", where, off, md.spec.name, md.spec.value_size),
              local);
        }
        applied.kind = AppliedRelocation::Kind::kMapValue;
        applied.offset = static_cast<uint32_t>(off);
        insn.src = static_cast<uint8_t>(LddwSrc::kMapIdxValue);
        insn.imm = static_cast<int32_t>(mi);
        fn.insns[local + 1].imm = static_cast<int32_t>(off);
      }
      fn.relocations.push_back(std::move(applied));
      return {};
    }
    return code_error(
        fmt::format("{}: section '{}' at offset {} holds no map, global data or code", where, target->name, sym.value),
        local);
  }

  // Calls and function loads inside a section that carry no relocation (static calls within .text).
  Status unrelocated(const std::set<std::pair<size_t, size_t>>& done) {
    for (size_t fi = 0; fi < fns_.size(); ++fi) {
      FunctionCode& fn = fns_[fi];
      for (size_t i = 0; i < fn.insns.size(); ++i) {
        const Instruction& insn = fn.insns[i];
        if (done.contains({fi, i})) {
          continue;
        }
        const std::string where = fmt::format("section '{}', function '{}', instruction {}", fn.section, fn.name, i);
        if (insn.opcode == kOpCall && insn.src == 1) {
          const int64_t target = static_cast<int64_t>(fn.start + i) + insn.imm + 1;
          auto callee = text_function(fn.section_index, target, where);
          if (!callee) {
            return callee.take_error();
          }
          fn.calls.push_back(CallSite{i, *callee, false, fns_[*callee].name});
        } else if (insn.opcode == kOpLddw) {
          if (insn.src != 0) {
            return code_error(fmt::format("{}: lddw with pseudo source {} has no relocation", where, int{insn.src}), i);
          }
          ++i;  // skip the second slot
        }
      }
    }
    return {};
  }

 private:
  const CodeInputs& in_;
  std::vector<FunctionCode>& fns_;
};

Status apply_core(const CodeInputs& in, std::vector<FunctionCode>& fns, CodeResult& result) {
  if (in.btf_ext == nullptr || in.btf_ext->core_relos.empty()) {
    return {};
  }
  auto target = TargetBtf::load(in.options->target_btf_path);
  if (!target) {
    return target.take_error();
  }
  result.core_target = (*target)->description();
  for (const auto& [section, records] : in.btf_ext->core_relos) {
    const ElfSection* sec = in.elf->find_section(section);
    if (sec == nullptr || !sec->executable()) {
      return code_error(
          fmt::format(".BTF.ext: CO-RE relocations for section '{}', which is not a code section", section));
    }
    for (const CoreReloRecord& rec : records) {
      const size_t slot = rec.insn_off / 8;
      auto fn = std::find_if(fns.begin(), fns.end(), [&](const FunctionCode& f) {
        return f.section_index == sec->index && slot >= f.start && slot < f.start + f.insns.size();
      });
      if (rec.insn_off % 8 != 0 || fn == fns.end()) {
        return code_error(fmt::format(".BTF.ext: CO-RE relocation at byte {} of section '{}' is inside no function",
                                      rec.insn_off, section));
      }
      CoreContext ctx{in.btf, target->get(), in.options->strict_core, fn->name};
      auto applied = apply_core_relocation(ctx, rec, fn->insns, slot - fn->start);
      if (!applied) {
        return applied.take_error();
      }
      fn->core_relocations.push_back(std::move(*applied));
    }
  }
  return {};
}

}  // namespace

Result<CodeResult> collect_functions(const CodeInputs& in) {
  CodeResult result;
  auto& fns = result.functions;
  for (const ElfSection& sec : in.elf->sections()) {
    if (sec.index == 0 || !sec.executable() || sec.bytes.empty()) {
      continue;
    }
    auto more = section_functions(*in.elf, sec);
    if (!more) {
      return more.take_error();
    }
    for (auto& f : *more) {
      fns.push_back(std::move(f));
    }
  }
  if (in.btf_ext != nullptr && !in.btf_ext->core_relos.empty() && in.btf == nullptr) {
    return code_error(".BTF.ext has CO-RE relocations but the object has no .BTF");
  }
  BPFRT_TRY(apply_core(in, fns, result));
  Relocator relocator(in, fns);
  std::set<std::pair<size_t, size_t>> done;
  for (const ElfSection& rel_sec : in.elf->sections()) {
    if (rel_sec.type == SHT_RELA) {
      const ElfSection* target = in.elf->section(rel_sec.info);
      if (target != nullptr && target->executable()) {
        return code_error(fmt::format("section '{}': RELA relocations are not used by BPF objects", rel_sec.name));
      }
      continue;
    }
    if (rel_sec.type != SHT_REL) {
      continue;
    }
    const ElfSection* target = in.elf->section(rel_sec.info);
    if (target == nullptr) {
      return code_error(
          fmt::format("section '{}': applies to section {}, which does not exist", rel_sec.name, rel_sec.info));
    }
    if (!target->executable()) {
      continue;  // .rel.maps is read with the maps; DWARF and BTF relocations do not matter here
    }
    auto relocs = in.elf->relocations(rel_sec);
    if (!relocs) {
      return relocs.take_error();
    }
    for (const ElfRelocation& rel : *relocs) {
      BPFRT_TRY(relocator.apply(*target, rel, done));
    }
  }
  BPFRT_TRY(relocator.unrelocated(done));
  for (auto& fn : fns) {
    std::sort(fn.calls.begin(), fn.calls.end(), [](const CallSite& a, const CallSite& b) { return a.insn < b.insn; });
  }
  return result;
}

}  // namespace bpfrt::object
