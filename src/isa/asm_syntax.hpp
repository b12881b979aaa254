// Lexical pieces of the assembly syntax shared by the assembler and the disassembler: register and
// number spelling, memory operands, and the lddw pseudo-source keywords.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bpfrt/isa.hpp"

namespace bpfrt::asm_syntax {

// "%r3" or "r3" -> 3; registers above r10 are rejected by the caller with the spelling it saw.
std::optional<int> parse_register(std::string_view token);

// A signed or unsigned integer in decimal or 0x-hex, with an optional leading '+' or '-'.
// Returns false on syntax errors or values that do not fit in 64 bits.
struct ParsedInt {
  bool negative = false;
  bool hex = false;
  uint64_t magnitude = 0;
};
std::optional<ParsedInt> parse_int(std::string_view token);

// Keyword of an lddw pseudo source in `lddw %r1, map_fd(3)`; empty for the plain 64-bit immediate.
std::string_view lddw_keyword(LddwSrc src);
std::optional<LddwSrc> lddw_src_from_keyword(std::string_view keyword);

std::string format_register(int reg);
std::string format_offset(int64_t offset);  // "+8", "-8", "+0"

}  // namespace bpfrt::asm_syntax
