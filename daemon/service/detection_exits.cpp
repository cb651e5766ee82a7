// SPDX-License-Identifier: GPL-2.0-only
// How DetectionPipeline's games end: the root's pidfd, the detector's exit reports and, for what
// those miss, the sweep of tree members that ended unreported; and the processes a root started
// before it became a game, which join its tree.
#include "detection_pipeline.h"

#include "util/log.h"

#include <algorithm>

namespace scx_gamer {

// The kernel skips a run of a hook now and then (it counts it as missed): under a storm of exits,
// the exit hook's, and the members that ended stay in the game map. Their pids could be reused
// by processes that are no game's: they are taken out here, and a tree left empty ends. Members'
// exits send no record, so this is also checked on a timer while games are tracked.
void DetectionPipeline::check_detector_misses() {
    if (!detector_)
        return;
    if (const uint64_t misses = detector_->missed(); misses != misses_seen_) {
        misses_seen_ = misses;
        check_game_trees();
    }
}

void DetectionPipeline::watch_exit(uint32_t pid) {
    // The game is removed from a timer: its removal drops the watch, which must not happen
    // inside the watch's own callback.
    deps_.exits.watch(pid, [this, pid] { exited(pid); });
}

void DetectionPipeline::exited(uint32_t root) {
    exited_games_.push_back(root);
    exit_timer_->arm(std::chrono::microseconds(0));
}

// The game's root process has ended. The game goes on while a process of its tree lives; the
// detector reports the end of the last one. This catches what that report may miss.
void DetectionPipeline::remove_exited_games() {
    for (const uint32_t pid : std::exchange(exited_games_, {}))
        if (!tree_lives(pid))
            games_.remove(pid);
}

// Whether a process of the game's tree still runs; without a detector the root is the game.
bool DetectionPipeline::tree_lives(uint32_t root) const {
    if (!detector_)
        return deps_.processes.alive(root);
    const auto members = detector_->members(root);
    return std::any_of(members.begin(), members.end(),
                       [this](uint32_t pid) { return deps_.processes.alive(pid); });
}

// Every game whose tree has no live process ends; members that ended (their exit unreported)
// leave their tree.
void DetectionPipeline::check_game_trees() {
    std::vector<uint32_t> ended;
    bool released_any = false;
    for (const Game& game : games_.games()) {
        if (!detector_) {
            if (!deps_.processes.alive(game.pid))
                ended.push_back(game.pid);
            continue;
        }
        bool lives = false;
        for (const uint32_t tgid : detector_->members(game.pid)) {
            if (deps_.processes.alive(tgid)) {
                lives = true;
                continue;
            }
            if (detector_->release(tgid)) {
                released_any = true;
                log_debug("pid ", tgid, " left game ", game.pid, ": it ended unreported");
            }
        }
        if (!lives)
            ended.push_back(game.pid);
    }
    if (released_any && deps_.trees_changed)
        deps_.trees_changed();
    for (const uint32_t pid : ended)
        games_.remove(pid);
}

// A process of a game's tree exec'd or renamed itself: a helper leaves the tree (and is no game
// any more); anything else stays part of the game.
void DetectionPipeline::check_tree_member(uint32_t tgid, const std::optional<ProcessInfo>& info) {
    if (!info || !detector_)
        return;
    const auto why = leaves_game_tree(classifier_.rules(), *info);
    if (!why)
        return;
    const auto released = detector_->release(tgid);
    if (!released)
        return;
    if (deps_.trees_changed)
        deps_.trees_changed();
    log_info("pid ", tgid, " (", info->comm, ") left game ", released->root, ": ", *why);
    if (released->tree_emptied)
        games_.remove(released->root);
}

// The games added since the last turn (the start-up scan finds them all in one) share one walk of
// /proc.
void DetectionPipeline::adopt_pending_descendants() {
    std::vector<uint32_t> roots;
    roots.swap(adoptions_);
    std::erase_if(roots, [&](uint32_t root) { return !games_.find(root); }); // ended meanwhile
    if (!detector_ || roots.empty())
        return;
    std::multimap<uint32_t, uint32_t> children; // ppid -> tgid
    for (const auto& [tgid, ppid] : deps_.processes.parents())
        children.emplace(ppid, tgid);
    for (const uint32_t root : roots)
        if (games_.find(root)) // an adoption before may have ended it
            adopt_descendants(root, children);
}

// Processes the root started before it became a game (a launcher found by its exec, a process
// GameMode registers after it forked) join its tree as if they had been forked since. A process
// that ends meanwhile is taken out again: its exit may have passed before it joined.
void DetectionPipeline::adopt_descendants(uint32_t root,
                                          const std::multimap<uint32_t, uint32_t>& children) {
    std::vector<uint32_t> pending{root};
    // pending: the root and the live processes joined so far, as many as a tree may hold (the
    // detector's own bound, root included).
    for (size_t i = 0; i < pending.size() && pending.size() < GAMER_MAX_TREE_PROCS; i++) {
        const auto [first, last] = children.equal_range(pending[i]);
        // A full tree takes no one: the rest of a parent's thousand children need not be read.
        for (auto it = first; it != last && pending.size() < GAMER_MAX_TREE_PROCS; ++it) {
            const uint32_t tgid = it->second;
            const auto info = read_process_info(deps_.proc, static_cast<pid_t>(tgid));
            if (!info || leaves_game_tree(classifier_.rules(), *info))
                continue;
            if (!detector_->join(tgid, root))
                continue; // a bound reached, or in a tree already
            if (!deps_.processes.alive(tgid)) {
                // Ended (a zombie has no children left to adopt): out again, and not counted
                // against the bound, which is for the live ones.
                if (const auto released = detector_->release(tgid);
                    released && released->tree_emptied) {
                    exited(root);
                    return;
                }
                continue;
            }
            log_debug("pid ", tgid, " (", info->comm, ") joined game ", root,
                      ": started by it before it was one");
            pending.push_back(tgid);
        }
    }
}

} // namespace scx_gamer
