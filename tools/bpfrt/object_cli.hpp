// What the object commands share (cmd_object.cpp, cmd_load.cpp): OBJ.o[:PROG] arguments, opening an
// object, choosing its programs.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "bpfrt/object.hpp"
#include "bpfrt/runtime.hpp"

namespace bpfrt::cli {

struct ObjectArgument {
  std::string path;
  std::string program;  // empty: not given
};

// "OBJ.o:PROG" -> {OBJ.o, PROG}; a path that exists as given is never split.
ObjectArgument split_object_argument(const std::string& arg);
// Opens the object (fails the command with the loader's error).
Object open_object(const std::string& path, const std::string& btf, bool strict_core);
// "name (section), ..." for messages.
std::string program_list(const Object& obj);
// The programs an OBJ.o[:PROG] argument names: one, or all when PROG is not given (`need_one`: then
// the object must have exactly one).
std::vector<const ObjectProgram*> select_programs(const Object& obj, const ObjectArgument& arg, bool need_one);

// True if `dir` (or its nearest existing ancestor) is on a BPF filesystem, where pins live.
bool on_bpffs(const std::string& dir);

// `bpfrt load --target shared` (cmd_load_shared.cpp).
struct SharedLoadArgs {
  std::string path;  // the object file
  std::vector<std::string> programs;
  std::string registry;
  std::string name;
  std::string btf;
  std::string pin_dir;  // default /sys/fs/bpf/bpfrt/NAME
  bool hold = false;    // keep the kernel maps in this process instead of pinning them
  bool no_verify = false;
  int log_level = 0;
};
void load_shared_command(const SharedLoadArgs& args, const Object& obj);
// For `bpfrt unload NAME`: the pin directories of NAME.*'s kernel-backed maps (read before the records
// go), then removing their program pins and the directories once the records (and map pins) are gone.
std::set<std::string> kernel_pin_dirs(Runtime& rt, const std::string& name);
void remove_kernel_pin_dirs(const std::set<std::string>& dirs);
// Notes on stdout for `bpfrt load --hold` processes still holding NAME.*'s kernel maps.
void note_kernel_holders(Runtime& rt, const std::string& name);

}  // namespace bpfrt::cli
