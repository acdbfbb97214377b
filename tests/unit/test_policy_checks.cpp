// The policy detection traits (docs/policies.md's tables) on the shipped
// policies and on types that lack one member each, and no_retry's poll
// interval. The static_asserts naming a missing member are tested by
// tests/compile_fail/.
#include <taskfetch/basic_client.hpp>
#include <taskfetch/decoders.hpp>
#include <taskfetch/detail/base64.hpp>
#include <taskfetch/detail/type_traits.hpp>
#include <taskfetch/endpoints.hpp>
#include <taskfetch/testing/manual_clock.hpp>
#include <taskfetch/testing/scripted_transport.hpp>
#include <taskfetch/transports/httplib.hpp>

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

using namespace taskfetch;
using namespace std::chrono_literals;
using testing::manual_clock;
using testing::scripted_reply;
using testing::scripted_transport;

namespace {
template <class T> using size_op = decltype(std::declval<T &>().size());

// Each of these misses exactly one member of a complete policy.
struct decoder_without_abort {
  using value_type = int;
  result<void> begin(const fetch_info &) { return {}; }
  bool want(std::size_t) { return true; }
  result<void> write(std::size_t, const char *, std::size_t) { return {}; }
  result<void> end_result(std::size_t, std::string_view) { return {}; }
  result<int> finish() { return 0; }
};
struct decoder_throwing_abort : decoder_without_abort {
  void abort() {} // not noexcept: counts as missing
};
struct decoder_wrong_finish : decoder_without_abort {
  result<std::string> finish() { return std::string(); } // not result<value_type>
  void abort() noexcept {}
};
struct decoder_complete : decoder_without_abort {
  void abort() noexcept {}
};
struct clock_without_wall_now {
  std::chrono::steady_clock::time_point now() const { return {}; }
  bool sleep_for(duration, const cancel_token &) { return true; }
};
struct clock_mutable_now : clock_without_wall_now {
  std::chrono::steady_clock::time_point now() { return {}; } // not const
  std::chrono::system_clock::time_point wall_now() const { return {}; }
};
struct retry_state_without_on_success {
  std::optional<duration> on_failure(const error &) { return {}; }
  std::optional<duration> on_pending(duration) { return {}; }
};
struct retry_without_on_success {
  retry_state_without_on_success start() const { return {}; }
};
struct retry_state_with_bool_on_failure : retry_state_without_on_success {
  bool on_failure(const error &) { return false; } // not a wait
  void on_success() {}
};
struct retry_with_bool_on_failure {
  retry_state_with_bool_on_failure start() const { return {}; }
};
struct endpoint_without_cancel_path {
  static constexpr std::string_view name = "x";
  static constexpr std::string_view submit_path = "/s";
  static constexpr std::string_view fetch_path = "/f";
};
struct endpoint_with_verb_paths : endpoint_without_cancel_path {
  static constexpr std::string_view cancel_path = "/c";
};
struct endpoint_submit_body_without_input {
  static constexpr std::string_view name = "x";
  static constexpr std::string_view path = "/p";
  static std::string submit_body(const image_input &) { return {}; }
};
struct random_without_max {
  using result_type = std::uint32_t;
  explicit random_without_max(result_type) {}
  static constexpr result_type min() { return 0; }
  result_type operator()() { return 0; }
};
} // namespace

TEST_CASE("the detection idiom") {
  CHECK(detail::is_detected_v<size_op, std::string>);
  CHECK_FALSE(detail::is_detected_v<size_op, int>);
  CHECK(std::is_same_v<detail::detected_t<size_op, std::string>, std::size_t>);
  CHECK(std::is_same_v<detail::detected_t<size_op, int>, detail::nonesuch>);
  CHECK(std::is_same_v<detail::detected_or_t<char, size_op, int>, char>);
  CHECK(detail::is_detected_convertible_v<std::uint64_t, size_op, std::string>);
  CHECK_FALSE(detail::is_detected_convertible_v<std::string, size_op, std::string>);
  CHECK_FALSE(detail::is_detected_convertible_v<std::size_t, size_op, int>);
}

TEST_CASE("the shipped policies meet their requirement tables") {
  CHECK(is_transport_v<scripted_transport>);
  CHECK(is_transport_v<httplib_transport>);
  CHECK(is_clock_v<system_clock>);
  CHECK(is_clock_v<manual_clock>);
  CHECK(is_random_generator_v<std::minstd_rand>);
  CHECK(is_random_generator_v<std::mt19937_64>);
  CHECK(is_decoder_v<decoders::table>);
  CHECK(is_decoder_v<decoders::omr>);
  CHECK(is_decoder_v<decoders::pdf>);
  CHECK(is_decoder_v<decoders::bytes>);
  CHECK(is_decoder_v<decoders::to_file>);
  CHECK(is_decoder_v<decoders::callback>);
  CHECK(is_decoder_v<decoders::json<>>);
  CHECK(is_decoder_v<detail::no_result>);
  CHECK(is_endpoint_v<endpoints::recognize_table>);
  CHECK(is_endpoint_v<endpoints::recognize_template>);
  CHECK(is_endpoint_v<endpoints::djvu2pdf>);
  CHECK(is_retry_policy_v<standard_retry>);
  CHECK(is_retry_policy_v<no_retry>);
  CHECK(is_retry_policy_v<fixed_interval>);
}

