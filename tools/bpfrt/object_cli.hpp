// What the object commands share (cmd_object.cpp, cmd_load.cpp): OBJ.o[:PROG] arguments, opening an
// object, choosing its programs.
#pragma once

#include <string>
#include <vector>

#include "bpfrt/object.hpp"

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

}  // namespace bpfrt::cli
