// Add an endpoint of the same shape (here RecognizeReceipt) in a few lines,
// and unit-test it with the scripted transport and a manual clock: no
// network, no sleeping.
// Expected output, checked by expected/custom_endpoint.regex:
//   receipt: TOTAL 12.50
//   polls: 3, waited 3000 ms
#include <taskfetch/detail/base64.hpp>
#include <taskfetch/taskfetch.hpp>
#include <taskfetch/testing/manual_clock.hpp>
#include <taskfetch/testing/scripted_transport.hpp>

#include <cstdio>

// The whole endpoint: a name, a path, what it yields.
struct recognize_receipt {
  static constexpr std::string_view name = "recognize-receipt";
  static constexpr std::string_view path = "/v5.0/ocr/RecognizeReceipt";
  static constexpr std::string_view result_kind = "Text";
  static constexpr std::string_view extension = "txt";
  using default_decoder = taskfetch::decoders::bytes;
};

int main() {
  using namespace taskfetch;
  testing::scripted_transport net;
  testing::manual_clock clock;
  const std::string path(recognize_receipt::path);
  net.on(http_method::post, path, testing::scripted_reply::text(200, "r-1"))
      .on(http_method::get, path,
          testing::scripted_reply::json(200, R"({"taskStatus":"Processing","results":null})"), 2)
      .on(http_method::get, path,
          testing::scripted_reply::json(
              200, R"({"taskStatus":"Completed","results":[{"type":"Text","data":")" +
                       detail::base64_encode("TOTAL 12.50") + R"("}]})"));
  basic_client<testing::scripted_transport, standard_retry, testing::manual_clock> api(
      options{}.credentials("id", "secret"), net, standard_retry{}, clock);

  auto text = api.run<recognize_receipt>(image_input{"JPEG bytes", std::nullopt});
  if (!text) {
    std::fprintf(stderr, "error: %s\n", text.error().message().c_str());
    return 1;
  }
  std::printf("receipt: %s\n", text->c_str());
  std::printf("polls: %zu, waited %lld ms\n", net.count(path + "?"),
              static_cast<long long>(clock.elapsed().count()));
  return *text == "TOTAL 12.50" ? 0 : 1;
}