TEST_CASE("a type missing one member is not the policy, and only that member is missing") {
  CHECK_FALSE(is_decoder_v<decoder_without_abort>);
  CHECK_FALSE(detail::decoder_has_abort_v<decoder_without_abort>);
  CHECK(detail::decoder_has_finish_v<decoder_without_abort>);
  CHECK_FALSE(detail::decoder_has_abort_v<decoder_throwing_abort>);
  CHECK_FALSE(detail::decoder_has_finish_v<decoder_wrong_finish>);
  CHECK(detail::decoder_has_abort_v<decoder_wrong_finish>);
  CHECK(is_decoder_v<decoder_complete>);
  CHECK(std::is_same_v<detail::decoder_value_t<decoder_complete>, int>);
  CHECK(std::is_same_v<detail::decoder_value_t<int>, void>);

  CHECK_FALSE(is_transport_v<int>);
  CHECK_FALSE(is_clock_v<clock_without_wall_now>);
  CHECK_FALSE(detail::clock_has_wall_now_v<clock_without_wall_now>);
  CHECK(detail::clock_has_now_v<clock_without_wall_now>);
  CHECK_FALSE(detail::clock_has_now_v<clock_mutable_now>);

  CHECK_FALSE(is_retry_policy_v<retry_without_on_success>);
  CHECK(detail::retry_has_start_v<retry_without_on_success>);
  CHECK_FALSE(detail::retry_state_has_on_success_v<retry_state_without_on_success>);
  CHECK(detail::retry_state_has_on_failure_v<retry_state_without_on_success>);
  CHECK_FALSE(is_retry_policy_v<retry_with_bool_on_failure>);
  CHECK_FALSE(detail::retry_state_has_on_failure_v<retry_state_with_bool_on_failure>);

  CHECK_FALSE(is_endpoint_v<endpoint_without_cancel_path>);
  CHECK_FALSE(detail::endpoint_needs_path_v<endpoint_without_cancel_path>);
  CHECK(detail::endpoint_verb_path_needed_v<endpoint_without_cancel_path>);
  CHECK_FALSE(detail::endpoint_has_cancel_path_v<endpoint_without_cancel_path>);
  CHECK(detail::endpoint_has_fetch_path_v<endpoint_without_cancel_path>);
  CHECK(is_endpoint_v<endpoint_with_verb_paths>);
  CHECK_FALSE(is_endpoint_v<endpoint_submit_body_without_input>);
  CHECK_FALSE(detail::endpoint_has_input_v<endpoint_submit_body_without_input>);

  CHECK_FALSE(is_random_generator_v<random_without_max>);
  CHECK_FALSE(detail::random_has_max_v<random_without_max>);
  CHECK(detail::random_has_min_v<random_without_max>);
}

TEST_CASE("no_retry: polls every poll_interval (1 s unless given), never retries") {
  CHECK(no_retry{}.poll_interval == 1s);
  CHECK(no_retry{}.start().on_pending(duration(0)) == 1s);
  CHECK(no_retry{}.start().on_pending(duration(600000)) == 1s); // never backs off
  const no_retry quick{250ms};
  CHECK(quick.start().on_pending(duration(0)) == 250ms);
  CHECK_FALSE(quick.start().on_failure(error(error_kind::transport, "dropped")));

  // Through a client: the waits between polls are the interval, and a 503
  // is returned at once.
  using client = basic_client<scripted_transport, no_retry, manual_clock>;
  constexpr const char *path = "/v5.0/ocr/RecognizeTable";
  auto answer = [](const std::string &word) {
    std::string results = "null";
    if (word == "Completed")
      results = "[{\"type\":\"Csv\",\"data\":\"" + detail::base64_encode("a\n") + "\"}]";
    return "{\"id\":\"t1\",\"taskStatus\":\"" + word +
           "\",\"responseStatusCode\":\"Ok\",\"results\":" + results + ",\"error\":null}";
  };
  scripted_transport net;
  manual_clock clock;
  client api{options{}.base_url("https://api.test").credentials("id", "secret"), net,
             no_retry{std::chrono::seconds(3)}, clock};
  net.on(http_method::get, path, scripted_reply::json(200, answer("Pending")), 2)
      .on(http_method::get, path, scripted_reply::json(200, answer("Completed")), 1)
      .on(http_method::get, path, scripted_reply::json(503, "{}"), 1);
  auto t = api.fetch<endpoints::recognize_table>("t1");
  REQUIRE_MESSAGE(t, t.error().message());
  CHECK(clock.sleeps() == std::vector<duration>{3s, 3s});
  auto failed = api.fetch<endpoints::recognize_table>("t1");
  REQUIRE_FALSE(failed);
  CHECK(failed.error().http_status() == 503);
  CHECK(clock.sleeps().size() == 2); // no wait before giving up
  CHECK(net.unmatched() == 0);
}

// Named, not anonymous: clang would warn that these members are never used.
namespace endpoint_shapes {
struct endpoint_runtime_name {
  static inline std::string_view name = "x"; // not constexpr
  static constexpr std::string_view path = "/p";
};
struct endpoint_member_name {
  std::string_view name = "x"; // not static
  static constexpr std::string_view path = "/p";
};
} // namespace endpoint_shapes

TEST_CASE("an endpoint's name and paths must be static constexpr strings") {
  using namespace endpoint_shapes;
  CHECK_FALSE(detail::endpoint_has_name_v<endpoint_runtime_name>);
  CHECK_FALSE(detail::endpoint_has_name_v<endpoint_member_name>);
  CHECK_FALSE(is_endpoint_v<endpoint_member_name>);
  CHECK(detail::endpoint_has_name_v<endpoints::djvu2pdf>); // the control: a static constexpr name
}
