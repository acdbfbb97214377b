#include "status.hpp"

#include "endpoints.hpp"
#include "exit_codes.hpp"
#include "interrupt.hpp"

#include <cstdio>
#include <string>

namespace taskfetch::cli {

int cmd_status(session &s, const args &a) {
  require_positional(a, 2, "status needs ENDPOINT TASK_ID");
  return with_endpoint(a.positional[0], [&](auto ep) {
    using E = decltype(ep);
    cli_client api(s.opts);
    call_options co;
    interrupt_watch interrupt(co);
    auto st = api.template status<E>(a.positional[1], co);
    if (!st) return interrupt.exit_code(report(s.out, "status", st.error()));
    std::printf("%s\t%s\n", std::string(to_string(st->state)).c_str(), st->word.c_str());
    for (const auto &m : st->messages) std::fprintf(stderr, "  service: %s\n", m.c_str());
    switch (st->state) {
    case task_state::failed: return int(exit_task_failed);
    case task_state::not_found: return int(exit_not_found);
    case task_state::unknown: return int(exit_malformed);
    default: return int(exit_ok);
    }
  });
}

} // namespace taskfetch::cli
