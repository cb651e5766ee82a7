// SPDX-License-Identifier: GPL-2.0-only
#include "ml/autotuner.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace scx_gamer::ml {
namespace {

// Scores are compared as logarithms: window-to-window noise is mostly multiplicative (a busier
// scene or more background load scales every latency), which the logarithm makes additive and
// less heavy-tailed, and a relative margin becomes a plain difference. Scores under 1 (us) are
// taken as 1.
double log_score(double score) {
    return std::log(std::max(score, 1.0));
}

// A t statistic that stays meaningful when every pair measured the same difference (se == 0,
// as in a noiseless test): the sign of the difference decides.
double t_statistic(double difference, double standard_error) {
    if (standard_error > 0)
        return difference / standard_error;
    if (difference == 0)
        return 0;
    return std::copysign(std::numeric_limits<double>::infinity(), difference);
}

} // namespace

const char* role_name(WindowRole role) {
    switch (role) {
    case WindowRole::Warmup:
        return "warmup";
    case WindowRole::Incumbent:
        return "incumbent";
    case WindowRole::Candidate:
        return "candidate";
    case WindowRole::VerifyStart:
        return "verify-start";
    case WindowRole::VerifyBest:
        return "verify-best";
    case WindowRole::Done:
        return "done";
    }
    return "unknown";
}

Autotuner::Autotuner(SearchSpace space, FlagValues start, AutotuneParams params, uint64_t seed)
    : space_(std::move(space)), start_(std::move(start)), incumbent_(start_), params_(params),
      rng_(seed), step_(params.initial_step) {
    params_.min_pairs = std::max(params_.min_pairs, 2u); // a t test needs two differences
    params_.max_pairs = std::max(params_.max_pairs, params_.min_pairs);
    params_.verify_pairs = std::max(params_.verify_pairs, 2u);
    params_.verify_min_pairs = std::clamp(params_.verify_min_pairs, 2u, params_.verify_pairs);
    result_.start = start_;
    result_.best = start_;
    warmup_left_ = params_.warmup_windows;
    start_pass();
    if (warmup_left_ == 0)
        begin_search_or_verify();
}

unsigned Autotuner::windows_left() const {
    return params_.budget_windows > windows_used_ ? params_.budget_windows - windows_used_ : 0;
}

void Autotuner::start_pass() {
    order_.clear();
    for (std::size_t i = 0; i < space_.dimensions().size(); i++)
        order_.push_back(i);
    std::shuffle(order_.begin(), order_.end(), rng_);
    order_pos_ = 0;
    improved_in_pass_ = false;
    continuing_.reset();
    directions_.clear();
    direction_pos_ = 0;
    if (!order_.empty()) {
        const FlagSpec& spec = *space_.dimensions()[order_[0]];
        directions_ =
            spec.type() == FlagType::Switch ? std::vector<int>{1} : std::vector<int>{1, -1};
        std::shuffle(directions_.begin(), directions_.end(), rng_);
    }
}

std::optional<FlagValues> Autotuner::next_candidate() {
    if (space_.empty())
        return std::nullopt;
    for (;;) {
        if (order_pos_ >= order_.size()) {
            if (!improved_in_pass_) {
                step_ = std::sqrt(step_);
                if (step_ < params_.min_step)
                    return std::nullopt;
            }
            start_pass();
        }
        const FlagSpec& spec = *space_.dimensions()[order_[order_pos_]];
        int direction = 0;
        if (continuing_) {
            direction = *continuing_;
            continuing_.reset();
        } else if (direction_pos_ < directions_.size()) {
            direction = directions_[direction_pos_++];
        } else {
            // This coordinate is exhausted: on to the next, with its directions in random order.
            order_pos_++;
            direction_pos_ = 0;
            directions_.clear();
            if (order_pos_ < order_.size()) {
                const FlagSpec& next = *space_.dimensions()[order_[order_pos_]];
                directions_ =
                    next.type() == FlagType::Switch ? std::vector<int>{1} : std::vector<int>{1, -1};
                std::shuffle(directions_.begin(), directions_.end(), rng_);
            }
            continue;
        }
        const std::string* current = incumbent_.find(spec.name);
        if (current == nullptr)
            continue;
        const auto value = neighbour(spec, *current, direction, step_);
        if (!value)
            continue;
        FlagValues candidate = incumbent_;
        candidate.set(spec.name, *value);
        candidate_direction_ = direction;
        return candidate;
    }
}

void Autotuner::set_running() {
    const bool other_now = comparison_.other_first != comparison_.first_done;
    if (phase_ == Phase::Compare) {
        running_ = other_now ? &comparison_.other : &incumbent_;
        role_ = other_now ? WindowRole::Candidate : WindowRole::Incumbent;
    } else if (phase_ == Phase::Verify) {
        running_ = other_now ? &comparison_.other : &start_;
        role_ = other_now ? WindowRole::VerifyBest : WindowRole::VerifyStart;
    }
}

void Autotuner::begin_search_or_verify() {
    if (!begin_next_comparison())
        begin_verification();
}

