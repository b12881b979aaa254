// A program using the installed bpfrt: opens a BPF object (if given), lists its programs and maps,
// and runs its first map-free packet program on a UDP packet; without an object, assembles and runs
// a small program. With a second object (the main job's examples/xdp_counter.bpf.o), uses the
// skeleton API: sets a .rodata global, loads it (verified) into a private registry, runs it and reads
// its maps. Exit status 0 on success.
#include <cstdio>
#include <vector>

#include <bpfrt/engine.hpp>
#include <bpfrt/isa.hpp>
#include <bpfrt/object.hpp>
#include <bpfrt/skeleton.hpp>
#include <bpfrt/test_run.hpp>

namespace {

// examples/xdp_counter.bpf.c: drops UDP to `blocked_udp_port`, counts packets per IP protocol.
int run_skeleton(const char* path, const std::vector<uint8_t>& packet) {
  auto skel = bpfrt::Skeleton::open(path);
  if (!skel) {
    std::fprintf(stderr, "%s\n", skel.error().message.c_str());
    return 1;
  }
  auto status = skel->set_global<uint16_t>("blocked_udp_port", 53);
  if (status) {
    status = skel->load();
  }
  if (!status) {
    std::fprintf(stderr, "%s\n", status.error().message.c_str());
    return 1;
  }
  bpfrt::TestRunInput input;
  input.data_in = packet;
  input.repeat = 3;
  auto out = skel->run("xdp_count", input);
  auto dropped = skel->global_as<uint64_t>("dropped");
  auto counts = skel->map("counts");
  if (!out || !dropped || !counts) {
    std::fprintf(stderr, "skeleton run failed\n");
    return 1;
  }
  struct {
    uint64_t packets, bytes;
  } udp{};
  const uint32_t proto = 17;
  if ((*counts)->lookup(&proto, &udp) != 0) {
    std::fprintf(stderr, "no UDP count\n");
    return 1;
  }
  std::printf("skeleton: %s retval %llu, dropped %llu, udp packets %llu bytes %llu\n", path,
              static_cast<unsigned long long>(out->retval), static_cast<unsigned long long>(*dropped),
              static_cast<unsigned long long>(udp.packets), static_cast<unsigned long long>(udp.bytes));
  return out->retval == 1 && *dropped == 3 && udp.packets == 3 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    auto program = bpfrt::assemble_program("mov %r0, 6\nmul %r0, 7\nexit");
    if (!program) {
      std::fprintf(stderr, "%s\n", program.error().message.c_str());
      return 1;
    }
    auto engine = bpfrt::create_engine(bpfrt::EngineKind::kInterpreter, std::move(*program));
    auto r0 = engine ? (*engine)->run(nullptr, 0) : bpfrt::Result<uint64_t>(engine.error());
    if (!r0) {
      std::fprintf(stderr, "%s\n", r0.error().message.c_str());
      return 1;
    }
    std::printf("r0 = %llu\n", static_cast<unsigned long long>(*r0));
    return *r0 == 42 ? 0 : 1;
  }
  auto obj = bpfrt::Object::open(argv[1]);
  if (!obj) {
    std::fprintf(stderr, "%s\n", obj.error().message.c_str());
    return 1;
  }
  std::printf("object %s (license %s)\n", obj->name().c_str(), obj->license().c_str());
  for (const auto& m : obj->maps()) {
    std::printf("  map %s: %s, key %u, value %u, max_entries %u\n", m.name.c_str(),
                bpfrt::map_type_name(m.type).c_str(), m.key_size, m.value_size, m.max_entries);
  }
  const std::vector<uint8_t> udp53 = {0, 0,  0,  0, 0, 0,  2, 0, 0, 0,  0, 1, 0x08, 0x00, 0x45, 0, 0,  28, 0, 1, 0,
                                      0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,    0x04, 0xd2, 0, 53, 0,  8, 0, 0};
  if (argc > 2 && run_skeleton(argv[2], udp53) != 0) {
    return 1;
  }
  int status = 1;
  for (const auto& p : obj->programs()) {
    std::printf("  program %s: section %s, type %s, %zu instructions\n", p.name.c_str(), p.section.c_str(),
                bpfrt::prog_type_name(p.type).c_str(), p.program.size());
    if (status == 0 || p.uses_maps() || !bpfrt::is_packet_program(p.type)) {
      continue;
    }
    bpfrt::TestRunInput input;
    input.data_in = udp53;
    auto out = bpfrt::test_run(bpfrt::EngineKind::kInterpreter, p.program, p.type, bpfrt::EngineOptions{}, input);
    if (!out) {
      std::fprintf(stderr, "%s\n", out.error().message.c_str());
      return 1;
    }
    std::printf("    ran on a UDP packet: retval %llu\n", static_cast<unsigned long long>(out->retval));
    status = 0;
  }
  return status;
}
