// The doctest runner for the integration suite (real loopback TCP); test cases live in the
// test_*.cpp files.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
