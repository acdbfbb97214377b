#include "cancel.hpp"

#include "endpoints.hpp"
#include "exit_codes.hpp"
#include "interrupt.hpp"

namespace taskfetch::cli {

int cmd_cancel(session &s, const args &a) {
  require_positional(a, 2, "cancel needs ENDPOINT TASK_ID");
  return with_endpoint(a.positional[0], [&](auto ep) {
    using E = decltype(ep);
    cli_client api(s.opts);
    call_options co;
    interrupt_watch interrupt(co);
    auto r = api.template cancel<E>(a.positional[1], co);
    if (!r) return interrupt.exit_code(report(s.out, "cancel", r.error()));
    return int(exit_ok);
  });
}

} // namespace taskfetch::cli
