// Result<T>: the value-or-error type every fallible bpfrt function returns.
//
// Input errors (bad bytecode, bad assembly, a refused program, an out-of-bounds access at run time)
// are values, not exceptions. An Error carries a human-readable message that names the offending
// instruction, line, section or field, a coarse code that callers (and the differential fuzzers) can
// compare, and the instruction index when one applies. A small std::expected stand-in for C++20.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace bpfrt {

enum class ErrorCode : uint8_t {
  kInvalidArgument,   // malformed input: bytecode, assembly, file formats
  kNotFound,          // a named thing does not exist
  kUnsupported,       // valid but not implemented by this engine or platform
  kRefused,           // the verifier refused the program
  kOutOfBounds,       // run time: memory access outside every permitted region
  kBudgetExhausted,   // run time: the instruction budget ran out
  kCallDepth,         // run time: too many nested local calls
  kBadCall,           // run time: callx to an unknown target
  kHelperFailed,      // run time: a helper reported a fatal error
  kIo,                // file or OS error
  kResourceExhausted  // out of memory, segment full, ...
};

const char* error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;
  // Index of the instruction the error is about, when there is one.
  std::optional<size_t> insn;
};

inline Error make_error(ErrorCode code, std::string message, std::optional<size_t> insn = std::nullopt) {
  return Error{code, std::move(message), insn};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Plain values (r0, counts, addresses): the value beside a pointer to the error, null on success, so
// that a success is two registers' worth of data the compiler keeps out of memory in hot loops
// (Engine::run), where a variant's index would be stored and re-read.
template <class T>
  requires(std::is_trivially_copyable_v<T> && std::is_default_constructible_v<T>)
class [[nodiscard]] Result<T> {
 public:
  Result(T value) : value_(value) {}                                             // NOLINT: implicit by design
  Result(Error error) : error_(std::make_unique<Error>(std::move(error))) {}  // NOLINT: implicit by design
  Result(const Result& other) : value_(other.value_), error_(other.error_ ? std::make_unique<Error>(*other.error_) : nullptr) {}
  Result(Result&&) noexcept = default;
  Result& operator=(const Result& other) {
    if (this != &other) {
      value_ = other.value_;
      error_ = other.error_ ? std::make_unique<Error>(*other.error_) : nullptr;
    }
    return *this;
  }
  Result& operator=(Result&&) noexcept = default;
  ~Result() = default;

  bool ok() const { return error_ == nullptr; }
  explicit operator bool() const { return ok(); }

  T& value() & { return value_; }
  const T& value() const& { return value_; }
  T&& value() && { return std::move(value_); }
  T& operator*() & { return value_; }
  const T& operator*() const& { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

  const Error& error() const { return *error_; }
  Error&& take_error() { return std::move(*error_); }

 private:
  T value_{};
  std::unique_ptr<Error> error_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }
  Error&& take_error() { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace bpfrt

// Propagates the error of a Result-returning expression; otherwise evaluates to nothing.
#define BPFRT_TRY(expr)                      \
  do {                                       \
    auto bpfrt_try_result_ = (expr);         \
    if (!bpfrt_try_result_.ok()) {           \
      return bpfrt_try_result_.take_error(); \
    }                                        \
  } while (0)
