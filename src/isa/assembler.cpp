// Two-pass assembler for the bpf_conformance syntax: lines are encoded as they come, jump and call
// targets naming labels are patched once every label is known.
#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "bpfrt/isa.hpp"

#include "isa/asm_syntax.hpp"

namespace bpfrt {
namespace {

using asm_syntax::parse_int;
using asm_syntax::parse_register;

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

bool is_label_char(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
  return alpha || (!first && c >= '0' && c <= '9');
}

bool is_identifier(std::string_view s) {
  if (s.empty() || !is_label_char(s[0], true)) {
    return false;
  }
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return is_label_char(c, false); });
}

// Splits on commas that are not inside brackets or parentheses.
std::vector<std::string_view> split_operands(std::string_view rest) {
  std::vector<std::string_view> out;
  if (trim(rest).empty()) {
    return out;
  }
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= rest.size(); ++i) {
    const char c = i < rest.size() ? rest[i] : ',';
    if (c == '[' || c == '(') {
      ++depth;
    } else if (c == ']' || c == ')') {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(trim(rest.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

// Mnemonic -> the operations spelled that way (ALU and jump mnemonics have an imm and a reg form).
const std::unordered_map<std::string_view, std::vector<const OpInfo*>>& mnemonic_index() {
  static const auto kIndex = [] {
    std::unordered_map<std::string_view, std::vector<const OpInfo*>> m;
    for (int i = 0; i < kNumOps; ++i) {
      const OpInfo& info = op_info(static_cast<Op>(i));
      m[info.mnemonic].push_back(&info);
    }
    return m;
  }();
  return kIndex;
}

// Spellings accepted besides the canonical mnemonic.
std::string canonical_mnemonic(std::string_view mnemonic) {
  static const std::map<std::string_view, std::string_view> kAliases = {
      {"swap16", "bswap16"},
      {"swap32", "bswap32"},
      {"swap64", "bswap64"},
      {"lddw64", "lddw"},
  };
  if (auto it = kAliases.find(mnemonic); it != kAliases.end()) {
    return std::string(it->second);
  }
  // "add64" == "add" for 64-bit ALU and jump operations (but not movsx864, le64, ...).
  if (mnemonic.size() > 2 && mnemonic.ends_with("64") && !mnemonic.starts_with("movsx")) {
    std::string_view base = mnemonic.substr(0, mnemonic.size() - 2);
    auto it = mnemonic_index().find(base);
    if (it != mnemonic_index().end() && !base.starts_with("le") && !base.starts_with("be") &&
        !base.starts_with("bswap")) {
      return std::string(base);
    }
  }
  return std::string(mnemonic);
}

struct Fixup {
  size_t slot;
  std::string label;
  size_t line;
  bool in_imm;  // 32-bit immediate (ja32, call local, lddw func) rather than the 16-bit offset
};

class Assembler {
 public:
  Result<std::vector<Instruction>> run(std::string_view text);

 private:
  Status assemble_line(std::string_view line);
  Status encode(const std::string& mnemonic, const std::vector<std::string_view>& ops);
  Status encode_lock(const std::vector<std::string_view>& ops);
  Status encode_call(const std::vector<std::string_view>& ops);
  Status encode_lddw(const std::vector<std::string_view>& ops);
  Status encode_form(const OpInfo& info, const std::vector<std::string_view>& ops);

  Error error(const std::string& message) const {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("line {}: {}", line_, message));
  }
  Status expect_operands(std::string_view mnemonic, const std::vector<std::string_view>& ops, size_t n) const;
  Result<uint8_t> reg(std::string_view token) const;
  Result<int32_t> imm32(std::string_view token) const;
  Result<int16_t> offset16(std::string_view token) const;
  Result<std::pair<uint8_t, int16_t>> memory(std::string_view token) const;
  // Encodes a jump/call target: "+N", "-N" or a label patched later.
  Result<int32_t> target(std::string_view token, bool in_imm);

  size_t line_ = 0;
  std::vector<Instruction> out_;
  std::unordered_map<std::string, size_t> labels_;
  std::optional<size_t> first_exit_;
  std::vector<Fixup> fixups_;
};

Status Assembler::expect_operands(std::string_view mnemonic, const std::vector<std::string_view>& ops, size_t n) const {
  if (ops.size() != n) {
    return error(fmt::format("invalid number of operands for {}: expected {}, got {}", mnemonic, n, ops.size()));
  }
  for (std::string_view op : ops) {
    if (op.empty()) {
      return error(fmt::format("empty operand in {}", mnemonic));
    }
  }
  return {};
}

Result<uint8_t> Assembler::reg(std::string_view token) const {
  auto r = parse_register(token);
  if (!r) {
    return error(fmt::format("invalid register '{}'", token));
  }
  if (*r >= kNumRegisters) {
    return error(fmt::format("invalid register '{}': registers are r0-r10", token));
  }
  return static_cast<uint8_t>(*r);
}

Result<int32_t> Assembler::imm32(std::string_view token) const {
  auto v = parse_int(token);
  if (!v) {
    return error(fmt::format("invalid immediate '{}'", token));
  }
  // Hex spells a bit pattern (0 .. 0xffffffff); decimal a signed 32-bit value.
  const uint64_t limit =
      v->hex ? (v->negative ? 0x80000000ULL : 0xffffffffULL) : (v->negative ? 0x80000000ULL : 0x7fffffffULL);
  if (v->magnitude > limit) {
    return error(fmt::format("immediate {} is out of the 32-bit range", token));
  }
  const uint64_t bits = v->negative ? (0 - v->magnitude) : v->magnitude;
  return static_cast<int32_t>(static_cast<uint32_t>(bits));
}

Result<int16_t> Assembler::offset16(std::string_view token) const {
  auto v = parse_int(token);
  if (!v) {
    return error(fmt::format("invalid offset '{}'", token));
  }
  const uint64_t limit = v->hex ? (v->negative ? 0x8000ULL : 0xffffULL) : (v->negative ? 0x8000ULL : 0x7fffULL);
  if (v->magnitude > limit) {
    return error(fmt::format("offset {} is out of the 16-bit range", token));
  }
  const uint64_t bits = v->negative ? (0 - v->magnitude) : v->magnitude;
  return static_cast<int16_t>(static_cast<uint16_t>(bits));
}

Result<std::pair<uint8_t, int16_t>> Assembler::memory(std::string_view token) const {
  if (!token.starts_with('[') || !token.ends_with(']')) {
    return error(fmt::format("expected a memory operand like [%r1+8], got '{}'", token));
  }
  std::string_view inner = trim(token.substr(1, token.size() - 2));
  const size_t sign = inner.find_first_of("+-");
  auto base = reg(trim(inner.substr(0, sign)));
  if (!base) {
    return base.take_error();
  }
  int16_t off = 0;
  if (sign != std::string_view::npos) {
    std::string spelled(1, inner[sign]);
    spelled += trim(inner.substr(sign + 1));
    auto o = offset16(spelled);
    if (!o) {
      return o.take_error();
    }
    off = *o;
  }
  return std::make_pair(*base, off);
}

Result<int32_t> Assembler::target(std::string_view token, bool in_imm) {
  if (token.starts_with('+') || token.starts_with('-') || (!token.empty() && token[0] >= '0' && token[0] <= '9')) {
    if (in_imm) {
      return imm32(token);
    }
    auto off = offset16(token);
    if (!off) {
      return off.take_error();
    }
    return *off;
  }
  if (!is_identifier(token)) {
    return error(fmt::format("invalid jump target '{}'", token));
  }
  fixups_.push_back(Fixup{out_.size(), std::string(token), line_, in_imm});
  return 0;
}

Status Assembler::encode_form(const OpInfo& info, const std::vector<std::string_view>& ops) {
  Instruction insn{};
  insn.opcode = info.opcode;
  switch (info.disc) {
    case Disc::kOffset:
      insn.offset = static_cast<int16_t>(info.disc_value);
      break;
    case Disc::kImm:
      insn.imm = info.disc_value;
      break;
    case Disc::kSrc:
      insn.src = static_cast<uint8_t>(info.disc_value) & 0xf;
      break;
    case Disc::kNone:
      break;
  }
  const std::string_view mn = info.mnemonic;
  auto set_reg = [&](std::string_view token, bool dst) -> Status {
    auto r = reg(token);
    if (!r) {
      return r.take_error();
    }
    if (dst) {
      insn.dst = *r & 0xf;
    } else {
      insn.src = *r & 0xf;
    }
    return {};
  };
  auto set_imm = [&](std::string_view token) -> Status {
    auto v = imm32(token);
    if (!v) {
      return v.take_error();
    }
    insn.imm = *v;
    return {};
  };
  auto set_mem = [&](std::string_view token, bool base_is_dst) -> Status {
    auto m = memory(token);
    if (!m) {
      return m.take_error();
    }
    if (base_is_dst) {
      insn.dst = m->first & 0xf;
    } else {
      insn.src = m->first & 0xf;
    }
    insn.offset = m->second;
    return {};
  };
  auto set_target = [&](std::string_view token, bool in_imm) -> Status {
    auto t = target(token, in_imm);
    if (!t) {
      return t.take_error();
    }
    if (in_imm) {
      insn.imm = *t;
    } else {
      insn.offset = static_cast<int16_t>(*t);
    }
    return {};
  };
  const size_t arity = [&]() -> size_t {
    switch (info.form) {
      case Form::kAluUnary:
      case Form::kEndian:
      case Form::kLdAbs:
      case Form::kJa:
      case Form::kJa32:
        return 1;
      case Form::kExit:
        return 0;
      case Form::kJmpImm:
      case Form::kJmpReg:
        return 3;
      default:
        return 2;
    }
  }();
  BPFRT_TRY(expect_operands(mn, ops, arity));
  switch (info.form) {
    case Form::kAluImm:
      BPFRT_TRY(set_reg(ops[0], true));
      BPFRT_TRY(set_imm(ops[1]));
      break;
    case Form::kAluReg:
      BPFRT_TRY(set_reg(ops[0], true));
      BPFRT_TRY(set_reg(ops[1], false));
      break;
    case Form::kAluUnary:
    case Form::kEndian:
      BPFRT_TRY(set_reg(ops[0], true));
      break;
    case Form::kLoad:
      BPFRT_TRY(set_reg(ops[0], true));
      BPFRT_TRY(set_mem(ops[1], false));
      break;
    case Form::kStoreImm:
      BPFRT_TRY(set_mem(ops[0], true));
      BPFRT_TRY(set_imm(ops[1]));
      break;
    case Form::kStoreReg:
    case Form::kAtomic:
      BPFRT_TRY(set_mem(ops[0], true));
      BPFRT_TRY(set_reg(ops[1], false));
      break;
    case Form::kLdAbs:
      BPFRT_TRY(set_imm(ops[0]));
      break;
    case Form::kLdInd:
      BPFRT_TRY(set_reg(ops[0], false));
      BPFRT_TRY(set_imm(ops[1]));
      break;
    case Form::kJa:
      BPFRT_TRY(set_target(ops[0], false));
      break;
    case Form::kJa32:
      BPFRT_TRY(set_target(ops[0], true));
      break;
    case Form::kJmpImm:
      BPFRT_TRY(set_reg(ops[0], true));
      BPFRT_TRY(set_imm(ops[1]));
      BPFRT_TRY(set_target(ops[2], false));
      break;
    case Form::kJmpReg:
      BPFRT_TRY(set_reg(ops[0], true));
      BPFRT_TRY(set_reg(ops[1], false));
      BPFRT_TRY(set_target(ops[2], false));
      break;
    case Form::kExit:
      if (!first_exit_) {
        first_exit_ = out_.size();
      }
      break;
    case Form::kLddw:
    case Form::kCallHelper:
    case Form::kCallLocal:
    case Form::kCallKfunc:
    case Form::kCallx:
      return error(fmt::format("internal: {} is encoded elsewhere", mn));
  }
  out_.push_back(insn);
  return {};
}

Status Assembler::encode_lock(const std::vector<std::string_view>& ops) {
  if (ops.size() != 2 || ops[0].empty() || ops[1].empty()) {
    return error("invalid number of operands for lock: expected 'lock [fetch] OP [%rD+OFF], %rS'");
  }
  // ops[0] is "[fetch] op [%rD+OFF]".
  const size_t bracket = ops[0].find('[');
  if (bracket == std::string_view::npos) {
    return error(fmt::format("lock needs a memory operand, got '{}'", ops[0]));
  }
  std::string_view words = trim(ops[0].substr(0, bracket));
  bool fetch = false;
  if (words.starts_with("fetch ")) {
    fetch = true;
    words = trim(words.substr(6));
  }
  std::string op_name = canonical_mnemonic(words);
  const bool always_fetches = op_name.starts_with("xchg") || op_name.starts_with("cmpxchg");
  const std::string mnemonic = fmt::format("lock {}{}", (fetch && !always_fetches) ? "fetch " : "", op_name);
  auto it = mnemonic_index().find(mnemonic);
  if (it == mnemonic_index().end()) {
    return error(fmt::format("invalid atomic operation '{}'", trim(ops[0].substr(0, bracket))));
  }
  return encode_form(*it->second.front(), {trim(ops[0].substr(bracket)), ops[1]});
}

Status Assembler::encode_call(const std::vector<std::string_view>& ops) {
  if (ops.empty() || ops[0].empty()) {
    return error("invalid number of operands for call: expected a helper id, 'local LABEL' or a register");
  }
  // "call N", "call helper N", "call local LABEL", "call kfunc N[, OFF]", "call %rN".
  std::string_view first = ops[0];
  std::string_view kind;
  std::string_view arg = first;
  if (const size_t space = first.find_first_of(" \t"); space != std::string_view::npos) {
    kind = first.substr(0, space);
    arg = trim(first.substr(space));
  }
  Instruction insn{};
  const bool kfunc = kind == "kfunc" || kind == "runtime";
  if (ops.size() > (kfunc ? 2u : 1u)) {
    return error("invalid number of operands for call");
  }
  if (kind.empty() && parse_register(arg)) {
    auto r = reg(arg);
    if (!r) {
      return r.take_error();
    }
    insn.opcode = op_info(Op::kCallx).opcode;
    insn.dst = *r & 0xf;
  } else if (kind.empty() || kind == "helper" || kfunc) {
    auto v = imm32(arg);
    if (!v) {
      return v.take_error();
    }
    insn.opcode = op_info(Op::kCallHelper).opcode;
    insn.imm = *v;
    if (kfunc) {
      insn.src = static_cast<uint8_t>(CallSrc::kKfunc);
      if (ops.size() == 2) {
        auto off = offset16(ops[1]);
        if (!off) {
          return off.take_error();
        }
        insn.offset = *off;
      }
    }
  } else if (kind == "local") {
    insn.opcode = op_info(Op::kCallLocal).opcode;
    insn.src = static_cast<uint8_t>(CallSrc::kLocal);
    auto t = target(arg, true);
    if (!t) {
      return t.take_error();
    }
    insn.imm = *t;
  } else {
    return error(fmt::format("invalid call mode '{}': expected helper, local or kfunc", kind));
  }
  out_.push_back(insn);
  return {};
}

Status Assembler::encode_lddw(const std::vector<std::string_view>& ops) {
  BPFRT_TRY(expect_operands("lddw", ops, 2));
  auto dst = reg(ops[0]);
  if (!dst) {
    return dst.take_error();
  }
  Instruction lo{}, hi{};
  lo.opcode = op_info(Op::kLddwImm64).opcode;
  lo.dst = *dst & 0xf;
  std::string_view value = ops[1];
  const size_t paren = value.find('(');
  if (paren == std::string_view::npos) {
    auto v = parse_int(value);
    if (!v) {
      return error(fmt::format("invalid immediate '{}'", value));
    }
    if (v->negative && v->magnitude > (1ULL << 63)) {
      return error(fmt::format("immediate {} is out of the 64-bit range", value));
    }
    const uint64_t bits = v->negative ? (0 - v->magnitude) : v->magnitude;
    lo.imm = static_cast<int32_t>(static_cast<uint32_t>(bits));
    hi.imm = static_cast<int32_t>(static_cast<uint32_t>(bits >> 32));
    out_.push_back(lo);
    out_.push_back(hi);
    return {};
  }
  // Pseudo sources: map_fd(N), map_value(N, OFF), btf_id(N), func(LABEL), map_idx(N), map_idx_value(N, OFF).
  if (!value.ends_with(')')) {
    return error(fmt::format("invalid lddw operand '{}'", value));
  }
  const auto src = asm_syntax::lddw_src_from_keyword(trim(value.substr(0, paren)));
  if (!src) {
    return error(fmt::format("unknown lddw source '{}'", trim(value.substr(0, paren))));
  }
  lo.src = static_cast<uint8_t>(*src) & 0xf;
  const auto args = split_operands(value.substr(paren + 1, value.size() - paren - 2));
  const bool two_args = *src == LddwSrc::kMapValue || *src == LddwSrc::kMapIdxValue;
  if (args.size() != (two_args ? 2u : 1u)) {
    return error(fmt::format("invalid number of arguments in '{}'", value));
  }
  if (*src == LddwSrc::kFunc) {
    auto t = target(args[0], true);
    if (!t) {
      return t.take_error();
    }
    lo.imm = *t;
  } else {
    auto v = imm32(args[0]);
    if (!v) {
      return v.take_error();
    }
    lo.imm = *v;
  }
  if (two_args) {
    auto v = imm32(args[1]);
    if (!v) {
      return v.take_error();
    }
    hi.imm = *v;
  }
  out_.push_back(lo);
  out_.push_back(hi);
  return {};
}

Status Assembler::encode(const std::string& mnemonic, const std::vector<std::string_view>& ops) {
  if (mnemonic == "lock") {
    return encode_lock(ops);
  }
  if (mnemonic == "call") {
    return encode_call(ops);
  }
  if (mnemonic == "lddw") {
    return encode_lddw(ops);
  }
  auto it = mnemonic_index().find(mnemonic);
  if (it == mnemonic_index().end() || mnemonic.starts_with("lock ")) {
    return error(fmt::format("invalid mnemonic '{}'", mnemonic));
  }
  const std::vector<const OpInfo*>& candidates = it->second;
  if (candidates.size() == 1) {
    return encode_form(*candidates.front(), ops);
  }
  // An imm form and a reg form: the operand after the destination decides.
  const bool reg_form = ops.size() >= 2 && parse_register(ops[1]).has_value();
  for (const OpInfo* info : candidates) {
    const bool is_reg = info->form == Form::kAluReg || info->form == Form::kJmpReg;
    if (is_reg == reg_form) {
      return encode_form(*info, ops);
    }
  }
  return error(fmt::format("invalid operands for {}", mnemonic));
}

Status Assembler::assemble_line(std::string_view line) {
  if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
    line = line.substr(0, hash);
  }
  if (const size_t slashes = line.find("//"); slashes != std::string_view::npos) {
    line = line.substr(0, slashes);
  }
  line = trim(line);
  // Leading labels: "name:".
  while (true) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_identifier(trim(line.substr(0, colon)))) {
      break;
    }
    std::string label(trim(line.substr(0, colon)));
    if (!labels_.emplace(label, out_.size()).second) {
      return error(fmt::format("duplicate label '{}'", label));
    }
    line = trim(line.substr(colon + 1));
  }
  if (line.empty()) {
    return {};
  }
  const size_t space = line.find_first_of(" \t");
  std::string mnemonic(line.substr(0, space));
  std::transform(mnemonic.begin(), mnemonic.end(), mnemonic.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string_view rest = space == std::string_view::npos ? std::string_view{} : line.substr(space);
  return encode(canonical_mnemonic(mnemonic), split_operands(rest));
}

Result<std::vector<Instruction>> Assembler::run(std::string_view text) {
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t eol = std::min(text.find('\n', pos), text.size());
    ++line_;
    BPFRT_TRY(assemble_line(text.substr(pos, eol - pos)));
    pos = eol + 1;
  }
  for (const Fixup& fix : fixups_) {
    auto it = labels_.find(fix.label);
    size_t target = 0;
    if (it != labels_.end()) {
      target = it->second;
    } else if (fix.label == "exit" && first_exit_) {
      target = *first_exit_;  // "exit" names the first exit instruction unless defined as a label
    } else {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("line {}: invalid label '{}'", fix.line, fix.label));
    }
    const int64_t delta = static_cast<int64_t>(target) - static_cast<int64_t>(fix.slot) - 1;
    if (fix.in_imm) {
      out_[fix.slot].imm = static_cast<int32_t>(delta);
    } else if (delta < INT16_MIN || delta > INT16_MAX) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("line {}: label '{}' is too far for a 16-bit jump offset", fix.line, fix.label));
    } else {
      out_[fix.slot].offset = static_cast<int16_t>(delta);
    }
  }
  if (out_.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no instructions");
  }
  return std::move(out_);
}

}  // namespace

Result<std::vector<Instruction>> assemble(std::string_view text) {
  return Assembler().run(text);
}

Result<Program> assemble_program(std::string_view text) {
  auto insns = assemble(text);
  if (!insns) {
    return insns.take_error();
  }
  return Program::from_instructions(std::move(*insns));
}

}  // namespace bpfrt
