// A RadiusClient that records requests and lets the test answer them.
#pragma once

#include <gtest/gtest.h>

#include <map>

#include "aaa/aaa.hpp"

namespace vpdnd::aaa::test {

class FakeRadius : public RadiusClient {
 public:
  struct Access {
    RadiusTarget target;
    RadiusAccessRequest request;
    AccessCallback done;
  };
  struct Accounting {
    RadiusTarget target;
    RadiusAccountingRequest request;
    AccountingCallback done;
  };
  Id access_request(const RadiusTarget& target, RadiusAccessRequest request,
                    AccessCallback done) override {
    Id id = next_++;
    access_[id] = {target, std::move(request), std::move(done)};
    last_access_ = id;
    return id;
  }
  Id accounting_request(const RadiusTarget& target, RadiusAccountingRequest request,
                        AccountingCallback done) override {
    Id id = next_++;
    accounting_[id] = {target, std::move(request), std::move(done)};
    accounting_log_.push_back(accounting_[id].request);
    return id;
  }
  void cancel(Id id) override {
    cancelled_.push_back(id);
    access_.erase(id);
    accounting_.erase(id);
  }
  // Answers the latest access request.
  void answer(RadiusAccessReply reply) {
    auto it = access_.find(last_access_);
    ASSERT_NE(it, access_.end());
    auto done = std::move(it->second.done);
    access_.erase(it);
    done(std::move(reply));
  }
  const Access& last_access() const { return access_.at(last_access_); }
  std::size_t pending_access() const { return access_.size(); }
  void ack_all_accounting() {
    auto pending = std::move(accounting_);
    accounting_.clear();
    for (auto& [id, a] : pending) a.done({RadiusOutcome::accept});
  }

  std::map<Id, Access> access_;
  std::map<Id, Accounting> accounting_;
  std::vector<RadiusAccountingRequest> accounting_log_;
  std::vector<Id> cancelled_;
  Id next_ = 1;
  Id last_access_ = 0;
};

}  // namespace vpdnd::aaa::test
