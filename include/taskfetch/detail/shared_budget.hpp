/// @file
/// @brief The arithmetic of a request-rate budget several workers share:
/// one pure function that both shared journals (memory and PostgreSQL) call,
/// so the two keep exactly the same rules.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace taskfetch::detail {

/// @brief The budget as stored beside the batch (one row in PostgreSQL).
struct shared_budget {
  /// Requests per second of the whole account (0: unlimited). While
  /// recovering (cut_at > 0) it is the budget set by the last cut.
  double budget = 0;
  /// Unix seconds of the last cut (0: none, budget is in force as is).
  double cut_at = 0;
  /// The account's cap the workers last reported (0: none).
  double cap = 0;
};

/// @brief What one share_rate() call leaves behind and answers.
struct shared_budget_step {
  shared_budget stored; ///< the state to store
  double share = 0;     ///< this worker's requests per second (0: no limit)
};

/// Recovery, as adaptive_rate: each quiet second after a cut the budget
/// grows by this factor plus one request per second...
constexpr double shared_raise_factor = 1.05;
/// ...until it reaches the cap, or, without a cap, passes this and is
/// unlimited again.
constexpr double shared_unlimited_above = 1e6;
/// A cut never takes the whole account below this.
constexpr double shared_min_rate = 1;

/// @brief The budget a cut left, grown by every quiet second since (no cap applied).
inline double recovered_budget(const shared_budget &s, double now) {
  const double quiet = std::floor(now - s.cut_at);
  double b = s.budget;
  // Stops once the cap or the unlimited mark is passed, so a cut days ago
  // costs no more than a few hundred steps.
  for (double i = 0; i < quiet; ++i) {
    b = b * shared_raise_factor + 1;
    if ((s.cap > 0 && b >= s.cap) || b > shared_unlimited_above) break;
  }
  return b;
}

/// @brief The stored state brought to @p now under @p cap: a finished
/// recovery ends (budget back at the cap, or unlimited), and without a cut
/// pending the cap is the budget (a changed --rate takes effect).
inline shared_budget budget_at(shared_budget s, double cap, double now) {
  s.cap = cap > 0 ? cap : 0;
  if (s.cut_at <= 0) {
    s.budget = s.cap;
    return s;
  }
  const double b = recovered_budget(s, now);
  if (s.cap > 0 && b >= s.cap) return shared_budget{s.cap, 0, s.cap};
  if (s.cap == 0 && b > shared_unlimited_above) return shared_budget{};
  // Still recovering: the cut's budget and time stay, so the next call
  // counts the quiet seconds from the same origin.
  return s;
}

/// @brief The budget in force for a stored state at @p now (0: unlimited).
inline double effective_budget(const shared_budget &s, double now) {
  if (s.cut_at <= 0) return s.budget;
  const double b = recovered_budget(s, now);
  return s.cap > 0 ? std::min(b, s.cap) : b;
}

/// @brief One worker's share_rate() call.
/// @param stored the state as stored
/// @param live workers alive on the batch (this one included; 0 counts as 1)
/// @param cap the account's cap this worker runs with (0: none)
/// @param cut_to after a 429: the rate this worker's own bucket cut to (0: no cut)
/// @param now unix seconds (the shared clock)
///
/// A cut sets the whole account's budget to min(current, cut_to * live):
/// the worker saw what its share of the service allows, and every worker
/// shares the same service. Recovery as adaptive_rate; the share is the
/// budget split evenly among the live workers.
inline shared_budget_step step_shared_budget(shared_budget stored, std::size_t live, double cap,
                                             double cut_to, double now) {
  const double workers = static_cast<double>(std::max<std::size_t>(live, 1));
  shared_budget s = budget_at(stored, cap, now);
  if (cut_to > 0) {
    const double current = effective_budget(s, now);
    const double asked = cut_to * workers;
    s.budget = std::max(shared_min_rate, current > 0 ? std::min(current, asked) : asked);
    s.cut_at = now;
  }
  const double b = effective_budget(s, now);
  return shared_budget_step{s, b > 0 ? b / workers : 0};
}

} // namespace taskfetch::detail
