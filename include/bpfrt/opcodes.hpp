// The eBPF instruction set (RFC 9669 plus callx and the legacy packet loads): the wire format of one
// instruction slot, and the table of every operation bpfrt knows.
//
// Every distinct operation has one Op. An Op is identified by its opcode byte plus, for opcodes that
// carry several operations, a discriminating field: the offset (sdiv/smod = 1, movsx = 8/16/32), the
// immediate (endianness width, atomic operation) or the source register (lddw pseudo sources, call
// kinds). Adding an instruction is one row in BPFRT_OPCODES; the decoder, the assembler, the
// disassembler and the engines all read this table. Thread-safety: everything here is immutable.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace bpfrt {

// One 8-byte instruction slot, little-endian, exactly as in the ELF .text of a BPF object.
struct Instruction {
  uint8_t opcode = 0;
  uint8_t dst : 4 = 0;
  uint8_t src : 4 = 0;
  int16_t offset = 0;
  int32_t imm = 0;

  friend bool operator==(const Instruction&, const Instruction&) = default;
};
static_assert(sizeof(Instruction) == 8, "an instruction slot is 8 bytes");

inline constexpr int kNumRegisters = 11;  // r0..r10
inline constexpr int kFramePointer = 10;  // r10, read-only

// Instruction classes and opcode fields (RFC 9669 section 3).
namespace op {
inline constexpr uint8_t kClsLd = 0x00, kClsLdx = 0x01, kClsSt = 0x02, kClsStx = 0x03, kClsAlu = 0x04, kClsJmp = 0x05,
                         kClsJmp32 = 0x06, kClsAlu64 = 0x07;
inline constexpr uint8_t kSrcReg = 0x08;
inline constexpr uint8_t kAtomicFetch = 0x01;
inline constexpr uint8_t cls(uint8_t opcode) {
  return opcode & 0x07;
}
}  // namespace op

// Which field, besides the opcode, tells operations apart.
enum class Disc : uint8_t { kNone, kOffset, kImm, kSrc };

// The operand shape: which fields an operation uses (all others must be zero) and its assembly syntax.
enum class Form : uint8_t {
  kAluImm,      // op dst, imm
  kAluReg,      // op dst, src
  kAluUnary,    // neg dst
  kEndian,      // le16 dst (the width is the immediate)
  kLoad,        // ldxw dst, [src+off]
  kStoreImm,    // stw [dst+off], imm
  kStoreReg,    // stxw [dst+off], src
  kAtomic,      // lock [fetch] op [dst+off], src
  kLddw,        // lddw dst, imm64 (two slots); pseudo sources name maps, BTF ids or functions
  kLdAbs,       // ldabsw imm        (legacy packet load)
  kLdInd,       // ldindw src, imm   (legacy packet load)
  kJa,          // ja +off
  kJa32,        // ja32 +imm
  kJmpImm,      // jeq dst, imm, +off
  kJmpReg,      // jeq dst, src, +off
  kCallHelper,  // call imm
  kCallLocal,   // call local +imm
  kCallKfunc,   // call kfunc imm
  kCallx,       // call %rN
  kExit,        // exit
};

