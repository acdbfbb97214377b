// Our client against both submit answer shapes of the emulator: the bare id
// (what it asks for with Accept: text/plain) and the JSON string the
// emulator gives a client that asks for JSON, as the vendor's OMR SDK does.
#include "support.hpp"

using namespace it;

namespace {
/// The httplib transport, asking for JSON where the client asks for text,
/// and noting the Content-Type of those answers.
struct json_accept_transport {
  httplib_transport inner;
  std::shared_ptr<std::vector<std::string>> types = std::make_shared<std::vector<std::string>>();

  struct noting : response_handler {
    response_handler &h;
    std::vector<std::string> &types;
    noting(response_handler &h, std::vector<std::string> &t) : h(h), types(t) {}
    bool on_head(const response_head &head) override {
      types.emplace_back(find_header(head.headers, "Content-Type").value_or(""));
      return h.on_head(head);
    }
    bool on_body(const char *d, std::size_t n) override { return h.on_body(d, n); }
  };

  send_result send(const request &req, response_handler &h) {
    request r = req;
    for (auto &kv : r.headers)
      if (detail::iequals(kv.first, "Accept") && kv.second == "text/plain") {
        kv.second = "application/json";
        noting n(h, *types);
        return inner.send(r, n);
      }
    return inner.send(r, h);
  }
};
} // namespace

TEST_CASE("the client runs every endpoint whether the submit answer is a JSON string or not") {
  emulator emu(fast_emulator());
  REQUIRE(emu.start());
  const auto o = client_options(emu);
  auto plain = make_client(o);
  json_accept_transport jt{httplib_transport(transport_settings_for(o))};
  basic_client<json_accept_transport> json_api(o, std::move(jt), fast_retry());
  const image_input table{"PNG", ocr_settings{}};
  const omr_input form{{"form"}, "pattern", omr_format::csv, 35};
  auto shapes = [&](auto &api) {
    const auto before = emu.log().size();
    auto t = api.template run<endpoints::recognize_table>(table);
    REQUIRE_MESSAGE(t, t.error().message());
    CHECK_FALSE(t->rows.empty());
    auto f = api.template run<endpoints::recognize_template>(form);
    REQUIRE_MESSAGE(f, f.error().message());
    CHECK(f->size() == 3);
    auto id = api.template submit<endpoints::djvu2pdf>(image_input{"AT&TFORM", std::nullopt});
    REQUIRE(id);
    CHECK(id->size() == 36);
    CHECK(api.template cancel<endpoints::djvu2pdf>(*id));
    const auto lg = emu.log();
    for (std::size_t i = before; i < lg.size(); ++i) CHECK(lg[i].status == 200);
  };
  shapes(plain);
  shapes(json_api);
  // The three submits were answered as JSON strings.
  CHECK(*json_api.transport().types == std::vector<std::string>(3, "application/json"));
}
