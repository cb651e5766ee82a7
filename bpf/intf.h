/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one description of every record shared by the BPF programs and the daemon: ring-buffer
 * events, the live tunables, statistics indices and the exit record. Plain fixed-width types
 * only, so both clang (BPF, with vmlinux.h) and g++ (C++, without it) read the same layout.
 */
#ifndef SCX_GAMER_INTF_H
#define SCX_GAMER_INTF_H

#ifndef __VMLINUX_H__
#include <stdint.h>
typedef uint8_t u8;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
typedef int64_t s64;
#endif

#define GAMER_OPS_NAME "gamer"
#define GAMER_COMM_LEN 16
#define GAMER_PATH_LEN 256

/* ---- Detector: one record per exec, exit or rename, through the detector's ring buffer ---- */
enum gamer_event_kind {
	GAMER_EV_EXEC = 1,   /* a process image was replaced (exec) */
	GAMER_EV_EXIT = 2,   /* the last thread of a game tree's last process exited */
	GAMER_EV_RENAME = 3, /* a group leader changed its comm (Wine names it after the .exe) */
	GAMER_EV_JOIN = 4,   /* a process forked by a game's process joined the game (see below) */
};

/* Cheap hints computed in the kernel; the daemon does the real classification. */
enum gamer_event_flags {
	GAMER_EVF_EXE_SUFFIX = 1u << 0, /* file name or comm ends in ".exe" */
	GAMER_EVF_WINE = 1u << 1,       /* comm or file name looks like a Wine loader/preloader */
	GAMER_EVF_WATCHED = 1u << 2,    /* tgid was in game_tgids: a process of a game tree */
};

struct gamer_event {
	u32 kind;      /* enum gamer_event_kind */
	u32 flags;     /* enum gamer_event_flags */
	u32 pid;       /* thread id that triggered the event */
	u32 tgid;      /* process id (thread group) */
	u32 ppid;      /* parent's tgid at the time of the event */
	u32 exit_code; /* GAMER_EV_EXIT: wait(2) status (code << 8 | signal); otherwise 0 */
	u32 root;      /* GAMER_EV_EXIT, GAMER_EV_JOIN: the game tree's root tgid; otherwise 0 */
	u32 uid;   /* the process's real uid (its objective credentials', as in /proc/PID/status) */
	u64 ts_ns; /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	char comm[GAMER_COMM_LEN];
	char filename[GAMER_PATH_LEN]; /* exec: bprm->filename; others: empty */
};

/*
 * An exec record: the common part, then the new image's argument and environment strings as the
 * kernel copied them for the exec ("arg0\0arg1\0...env0\0env1\0"), so that the daemon need not
 * wait for them to appear in /proc (with the LSM hook they are not there yet). The strings are
 * copied in chunks; the record is padded to a whole number of them.
 */
#define GAMER_STRINGS_CHUNK 512
#define GAMER_STRINGS_MAX (64 * GAMER_STRINGS_CHUNK) /* 32 KiB: a Steam game's environment fits */

struct gamer_exec_event {
	struct gamer_event ev;
	u32 argc;          /* the first argc strings are arguments, the rest the environment */
	u32 strings_len;   /* bytes of strings copied, at most GAMER_STRINGS_MAX */
	u32 strings_total; /* bytes the process has; more than strings_len when cut short */
	u32 pad;
	char strings[]; /* strings_len bytes, then padding up to a whole chunk */
};

/* ---- Scheduler: tunables a profile changes, read on every decision (BPF .bss, live) ---- */
struct gamer_tunables {
	u64 slice_ns;        /* --slice-us: time slice of background tasks */
	u64 game_slice_ns;   /* slice of game threads (shorter: they run briefly and often) */
	u64 slice_lag_ns;    /* --slice-lag-us: cap on the vruntime credit a sleeper keeps */
	u64 wakeup_timer_ns; /* --wakeup-timer-us: period of the idle-kick timer, 0 = off */
	u64 bg_starve_ns;    /* longest a waiting background task may be passed over by games */
	u32 mm_affinity;  /* --mm-affinity: keep sync wakees on the waker's CPU if they share mm */
	u32 avoid_smt;    /* --avoid-smt: prefer fully idle cores for game threads */
	u32 game_preempt; /* kick a CPU running background work when a game thread wakes */
	/*
	 * --no-wake-boost clears it: a task a game thread wakes from its own context (a frame
	 * handed to the compositor, a request to a helper process) runs as urgent until it sleeps
	 * again or has run for slice_ns
	 */
	u32 wake_boost;
	u32 verbose; /* --verbose: extra bpf_printk tracing */
	/*
	 * --bg-min-share-pct: the floor, in percent, of each CPU's time that non-game work keeps
	 * while it waits (counted over a decaying window, see scheduler.bpf.c); 0 = off
	 */
	u32 bg_min_share_pct;
	/*
	 * --bg-starve-count: most game threads a CPU takes in a row while background work waits;
	 * the count bound beside bg_starve_ns's time bound (many short game runs pass a waiting
	 * task over many times within one bg_starve_ns); 0 = off
	 */
	u32 bg_starve_count;
};