bool Autotuner::begin_next_comparison() {
    const unsigned needed = 2 * params_.max_pairs + 2 * params_.verify_pairs;
    if (windows_left() < needed)
        return false;
    auto candidate = next_candidate();
    if (!candidate)
        return false;
    phase_ = Phase::Compare;
    comparison_ = Comparison{};
    comparison_.other = std::move(*candidate);
    comparison_.other_first = std::bernoulli_distribution(0.5)(rng_);
    result_.trials++;
    set_running();
    return true;
}

void Autotuner::begin_verification() {
    if (incumbent_ == start_) {
        finish(false, result_.trials == 0 ? "nothing to search"
                                          : "no change beat the start configuration");
        return;
    }
    phase_ = Phase::Verify;
    comparison_ = Comparison{};
    comparison_.other = incumbent_;
    comparison_.other_first = std::bernoulli_distribution(0.5)(rng_);
    set_running();
}

void Autotuner::record(std::optional<double> score) {
    if (phase_ == Phase::Done)
        return;
    if (!score) {
        if (++invalid_windows_ > params_.max_invalid_windows)
            abandon("too many windows without enough game activity to score");
        return; // the same configuration runs again
    }
    windows_used_++;
    if (phase_ != Phase::Warmup && *running_ == start_)
        start_scores_.add(*score);
    if (phase_ == Phase::Warmup) {
        if (warmup_left_ > 0)
            warmup_left_--;
        if (warmup_left_ == 0)
            begin_search_or_verify();
        return;
    }
    if (!comparison_.first_done) {
        comparison_.first_score = *score;
        comparison_.first_done = true;
        set_running();
        return;
    }
    const double other = comparison_.other_first ? comparison_.first_score : *score;
    const double reference = comparison_.other_first ? *score : comparison_.first_score;
    comparison_.differences.add(log_score(other) - log_score(reference));
    comparison_.others.add(other);
    comparison_.reference.add(reference);
    comparison_.first_done = false;
    comparison_.other_first = std::bernoulli_distribution(0.5)(rng_);
    if (phase_ == Phase::Compare)
        decide_comparison();
    else
        decide_verification();
    if (phase_ != Phase::Done)
        set_running();
}

void Autotuner::decide_comparison() {
    const RunningStats& d = comparison_.differences;
    const std::size_t n = d.count();
    if (n < params_.min_pairs)
        return;
    // H1: the candidate's objective is below (1 - min_improvement) times the incumbent's.
    const double margin = std::log1p(-params_.min_improvement);
    const double t = t_statistic(d.mean() - margin, d.standard_error());
    const double critical = t_critical(OneSided::Alpha05, n - 1);
    if (t < -critical) {
        incumbent_ = comparison_.other;
        result_.accepted++;
        improved_in_pass_ = true;
        const FlagSpec& spec = *space_.dimensions()[order_[order_pos_]];
        if (spec.type() == FlagType::Unsigned) {
            continuing_ = candidate_direction_; // follow the slope
            direction_pos_ = directions_.size();
        }
    } else if (t <= critical && d.mean() < 0 && n < params_.max_pairs) {
        return; // promising but not yet shown: another pair
    }
    // Otherwise dropped: confidently not min_improvement better, not better at all on average
    // (racing: most candidates are no better, and spending pairs on them is what costs), or out
    // of pairs. A wrongly dropped step can still be taken in a later pass.
    begin_search_or_verify();
}

void Autotuner::decide_verification() {
    const RunningStats& d = comparison_.differences;
    const std::size_t n = d.count();
    if (n < params_.verify_min_pairs)
        return;
    if (d.mean() >= 0) {
        finish(false, "the search's best was no better than the start when checked again");
        return;
    }
    if (n < params_.verify_pairs)
        return;
    const double margin = std::log1p(-params_.min_improvement);
    const double t = t_statistic(d.mean() - margin, d.standard_error());
    if (t < -t_critical(OneSided::Alpha01, n - 1))
        finish(true,
               "confirmed better than the start in " + std::to_string(n) + " pairs of windows");
    else
        finish(false, "the search's best was not confirmed better than the start");
}

void Autotuner::finish(bool keep_incumbent, std::string why) {
    const bool verified = phase_ == Phase::Verify;
    phase_ = Phase::Done;
    role_ = WindowRole::Done;
    result_.improved = keep_incumbent;
    result_.best = keep_incumbent ? incumbent_ : start_;
    result_.windows = windows_used_;
    result_.why = std::move(why);
    if (verified) {
        result_.objective_before = comparison_.reference.mean();
        result_.objective_after =
            keep_incumbent ? comparison_.others.mean() : comparison_.reference.mean();
    } else {
        result_.objective_before = start_scores_.mean();
        result_.objective_after = start_scores_.mean();
    }
    running_ = &result_.best;
}

void Autotuner::abandon(const std::string& why) {
    if (phase_ != Phase::Done)
        finish(false, why);
}

} // namespace scx_gamer::ml
