// In compiled mode an endpoint of the user's meets the static_assert naming the limit, not a link
// error.
// expect: taskfetch::client in compiled mode (TASKFETCH_COMPILED_LIB) serves only the shipped endpoints
#define TASKFETCH_COMPILED_LIB
#include <taskfetch/taskfetch.hpp>

struct my_endpoint {};

void use(taskfetch::client &c) { (void)c.fetch<my_endpoint>("id"); }
