// The program every consumer project builds (tests/consumers/*): it proves the
// installed or embedded taskfetch compiles, links and runs. Nothing listens on
// 127.0.0.1:1, so a status poll must fail with a transport error. The same
// file builds in both modes: linked to taskfetch::compiled (or the Meson
// dependency taskfetch-compiled) it sees declarations only and says so.
#include <taskfetch/taskfetch.hpp>
#include <taskfetch/version.hpp>

#include <chrono>
#include <cstdio>
#include <string>

int main() {
  std::printf("taskfetch %s\n", TASKFETCH_VERSION_STRING);
#ifdef TASKFETCH_COMPILED_LIB
  std::printf("compiled mode\n");
#endif
  // A short deadline: the client retries refused connections with backoff,
  // and gives up with the last transport error once the next wait would pass it.
  taskfetch::client api(taskfetch::options{}
                            .base_url("http://127.0.0.1:1")
                            .bearer_token("x")
                            .deadline(std::chrono::seconds(2)));
  auto st = api.status<taskfetch::endpoints::recognize_table>("id");
  if (st) {
    std::printf("unexpected: a status from a closed port\n");
    return 1;
  }
  std::printf("error: %s: %s\n", std::string(taskfetch::to_string(st.error().kind())).c_str(),
              st.error().message().c_str());
  return st.error().kind() == taskfetch::error_kind::transport ? 0 : 1;
}
