#include "vm/jit/jit_unwind.hpp"

#include <cstring>
#include <utility>

// libgcc's registration of run-time generated .eh_frame data (unwind-dw2-fde.h): `begin` is the
// first CIE of a sequence ended by a zero length word.
extern "C" void __register_frame(void* begin);
extern "C" void __deregister_frame(void* begin);

namespace bpfrt {
namespace {

// DWARF call-frame instructions (DWARF 4, section 6.4.2).
constexpr uint8_t kCfaNop = 0x00;
constexpr uint8_t kCfaAdvanceLoc = 0x40;  // | delta (6 bits)
constexpr uint8_t kCfaAdvanceLoc1 = 0x02;
constexpr uint8_t kCfaAdvanceLoc2 = 0x03;
constexpr uint8_t kCfaAdvanceLoc4 = 0x04;
constexpr uint8_t kCfaOffset = 0x80;  // | register, then the factored offset
constexpr uint8_t kCfaDefCfa = 0x0c;
constexpr uint8_t kCfaDefCfaOffset = 0x0e;
constexpr int kDataAlign = -8;

class Writer {
 public:
  void u8(uint8_t v) { out.push_back(v); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void uleb(uint64_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      u8(v != 0 ? (b | 0x80) : b);
    } while (v != 0);
  }
  void sleb(int64_t v) {
    while (true) {
      const uint8_t b = v & 0x7f;
      v >>= 7;
      if ((v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0)) {
        u8(b);
        return;
      }
      u8(b | 0x80);
    }
  }
  void raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
  // Starts a length-prefixed entry; finish() pads it with nops to 8 bytes and fills the length.
  size_t start() {
    const size_t at = out.size();
    u32(0);
    return at;
  }
  void finish(size_t at) {
    while ((out.size() - at) % 8 != 0) {
      u8(kCfaNop);
    }
    const auto length = static_cast<uint32_t>(out.size() - at - 4);
    std::memcpy(out.data() + at, &length, 4);
  }
  void advance(uint32_t& loc, uint32_t to) {
    const uint32_t delta = to - loc;
    loc = to;
    if (delta == 0) {
      return;
    }
    if (delta < 0x40) {
      u8(static_cast<uint8_t>(kCfaAdvanceLoc | delta));
    } else if (delta <= 0xff) {
      u8(kCfaAdvanceLoc1);
      u8(static_cast<uint8_t>(delta));
    } else if (delta <= 0xffff) {
      u8(kCfaAdvanceLoc2);
      const auto d = static_cast<uint16_t>(delta);
      raw(&d, 2);
    } else {
      u8(kCfaAdvanceLoc4);
      u32(delta);
    }
  }

  std::vector<uint8_t> out;
};

}  // namespace

std::vector<uint8_t> build_eh_frame(const uint8_t* code, const std::vector<JitFrameLayout>& frames) {
  Writer w;
  // CIE: augmentation "zR" with absolute FDE addresses; on entry CFA = rsp + 8, return address at CFA - 8.
  const size_t cie = w.start();
  w.u32(0);  // CIE id
  w.u8(1);   // version
  w.raw("zR", 3);
  w.uleb(1);  // code alignment
  w.sleb(kDataAlign);
  w.u8(dwarf_reg::kRa);
  w.uleb(1);   // augmentation data: the FDE pointer encoding
  w.u8(0x00);  // DW_EH_PE_absptr
  w.u8(kCfaDefCfa);
  w.uleb(dwarf_reg::kRsp);
  w.uleb(8);
  w.u8(kCfaOffset | dwarf_reg::kRa);
  w.uleb(1);
  w.finish(cie);

  for (const JitFrameLayout& f : frames) {
    const size_t fde = w.start();
    w.u32(static_cast<uint32_t>(w.out.size() - cie));  // back to the CIE
    w.u64(reinterpret_cast<uint64_t>(code + f.begin));
    w.u64(f.end - f.begin);
    w.uleb(0);  // no augmentation data
    uint32_t loc = f.begin;
    uint32_t cfa = 8;
    for (size_t i = 0; i < f.pushes.size(); ++i) {
      w.advance(loc, f.pushes[i].after);
      cfa += 8;
      w.u8(kCfaDefCfaOffset);
      w.uleb(cfa);
      w.u8(static_cast<uint8_t>(kCfaOffset | f.pushes[i].dwarf_reg));
      w.uleb(cfa / 8);  // saved at CFA - cfa, factored by -8
    }
    w.advance(loc, f.after_reserve);
    cfa += f.reserve;
    w.u8(kCfaDefCfaOffset);
    w.uleb(cfa);
    if (f.after_r12 == 0) {
      w.finish(fde);  // a lean frame: rsp stays put until the epilogue
      continue;
    }
    // From here on r12 is the frame's bottom, whatever rsp does below it.
    w.advance(loc, f.after_r12);
    w.u8(kCfaDefCfa);
    w.uleb(dwarf_reg::kR12);
    w.uleb(cfa);
    w.finish(fde);
  }
  w.u32(0);  // terminator
  return std::move(w.out);
}

JitUnwindInfo::JitUnwindInfo(const uint8_t* code, const std::vector<JitFrameLayout>& frames)
    : eh_frame_(build_eh_frame(code, frames)) {
  __register_frame(eh_frame_.data());
  registered_ = true;
}

JitUnwindInfo::JitUnwindInfo(JitUnwindInfo&& other) noexcept
    : eh_frame_(std::move(other.eh_frame_)), registered_(std::exchange(other.registered_, false)) {}

JitUnwindInfo& JitUnwindInfo::operator=(JitUnwindInfo&& other) noexcept {
  if (this != &other) {
    release();
    eh_frame_ = std::move(other.eh_frame_);
    registered_ = std::exchange(other.registered_, false);
  }
  return *this;
}

JitUnwindInfo::~JitUnwindInfo() {
  release();
}

void JitUnwindInfo::release() {
  if (registered_) {
    __deregister_frame(eh_frame_.data());
    registered_ = false;
  }
}

}  // namespace bpfrt