// X(Id, opcode, discriminating field, its value, mnemonic, form, ISA version)
// clang-format off
#define BPFRT_OPCODES(X) \
  X(kAdd64Imm,         0x07, kOffset,   0, "add",                 kAluImm,     1) \
  X(kAdd64Reg,         0x0f, kOffset,   0, "add",                 kAluReg,     1) \
  X(kSub64Imm,         0x17, kOffset,   0, "sub",                 kAluImm,     1) \
  X(kSub64Reg,         0x1f, kOffset,   0, "sub",                 kAluReg,     1) \
  X(kMul64Imm,         0x27, kOffset,   0, "mul",                 kAluImm,     1) \
  X(kMul64Reg,         0x2f, kOffset,   0, "mul",                 kAluReg,     1) \
  X(kDiv64Imm,         0x37, kOffset,   0, "div",                 kAluImm,     1) \
  X(kDiv64Reg,         0x3f, kOffset,   0, "div",                 kAluReg,     1) \
  X(kSdiv64Imm,        0x37, kOffset,   1, "sdiv",                kAluImm,     4) \
  X(kSdiv64Reg,        0x3f, kOffset,   1, "sdiv",                kAluReg,     4) \
  X(kOr64Imm,          0x47, kOffset,   0, "or",                  kAluImm,     1) \
  X(kOr64Reg,          0x4f, kOffset,   0, "or",                  kAluReg,     1) \
  X(kAnd64Imm,         0x57, kOffset,   0, "and",                 kAluImm,     1) \
  X(kAnd64Reg,         0x5f, kOffset,   0, "and",                 kAluReg,     1) \
  X(kLsh64Imm,         0x67, kOffset,   0, "lsh",                 kAluImm,     1) \
  X(kLsh64Reg,         0x6f, kOffset,   0, "lsh",                 kAluReg,     1) \
  X(kRsh64Imm,         0x77, kOffset,   0, "rsh",                 kAluImm,     1) \
  X(kRsh64Reg,         0x7f, kOffset,   0, "rsh",                 kAluReg,     1) \
  X(kMod64Imm,         0x97, kOffset,   0, "mod",                 kAluImm,     1) \
  X(kMod64Reg,         0x9f, kOffset,   0, "mod",                 kAluReg,     1) \
  X(kSmod64Imm,        0x97, kOffset,   1, "smod",                kAluImm,     4) \
  X(kSmod64Reg,        0x9f, kOffset,   1, "smod",                kAluReg,     4) \
  X(kXor64Imm,         0xa7, kOffset,   0, "xor",                 kAluImm,     1) \
  X(kXor64Reg,         0xaf, kOffset,   0, "xor",                 kAluReg,     1) \
  X(kMov64Imm,         0xb7, kOffset,   0, "mov",                 kAluImm,     1) \
  X(kMov64Reg,         0xbf, kOffset,   0, "mov",                 kAluReg,     1) \
  X(kArsh64Imm,        0xc7, kOffset,   0, "arsh",                kAluImm,     1) \
  X(kArsh64Reg,        0xcf, kOffset,   0, "arsh",                kAluReg,     1) \
  X(kNeg64,            0x87, kOffset,   0, "neg",                 kAluUnary,   1) \
  X(kMovsx8To64,       0xbf, kOffset,   8, "movsx864",            kAluReg,     4) \
  X(kMovsx16To64,      0xbf, kOffset,  16, "movsx1664",           kAluReg,     4) \
  X(kMovsx32To64,      0xbf, kOffset,  32, "movsx3264",           kAluReg,     4) \
  X(kAdd32Imm,         0x04, kOffset,   0, "add32",               kAluImm,     1) \
  X(kAdd32Reg,         0x0c, kOffset,   0, "add32",               kAluReg,     1) \
  X(kSub32Imm,         0x14, kOffset,   0, "sub32",               kAluImm,     1) \
  X(kSub32Reg,         0x1c, kOffset,   0, "sub32",               kAluReg,     1) \
  X(kMul32Imm,         0x24, kOffset,   0, "mul32",               kAluImm,     1) \
  X(kMul32Reg,         0x2c, kOffset,   0, "mul32",               kAluReg,     1) \
  X(kDiv32Imm,         0x34, kOffset,   0, "div32",               kAluImm,     1) \
  X(kDiv32Reg,         0x3c, kOffset,   0, "div32",               kAluReg,     1) \
  X(kSdiv32Imm,        0x34, kOffset,   1, "sdiv32",              kAluImm,     4) \
  X(kSdiv32Reg,        0x3c, kOffset,   1, "sdiv32",              kAluReg,     4) \
  X(kOr32Imm,          0x44, kOffset,   0, "or32",                kAluImm,     1) \
  X(kOr32Reg,          0x4c, kOffset,   0, "or32",                kAluReg,     1) \
  X(kAnd32Imm,         0x54, kOffset,   0, "and32",               kAluImm,     1) \
  X(kAnd32Reg,         0x5c, kOffset,   0, "and32",               kAluReg,     1) \
  X(kLsh32Imm,         0x64, kOffset,   0, "lsh32",               kAluImm,     1) \
  X(kLsh32Reg,         0x6c, kOffset,   0, "lsh32",               kAluReg,     1) \
  X(kRsh32Imm,         0x74, kOffset,   0, "rsh32",               kAluImm,     1) \
  X(kRsh32Reg,         0x7c, kOffset,   0, "rsh32",               kAluReg,     1) \
  X(kMod32Imm,         0x94, kOffset,   0, "mod32",               kAluImm,     1) \
  X(kMod32Reg,         0x9c, kOffset,   0, "mod32",               kAluReg,     1) \
  X(kSmod32Imm,        0x94, kOffset,   1, "smod32",              kAluImm,     4) \
  X(kSmod32Reg,        0x9c, kOffset,   1, "smod32",              kAluReg,     4) \
  X(kXor32Imm,         0xa4, kOffset,   0, "xor32",               kAluImm,     1) \
  X(kXor32Reg,         0xac, kOffset,   0, "xor32",               kAluReg,     1) \
  X(kMov32Imm,         0xb4, kOffset,   0, "mov32",               kAluImm,     1) \
  X(kMov32Reg,         0xbc, kOffset,   0, "mov32",               kAluReg,     1) \
  X(kArsh32Imm,        0xc4, kOffset,   0, "arsh32",              kAluImm,     1) \
  X(kArsh32Reg,        0xcc, kOffset,   0, "arsh32",              kAluReg,     1) \
  X(kNeg32,            0x84, kOffset,   0, "neg32",               kAluUnary,   1) \
  X(kMovsx8To32,       0xbc, kOffset,   8, "movsx832",            kAluReg,     4) \
  X(kMovsx16To32,      0xbc, kOffset,  16, "movsx1632",           kAluReg,     4) \
  X(kLe16,             0xd4, kImm,     16, "le16",                kEndian,     1) \
  X(kLe32,             0xd4, kImm,     32, "le32",                kEndian,     1) \
  X(kLe64,             0xd4, kImm,     64, "le64",                kEndian,     1) \
  X(kBe16,             0xdc, kImm,     16, "be16",                kEndian,     1) \
  X(kBe32,             0xdc, kImm,     32, "be32",                kEndian,     1) \
  X(kBe64,             0xdc, kImm,     64, "be64",                kEndian,     1) \
  X(kBswap16,          0xd7, kImm,     16, "bswap16",             kEndian,     4) \
  X(kBswap32,          0xd7, kImm,     32, "bswap32",             kEndian,     4) \
  X(kBswap64,          0xd7, kImm,     64, "bswap64",             kEndian,     4) \
  X(kLdxB,             0x71, kNone,     0, "ldxb",                kLoad,       1) \
  X(kLdxH,             0x69, kNone,     0, "ldxh",                kLoad,       1) \
  X(kLdxW,             0x61, kNone,     0, "ldxw",                kLoad,       1) \
  X(kLdxDw,            0x79, kNone,     0, "ldxdw",               kLoad,       1) \
  X(kLdxsB,            0x91, kNone,     0, "ldxsb",               kLoad,       4) \
  X(kLdxsH,            0x89, kNone,     0, "ldxsh",               kLoad,       4) \
  X(kLdxsW,            0x81, kNone,     0, "ldxsw",               kLoad,       4) \
  X(kStB,              0x72, kNone,     0, "stb",                 kStoreImm,   1) \
  X(kStH,              0x6a, kNone,     0, "sth",                 kStoreImm,   1) \
  X(kStW,              0x62, kNone,     0, "stw",                 kStoreImm,   1) \
  X(kStDw,             0x7a, kNone,     0, "stdw",                kStoreImm,   1) \
  X(kStxB,             0x73, kNone,     0, "stxb",                kStoreReg,   1) \
  X(kStxH,             0x6b, kNone,     0, "stxh",                kStoreReg,   1) \
  X(kStxW,             0x63, kNone,     0, "stxw",                kStoreReg,   1) \
  X(kStxDw,            0x7b, kNone,     0, "stxdw",               kStoreReg,   1) \
  X(kAtomicAdd64,      0xdb, kImm,      0, "lock add",            kAtomic,     1) \
  X(kAtomicFetchAdd64, 0xdb, kImm,      1, "lock fetch add",      kAtomic,     3) \
  X(kAtomicOr64,       0xdb, kImm,     64, "lock or",             kAtomic,     3) \
  X(kAtomicFetchOr64,  0xdb, kImm,     65, "lock fetch or",       kAtomic,     3) \
  X(kAtomicAnd64,      0xdb, kImm,     80, "lock and",            kAtomic,     3) \
  X(kAtomicFetchAnd64, 0xdb, kImm,     81, "lock fetch and",      kAtomic,     3) \
  X(kAtomicXor64,      0xdb, kImm,    160, "lock xor",            kAtomic,     3) \
  X(kAtomicFetchXor64, 0xdb, kImm,    161, "lock fetch xor",      kAtomic,     3) \
  X(kAtomicXchg64,     0xdb, kImm,    225, "lock xchg",           kAtomic,     3) \
  X(kAtomicCmpxchg64,  0xdb, kImm,    241, "lock cmpxchg",        kAtomic,     3) \
  X(kAtomicAdd32,      0xc3, kImm,      0, "lock add32",          kAtomic,     1) \
  X(kAtomicFetchAdd32, 0xc3, kImm,      1, "lock fetch add32",    kAtomic,     3) \
  X(kAtomicOr32,       0xc3, kImm,     64, "lock or32",           kAtomic,     3) \
  X(kAtomicFetchOr32,  0xc3, kImm,     65, "lock fetch or32",     kAtomic,     3) \
  X(kAtomicAnd32,      0xc3, kImm,     80, "lock and32",          kAtomic,     3) \
  X(kAtomicFetchAnd32, 0xc3, kImm,     81, "lock fetch and32",    kAtomic,     3) \
  X(kAtomicXor32,      0xc3, kImm,    160, "lock xor32",          kAtomic,     3) \
  X(kAtomicFetchXor32, 0xc3, kImm,    161, "lock fetch xor32",    kAtomic,     3) \
  X(kAtomicXchg32,     0xc3, kImm,    225, "lock xchg32",         kAtomic,     3) \
  X(kAtomicCmpxchg32,  0xc3, kImm,    241, "lock cmpxchg32",      kAtomic,     3) \
  X(kLddwImm64,        0x18, kSrc,      0, "lddw",                kLddw,       1) \
  X(kLddwMapFd,        0x18, kSrc,      1, "lddw",                kLddw,       1) \
  X(kLddwMapValue,     0x18, kSrc,      2, "lddw",                kLddw,       1) \
  X(kLddwBtfId,        0x18, kSrc,      3, "lddw",                kLddw,       1) \
  X(kLddwFunc,         0x18, kSrc,      4, "lddw",                kLddw,       1) \
  X(kLddwMapIdx,       0x18, kSrc,      5, "lddw",                kLddw,       1) \
  X(kLddwMapIdxValue,  0x18, kSrc,      6, "lddw",                kLddw,       1) \
  X(kLdAbsB,           0x30, kNone,     0, "ldabsb",              kLdAbs,      1) \
  X(kLdAbsH,           0x28, kNone,     0, "ldabsh",              kLdAbs,      1) \
  X(kLdAbsW,           0x20, kNone,     0, "ldabsw",              kLdAbs,      1) \
  X(kLdIndB,           0x50, kNone,     0, "ldindb",              kLdInd,      1) \
  X(kLdIndH,           0x48, kNone,     0, "ldindh",              kLdInd,      1) \
  X(kLdIndW,           0x40, kNone,     0, "ldindw",              kLdInd,      1) \
  X(kJa,               0x05, kNone,     0, "ja",                  kJa,         1) \
  X(kJa32,             0x06, kNone,     0, "ja32",                kJa32,       4) \
  X(kJeq64Imm,         0x15, kNone,     0, "jeq",                 kJmpImm,     1) \
  X(kJeq64Reg,         0x1d, kNone,     0, "jeq",                 kJmpReg,     1) \
  X(kJgt64Imm,         0x25, kNone,     0, "jgt",                 kJmpImm,     1) \
  X(kJgt64Reg,         0x2d, kNone,     0, "jgt",                 kJmpReg,     1) \
  X(kJge64Imm,         0x35, kNone,     0, "jge",                 kJmpImm,     1) \
  X(kJge64Reg,         0x3d, kNone,     0, "jge",                 kJmpReg,     1) \
  X(kJset64Imm,        0x45, kNone,     0, "jset",                kJmpImm,     1) \
  X(kJset64Reg,        0x4d, kNone,     0, "jset",                kJmpReg,     1) \
  X(kJne64Imm,         0x55, kNone,     0, "jne",                 kJmpImm,     1) \
  X(kJne64Reg,         0x5d, kNone,     0, "jne",                 kJmpReg,     1) \
  X(kJsgt64Imm,        0x65, kNone,     0, "jsgt",                kJmpImm,     1) \
  X(kJsgt64Reg,        0x6d, kNone,     0, "jsgt",                kJmpReg,     1) \
  X(kJsge64Imm,        0x75, kNone,     0, "jsge",                kJmpImm,     1) \
  X(kJsge64Reg,        0x7d, kNone,     0, "jsge",                kJmpReg,     1) \
  X(kJlt64Imm,         0xa5, kNone,     0, "jlt",                 kJmpImm,     2) \
  X(kJlt64Reg,         0xad, kNone,     0, "jlt",                 kJmpReg,     2) \
  X(kJle64Imm,         0xb5, kNone,     0, "jle",                 kJmpImm,     2) \
  X(kJle64Reg,         0xbd, kNone,     0, "jle",                 kJmpReg,     2) \
  X(kJslt64Imm,        0xc5, kNone,     0, "jslt",                kJmpImm,     2) \
  X(kJslt64Reg,        0xcd, kNone,     0, "jslt",                kJmpReg,     2) \
  X(kJsle64Imm,        0xd5, kNone,     0, "jsle",                kJmpImm,     2) \
  X(kJsle64Reg,        0xdd, kNone,     0, "jsle",                kJmpReg,     2) \
  X(kJeq32Imm,         0x16, kNone,     0, "jeq32",               kJmpImm,     3) \
  X(kJeq32Reg,         0x1e, kNone,     0, "jeq32",               kJmpReg,     3) \
  X(kJgt32Imm,         0x26, kNone,     0, "jgt32",               kJmpImm,     3) \
  X(kJgt32Reg,         0x2e, kNone,     0, "jgt32",               kJmpReg,     3) \
  X(kJge32Imm,         0x36, kNone,     0, "jge32",               kJmpImm,     3) \
  X(kJge32Reg,         0x3e, kNone,     0, "jge32",               kJmpReg,     3) \
  X(kJset32Imm,        0x46, kNone,     0, "jset32",              kJmpImm,     3) \
  X(kJset32Reg,        0x4e, kNone,     0, "jset32",              kJmpReg,     3) \
  X(kJne32Imm,         0x56, kNone,     0, "jne32",               kJmpImm,     3) \
  X(kJne32Reg,         0x5e, kNone,     0, "jne32",               kJmpReg,     3) \
  X(kJsgt32Imm,        0x66, kNone,     0, "jsgt32",              kJmpImm,     3) \
  X(kJsgt32Reg,        0x6e, kNone,     0, "jsgt32",              kJmpReg,     3) \
  X(kJsge32Imm,        0x76, kNone,     0, "jsge32",              kJmpImm,     3) \
  X(kJsge32Reg,        0x7e, kNone,     0, "jsge32",              kJmpReg,     3) \
  X(kJlt32Imm,         0xa6, kNone,     0, "jlt32",               kJmpImm,     3) \
  X(kJlt32Reg,         0xae, kNone,     0, "jlt32",               kJmpReg,     3) \
  X(kJle32Imm,         0xb6, kNone,     0, "jle32",               kJmpImm,     3) \
  X(kJle32Reg,         0xbe, kNone,     0, "jle32",               kJmpReg,     3) \
  X(kJslt32Imm,        0xc6, kNone,     0, "jslt32",              kJmpImm,     3) \
  X(kJslt32Reg,        0xce, kNone,     0, "jslt32",              kJmpReg,     3) \
  X(kJsle32Imm,        0xd6, kNone,     0, "jsle32",              kJmpImm,     3) \
  X(kJsle32Reg,        0xde, kNone,     0, "jsle32",              kJmpReg,     3) \
  X(kCallHelper,       0x85, kSrc,      0, "call",                kCallHelper, 1) \
  X(kCallLocal,        0x85, kSrc,      1, "call",                kCallLocal,  3) \
  X(kCallKfunc,        0x85, kSrc,      2, "call",                kCallKfunc,  3) \
  X(kCallx,            0x8d, kNone,     0, "call",                kCallx,      4) \
  X(kExit,             0x95, kNone,     0, "exit",                kExit,       1)
