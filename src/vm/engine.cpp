// Engine base: option checks, registered memory regions, and the factory over engine kinds.
#include "bpfrt/engine.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "vm/interpreter.hpp"
#include "vm/jit_factory.hpp"

namespace bpfrt {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid-argument";
    case ErrorCode::kNotFound:
      return "not-found";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kRefused:
      return "refused";
    case ErrorCode::kOutOfBounds:
      return "out-of-bounds";
    case ErrorCode::kBudgetExhausted:
      return "budget-exhausted";
    case ErrorCode::kCallDepth:
      return "call-depth";
    case ErrorCode::kBadCall:
      return "bad-call";
    case ErrorCode::kHelperFailed:
      return "helper-failed";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kResourceExhausted:
      return "resource-exhausted";
  }
  return "unknown";
}

const char* engine_kind_name(EngineKind kind) {
  return kind == EngineKind::kJit ? "jit" : "interp";
}

Result<EngineKind> parse_engine_kind(std::string_view name) {
  if (name == "interp" || name == "interpreter") {
    return EngineKind::kInterpreter;
  }
  if (name == "jit") {
    return EngineKind::kJit;
  }
  return make_error(ErrorCode::kInvalidArgument, fmt::format("unknown engine '{}' (expected interp or jit)", name));
}

Engine::Engine(Program program, EngineOptions options) : program_(std::move(program)), options_(std::move(options)) {
  std::sort(options_.regions.begin(), options_.regions.end(),
            [](const MemoryRegion& a, const MemoryRegion& b) { return a.start < b.start; });
}

bool Engine::in_registered_region(uint64_t addr, uint64_t len, bool write) const {
  const auto& regions = options_.regions;
  // The last region starting at or below addr is the only candidate if regions do not overlap; scan
  // back a little in case they do.
  auto it = std::upper_bound(regions.begin(), regions.end(), addr,
                             [](uint64_t a, const MemoryRegion& r) { return a < r.start; });
  while (it != regions.begin()) {
    --it;
    const uint64_t d = addr - it->start;
    if (d < it->size && len <= it->size - d && (!write || it->writable)) {
      return true;
    }
    if (addr - it->start > (uint64_t{1} << 40)) {
      break;
    }
  }
  return RunRegionScope::contains(addr, len, write) ||
         (options_.dynamic_regions != nullptr &&
          options_.dynamic_regions(options_.dynamic_regions_data, addr, len, write));
}

namespace {
thread_local std::span<const MemoryRegion> t_run_regions;
}  // namespace

RunRegionScope::RunRegionScope(std::span<const MemoryRegion> regions) : previous_(t_run_regions) {
  t_run_regions = regions;
}

RunRegionScope::~RunRegionScope() {
  t_run_regions = previous_;
}

bool RunRegionScope::contains(uint64_t addr, uint64_t len, bool write) {
  for (const MemoryRegion& r : t_run_regions) {
    const uint64_t d = addr - r.start;
    if (d < r.size && len <= r.size - d && (!write || r.writable)) {
      return true;
    }
  }
  return false;
}

Error Engine::context_too_small(size_t ctx_len) const {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("the context is {} bytes but the verified program reads {} bytes of it", ctx_len,
                                options_.min_ctx_size));
}

Result<uint64_t> Engine::run(const RunArgs& args) const {
  const size_t ctx_len = args.ctx == nullptr ? 0 : args.ctx_len;
  if (ctx_len < options_.min_ctx_size) [[unlikely]] {
    return context_too_small(ctx_len);
  }
  RunContext rc;
  rc.ctx = args.ctx;
  rc.ctx_len = args.ctx == nullptr ? 0 : args.ctx_len;
  rc.user = args.user;
  const Engine* current = this;
  while (true) {
    rc.engine = current;
    rc.ctx_writable = current->options_.ctx_writable;
    rc.stop_requested = false;
    rc.tail_call_target = nullptr;
    auto result = current->execute(args, rc);
    if (!result || rc.tail_call_target == nullptr) {
      if (rc.on_run_end != nullptr) {
        rc.on_run_end(rc);
      }
      return result;
    }
    current = rc.tail_call_target;
    ++rc.tail_calls_done;
  }
}

namespace {
thread_local Error t_event_error;
}  // namespace

void Engine::store_event_error(Error error) {
  t_event_error = std::move(error);
}

Error Engine::take_event_error() {
  return std::move(t_event_error);
}

Engine::RunOutcome Engine::run_event_slow(void* ctx, size_t ctx_len) const {
  auto r = run(RunArgs{ctx, ctx_len});
  if (r) {
    return {*r, 0};
  }
  store_event_error(r.take_error());
  return {0, 1};
}

bool RunContext::accessible(uint64_t addr, uint64_t len, bool write) const {
  auto inside = [&](uint64_t lo, uint64_t size) {
    const uint64_t d = addr - lo;
    return d < size && len <= size - d;
  };
  if (len == 0) {
    return true;
  }
  if (inside(stack_lo, stack_hi - stack_lo)) {
    return true;
  }
  if (ctx != nullptr && (!write || ctx_writable) && inside(reinterpret_cast<uint64_t>(ctx), ctx_len)) {
    return true;
  }
  return engine != nullptr && engine->in_registered_region(addr, len, write);
}

Result<std::unique_ptr<Engine>> create_engine(EngineKind kind, Program program, EngineOptions options) {
  if (options.stack_size == 0 || options.stack_size % 8 != 0 || options.stack_size > (1u << 20)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("stack size {} must be a non-zero multiple of 8 up to 1 MiB", options.stack_size));
  }
  if (kind == EngineKind::kJit) {
    return create_jit_engine(std::move(program), std::move(options));
  }
  auto interp = Interpreter::create(std::move(program), std::move(options));
  if (!interp) {
    return interp.take_error();
  }
  return std::unique_ptr<Engine>(std::move(*interp));
}

}  // namespace bpfrt