/* How many games (game trees, see below) can be tracked at once. */
#define GAMER_MAX_GAMES 1024

/*
 * ---- Game trees: a game is its root process and the processes it starts ----
 *
 * The daemon makes a process a game's root (detected or registered); the detector's fork hook
 * adds every process a member forks to the same tree before the child first runs, and its exit
 * hook reports GAMER_EV_EXIT once, when the tree's last process ends. Membership lives in the
 * detector's map game_tgids (tgid -> tree slot, an index below GAMER_MAX_GAMES), which the
 * daemon hands to the scheduler as the scheduler's own game_tgids (bpf_map__reuse_fd): one map,
 * so a thread of any member is a game thread. The detector's .bss holds, per slot, the root's
 * tgid and the number of live member processes.
 *
 * A local user decides how many processes a game forks, so inheritance is bounded: a tree gains
 * at most GAMER_MAX_TREE_PROCS processes, and forks stop joining any tree once
 * GAMER_MAX_GAME_PROCS - GAMER_MAX_GAMES processes are members, which keeps room for the roots
 * the daemon adds. A fork beyond either bound simply is not a game (counted in nr_tree_full).
 * The kernel may skip a run of the exit hook (a storm of exits; the program's missed runs): the
 * daemon then takes the members that ended out of the map itself.
 */
#define GAMER_MAX_GAME_PROCS 16384
#define GAMER_MAX_TREE_PROCS 512
/* ---- end of game trees ---- */

/*
 * ---- Scheduler statistics: per-CPU counters, summed by the daemon ----
 * The one list of them, X(NAME, key, description): BPF counts GAMER_STAT_NAME, and the daemon
 * reports the sum under the key with the description (GetStats, the scx_stats socket's
 * metadata, --stats; daemon/stats/stats_fields.cpp). A new counter is one line here.
 */
#define GAMER_STATS(X)                                                                             \
	X(DISPATCHED, "nr_dispatched", "tasks moved from a shared queue to a CPU")                 \
	X(DIRECT_DISPATCHED, "nr_direct_dispatched",                                               \
	  "tasks placed on an idle CPU straight at wakeup")                                        \
	X(KICKS, "nr_kicks", "CPUs kicked (idle wakeups and preemptions)")                         \
	X(PREEMPT_KICKS, "nr_preempt_kicks", "background work preempted for a waking game thread") \
	X(GAME_ENQUEUED, "nr_game_enqueued", "game thread enqueues")                               \
	X(BG_ENQUEUED, "nr_bg_enqueued", "background task enqueues")                               \
	X(BG_STARVE_GUARD, "nr_bg_starve_guard",                                                   \
	  "background tasks run first because they waited too long (--bg-starve-us) or were "      \
	  "passed over too often (--bg-starve-count)")                                             \
	X(MIGRATIONS, "nr_migrations",                                                             \
	  "tasks that started on a different CPU than they last ran on")                           \
	X(GAME_WAKEUPS, "nr_game_wakeups",                                                         \
	  "game thread wakeups measured in the latency histogram")                                 \
	X(OVERDUE_RUN, "nr_overdue_runs",                                                          \
	  "tasks run out of deadline order because they had waited too long "                      \
	  "(see docs/scheduler.md)")                                                               \
	X(BG_FLOOR, "nr_bg_floor",                                                                 \
	  "background tasks run first because background work had less than its floor "            \
	  "(--bg-min-share-pct) of the CPU")                                                       \
	X(LOCAL_PREEMPT, "nr_local_preempt",                                                       \
	  "game threads woken on their own CPU that preempted background work there, without "     \
	  "a kick")                                                                                \
	X(REENQUEUED, "nr_reenqueued",                                                             \
	  "tasks handed back from a CPU's local queue (a real-time task took the CPU) and "        \
	  "queued again")                                                                          \
	X(KTHREAD_ENQUEUED, "nr_kthread_enqueued",                                                 \
	  "enqueues of per-CPU kernel threads, which queue with the game threads")                 \
	X(WAKEUP_TIMER_RUNS, "nr_wakeup_timer_runs",                                               \
	  "runs of the wakeup timer (it stops while the scheduler's queues are empty)")            \
	X(CPUPERF_SETS, "nr_cpuperf_sets", "changes of a CPU's performance target (cpufreq)")      \
	X(WAKE_BOOSTS, "nr_wake_boosts",                                                           \
	  "wakeups of non-game tasks by a game thread, run as urgent for a while "                 \
	  "(--no-wake-boost)")                                                                     \
	X(GAME_LLC_MIGRATIONS, "nr_game_llc_migrations",                                           \
	  "game threads that started in another cache domain (LLC) than the one they last ran in") \
	X(LLC_STEALS, "nr_llc_steals",                                                             \
	  "tasks a CPU took from another cache domain's queue (LLC, see docs/scheduler.md)")