// clang-format on

enum class Op : uint8_t {
#define BPFRT_OP_ENUM(id, opcode, disc, value, mnemonic, form, version) id,
  BPFRT_OPCODES(BPFRT_OP_ENUM)
#undef BPFRT_OP_ENUM
      kCount
};

inline constexpr int kNumOps = static_cast<int>(Op::kCount);

struct OpInfo {
  Op id;
  uint8_t opcode;
  Disc disc;
  int32_t disc_value;
  std::string_view mnemonic;
  Form form;
  uint8_t version;  // ISA version that introduced it (1-4)
};

// The table row of an operation.
const OpInfo& op_info(Op op);

// The operation an instruction slot encodes, or nullptr if none (unknown opcode or discriminator).
const OpInfo* find_op(const Instruction& insn);

// True if some operation uses this opcode byte.
bool opcode_exists(uint8_t opcode);

// The operations sharing an opcode byte, in table order (empty for unknown opcodes).
std::vector<const OpInfo*> ops_with_opcode(uint8_t opcode);

// Access width in bytes of a load, store, atomic or legacy packet load; 0 for other operations.
int access_size(const OpInfo& info);

// True for operations on the low 32 bits whose result is zero-extended (ALU and JMP32 classes).
inline bool is_alu32(const OpInfo& info) {
  return op::cls(info.opcode) == op::kClsAlu;
}

// Pseudo source values of lddw (RFC 9669 section 5.4).
enum class LddwSrc : uint8_t {
  kImm64 = 0,
  kMapFd = 1,
  kMapValue = 2,
  kBtfId = 3,
  kFunc = 4,
  kMapIdx = 5,
  kMapIdxValue = 6,
};

// Call kinds carried in the source register of `call` (RFC 9669 section 4.3.1).
enum class CallSrc : uint8_t { kHelper = 0, kLocal = 1, kKfunc = 2 };

}  // namespace bpfrt
