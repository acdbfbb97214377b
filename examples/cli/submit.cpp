#include "submit.hpp"

#include "endpoints.hpp"
#include "exit_codes.hpp"
#include "interrupt.hpp"

#include <cstdio>

namespace taskfetch::cli {

int cmd_submit(session &s, const args &a) {
  require_positional(a, 2, "submit needs ENDPOINT INPUT");
  return with_endpoint(a.positional[0], [&](auto ep) {
    using E = decltype(ep);
    auto in = make_input<E>(a, a.positional[1]);
    cli_client api(s.opts);
    call_options co;
    interrupt_watch interrupt(co);
    auto id = api.template submit<E>(in, co);
    if (!id) return interrupt.exit_code(report(s.out, "submit", id.error()));
    std::printf("%s\n", id->c_str());
    return int(exit_ok);
  });
}

} // namespace taskfetch::cli