enum gamer_stat_idx {
#define GAMER_STAT_INDEX(name, key, desc) GAMER_STAT_##name,
	GAMER_STATS(GAMER_STAT_INDEX)
#undef GAMER_STAT_INDEX
	GAMER_NR_STATS,
};

/*
 * ---- CPU frequency: each CPU's performance target, as last set ----
 * Per-CPU array `cpu_perf` (one u64 per CPU): the value the scheduler last gave
 * scx_bpf_cpuperf_set() for that CPU, in [0, GAMER_CPUPERF_ONE]. The kernel sets every CPU to
 * GAMER_CPUPERF_ONE when a sched_ext scheduler attaches; schedutil reads the target as the CPU's
 * utilization. Readable even where no cpufreq driver uses it (a VM).
 */
#define GAMER_CPUPERF_ONE 1024 /* SCX_CPUPERF_ONE: full speed */

/*
 * Game wakeup latency (runnable -> running) histogram. Bucket i covers
 * [i * GAMER_LAT_BUCKET_NS, (i + 1) * GAMER_LAT_BUCKET_NS) for i < GAMER_LAT_LINEAR, then
 * doubling buckets above that; the last bucket is open-ended.
 */
#define GAMER_LAT_BUCKET_NS 10000ULL /* 10 us */
#define GAMER_LAT_LINEAR 100         /* linear up to 1 ms */
#define GAMER_LAT_BUCKETS 128

/* ---- Why the kernel unloaded the scheduler (filled in ops.exit) ---- */
#define GAMER_EXIT_REASON_LEN 128
#define GAMER_EXIT_MSG_LEN 1024

struct gamer_exit_info {
	s32 kind; /* enum scx_exit_kind; 0 while the scheduler runs */
	u32 pad;
	s64 exit_code; /* bit 48 (SCX_ECODE_ACT_RESTART) asks user space to restart */
	char reason[GAMER_EXIT_REASON_LEN];
	char msg[GAMER_EXIT_MSG_LEN];
};

#define GAMER_ECODE_ACT_RESTART (1ULL << 48)

/*
 * The scheduler's "it exited" notification through its `exit_events` ring buffer. The full
 * record (reason, msg) is in the scheduler's .bss `exit_info`, written before this is submitted;
 * the ring buffer only exists so the daemon's event loop wakes up without polling.
 */
struct gamer_exit_event {
	s32 kind; /* enum scx_exit_kind, as in gamer_exit_info */
	u32 pad;
	s64 exit_code;
};

/*
 * Largest CPU count the scheduler's CPU bitmaps cover (the reload-only primary domain). CPUs at
 * or beyond it are never in the primary domain; the rest of the scheduler has no such limit.
 */
#define GAMER_MAX_CPUS 1024
#define GAMER_CPU_WORDS (GAMER_MAX_CPUS / 64) /* u64 words of a CPU bitmap */

/*
 * ---- CPU topology: the cache domains ----
 * A cache domain is a set of CPUs that share a last-level (L3) cache: an AMD CCX/CCD, an Intel
 * socket, a QEMU socket. The scheduler keeps one game and one background queue per domain.
 * The daemon reads the domains from sysfs (cpuN/cache/index*: level 3, shared_cpu_list;
 * daemon/bpf/cpu_topology.h) and writes them, before the scheduler loads, into its .rodata:
 *   u32 nr_llcs;                  number of domains, 1 to GAMER_MAX_LLCS
 *   u32 cpu_llc[GAMER_MAX_CPUS];  each possible CPU's domain, below nr_llcs
 * Domains are numbered in the order of their lowest CPU. A machine without L3 information
 * (or a CPU without it, e.g. offline at load) is one domain (the CPU joins domain 0); domains
 * beyond GAMER_MAX_LLCS share queues (domain i uses i % GAMER_MAX_LLCS). CPUs at or beyond
 * GAMER_MAX_CPUS are in domain 0.
 */
#define GAMER_MAX_LLCS 64

#endif /* SCX_GAMER_INTF_H */
