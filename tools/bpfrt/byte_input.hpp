// Bytes typed on the command line (map keys and values, --mem): the forms bpftool users type, read
// stricter than the conformance format's `-- mem` (isa/test_vector.hpp) only where it helps them.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "bpfrt/result.hpp"

namespace bpfrt::cli {

// Whitespace-separated tokens, each one byte of one or two hex digits with an optional 0x ("1 0 0 0",
// "de ad be ef", "0x01 0x00"), or a run of hex digit pairs ("01000000", "0100 0000"). An empty text is
// no bytes. Errors name `what` and the offending token.
[[nodiscard]] Result<std::vector<uint8_t>> parse_byte_input(std::string_view text, std::string_view what);

}  // namespace bpfrt::cli
