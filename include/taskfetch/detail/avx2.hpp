/// @file
/// @brief The AVX2 intrinsics base64 decoding uses, without <immintrin.h>.
///
/// <immintrin.h> declares every x86 extension (AVX-512, AMX, ...): 0.8 s of
/// g++ -O2 CPU time in every translation unit that fetches, against 0.15 s
/// for the SSE4.1, AVX and AVX2 headers alone (docs/build_time.md).
/// Those refuse to be included on their own, so their guard is set for the
/// moment and removed again: a later <immintrin.h> still reads in full, and
/// its parts already read are skipped by their own guards. Compilers not
/// known to lay their headers out this way get <immintrin.h> itself.
#pragma once

#include <smmintrin.h>

#if defined(__clang__) && __clang_major__ >= 10 && __clang_major__ <= 19 && !defined(__IMMINTRIN_H)
#pragma clang diagnostic push
#if __has_warning("-Wreserved-macro-identifier")
#pragma clang diagnostic ignored "-Wreserved-macro-identifier" // the compiler's own guard
#endif
#define __IMMINTRIN_H
#include <avxintrin.h>
// after the AVX header, whose types it uses
#include <avx2intrin.h>
#undef __IMMINTRIN_H
#pragma clang diagnostic pop
#elif !defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 9 && __GNUC__ <= 14 &&               \
    !defined(_IMMINTRIN_H_INCLUDED)
#define _IMMINTRIN_H_INCLUDED
#include <avxintrin.h>
// after the AVX header, whose types it uses
#include <avx2intrin.h>
#undef _IMMINTRIN_H_INCLUDED
#else
#include <immintrin.h>
#endif
