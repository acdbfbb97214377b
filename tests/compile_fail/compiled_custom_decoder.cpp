// In compiled mode a decoder other than to_file meets the static_assert naming the limit, not a
// link error.
// expect: taskfetch::client in compiled mode (TASKFETCH_COMPILED_LIB) decodes with the endpoint's default decoder or decoders::to_file only
#define TASKFETCH_COMPILED_LIB
#include <taskfetch/taskfetch.hpp>

struct decoder {
  using value_type = int;
};

void use(taskfetch::client &c) {
  decoder d;
  (void)c.fetch<taskfetch::endpoints::recognize_table>("id", d);
}
