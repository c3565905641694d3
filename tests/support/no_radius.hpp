// Test helper: the RADIUS client of a test whose AAA is local only. An Access-Request fails
// the test; Accounting-Requests are kept (unless told not to: a test counting heap bytes)
// and answered when the test says so.
#pragma once

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "aaa/aaa.hpp"

namespace vpdnd::test {

struct NoRadius final : aaa::RadiusClient {
  explicit NoRadius(bool keep_accounting = true) : keep(keep_accounting) {}
  Id access_request(const aaa::RadiusTarget&, aaa::RadiusAccessRequest, AccessCallback) override {
    ADD_FAILURE() << "RADIUS used in a local-only test";
    return 1;
  }
  Id accounting_request(const aaa::RadiusTarget&, aaa::RadiusAccountingRequest r,
                        AccountingCallback done) override {
    if (keep) {
      accounting.push_back(std::move(r));
      unanswered.push_back(std::move(done));
    }
    return 1;
  }
  void cancel(Id) override {}
  // Answers every accounting request asked so far (and those the answers release).
  void answer_accounting() {
    while (!unanswered.empty()) {
      auto now = std::move(unanswered);
      unanswered.clear();
      for (auto& done : now) done({aaa::RadiusOutcome::accept});
    }
  }
  bool keep;
  std::vector<aaa::RadiusAccountingRequest> accounting;  // as asked
  std::vector<AccountingCallback> unanswered;
};

}  // namespace vpdnd::test
