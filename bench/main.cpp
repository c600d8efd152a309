// natter-bench: natter's load generator. Picks the scenario named by the first argument and
// runs it; each prints one JSON result line on stdout and a summary on stderr.
#include <sys/resource.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "options.hpp"
#include "scenarios/scenarios.hpp"

namespace {

constexpr const char* kUsage = R"(natter-bench: load generator for natter

usage: natter-bench SCENARIO [--option VALUE]...

scenarios
  fanout    --clients 1000 --senders 10 --rate 0 (msgs/s in all; 0 = flat out) --inflight 32
            [--users N] [--message-bytes B]
  connect   --connections 2000 --concurrency 100 [--users N]
  idle      --connections 19000 --users 100 --pid NATTER_PID --hold 2
  private   --pairs 100 --rate 0 --inflight 32
  mixed     --clients 1000 --writers 10 --rate 100 --churn 10 (joins/s) --churn-hold 1
            --churn-users 20

every scenario
  --url ws://127.0.0.1:8080/ws      natter's WebSocket endpoint
  --token-url http://127.0.0.1:8080/dev/token   tokens from natter --dev (the default), or
  --signing-key KEY.pem --kid KID [--issuer ISS] [--audience AUD] [--client ChatClient]
                                    mint tokens here with a key natter trusts
  --threads 1                       io threads (one io_context each)
  --duration 5 --warmup 1           seconds measured, after seconds of warm-up
  --connect-concurrency N           joins in flight while connecting the fleet
  --source-addresses 127.0.0.2,...  local addresses to connect from (past the port range)
  --user-prefix bench-  --channel general  --quiet-ms 300  --drain-timeout 10
  --connect-timeout 30

exit code: 0 clean; 1 messages lost, duplicated or reordered (no throughput is printed);
2 connections failed or were closed by natter, or natter refused messages; 64 bad usage;
70 the run could not start.
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace natter::bench;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 64 : 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  const std::string scenario = argv[1];
  int (*run)(Options&) = nullptr;
  if (scenario == "fanout")
    run = run_fanout;
  else if (scenario == "connect")
    run = run_connect;
  else if (scenario == "idle")
    run = run_idle;
  else if (scenario == "private")
    run = run_private;
  else if (scenario == "mixed")
    run = run_mixed;
  if (!run) {
    std::cerr << "natter-bench: unknown scenario '" << scenario << "'\n\n" << kUsage;
    return 64;
  }
  try {
    Options options = Options::parse(argc, argv, 2);
    return run(options);
  } catch (const std::invalid_argument& e) {
    std::cerr << "natter-bench " << scenario << ": " << e.what() << "\n";
    return 64;
  } catch (const std::exception& e) {
    std::cerr << "natter-bench " << scenario << ": " << e.what() << "\n";
    return 70;
  }
}
