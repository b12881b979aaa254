// `bpfrt export`, `bpfrt import`, `bpfrt registry show|remove`, `bpfrt trace-pipe`, `bpfrt link list`,
// `bpfrt perf list`.
#include <csignal>
#include <fstream>
#include <iostream>
#include <iterator>

#include <fmt/format.h>

#include "commands.hpp"
#include "registry_cli.hpp"

namespace bpfrt::cli {
namespace {

using nlohmann::json;

struct RegistryArgs {
  std::string registry;
  OutputOptions out;
  std::string file;
  uint64_t count = 0;
  int64_t timeout_ms = -1;
};

volatile std::sig_atomic_t g_interrupted = 0;

std::string trace_line(std::span<const uint8_t> rec) {
  Runtime::TraceRecord hdr{};
  if (rec.size() < sizeof(hdr)) {
    return "(short trace record)";
  }
  std::memcpy(&hdr, rec.data(), sizeof(hdr));
  const std::string comm(hdr.comm, strnlen(hdr.comm, sizeof(hdr.comm)));
  const std::string text(reinterpret_cast<const char*>(rec.data()) + sizeof(hdr), rec.size() - sizeof(hdr));
  return fmt::format("{:>16}-{:<7} [{:03}] {}.{:06}: bpf_trace_printk: {}", comm, hdr.tid, hdr.cpu,
                     hdr.timestamp_ns / 1000000000, hdr.timestamp_ns % 1000000000 / 1000, text);
}

void trace_pipe(const RegistryArgs& a) {
  auto rt = open_runtime(a.registry);
  auto ring = unwrap(rt->trace_pipe());
  auto consumer = unwrap(RingBufferConsumer::create(ring));
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  std::signal(SIGTERM, [](int) { g_interrupted = 1; });
  uint64_t printed = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(a.timeout_ms);
  while (g_interrupted == 0 && (a.count == 0 || printed < a.count)) {
    int wait = 200;
    if (a.timeout_ms >= 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        break;
      }
      wait = static_cast<int>(std::min<int64_t>(left, wait));
    }
    auto n = consumer->poll(wait, [&](std::span<const uint8_t> rec) {
      std::cout << trace_line(rec) << '\n';
      ++printed;
      return a.count != 0 && printed >= a.count ? 1 : 0;
    });
    if (!n) {
      fail(n.error());
    }
    std::cout.flush();
  }
}

std::string read_input(const std::string& file) {
  if (file == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    fail(fmt::format("{}: cannot open: {}", file, std::strerror(errno)));
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

void register_registry_commands(CLI::App& app) {
  auto ex = std::make_shared<RegistryArgs>();
  CLI::App* export_cmd = app.add_subcommand(
      "export", "Write the whole registry (maps with contents, programs, links, perf events) as JSON");
  add_registry_option(export_cmd, ex->registry);
  export_cmd->add_option("FILE", ex->file, "output file, - for stdout")->required();
  export_cmd->callback([ex] {
    auto rt = open_runtime(ex->registry, false);
    const std::string doc = unwrap(rt->export_json());
    if (ex->file == "-") {
      std::cout << doc;
      return;
    }
    std::ofstream out(ex->file, std::ios::binary | std::ios::trunc);
    out << doc;
    if (!out) {
      fail(fmt::format("{}: cannot write", ex->file));
    }
  });

  auto im = std::make_shared<RegistryArgs>();
  CLI::App* import_cmd = app.add_subcommand("import", "Add the objects of an exported JSON document to the registry");
  add_registry_option(import_cmd, im->registry);
  import_cmd->add_option("FILE", im->file, "input file, - for stdin")->required();
  import_cmd->callback([im] {
    const std::string doc = read_input(im->file);
    auto rt = open_runtime(im->registry);
    NewRegistryGuard new_registry(*rt);
    check(rt->import_json(doc));
    new_registry.keep();
  });

  CLI::App* registry = app.add_subcommand("registry", "The registry itself");
  registry->require_subcommand(1);
  auto sh = std::make_shared<RegistryArgs>();
  CLI::App* show = registry->add_subcommand("show", "Summary of the registry");
  add_registry_option(show, sh->registry);
  add_output_options(show, sh->out);
  show->callback([sh] {
    auto rt = open_runtime(sh->registry, false);
    const size_t maps = rt->list_maps().size(), progs = rt->list_programs().size();
    const size_t links = rt->list_links().size(), events = rt->list_perf_events().size();
    if (sh->out.json || sh->out.pretty) {
      print_json({{"name", rt->registry_name()},
                  {"capacity", rt->capacity()},
                  {"maps", maps},
                  {"programs", progs},
                  {"links", links},
                  {"perf_events", events},
                  {"trace_lines_lost", rt->trace_lines_lost()}},
                 sh->out);
      return;
    }
    std::cout << fmt::format(
        "registry {}  /dev/shm/{}  capacity {}\n\tmaps {}  programs {}  links {}  perf_events {}\n",
        rt->registry_name(), rt->registry_name(), rt->capacity(), maps, progs, links, events);
  });
  auto rm = std::make_shared<RegistryArgs>();
  CLI::App* remove = registry->add_subcommand("remove", "Remove the registry and every object in it");
  add_registry_option(remove, rm->registry);
  remove->callback([rm] { check(Runtime::remove_registry(rm->registry)); });

  auto tp = std::make_shared<RegistryArgs>();
  CLI::App* trace = app.add_subcommand("trace-pipe", "Print bpf_trace_printk output of the registry's programs");
  add_registry_option(trace, tp->registry);
  trace->add_option("--count", tp->count, "stop after this many lines (0: until interrupted)");
  trace->add_option("--timeout", tp->timeout_ms, "stop after this many milliseconds");
  trace->callback([tp] { trace_pipe(*tp); });

  auto ln = std::make_shared<RegistryArgs>();
  CLI::App* link = app.add_subcommand("link", "Links in the registry");
  link->require_subcommand(1);
  CLI::App* link_list = link->add_subcommand("list", "List links");
  add_registry_option(link_list, ln->registry);
  add_output_options(link_list, ln->out);
  link_list->callback([ln] {
    auto rt = open_existing_runtime(ln->registry);
    json out = json::array();
    for (const LinkInfo& l : rt ? rt->list_links() : std::vector<LinkInfo>{}) {
      if (ln->out.json || ln->out.pretty) {
        out.push_back({{"handle", l.handle},
                       {"name", l.name},
                       {"prog_id", l.program},
                       {"attach_type", l.attach_type},
                       {"target", l.target},
                       {"cookie", l.cookie},
                       {"owner_pid", l.owner_pid}});
      } else {
        std::cout << fmt::format("{}: {}  name {}  prog {}  target {}  cookie {}\n", l.handle, l.attach_type, l.name,
                                 l.program, l.target, l.cookie);
      }
    }
    if (ln->out.json || ln->out.pretty) {
      print_json(out, ln->out);
    }
  });

  auto pe = std::make_shared<RegistryArgs>();
  CLI::App* perf = app.add_subcommand("perf", "Perf events in the registry");
  perf->require_subcommand(1);
  CLI::App* perf_list = perf->add_subcommand("list", "List perf events");
  add_registry_option(perf_list, pe->registry);
  add_output_options(perf_list, pe->out);
  perf_list->callback([pe] {
    auto rt = open_existing_runtime(pe->registry);
    json out = json::array();
    for (const PerfEventInfo& p : rt ? rt->list_perf_events() : std::vector<PerfEventInfo>{}) {
      if (pe->out.json || pe->out.pretty) {
        out.push_back({{"handle", p.handle},
                       {"name", p.name},
                       {"event_type", p.event_type},
                       {"target", p.target},
                       {"config", p.config},
                       {"cpu", p.cpu},
                       {"prog_id", p.program},
                       {"owner_pid", p.owner_pid}});
      } else {
        std::cout << fmt::format("{}: {}  name {}  config {}  cpu {}  target {}  prog {}\n", p.handle, p.event_type,
                                 p.name, p.config, p.cpu, p.target, p.program);
      }
    }
    if (pe->out.json || pe->out.pretty) {
      print_json(out, pe->out);
    }
  });
}

}  // namespace bpfrt::cli
