// Whether this build runs under AddressSanitizer or ThreadSanitizer, for the
// few tests that cannot run there or need not: GCC names the sanitizer with
// a macro, clang through __has_feature.
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TASKFETCH_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TASKFETCH_TEST_SANITIZED 1
#endif
#endif

namespace test_common {
#ifdef TASKFETCH_TEST_SANITIZED
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif
} // namespace test_common
