// `bpfrt load OBJ.o --target shared`: the object loaded into the kernel AND into a named registry whose
// map records name the kernel's maps, so other processes (bpfrt map dump, bpfrt programs of the
// registry) work on the kernel maps. Kernel maps live only while an fd or a pin holds them: by default
// they are pinned on bpffs (records name the pins; `bpfrt unload` removes both), and with --hold this
// process keeps them until SIGINT/SIGTERM/SIGHUP, then removes its records.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>

#include <fmt/format.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "bpfrt/kernel_object.hpp"
#include "bpfrt/object_loader.hpp"

#include "commands.hpp"
#include "object_cli.hpp"
#include "registry_cli.hpp"

namespace bpfrt::cli {
namespace {

constexpr uint64_t kBpffsMagic = 0xcafe4a11;  // BPF_FS_MAGIC
constexpr const char* kProgramPins = "progs";

// Removes what a failed load pinned: the pin directory was absent or empty before, so all of it.
class PinDirGuard {
 public:
  explicit PinDirGuard(std::string dir) : dir_(std::move(dir)) {}
  ~PinDirGuard() {
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  PinDirGuard(const PinDirGuard&) = delete;
  PinDirGuard& operator=(const PinDirGuard&) = delete;
  void keep() { dir_.clear(); }

 private:
  std::string dir_;
};

void prepare_pin_dir(const std::string& dir) {
  if (!on_bpffs(dir)) {
    fail(fmt::format(
        "{} is not on a BPF filesystem, and kernel maps live only while a pin or a process holds them: mount one "
        "(mount -t bpf bpf /sys/fs/bpf), choose a directory on one with --pin-dir, or keep the maps in this "
        "process with --hold",
        dir));
  }
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    fail(
        fmt::format("the pin directory {} is not empty (a load that was not unloaded?): remove it (rm -r {}) or "
                    "load under another --name or --pin-dir",
                    dir, dir));
  }
  std::filesystem::create_directories(std::filesystem::path(dir) / kProgramPins, ec);
  if (ec) {
    fail(fmt::format("cannot create the pin directory {}: {}", dir, ec.message()));
  }
}

// Blocks the signals that end --hold, so that none is lost between the load and sigwait.
sigset_t block_hold_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Removes the records this process made for `loaded`, unless someone removed them already (`bpfrt
// unload`) and the handle now names another object.
size_t release_records(Runtime& rt, const LoadedObject& loaded) {
  const uint32_t self = static_cast<uint32_t>(getpid());
  size_t removed = 0;
  for (const LoadedProgram& p : loaded.programs) {
    auto info = rt.program_info(p.handle);
    if (p.created && info && info->name == p.registry_name && info->owner_pid == self &&
        rt.remove(ObjectKind::kProgram, p.handle)) {
      ++removed;
    }
  }
  for (const LoadedMap& m : loaded.maps) {
    auto info = rt.map_info(m.handle);
    if (m.created && info && info->name == m.registry_name && info->owner_pid == self &&
        rt.remove(ObjectKind::kMap, m.handle)) {
      ++removed;
    }
  }
  return removed;
}

void print_loaded(Runtime& rt, const Object& obj, const LoadedObject& loaded, const KernelObject& k) {
  for (const LoadedMap& m : loaded.maps) {
    const RegistryMapInfo info = unwrap(rt.map_info(m.handle));
    std::cout << fmt::format("map {}: {} ({}) kernel map id {}{}\n", m.handle, m.registry_name,
                             map_type_name(info.spec.type), info.kernel.id,
                             info.kernel.pin_path.empty() ? "" : ", pinned at " + info.kernel.pin_path);
  }
  for (const LoadedProgram& p : loaded.programs) {
    std::cout << fmt::format("prog {}: {} ({}, section {}){}\n", p.handle, p.registry_name, prog_type_name(p.type),
                             obj.programs()[p.index].section, p.verified ? ", verified" : ", NOT verified");
  }
  for (const KernelProgramInfo& p : k.programs()) {
    std::cout << fmt::format("kernel program {} ({}): {}{}\n", p.name, p.section, prog_type_name(p.type),
                             p.pin_path.empty() ? "" : ", pinned at " + p.pin_path);
  }
  std::cout << fmt::format("loaded {} into the kernel and into registry '{}' as '{}'\n", obj.name(), rt.registry_name(),
                           loaded.name);
}

}  // namespace

bool on_bpffs(const std::string& dir) {
  // The nearest existing ancestor decides (pins live nowhere but on bpffs).
  std::error_code ec;
  std::filesystem::path existing = std::filesystem::absolute(dir, ec);
  while (!existing.empty() && !std::filesystem::exists(existing, ec) && existing != existing.parent_path()) {
    existing = existing.parent_path();
  }
  struct statfs fs {};
  return statfs(existing.c_str(), &fs) == 0 && static_cast<uint64_t>(fs.f_type) == kBpffsMagic;
}

void load_shared_command(const SharedLoadArgs& args, const Object& obj) {
  if (args.registry.empty()) {
    fail("--target shared needs a named registry (--registry NAME): other processes find the kernel maps there");
  }
  const std::string name = args.name.empty() ? default_load_name(obj.name()) : args.name;
  auto rt = open_runtime(args.registry);
  NewRegistryGuard new_registry(*rt);
  for (const RegistryMapInfo& m : rt->list_maps()) {
    if (m.name.starts_with(name + ".")) {
      fail(
          fmt::format("registry '{}' already has a map named '{}' (is the object loaded already?); remove it "
                      "(bpfrt unload {} --registry {}) or load under another --name",
                      args.registry, m.name, name, args.registry));
    }
  }
  KernelLoadOptions ko;
  ko.btf_path = args.btf;
  ko.programs = args.programs;
  ko.initial_values = &obj;
  const sigset_t hold_signals = args.hold ? block_hold_signals() : sigset_t{};
  std::unique_ptr<PinDirGuard> guard;
  if (!args.hold) {
    ko.pin_dir = args.pin_dir.empty() ? fmt::format("/sys/fs/bpf/bpfrt/{}", name) : args.pin_dir;
    prepare_pin_dir(ko.pin_dir);
    guard = std::make_unique<PinDirGuard>(ko.pin_dir);
    ko.program_pin_dir = (std::filesystem::path(ko.pin_dir) / kProgramPins).string();
  } else if (!args.pin_dir.empty()) {
    fail("--pin-dir and --hold exclude each other: pinned maps outlive this process, held ones do not");
  }
  const KernelObject k = unwrap(KernelObject::load(args.path, ko));
  ObjectLoadOptions options;
  options.name = name;
  options.programs = args.programs;
  options.verify = !args.no_verify;
  options.log_level = args.log_level;
  auto loaded = load_object_with_kernel_maps(*rt, obj, k, options);
  if (!loaded) {
    fail(loaded.error());
  }
  new_registry.keep();
  print_loaded(*rt, obj, *loaded, k);
  if (!args.hold) {
    guard->keep();
    std::cout << fmt::format(
        "the kernel maps and programs stay while pinned under {} (the programs are not attached); "
        "`bpfrt unload {} --registry {}` removes the records and the pins\n",
        ko.pin_dir, name, args.registry);
    return;
  }
  std::cout << fmt::format(
                   "holding the kernel maps and programs in this process (pid {}) until SIGINT, SIGTERM or SIGHUP; "
                   "other processes reach them through registry '{}'\n",
                   getpid(), args.registry)
            << std::flush;
  int sig = 0;
  sigwait(&hold_signals, &sig);
  const size_t removed = release_records(*rt, *loaded);
  std::cout << fmt::format("{}: released the kernel maps and programs; removed {} registry record{}\n", strsignal(sig),
                           removed, removed == 1 ? "" : "s")
            << std::flush;
}

std::set<std::string> kernel_pin_dirs(Runtime& rt, const std::string& name) {
  std::set<std::string> dirs;
  for (const RegistryMapInfo& m : rt.list_maps()) {
    if (m.name.starts_with(name + ".") && !m.kernel.pin_path.empty()) {
      dirs.insert(std::filesystem::path(m.kernel.pin_path).parent_path().string());
    }
  }
  return dirs;
}

void remove_kernel_pin_dirs(const std::set<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    std::error_code ec;
    const std::filesystem::path progs = std::filesystem::path(dir) / kProgramPins;
    if (std::filesystem::is_directory(progs, ec)) {
      for (const auto& e : std::filesystem::directory_iterator(progs, ec)) {
        std::filesystem::remove(e.path(), ec);
      }
      std::filesystem::remove(progs, ec);
    }
    if (!std::filesystem::remove(dir, ec) && ec) {
      std::cout << fmt::format("note: {} is not empty ({}); left in place\n", dir, ec.message());
    } else {
      std::cout << fmt::format("removed the pins under {}\n", dir);
    }
  }
}

void note_kernel_holders(Runtime& rt, const std::string& name) {
  std::set<uint32_t> holders;
  for (const RegistryMapInfo& m : rt.list_maps()) {
    if (m.name.starts_with(name + ".") && m.kernel.id != 0 && m.kernel.pin_path.empty() && m.kernel.holder_pid != 0 &&
        m.kernel.holder_pid != static_cast<uint32_t>(getpid()) &&
        (::kill(static_cast<pid_t>(m.kernel.holder_pid), 0) == 0 || errno == EPERM)) {
      holders.insert(m.kernel.holder_pid);
    }
  }
  for (uint32_t pid : holders) {
    std::cout << fmt::format(
        "note: pid {} (bpfrt load --hold) still holds the kernel maps; stop it (kill {}) to "
        "release them\n",
        pid, pid);
  }
}

}  // namespace bpfrt::cli
